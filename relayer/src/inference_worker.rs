//! The inference worker: reads the job's model and input from payfi-escrow, runs it on the
//! offchain/inference engine and attests `result_hash = sha256(canonical result)` (the engine's
//! `result_sha256`) with the input hash as commitment.
//!
//! The escrow's `input` bytes are an encoded image (PNG, JPEG or DICOM Part 10, detected from
//! the bytes), a JSON array of numbers (one tabular row), or a sealed input's reference
//! (`{"sealed_input": {cid, sha256, bytes}}`, [`bithive_content_store::input`]): an image too large
//! for the escrow and private to the patient, sealed to the allowed nodes and bound to its job.
//! The worker fetches it by its content id and opens it in memory with the node's BGW key (which
//! needs `[inference.sealed_models]`); a file sealed for another job, or whose plaintext is not
//! the referenced sha256, fails the job without an attestation.
//!
//! A job on a registered model runs the registry's model. With `[inference.sealed_models]` the
//! worker fetches it by its content id, opens it with the node's BGW key in memory (the plaintext
//! is never written anywhere), checks the ONNX against the registered sha256 and serves it
//! under `<name>@<sha256>`; a node outside the model's recipients, a tampered bundle or a file
//! of another hash is refused, and the job fails without an attestation. Without it, the
//! engine's own file of that name runs, and only if it hashes to the registered sha256.
use std::path::Path;
use std::sync::{Arc, Mutex};

use bithive_content_store::input::{open_input, SealedInputRef, SEALED_INPUT_OVERHEAD};
use bithive_content_store::model::{open_model, SealedModelError};
use bithive_content_store::{Cid, ContentStore, NodeStore, StoreError};
use bithive_dgkbe::bgw::{BgwPublicParams, BgwUserKey};
use bithive_inference::manifest::Manifest;
use sha2::{Digest, Sha256};

use async_trait::async_trait;
use bithive_chain_client::{ChainClient, Event};
use bithive_inference::{Engine, EngineConfig, EngineError, Job, JobInput};
use bithive_interface::attestation::InferencePayload;
use bithive_interface::model_registry::{ModelResponse, QueryMsg as RegistryQuery};
use bithive_interface::payfi_escrow::{JobModel, QueryMsg as EscrowQuery};
use bithive_signed_attestation::AttestationKind;

use crate::config::{JobKind, SealedModelsSection, StoreFields};
use crate::error::RelayerError;
use crate::store::NewJob;
use crate::worker::{self, JobWorker, WorkError, WorkOutput, WorkSummary};

pub struct InferenceWorker {
    engine: Arc<Engine>,
    sealed: Option<SealedModels>,
    explanations: Option<crate::explanations::ExplanationStore>,
}

/// Registered models fetched by content id and opened in memory, each served once by its own
/// engine (on the main engine's runtime).
pub struct SealedModels {
    store: NodeStore,
    params: BgwPublicParams,
    key: Mutex<BgwUserKey>,
    engine: tokio::sync::RwLock<Engine>,
}

impl SealedModels {
    /// From the config section, on `engine`'s runtime.
    pub fn open(section: &SealedModelsSection, engine: &Engine) -> Result<Self, RelayerError> {
        let cfg = |what: &str, e: &dyn std::fmt::Display| {
            RelayerError::Config(format!("inference.sealed_models.{what}: {e}"))
        };
        let store = section.open_store("inference.sealed_models")?;
        let params = std::fs::read(&section.params_file)
            .map_err(|e| cfg("params_file", &e))
            .and_then(|b| BgwPublicParams::from_bytes(&b).map_err(|e| cfg("params_file", &e)))?;
        let key = bithive_secret_file::read(&section.key_file)
            .map_err(|e| cfg("key_file", &e))
            .and_then(|b| BgwUserKey::from_bytes(&b).map_err(|e| cfg("key_file", &e)))?;
        if key.epoch() != params.epoch() || key.index() == 0 || key.index() > params.n() {
            return Err(cfg(
                "key_file",
                &"the key is not of these public parameters (epoch or index)",
            ));
        }
        Ok(SealedModels {
            store,
            params,
            key: Mutex::new(key),
            engine: tokio::sync::RwLock::new(engine.empty_like()),
        })
    }

    /// The engine serving the opened models.
    pub async fn engine(&self) -> tokio::sync::RwLockReadGuard<'_, Engine> {
        self.engine.read().await
    }

    /// The plaintext of job `job_id`'s sealed input `reference`, fetched and opened in memory.
    pub async fn open_input(
        &self,
        job_id: &str,
        reference: &SealedInputRef,
        max_bytes: usize,
    ) -> Result<Vec<u8>, WorkError> {
        let refused = |why: String| WorkError::Permanent(format!("sealed input refused: {why}"));
        if reference.bytes > max_bytes as u64 {
            return Err(refused(format!(
                "{} bytes, above the engine's limit of {max_bytes}",
                reference.bytes
            )));
        }
        let cid: Cid = reference
            .cid
            .parse()
            .map_err(|e| refused(format!("content id {}: {e}", reference.cid)))?;
        // The payer chose the content: never read more than the input it claims plus the sealed
        // header (recipients, wrapped key) and tag; the opened plaintext must then have exactly
        // the claimed length.
        let bound = reference.bytes.saturating_add(SEALED_INPUT_OVERHEAD);
        let bytes = match self.store.get_limited(&cid, bound).await {
            Ok(b) => b,
            Err(e @ StoreError::NotFound(_)) => return Err(WorkError::Retryable(e.to_string())),
            Err(e) => return Err(refused(e.to_string())),
        };
        let plain = {
            let mut key = self.key.lock().map_err(|_| refused("key lock".into()))?;
            open_input(&bytes, job_id, reference, &mut key, &self.params)
        }
        .map_err(|e| match e {
            SealedModelError::WrongModel { .. } => refused("it was sealed for another job".into()),
            e => refused(e.to_string()),
        })?;
        Ok(plain.to_vec())
    }

    /// The served name of registered model `m`, fetching and opening it the first time.
    pub async fn load(&self, m: &ModelResponse) -> Result<String, WorkError> {
        let model = &m.model;
        let serve_as = format!("{}@{}", model.name, model.onnx_sha256);
        let serving = |e: &Engine| e.manifest(&serve_as).is_some();
        if serving(&*self.engine.read().await) {
            return Ok(serve_as);
        }
        let refused = |why: String| {
            WorkError::Permanent(format!(
                "registered model {} ({} v{}) refused: {why}",
                model.id, model.name, model.version
            ))
        };
        let cid: Cid = model
            .content_id
            .parse()
            .map_err(|e| refused(format!("content id {}: {e}", model.content_id)))?;
        let bytes = match self.store.get(&cid).await {
            Ok(b) => b,
            // Not replicated here yet: worth another try.
            Err(e @ StoreError::NotFound(_)) => return Err(WorkError::Retryable(e.to_string())),
            Err(e) => return Err(refused(e.to_string())),
        };
        let files = {
            let mut key = self.key.lock().map_err(|_| refused("key lock".into()))?;
            open_model(&bytes, &model.name, &mut key, &self.params)
        }
        .map_err(|e| match e {
            SealedModelError::NotRecipient { .. } => {
                refused(format!("not sealed to this node: {e}"))
            }
            e => refused(e.to_string()),
        })?;
        let actual = hex::encode(Sha256::digest(&*files.onnx));
        if !actual.eq_ignore_ascii_case(&model.onnx_sha256) {
            return Err(refused(format!(
                "the sealed ONNX has sha256 {actual}, the registry {}",
                model.onnx_sha256
            )));
        }
        let mut manifest =
            Manifest::parse(&files.manifest).map_err(|e| refused(format!("manifest: {e}")))?;
        manifest.name = serve_as.clone();
        let mut engine = self.engine.write().await;
        if !serving(&engine) {
            engine
                .register_bytes(manifest, &files.onnx, &format!("content:{cid}"))
                .map_err(|e| refused(e.to_string()))?;
            tracing::info!(model = %model.name, model_id = model.id, content_id = %cid, "sealed model opened in memory and served");
        }
        Ok(serve_as)
    }
}

impl InferenceWorker {
    pub fn new(engine: Arc<Engine>) -> Self {
        InferenceWorker {
            engine,
            sealed: None,
            explanations: None,
        }
    }

    /// Explains image results of sealed inputs into `store` (the patient fetches them from the
    /// relayer's HTTP server, [`crate::explanations`]).
    pub fn with_explanations(mut self, store: crate::explanations::ExplanationStore) -> Self {
        self.explanations = Some(store);
        self
    }

    /// Registered models come sealed by content id (see the module docs).
    pub fn with_sealed_models(mut self, sealed: SealedModels) -> Self {
        self.sealed = Some(sealed);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
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
pub(crate) async fn registered_model(
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
        Err(e) => return Err(WorkError::chain("escrow job_model query", e)),
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
        .map_err(|e| WorkError::chain("model registry query", e))
}

impl InferenceWorker {
    /// sha256 (lowercase hex) of the file this worker's engine serves under `name`, if any.
    pub fn served_sha256(&self, name: &str) -> Option<String> {
        self.engine
            .status()
            .into_iter()
            .find(|s| s.name == name && s.serving)
            .and_then(|s| s.sha256)
            .map(|h| h.to_ascii_lowercase())
    }

    /// The escrow job's input (through `adjust`, identity for a node's run) through the model
    /// the job paid for; the result and the input's sha256.
    pub async fn infer(
        &self,
        job: &NewJob,
        chain: &ChainClient,
        adjust: impl FnOnce(JobInput) -> JobInput,
    ) -> Result<(bithive_inference::InferenceResult, [u8; 32]), WorkError> {
        let (result, input_hash, _) = self.infer_job(job, chain, adjust, false).await?;
        Ok((result, input_hash))
    }

    /// [`Self::infer`]; with `explain`, a sealed input's result is explained (when its model's
    /// manifest says how) and the explanation key is returned with it.
    async fn infer_job(
        &self,
        job: &NewJob,
        chain: &ChainClient,
        adjust: impl FnOnce(JobInput) -> JobInput,
        explain: bool,
    ) -> Result<
        (
            bithive_inference::InferenceResult,
            [u8; 32],
            Option<zeroize::Zeroizing<[u8; 32]>>,
        ),
        WorkError,
    > {
        let (model, input, input_hash) = worker::fetch_escrow_job(chain, job).await?;
        let mut reply_key = None;
        let input = match SealedInputRef::from_job_input(&input) {
            Some(reference) => {
                let sealed = self.sealed.as_ref().ok_or_else(|| {
                    WorkError::Permanent(
                        "the job's input is sealed, and this node has no \
                         [inference.sealed_models] key to open it"
                            .into(),
                    )
                })?;
                let max = self.engine.config().limits.max_image_bytes;
                let plain = sealed.open_input(&job.job_id, &reference, max).await?;
                if explain {
                    reply_key = Some(bithive_content_store::input::explanation_key(
                        &job.job_id,
                        &plain,
                    ));
                }
                parse_input(&plain)?
            }
            None => parse_input(&input)?,
        };
        let input = adjust(input);
        let make = |name: String, input: JobInput| {
            let j = Job::new(job.job_id.clone(), name, input);
            if reply_key.is_some() {
                j.explained()
            } else {
                j
            }
        };
        let result = match (registered_model(chain, job).await?, &self.sealed) {
            (Some(m), Some(sealed)) => {
                let name = sealed.load(&m).await?;
                let engine = sealed.engine.read().await;
                engine.infer(&make(name, input)).await
            }
            (registered, _) => {
                let model = match registered {
                    Some(m) => self.check_registered(&m)?,
                    None => model,
                };
                self.engine.infer(&make(model, input)).await
            }
        }
        .map_err(classify)?;
        Ok((result, input_hash, reply_key))
    }

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
        EngineError::QueueFull { .. } | EngineError::ShuttingDown => {
            WorkError::Unavailable(e.to_string())
        }
        EngineError::Inference { .. } => WorkError::Retryable(e.to_string()),
        other => WorkError::Permanent(other.to_string()),
    }
}

#[async_trait]
impl JobWorker for InferenceWorker {
    fn job_kind(&self) -> JobKind {
        JobKind::Inference
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        worker::inference_job_id(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (result, input_hash, reply_key) = self.infer_job(job, chain, |i| i, true).await?;
        // The explanation, sealed for the patient, kept before the attestation goes out.
        if let (Some(key), Some(store), Some(_)) =
            (&reply_key, &self.explanations, &result.saliency)
        {
            let doc = serde_json::to_vec(&result)
                .map_err(|e| WorkError::Permanent(format!("explanation: {e}")))?;
            let sealed = bithive_content_store::input::seal_explanation(key, &job.job_id, &doc)
                .map_err(|e| WorkError::Permanent(format!("explanation: {e}")))?;
            let name = bithive_content_store::input::input_name(&job.job_id);
            store
                .put(&name, &sealed)
                .map_err(|e| WorkError::Retryable(format!("explanation store: {e}")))?;
        }
        let mut result_hash = [0u8; 32];
        hex::decode_to_slice(&result.result_sha256, &mut result_hash).map_err(|_| {
            WorkError::Permanent("engine result hash is not 32 bytes of hex".into())
        })?;
        // The result's Tscore and quantized outputs travel in the payload (bound by its hash
        // among the commitments): the escrow keeps the Tscore for the registered model's record
        // (mean Tscore), the attestors re-run a sample of jobs against the outputs.
        let payload = serde_json::to_vec(&InferencePayload {
            node: None,
            tscore: Some(result.tscore),
            // What the attestors compare their re-run with, should they sample this job.
            outputs: Some(bithive_inference::workload::quantize(&result.probabilities)),
            model_sha256: Some(result.model_sha256.clone()),
        })
        .map_err(|e| WorkError::Permanent(format!("inference payload: {e}")))?;
        let payload_hash =
            bithive_signed_attestation::payload_hash(AttestationKind::Inference, &payload).0;
        Ok(WorkOutput {
            result_hash,
            commitments: vec![input_hash, payload_hash],
            summary: Some(WorkSummary::Inference {
                model: result.model,
                label: result.label,
                tscore: result.tscore.to_string(),
                execution_provider: result.execution_provider,
            }),
            payload: Some(payload),
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
