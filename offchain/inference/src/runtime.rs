//! ONNX Runtime: the shared library loaded at run time (`ort` load-dynamic) and session creation
//! with an explicitly chosen execution provider.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::ep::{self, ExecutionProvider};
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;

use crate::config::{ExecutionProviderKind, RuntimeConfig};
use crate::error::RuntimeError;

/// The ONNX Runtime minor version the `ort` API feature (api-31) needs.
pub const REQUIRED_MINOR: u32 = ort::MINOR_VERSION;

/// A loaded ONNX Runtime library.
pub struct Runtime {
    env: Environment,
    dylib: PathBuf,
    version: String,
    config: RuntimeConfig,
    provider: ExecutionProviderKind,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("dylib", &self.dylib)
            .field("version", &self.version)
            .field("provider", &self.provider)
            .finish()
    }
}

/// Opens `path` and reads the ONNX Runtime version it reports, without handing it to `ort`:
/// every failure becomes one precise error (ort's own loader panics or reports less).
pub fn probe_library(path: &Path) -> Result<String, RuntimeError> {
    if !path.is_file() {
        return Err(RuntimeError::LibraryMissing {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: loading a shared library runs its initialisers; the path is the operator's
    // configured ONNX Runtime, the same library the engine is about to use anyway.
    let lib =
        unsafe { libloading::Library::new(path) }.map_err(|e| RuntimeError::LibraryUnloadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    type GetApiBase = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    // SAFETY: OrtGetApiBase has this signature in every ONNX Runtime release.
    let get_base: libloading::Symbol<GetApiBase> =
        unsafe { lib.get(b"OrtGetApiBase\0") }.map_err(|_| RuntimeError::NotOnnxRuntime {
            path: path.to_path_buf(),
        })?;
    // SAFETY: the symbol is ONNX Runtime's; it returns a static struct (or null).
    let base = unsafe { get_base() };
    if base.is_null() {
        return Err(RuntimeError::NotOnnxRuntime {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: base is a valid static OrtApiBase; GetVersionString returns a static C string.
    let version = unsafe { CStr::from_ptr(((*base).GetVersionString)()) }
        .to_string_lossy()
        .into_owned();
    check_version(path, version)
}

/// The runtime must be 1.x with x at least the API level this crate was built for.
pub fn check_version(path: &Path, version: String) -> Result<String, RuntimeError> {
    let minor = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if !version.starts_with("1.") || minor < REQUIRED_MINOR {
        return Err(RuntimeError::VersionMismatch {
            path: path.to_path_buf(),
            found: version,
            required: REQUIRED_MINOR,
        });
    }
    Ok(version)
}

/// ONNX Runtime allows one environment per process, bound to the first library loaded: every
/// `Runtime` shares it, and asking for another library afterwards is an error.
fn process_environment(dylib: &Path) -> Result<Environment, RuntimeError> {
    static ENV: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);
    let mut slot = ENV.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((loaded, env)) = slot.as_ref() {
        if loaded != dylib {
            return Err(RuntimeError::Environment(format!(
                "this process already uses the ONNX Runtime at {}; it cannot load {} as well",
                loaded.display(),
                dylib.display()
            )));
        }
        return Ok(env.clone());
    }
    let builder = ort::init_from(dylib).map_err(|e| RuntimeError::LibraryUnloadable {
        path: dylib.to_path_buf(),
        reason: e.to_string(),
    })?;
    let env = builder
        .with_name("bithive-inference")
        .with_telemetry(false)
        .build()
        .map_err(|e| RuntimeError::Environment(e.to_string()))?;
    *slot = Some((dylib.to_path_buf(), env.clone()));
    Ok(env)
}

impl Runtime {
    /// Loads the library named by the config (ORT_DYLIB_PATH is applied by the config layer)
    /// and checks that the requested execution provider exists in it.
    pub fn load(config: &RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let dylib = config
            .dylib_path
            .clone()
            .ok_or(RuntimeError::NotConfigured)?;
        let version = probe_library(&dylib)?;
        let env = process_environment(&dylib)?;
        let provider = match config.execution_provider {
            ExecutionProviderKind::Cpu => ExecutionProviderKind::Cpu,
            ExecutionProviderKind::Cuda => {
                let available = ep::CUDA::is_available()
                    .map_err(|e| RuntimeError::Environment(e.to_string()))?;
                if available {
                    ExecutionProviderKind::Cuda
                } else if config.allow_cpu_fallback {
                    tracing::warn!(
                        "CUDA requested but this ONNX Runtime ({version}) has no CUDA execution \
                         provider; running on CPU because allow_cpu_fallback = true"
                    );
                    ExecutionProviderKind::Cpu
                } else {
                    return Err(RuntimeError::CudaUnavailable {
                        detail: format!(
                            "the ONNX Runtime {version} at {} was built without CUDAExecutionProvider",
                            dylib.display()
                        ),
                    });
                }
            }
        };
        tracing::info!(dylib = %dylib.display(), %version, %provider, "ONNX Runtime loaded");
        Ok(Runtime {
            env,
            dylib,
            version,
            config: config.clone(),
            provider,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The ONNX Runtime environment sessions are created in.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    pub fn dylib(&self) -> &Path {
        &self.dylib
    }

    /// The provider sessions actually use (CPU only when requested, or by configured fallback).
    pub fn provider(&self) -> ExecutionProviderKind {
        self.provider
    }

    /// The CUDA device sessions run on, when the provider is CUDA.
    pub fn cuda_device(&self) -> Option<i32> {
        (self.provider == ExecutionProviderKind::Cuda).then_some(self.config.cuda_device_id)
    }

    /// Creates a session from model bytes (the bytes that were hashed: no second read).
    /// Errors are returned as text: the caller knows which model it was.
    pub fn session(&self, model: &[u8]) -> Result<Session, SessionError> {
        let mut builder = self.builder(
            GraphOptimizationLevel::All,
            self.config.intra_op_threads,
            Some(self.config.inter_op_threads),
        )?;
        if self.provider == ExecutionProviderKind::Cuda {
            let cuda = ep::CUDA::default()
                .with_device_id(self.config.cuda_device_id)
                .build()
                .error_on_failure();
            builder = builder.with_execution_providers([cuda]).map_err(|e| {
                SessionError::Provider(RuntimeError::CudaUnavailable {
                    detail: e.to_string(),
                })
            })?;
        }
        builder
            .commit_from_memory(model)
            .map_err(|e| SessionError::Model(e.to_string()))
    }

    /// A CPU session of the graph as authored (no optimization), one thread, profiled to files
    /// named from `prefix`: what [`crate::cost`] counts a model's run cost from, the same on
    /// every machine.
    pub(crate) fn profiling_session(
        &self,
        model: &[u8],
        prefix: &Path,
    ) -> Result<Session, SessionError> {
        self.builder(GraphOptimizationLevel::Disable, 1, None)?
            .with_profiling(prefix)
            .map_err(|e| SessionError::Setup(e.to_string()))?
            .commit_from_memory(model)
            .map_err(|e| SessionError::Model(e.to_string()))
    }

    fn builder(
        &self,
        level: GraphOptimizationLevel,
        intra_threads: usize,
        inter_threads: Option<usize>,
    ) -> Result<SessionBuilder, SessionError> {
        let setup = |e: ort::Error<SessionBuilder>| SessionError::Setup(e.to_string());
        let builder = Session::builder(&self.env)
            .map_err(|e| SessionError::Setup(e.to_string()))?
            .with_optimization_level(level)
            .map_err(setup)?
            .with_intra_threads(intra_threads)
            .map_err(setup)?;
        match inter_threads {
            Some(n) => builder.with_inter_threads(n).map_err(setup),
            None => Ok(builder),
        }
    }
}

/// Why a session could not be created.
#[derive(Debug)]
pub enum SessionError {
    Setup(String),
    Provider(RuntimeError),
    Model(String),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::Setup(r) => write!(f, "session setup: {r}"),
            SessionError::Provider(e) => write!(f, "execution provider: {e}"),
            SessionError::Model(r) => write!(f, "model: {r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_or_foreign_versions_are_refused_with_the_fix() {
        let path = Path::new("/venv/libonnxruntime.so");
        assert!(check_version(path, format!("1.{REQUIRED_MINOR}.1")).is_ok());
        assert!(check_version(path, format!("1.{}.0", REQUIRED_MINOR + 1)).is_ok());
        for old in [
            format!("1.{}.0", REQUIRED_MINOR - 1),
            "1.16.3".into(),
            "2.0.0".into(),
            "garbage".into(),
        ] {
            let err = check_version(path, old.clone()).unwrap_err();
            assert!(matches!(err, RuntimeError::VersionMismatch { .. }), "{old}");
            let msg = err.to_string();
            assert!(
                msg.contains("scripts/setup.sh") && msg.contains("api-NN"),
                "{msg}"
            );
        }
    }
}
