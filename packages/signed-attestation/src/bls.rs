//! Off-chain BLS12-381 for quorum attestations (feature `bls`): keys, signatures, proofs of
//! possession and aggregation with ark-bls12-381, the library behind the CosmWasm host functions,
//! so hash-to-curve and the (ZCash) point encoding are identical. Never in contracts: they verify
//! with `bls12_381_aggregate_g1`, `bls12_381_hash_to_g2` and `bls12_381_pairing_equality`.
//!
//! Scheme: public keys in G1 (48 bytes compressed), signatures in G2 (96 bytes), message hashed to
//! G2 with SHA-256 / SSWU (random oracle). Verification: `e(G1, sig) == e(pk, H(m))`.

use alloc::vec::Vec;

use ark_bls12_381::{g2, Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, Group};
use ark_ff::field_hashers::DefaultFieldHasher;
use ark_ff::{PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use sha2::{Digest, Sha256};

use crate::{bls_pop_message, Attestation, AttestationError, BLS_POP_DST, BLS_SIGNATURE_DST};

/// Bytes of a compressed G1 public key.
pub const PUBLIC_KEY_LEN: usize = 48;
/// Bytes of a compressed G2 signature.
pub const SIGNATURE_LEN: usize = 96;

type G2Hasher =
    MapToCurveBasedHasher<G2Projective, DefaultFieldHasher<Sha256, 128>, WBMap<g2::Config>>;

/// A BLS secret key (a non-zero scalar).
#[derive(Clone)]
pub struct SecretKey(Fr);

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

fn err(msg: &str) -> AttestationError {
    AttestationError::Verifier(msg.into())
}

impl SecretKey {
    /// Derives a key from 32 bytes of secret seed material: `sha256("BITHIVE/BLS-KEY/v1" || seed)`
    /// reduced mod r (a wide reduction is unnecessary for a 255-bit r and a 256-bit hash: bias
    /// below 2^-1).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, AttestationError> {
        let h = Sha256::new()
            .chain_update(b"BITHIVE/BLS-KEY/v1")
            .chain_update(seed)
            .finalize();
        let s = Fr::from_be_bytes_mod_order(&h);
        if s.is_zero() {
            return Err(err("zero BLS secret key"));
        }
        Ok(SecretKey(s))
    }

    /// Compressed G1 public key.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        g1_bytes(&(G1Projective::generator() * self.0).into_affine())
    }

    /// Signature over `msg` with domain `dst`.
    pub fn sign_with_dst(
        &self,
        msg: &[u8],
        dst: &[u8],
    ) -> Result<[u8; SIGNATURE_LEN], AttestationError> {
        let h = hash_to_g2(msg, dst)?;
        Ok(g2_bytes(&(h * self.0).into_affine()))
    }

    /// This attestor's vote on a quorum attestation: a signature over its digest.
    pub fn sign_attestation(
        &self,
        a: &Attestation,
    ) -> Result<[u8; SIGNATURE_LEN], AttestationError> {
        self.sign_with_dst(&a.digest()?.0, BLS_SIGNATURE_DST)
    }

    /// Proof of possession of this key for account `owner` (see [`crate::bls_pop_message`]).
    pub fn proof_of_possession(
        &self,
        owner: &str,
    ) -> Result<[u8; SIGNATURE_LEN], AttestationError> {
        self.sign_with_dst(&bls_pop_message(&self.public_key(), owner), BLS_POP_DST)
    }
}

/// `H(msg)` in G2 exactly as the host's `bls12_381_hash_to_g2(Sha256, msg, dst)`.
pub fn hash_to_g2(msg: &[u8], dst: &[u8]) -> Result<G2Affine, AttestationError> {
    let hasher = G2Hasher::new(dst).map_err(|_| err("bad hash-to-curve domain"))?;
    hasher.hash(msg).map_err(|_| err("hash to G2 failed"))
}

fn g1_bytes(p: &G1Affine) -> [u8; PUBLIC_KEY_LEN] {
    let mut out = [0u8; PUBLIC_KEY_LEN];
    // A compressed G1 point is always 48 bytes; writing into a 48-byte buffer cannot fail.
    let _ = p.serialize_compressed(&mut out[..]);
    out
}

fn g2_bytes(p: &G2Affine) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    let _ = p.serialize_compressed(&mut out[..]);
    out
}

/// Decodes a compressed G1 point (checked: on the curve, in the subgroup).
pub fn g1_from_bytes(b: &[u8]) -> Result<G1Affine, AttestationError> {
    G1Affine::deserialize_compressed(b).map_err(|_| err("invalid G1 point"))
}

/// Decodes a compressed G2 point (checked: on the curve, in the subgroup).
pub fn g2_from_bytes(b: &[u8]) -> Result<G2Affine, AttestationError> {
    G2Affine::deserialize_compressed(b).map_err(|_| err("invalid G2 point"))
}

/// Sum of public keys (the aggregate key of a set of signers).
pub fn aggregate_public_keys(
    keys: &[[u8; PUBLIC_KEY_LEN]],
) -> Result<[u8; PUBLIC_KEY_LEN], AttestationError> {
    sum_points(keys, "no public keys to aggregate", g1_from_bytes, g1_bytes)
}

/// Sum of signatures over the same message (one aggregate signature).
pub fn aggregate_signatures(
    sigs: &[[u8; SIGNATURE_LEN]],
) -> Result<[u8; SIGNATURE_LEN], AttestationError> {
    sum_points(sigs, "no signatures to aggregate", g2_from_bytes, g2_bytes)
}

/// Sum of the encoded points `items`; `empty` is the error when there are none.
fn sum_points<P: AffineRepr, const N: usize>(
    items: &[[u8; N]],
    empty: &str,
    decode: fn(&[u8]) -> Result<P, AttestationError>,
    encode: fn(&P) -> [u8; N],
) -> Result<[u8; N], AttestationError> {
    if items.is_empty() {
        return Err(err(empty));
    }
    let mut acc = P::Group::zero();
    for item in items {
        acc += decode(item)?;
    }
    Ok(encode(&acc.into_affine()))
}

/// `e(G1, sig) == e(pk, H(msg))`. Rejects the identity key (it would verify anything).
pub fn verify(
    public_key: &[u8],
    msg: &[u8],
    dst: &[u8],
    signature: &[u8],
) -> Result<bool, AttestationError> {
    let pk = g1_from_bytes(public_key)?;
    if pk.is_zero() {
        return Ok(false);
    }
    let sig = g2_from_bytes(signature)?;
    let h = hash_to_g2(msg, dst)?;
    Ok(Bls12_381::pairing(G1Affine::generator(), sig) == Bls12_381::pairing(pk, h))
}

/// Verifies an aggregate signature of `public_keys` on a quorum attestation.
pub fn verify_attestation(
    a: &Attestation,
    public_keys: &[[u8; PUBLIC_KEY_LEN]],
    aggregate_signature: &[u8],
) -> Result<bool, AttestationError> {
    let apk = aggregate_public_keys(public_keys)?;
    verify(&apk, &a.digest()?.0, BLS_SIGNATURE_DST, aggregate_signature)
}

/// Verifies a proof of possession of `public_key` by `owner`.
pub fn verify_pop(public_key: &[u8], owner: &str, pop: &[u8]) -> Result<bool, AttestationError> {
    verify(
        public_key,
        &bls_pop_message(public_key, owner),
        BLS_POP_DST,
        pop,
    )
}

/// Signs a quorum attestation with each key and aggregates: what a quorum coordinator posts.
pub fn sign_quorum(
    a: &Attestation,
    keys: &[SecretKey],
) -> Result<[u8; SIGNATURE_LEN], AttestationError> {
    let sigs = keys
        .iter()
        .map(|k| k.sign_attestation(a))
        .collect::<Result<Vec<_>, _>>()?;
    aggregate_signatures(&sigs)
}
