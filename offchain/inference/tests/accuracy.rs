//! The shipped breast cancer classifiers give, through the engine (batched), the same labels as
//! Python onnxruntime on the held-out rows and probabilities within 1e-6.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use bithive_inference::{Engine, Job, JobInput};
use cosmwasm_std::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    labels: Vec<String>,
    inputs: Vec<Vec<f32>>,
    y_true: Vec<u32>,
    models: BTreeMap<String, ModelVectors>,
}

#[derive(Deserialize)]
struct ModelVectors {
    sha256: String,
    labels: Vec<u32>,
    probabilities: Vec<Vec<f32>>,
    accuracy: f64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_out_vectors_match_python_onnxruntime() {
    let text = std::fs::read_to_string(common::models_dir().join("bc_test_vectors.json")).unwrap();
    let v: Vectors = serde_json::from_str(&text).unwrap();
    assert_eq!(v.inputs.len(), 143);
    let names: Vec<&str> = v.models.keys().map(String::as_str).collect();
    assert_eq!(names, ["bc_gbt", "bc_logreg", "bc_mlp"]);
    let mut config = common::config(&names);
    config.batching.max_wait_us = 20_000; // generous, so loaded CI machines still batch
    let engine = Arc::new(Engine::with_runtime(common::runtime(), config));

    for (name, mv) in &v.models {
        let status = common::model_status(&engine, name);
        assert!(status.serving, "{name}: {:?}", status.error);
        assert_eq!(status.sha256.as_deref(), Some(mv.sha256.as_str()));

        // All rows at once: they go through the batch queue together.
        let tasks: Vec<_> = v
            .inputs
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let engine = engine.clone();
                let job = Job::new(
                    format!("{name}-{i}"),
                    name.clone(),
                    JobInput::Tabular(row.clone()),
                );
                tokio::spawn(async move { engine.infer(&job).await })
            })
            .collect();
        let mut correct = 0;
        let mut largest_batch = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            let r = task.await.unwrap().unwrap();
            assert_eq!(r.label_index, mv.labels[i], "{name} row {i}");
            assert_eq!(r.label, v.labels[mv.labels[i] as usize]);
            for (p, q) in r.probabilities.iter().zip(&mv.probabilities[i]) {
                assert!((p - q).abs() <= 1e-6, "{name} row {i}: {p} vs python {q}");
            }
            assert!(
                r.verify(),
                "{name} row {i}: result hash or Tscore does not verify"
            );
            assert!(r.tscore <= Decimal::one());
            correct += (r.label_index == v.y_true[i]) as usize;
            largest_batch = largest_batch.max(r.batch_size);
        }
        let accuracy = correct as f64 / v.inputs.len() as f64;
        assert_eq!(accuracy, mv.accuracy, "{name}");
        assert!(accuracy > 0.9, "{name}: {accuracy}");
        assert!(largest_batch > 1, "{name}: rows were never batched");
    }
    engine.shutdown();
}

/// The attestors' held-out evaluation of each shipped classifier gives Python's predictions and
/// scikit-learn's balanced accuracy (the manifests' evidence), and the same report every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_out_evaluation_matches_scikit_learn_balanced_accuracy() {
    use bithive_inference::evaluation::{evaluate, HeldOutSet};
    let bytes = std::fs::read(common::models_dir().join("bc_test_vectors.json")).unwrap();
    let set = HeldOutSet::parse(&bytes).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let names = ["bc_gbt", "bc_logreg", "bc_mlp"];
    let engine = Arc::new(Engine::with_runtime(
        common::runtime(),
        common::config(&names),
    ));
    for name in names {
        let e = evaluate(&engine, name, &set).await.unwrap();
        let python: Vec<u32> = serde_json::from_value(v["models"][name]["labels"].clone()).unwrap();
        assert_eq!(e.predictions, python, "{name}");
        let sklearn = v["models"][name]["balanced_accuracy"].as_f64().unwrap();
        let ours: f64 = e.balanced_accuracy.to_string().parse().unwrap();
        assert!(
            (ours - sklearn).abs() < 1e-15,
            "{name}: {ours} vs {sklearn}"
        );
        assert_eq!(e.samples(), 143);
        assert_eq!(e.dataset_sha256, set.sha256);
        // Deterministic: a second run gives the same report.
        let again = evaluate(&engine, name, &set).await.unwrap();
        assert_eq!(again.report_hash(), e.report_hash(), "{name}");
    }
    // A set whose labels are not the model's is refused before anything runs.
    let mut other = set.clone();
    other.labels = vec!["x".into(), "y".into()];
    assert!(evaluate(&engine, "bc_logreg", &other).await.is_err());
    engine.shutdown();
}
