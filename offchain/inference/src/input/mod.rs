//! Job inputs: validation, decoding and the model tensor (preprocessing documented in the README).

mod dicom;
mod image;
mod tabular;

use cosmwasm_std::Decimal;
use sha2::{Digest, Sha256};

use crate::config::InputLimits;
use crate::error::InputError;
use crate::manifest::{Manifest, Normalization, Task};

pub use self::image::{resize_bilinear, resize_nearest, DecodedImage, DicomTags};

/// What a job submits.
#[derive(Clone, Debug, PartialEq)]
pub enum JobInput {
    /// One row of features (tabular models).
    Tabular(Vec<f32>),
    /// An encoded image: PNG, JPEG or DICOM Part 10 (format detected from the bytes).
    Image(Vec<u8>),
    /// One already-preprocessed item tensor, without the batch dimension.
    Tensor(Vec<f32>),
}

impl JobInput {
    fn kind(&self) -> &'static str {
        match self {
            JobInput::Tabular(_) => "a tabular row",
            JobInput::Image(_) => "an image",
            JobInput::Tensor(_) => "a tensor",
        }
    }

    /// sha256 of the input as submitted: the encoded image file bytes, or for rows and tensors the
    /// values as consecutive IEEE-754 f32 big-endian (4 bytes each).
    pub fn sha256(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        match self {
            JobInput::Image(bytes) => h.update(bytes),
            JobInput::Tabular(v) | JobInput::Tensor(v) => {
                for x in v {
                    h.update(x.to_be_bytes());
                }
            }
        }
        h.finalize().into()
    }
}

/// A model-ready item and the Dquality the checks gave it.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub tensor: Vec<f32>,
    pub d_quality: Decimal,
}

/// Validates `input` against the model's manifest and builds its item tensor.
pub fn prepare(
    manifest: &Manifest,
    input: &JobInput,
    limits: &InputLimits,
) -> Result<Prepared, InputError> {
    let wrong_kind = |expected| InputError::WrongKind {
        model: manifest.name.clone(),
        expected,
        got: input.kind(),
    };
    match (manifest.task, input) {
        (Task::TabularClassification, JobInput::Tabular(row) | JobInput::Tensor(row)) => {
            tabular::prepare(manifest, row)
        }
        (Task::TabularClassification, JobInput::Image(_)) => Err(wrong_kind("a tabular row")),
        (Task::ImageClassification, JobInput::Image(bytes)) => {
            let decoded = decode_image_as(bytes, limits, manifest.preprocessing().normalization)?;
            check_domain(manifest, &decoded)?;
            Ok(decoded.to_model_input(manifest))
        }
        (Task::ImageClassification, JobInput::Tensor(t)) => tensor_input(manifest, t),
        (Task::ImageClassification, JobInput::Tabular(_)) => {
            Err(wrong_kind("an image or an image tensor"))
        }
    }
}

/// Detects the format from the bytes and decodes to min-max normalized planes.
pub fn decode_image(bytes: &[u8], limits: &InputLimits) -> Result<DecodedImage, InputError> {
    decode_image_as(bytes, limits, Normalization::MinMax)
}

/// Colourfulness above which an image is colour (a photo, a colour Doppler frame), not a
/// greyscale radiograph: see [`DecodedImage::colourfulness`].
pub const COLOUR_THRESHOLD: f32 = 0.02;

/// The checks of a model's `[domain]` that need only the decoded image: the DICOM modality and
/// body part, and colour. The feature similarity is checked after the model ran.
pub fn check_domain(manifest: &Manifest, image: &DecodedImage) -> Result<(), InputError> {
    let Some(guard) = &manifest.domain else {
        return Ok(());
    };
    let refuse = |reason: String| InputError::OutOfDomain {
        model: manifest.name.clone(),
        reason,
    };
    let listed = |list: &[String], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    if let Some(tags) = &image.dicom {
        if !guard.modalities.is_empty() {
            match &tags.modality {
                Some(m) if listed(&guard.modalities, m) => {}
                found => {
                    return Err(refuse(format!(
                        "DICOM modality {} is not one this model reads ({})",
                        found.as_deref().unwrap_or("(none)"),
                        guard.modalities.join(", ")
                    )))
                }
            }
        }
        if let Some(part) = &tags.body_part {
            if !guard.body_parts.is_empty() && !listed(&guard.body_parts, part) {
                return Err(refuse(format!(
                    "DICOM body part {part} is not one this model reads ({})",
                    guard.body_parts.join(", ")
                )));
            }
        }
    }
    if guard.monochrome_only {
        let c = image.colourfulness();
        if c > COLOUR_THRESHOLD {
            return Err(refuse(format!(
                "a colour image (colourfulness {c:.3} > {COLOUR_THRESHOLD}); this model reads \
                 greyscale radiographs"
            )));
        }
    }
    Ok(())
}

/// Detects the format from the bytes and decodes to planes normalized as asked (DICOM is
/// always min-max: it has no fixed white level).
pub fn decode_image_as(
    bytes: &[u8],
    limits: &InputLimits,
    normalization: Normalization,
) -> Result<DecodedImage, InputError> {
    if bytes.len() > limits.max_image_bytes {
        return Err(InputError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_image_bytes,
        });
    }
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        dicom::decode(bytes, limits)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        image::decode(
            bytes,
            ::image::ImageFormat::Png,
            "PNG",
            limits,
            normalization,
        )
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        image::decode(
            bytes,
            ::image::ImageFormat::Jpeg,
            "JPEG",
            limits,
            normalization,
        )
    } else {
        Err(InputError::UnknownFormat)
    }
}

/// A raw item tensor for an image model: exact length, finite values; Dquality is the fraction
/// of values inside [0, 1], the range the engine's own preprocessing produces.
fn tensor_input(manifest: &Manifest, t: &[f32]) -> Result<Prepared, InputError> {
    if t.len() != manifest.item_len() {
        return Err(InputError::WrongShape {
            model: manifest.name.clone(),
            expected: manifest.input_shape.clone(),
            got: vec![t.len()],
        });
    }
    check_finite(t)?;
    let inside = t.iter().filter(|v| (0.0..=1.0).contains(*v)).count();
    Ok(Prepared {
        tensor: t.to_vec(),
        d_quality: Decimal::from_ratio(inside as u128, t.len().max(1) as u128),
    })
}

pub(crate) fn check_finite(v: &[f32]) -> Result<(), InputError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(InputError::NonFinite {
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}
