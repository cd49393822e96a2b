//! Off-chain signing and verification with k256 (feature `signing`). Never used in contracts:
//! they verify through the host (`deps.api.secp256k1_verify`).

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};

use crate::{Attestation, AttestationError, PubKey33, Signature64, SignedAttestation};

/// The compressed public key of a signing key.
pub fn public_key(key: &SigningKey) -> PubKey33 {
    let point = key.verifying_key().to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    PubKey33(out)
}

/// Signing key from 32 secret bytes.
pub fn signing_key(secret: &[u8; 32]) -> Result<SigningKey, AttestationError> {
    SigningKey::from_bytes(secret.into())
        .map_err(|_| AttestationError::Verifier("invalid secret key".into()))
}

/// Signs the attestation's digest (RFC 6979, low-s). The attestation's `signer` must be `key`'s
/// public key.
pub fn sign(
    attestation: Attestation,
    key: &SigningKey,
) -> Result<SignedAttestation, AttestationError> {
    if attestation.signer != public_key(key) {
        return Err(AttestationError::Verifier(
            "signer is not the signing key's public key".into(),
        ));
    }
    let digest = attestation.digest()?;
    let signature = sign_digest(key, &digest.0)?;
    Ok(SignedAttestation {
        attestation,
        signature,
    })
}

/// One attestor's secp256k1 signature on a quorum attestation (its `signer` is the quorum
/// key): (this key's public key, signature over the digest), the pair a quorum proof lists.
pub fn sign_as_quorum_member(
    attestation: &Attestation,
    key: &SigningKey,
) -> Result<(PubKey33, Signature64), AttestationError> {
    if !attestation.is_quorum() {
        return Err(AttestationError::Verifier(
            "not a quorum attestation (its signer is not the quorum key)".into(),
        ));
    }
    let digest = attestation.digest()?;
    Ok((public_key(key), sign_digest(key, &digest.0)?))
}

/// Signs a prehashed digest (RFC 6979, low-s).
fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> Result<Signature64, AttestationError> {
    let sig: Signature = key
        .sign_prehash(digest)
        .map_err(|_| AttestationError::Verifier("signing failed".into()))?;
    let sig = sig.normalize_s().unwrap_or(sig);
    let mut out = [0u8; 64];
    out.copy_from_slice(&sig.to_bytes());
    Ok(Signature64(out))
}

/// The operator key's proof of possession for `RegisterNode` sent by `sender` to the staking
/// contract `staking` on `chain_id` (see [`crate::operator_pop_digest`]).
pub fn sign_operator_pop(
    key: &SigningKey,
    chain_id: &str,
    staking: &str,
    sender: &str,
) -> Result<Signature64, AttestationError> {
    let digest = crate::operator_pop_digest(chain_id, staking, sender, &public_key(key))?;
    sign_digest(key, &digest.0)
}

/// An attestor's signature of its re-execution verdict ([`crate::reexecution_digest`]).
pub fn sign_reexecution(
    key: &SigningKey,
    chain_id: &str,
    staking: &str,
    job_key: &crate::Hash32,
    outputs: &[u32],
) -> Result<Signature64, AttestationError> {
    let digest = crate::reexecution_digest(chain_id, staking, job_key, outputs)?;
    sign_digest(key, &digest.0)
}

/// k256 verifier with the same `(hash, signature, pubkey)` shape as the host function; rejects
/// high-s signatures like the CosmWasm host does.
pub fn k256_verify(
    hash: &[u8],
    signature: &[u8],
    public_key: &[u8],
) -> Result<bool, AttestationError> {
    let key = VerifyingKey::from_sec1_bytes(public_key)
        .map_err(|_| AttestationError::Verifier("invalid public key".into()))?;
    let sig = Signature::from_slice(signature)
        .map_err(|_| AttestationError::Verifier("invalid signature encoding".into()))?;
    if sig.normalize_s().is_some() {
        return Ok(false);
    }
    Ok(key.verify_prehash(hash, &sig).is_ok())
}

/// Verifies a signed attestation with k256.
pub fn verify(signed: &SignedAttestation) -> Result<(), AttestationError> {
    signed.verify_with(k256_verify)
}
