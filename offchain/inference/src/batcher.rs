//! Dynamic batching: one bounded queue per model, drained by worker threads (each owning an
//! ONNX Runtime session) in batches of up to `max_batch_size` items, waiting at most
//! `max_wait_us` after the first item for more. Capacity is counted in semaphore permits held
//! from submission until the reply: a full model makes callers wait (`submit(.., true)`) or
//! fail fast with `QueueFull` (`submit(.., false)`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::TensorRef;
use serde::Serialize;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::config::BatchingConfig;
use crate::error::EngineError;
use crate::manifest::{DomainGuard, Manifest};

/// One item's raw model output.
#[derive(Clone, Debug, PartialEq)]
pub struct RawOutput {
    pub label_index: u32,
    pub probabilities: Vec<f32>,
    /// Cosine similarity of the item's features to the domain centroid, for a model with a
    /// `[domain]` guard.
    pub domain_similarity: Option<f32>,
    /// Size of the batch the item ran in.
    pub batch_size: u32,
}

/// What a worker needs to know about the model's graph.
#[derive(Clone, Debug)]
pub struct GraphSpec {
    pub model: String,
    pub input_name: String,
    pub input_shape: Vec<i64>,
    pub label_output: String,
    pub probabilities_output: String,
    pub classes: usize,
    /// The manifest's domain guard, when it has one: its features output is read too.
    pub domain: Option<Arc<DomainGuard>>,
}

impl GraphSpec {
    /// The spec of a manifest's graph.
    pub fn of(manifest: &Manifest) -> GraphSpec {
        GraphSpec {
            model: manifest.name.clone(),
            input_name: manifest.input_name.clone(),
            input_shape: manifest.input_shape.clone(),
            label_output: manifest.label_output.clone(),
            probabilities_output: manifest.probabilities_output.clone(),
            classes: manifest.labels.len(),
            domain: manifest.domain.clone().map(Arc::new),
        }
    }
}

/// One batch's outputs: labels [n], probabilities [n * classes], and the domain similarity per
/// item when the graph has a guard.
pub struct BatchOutputs {
    pub labels: Vec<i64>,
    pub probabilities: Vec<f32>,
    pub similarity: Option<Vec<f32>>,
}

#[derive(Debug, Default)]
pub struct QueueStats {
    pub batches: AtomicU64,
    pub items: AtomicU64,
    pub failed_batches: AtomicU64,
    pub largest_batch: AtomicU64,
}

/// Counters of one model queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueSnapshot {
    pub batches: u64,
    pub items: u64,
    pub failed_batches: u64,
    pub largest_batch: u64,
    pub in_flight: u64,
    pub capacity: u64,
}

struct WorkItem {
    tensor: Vec<f32>,
    reply: oneshot::Sender<Result<RawOutput, String>>,
    _permit: OwnedSemaphorePermit,
}

/// A reply that has not arrived yet.
pub struct Pending {
    model: String,
    rx: oneshot::Receiver<Result<RawOutput, String>>,
}

impl Pending {
    pub async fn wait(self) -> Result<RawOutput, EngineError> {
        match self.rx.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(reason)) => Err(EngineError::Inference {
                model: self.model,
                reason,
            }),
            Err(_) => Err(EngineError::ShuttingDown),
        }
    }
}

pub struct ModelQueue {
    spec: Arc<GraphSpec>,
    tx: Mutex<Option<SyncSender<WorkItem>>>,
    permits: Arc<Semaphore>,
    capacity: usize,
    workers: Mutex<Vec<JoinHandle<()>>>,
    stats: Arc<QueueStats>,
}

impl ModelQueue {
    /// Starts one worker thread per session.
    pub fn start(spec: GraphSpec, sessions: Vec<Session>, batching: &BatchingConfig) -> ModelQueue {
        let capacity = batching.queue_capacity;
        let (tx, rx) = mpsc::sync_channel::<WorkItem>(capacity);
        let rx = Arc::new(Mutex::new(rx));
        let spec = Arc::new(spec);
        let stats = Arc::new(QueueStats::default());
        let max_batch = batching.max_batch_size.max(1);
        let max_wait = Duration::from_micros(batching.max_wait_us);
        let workers = sessions
            .into_iter()
            .enumerate()
            .filter_map(|(i, session)| {
                let (rx, spec, stats) = (rx.clone(), spec.clone(), stats.clone());
                let model = spec.model.clone();
                std::thread::Builder::new()
                    .name(format!("infer-{model}-{i}"))
                    .spawn(move || worker(rx, session, &spec, &stats, max_batch, max_wait))
                    .map_err(|e| tracing::error!(%model, "worker thread: {e}"))
                    .ok()
            })
            .collect();
        ModelQueue {
            spec,
            tx: Mutex::new(Some(tx)),
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            workers: Mutex::new(workers),
            stats,
        }
    }

    /// Queues one item tensor (already validated). With `wait`, waits for queue space;
    /// without, fails with `QueueFull` when `queue_capacity` items are queued or running.
    pub async fn submit(&self, tensor: Vec<f32>, wait: bool) -> Result<Pending, EngineError> {
        let permit = if wait {
            self.permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| EngineError::ShuttingDown)?
        } else {
            self.permits
                .clone()
                .try_acquire_owned()
                .map_err(|_| EngineError::QueueFull {
                    model: self.spec.model.clone(),
                    capacity: self.capacity,
                })?
        };
        let (reply, rx) = oneshot::channel();
        let item = WorkItem {
            tensor,
            reply,
            _permit: permit,
        };
        let guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        let tx = guard.as_ref().ok_or(EngineError::ShuttingDown)?;
        // Permits never exceed the channel capacity, so try_send only fails on shutdown.
        tx.try_send(item).map_err(|_| EngineError::ShuttingDown)?;
        Ok(Pending {
            model: self.spec.model.clone(),
            rx,
        })
    }

    pub fn snapshot(&self) -> QueueSnapshot {
        QueueSnapshot {
            batches: self.stats.batches.load(Ordering::Relaxed),
            items: self.stats.items.load(Ordering::Relaxed),
            failed_batches: self.stats.failed_batches.load(Ordering::Relaxed),
            largest_batch: self.stats.largest_batch.load(Ordering::Relaxed),
            in_flight: (self.capacity - self.permits.available_permits()) as u64,
            capacity: self.capacity as u64,
        }
    }

    /// Stops accepting work, lets the workers finish what is queued, and joins them.
    pub fn shutdown(&self) {
        self.permits.close();
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        for w in workers {
            let _ = w.join();
        }
    }
}

impl Drop for ModelQueue {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn worker(
    rx: Arc<Mutex<Receiver<WorkItem>>>,
    mut session: Session,
    spec: &GraphSpec,
    stats: &QueueStats,
    max_batch: usize,
    max_wait: Duration,
) {
    loop {
        // One worker gathers a batch while the others run theirs.
        let batch = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            let first = match rx.recv() {
                Ok(item) => item,
                Err(_) => return, // queue closed and drained
            };
            let mut batch = vec![first];
            let deadline = Instant::now() + max_wait;
            while batch.len() < max_batch {
                let now = Instant::now();
                let next = if now >= deadline {
                    rx.try_recv().map_err(|_| RecvTimeoutError::Timeout)
                } else {
                    rx.recv_timeout(deadline - now)
                };
                match next {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            batch
        };
        // Callers that went away need no work.
        let batch: Vec<WorkItem> = batch.into_iter().filter(|i| !i.reply.is_closed()).collect();
        if batch.is_empty() {
            continue;
        }
        let n = batch.len();
        let mut data = Vec::with_capacity(n * batch[0].tensor.len());
        for item in &batch {
            data.extend_from_slice(&item.tensor);
        }
        match run_batch(&mut session, spec, n, &data) {
            Ok(outputs) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.items.fetch_add(n as u64, Ordering::Relaxed);
                stats.largest_batch.fetch_max(n as u64, Ordering::Relaxed);
                for (item, out) in batch.into_iter().zip(outputs) {
                    let _ = item.reply.send(Ok(out));
                }
            }
            Err(reason) => {
                stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(model = %spec.model, batch = n, "batch failed: {reason}");
                for item in batch {
                    let _ = item.reply.send(Err(reason.clone()));
                }
            }
        }
    }
}

/// Runs `n` items as one [n, ...] tensor (no copy of `data`) and returns the label and
/// probability outputs, checked against the manifest's class count.
pub fn execute(
    session: &mut Session,
    spec: &GraphSpec,
    n: usize,
    data: &[f32],
) -> Result<(Vec<i64>, Vec<f32>), String> {
    let out = execute_all(session, spec, n, data)?;
    Ok((out.labels, out.probabilities))
}

/// [`execute`], with the domain similarity of each item when the spec has a guard.
pub fn execute_all(
    session: &mut Session,
    spec: &GraphSpec,
    n: usize,
    data: &[f32],
) -> Result<BatchOutputs, String> {
    let mut shape = spec.input_shape.clone();
    shape[0] = n as i64;
    let tensor = TensorRef::from_array_view((shape, data)).map_err(|e| e.to_string())?;
    let outputs = session
        .run(ort::inputs![spec.input_name.as_str() => tensor])
        .map_err(|e| e.to_string())?;
    let labels = outputs
        .get(&spec.label_output)
        .ok_or_else(|| format!("no output {}", spec.label_output))?
        .try_extract_tensor::<i64>()
        .map_err(|e| format!("label output: {e}"))?
        .1;
    let (pshape, probs) = outputs
        .get(&spec.probabilities_output)
        .ok_or_else(|| format!("no output {}", spec.probabilities_output))?
        .try_extract_tensor::<f32>()
        .map_err(|e| format!("probabilities output: {e}"))?;
    let k = spec.classes;
    let pdims: &[i64] = pshape;
    if labels.len() != n || pdims != [n as i64, k as i64] {
        return Err(format!(
            "model returned {} labels and probabilities of shape {pdims:?} for a batch of {n} \
             with {k} classes",
            labels.len()
        ));
    }
    let similarity = match &spec.domain {
        None => None,
        Some(guard) => {
            let (fshape, features) = outputs
                .get(&guard.features_output)
                .ok_or_else(|| format!("no output {}", guard.features_output))?
                .try_extract_tensor::<f32>()
                .map_err(|e| format!("features output: {e}"))?;
            let f = guard.centroid.len();
            let fdims: &[i64] = fshape;
            if fdims != [n as i64, f as i64] {
                return Err(format!(
                    "features of shape {fdims:?} for a batch of {n}; the domain centroid has {f}"
                ));
            }
            Some(
                features
                    .chunks_exact(f)
                    .map(|x| guard.similarity(x))
                    .collect(),
            )
        }
    };
    Ok(BatchOutputs {
        labels: labels.to_vec(),
        probabilities: probs.to_vec(),
        similarity,
    })
}

/// `execute`, then the outputs split per item.
pub fn run_batch(
    session: &mut Session,
    spec: &GraphSpec,
    n: usize,
    data: &[f32],
) -> Result<Vec<RawOutput>, String> {
    let out = execute_all(session, spec, n, data)?;
    let k = spec.classes;
    out.labels
        .iter()
        .zip(out.probabilities.chunks_exact(k))
        .enumerate()
        .map(|(i, (&label, p))| {
            if label < 0 || label as usize >= k {
                return Err(format!("label {label} outside the {k} manifest labels"));
            }
            Ok(RawOutput {
                label_index: label as u32,
                probabilities: p.to_vec(),
                domain_similarity: out.similarity.as_ref().map(|s| s[i]),
                batch_size: n as u32,
            })
        })
        .collect()
}
