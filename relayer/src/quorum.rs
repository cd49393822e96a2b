//! Quorum attestations signed apart and submitted once: each attestor signs the same
//! deterministic statement (an evaluation, a node's work report) and writes its [`QuorumShare`];
//! anyone [`combine`]s K shares into one `submit_quorum`, and the attestation contract checks
//! that they are K members of its attestor set.
use bithive_interface::attestation::{ExecuteMsg as AttestationMsg, KeySignature, QuorumProof};
use bithive_signed_attestation::signing::sign_as_quorum_member;
use bithive_signed_attestation::Attestation;
use cosmwasm_std::Binary;
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};

use crate::error::RelayerError;

/// One attestor's part of a quorum attestation (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuorumShare {
    pub attestation: Attestation,
    /// The payload JSON the attestation commits to.
    pub payload: Binary,
    pub signature: KeySignature,
}

/// Default granularity of `issued_at`: attestors signing within the same 10 minutes of chain
/// time sign the same statement without talking to each other.
pub const ISSUED_AT_STEP: u64 = 600;

/// `issued_at` for chain time `now`: rounded down to [`ISSUED_AT_STEP`].
pub fn default_issued_at(now: u64) -> u64 {
    now - now % ISSUED_AT_STEP
}

fn err(what: impl std::fmt::Display) -> RelayerError {
    RelayerError::Attestation(what.to_string())
}

/// This attestor's share: its quorum signature on the statement.
pub fn sign_share(
    attestation: Attestation,
    payload: Binary,
    key: &SigningKey,
) -> Result<QuorumShare, RelayerError> {
    let (key, signature) = sign_as_quorum_member(&attestation, key).map_err(err)?;
    Ok(QuorumShare {
        attestation,
        payload,
        signature: KeySignature { key, signature },
    })
}

/// The `submit_quorum` of `shares`: refused unless they sign the same statement and payload, from
/// distinct keys (the contract checks the signatures and the attestor set).
pub fn combine(shares: &[QuorumShare]) -> Result<AttestationMsg, RelayerError> {
    let first = shares.first().ok_or_else(|| err("no share"))?;
    let mut signatures: Vec<KeySignature> = Vec::with_capacity(shares.len());
    for (i, s) in shares.iter().enumerate() {
        if s.attestation != first.attestation || s.payload != first.payload {
            let what = if s.attestation.job_id != first.attestation.job_id {
                "another job (another model, round, node or epoch)"
            } else if s.attestation.result_hash != first.attestation.result_hash
                || s.payload != first.payload
            {
                "another result (another report, held-out set or measurement)"
            } else if s.attestation.issued_at != first.attestation.issued_at {
                "another issued_at (pass the same --issued-at to every attestor)"
            } else {
                "another statement"
            };
            return Err(err(format!("share {} signs {what} than share 1", i + 1)));
        }
        if signatures.iter().any(|k| k.key == s.signature.key) {
            return Err(err(format!("share {} repeats a key", i + 1)));
        }
        signatures.push(s.signature.clone());
    }
    Ok(AttestationMsg::SubmitQuorum {
        attestation: first.attestation.clone(),
        proof: QuorumProof::Secp256k1 { signatures },
        payload: Some(first.payload.clone()),
    })
}
