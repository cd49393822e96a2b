//! A model's run cost (ADR 007): what one input costs to run, in work units of
//! [`MACS_PER_UNIT`] multiply-accumulates, counted from the tensor shapes ONNX Runtime reports
//! when it runs the model once as authored (graph optimizations off, CPU provider, one thread).
//! The count depends only on the graph and the input shape, never on the machine or the load, so
//! every attestor that counts the same registered model signs the same number, which a timing
//! could not give a quorum. It is what a paid job on the model earns its node in served units.
//!
//! Per node: convolutions cost `output elements x (input channels per group x kernel size)`,
//! matrix products `output elements x inner dimension`, linear classifiers `inputs x outputs`;
//! every other operator one operation per output element (trees, activations, pooling), a lower
//! bound for tree ensembles, whose depth the runtime does not report.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ort::value::TensorRef;
use serde::Deserialize;
use serde_json::Value;

use crate::manifest::Manifest;
use crate::runtime::Runtime;

/// Multiply-accumulates per work unit.
pub const MACS_PER_UNIT: u64 = 1_000;

/// What one input of a model costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunCost {
    /// Multiply-accumulates (and element operations) of one run on one input.
    pub macs: u64,
    /// `macs / MACS_PER_UNIT`, rounded up (at least 1): what a paid job earns in served units.
    pub units: u64,
}

impl RunCost {
    pub fn from_macs(macs: u64) -> RunCost {
        RunCost {
            macs,
            units: macs.div_ceil(MACS_PER_UNIT).max(1),
        }
    }
}

/// Why a model's cost could not be counted.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("profiling session: {0}")]
    Session(String),
    #[error("profiling run: {0}")]
    Run(String),
    #[error("profile {path}: {reason}")]
    Profile { path: PathBuf, reason: String },
}

/// Counts the run cost of `onnx` (described by `manifest`) with one profiled run on a zero input.
pub fn measure(runtime: &Runtime, manifest: &Manifest, onnx: &[u8]) -> Result<RunCost, CostError> {
    let prefix = profile_prefix();
    let mut session = runtime
        .profiling_session(onnx, &prefix)
        .map_err(|e| CostError::Session(e.to_string()))?;
    let mut shape = manifest.input_shape.clone();
    shape[0] = 1;
    let zeros = vec![0f32; manifest.item_len()];
    let run = (|| {
        let tensor =
            TensorRef::from_array_view((shape, zeros.as_slice())).map_err(|e| e.to_string())?;
        session
            .run(ort::inputs![manifest.input_name.as_str() => tensor])
            .map(|_| ())
            .map_err(|e| e.to_string())
    })();
    // The profile is written by `end_profiling`, run or not; it is read, then removed.
    let file = session
        .end_profiling()
        .map_err(|e| CostError::Run(e.to_string()))?;
    let path = PathBuf::from(file);
    let read = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    run.map_err(CostError::Run)?;
    let bytes = read.map_err(|e| CostError::Profile {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let macs = count(&bytes).map_err(|reason| CostError::Profile { path, reason })?;
    Ok(RunCost::from_macs(macs))
}

/// A fresh profile file prefix in the temp directory (the runtime appends a timestamp).
fn profile_prefix() -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("bithive-cost-{}-{n}", std::process::id()))
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    cat: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    args: Value,
}

/// The multiply-accumulates of one profiled run, from ONNX Runtime's profile (a JSON array of
/// trace events; each node's `*_kernel_time` event names its operator and tensor shapes).
pub fn count(profile: &[u8]) -> Result<u64, String> {
    let events: Vec<Event> = serde_json::from_slice(profile).map_err(|e| e.to_string())?;
    let mut total: u64 = 0;
    let mut nodes = 0usize;
    for e in events {
        if e.cat != "Node" || !e.name.ends_with("_kernel_time") {
            continue;
        }
        nodes += 1;
        let op = e.args["op_name"].as_str().unwrap_or_default();
        let inputs = shapes(&e.args["input_type_shape"]);
        let outputs = shapes(&e.args["output_type_shape"]);
        total = total.saturating_add(node_macs(op, &inputs, &outputs));
    }
    if nodes == 0 {
        return Err("no node ran".into());
    }
    Ok(total)
}

/// `[{"float": [1, 3, 224, 224]}, ...]` -> the dimensions of each tensor.
fn shapes(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_object()?.values().next()?.as_array().cloned())
                .map(|dims| dims.iter().map(|d| d.as_u64().unwrap_or(0)).collect())
                .collect()
        })
        .unwrap_or_default()
}

fn elements(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |a, &d| a.saturating_mul(d))
}

fn node_macs(op: &str, inputs: &[Vec<u64>], outputs: &[Vec<u64>]) -> u64 {
    let out = outputs.first().map_or(0, |d| elements(d));
    let last = |d: Option<&Vec<u64>>| d.and_then(|d| d.last().copied()).unwrap_or(1);
    match op {
        "Conv" | "ConvTranspose" | "FusedConv" => {
            let kernel = inputs
                .get(1)
                .map_or(1, |w| elements(w.get(1..).unwrap_or(&[])));
            out.saturating_mul(kernel)
        }
        "MatMul" | "Gemm" | "FusedMatMul" | "MatMulInteger" => {
            out.saturating_mul(last(inputs.first()))
        }
        "LinearClassifier" | "LinearRegressor" => {
            let classes = last(outputs.last());
            inputs
                .first()
                .map_or(0, |d| elements(d))
                .saturating_mul(classes)
        }
        _ => outputs.iter().map(|d| elements(d)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes the runtime reports for the shipped 64x64 CNN's first convolution and an MLP
    /// layer, and a tree ensemble (no shapes of its trees: one per output element).
    #[test]
    fn counts_convolutions_products_and_other_nodes() {
        let profile = br#"[
          {"cat":"Session","name":"model_loading_array","args":{}},
          {"cat":"Node","name":"conv1_kernel_time","args":{"op_name":"Conv",
            "input_type_shape":[{"float":[1,1,64,64]},{"float":[16,1,3,3]},{"float":[16]}],
            "output_type_shape":[{"float":[1,16,32,32]}]}},
          {"cat":"Node","name":"conv1_fence_before","args":{"op_name":"Conv"}},
          {"cat":"Node","name":"mm_kernel_time","args":{"op_name":"MatMul",
            "input_type_shape":[{"float":[1,30]}],"output_type_shape":[{"float":[1,32]}]}},
          {"cat":"Node","name":"trees_kernel_time","args":{"op_name":"TreeEnsembleClassifier",
            "input_type_shape":[{"float":[1,30]}],
            "output_type_shape":[{"int64":[1]},{"float":[1,2]}]}}
        ]"#;
        let want = 16 * 32 * 32 * 9 + 32 * 30 + (1 + 2);
        assert_eq!(count(profile).unwrap(), want);
        assert_eq!(RunCost::from_macs(want).units, want.div_ceil(1_000));
        assert_eq!(RunCost::from_macs(0).units, 1);
    }

    #[test]
    fn a_profile_without_nodes_or_not_json_is_refused() {
        assert!(count(b"[]").is_err());
        assert!(count(b"{").is_err());
        assert!(count(br#"[{"cat":"Node","name":"x_kernel_time","args":7}]"#).is_ok());
    }
}
