//! Held-out evaluation: the E term of Tscore, measured by attestors rather than claimed by a
//! model's owner. Each attestor scores the served model on the same held-out set, gets the same
//! report (inference is deterministic on one set of rows), and signs an `evaluation`
//! attestation whose result hash is [`Evaluation::report_hash`]; a quorum of them sets the
//! model's accuracy in the registry.
//!
//! The held-out set is JSON `{"labels": [...], "inputs": [[f32, ...], ...], "y_true": [u32, ...]}`
//! for tabular models (other keys are ignored, so the shipped `models/bc_test_vectors.json` is
//! one), or `{"labels": [...], "images": ["<base64 PNG, JPEG or DICOM>", ...], "y_true": [...]}`
//! for image models (the imaging setup step writes one per model). Its id is the sha256 of the
//! file's bytes, so every attestor can check it scored the set the others did.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use base64::Engine as _;
use cosmwasm_std::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Engine, EngineError, Job, JobInput};

/// Domain tag of the evaluation report hash.
pub const REPORT_DOMAIN: &[u8] = b"BITHIVE/EVALUATION-REPORT/v1\0";
/// Most rows one held-out set may have (bounds the work one evaluation asks of a node).
pub const MAX_ROWS: usize = 100_000;

/// Why an evaluation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("held-out set: {0}")]
    BadSet(String),
    #[error("model {model} answers with labels {got:?}, the held-out set has {want:?}")]
    LabelMismatch {
        model: String,
        got: Vec<String>,
        want: Vec<String>,
    },
    #[error("model {0} is not served by this engine")]
    UnknownModel(String),
    #[error("row {row}: {source}")]
    Inference {
        row: usize,
        #[source]
        source: EngineError,
    },
}

#[derive(Deserialize)]
struct SetFile {
    labels: Vec<String>,
    #[serde(default)]
    inputs: Option<Vec<Vec<f32>>>,
    #[serde(default)]
    images: Option<Vec<String>>,
    y_true: Vec<u32>,
}

/// Rows (tabular rows or encoded images) with their true labels, and the sha256 of the file
/// they came from.
#[derive(Debug, Clone)]
pub struct HeldOutSet {
    pub labels: Vec<String>,
    pub inputs: Vec<JobInput>,
    pub y_true: Vec<u32>,
    pub sha256: [u8; 32],
}

impl HeldOutSet {
    /// Parses and checks a held-out set file: at least one row and at most [`MAX_ROWS`], one
    /// true label per row, each naming one of at least two labels.
    pub fn parse(bytes: &[u8]) -> Result<HeldOutSet, EvaluationError> {
        let f: SetFile =
            serde_json::from_slice(bytes).map_err(|e| EvaluationError::BadSet(e.to_string()))?;
        let bad = |m: String| Err(EvaluationError::BadSet(m));
        if f.labels.len() < 2 {
            return bad("at least two labels are needed".into());
        }
        let inputs: Vec<JobInput> = match (f.inputs, f.images) {
            (Some(rows), None) => rows.into_iter().map(JobInput::Tabular).collect(),
            (None, Some(images)) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let mut out = Vec::with_capacity(images.len());
                for (i, text) in images.iter().enumerate() {
                    match b64.decode(text) {
                        Ok(bytes) => out.push(JobInput::Image(bytes)),
                        Err(e) => return bad(format!("image {i}: not base64: {e}")),
                    }
                }
                out
            }
            _ => return bad("exactly one of \"inputs\" (rows) or \"images\" is needed".into()),
        };
        if inputs.is_empty() || inputs.len() > MAX_ROWS {
            return bad(format!("1 to {MAX_ROWS} rows, not {}", inputs.len()));
        }
        if f.y_true.len() != inputs.len() {
            return bad(format!(
                "{} rows but {} true labels",
                inputs.len(),
                f.y_true.len()
            ));
        }
        if let Some(i) = f.y_true.iter().position(|&y| y as usize >= f.labels.len()) {
            return bad(format!(
                "row {i}: true label {} is not one of the labels",
                f.y_true[i]
            ));
        }
        Ok(HeldOutSet {
            labels: f.labels,
            inputs,
            y_true: f.y_true,
            sha256: Sha256::digest(bytes).into(),
        })
    }

    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// One model scored on one held-out set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub model_sha256: [u8; 32],
    pub dataset_sha256: [u8; 32],
    /// Predicted label index per row.
    pub predictions: Vec<u32>,
    /// Mean over the classes present of each class's recall (robust to class imbalance), exact
    /// in 18-decimal fixed point (each recall rounded down), so every attestor gets the same.
    pub balanced_accuracy: Decimal,
    /// Work units one input of the model costs ([`crate::cost`]), counted from its graph, so
    /// every attestor gets the same; `None` when the runtime could not count it.
    pub run_cost_units: Option<u64>,
}

impl Evaluation {
    pub fn samples(&self) -> u32 {
        self.predictions.len() as u32
    }

    /// sha256 of `domain || model sha256 || dataset sha256 || u32 rows || each prediction u32 ||
    /// balanced accuracy (u128 atomics) [|| run cost units u64]`, all big-endian: what attestors
    /// sign as the result.
    pub fn report_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(REPORT_DOMAIN);
        h.update(self.model_sha256);
        h.update(self.dataset_sha256);
        h.update(self.samples().to_be_bytes());
        for p in &self.predictions {
            h.update(p.to_be_bytes());
        }
        h.update(self.balanced_accuracy.atomics().u128().to_be_bytes());
        // Appended only when counted, so reports without a cost hash as before.
        if let Some(units) = self.run_cost_units {
            h.update(units.to_be_bytes());
        }
        h.finalize().into()
    }
}

/// Balanced accuracy of `predictions` against `truth` over `classes` labels.
pub fn balanced_accuracy(predictions: &[u32], truth: &[u32], classes: usize) -> Decimal {
    let mut total = vec![0u64; classes];
    let mut right = vec![0u64; classes];
    for (&p, &t) in predictions.iter().zip(truth) {
        if let Some(n) = total.get_mut(t as usize) {
            *n += 1;
            right[t as usize] += (p == t) as u64;
        }
    }
    let present: Vec<usize> = (0..classes).filter(|&c| total[c] > 0).collect();
    if present.is_empty() {
        return Decimal::zero();
    }
    let sum = present.iter().fold(Decimal::zero(), |acc, &c| {
        acc + Decimal::from_ratio(right[c], total[c])
    });
    // At most `classes` (small) recalls of at most 1 each: no overflow.
    sum / Decimal::from_ratio(present.len() as u64, 1u64)
}

/// Rows in flight at once: enough to fill the engine's batches, never the whole set.
const IN_FLIGHT: usize = 64;

/// Scores `model` (served by `engine`) on `set`. Rows go through the engine's batch queue,
/// [`IN_FLIGHT`] at a time.
pub async fn evaluate(
    engine: &Engine,
    model: &str,
    set: &HeldOutSet,
) -> Result<Evaluation, EvaluationError> {
    let manifest = engine
        .manifest(model)
        .ok_or_else(|| EvaluationError::UnknownModel(model.to_string()))?;
    if manifest.labels != set.labels {
        return Err(EvaluationError::LabelMismatch {
            model: model.to_string(),
            got: manifest.labels.clone(),
            want: set.labels.clone(),
        });
    }
    let mut model_sha256 = [0u8; 32];
    hex::decode_to_slice(&manifest.sha256, &mut model_sha256)
        .map_err(|_| EvaluationError::UnknownModel(model.to_string()))?;
    let mut predictions = Vec::with_capacity(set.inputs.len());
    for (chunk_no, chunk) in set.inputs.chunks(IN_FLIGHT).enumerate() {
        let jobs: Vec<Job> = chunk
            .iter()
            .enumerate()
            .map(|(i, input)| {
                Job::new(
                    format!("evaluation-{}", chunk_no * IN_FLIGHT + i),
                    model,
                    input.clone(),
                )
            })
            .collect();
        let results = join_all(jobs.iter().map(|job| engine.infer(job))).await;
        for (i, r) in results.into_iter().enumerate() {
            let row = chunk_no * IN_FLIGHT + i;
            predictions.push(
                r.map_err(|source| EvaluationError::Inference { row, source })?
                    .label_index,
            );
        }
    }
    Ok(Evaluation {
        model_sha256,
        dataset_sha256: set.sha256,
        balanced_accuracy: balanced_accuracy(&predictions, &set.y_true, set.labels.len()),
        predictions,
        run_cost_units: engine.run_cost(model).map(|c| c.units),
    })
}

/// Polls every future on this task until all are done; outputs in order. (Borrowing futures:
/// the engine is not `'static` here, so rows cannot be spawned.)
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_accuracy_is_the_mean_recall_of_present_classes() {
        // Class 0: 1 of 2 right; class 1: 3 of 3 right; class 2 absent.
        let truth = [0, 0, 1, 1, 1];
        let pred = [0, 1, 1, 1, 1];
        assert_eq!(balanced_accuracy(&pred, &truth, 3), Decimal::percent(75));
        assert_eq!(balanced_accuracy(&truth, &truth, 2), Decimal::one());
        assert_eq!(balanced_accuracy(&[], &[], 2), Decimal::zero());
        // A label index out of range in the truth is ignored rather than panicking.
        assert_eq!(balanced_accuracy(&[0], &[7], 2), Decimal::zero());
    }

    #[test]
    fn bad_sets_are_refused_with_the_reason() {
        for (text, why) in [
            (
                r#"{"labels":["a"],"inputs":[[1]],"y_true":[0]}"#,
                "two labels",
            ),
            (r#"{"labels":["a","b"],"inputs":[],"y_true":[]}"#, "rows"),
            (
                r#"{"labels":["a","b"],"inputs":[[1]],"y_true":[]}"#,
                "true labels",
            ),
            (
                r#"{"labels":["a","b"],"inputs":[[1]],"y_true":[2]}"#,
                "not one of",
            ),
            ("not json", "expected"),
        ] {
            let e = HeldOutSet::parse(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
        let ok = HeldOutSet::parse(br#"{"labels":["a","b"],"inputs":[[1]],"y_true":[1],"x":1}"#)
            .unwrap();
        assert_eq!(ok.sha256_hex().len(), 64);
    }

    #[test]
    fn the_report_hash_binds_every_field() {
        let e = Evaluation {
            model_sha256: [1; 32],
            dataset_sha256: [2; 32],
            predictions: vec![0, 1, 1],
            balanced_accuracy: Decimal::percent(50),
            run_cost_units: Some(34),
        };
        let base = e.report_hash();
        let mut f = e.clone();
        f.run_cost_units = Some(35);
        assert_ne!(f.report_hash(), base);
        f.run_cost_units = None;
        assert_ne!(f.report_hash(), base);
        let mut f = e.clone();
        f.predictions[2] = 0;
        assert_ne!(f.report_hash(), base);
        let mut f = e.clone();
        f.balanced_accuracy = Decimal::percent(51);
        assert_ne!(f.report_hash(), base);
        let mut f = e.clone();
        f.dataset_sha256[0] = 9;
        assert_ne!(f.report_hash(), base);
        let mut f = e;
        f.model_sha256[0] = 9;
        assert_ne!(f.report_hash(), base);
    }
}
