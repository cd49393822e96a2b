//! End-to-end encryption independent of the transport: every envelope is one Noise `X`
//! message (sender static key transmitted and authenticated, recipient static key known), so
//! it can be stored by relays that see only ciphertext and opened later by an offline recipient.
//! The routing header is the Noise prologue: a relay that alters it makes decryption fail.
//!
//! The seal itself lives in `bithive-bitchat-seal` (no I/O, so the browser package seals the
//! same bytes; its `public_key`, `seal` and `open` are re-exported here); its errors convert
//! into [`BitChatError::Crypto`].

pub use bithive_bitchat_seal::{open, public_key, seal, SealError, MAX_PLAINTEXT, OVERHEAD};

use crate::error::BitChatError;

impl From<SealError> for BitChatError {
    fn from(e: SealError) -> Self {
        BitChatError::Crypto(e.to_string())
    }
}
