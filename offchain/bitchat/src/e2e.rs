//! End-to-end encryption independent of the transport: every envelope is one Noise `X`
//! message (sender static key transmitted and authenticated, recipient static key known), so
//! it can be stored by relays that see only ciphertext and opened later by an offline recipient.
//! The routing header is the Noise prologue: a relay that alters it makes decryption fail.

use snow::Builder;

use crate::error::BitChatError;

const PATTERN: &str = "Noise_X_25519_ChaChaPoly_BLAKE2s";
/// Noise messages are at most 65535 bytes; this leaves room for the handshake fields.
pub const MAX_PLAINTEXT: usize = 65_535 - 32 - 48 - 16;

fn params() -> Result<snow::params::NoiseParams, BitChatError> {
    PATTERN
        .parse()
        .map_err(|e: snow::Error| BitChatError::Crypto(e.to_string()))
}

fn err(e: snow::Error) -> BitChatError {
    BitChatError::Crypto(e.to_string())
}

/// The X25519 public key of a 32-byte private key (clamped scalar times the base point, as
/// snow's resolver computes it).
pub fn public_key(private: &[u8]) -> Result<[u8; 32], BitChatError> {
    let bytes: [u8; 32] = private
        .try_into()
        .map_err(|_| BitChatError::Crypto("private key must be 32 bytes".into()))?;
    Ok(curve25519_dalek::MontgomeryPoint::mul_base_clamped(bytes).to_bytes())
}

/// Seal `plaintext` from `sender_private` to `recipient_public`, binding `header`.
pub fn seal(
    sender_private: &[u8],
    recipient_public: &[u8; 32],
    header: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, BitChatError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(BitChatError::Crypto("plaintext too large".into()));
    }
    let mut hs = Builder::new(params()?)
        .local_private_key(sender_private)
        .remote_public_key(recipient_public)
        .prologue(header)
        .build_initiator()
        .map_err(err)?;
    let mut out = vec![0u8; plaintext.len() + 32 + 48 + 16];
    let n = hs.write_message(plaintext, &mut out).map_err(err)?;
    out.truncate(n);
    Ok(out)
}

/// Open a sealed message; returns the sender's static public key and the plaintext.
pub fn open(
    recipient_private: &[u8],
    header: &[u8],
    ciphertext: &[u8],
) -> Result<([u8; 32], Vec<u8>), BitChatError> {
    let mut hs = Builder::new(params()?)
        .local_private_key(recipient_private)
        .prologue(header)
        .build_responder()
        .map_err(err)?;
    let mut out = vec![0u8; ciphertext.len()];
    let n = hs.read_message(ciphertext, &mut out).map_err(err)?;
    out.truncate(n);
    let remote = hs
        .get_remote_static()
        .ok_or_else(|| BitChatError::Crypto("no sender key".into()))?;
    let mut sender = [0u8; 32];
    sender.copy_from_slice(remote);
    Ok((sender, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_matches_snow_keypair() {
        let kp = Builder::new(params().unwrap()).generate_keypair().unwrap();
        assert_eq!(public_key(&kp.private).unwrap().to_vec(), kp.public);
    }

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let a = Builder::new(params().unwrap()).generate_keypair().unwrap();
        let b = Builder::new(params().unwrap()).generate_keypair().unwrap();
        let b_pub: [u8; 32] = b.public.clone().try_into().unwrap();
        let ct = seal(&a.private, &b_pub, b"hdr", b"hello").unwrap();
        assert!(
            !ct.windows(5).any(|w| w == b"hello"),
            "plaintext must not appear"
        );
        let (sender, pt) = open(&b.private, b"hdr", &ct).unwrap();
        assert_eq!(sender.to_vec(), a.public);
        assert_eq!(pt, b"hello");
        // Altered header (prologue) or ciphertext: rejected.
        assert!(open(&b.private, b"hdX", &ct).is_err());
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(open(&b.private, b"hdr", &bad).is_err());
        // Wrong recipient: rejected.
        assert!(open(&a.private, b"hdr", &ct).is_err());
    }
}
