//! Shared test setup: the ONNX Runtime library and Python from scripts/setup.sh.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bithive_inference::config::{EngineConfig, ModelEntry, RuntimeConfig};
use bithive_inference::runtime::Runtime;
use bithive_inference::{Engine, ModelStatus};

/// `engine`'s status of model `name`; panics, naming it, when the engine has no such model.
pub fn model_status(engine: &Engine, name: &str) -> ModelStatus {
    engine
        .status()
        .into_iter()
        .find(|s| s.name == name)
        .expect(name)
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn models_dir() -> PathBuf {
    crate_dir().join("models")
}

pub fn fixture(name: &str) -> PathBuf {
    crate_dir().join("tests/fixtures").join(name)
}

/// The venv python of scripts/setup.d/40-inference.sh.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("BITHIVE_INFERENCE_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cache = std::env::var("BITHIVE_CACHE").unwrap_or_else(|_| format!("{home}/.cache/bithive"));
    let p = Path::new(&cache).join("py-inference/bin/python");
    assert!(
        p.exists(),
        "no Python for the inference tests: run `source scripts/setup.sh` (installs \
         onnxruntime and pydicom in {})",
        p.display()
    );
    p
}

pub fn python_output(code: &str) -> String {
    let out = std::process::Command::new(python())
        .args(["-c", code])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// ORT_DYLIB_PATH as exported by scripts/setup.sh, else asked from the venv's onnxruntime.
pub fn ort_dylib() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| match std::env::var("ORT_DYLIB_PATH") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(python_output(
            "import glob, os, onnxruntime; d = os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'); \
             print(sorted(glob.glob(os.path.join(d, 'libonnxruntime.so*')))[0])",
        )),
    })
    .clone()
}

/// A real DICOM file shipped in pydicom's wheel (its test_files directory, asked once).
pub fn pydicom_file(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        PathBuf::from(python_output(
            "import os, pydicom.data; print(os.path.dirname(pydicom.data.get_testdata_file('CT_small.dcm')))",
        ))
    });
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "pydicom test file {} missing",
        path.display()
    );
    path
}

pub fn runtime_config() -> RuntimeConfig {
    RuntimeConfig {
        dylib_path: Some(ort_dylib()),
        ..RuntimeConfig::default()
    }
}

/// One runtime per test process.
pub fn runtime() -> Arc<Runtime> {
    static RT: OnceLock<Arc<Runtime>> = OnceLock::new();
    RT.get_or_init(|| Arc::new(Runtime::load(&runtime_config()).expect("ONNX Runtime")))
        .clone()
}

pub fn entry(manifest: PathBuf) -> ModelEntry {
    ModelEntry {
        manifest,
        sha256: None,
    }
}

/// Config serving the named shipped models.
pub fn config(models: &[&str]) -> EngineConfig {
    EngineConfig {
        runtime: runtime_config(),
        models: models
            .iter()
            .map(|m| entry(models_dir().join(format!("{m}.toml"))))
            .collect(),
        ..EngineConfig::default()
    }
}
