//! The shipped configuration serves every shipped model, and consensus across them feeds
//! Hconsensus as documented.

mod common;

use bithive_inference::{Engine, EngineConfig, EngineError, Job, JobInput};
use cosmwasm_std::Decimal;

fn shipped_engine() -> Engine {
    let mut config = EngineConfig::load(&common::crate_dir().join("inference.toml")).unwrap();
    config.runtime.dylib_path = Some(common::ort_dylib());
    Engine::with_runtime(common::runtime(), config)
}

fn row(i: usize) -> Vec<f32> {
    let text = std::fs::read_to_string(common::models_dir().join("bc_test_vectors.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["inputs"][i].clone()).unwrap()
}

#[test]
fn shipped_config_serves_all_models() {
    let engine = shipped_engine();
    let status = engine.status();
    let names: Vec<&str> = status.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bc_gbt",
            "bc_logreg",
            "bc_mlp",
            "img_cnn_1x64",
            "img_cnn_3x224"
        ]
    );
    for s in &status {
        assert!(s.serving, "{}: {:?}", s.name, s.error);
    }
    let m = engine.manifest("img_cnn_3x224").unwrap();
    assert_eq!(
        m.tscore.evidence,
        Decimal::zero(),
        "the untrained model claims no evidence"
    );
}

#[tokio::test]
async fn consensus_models_and_peers_set_hconsensus() {
    let engine = shipped_engine();
    let input = JobInput::Tabular(row(0));
    let mut labels = Vec::new();
    for m in ["bc_logreg", "bc_mlp", "bc_gbt"] {
        labels.push(
            engine
                .infer(&Job::new("solo", m, input.clone()))
                .await
                .unwrap()
                .label,
        );
    }
    let mut job = Job::new("ensemble", "bc_logreg", input.clone());
    job.consensus_models = vec!["bc_mlp".into(), "bc_gbt".into()];
    job.peer_labels = vec!["malignant".into(), "benign".into()];
    let r = engine.infer(&job).await.unwrap();
    let opinions = [
        labels[1].as_str(),
        labels[2].as_str(),
        "malignant",
        "benign",
    ];
    let agree = opinions.iter().filter(|o| **o == labels[0]).count();
    assert_eq!(
        r.trust.inputs.h_consensus,
        Decimal::from_ratio(agree as u128, 4u128)
    );
    assert!(r.verify());

    // Alone, there is no corroboration: Hconsensus = 0 and the beta term vanishes.
    let alone = engine
        .infer(&Job::new("alone", "bc_logreg", input.clone()))
        .await
        .unwrap();
    assert_eq!(alone.trust.inputs.h_consensus, Decimal::zero());
    assert_eq!(alone.probabilities, r.probabilities);
    assert_ne!(alone.result_sha256, r.result_sha256);

    // Models with other labels cannot vote.
    job.consensus_models = vec!["img_cnn_1x64".into()];
    assert!(matches!(
        engine.infer(&job).await,
        Err(EngineError::ConsensusLabels { .. })
    ));
}

#[tokio::test]
async fn dquality_counts_features_inside_the_training_range() {
    let engine = shipped_engine();
    let m = engine.manifest("bc_mlp").unwrap();
    let (lo, hi) = (
        m.feature_min.clone().unwrap(),
        m.feature_max.clone().unwrap(),
    );
    let mut x: Vec<f32> = lo.iter().zip(&hi).map(|(a, b)| (a + b) / 2.0).collect();
    let r = engine
        .infer(&Job::new("in", "bc_mlp", JobInput::Tabular(x.clone())))
        .await
        .unwrap();
    assert_eq!(r.trust.inputs.d_quality, Decimal::one());
    x[0] = hi[0] * 10.0; // far outside the radii seen in training
    x[1] = -5.0;
    let r2 = engine
        .infer(&Job::new("out", "bc_mlp", JobInput::Tabular(x)))
        .await
        .unwrap();
    assert_eq!(
        r2.trust.inputs.d_quality,
        Decimal::from_ratio(28u128, 30u128)
    );
}

/// A model registered from memory (a sealed model its recipient opened) serves under its own
/// name, gives the same result as the file, and bytes that are not the manifest's are refused.
#[tokio::test]
async fn a_model_registered_from_memory_serves_like_its_file() {
    let engine = shipped_engine();
    let mut sealed = engine.empty_like();
    assert!(sealed.status().is_empty());
    let dir = common::models_dir();
    let text = std::fs::read_to_string(dir.join("bc_logreg.toml")).unwrap();
    let onnx = std::fs::read(dir.join("bc_logreg.onnx")).unwrap();
    let mut manifest = bithive_inference::manifest::Manifest::parse(&text).unwrap();
    manifest.name = "bc_logreg@sealed".into();
    let name = sealed
        .register_bytes(manifest.clone(), &onnx, "content:test")
        .unwrap();
    assert_eq!(name, "bc_logreg@sealed");
    assert!(
        sealed
            .register_bytes(manifest.clone(), &onnx, "content:again")
            .is_err(),
        "a served name is never replaced"
    );
    let input = JobInput::Tabular(row(0));
    let from_file = engine
        .infer(&Job::new("j", "bc_logreg", input.clone()))
        .await
        .unwrap();
    let from_memory = sealed
        .infer(&Job::new("j", "bc_logreg@sealed", input))
        .await
        .unwrap();
    assert_eq!(from_memory.label, from_file.label);
    assert_eq!(from_memory.model_sha256, from_file.model_sha256);
    assert_eq!(from_memory.tscore, from_file.tscore);

    let mut other = manifest;
    other.name = "tampered".into();
    let mut bytes = onnx;
    bytes[100] ^= 1;
    assert!(matches!(
        sealed.register_bytes(other, &bytes, "content:tampered"),
        Err(bithive_inference::ModelError::HashMismatch { .. })
    ));
}

/// Each shipped model's run cost, counted by the engine at registration, equals the count an
/// independent reading of the same profile gives (onnxruntime's Python API, graph as authored,
/// one zero input, the same per-operator rules; see `bithive_inference::cost`). Deterministic:
/// registering again counts the same.
#[test]
fn shipped_models_have_the_run_cost_of_their_graphs() {
    let engine = shipped_engine();
    let want = [
        ("bc_gbt", 5),
        ("bc_logreg", 90),
        ("bc_mlp", 1_653),
        ("img_cnn_1x64", 2_535_683),
        ("img_cnn_3x224", 34_671_875),
    ];
    for (model, macs) in want {
        let cost = engine
            .run_cost(model)
            .unwrap_or_else(|| panic!("{model}: no cost"));
        assert_eq!(cost.macs, macs, "{model}");
        assert_eq!(cost.units, u64::max(1, macs.div_ceil(1_000)), "{model}");
    }
    let again = shipped_engine();
    assert_eq!(
        again.run_cost("img_cnn_3x224"),
        engine.run_cost("img_cnn_3x224")
    );
}
