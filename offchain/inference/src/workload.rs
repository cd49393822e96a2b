//! The published benchmark workload (ADR 007, decision 5): what an attestor asks a node to run
//! to measure its Pcompute, and what it re-runs in part to check the answer.
//!
//! The workload is the shipped `img_cnn_3x224` model (embedded here, its sha256 checked against
//! its manifest) run on inputs derived from a 32-byte seed ([`input`]). Nobody can compute an
//! answer before the seed is sent, and the attestor can recompute any input alone.
//!
//! Outputs are compared in a canonical quantized form, so that honest machines agree: each class
//! probability rounded to [`QUANTUM`] (10^-6), two answers agreeing when every value differs by
//! at most [`TOLERANCE`] quanta (10^-5). One- and two-thread CPU sessions agree within it
//! (`tests/workload.rs`); CUDA against CPU is to be measured on a GPU machine. The probabilities
//! of different inputs spread over about 4 x 10^-3, so a guessed output lands within the
//! tolerance about once in two hundred tries per input checked.
use std::sync::Mutex;

use ort::session::Session;
use sha2::{Digest, Sha256};

use crate::batcher::{execute, GraphSpec};
use crate::cost::{self, CostError, RunCost};
use crate::manifest::Manifest;
use crate::runtime::Runtime;

/// The workload's model bytes (offchain/inference/models/img_cnn_3x224.onnx).
pub const MODEL: &[u8] = include_bytes!("../models/img_cnn_3x224.onnx");
/// Its manifest (name, input shape, outputs, sha256 of [`MODEL`]).
pub const MANIFEST: &str = include_str!("../models/img_cnn_3x224.toml");
pub use bithive_formulas::quantized::{agrees, quantize, QUANTUM, TOLERANCE};
/// Inputs run as one tensor at most (bounds the memory of one run to about 10 MB).
const BATCH: usize = 16;
const INPUT_DOMAIN: &[u8] = b"BITHIVE/BENCH-INPUT/v1";

/// Why the workload cannot run.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("the embedded workload manifest: {0}")]
    Manifest(String),
    #[error("the embedded workload model does not match its manifest's sha256")]
    Digest,
    #[error("workload session: {0}")]
    Session(String),
    #[error("counting the workload's cost: {0}")]
    Cost(#[from] CostError),
    #[error("running the workload: {0}")]
    Run(String),
}

/// Input `index` of the workload seeded by `seed`: `len` values in [0, 1]. SHA-256 of (seed,
/// index) seeds a SplitMix64 stream, four 16-bit pixels per draw: cheap next to the model (the
/// time an attestor measures is the model's), and unknown to anyone before the seed is sent.
pub fn input(seed: &[u8; 32], index: u32, len: usize) -> Vec<f32> {
    let d: [u8; 32] = Sha256::new()
        .chain_update(INPUT_DOMAIN)
        .chain_update(seed)
        .chain_update(index.to_be_bytes())
        .finalize()
        .into();
    let mut state = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        for k in 0..4 {
            if out.len() == len {
                break;
            }
            out.push(f32::from((z >> (16 * k)) as u16) / f32::from(u16::MAX));
        }
    }
    out
}

/// The workload loaded in one runtime: a session on the runtime's execution provider (a GPU
/// where the node has one) and the workload's counted cost.
pub struct Workload {
    manifest: Manifest,
    spec: GraphSpec,
    session: Mutex<Session>,
    cost: RunCost,
    /// The CUDA device its session runs on (`None`: the CPU).
    cuda_device: Option<i32>,
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("model", &self.manifest.name)
            .field("cost", &self.cost)
            .finish()
    }
}

/// The embedded manifest, checked against the embedded model.
pub fn manifest() -> Result<Manifest, WorkloadError> {
    let m = Manifest::parse(MANIFEST).map_err(WorkloadError::Manifest)?;
    let digest = hex::encode(Sha256::digest(MODEL));
    if m.sha256 != digest {
        return Err(WorkloadError::Digest);
    }
    Ok(m)
}

impl Workload {
    pub fn load(runtime: &Runtime) -> Result<Workload, WorkloadError> {
        let manifest = manifest()?;
        let cost = cost::measure(runtime, &manifest, MODEL)?;
        let session = runtime
            .session(MODEL)
            .map_err(|e| WorkloadError::Session(e.to_string()))?;
        let spec = GraphSpec::of(&manifest);
        Ok(Workload {
            manifest,
            spec,
            session: Mutex::new(session),
            cost,
            cuda_device: runtime.cuda_device(),
        })
    }

    /// The CUDA device the workload runs on; `None` on the CPU.
    pub fn cuda_device(&self) -> Option<i32> {
        self.cuda_device
    }

    /// Multiply-accumulates of one input (counted, the same on every machine).
    pub fn macs_per_input(&self) -> u64 {
        self.cost.macs
    }

    /// Values in one input.
    pub fn input_len(&self) -> usize {
        self.manifest.item_len()
    }

    /// The quantized outputs of inputs `indices` of the workload seeded by `seed`, in order.
    /// Blocking (CPU or GPU work): call it off the async executor.
    pub fn run(&self, seed: &[u8; 32], indices: &[u32]) -> Result<Vec<Vec<u32>>, WorkloadError> {
        let len = self.input_len();
        let mut out = Vec::with_capacity(indices.len());
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        for chunk in indices.chunks(BATCH) {
            let mut data = Vec::with_capacity(chunk.len() * len);
            for &i in chunk {
                data.extend(input(seed, i, len));
            }
            let (_, probs) = execute(&mut session, &self.spec, chunk.len(), &data)
                .map_err(WorkloadError::Run)?;
            out.extend(probs.chunks_exact(self.spec.classes).map(quantize));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_is_the_one_its_manifest_names() {
        let m = manifest().unwrap();
        assert_eq!(m.name, "img_cnn_3x224");
        assert_eq!(m.item_len(), 3 * 224 * 224);
    }

    #[test]
    fn inputs_are_fixed_by_seed_and_index() {
        let a = input(&[1; 32], 0, 100);
        assert_eq!(a.len(), 100);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(a, input(&[1; 32], 0, 100));
        assert_ne!(a, input(&[1; 32], 1, 100));
        assert_ne!(a, input(&[2; 32], 0, 100));
    }
}
