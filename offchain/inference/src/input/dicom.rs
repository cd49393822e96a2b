//! DICOM Part 10 ingest: uncompressed (native) pixel data, monochrome or RGB, 8 or 16 bits.
//! Modality rescale (slope, intercept) is applied before min-max normalization; MONOCHROME1 is
//! inverted so that bright means dense in both photometric interpretations. Multi-frame files
//! use their first frame. Compressed transfer syntaxes are refused with a clear error.

use std::io::Cursor;

use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

use super::image::{check_pixels, DecodedImage, DicomTags};
use crate::config::InputLimits;
use crate::error::InputError;

const NATIVE_SYNTAXES: [&str; 3] = [
    "1.2.840.10008.1.2",   // implicit VR little endian
    "1.2.840.10008.1.2.1", // explicit VR little endian
    "1.2.840.10008.1.2.2", // explicit VR big endian (values are decoded to native order)
];

fn unsupported(reason: impl Into<String>) -> InputError {
    InputError::UnsupportedDicom {
        reason: reason.into(),
    }
}

fn int_tag(obj: &DefaultDicomObject, tag: Tag, name: &str) -> Result<u32, InputError> {
    obj.element(tag)
        .map_err(|_| unsupported(format!("missing {name}")))?
        .to_int::<u32>()
        .map_err(|e| unsupported(format!("{name}: {e}")))
}

fn opt_f64(obj: &DefaultDicomObject, tag: Tag, default: f64) -> Result<f64, InputError> {
    match obj.element_opt(tag) {
        Ok(Some(e)) => e
            .to_float64()
            .map_err(|e| unsupported(format!("tag {tag}: {e}"))),
        _ => Ok(default),
    }
}

/// A text tag, trimmed and upper-cased; None when absent or empty.
fn opt_text(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok()??;
    let v = e.to_str().ok()?.trim().to_ascii_uppercase();
    (!v.is_empty()).then_some(v)
}

pub(super) fn decode(bytes: &[u8], limits: &InputLimits) -> Result<DecodedImage, InputError> {
    let obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(Cursor::new(bytes))
        .map_err(|e| InputError::Decode {
            format: "DICOM",
            reason: e.to_string(),
        })?;
    let syntax = obj.meta().transfer_syntax().to_string();
    if !NATIVE_SYNTAXES.contains(&syntax.as_str()) {
        return Err(unsupported(format!(
            "transfer syntax {syntax} is encapsulated (compressed); convert the file to \
             explicit VR little endian first"
        )));
    }
    let rows = int_tag(&obj, tags::ROWS, "Rows")? as usize;
    let cols = int_tag(&obj, tags::COLUMNS, "Columns")? as usize;
    check_pixels(cols as u64, rows as u64, limits)?;
    let samples = int_tag(&obj, tags::SAMPLES_PER_PIXEL, "SamplesPerPixel")? as usize;
    let bits = int_tag(&obj, tags::BITS_ALLOCATED, "BitsAllocated")?;
    let signed = int_tag(&obj, tags::PIXEL_REPRESENTATION, "PixelRepresentation")? == 1;
    let photometric = obj
        .element(tags::PHOTOMETRIC_INTERPRETATION)
        .map_err(|_| unsupported("missing PhotometricInterpretation"))?
        .to_str()
        .map_err(|e| unsupported(format!("PhotometricInterpretation: {e}")))?
        .trim()
        .to_string();
    match (samples, photometric.as_str()) {
        (1, "MONOCHROME1" | "MONOCHROME2") | (3, "RGB") => {}
        (s, p) => {
            return Err(unsupported(format!(
                "{s} samples per pixel with photometric interpretation {p} (supported: \
                 MONOCHROME1, MONOCHROME2, RGB)"
            )))
        }
    }
    if samples == 3 && bits != 8 {
        return Err(unsupported("RGB images must have 8 bits allocated"));
    }
    let planar =
        samples == 3 && opt_f64(&obj, tags::PLANAR_CONFIGURATION, 0.0).map(|p| p as u32)? == 1;
    let slope = opt_f64(&obj, tags::RESCALE_SLOPE, 1.0)?;
    let intercept = opt_f64(&obj, tags::RESCALE_INTERCEPT, 0.0)?;
    let little_endian = syntax != "1.2.840.10008.1.2.2";

    let pixel = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| unsupported("no PixelData"))?;
    let raw: Vec<f64> = match (pixel.value(), bits) {
        (Value::Primitive(PrimitiveValue::U16(v)), 16) => v
            .iter()
            .map(|&x| if signed { x as i16 as f64 } else { x as f64 })
            .collect(),
        (Value::Primitive(PrimitiveValue::I16(v)), 16) => v.iter().map(|&x| x as f64).collect(),
        (Value::Primitive(PrimitiveValue::U8(b)), 16) => b
            .chunks_exact(2)
            .map(|c| {
                let x = if little_endian {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                };
                if signed {
                    x as i16 as f64
                } else {
                    x as f64
                }
            })
            .collect(),
        (Value::Primitive(PrimitiveValue::U8(b)), 8) => b
            .iter()
            .map(|&x| if signed { x as i8 as f64 } else { x as f64 })
            .collect(),
        (Value::PixelSequence(_), _) => {
            return Err(unsupported(
                "encapsulated pixel data in a native transfer syntax",
            ))
        }
        (_, bits) => {
            return Err(unsupported(format!(
                "pixel data with {bits} bits allocated is not supported (8 or 16)"
            )))
        }
    };
    let frame = rows * cols * samples;
    if raw.len() < frame {
        return Err(unsupported(format!(
            "pixel data holds {} samples, one {rows}x{cols}x{samples} frame needs {frame}",
            raw.len()
        )));
    }
    let raw = &raw[..frame];
    let pixels = rows * cols;
    let planes: Vec<Vec<f64>> = if samples == 1 {
        vec![raw.iter().map(|&v| v * slope + intercept).collect()]
    } else if planar {
        raw.chunks_exact(pixels).map(|p| p.to_vec()).collect()
    } else {
        (0..3)
            .map(|c| raw.iter().skip(c).step_by(3).copied().collect())
            .collect()
    };
    let mut decoded = DecodedImage::from_raw(cols, rows, planes);
    decoded.dicom = Some(DicomTags {
        modality: opt_text(&obj, tags::MODALITY),
        body_part: opt_text(&obj, tags::BODY_PART_EXAMINED),
    });
    if photometric == "MONOCHROME1" {
        for v in decoded.planes.iter_mut().flatten() {
            *v = 1.0 - *v;
        }
    }
    Ok(decoded)
}
