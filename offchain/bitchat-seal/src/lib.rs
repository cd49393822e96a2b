//! End-to-end encryption independent of the transport: every envelope is one Noise `X`
//! message (sender static key transmitted and authenticated, recipient static key known), so
//! it can be stored by relays that see only ciphertext and opened later by an offline recipient.
//! The routing header is the Noise prologue: a relay that alters it makes decryption fail.
//!
//! No I/O and no async runtime: BitChat nodes (`bithive-bitchat`) and the browser package
//! (`bithive-browser`, wasm32) seal with the same code.
#![warn(missing_docs)]

use snow::Builder;
pub use zeroize::Zeroizing;

const PATTERN: &str = "Noise_X_25519_ChaChaPoly_BLAKE2s";
/// Noise messages are at most 65535 bytes; this leaves room for the handshake fields.
pub const MAX_PLAINTEXT: usize = 65_535 - OVERHEAD;
/// What a sealed message adds to its plaintext: the sender's ephemeral key (32), its encrypted
/// static key with tag (48) and the payload's tag (16).
pub const OVERHEAD: usize = 32 + 48 + 16;

/// Why a key could not be derived or generated, or a message could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Noise failure (bad key, wrong recipient or header, altered bytes).
    #[error("{0}")]
    Noise(String),
    /// The private key given to `public_key` is not 32 bytes long.
    #[error("private key must be 32 bytes")]
    KeyLength,
    /// The plaintext is longer than `MAX_PLAINTEXT`.
    #[error("plaintext too large")]
    TooLarge,
    /// The opened message yielded no sender static key.
    #[error("no sender key")]
    NoSender,
    /// The operating system's random source failed (its message).
    #[error("no randomness: {0}")]
    Random(String),
    /// The recipient's key is a point of small order: every shared secret with it is known.
    #[error("the recipient's key is of small order: anyone could open what is sealed to it")]
    WeakRecipientKey,
}

fn params() -> Result<snow::params::NoiseParams, SealError> {
    PATTERN.parse().map_err(err)
}

fn err(e: snow::Error) -> SealError {
    SealError::Noise(e.to_string())
}

/// The X25519 public key of a 32-byte private key (clamped scalar times the base point, as
/// snow's resolver computes it).
pub fn public_key(private: &[u8]) -> Result<[u8; 32], SealError> {
    let bytes: [u8; 32] = private.try_into().map_err(|_| SealError::KeyLength)?;
    Ok(curve25519_dalek::MontgomeryPoint::mul_base_clamped(bytes).to_bytes())
}

/// A fresh X25519 private key from the operating system (`crypto.getRandomValues` on wasm32),
/// zeroized when dropped.
pub fn generate_private_key() -> Result<Zeroizing<[u8; 32]>, SealError> {
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(key.as_mut()).map_err(|e| SealError::Random(e.to_string()))?;
    Ok(key)
}

/// Seal `plaintext` from `sender_private` to `recipient_public`, binding `header`.
pub fn seal(
    sender_private: &[u8],
    recipient_public: &[u8; 32],
    header: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(SealError::TooLarge);
    }
    let scalar: [u8; 32] = sender_private
        .try_into()
        .map_err(|_| SealError::KeyLength)?;
    // A clamped scalar is a multiple of the cofactor 8, so it maps every point of small order
    // (and only those) to zero: sealed to one, the static-static secret is zero, and the
    // ephemeral's likewise, for anyone who reads the message.
    if curve25519_dalek::MontgomeryPoint(*recipient_public)
        .mul_clamped(scalar)
        .to_bytes()
        == [0u8; 32]
    {
        return Err(SealError::WeakRecipientKey);
    }
    let mut hs = Builder::new(params()?)
        .local_private_key(sender_private)
        .remote_public_key(recipient_public)
        .prologue(header)
        .build_initiator()
        .map_err(err)?;
    let mut out = vec![0u8; plaintext.len() + OVERHEAD];
    let n = hs.write_message(plaintext, &mut out).map_err(err)?;
    out.truncate(n);
    Ok(out)
}

/// Open a sealed message; returns the sender's static public key and the plaintext.
pub fn open(
    recipient_private: &[u8],
    header: &[u8],
    ciphertext: &[u8],
) -> Result<([u8; 32], Vec<u8>), SealError> {
    let mut hs = Builder::new(params()?)
        .local_private_key(recipient_private)
        .prologue(header)
        .build_responder()
        .map_err(err)?;
    let mut out = vec![0u8; ciphertext.len()];
    let n = hs.read_message(ciphertext, &mut out).map_err(err)?;
    out.truncate(n);
    let remote = hs.get_remote_static().ok_or(SealError::NoSender)?;
    let mut sender = [0u8; 32];
    sender.copy_from_slice(remote);
    Ok((sender, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sealing to a point of small order (the all-zero key, 1, p - 1 and their forms with the
    /// top bit set) is refused; a real key is not.
    #[test]
    fn sealing_to_a_key_of_small_order_is_refused() {
        let sender = [7u8; 32];
        let mut p_minus_1 = [0xff; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        let mut one = [0u8; 32];
        one[0] = 1;
        for weak in [[0u8; 32], one, p_minus_1] {
            for key in [weak, {
                let mut k = weak;
                k[31] |= 0x80;
                k
            }] {
                assert_eq!(
                    seal(&sender, &key, b"h", b"secret"),
                    Err(SealError::WeakRecipientKey)
                );
            }
        }
        let real = public_key(&[9u8; 32]).unwrap();
        let sealed = seal(&sender, &real, b"h", b"secret").unwrap();
        assert_eq!(open(&[9u8; 32], b"h", &sealed).unwrap().1, b"secret");
    }

    #[test]
    fn public_key_matches_snow_keypair() {
        let kp = Builder::new(params().unwrap()).generate_keypair().unwrap();
        assert_eq!(public_key(&kp.private).unwrap().to_vec(), kp.public);
        assert_eq!(public_key(&kp.private[..31]), Err(SealError::KeyLength));
    }

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let a = Builder::new(params().unwrap()).generate_keypair().unwrap();
        let b = Builder::new(params().unwrap()).generate_keypair().unwrap();
        let b_pub: [u8; 32] = b.public.clone().try_into().unwrap();
        let ct = seal(&a.private, &b_pub, b"hdr", b"hello").unwrap();
        assert_eq!(ct.len(), 5 + OVERHEAD);
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

    #[test]
    fn generated_keys_seal_and_differ() {
        let a = generate_private_key().unwrap();
        let b = generate_private_key().unwrap();
        assert_ne!(*a, *b);
        let ct = seal(a.as_ref(), &public_key(b.as_ref()).unwrap(), b"h", b"x").unwrap();
        let (sender, pt) = open(b.as_ref(), b"h", &ct).unwrap();
        assert_eq!(sender, public_key(a.as_ref()).unwrap());
        assert_eq!(pt, b"x");
    }

    #[test]
    fn size_limit() {
        let k = generate_private_key().unwrap();
        let p = public_key(k.as_ref()).unwrap();
        let big = vec![0u8; MAX_PLAINTEXT + 1];
        assert_eq!(seal(k.as_ref(), &p, b"", &big), Err(SealError::TooLarge));
        let ct = seal(k.as_ref(), &p, b"", &big[..MAX_PLAINTEXT]).unwrap();
        assert_eq!(ct.len(), 65_535);
        assert_eq!(open(k.as_ref(), b"", &ct).unwrap().1.len(), MAX_PLAINTEXT);
    }
}
