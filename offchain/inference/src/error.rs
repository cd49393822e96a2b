//! Error types. Each failure a relayer operator can hit names its cause and its fix.

use std::path::PathBuf;

use bithive_formulas::tscore::TscoreError;
use thiserror::Error;

/// The ONNX Runtime shared library or an execution provider cannot be used. Fatal for the engine.
#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error(
        "ONNX Runtime library not configured: set ORT_DYLIB_PATH (or runtime.dylib_path in the config) \
         to libonnxruntime.so; `source scripts/setup.sh` installs onnxruntime==1.31.1 and exports it"
    )]
    NotConfigured,
    #[error(
        "ONNX Runtime library not found at {path}: install it with `source scripts/setup.sh` \
         (pip onnxruntime==1.31.1) and point ORT_DYLIB_PATH at its libonnxruntime.so"
    )]
    LibraryMissing { path: PathBuf },
    #[error(
        "{path} could not be loaded as a shared library ({reason}); point ORT_DYLIB_PATH at the \
         libonnxruntime.so of onnxruntime==1.31.x (`source scripts/setup.sh`)"
    )]
    LibraryUnloadable { path: PathBuf, reason: String },
    #[error(
        "{path} is not an ONNX Runtime library (no OrtGetApiBase symbol); point ORT_DYLIB_PATH at \
         the libonnxruntime.so of onnxruntime==1.31.x (`source scripts/setup.sh`)"
    )]
    NotOnnxRuntime { path: PathBuf },
    #[error(
        "ONNX Runtime at {path} is version {found}, this engine needs 1.{required}.x or newer \
         (built with ort feature api-{required}): install a matching runtime (`source scripts/setup.sh` \
         installs onnxruntime==1.31.1), or rebuild bithive-inference with the api-NN feature of your runtime"
    )]
    VersionMismatch {
        path: PathBuf,
        found: String,
        required: u32,
    },
    #[error(
        "CUDA execution provider requested but unavailable ({detail}): install onnxruntime-gpu matching \
         the CUDA driver, or set runtime.execution_provider = \"cpu\" (BITHIVE_INFERENCE_EP=cpu), \
         or allow the fallback with runtime.allow_cpu_fallback = true"
    )]
    CudaUnavailable { detail: String },
    #[error("ONNX Runtime environment could not be created: {0}")]
    Environment(String),
}

/// A model could not be registered. The engine keeps serving the other models.
#[derive(Debug, Error)]
pub enum ModelError {
    #[error("manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("cannot read {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error(
        "model {model}: {path} has sha256 {actual} but the registered hash is {expected}; \
         refusing to serve a model that is not the registered one"
    )]
    HashMismatch {
        model: String,
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("model {model}: {path} is not a valid ONNX model for this runtime: {reason}")]
    InvalidOnnx {
        model: String,
        path: PathBuf,
        reason: String,
    },
    #[error("model {model}: the ONNX graph does not match its manifest: {reason}")]
    Signature { model: String, reason: String },
    #[error("model {model}: {source}")]
    Runtime {
        model: String,
        #[source]
        source: RuntimeError,
    },
}

/// A request's input was rejected before it reached a model.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InputError {
    #[error("model {model} expects input shape {expected:?} (batch dimension -1), got {got:?}")]
    WrongShape {
        model: String,
        expected: Vec<i64>,
        got: Vec<usize>,
    },
    #[error("input value {index} is not finite ({value})")]
    NonFinite { index: usize, value: f32 },
    #[error("model {model} takes {expected} input, not {got}")]
    WrongKind {
        model: String,
        expected: &'static str,
        got: &'static str,
    },
    #[error("input of {bytes} bytes exceeds the limit of {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("image of {width}x{height} pixels exceeds the limit of {limit} pixels")]
    TooManyPixels { width: u64, height: u64, limit: u64 },
    #[error(
        "unrecognised image format: expected PNG, JPEG or DICOM (Part 10, \"DICM\" at byte 128)"
    )]
    UnknownFormat,
    #[error("cannot decode {format} image: {reason}")]
    Decode {
        format: &'static str,
        reason: String,
    },
    #[error("unsupported DICOM image: {reason}")]
    UnsupportedDicom { reason: String },
    /// The image is not what the model was made for (its manifest's `[domain]`): the job is
    /// refused instead of answered with a confident label that means nothing.
    #[error("model {model} refuses this input as out of its domain: {reason}")]
    OutOfDomain { model: String, reason: String },
}

/// A job failed. Only the job fails; the engine and its other models keep serving.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("unknown model {0}")]
    UnknownModel(String),
    #[error("bad job: {0}")]
    BadJob(String),
    #[error("model {model} is not being served: {reason}")]
    ModelUnavailable { model: String, reason: String },
    #[error("model {model}: queue full ({capacity} requests waiting); retry later")]
    QueueFull { model: String, capacity: usize },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("model {model}: inference failed: {reason}")]
    Inference { model: String, reason: String },
    #[error("model {model}: consensus model {other} has different labels")]
    ConsensusLabels { model: String, other: String },
    #[error("Tscore: {0}")]
    Tscore(#[from] TscoreError),
    #[error("engine is shutting down")]
    ShuttingDown,
}

/// Configuration could not be read.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("invalid config: {0}")]
    Parse(String),
    #[error("environment variable {var}={value:?} is invalid: {reason}")]
    Env {
        var: &'static str,
        value: String,
        reason: String,
    },
}
