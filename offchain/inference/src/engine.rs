//! The engine: a loaded runtime, the registered models (served or refused, each on its own),
//! and the job path input -> batch queue -> trust score -> attestable result.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::attest::{InferenceResult, ResultCore};
use crate::batcher::{GraphSpec, ModelQueue, Pending, QueueSnapshot, RawOutput};
use crate::config::{EngineConfig, ModelEntry};
use crate::cost::RunCost;
use crate::error::{EngineError, InputError, ModelError, RuntimeError};
use crate::input::{self, JobInput, Prepared};
use crate::manifest::Manifest;
use crate::registry::{load_model, load_model_bytes, LoadedModel};
use crate::runtime::Runtime;
use crate::trust;

/// Longest job id accepted (bytes).
pub const MAX_JOB_ID_BYTES: usize = 256;

/// One inference job.
#[derive(Clone, Debug)]
pub struct Job {
    pub job_id: String,
    pub model: String,
    pub input: JobInput,
    /// Other registered models with the same labels to run on the same input; their labels
    /// count towards Hconsensus.
    pub consensus_models: Vec<String>,
    /// Labels other nodes reported for the same input; they count towards Hconsensus too.
    pub peer_labels: Vec<String>,
    /// Explain the result when the model's manifest has `[explain]` (an occlusion saliency
    /// map: `grid²` extra runs). Off for evaluations and benchmarks.
    pub explain: bool,
}

impl Job {
    pub fn new(job_id: impl Into<String>, model: impl Into<String>, input: JobInput) -> Job {
        Job {
            job_id: job_id.into(),
            model: model.into(),
            input,
            consensus_models: Vec::new(),
            peer_labels: Vec::new(),
            explain: false,
        }
    }

    /// The same job, asking for an explanation of its result.
    pub fn explained(mut self) -> Job {
        self.explain = true;
        self
    }
}

struct ServedModel {
    manifest: Manifest,
    sha256: [u8; 32],
    queue: ModelQueue,
    run_cost: Option<RunCost>,
}

enum Slot {
    Serving(Arc<ServedModel>),
    Refused(String),
}

/// What `Engine::status` reports per model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub serving: bool,
    pub sha256: Option<String>,
    pub version: Option<String>,
    pub error: Option<String>,
    pub queue: Option<QueueSnapshot>,
}

pub struct Engine {
    runtime: Arc<Runtime>,
    config: EngineConfig,
    models: BTreeMap<String, Slot>,
}

impl Engine {
    /// Loads the runtime (fatal on error) and registers every configured model; a model that
    /// fails is refused with its error and the others are served.
    pub fn start(config: EngineConfig) -> Result<Engine, RuntimeError> {
        let runtime = Arc::new(Runtime::load(&config.runtime)?);
        Ok(Engine::with_runtime(runtime, config))
    }

    pub fn with_runtime(runtime: Arc<Runtime>, config: EngineConfig) -> Engine {
        let mut engine = Engine {
            runtime,
            config: config.clone(),
            models: BTreeMap::new(),
        };
        for entry in &config.models {
            // A refused model is recorded in its slot; the others still register.
            let _ = engine.register(entry);
        }
        engine
    }

    /// Registers one more model; returns its name and, if refused, why.
    pub fn register(&mut self, entry: &ModelEntry) -> (String, Result<(), String>) {
        let fallback_name = entry
            .manifest
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| entry.manifest.display().to_string());
        let workers = self.config.batching.workers_per_model;
        match load_model(&self.runtime, entry, workers) {
            Ok(loaded) if self.is_serving(&loaded.manifest.name) => {
                // A second file under a served name never replaces the served model.
                let name = loaded.manifest.name.clone();
                let reason = format!(
                    "model {name} from {} not registered: a model with this name is already served",
                    entry.manifest.display()
                );
                tracing::error!("{reason}");
                (name, Err(reason))
            }
            Ok(loaded) => (self.serve(loaded), Ok(())),
            Err(err) => {
                let name = model_name_of(&err).unwrap_or(fallback_name);
                tracing::error!(model = %name, "model refused: {err}");
                let reason = err.to_string();
                if !self.is_serving(&name) {
                    self.models
                        .insert(name.clone(), Slot::Refused(reason.clone()));
                }
                (name, Err(reason))
            }
        }
    }

    /// Serves a model whose manifest and ONNX bytes are already in memory (a sealed model,
    /// opened by its recipient): the bytes must hash to the manifest's sha256. Refused when a
    /// model of the manifest's name is already served; returns the name.
    pub fn register_bytes(
        &mut self,
        manifest: Manifest,
        onnx: &[u8],
        origin: &str,
    ) -> Result<String, ModelError> {
        let name = manifest.name.clone();
        if self.is_serving(&name) {
            return Err(ModelError::Manifest {
                path: origin.into(),
                reason: format!("a model named {name} is already served"),
            });
        }
        let workers = self.config.batching.workers_per_model;
        let loaded = load_model_bytes(&self.runtime, manifest, origin.into(), onnx, workers)?;
        Ok(self.serve(loaded))
    }

    /// An engine on the same runtime and settings, serving no model yet.
    pub fn empty_like(&self) -> Engine {
        Engine {
            runtime: self.runtime.clone(),
            config: EngineConfig {
                models: Vec::new(),
                ..self.config.clone()
            },
            models: BTreeMap::new(),
        }
    }

    fn serve(&mut self, loaded: LoadedModel) -> String {
        let name = loaded.manifest.name.clone();
        let spec = GraphSpec::of(&loaded.manifest);
        let queue = ModelQueue::start(spec, loaded.sessions, &self.config.batching);
        let served = ServedModel {
            manifest: loaded.manifest,
            sha256: loaded.sha256,
            queue,
            run_cost: loaded.run_cost,
        };
        self.models
            .insert(name.clone(), Slot::Serving(Arc::new(served)));
        name
    }

    fn is_serving(&self, name: &str) -> bool {
        matches!(self.models.get(name), Some(Slot::Serving(_)))
    }

    /// What one input of a served model costs ([`crate::cost`]).
    pub fn run_cost(&self, model: &str) -> Option<RunCost> {
        match self.models.get(model) {
            Some(Slot::Serving(m)) => m.run_cost,
            _ => None,
        }
    }

    /// The configuration the engine runs with (limits, batching, models).
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn status(&self) -> Vec<ModelStatus> {
        self.models
            .iter()
            .map(|(name, slot)| match slot {
                Slot::Serving(m) => ModelStatus {
                    name: name.clone(),
                    serving: true,
                    sha256: Some(hex::encode(m.sha256)),
                    version: Some(m.manifest.version.clone()),
                    error: None,
                    queue: Some(m.queue.snapshot()),
                },
                Slot::Refused(error) => ModelStatus {
                    name: name.clone(),
                    serving: false,
                    sha256: None,
                    version: None,
                    error: Some(error.clone()),
                    queue: None,
                },
            })
            .collect()
    }

    pub fn manifest(&self, model: &str) -> Option<&Manifest> {
        match self.models.get(model) {
            Some(Slot::Serving(m)) => Some(&m.manifest),
            _ => None,
        }
    }

    fn served(&self, model: &str) -> Result<&Arc<ServedModel>, EngineError> {
        match self.models.get(model) {
            Some(Slot::Serving(m)) => Ok(m),
            Some(Slot::Refused(reason)) => Err(EngineError::ModelUnavailable {
                model: model.to_string(),
                reason: reason.clone(),
            }),
            None => Err(EngineError::UnknownModel(model.to_string())),
        }
    }

    /// Validates and preprocesses an input for a model, without running it.
    pub fn prepare(&self, model: &str, input: &JobInput) -> Result<Prepared, EngineError> {
        let served = self.served(model)?;
        Ok(input::prepare(
            &served.manifest,
            input,
            &self.config.limits,
        )?)
    }

    /// Runs one prepared item tensor through the model's batch queue.
    pub async fn run_tensor(
        &self,
        model: &str,
        tensor: Vec<f32>,
        wait: bool,
    ) -> Result<RawOutput, EngineError> {
        self.enqueue(model, tensor, wait).await?.wait().await
    }

    async fn enqueue(
        &self,
        model: &str,
        tensor: Vec<f32>,
        wait: bool,
    ) -> Result<Pending, EngineError> {
        let served = self.served(model)?;
        if tensor.len() != served.manifest.item_len() {
            return Err(InputError::WrongShape {
                model: model.to_string(),
                expected: served.manifest.input_shape.clone(),
                got: vec![tensor.len()],
            }
            .into());
        }
        served.queue.submit(tensor, wait).await
    }

    /// Runs a job, waiting for queue space when the model is busy.
    pub async fn infer(&self, job: &Job) -> Result<InferenceResult, EngineError> {
        self.run_job(job, true).await
    }

    /// Runs a job, failing with `QueueFull` instead of waiting when the model is busy.
    pub async fn try_infer(&self, job: &Job) -> Result<InferenceResult, EngineError> {
        self.run_job(job, false).await
    }

    async fn run_job(&self, job: &Job, wait: bool) -> Result<InferenceResult, EngineError> {
        if job.job_id.is_empty() || job.job_id.len() > MAX_JOB_ID_BYTES {
            return Err(EngineError::BadJob(format!(
                "job id must be 1..={MAX_JOB_ID_BYTES} bytes"
            )));
        }
        let served = self.served(&job.model)?.clone();
        let manifest = &served.manifest;
        let prepared = input::prepare(manifest, &job.input, &self.config.limits)?;
        let explain = match (&manifest.explain, job.explain) {
            (Some(x), true) => Some((x.grid as usize, prepared.tensor.clone())),
            _ => None,
        };
        let primary = served.queue.submit(prepared.tensor, wait).await?;
        // Consensus models run on the same input, concurrently with the primary.
        let mut others = Vec::with_capacity(job.consensus_models.len());
        for other in &job.consensus_models {
            let other_served = self.served(other)?;
            if other_served.manifest.labels != manifest.labels {
                return Err(EngineError::ConsensusLabels {
                    model: job.model.clone(),
                    other: other.clone(),
                });
            }
            let p = input::prepare(&other_served.manifest, &job.input, &self.config.limits)?;
            others.push((
                other_served.clone(),
                self.enqueue(other, p.tensor, wait).await?,
            ));
        }
        let out = primary.wait().await?;
        let mut opinions: Vec<String> = job.peer_labels.clone();
        for (other, pending) in others {
            let o = pending.wait().await?;
            opinions.push(other.manifest.labels[o.label_index as usize].clone());
        }
        let label = manifest.labels[out.label_index as usize].clone();
        // The domain guard: refused below its floor, Dquality scaled in its margin.
        let mut d_quality = prepared.d_quality;
        if let (Some(guard), Some(similarity)) = (&manifest.domain, out.domain_similarity) {
            match guard.quality_factor(similarity) {
                Some(factor) => d_quality *= factor,
                None => {
                    return Err(InputError::OutOfDomain {
                        model: manifest.name.clone(),
                        reason: format!(
                            "its features are {similarity:.3} similar to the images the model \
                             was evaluated on, below the {:.3} it accepts",
                            guard.min_similarity
                        ),
                    }
                    .into())
                }
            }
        }
        let saliency = match explain {
            Some((grid, item)) => {
                let mut pending = Vec::with_capacity(grid * grid);
                for k in 0..grid * grid {
                    let copy = crate::explain::occluded_copy(&item, &manifest.input_shape, grid, k);
                    pending.push(served.queue.submit(copy, wait).await?);
                }
                let mut hidden = Vec::with_capacity(pending.len());
                for p in pending {
                    hidden.push(p.wait().await?.probabilities[out.label_index as usize]);
                }
                Some(crate::explain::saliency(
                    grid,
                    out.label_index,
                    out.probabilities[out.label_index as usize],
                    &hidden,
                ))
            }
            None => None,
        };
        let trust = trust::assess(
            manifest.weights(),
            d_quality,
            &out.probabilities,
            &label,
            &opinions,
            manifest.tscore.evidence,
        )?;
        let input_sha256 = job.input.sha256();
        let core = ResultCore {
            job_id: &job.job_id,
            model_sha256: &served.sha256,
            input_sha256: &input_sha256,
            label_index: out.label_index,
            label: &label,
            probabilities: &out.probabilities,
            tscore: trust.tscore,
            saliency_sha256: saliency.as_ref().map(|s| s.sha256()),
        };
        let result_sha256 = hex::encode(core.sha256());
        Ok(InferenceResult {
            job_id: job.job_id.clone(),
            model: manifest.name.clone(),
            model_version: manifest.version.clone(),
            model_sha256: hex::encode(served.sha256),
            input_sha256: hex::encode(input_sha256),
            label,
            label_index: out.label_index,
            probabilities: out.probabilities,
            tscore: trust.tscore,
            trust,
            saliency,
            domain_similarity: out.domain_similarity,
            execution_provider: self.runtime.provider().to_string(),
            batch_size: out.batch_size,
            result_sha256,
        })
    }

    /// Stops every model queue after the queued work is done.
    pub fn shutdown(&self) {
        for slot in self.models.values() {
            if let Slot::Serving(m) = slot {
                m.queue.shutdown();
            }
        }
    }
}

fn model_name_of(err: &ModelError) -> Option<String> {
    match err {
        ModelError::HashMismatch { model, .. }
        | ModelError::InvalidOnnx { model, .. }
        | ModelError::Signature { model, .. }
        | ModelError::Runtime { model, .. } => Some(model.clone()),
        ModelError::Manifest { path, .. } | ModelError::Io { path, .. } => name_from_manifest(path),
    }
}

/// A manifest that parsed far enough to have a name (e.g. its ONNX file is missing).
fn name_from_manifest(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    value.get("name")?.as_str().map(str::to_string)
}
