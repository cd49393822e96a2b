//! The keyless attacker's tools, written from the public spec (README, DEM) and not from the
//! crate's private code: a DEM seal under a GT value of the attacker's choosing, and the public
//! g_k read out of the published parameter bytes.

#![allow(dead_code)]

use ark_bls12_381::{Bls12_381, G2Affine};
use ark_ec::pairing::PairingOutput;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;

/// HKDF-SHA256(salt = domain tag, ikm = GT bytes, info = header) -> ChaCha20-Poly1305 with the
/// all-zero nonce and AAD = len(header) u64 BE || header || aad: exactly the honest DEM.
pub fn seal_under(
    session: &PairingOutput<Bls12_381>,
    header: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    let mut ikm = Vec::new();
    session.serialize_compressed(&mut ikm).unwrap();
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"bithive/dgkbe/v1/kem"), &ikm)
        .expand(header, &mut okm)
        .unwrap();
    let mut full = (header.len() as u64).to_be_bytes().to_vec();
    full.extend_from_slice(header);
    full.extend_from_slice(aad);
    ChaCha20Poly1305::new((&okm).into())
        .encrypt(
            &[0u8; 12].into(),
            Payload {
                msg: plaintext,
                aad: &full,
            },
        )
        .unwrap()
}

/// The GT identity: what BGW decryption yields for a user outside S.
pub fn one() -> PairingOutput<Bls12_381> {
    PairingOutput(ark_ff::One::one())
}

/// g_k = alpha^k Q (1 <= k <= n) from the published BGW parameter bytes
/// (`version || n || epoch || g_1 ..`).
pub fn public_g(pp_bytes: &[u8], k: u32) -> G2Affine {
    let at = 13 + (k as usize - 1) * 96;
    G2Affine::deserialize_compressed(&pp_bytes[at..at + 96]).unwrap()
}
