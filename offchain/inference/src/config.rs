//! Engine configuration: TOML file, then environment overrides (documented in the README).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::error::ConfigError;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub runtime: RuntimeConfig,
    pub batching: BatchingConfig,
    pub limits: InputLimits,
    pub models: Vec<ModelEntry>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProviderKind {
    #[default]
    Cpu,
    Cuda,
}

impl FromStr for ExecutionProviderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            other => Err(format!(
                "unknown execution provider {other:?} (cpu or cuda)"
            )),
        }
    }
}

impl std::fmt::Display for ExecutionProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// libonnxruntime.so; ORT_DYLIB_PATH overrides it.
    pub dylib_path: Option<PathBuf>,
    pub execution_provider: ExecutionProviderKind,
    pub cuda_device_id: i32,
    /// When CUDA is requested but unavailable: run on CPU (with a warning) instead of failing.
    pub allow_cpu_fallback: bool,
    /// ONNX Runtime threads inside one operator (per session).
    pub intra_op_threads: usize,
    /// ONNX Runtime threads across operators (per session).
    pub inter_op_threads: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            dylib_path: None,
            execution_provider: ExecutionProviderKind::Cpu,
            cuda_device_id: 0,
            allow_cpu_fallback: false,
            intra_op_threads: 1,
            inter_op_threads: 1,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchingConfig {
    /// Largest batch one model run takes.
    pub max_batch_size: usize,
    /// How long the first request of a batch waits for more, in microseconds.
    pub max_wait_us: u64,
    /// Requests queued or running per model; beyond it callers wait (or get QueueFull).
    pub queue_capacity: usize,
    /// Worker threads per model, each with its own session.
    pub workers_per_model: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        Self {
            max_batch_size: 32,
            max_wait_us: 2_000,
            queue_capacity: 1_024,
            workers_per_model: 1,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputLimits {
    /// Largest encoded image (PNG, JPEG, DICOM) accepted.
    pub max_image_bytes: usize,
    /// Largest decoded image, width x height.
    pub max_image_pixels: u64,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_image_bytes: 64 << 20,
            max_image_pixels: 16_384 * 16_384,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Manifest TOML; the ONNX file sits beside it (manifest `file`, default `<stem>.onnx`).
    pub manifest: PathBuf,
    /// The registered hash, if the operator pins it here; must then equal the manifest's.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl EngineConfig {
    /// Parses TOML; relative manifest paths are resolved against `base_dir`.
    pub fn from_toml_str(text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        let mut config: EngineConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        for model in &mut config.models {
            if model.manifest.is_relative() {
                model.manifest = base_dir.join(&model.manifest);
            }
        }
        Ok(config)
    }

    /// Reads a TOML file, then applies the process environment overrides.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let mut config = Self::from_toml_str(&text, base)?;
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Environment overrides; `get` is the environment (injectable for tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let rt = &mut self.runtime;
        if let Some(v) = get("ORT_DYLIB_PATH").filter(|v| !v.is_empty()) {
            rt.dylib_path = Some(PathBuf::from(v));
        }
        set_from(&get, "BITHIVE_INFERENCE_EP", &mut rt.execution_provider)?;
        set_from(
            &get,
            "BITHIVE_INFERENCE_CUDA_DEVICE",
            &mut rt.cuda_device_id,
        )?;
        set_from(
            &get,
            "BITHIVE_INFERENCE_ALLOW_CPU_FALLBACK",
            &mut rt.allow_cpu_fallback,
        )?;
        set_from(
            &get,
            "BITHIVE_INFERENCE_INTRA_THREADS",
            &mut rt.intra_op_threads,
        )?;
        set_from(
            &get,
            "BITHIVE_INFERENCE_INTER_THREADS",
            &mut rt.inter_op_threads,
        )?;
        let b = &mut self.batching;
        set_from(&get, "BITHIVE_INFERENCE_MAX_BATCH", &mut b.max_batch_size)?;
        set_from(&get, "BITHIVE_INFERENCE_MAX_WAIT_US", &mut b.max_wait_us)?;
        set_from(
            &get,
            "BITHIVE_INFERENCE_QUEUE_CAPACITY",
            &mut b.queue_capacity,
        )?;
        set_from(&get, "BITHIVE_INFERENCE_WORKERS", &mut b.workers_per_model)?;
        self.validate()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let b = &self.batching;
        if b.max_batch_size == 0 || b.queue_capacity == 0 || b.workers_per_model == 0 {
            return Err(ConfigError::Parse(
                "batching.max_batch_size, queue_capacity and workers_per_model must be at least 1"
                    .into(),
            ));
        }
        if self.runtime.intra_op_threads == 0 || self.runtime.inter_op_threads == 0 {
            return Err(ConfigError::Parse(
                "runtime.intra_op_threads and inter_op_threads must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Sets `field` from the environment variable `var` (`get`) when that is set.
fn set_from<T: FromStr>(
    get: impl Fn(&str) -> Option<String>,
    var: &'static str,
    field: &mut T,
) -> Result<(), ConfigError>
where
    T::Err: std::fmt::Display,
{
    if let Some(v) = get(var) {
        *field = parse(var, v)?;
    }
    Ok(())
}

fn parse<T: FromStr>(var: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
        var,
        reason: e.to_string(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn toml_then_env_overrides() {
        let text = r#"
            [runtime]
            dylib_path = "/opt/ort/libonnxruntime.so"
            execution_provider = "cuda"
            intra_op_threads = 4
            [batching]
            max_batch_size = 64
            [[models]]
            manifest = "models/bc_logreg.toml"
        "#;
        let mut c = EngineConfig::from_toml_str(text, Path::new("/etc/bithive")).unwrap();
        assert_eq!(c.runtime.execution_provider, ExecutionProviderKind::Cuda);
        assert_eq!(
            c.models[0].manifest,
            PathBuf::from("/etc/bithive/models/bc_logreg.toml")
        );
        let env: HashMap<&str, &str> = [
            ("ORT_DYLIB_PATH", "/venv/libonnxruntime.so.1.31.1"),
            ("BITHIVE_INFERENCE_EP", "CPU"),
            ("BITHIVE_INFERENCE_MAX_BATCH", "8"),
            ("BITHIVE_INFERENCE_WORKERS", "2"),
        ]
        .into_iter()
        .collect();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(
            c.runtime.dylib_path,
            Some(PathBuf::from("/venv/libonnxruntime.so.1.31.1"))
        );
        assert_eq!(c.runtime.execution_provider, ExecutionProviderKind::Cpu);
        assert_eq!(c.runtime.intra_op_threads, 4);
        assert_eq!(c.batching.max_batch_size, 8);
        assert_eq!(c.batching.workers_per_model, 2);
        assert_eq!(c.batching.queue_capacity, 1_024);
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = EngineConfig::default();
        let err = c
            .apply_env(|k| (k == "BITHIVE_INFERENCE_EP").then(|| "tpu".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("BITHIVE_INFERENCE_EP"), "{err}");
        let err = c
            .apply_env(|k| (k == "BITHIVE_INFERENCE_MAX_BATCH").then(|| "0".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("max_batch_size"), "{err}");
        assert!(EngineConfig::from_toml_str("[runtime]\nbogus = 1", Path::new(".")).is_err());
    }
}
