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
    /// The input-domain guard of an image model (README "Out-of-domain inputs").
    #[serde(default)]
    pub domain: Option<DomainGuard>,
    /// Explanations of image results ([`crate::explain`]), for jobs that ask for one.
    #[serde(default)]
    pub explain: Option<Explain>,
    pub tscore: TscoreManifest,
}

/// `[explain]`: an occlusion saliency map of `grid x grid` patches.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explain {
    /// Only "occlusion".
    pub method: String,
    pub grid: u32,
}

/// How an image becomes the model's [0, 1] input (README "Image preprocessing"). An image model
/// without the section gets min-max and bilinear-half-pixel, the engine's first preprocessing.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePreprocessing {
    pub normalization: Normalization,
    pub resize: Resize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalization {
    /// The image's own darkest value is 0 and brightest 1 (one min and max over all planes).
    #[default]
    MinMax,
    /// Samples divided by the format's full scale (255 for 8-bit PNG and JPEG, 65535 for 16-bit
    /// PNG): what Keras' `load_img` + `x / 255` does. DICOM has no fixed white level, so a DICOM
    /// file is min-max normalized under both (after rescale and MONOCHROME1 inversion).
    Unit,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resize {
    /// Bilinear with half-pixel centres and edge clamping, no antialiasing.
    #[default]
    BilinearHalfPixel,
    /// Pillow's NEAREST (Keras' `load_img` default): output pixel x takes source pixel
    /// floor(s/2 + x*s), s = in/out, accumulated in f64 as Pillow does.
    Nearest,
}

/// What an image model was made for, checked before and after it runs: DICOM tags, colour, and
/// the cosine similarity of the model's penultimate features to the mean features of its
/// held-out images. Below `min_similarity` the job is refused; between `min_similarity` and
/// `full_similarity` Dquality is scaled linearly from 0 to 1 (README "Out-of-domain inputs").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainGuard {
    /// The graph output holding the penultimate features, [N, F].
    pub features_output: String,
    /// Mean feature vector of the held-out images the model was evaluated on.
    pub centroid: Vec<f32>,
    /// The lowest similarity over those held-out images: at or above it, Dquality is kept.
    pub full_similarity: f32,
    /// Below it the job is refused as out of domain.
    pub min_similarity: f32,
    /// DICOM Modality values the model reads (e.g. CR, DX); a DICOM file of another modality is
    /// refused. Empty: any.
    #[serde(default)]
    pub modalities: Vec<String>,
    /// DICOM BodyPartExamined values the model reads; a DICOM file naming another is refused
    /// (a file without the tag passes this check). Empty: any.
    #[serde(default)]
    pub body_parts: Vec<String>,
    /// The model reads greyscale images: a colour image is refused.
    #[serde(default)]
    pub monochrome_only: bool,
    #[serde(default)]
    pub calibration_note: String,
}

impl DomainGuard {
    /// Cosine similarity of `features` to the centroid (0 for a zero vector).
    pub fn similarity(&self, features: &[f32]) -> f32 {
        let (mut dot, mut a, mut b) = (0f64, 0f64, 0f64);
        for (x, c) in features.iter().zip(&self.centroid) {
            dot += *x as f64 * *c as f64;
            a += *x as f64 * *x as f64;
            b += *c as f64 * *c as f64;
        }
        if a == 0.0 || b == 0.0 {
            return 0.0;
        }
        (dot / (a.sqrt() * b.sqrt())) as f32
    }

    /// The factor Dquality is multiplied by, or None when the input is out of domain.
    pub fn quality_factor(&self, similarity: f32) -> Option<Decimal> {
        if !similarity.is_finite() || similarity < self.min_similarity {
            return None;
        }
        if similarity >= self.full_similarity {
            return Some(Decimal::one());
        }
        let f = (similarity - self.min_similarity) / (self.full_similarity - self.min_similarity);
        // Six decimals are plenty for a factor, and keep the Decimal exact.
        Some(Decimal::from_ratio(
            (f * 1e6).round().max(0.0) as u128,
            1_000_000u128,
        ))
    }
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

    /// The image preprocessing in force (the defaults when the manifest has no `[image]`).
    pub fn preprocessing(&self) -> ImagePreprocessing {
        self.image.unwrap_or_default()
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
        if self.image.is_some() && self.task != Task::ImageClassification {
            return Err("[image] is for image models".into());
        }
        if let Some(x) = &self.explain {
            if self.task != Task::ImageClassification {
                return Err("[explain] is for image models".into());
            }
            let side = self.input_shape[2].min(self.input_shape[3]);
            // One occluded copy is made at a time, but each is a whole item: cap the work.
            if self.item_len() > 1 << 24 {
                return Err("[explain] needs items of at most 2^24 values".into());
            }
            if x.method != "occlusion" || x.grid < 2 || x.grid > 16 || i64::from(x.grid) > side {
                return Err(
                    "explain must be method = \"occlusion\" with grid 2..=16 (and not above the \
                     image side)"
                        .into(),
                );
            }
        }
        if let Some(d) = &self.domain {
            if self.task != Task::ImageClassification {
                return Err("[domain] is for image models".into());
            }
            if d.features_output.is_empty() {
                return Err("domain.features_output is empty".into());
            }
            if d.centroid.is_empty()
                || d.centroid.len() > 1 << 16
                || d.centroid.iter().any(|v| !v.is_finite())
                || d.centroid.iter().all(|v| *v == 0.0)
            {
                return Err("domain.centroid must be 1..=65536 finite values, not all zero".into());
            }
            if !(d.min_similarity.is_finite()
                && d.full_similarity.is_finite()
                && -1.0 <= d.min_similarity
                && d.min_similarity < d.full_similarity
                && d.full_similarity <= 1.0)
            {
                return Err("domain needs -1 <= min_similarity < full_similarity <= 1".into());
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

    const IMAGE: &str = r#"
name = "img"
version = "1"
task = "image-classification"
sha256 = "af70e9d3ca931da63a403194ce5e47f83e42be00b5a9de756cb7b5477550589f"
input_name = "image"
input_shape = [-1, 3, 8, 8]
label_output = "label"
probabilities_output = "probabilities"
labels = ["a", "b"]
specialty = "radiology"
[image]
normalization = "unit"
resize = "nearest"
[domain]
features_output = "features"
centroid = [1.0, 0.0]
full_similarity = 0.8
min_similarity = 0.4
modalities = ["CR"]
[tscore]
alpha = "0.4"
beta = "0.4"
gamma = "0.2"
evidence = "0.8"
"#;

    #[test]
    fn domain_guard_scales_and_refuses() {
        let m = Manifest::parse(IMAGE).unwrap();
        assert_eq!(m.preprocessing().normalization, Normalization::Unit);
        assert_eq!(m.preprocessing().resize, Resize::Nearest);
        let g = m.domain.unwrap();
        assert_eq!(g.similarity(&[2.0, 0.0]), 1.0);
        assert_eq!(g.similarity(&[0.0, 3.0]), 0.0);
        assert_eq!(g.similarity(&[0.0, 0.0]), 0.0);
        assert_eq!(g.quality_factor(0.9), Some(Decimal::one()));
        assert_eq!(g.quality_factor(0.8), Some(Decimal::one()));
        assert_eq!(g.quality_factor(0.6).unwrap().to_string(), "0.5");
        assert_eq!(g.quality_factor(0.4), Some(Decimal::zero()));
        assert_eq!(g.quality_factor(0.39), None);
        assert_eq!(g.quality_factor(f32::NAN), None);
    }

    #[test]
    fn domain_guard_is_validated() {
        for (from, to, needle) in [
            (
                "min_similarity = 0.4",
                "min_similarity = 0.9",
                "min_similarity < full",
            ),
            (
                "centroid = [1.0, 0.0]",
                "centroid = [0.0, 0.0]",
                "not all zero",
            ),
            ("centroid = [1.0, 0.0]", "centroid = []", "centroid"),
            (
                "features_output = \"features\"",
                "features_output = \"\"",
                "empty",
            ),
        ] {
            let err = Manifest::parse(&IMAGE.replace(from, to)).unwrap_err();
            assert!(err.contains(needle), "{from}->{to}: {err}");
        }
        let tabular = GOOD.to_string() + "[domain]\nfeatures_output = \"f\"\ncentroid = [1.0]\nfull_similarity = 0.5\nmin_similarity = 0.1\n";
        // [tscore] comes before [domain] in this text, so the guard lands in its own table.
        let err = Manifest::parse(&tabular).unwrap_err();
        assert!(err.contains("image models"), "{err}");
        let bad_mode = IMAGE.replace("\"unit\"", "\"gamma\"");
        assert!(Manifest::parse(&bad_mode).is_err());
    }
}
