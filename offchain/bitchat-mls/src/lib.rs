//! BitChat conversations on MLS (RFC 9420) with `openmls`: 1:1 and group conversations alike,
//! with forward secrecy and post-compromise security, members bound to their chain accounts,
//! and the whole state encrypted at rest. No network I/O: what to send comes back as bytes, and
//! the node carries them in its sealed envelopes (which hide them from relays a second time and
//! authenticate the sending node).
//!
//! Policy, enforced by every member on what it receives:
//! - a conversation's id begins with its admin's account id; only the admin's commits (adds,
//!   removals, re-keying) are merged, so commits have one author and one order and members never
//!   fork;
//! - every member's credential binds its MLS signature key to its account key
//!   ([`credential`]); a welcome, commit or message naming a member whose binding fails is
//!   refused;
//! - members renew their own keys by an update proposal that the admin commits.

mod conversations;
pub mod credential;
mod error;
mod state;

pub use conversations::{
    conversation_of, ConversationId, Conversations, Invitation, Received, CIPHERSUITE,
    MAX_MLS_MESSAGE, PAST_EPOCHS_KEPT,
};
pub use credential::account_id;
pub use error::MlsError;
