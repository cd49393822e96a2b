//! Model registry: a model is an ONNX file identified by its sha256, described by its manifest.
//! A file whose hash differs from the registered one is refused before the runtime sees it.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorElementType, ValueType};
use sha2::{Digest, Sha256};

use crate::config::ModelEntry;
use crate::cost::{self, RunCost};
use crate::error::ModelError;
use crate::manifest::Manifest;
use crate::runtime::{Runtime, SessionError};

/// Largest ONNX file the registry reads (models with external weights are not supported).
pub const MAX_MODEL_BYTES: u64 = 2 << 30;

/// A verified model, ready to serve: its manifest, its hash and one session per worker.
pub struct LoadedModel {
    pub manifest: Manifest,
    pub path: PathBuf,
    pub sha256: [u8; 32],
    pub sessions: Vec<Session>,
    /// What one input costs (`None` when the runtime could not profile it: logged).
    pub run_cost: Option<RunCost>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads and verifies a registered model, then opens `sessions` sessions on it.
pub fn load_model(
    runtime: &Runtime,
    entry: &ModelEntry,
    sessions: usize,
) -> Result<LoadedModel, ModelError> {
    let (manifest, path) = Manifest::load(&entry.manifest)?;
    let name = manifest.name.clone();
    let expected = manifest.sha256.to_ascii_lowercase();
    if let Some(pinned) = &entry.sha256 {
        if !pinned.eq_ignore_ascii_case(&expected) {
            return Err(ModelError::HashMismatch {
                model: name,
                path: entry.manifest.clone(),
                expected: pinned.to_ascii_lowercase(),
                actual: expected,
            });
        }
    }
    let bytes = read_bounded(&path)?;
    load_model_bytes(runtime, manifest, path, &bytes, sessions)
}

/// Verifies `bytes` against the manifest's sha256, then opens `sessions` sessions on them (the
/// model never needs to be a file: a sealed model is opened in memory). `path` names where the
/// bytes came from, in errors and logs.
pub fn load_model_bytes(
    runtime: &Runtime,
    manifest: Manifest,
    path: PathBuf,
    bytes: &[u8],
    sessions: usize,
) -> Result<LoadedModel, ModelError> {
    let name = manifest.name.clone();
    let expected = manifest.sha256.to_ascii_lowercase();
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(ModelError::Io {
            path,
            reason: format!(
                "{} bytes exceeds the {MAX_MODEL_BYTES}-byte model limit",
                bytes.len()
            ),
        });
    }
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let actual = hex::encode(digest);
    if actual != expected {
        return Err(ModelError::HashMismatch {
            model: name,
            path,
            expected,
            actual,
        });
    }
    let mut opened = Vec::with_capacity(sessions);
    for _ in 0..sessions.max(1) {
        let session = runtime.session(bytes).map_err(|e| match e {
            SessionError::Model(reason) | SessionError::Setup(reason) => ModelError::InvalidOnnx {
                model: name.clone(),
                path: path.clone(),
                reason,
            },
            SessionError::Provider(source) => ModelError::Runtime {
                model: name.clone(),
                source,
            },
        })?;
        check_signature(&manifest, &session)?;
        opened.push(session);
    }
    let run_cost = match cost::measure(runtime, &manifest, bytes) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(model = %name, "run cost not counted: {e}");
            None
        }
    };
    tracing::info!(model = %name, sha256 = %actual, path = %path.display(),
        run_cost_units = run_cost.map(|c| c.units), "model registered");
    Ok(LoadedModel {
        manifest,
        path,
        sha256: digest,
        sessions: opened,
        run_cost,
    })
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, ModelError> {
    let io = |e: std::io::Error| ModelError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_MODEL_BYTES {
        return Err(ModelError::Io {
            path: path.to_path_buf(),
            reason: format!("{len} bytes exceeds the {MAX_MODEL_BYTES}-byte model limit"),
        });
    }
    std::fs::read(path).map_err(io)
}

/// The graph must have the manifest's input (f32, compatible shape) and both outputs.
fn check_signature(manifest: &Manifest, session: &Session) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Signature {
        model: manifest.name.clone(),
        reason,
    };
    if session.inputs().len() != 1 {
        return Err(bad(format!(
            "the graph has {} inputs, the engine feeds exactly one",
            session.inputs().len()
        )));
    }
    let input = &session.inputs()[0];
    if input.name() != manifest.input_name {
        return Err(bad(format!(
            "graph input is {:?}, manifest says {:?}",
            input.name(),
            manifest.input_name
        )));
    }
    match input.dtype() {
        ValueType::Tensor { ty, shape, .. } => {
            if *ty != TensorElementType::Float32 {
                return Err(bad(format!("input element type is {ty:?}, expected f32")));
            }
            let dims: &[i64] = shape;
            let compatible = dims.len() == manifest.input_shape.len()
                && dims
                    .iter()
                    .zip(&manifest.input_shape)
                    .skip(1)
                    .all(|(&g, &m)| g < 0 || g == m);
            if !compatible {
                return Err(bad(format!(
                    "graph input shape {dims:?} is incompatible with manifest {:?}",
                    manifest.input_shape
                )));
            }
        }
        other => return Err(bad(format!("input is {other:?}, expected a tensor"))),
    }
    for (what, name) in [
        ("label_output", &manifest.label_output),
        ("probabilities_output", &manifest.probabilities_output),
    ] {
        if !session.outputs().iter().any(|o| o.name() == name.as_str()) {
            return Err(bad(format!("{what} {name:?} is not a graph output")));
        }
    }
    // The domain guard's features: a graph output whose last dimension, when the graph fixes
    // it, is the centroid's length (otherwise every batch would fail at run time).
    if let Some(guard) = &manifest.domain {
        let out = session
            .outputs()
            .iter()
            .find(|o| o.name() == guard.features_output.as_str())
            .ok_or_else(|| {
                bad(format!(
                    "domain.features_output {:?} is not a graph output",
                    guard.features_output
                ))
            })?;
        if let ValueType::Tensor { shape, .. } = out.dtype() {
            let dims: &[i64] = shape;
            if let Some(&last) = dims.last() {
                if dims.len() != 2 || (last >= 0 && last as usize != guard.centroid.len()) {
                    return Err(bad(format!(
                        "domain features output has shape {dims:?}; the centroid has {} values",
                        guard.centroid.len()
                    )));
                }
            }
        }
    }
    Ok(())
}
