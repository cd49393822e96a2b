//! BitChat (docs/glossary.md#bitchat) on quinn: end-to-end encrypted messaging between chain
//! identities, store-and-forward mailboxes, content-addressed chunks, and the BitChat
//! congestion controller (crate `bithive-bitchat-cc`) selectable beside Cubic, BBR and NewReno.

pub mod accept;
pub mod at_rest;
#[cfg(feature = "bench")]
pub mod bench;
pub mod card;
pub mod chat;
pub mod chunks;
pub mod config;
pub mod core;
pub mod e2e;
pub mod endpoint;
pub mod error;
pub mod identity;
pub mod inbox;
pub mod journal;
pub mod lock;
pub mod mailbox;
pub mod metrics;
pub mod node;
pub mod outbox;
pub mod ratelimit;
pub mod registry;
pub mod transport;
mod wire;

pub use bithive_bitchat_wire::frame;

pub use error::BitChatError;
pub use identity::{AccountId, NodeIdentity};
pub use node::{MessageStatus, Node, NodeConfig};
pub use registry::{OpenRegistry, PeerRecord, PeerRegistry, StaticAllowlist};
pub use transport::{endpoint, transport_config, CongestionChoice, NodeCert};
