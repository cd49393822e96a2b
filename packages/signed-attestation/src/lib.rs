//! The one canonical BitHive attestation.
//!
//! An attestation says: "for job `job_id` of `kind` on contract `contract` of chain `chain_id`, the
//! result hashes to `result_hash` (with these `commitments`)", issued at `issued_at` with a fresh
//! `nonce`, signed by the secp256k1 key `signer`. The same type is used by contracts (fraud
//! evidence, patient-activity verification), relayers, engines and the browser package, so it
//! depends on `serde`, `sha2` and `hex` only (no_std + alloc). Signing needs the `signing` feature
//! (k256, off-chain only); contracts verify through `deps.api.secp256k1_verify` with
//! [`Attestation::verify_with`].
//!
//! # Canonical bytes (version 1)
//!
//! All integers big-endian. Strings are UTF-8, prefixed by their length as `u16`.
//!
//! | field        | bytes                                                  |
//! |--------------|--------------------------------------------------------|
//! | domain       | `"BITHIVE/ATTESTATION/v1"` (22 bytes) then `0x00`      |
//! | chain_id     | u16 length + bytes (1..=64)                            |
//! | contract     | u16 length + bytes (1..=128)                           |
//! | job_id       | u16 length + bytes (1..=128)                           |
//! | kind         | u8 ([`AttestationKind::code`])                         |
//! | result_hash  | 32 bytes                                               |
//! | commitments  | u8 count (0..=16) then 32 bytes each                   |
//! | issued_at    | u64 (unix seconds)                                     |
//! | nonce        | u64                                                    |
//! | signer       | 33 bytes (compressed SEC1 public key)                  |
//!
//! The digest is `sha256(canonical bytes)`; the signature is ECDSA over that digest (prehashed,
//! RFC 6979, low-s), 64 bytes `r || s`. The domain tag keeps these signatures from being valid for
//! any other BitHive message (or another version of this one).
//!
//! # Quorum attestations
//!
//! K members of the attestor set sign one body whose `signer` is [`QUORUM_SIGNER`] (33 zero
//! bytes, never a valid key): either K secp256k1 signatures over the digest, or one BLS12-381
//! aggregate (public keys in G1, signatures in G2, "minimal public key" variant) over the digest
//! with [`BLS_SIGNATURE_DST`]. Rogue-key defence: every BLS key is registered with a proof of
//! possession, a signature over [`bls_pop_message`] with the separate [`BLS_POP_DST`].
//!
//! # Payloads and commitments
//!
//! Typed data a consumer needs (work units and Enode inputs, a valuation) travels next to the
//! attestation and is bound to it by [`payload_hash`] (equal to `result_hash` or one of the
//! commitments). Matching attestations commit to the recipient mask with [`mask_commitment`]
//! ([`matching_commitments`] adds a DGKBE ciphertext, for a result that has one).
// no_std + alloc, except with the `schema` feature (schemars derives need std).
#![cfg_attr(not(feature = "schema"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod bytes;
#[cfg(feature = "signing")]
pub mod signing;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use bytes::{u64_string, Hash32, PubKey33, Signature64};

#[cfg(feature = "bls")]
pub mod bls;

/// Domain separation tag of version 1 (followed by one zero byte in the canonical bytes).
pub const DOMAIN: &[u8; 22] = b"BITHIVE/ATTESTATION/v1";
/// Domain of the job key (replay protection of fraud evidence).
pub const JOB_KEY_DOMAIN: &[u8; 22] = b"BITHIVE/ATTEST-JOB/v1\0";
/// Longest `chain_id`, in bytes.
pub const MAX_CHAIN_ID_LEN: usize = 64;
/// Longest `contract` address, in bytes (also the limit of the addresses in
/// [`operator_pop_digest`]).
pub const MAX_CONTRACT_LEN: usize = 128;
/// Longest `job_id`, in bytes.
pub const MAX_JOB_ID_LEN: usize = 128;
/// Most `commitments` one attestation may carry.
pub const MAX_COMMITMENTS: usize = 16;

/// The `signer` of a quorum attestation: 33 zero bytes (not a valid SEC1 key, so no single key can
/// ever produce a signature for it).
pub const QUORUM_SIGNER: PubKey33 = PubKey33([0u8; 33]);
/// Domain of BLS12-381 attestation signatures (hash to G2, SHA-256, SSWU, random oracle).
pub const BLS_SIGNATURE_DST: &[u8] = b"BITHIVE-ATTESTATION-V1-BLS12381G2_XMD:SHA-256_SSWU_RO_";
/// Domain of BLS12-381 proofs of possession (distinct from signatures: a PoP is never a vote).
pub const BLS_POP_DST: &[u8] = b"BITHIVE-ATTESTOR-POP-V1-BLS12381G2_XMD:SHA-256_SSWU_RO_";
/// Domain of payload hashes.
pub const PAYLOAD_DOMAIN: &[u8; 19] = b"BITHIVE/PAYLOAD/v1\0";
/// Domains of the two matching commitments: this one for the recipient mask.
pub const MASK_DOMAIN: &[u8; 23] = b"BITHIVE/MATCH-MASK/v1\0\0";
/// Domain of the DGKBE ciphertext commitment (followed by one zero byte).
pub const CIPHERTEXT_DOMAIN: &[u8; 23] = b"BITHIVE/MATCH-CIPHER/v1";

/// `sha256(PAYLOAD_DOMAIN || kind code || payload)`: binds a typed payload (the exact bytes) to an
/// attestation of `kind`.
pub fn payload_hash(kind: AttestationKind, payload: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update(PAYLOAD_DOMAIN);
    h.update([kind.code()]);
    h.update(payload);
    Hash32(h.finalize().into())
}

/// The commitments of a matching result: `[sha256(MASK_DOMAIN || recipient mask),
/// sha256(CIPHERTEXT_DOMAIN || 0x00 || DGKBE ciphertext)]`, in this order. Unsalted: a chain
/// observer can test guesses of a small set against it, so the matching worker no longer
/// attests it (its one commitment to S_i is the salted `bithive_matching::output::
/// match_commitment`); kept for the attestation format's pinned vectors.
pub fn matching_commitments(recipient_mask: &[u8], ciphertext: &[u8]) -> [Hash32; 2] {
    let mask = mask_commitment(recipient_mask);
    let ct = Sha256::new()
        .chain_update(CIPHERTEXT_DOMAIN)
        .chain_update([0u8])
        .chain_update(ciphertext)
        .finalize();
    [mask, Hash32(ct.into())]
}

/// `sha256(MASK_DOMAIN || recipient mask)`: unsalted, so not attested for matches any more
/// (see [`matching_commitments`]).
pub fn mask_commitment(recipient_mask: &[u8]) -> Hash32 {
    Hash32(
        Sha256::new()
            .chain_update(MASK_DOMAIN)
            .chain_update(recipient_mask)
            .finalize()
            .into(),
    )
}

/// What a BLS attestor signs to prove possession of its key: `"BITHIVE/BLS-POP/v1" || 0x00 ||
/// public key (48 bytes, compressed G1) || owner address (UTF-8)`. Binding the owner stops one
/// account from registering a key another account proved.
pub fn bls_pop_message(public_key: &[u8], owner: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(19 + public_key.len() + owner.len());
    out.extend_from_slice(b"BITHIVE/BLS-POP/v1\0");
    out.extend_from_slice(public_key);
    out.extend_from_slice(owner.as_bytes());
    out
}

/// Domain of an operator key's proof of possession (followed by one zero byte).
pub const OPERATOR_POP_DOMAIN: &[u8; 23] = b"BITHIVE/OPERATOR-POP/v1";

/// What an operator key signs (ECDSA over this digest, prehashed, low-s) to be registered by
/// `sender` on the staking contract `staking` of chain `chain_id`: `sha256("BITHIVE/OPERATOR-POP/v1"
/// || 0x00 || u16 len + chain_id || u16 len + staking || u16 len + sender || operator key (33
/// bytes))`. Binding the sender, the contract and the chain stops anyone from registering a key
/// whose owner did not sign for them (key squatting), here or on another deployment. The domain
/// keeps the signature from being valid as an attestation.
pub fn operator_pop_digest(
    chain_id: &str,
    staking: &str,
    sender: &str,
    operator_key: &PubKey33,
) -> Result<Hash32, AttestationError> {
    let mut out = Vec::with_capacity(
        OPERATOR_POP_DOMAIN.len() + 7 + chain_id.len() + staking.len() + sender.len() + 33,
    );
    out.extend_from_slice(OPERATOR_POP_DOMAIN);
    out.push(0);
    put_str(&mut out, chain_id, MAX_CHAIN_ID_LEN, "chain_id")?;
    put_str(&mut out, staking, MAX_CONTRACT_LEN, "staking")?;
    put_str(&mut out, sender, MAX_CONTRACT_LEN, "sender")?;
    out.extend_from_slice(&operator_key.0);
    Ok(Hash32(Sha256::digest(&out).into()))
}

/// Domain of an attestor's re-execution verdict (ADR 007, decision 6).
pub const REEXECUTION_DOMAIN: &[u8; 22] = b"BITHIVE/REEXECUTION/v1";

/// The digest an attestor signs when its re-run of a node's attested job gave `outputs` (the
/// canonical quantized form) and these disagree with the node's: `sha256("BITHIVE/REEXECUTION/v1"
/// || 0x00 || u16 len + chain_id || u16 len + staking || the attestation's job key (32 bytes) ||
/// u32 count + each output u32, all big-endian)`. The job key binds the exact attestation (chain,
/// contract, job, signer, nonce); the staking contract binds the deployment; the domain keeps the
/// signature from being valid as an attestation or a key proof.
pub fn reexecution_digest(
    chain_id: &str,
    staking: &str,
    job_key: &Hash32,
    outputs: &[u32],
) -> Result<Hash32, AttestationError> {
    let mut out = Vec::with_capacity(
        REEXECUTION_DOMAIN.len() + 5 + chain_id.len() + staking.len() + 36 + 4 * outputs.len(),
    );
    out.extend_from_slice(REEXECUTION_DOMAIN);
    out.push(0);
    put_str(&mut out, chain_id, MAX_CHAIN_ID_LEN, "chain_id")?;
    put_str(&mut out, staking, MAX_CONTRACT_LEN, "staking")?;
    out.extend_from_slice(&job_key.0);
    out.extend_from_slice(&(outputs.len() as u32).to_be_bytes());
    for v in outputs {
        out.extend_from_slice(&v.to_be_bytes());
    }
    Ok(Hash32(Sha256::digest(&out).into()))
}

/// What was attested.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttestationKind {
    /// An inference result of the inference engine.
    Inference,
    /// A double-blind matching result.
    Matching,
    /// Verified compute work of a node.
    ComputeWork,
    /// An asset valuation.
    Valuation,
    /// A patient healthcare activity confirmed by an institution.
    PatientActivity,
    /// A model's held-out accuracy, scored by attestors (always a quorum: an owner grading its
    /// own model is what the kind exists to prevent).
    Evaluation,
}

impl AttestationKind {
    /// Stable byte code in the canonical bytes.
    pub fn code(self) -> u8 {
        match self {
            AttestationKind::Inference => 1,
            AttestationKind::Matching => 2,
            AttestationKind::ComputeWork => 3,
            AttestationKind::Valuation => 4,
            AttestationKind::PatientActivity => 5,
            AttestationKind::Evaluation => 6,
        }
    }
}

/// The attestation (unsigned body).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Attestation {
    /// Chain id of the chain the contract is on (binds the attestation to one deployment).
    pub chain_id: String,
    /// Address of the contract the job belongs to.
    pub contract: String,
    /// Job or request id, unique within the contract.
    pub job_id: String,
    /// What was attested.
    pub kind: AttestationKind,
    /// Hash of the result (e.g. the [`payload_hash`] of a typed payload).
    pub result_hash: Hash32,
    /// Further hashes the result commits to (at most [`MAX_COMMITMENTS`]), e.g. the
    /// [`matching_commitments`]; their order is part of the statement.
    pub commitments: Vec<Hash32>,
    /// Unix seconds.
    pub issued_at: u64,
    /// Chosen fresh by the signer; the attestation contract accepts each `(signer, nonce)` once.
    /// A decimal string in JSON.
    #[serde(with = "u64_string")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub nonce: u64,
    /// The signing key, or [`QUORUM_SIGNER`] for a body signed by a quorum.
    pub signer: PubKey33,
}

/// An attestation with its signature.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SignedAttestation {
    /// The signed body.
    pub attestation: Attestation,
    /// `signer`'s ECDSA signature over the body's [`Attestation::digest`].
    pub signature: Signature64,
}

/// Why an attestation was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttestationError {
    /// A field is empty or longer than allowed.
    FieldLength(&'static str),
    /// More than [`MAX_COMMITMENTS`] commitments.
    TooManyCommitments,
    /// The signature does not verify against `signer`.
    BadSignature,
    /// The verifier itself failed (malformed key or signature).
    Verifier(String),
}

impl core::fmt::Display for AttestationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AttestationError::FieldLength(name) => {
                write!(f, "attestation field {name} has a bad length")
            }
            AttestationError::TooManyCommitments => {
                write!(f, "attestation has too many commitments")
            }
            AttestationError::BadSignature => write!(f, "attestation signature does not verify"),
            AttestationError::Verifier(e) => write!(f, "attestation verifier failed: {e}"),
        }
    }
}

fn put_str(
    out: &mut Vec<u8>,
    s: &str,
    max: usize,
    name: &'static str,
) -> Result<(), AttestationError> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > max {
        return Err(AttestationError::FieldLength(name));
    }
    // max <= 128, fits u16.
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
    Ok(())
}

impl Attestation {
    /// Canonical bytes (see the crate doc for the layout).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, AttestationError> {
        if self.commitments.len() > MAX_COMMITMENTS {
            return Err(AttestationError::TooManyCommitments);
        }
        let mut out = Vec::with_capacity(
            23 + 6
                + self.chain_id.len()
                + self.contract.len()
                + self.job_id.len()
                + 1
                + 32
                + 1
                + 32 * self.commitments.len()
                + 16
                + 33,
        );
        out.extend_from_slice(DOMAIN);
        out.push(0);
        put_str(&mut out, &self.chain_id, MAX_CHAIN_ID_LEN, "chain_id")?;
        put_str(&mut out, &self.contract, MAX_CONTRACT_LEN, "contract")?;
        put_str(&mut out, &self.job_id, MAX_JOB_ID_LEN, "job_id")?;
        out.push(self.kind.code());
        out.extend_from_slice(&self.result_hash.0);
        out.push(self.commitments.len() as u8);
        for c in &self.commitments {
            out.extend_from_slice(&c.0);
        }
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.signer.0);
        Ok(out)
    }

    /// `sha256(canonical bytes)`: what is signed.
    pub fn digest(&self) -> Result<Hash32, AttestationError> {
        Ok(Hash32(Sha256::digest(self.canonical_bytes()?).into()))
    }

    /// Identifies "this signer's statement about this job": two attestations with the same job
    /// key and different results are conflicting. Used to make fraud evidence single-use.
    pub fn job_key(&self) -> Result<Hash32, AttestationError> {
        let mut out = Vec::new();
        out.extend_from_slice(JOB_KEY_DOMAIN);
        put_str(&mut out, &self.chain_id, MAX_CHAIN_ID_LEN, "chain_id")?;
        put_str(&mut out, &self.contract, MAX_CONTRACT_LEN, "contract")?;
        put_str(&mut out, &self.job_id, MAX_JOB_ID_LEN, "job_id")?;
        out.push(self.kind.code());
        out.extend_from_slice(&self.signer.0);
        Ok(Hash32(Sha256::digest(out).into()))
    }

    /// True for a quorum body (signed by K attestors, not by `signer`).
    pub fn is_quorum(&self) -> bool {
        self.signer == QUORUM_SIGNER
    }

    /// True when both attestations are by the same signer about the same job (chain, contract,
    /// job id, kind) but state different results (result hash or commitments).
    pub fn conflicts_with(&self, other: &Attestation) -> bool {
        self.signer == other.signer
            && self.chain_id == other.chain_id
            && self.contract == other.contract
            && self.job_id == other.job_id
            && self.kind == other.kind
            && (self.result_hash != other.result_hash || self.commitments != other.commitments)
    }

    /// Verifies `signature` with a caller-supplied secp256k1 verifier taking
    /// `(message_hash, signature, public_key)`, e.g. `deps.api.secp256k1_verify` in a contract.
    pub fn verify_with<E: core::fmt::Display>(
        &self,
        signature: &Signature64,
        verify: impl FnOnce(&[u8], &[u8], &[u8]) -> Result<bool, E>,
    ) -> Result<(), AttestationError> {
        let digest = self.digest()?;
        match verify(&digest.0, &signature.0, &self.signer.0) {
            Ok(true) => Ok(()),
            Ok(false) => Err(AttestationError::BadSignature),
            Err(e) => Err(AttestationError::Verifier(alloc::format!("{e}"))),
        }
    }
}

impl SignedAttestation {
    /// [`Attestation::verify_with`] on the attestation's own signature.
    pub fn verify_with<E: core::fmt::Display>(
        &self,
        verify: impl FnOnce(&[u8], &[u8], &[u8]) -> Result<bool, E>,
    ) -> Result<(), AttestationError> {
        self.attestation.verify_with(&self.signature, verify)
    }
}
