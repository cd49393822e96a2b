//! The inference worker: reads the job's model and input from payfi-escrow, runs it on the
//! offchain/inference engine and attests `result_hash = sha256(canonical result)` (the engine's
//! `result_sha256`) with the input hash as commitment.
//!
//! The escrow's `input` bytes are either an encoded image (PNG, JPEG or DICOM Part 10, detected
//! from the bytes) or a JSON array of numbers (one tabular row).
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bithive_chain_client::{ChainClient, Event};
use bithive_inference::{Engine, EngineConfig, EngineError, Job, JobInput};
use bithive_interface::model_registry::{ModelResponse, QueryMsg as RegistryQuery};
use bithive_interface::payfi_escrow::{JobModel, QueryMsg as EscrowQuery};
use bithive_signed_attestation::AttestationKind;

use crate::error::RelayerError;
use crate::store::NewJob;
use crate::worker::{self, JobWorker, WorkError, WorkOutput, WorkSummary};

pub struct InferenceWorker {
    engine: Arc<Engine>,
}

impl InferenceWorker {
    pub fn new(engine: Arc<Engine>) -> Self {
        InferenceWorker { engine }
    }

    pub fn from_config_file(path: &Path) -> Result<Self, RelayerError> {
        let cfg = EngineConfig::load(path)
            .map_err(|e| RelayerError::Config(format!("inference: {e}")))?;
        let engine = Engine::start(cfg)
            .map_err(|e| RelayerError::Config(format!("inference runtime: {e}")))?;
        for m in engine.status() {
            if !m.serving {
                tracing::warn!(model = %m.name, error = ?m.error, "inference model refused");
            }
        }
        Ok(Self::new(Arc::new(engine)))
    }
}

/// The registry's record of the model the job paid for, when the escrow took a snapshot of one
/// at creation (an escrow with a model registry); `None` otherwise, also for an escrow built
/// before the `job_model` query existed.
async fn registered_model(
    chain: &ChainClient,
    job: &NewJob,
) -> Result<Option<ModelResponse>, WorkError> {
    let snapshot: Option<JobModel> = match chain
        .query_typed(
            &job.contract,
            &EscrowQuery::JobModel {
                job_id: job.job_id.clone(),
            },
        )
        .await
    {
        Ok(s) => s,
        Err(e) if e.to_string().contains("unknown variant") => None,
        Err(e) => return Err(WorkError::Retryable(format!("escrow job_model query: {e}"))),
    };
    let Some(snapshot) = snapshot else {
        return Ok(None);
    };
    chain
        .query_typed(
            snapshot.registry.as_str(),
            &RegistryQuery::Model {
                model_id: snapshot.model_id,
            },
        )
        .await
        .map(Some)
        .map_err(|e| WorkError::Retryable(format!("model registry query: {e}")))
}

impl InferenceWorker {
    /// The engine model to run for registered model `m`: the one of that name, and only if its
    /// ONNX file hashes to the registered sha256 (a node never attests a result of another file
    /// than the one the patient paid for).
    fn check_registered(&self, m: &ModelResponse) -> Result<String, WorkError> {
        let name = &m.model.name;
        let served = self
            .engine
            .status()
            .into_iter()
            .find(|s| &s.name == name && s.serving)
            .ok_or_else(|| {
                WorkError::Permanent(format!(
                    "registered model {} ({name} v{}) is not served by this node",
                    m.model.id, m.model.version
                ))
            })?;
        let ours = served.sha256.unwrap_or_default();
        if !ours.eq_ignore_ascii_case(&m.model.onnx_sha256) {
            return Err(WorkError::Permanent(format!(
                "this node's {name} (sha256 {ours}) is not registered model {} v{} (sha256 {})",
                m.model.id, m.model.version, m.model.onnx_sha256
            )));
        }
        Ok(name.clone())
    }
}

/// Escrow input bytes -> engine input.
pub fn parse_input(bytes: &[u8]) -> Result<JobInput, WorkError> {
    let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let is_dicom = bytes.len() > 132 && &bytes[128..132] == b"DICM";
    if is_png || is_jpeg || is_dicom {
        return Ok(JobInput::Image(bytes.to_vec()));
    }
    let row: Vec<f32> = serde_json::from_slice(bytes).map_err(|_| {
        WorkError::Permanent(
            "input is neither an image (PNG/JPEG/DICOM) nor a JSON array of numbers".into(),
        )
    })?;
    Ok(JobInput::Tabular(row))
}

fn classify(e: EngineError) -> WorkError {
    match e {
        EngineError::QueueFull { .. }
        | EngineError::ShuttingDown
        | EngineError::Inference { .. } => WorkError::Retryable(e.to_string()),
        other => WorkError::Permanent(other.to_string()),
    }
}

#[async_trait]
impl JobWorker for InferenceWorker {
    fn kind(&self) -> &'static str {
        "inference"
    }
    fn attestation_kind(&self) -> AttestationKind {
        AttestationKind::Inference
    }
    fn source_role(&self) -> &'static str {
        crate::worker::ESCROW_ROLE
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        worker::inference_job_id(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (model, input, input_hash) = worker::fetch_escrow_job(chain, job).await?;
        let model = match registered_model(chain, job).await? {
            Some(m) => self.check_registered(&m)?,
            None => model,
        };
        let result = self
            .engine
            .infer(&Job::new(job.job_id.clone(), model, parse_input(&input)?))
            .await
            .map_err(classify)?;
        let mut result_hash = [0u8; 32];
        hex::decode_to_slice(&result.result_sha256, &mut result_hash).map_err(|_| {
            WorkError::Permanent("engine result hash is not 32 bytes of hex".into())
        })?;
        Ok(WorkOutput {
            result_hash,
            commitments: vec![input_hash],
            summary: Some(WorkSummary::Inference {
                model: result.model,
                label: result.label,
                tscore: result.tscore.to_string(),
                execution_provider: result.execution_provider,
            }),
            payload: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_formats() {
        assert!(
            matches!(parse_input(b"[1, 2.5, 3]"), Ok(JobInput::Tabular(v)) if v == vec![1.0, 2.5, 3.0])
        );
        assert!(matches!(
            parse_input(b"\x89PNG\r\n\x1a\nrest"),
            Ok(JobInput::Image(_))
        ));
        assert!(matches!(
            parse_input(b"hello"),
            Err(WorkError::Permanent(_))
        ));
    }
}
