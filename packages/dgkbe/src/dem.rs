//! DEM: the GT session key goes through HKDF-SHA256 (salt = domain tag, info = the full header)
//! into a one-time ChaCha20-Poly1305 key. A fresh `t` per encryption makes every key single-use,
//! so the all-zero nonce is safe; binding the header into both the KDF and the AAD makes any
//! change to C0/C1/C2/epoch an authentication failure.

use ark_bls12_381::Bls12_381;
use ark_ec::pairing::PairingOutput;
use ark_serialize::CanonicalSerialize;
use chacha20poly1305::aead::{self, Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::DgkbeError;

const SALT: &[u8] = b"bithive/dgkbe/v1/kem";
const NONCE: [u8; 12] = [0u8; 12];

fn aead_key(session: &PairingOutput<Bls12_381>, header: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(576));
    // GT elements serialize canonically (576 bytes); writing to a Vec cannot fail.
    let _ = session.serialize_compressed(&mut *ikm);
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(SALT), &ikm).expand(header, &mut okm[..]);
    okm
}

fn aad_of(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(header.len() + aad.len() + 8);
    v.extend_from_slice(&(header.len() as u64).to_be_bytes());
    v.extend_from_slice(header);
    v.extend_from_slice(aad);
    v
}

/// Runs `op` (encrypt or decrypt) on `msg` with the one-time cipher of `session` and `header`,
/// the header bound into the AAD.
fn with_cipher(
    session: &PairingOutput<Bls12_381>,
    header: &[u8],
    msg: &[u8],
    aad: &[u8],
    op: impl FnOnce(&ChaCha20Poly1305, Payload) -> aead::Result<Vec<u8>>,
) -> aead::Result<Vec<u8>> {
    let key = aead_key(session, header);
    let cipher = ChaCha20Poly1305::new((&*key).into());
    let full_aad = aad_of(header, aad);
    op(
        &cipher,
        Payload {
            msg,
            aad: &full_aad,
        },
    )
}

pub fn seal(
    session: &PairingOutput<Bls12_381>,
    header: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, DgkbeError> {
    with_cipher(session, header, plaintext, aad, |cipher, payload| {
        cipher.encrypt(&NONCE.into(), payload)
    })
    .map_err(|_| DgkbeError::PlaintextTooLong)
}

pub fn open(
    session: &PairingOutput<Bls12_381>,
    header: &[u8],
    body: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, DgkbeError> {
    with_cipher(session, header, body, aad, |cipher, payload| {
        cipher.decrypt(&NONCE.into(), payload)
    })
    .map_err(|_| DgkbeError::Authentication)
}
