//! BitHive healthcare AI inference engine.
//!
//! ONNX Runtime (loaded at run time from the configured `libonnxruntime.so`, CPU or CUDA
//! execution provider chosen explicitly), a model registry keyed by sha256 with manifests,
//! dynamic batching with bounded per-model queues, PNG/JPEG/DICOM and tabular inputs, the
//! trustworthiness score Tscore (`bithive_formulas::tscore`) and attestable results.
//! See README.md for the definitions and formats.

pub mod attest;
pub mod batcher;
pub mod config;
pub mod cost;
pub mod engine;
pub mod error;
pub mod evaluation;
pub mod explain;
pub mod input;
pub mod manifest;
pub mod registry;
pub mod runtime;
pub mod trust;
pub mod workload;

pub use attest::InferenceResult;
pub use config::{EngineConfig, ExecutionProviderKind};
pub use engine::{Engine, Job, ModelStatus};
pub use error::{ConfigError, EngineError, InputError, ModelError, RuntimeError};
pub use input::JobInput;
