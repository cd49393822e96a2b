//! BitChat discovery and NAT traversal on rust-libp2p (issue #46, item 3).
//!
//! - **Identity:** the chain account's secp256k1 key is the libp2p identity
//!   ([`identity`]): the peer id a connection authenticates *is* the account.
//! - **Discovery:** each account publishes a signed peer record in a Kademlia DHT under its
//!   account id ([`record`]); DHT servers and readers check the signature, the key and every
//!   address before storing or using one. Chunk holders announce themselves as DHT providers.
//! - **NAT traversal:** public nodes are relay v2 servers; a node behind a NAT reserves a slot,
//!   publishes the circuit, and DCUtR upgrades a relayed connection to a direct QUIC one by
//!   hole punching. Behind a symmetric NAT the punch fails and traffic keeps to the relay.
//! - **Envelopes:** one request-response exchange per opaque envelope ([`codec`]), bounded per
//!   sender.
//! - **Chat:** [`chat::P2pCarrier`] carries BitChat's chat (MLS conversations) over all this,
//!   each payload sealed end to end and carrying its sender's card; what cannot go at once
//!   waits in a durable [`outbox`] and is retried.
//!
//! The data path is libp2p's QUIC (quinn inside), whose congestion controller is quinn's
//! default: libp2p-quic does not let an application plug in quinn's controller factory, so
//! the BitChat controller stays on BitChat's own transport (see the README).

pub mod chat;
pub mod codec;
mod dial;
pub mod error;
pub mod identity;
mod inbox;
pub mod mailbox;
mod node;
pub mod outbox;
pub mod record;

pub use error::P2pError;
pub use libp2p::{multiaddr::Protocol, Multiaddr, PeerId};
pub use node::{
    NodeInfo, P2pConfig, P2pEvent, P2pHandle, P2pNode, Path, Reachability, Receipt, CHUNK_PROTOCOL,
    KAD_PROTOCOL,
};
