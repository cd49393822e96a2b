//! Each failure gives its own clear error and the engine keeps serving the other models:
//! hash-mismatched model, corrupted ONNX, wrong-shape input, missing runtime library, CUDA
//! requested without CUDA.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bithive_inference::config::{ExecutionProviderKind, ModelEntry, RuntimeConfig};
use bithive_inference::registry::sha256_hex;
use bithive_inference::runtime::Runtime;
use bithive_inference::{Engine, EngineError, InputError, Job, JobInput, RuntimeError};

const ROW: [f32; 30] = [
    13.0, 20.0, 85.0, 550.0, 0.1, 0.1, 0.08, 0.05, 0.18, 0.06, 0.4, 1.2, 2.8, 40.0, 0.007, 0.025,
    0.03, 0.012, 0.02, 0.0038, 15.0, 26.0, 100.0, 700.0, 0.13, 0.25, 0.27, 0.11, 0.29, 0.084,
];

/// Copies a shipped model and manifest into `dir`, letting `edit` change the ONNX bytes and
/// then the manifest text.
fn copy_model(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>, &mut String)) -> PathBuf {
    let mut onnx = std::fs::read(common::models_dir().join(format!("{name}.onnx"))).unwrap();
    let mut manifest =
        std::fs::read_to_string(common::models_dir().join(format!("{name}.toml"))).unwrap();
    edit(&mut onnx, &mut manifest);
    std::fs::write(dir.join(format!("{name}.onnx")), &onnx).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, manifest).unwrap();
    path
}

fn status_error(engine: &Engine, name: &str) -> String {
    let s = common::model_status(engine, name);
    assert!(!s.serving, "{name} should be refused");
    s.error.unwrap()
}

async fn still_serves(engine: &Engine, model: &str) {
    let r = engine
        .infer(&Job::new(
            "still-serving",
            model,
            JobInput::Tabular(ROW.to_vec()),
        ))
        .await
        .unwrap();
    assert!(r.verify());
}

#[tokio::test]
async fn bad_models_are_refused_and_the_others_served() {
    let dir = tempfile::tempdir().unwrap();
    let (tampered, corrupt, pinned) = (
        dir.path().join("tampered"),
        dir.path().join("corrupt"),
        dir.path().join("pinned"),
    );
    for d in [&tampered, &corrupt, &pinned] {
        std::fs::create_dir(d).unwrap();
    }
    // One flipped byte: the file is no longer the registered model.
    let tampered_manifest = copy_model(&tampered, "bc_logreg", |onnx, _| {
        let last = onnx.len() - 1;
        onnx[last] ^= 1;
    });
    // Corrupted ONNX whose manifest carries its (new) hash: it passes the hash check and the
    // runtime must reject it.
    let corrupt_manifest = copy_model(&corrupt, "bc_mlp", |onnx, manifest| {
        let old = sha256_hex(onnx);
        onnx.truncate(onnx.len() / 2);
        *manifest = manifest.replace(&old, &sha256_hex(onnx));
    });
    // The operator pins a hash in the config that differs from the manifest's.
    let pinned_manifest = copy_model(&pinned, "img_cnn_1x64", |_, _| {});

    let mut config = common::config(&["bc_gbt"]);
    config.models.push(common::entry(tampered_manifest));
    config.models.push(common::entry(corrupt_manifest));
    config.models.push(ModelEntry {
        manifest: pinned_manifest,
        sha256: Some("00".repeat(32)),
    });
    let engine = Engine::with_runtime(common::runtime(), config);
    let err = status_error(&engine, "bc_logreg");
    assert!(err.contains("sha256") && err.contains("refusing"), "{err}");
    let err = status_error(&engine, "bc_mlp");
    assert!(err.contains("not a valid ONNX model"), "{err}");
    let err = status_error(&engine, "img_cnn_1x64");
    assert!(err.contains("registered hash is 0000"), "{err}");
    assert!(engine
        .status()
        .iter()
        .any(|s| s.name == "bc_gbt" && s.serving));

    // The refused models answer with their reason; the good one serves.
    match engine
        .infer(&Job::new(
            "j1",
            "bc_logreg",
            JobInput::Tabular(ROW.to_vec()),
        ))
        .await
    {
        Err(EngineError::ModelUnavailable { reason, .. }) => assert!(reason.contains("sha256")),
        other => panic!("expected ModelUnavailable, got {other:?}"),
    }
    still_serves(&engine, "bc_gbt").await;
    assert!(matches!(
        engine
            .infer(&Job::new("j2", "nope", JobInput::Tabular(ROW.to_vec())))
            .await,
        Err(EngineError::UnknownModel(_))
    ));
}

#[tokio::test]
async fn a_tampered_copy_never_replaces_the_served_model() {
    let dir = tempfile::tempdir().unwrap();
    let tampered = copy_model(dir.path(), "bc_logreg", |onnx, _| onnx[10] ^= 0x40);
    let mut engine = Engine::with_runtime(common::runtime(), common::config(&["bc_logreg"]));
    let (name, result) = engine.register(&common::entry(tampered));
    assert_eq!(name, "bc_logreg");
    assert!(result.unwrap_err().contains("refusing"));
    // An intact duplicate is refused too: names are unique.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    let (_, result) = engine.register(&common::entry(copy_model(&copy, "bc_logreg", |_, _| {})));
    assert!(result.unwrap_err().contains("already served"));
    let s = common::model_status(&engine, "bc_logreg");
    assert!(s.serving);
    still_serves(&engine, "bc_logreg").await;
}

#[tokio::test]
async fn missing_onnx_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = copy_model(dir.path(), "bc_gbt", |_, _| {});
    std::fs::remove_file(dir.path().join("bc_gbt.onnx")).unwrap();
    let mut config = common::config(&["bc_logreg"]);
    config.models.push(common::entry(manifest));
    let engine = Engine::with_runtime(common::runtime(), config);
    let err = status_error(&engine, "bc_gbt");
    assert!(
        err.contains("cannot read") && err.contains("bc_gbt.onnx"),
        "{err}"
    );
    still_serves(&engine, "bc_logreg").await;
}

#[tokio::test]
async fn bad_inputs_get_clear_errors_and_the_model_keeps_serving() {
    let engine = Engine::with_runtime(
        common::runtime(),
        common::config(&["bc_logreg", "img_cnn_1x64"]),
    );
    let job = |input| Job::new("bad", "bc_logreg", input);

    let err = engine
        .infer(&job(JobInput::Tabular(ROW[..29].to_vec())))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Input(InputError::WrongShape { got, .. }) if got == &vec![1, 29]),
        "{err}"
    );
    assert!(err.to_string().contains("[-1, 30]"), "{err}");

    let mut nan = ROW.to_vec();
    nan[3] = f32::NAN;
    let err = engine
        .infer(&job(JobInput::Tabular(nan)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Input(InputError::NonFinite { index: 3, .. })
        ),
        "{err}"
    );

    let err = engine
        .infer(&job(JobInput::Image(vec![0x89, b'P'])))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::Input(InputError::WrongKind { .. })),
        "{err}"
    );

    let img = |input| Job::new("bad-img", "img_cnn_1x64", input);
    let err = engine
        .infer(&img(JobInput::Tensor(vec![0.5; 3 * 64 * 64])))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::Input(InputError::WrongShape { .. })),
        "{err}"
    );
    let err = engine
        .infer(&img(JobInput::Image(b"GIF89a not supported".to_vec())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::Input(InputError::UnknownFormat)),
        "{err}"
    );
    let mut png = std::fs::read(common::fixture("phantom_gray_80x96.png")).unwrap();
    png.truncate(60);
    let err = engine.infer(&img(JobInput::Image(png))).await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Input(InputError::Decode { format: "PNG", .. })
        ),
        "{err}"
    );
    // A real JPEG-LS compressed MR from pydicom: refused with the reason, not mis-decoded.
    let jls = std::fs::read(common::pydicom_file("MR_small_jpeg_ls_lossless.dcm")).unwrap();
    let err = engine.infer(&img(JobInput::Image(jls))).await.unwrap_err();
    assert!(err.to_string().contains("compressed"), "{err}");
    let err = engine
        .infer(&img(JobInput::Tabular(vec![0.0; 4])))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::Input(InputError::WrongKind { .. })),
        "{err}"
    );

    let err = engine
        .infer(&Job::new("", "bc_logreg", JobInput::Tabular(ROW.to_vec())))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::BadJob(_)), "{err}");

    still_serves(&engine, "bc_logreg").await;
    let r = engine
        .infer(&img(JobInput::Image(
            std::fs::read(common::fixture("phantom_gray_80x96.png")).unwrap(),
        )))
        .await
        .unwrap();
    assert_eq!(r.probabilities.len(), 2);
}

#[test]
fn missing_or_wrong_runtime_library_is_named_with_its_fix() {
    let load = |path: Option<PathBuf>| {
        Runtime::load(&RuntimeConfig {
            dylib_path: path,
            ..RuntimeConfig::default()
        })
    };
    let err = load(None).unwrap_err();
    assert!(matches!(err, RuntimeError::NotConfigured));
    assert!(err.to_string().contains("ORT_DYLIB_PATH"), "{err}");

    let err = load(Some("/nonexistent/libonnxruntime.so.1.31.1".into())).unwrap_err();
    assert!(matches!(err, RuntimeError::LibraryMissing { .. }), "{err}");
    assert!(err.to_string().contains("scripts/setup.sh"), "{err}");

    // A file that is not a shared library at all.
    let err = load(Some(common::models_dir().join("bc_logreg.onnx"))).unwrap_err();
    assert!(
        matches!(err, RuntimeError::LibraryUnloadable { .. }),
        "{err}"
    );

    // A real shared library that is not ONNX Runtime (the wheel's provider bridge).
    let other = common::ort_dylib().with_file_name("libonnxruntime_providers_shared.so");
    let err = load(Some(other)).unwrap_err();
    assert!(matches!(err, RuntimeError::NotOnnxRuntime { .. }), "{err}");

    // Engine::start fails as a whole without a runtime.
    let mut config = common::config(&["bc_logreg"]);
    config.runtime.dylib_path = Some("/nonexistent/libonnxruntime.so".into());
    assert!(matches!(
        Engine::start(config),
        Err(RuntimeError::LibraryMissing { .. })
    ));
}

#[test]
fn cuda_without_cuda_is_an_explicit_error_unless_fallback_is_configured() {
    let _ = common::runtime();
    let mut cfg = common::runtime_config();
    cfg.execution_provider = ExecutionProviderKind::Cuda;
    let err = Runtime::load(&cfg).unwrap_err();
    assert!(matches!(err, RuntimeError::CudaUnavailable { .. }), "{err}");
    assert!(err.to_string().contains("onnxruntime-gpu"), "{err}");

    cfg.allow_cpu_fallback = true;
    let rt = Arc::new(Runtime::load(&cfg).unwrap());
    assert_eq!(rt.provider(), ExecutionProviderKind::Cpu);
}
