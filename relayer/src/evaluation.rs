//! Attested model evaluations (issue #23): a registered model's held-out accuracy is set in the
//! registry only by a quorum of attestors' `evaluation` attestation, never by its owner.
//!
//! Each attestor runs `bithive-relayer evaluate` (`bithive relayer evaluate`): it scores the
//! registered model on the agreed held-out set with its own engine (the sealed model fetched by
//! content id and opened with its own key in memory, or its own file of the registered hash) and
//! writes an [`EvaluationShare`]: the [`statement`] and its quorum signature. The statement is
//! deterministic (the round, the report hash, an agreed `issued_at`, a nonce derived from both),
//! so attestors who scored the same model on the same set sign the same bytes. Anyone then runs
//! `submit-quorum` with the shares: [`combine`] checks they agree and come from distinct keys, and
//! the attestation contract checks that they are K members of its attestor set.

use std::path::Path;

use bithive_inference::evaluation::{evaluate, Evaluation, HeldOutSet};
use bithive_inference::Engine;
use bithive_interface::attestation::{evaluation_job_id, EvaluationPayload};
use bithive_interface::model_registry::ModelResponse;
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, QUORUM_SIGNER,
};
use cosmwasm_std::Binary;
use sha2::{Digest, Sha256};

use crate::error::RelayerError;
use crate::inference_worker::SealedModels;
pub use crate::quorum::{combine, default_issued_at, sign_share, QuorumShare, ISSUED_AT_STEP};

/// One attestor's part of a quorum evaluation, as written by `evaluate` (JSON).
pub type EvaluationShare = QuorumShare;

fn err(what: impl std::fmt::Display) -> RelayerError {
    RelayerError::Evaluation(what.to_string())
}

/// Scores registered model `m` on `set`: with `sealed`, the registry's sealed file (fetched by
/// content id, opened in memory, checked against the registered sha256); otherwise `engine`'s
/// own model of the registered name, only if it hashes to the registered sha256.
pub async fn evaluate_registered(
    sealed: Option<&SealedModels>,
    engine: &Engine,
    m: &ModelResponse,
    set: &HeldOutSet,
) -> Result<Evaluation, RelayerError> {
    let model = &m.model;
    match sealed {
        Some(s) => {
            let name = s.load(m).await.map_err(err)?;
            let served = s.engine().await;
            evaluate(&served, &name, set).await.map_err(err)
        }
        None => {
            let own = engine.manifest(&model.name).ok_or_else(|| {
                err(format!(
                    "model {} ({}) is not served here and no [inference.sealed_models] is configured",
                    model.id, model.name
                ))
            })?;
            if !own.sha256.eq_ignore_ascii_case(&model.onnx_sha256) {
                return Err(err(format!(
                    "the local {} has sha256 {}, the registry {}",
                    model.name, own.sha256, model.onnx_sha256
                )));
            }
            evaluate(engine, &model.name, set).await.map_err(err)
        }
    }
}

/// The `evaluation` attestation of `e` (model `model_id` on `registry`, round `round`) and the
/// payload it commits to. Deterministic: the nonce is derived from the job id and the report.
pub fn statement(
    chain_id: &str,
    registry: &str,
    model_id: u64,
    round: u64,
    e: &Evaluation,
    issued_at: u64,
) -> Result<(Attestation, Binary), RelayerError> {
    let payload = serde_json::to_vec(&EvaluationPayload {
        accuracy: e.balanced_accuracy,
        dataset: hex::encode(e.dataset_sha256),
        samples: e.samples(),
        // Counted from the model's graph, so every attestor signs the same (ADR 007).
        run_cost: e.run_cost_units.map(cosmwasm_std::Uint128::from),
    })
    .map_err(err)?;
    let job_id = evaluation_job_id(model_id, round);
    let report = e.report_hash();
    let mut h = Sha256::new();
    h.update(b"BITHIVE/EVALUATION-NONCE/v1\0");
    h.update(job_id.as_bytes());
    h.update(report);
    let digest: [u8; 32] = h.finalize().into();
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&digest[..8]);
    let attestation = Attestation {
        chain_id: chain_id.to_string(),
        contract: registry.to_string(),
        job_id,
        kind: AttestationKind::Evaluation,
        result_hash: Hash32(report),
        commitments: vec![payload_hash(AttestationKind::Evaluation, &payload)],
        issued_at,
        nonce: u64::from_be_bytes(nonce),
        signer: QUORUM_SIGNER,
    };
    Ok((attestation, Binary::from(payload)))
}

/// Reads and parses a held-out set file.
pub fn read_set(path: &Path) -> Result<HeldOutSet, RelayerError> {
    let bytes = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    HeldOutSet::parse(&bytes).map_err(|e| err(format!("{}: {e}", path.display())))
}
