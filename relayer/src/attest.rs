//! Builds and signs the canonical attestation of a job.
use bithive_interface::attestation::{ExecuteMsg, QueryMsg};
use bithive_signed_attestation::{signing, Attestation, AttestationKind, Hash32, Signature64};
use cosmwasm_std::Binary;
use k256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

use crate::error::RelayerError;
use crate::store::NewJob;
use crate::worker::WorkOutput;

/// The nonce is a function of the job, so signing the same job twice gives the same bytes (and
/// the contract's (signer, nonce) replay check catches any double post).
pub fn job_nonce(job: &NewJob, kind: AttestationKind) -> u64 {
    let mut h = Sha256::new();
    h.update(b"BITHIVE/RELAYER/NONCE/v1\0");
    h.update(job.key().as_bytes());
    h.update([kind.code()]);
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// The attestation of `out` for `job` naming `contract`, signed with `key`. `issued_at` is
/// the verifying chain's latest block time, as the caller read it (the signed attestation is
/// persisted with it).
pub fn build_and_sign(
    job: &NewJob,
    contract: &str,
    kind: AttestationKind,
    out: &WorkOutput,
    issued_at: u64,
    key: &SigningKey,
) -> Result<(Attestation, Signature64), RelayerError> {
    let att = Attestation {
        chain_id: job.chain_id.clone(),
        contract: contract.to_string(),
        job_id: job.job_id.clone(),
        kind,
        result_hash: Hash32(out.result_hash),
        commitments: out.commitments.iter().map(|c| Hash32(*c)).collect(),
        issued_at,
        nonce: job_nonce(job, kind),
        signer: signing::public_key(key),
    };
    let signed = signing::sign(att, key).map_err(|e| RelayerError::Attestation(e.to_string()))?;
    Ok((signed.attestation, signed.signature))
}

/// The attestation contract's `Submit` (`payload`: the consumer payload, sent as `Binary`).
pub fn submit_msg(att: &Attestation, sig: &Signature64, payload: Option<&[u8]>) -> ExecuteMsg {
    ExecuteMsg::Submit {
        attestation: att.clone(),
        signature: *sig,
        payload: payload.map(Binary::from),
    }
}

/// The attestation contract's query for a job's accepted attestation of `kind` (answers `null`
/// when there is none).
pub fn accepted_query(att: &Attestation) -> QueryMsg {
    QueryMsg::Attestation {
        job_id: att.job_id.clone(),
        kind: att.kind,
        contract: Some(att.contract.clone()),
        chain_id: Some(att.chain_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_job_signs_to_the_same_bytes() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let job = NewJob {
            chain_id: "c-1".into(),
            contract: "esc".into(),
            kind: "inference".into(),
            job_id: "j1".into(),
            height: 3,
            attributes: vec![],
        };
        let out = WorkOutput {
            result_hash: [1; 32],
            commitments: vec![[2; 32]],
            summary: None,
            payload: None,
        };
        let a = build_and_sign(&job, "esc", AttestationKind::Inference, &out, 100, &key).unwrap();
        let b = build_and_sign(&job, "esc", AttestationKind::Inference, &out, 100, &key).unwrap();
        assert_eq!(a, b);
        signing::verify(&bithive_signed_attestation::SignedAttestation {
            attestation: a.0.clone(),
            signature: a.1,
        })
        .unwrap();
        let mut other = job.clone();
        other.job_id = "j2".into();
        assert_ne!(
            job_nonce(&job, AttestationKind::Inference),
            job_nonce(&other, AttestationKind::Inference)
        );
        let msg = serde_json::to_value(submit_msg(&a.0, &a.1, None)).unwrap();
        assert_eq!(msg["submit"]["attestation"]["kind"], "inference");
        assert!(msg["submit"]["signature"].is_string());
        assert!(msg["submit"].get("payload").is_none());
        let msg = serde_json::to_value(submit_msg(&a.0, &a.1, Some(b"{}"))).unwrap();
        assert_eq!(msg["submit"]["payload"], "e30=");
    }
}
