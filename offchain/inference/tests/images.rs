//! The (untrained) image models: the engine's decoding and preprocessing of PNG, JPEG and real
//! DICOM files (pydicom's CT and MR test files) and its outputs agree with the Python reference
//! (models/make_models.py) run with Python onnxruntime.

mod common;

use std::collections::BTreeMap;

use bithive_inference::{Engine, Job, JobInput};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    models: BTreeMap<String, ModelVectors>,
}

#[derive(Deserialize)]
struct ModelVectors {
    sha256: String,
    cases: BTreeMap<String, Case>,
}

#[derive(Deserialize)]
struct Case {
    labels: Vec<u32>,
    probabilities: Vec<Vec<f32>>,
    #[serde(default)]
    input_sum: Option<f64>,
    #[serde(default)]
    input_head: Option<Vec<f32>>,
}

fn case_bytes(case: &str) -> Vec<u8> {
    match case.strip_prefix("pydicom:") {
        Some(name) => std::fs::read(common::pydicom_file(name)).unwrap(),
        None => std::fs::read(common::fixture(case)).unwrap(),
    }
}

/// Probability tolerance: exact preprocessing agrees to float rounding; JPEG decoders (zune-jpeg
/// here, libjpeg in Pillow) differ by a few grey levels.
fn tolerance(case: &str) -> (f32, f32) {
    if case.ends_with(".jpg") {
        (1e-3, 1e-3)
    } else {
        (1e-5, 1e-6)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_outputs_match_python_reference() {
    let text = std::fs::read_to_string(common::models_dir().join("img_test_vectors.json")).unwrap();
    let v: Vectors = serde_json::from_str(&text).unwrap();
    let engine = Engine::with_runtime(
        common::runtime(),
        common::config(&["img_cnn_1x64", "img_cnn_3x224"]),
    );
    let mut checked = 0;
    for (model, mv) in &v.models {
        let status = common::model_status(&engine, model);
        assert_eq!(
            status.sha256.as_deref(),
            Some(mv.sha256.as_str()),
            "{:?}",
            status.error
        );
        for (case, expected) in &mv.cases {
            let inputs: Vec<JobInput> = if case.ends_with(".f32") {
                let raw = std::fs::read(common::fixture(case)).unwrap();
                let values: Vec<f32> = raw
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let n = expected.labels.len();
                values
                    .chunks_exact(values.len() / n)
                    .map(|c| JobInput::Tensor(c.to_vec()))
                    .collect()
            } else {
                vec![JobInput::Image(case_bytes(case))]
            };
            let (p_tol, in_tol) = tolerance(case);
            for (i, input) in inputs.iter().enumerate() {
                if let (Some(sum), Some(head)) = (expected.input_sum, &expected.input_head) {
                    let prepared = engine.prepare(model, input).unwrap();
                    let s: f64 = prepared.tensor.iter().map(|&x| x as f64).sum();
                    let rel = (s - sum).abs() / sum.abs().max(1.0);
                    assert!(
                        rel < in_tol as f64 * 10.0,
                        "{model} {case}: input sum {s} vs {sum}"
                    );
                    if in_tol < 1e-5 {
                        for (a, b) in prepared.tensor.iter().zip(head) {
                            assert!((a - b).abs() <= in_tol, "{model} {case}: input {a} vs {b}");
                        }
                    }
                }
                let job = Job::new(format!("{model}/{case}/{i}"), model.clone(), input.clone());
                let r = engine.infer(&job).await.unwrap();
                for (p, q) in r.probabilities.iter().zip(&expected.probabilities[i]) {
                    assert!(
                        (p - q).abs() <= p_tol,
                        "{model} {case} #{i}: {p} vs python {q}"
                    );
                }
                if p_tol < 1e-3 {
                    assert_eq!(r.label_index, expected.labels[i], "{model} {case} #{i}");
                }
                assert!(r.verify());
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 + 5 + 5);
}

#[tokio::test]
async fn dicom_ct_and_mr_are_decoded_with_their_geometry() {
    let engine = Engine::with_runtime(common::runtime(), common::config(&["img_cnn_1x64"]));
    let limits = bithive_inference::config::InputLimits::default();
    let ct = bithive_inference::input::decode_image(&case_bytes("pydicom:CT_small.dcm"), &limits)
        .unwrap();
    assert_eq!((ct.width, ct.height, ct.planes.len()), (128, 128, 1));
    assert!(ct.has_contrast);
    let mr = bithive_inference::input::decode_image(&case_bytes("pydicom:MR_small.dcm"), &limits)
        .unwrap();
    assert_eq!((mr.width, mr.height), (64, 64));
    // Big-endian and implicit-VR encodings of the same MR image decode to the same pixels.
    for variant in ["MR_small_bigendian.dcm", "MR_small_implicit.dcm"] {
        let other = bithive_inference::input::decode_image(
            &std::fs::read(common::pydicom_file(variant)).unwrap(),
            &limits,
        )
        .unwrap();
        assert_eq!(other.planes, mr.planes, "{variant}");
    }
    // A 128x128 CT on a 64x64 model: full resolution, Dquality 1.
    let p = engine
        .prepare(
            "img_cnn_1x64",
            &JobInput::Image(case_bytes("pydicom:CT_small.dcm")),
        )
        .unwrap();
    assert_eq!(p.d_quality, cosmwasm_std::Decimal::one());
    assert_eq!(p.tensor.len(), 64 * 64);
}
