//! End-to-end encryption independent of the transport: every envelope is one Noise `X`
//! message (sender static key transmitted and authenticated, recipient static key known), so
//! it can be stored by relays that see only ciphertext and opened later by an offline recipient.
//! The routing header is the Noise prologue: a relay that alters it makes decryption fail.
//!
//! The seal itself lives in `bithive-bitchat-seal` (no I/O, so the browser package seals the
//! same bytes); this module maps its errors into [`BitChatError::Crypto`].

pub use bithive_bitchat_seal::{SealError, MAX_PLAINTEXT, OVERHEAD};

use crate::error::BitChatError;

fn err(e: SealError) -> BitChatError {
    BitChatError::Crypto(e.to_string())
}

/// The X25519 public key of a 32-byte private key (clamped scalar times the base point, as
/// snow's resolver computes it).
pub fn public_key(private: &[u8]) -> Result<[u8; 32], BitChatError> {
    bithive_bitchat_seal::public_key(private).map_err(err)
}

/// Seal `plaintext` from `sender_private` to `recipient_public`, binding `header`.
pub fn seal(
    sender_private: &[u8],
    recipient_public: &[u8; 32],
    header: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, BitChatError> {
    bithive_bitchat_seal::seal(sender_private, recipient_public, header, plaintext).map_err(err)
}

/// Open a sealed message; returns the sender's static public key and the plaintext.
pub fn open(
    recipient_private: &[u8],
    header: &[u8],
    ciphertext: &[u8],
) -> Result<([u8; 32], Vec<u8>), BitChatError> {
    bithive_bitchat_seal::open(recipient_private, header, ciphertext).map_err(err)
}
