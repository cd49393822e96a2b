//! Model manifest: the TOML file beside each ONNX model (format in the README).

use std::path::{Path, PathBuf};

use bithive_formulas::tscore::TscoreWeights;
use cosmwasm_std::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    TabularClassification,
    ImageClassification,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub task: Task,
    /// The ONNX file, relative to the manifest; default: the manifest's stem + ".onnx".
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Registered sha256 of the ONNX file, lowercase hex.
    pub sha256: String,
    pub input_name: String,
    /// Input shape with -1 as the (dynamic) batch dimension: [-1, F] or [-1, C, H, W].
    pub input_shape: Vec<i64>,
    pub label_output: String,
    pub probabilities_output: String,
    /// Class names, indexed by the model's integer label.
    pub labels: Vec<String>,
    pub specialty: String,
    /// Per-feature range seen in training (tabular models): Dquality counts features inside it.
    #[serde(default)]
    pub feature_min: Option<Vec<f32>>,
    #[serde(default)]
    pub feature_max: Option<Vec<f32>>,
    #[serde(default)]
    pub image: Option<ImagePreprocessing>,
    pub tscore: TscoreManifest,
}

/// Only the documented preprocessing exists; the fields make it explicit in each manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePreprocessing {
    pub normalization: String,
    pub resize: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TscoreManifest {
    pub alpha: Decimal,
    pub beta: Decimal,
    pub gamma: Decimal,
    /// Eevidence in [0, 1].
    pub evidence: Decimal,
    #[serde(default)]
    pub evidence_note: String,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<(Manifest, PathBuf), ModelError> {
        let bad = |reason: String| ModelError::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let manifest = Manifest::parse(&text).map_err(bad)?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let file = match &manifest.file {
            Some(f) => dir.join(f),
            None => path.with_extension("onnx"),
        };
        Ok((manifest, file))
    }

    /// A manifest from its TOML text, validated (a sealed model carries it beside the ONNX).
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn weights(&self) -> TscoreWeights {
        TscoreWeights {
            alpha: self.tscore.alpha,
            beta: self.tscore.beta,
            gamma: self.tscore.gamma,
        }
    }

    /// Number of f32 values in one item (the shape without the batch dimension).
    pub fn item_len(&self) -> usize {
        self.input_shape[1..].iter().map(|&d| d as usize).product()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("sha256 {:?} is not 64 hex digits", self.sha256));
        }
        if self.input_shape.first() != Some(&-1) {
            return Err("input_shape must start with -1 (the batch dimension)".into());
        }
        if self.input_shape[1..].iter().any(|&d| d <= 0 || d > 1 << 20) {
            return Err("input_shape dimensions after the batch must be in 1..=2^20".into());
        }
        match (self.task, self.input_shape.len()) {
            (Task::TabularClassification, 2) => {}
            (Task::ImageClassification, 4) if matches!(self.input_shape[1], 1 | 3) => {}
            (task, _) => {
                return Err(format!(
                    "input_shape {:?} does not fit task {task:?} ([-1, F] or [-1, 1|3, H, W])",
                    self.input_shape
                ))
            }
        }
        if self.labels.len() < 2 {
            return Err("at least two labels are needed".into());
        }
        let features = self.input_shape[1] as usize;
        match (&self.feature_min, &self.feature_max) {
            (Some(lo), Some(hi)) if lo.len() == features && hi.len() == features => {}
            (None, None) => {}
            _ => {
                return Err(format!(
                    "feature_min and feature_max need {features} values each"
                ))
            }
        }
        if let Some(image) = &self.image {
            if image.normalization != "min-max" || image.resize != "bilinear-half-pixel" {
                return Err("image preprocessing must be normalization = \"min-max\", \
                            resize = \"bilinear-half-pixel\""
                    .into());
            }
        }
        self.weights().validate().map_err(|e| e.to_string())?;
        if self.tscore.evidence > Decimal::one() {
            return Err("tscore.evidence must be in [0, 1]".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "m"
version = "1"
task = "tabular-classification"
sha256 = "af70e9d3ca931da63a403194ce5e47f83e42be00b5a9de756cb7b5477550589f"
input_name = "X"
input_shape = [-1, 3]
label_output = "label"
probabilities_output = "probabilities"
labels = ["a", "b"]
specialty = "oncology"
[tscore]
alpha = "0.5"
beta = "0.3"
gamma = "0.2"
evidence = "0.9"
"#;

    #[test]
    fn parses_and_validates() {
        let m: Manifest = toml::from_str(GOOD).unwrap();
        m.validate().unwrap();
        assert_eq!(m.item_len(), 3);
    }

    #[test]
    fn rejects_bad_fields() {
        for (from, to, needle) in [
            ("[-1, 3]", "[1, 3]", "batch"),
            ("[-1, 3]", "[-1, 3, 4]", "does not fit"),
            ("\"0.3\"", "\"0.4\"", "exactly 1"),
            ("af70e9", "zz70e9", "hex"),
            ("\"0.9\"", "\"1.5\"", "evidence"),
        ] {
            let m: Manifest = toml::from_str(&GOOD.replace(from, to)).unwrap();
            let err = m.validate().unwrap_err();
            assert!(err.contains(needle), "{from}->{to}: {err}");
        }
    }
}
