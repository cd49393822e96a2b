//! PNG and JPEG decoding, min-max or full-scale normalization, bilinear or nearest resize and
//! channel mapping.

use std::io::Cursor;

use cosmwasm_std::Decimal;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use super::Prepared;
use crate::config::InputLimits;
use crate::error::InputError;
use crate::manifest::{Manifest, Normalization, Resize};

/// A decoded image: 1 (grey) or 3 (RGB) planes of `height x width` values in [0, 1].
#[derive(Clone, Debug)]
pub struct DecodedImage {
    pub width: usize,
    pub height: usize,
    pub planes: Vec<Vec<f32>>,
    /// False when every pixel had the same value (min-max then gives all zeros).
    pub has_contrast: bool,
    /// What a DICOM file says it shows; None for PNG and JPEG.
    pub dicom: Option<DicomTags>,
}

/// The DICOM tags the domain guard reads, trimmed and upper-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DicomTags {
    /// (0008,0060) Modality, e.g. CR, DX, CT, MR, US.
    pub modality: Option<String>,
    /// (0018,0015) Body Part Examined, e.g. CHEST, HEAD.
    pub body_part: Option<String>,
}

impl DecodedImage {
    /// Divides raw samples by the format's full scale (255 or 65535): Normalization::Unit.
    pub fn from_full_scale(
        width: usize,
        height: usize,
        raw_planes: Vec<Vec<f64>>,
        full_scale: f64,
    ) -> DecodedImage {
        let first = raw_planes.first().and_then(|p| p.first()).copied();
        let has_contrast = raw_planes.iter().flatten().any(|&v| Some(v) != first);
        let planes = raw_planes
            .into_iter()
            .map(|p| p.into_iter().map(|v| (v / full_scale) as f32).collect())
            .collect();
        DecodedImage {
            width,
            height,
            planes,
            has_contrast,
            dicom: None,
        }
    }

    /// Mean absolute difference between the colour planes, in [0, 1] units: 0 for a grey image
    /// (one plane, or three equal ones). JPEG's chroma subsampling leaves a grey radiograph
    /// stored as RGB well under 0.01.
    pub fn colourfulness(&self) -> f32 {
        if self.planes.len() != 3 {
            return 0.0;
        }
        let (r, g, b) = (&self.planes[0], &self.planes[1], &self.planes[2]);
        let sum: f64 = r
            .iter()
            .zip(g)
            .zip(b)
            .map(|((r, g), b)| ((r - g).abs() + (g - b).abs() + (r - b).abs()) as f64 / 3.0)
            .sum();
        (sum / r.len().max(1) as f64) as f32
    }

    /// Min-max normalizes raw samples (f64, one global min and max over all planes) to [0, 1].
    pub fn from_raw(width: usize, height: usize, raw_planes: Vec<Vec<f64>>) -> DecodedImage {
        let (lo, hi) = raw_planes
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let has_contrast = hi > lo;
        let planes = raw_planes
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|v| {
                        if has_contrast {
                            ((v - lo) / (hi - lo)) as f32
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        DecodedImage {
            width,
            height,
            planes,
            has_contrast,
            dicom: None,
        }
    }

    /// Resizes to the model's HxW (the manifest's resize), maps channels (grey replicated to RGB; RGB to grey by BT.601
    /// luma after resizing) and computes Dquality = min(1, source pixels / model pixels), or 0
    /// for an image without contrast.
    pub fn to_model_input(&self, manifest: &Manifest) -> Prepared {
        let channels = manifest.input_shape[1] as usize;
        let out_h = manifest.input_shape[2] as usize;
        let out_w = manifest.input_shape[3] as usize;
        let resize = match manifest.preprocessing().resize {
            Resize::BilinearHalfPixel => resize_bilinear,
            Resize::Nearest => resize_nearest,
        };
        let resized: Vec<Vec<f32>> = self
            .planes
            .iter()
            .map(|p| resize(p, self.height, self.width, out_h, out_w))
            .collect();
        let mut tensor = Vec::with_capacity(channels * out_h * out_w);
        match (resized.len(), channels) {
            (1, 3) => (0..3).for_each(|_| tensor.extend_from_slice(&resized[0])),
            (3, 1) => tensor.extend(
                resized[0]
                    .iter()
                    .zip(&resized[1])
                    .zip(&resized[2])
                    .map(|((r, g), b)| 0.299f32 * r + 0.587f32 * g + 0.114f32 * b),
            ),
            _ => resized.iter().for_each(|p| tensor.extend_from_slice(p)),
        }
        let src = (self.width * self.height) as u128;
        let dst = (out_h * out_w) as u128;
        let d_quality = if self.has_contrast {
            Decimal::from_ratio(src.min(dst), dst)
        } else {
            Decimal::zero()
        };
        Prepared { tensor, d_quality }
    }
}

/// Bilinear interpolation with half-pixel centres and edge clamping, in f32 (the Python
/// reference in models/make_models.py does the same operations in the same order).
pub fn resize_bilinear(
    src: &[f32],
    in_h: usize,
    in_w: usize,
    out_h: usize,
    out_w: usize,
) -> Vec<f32> {
    if (in_h, in_w) == (out_h, out_w) {
        return src.to_vec();
    }
    let sy = (in_h as f64 / out_h as f64) as f32;
    let sx = (in_w as f64 / out_w as f64) as f32;
    let axis = |o: usize, scale: f32, len: usize| {
        let f = ((o as f32 + 0.5) * scale - 0.5).max(0.0);
        let i0 = (f.floor() as usize).min(len - 1);
        let i1 = (i0 + 1).min(len - 1);
        (i0, i1, f - i0 as f32)
    };
    let xs: Vec<(usize, usize, f32)> = (0..out_w).map(|ox| axis(ox, sx, in_w)).collect();
    let mut out = Vec::with_capacity(out_h * out_w);
    for oy in 0..out_h {
        let (y0, y1, wy) = axis(oy, sy, in_h);
        let (r0, r1) = (
            &src[y0 * in_w..(y0 + 1) * in_w],
            &src[y1 * in_w..(y1 + 1) * in_w],
        );
        for &(x0, x1, wx) in &xs {
            let top = r0[x0] * (1.0 - wx) + r0[x1] * wx;
            let bot = r1[x0] * (1.0 - wx) + r1[x1] * wx;
            out.push(top * (1.0 - wy) + bot * wy);
        }
    }
    out
}

/// Pillow's NEAREST resize: the source index of output index o is floor(s/2 + o*s), s = in/out,
/// with the sum accumulated step by step in f64 exactly as Pillow's ImagingScaleAffine does (a
/// direct multiplication lands on the other side of an integer for some sizes).
pub fn resize_nearest(
    src: &[f32],
    in_h: usize,
    in_w: usize,
    out_h: usize,
    out_w: usize,
) -> Vec<f32> {
    if (in_h, in_w) == (out_h, out_w) {
        return src.to_vec();
    }
    let indices = |len_in: usize, len_out: usize| -> Vec<usize> {
        let s = len_in as f64 / len_out as f64;
        let mut at = s * 0.5;
        (0..len_out)
            .map(|_| {
                let i = (at as usize).min(len_in - 1);
                at += s;
                i
            })
            .collect()
    };
    let xs = indices(in_w, out_w);
    let mut out = Vec::with_capacity(out_h * out_w);
    for y in indices(in_h, out_h) {
        let row = &src[y * in_w..(y + 1) * in_w];
        out.extend(xs.iter().map(|&x| row[x]));
    }
    out
}

pub(super) fn decode(
    bytes: &[u8],
    format: ImageFormat,
    name: &'static str,
    limits: &InputLimits,
    normalization: Normalization,
) -> Result<DecodedImage, InputError> {
    let decode_err = |e: image::ImageError| InputError::Decode {
        format: name,
        reason: e.to_string(),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(decode_err)?;
    check_pixels(w as u64, h as u64, limits)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut lim = Limits::default();
    lim.max_image_width = Some(w);
    lim.max_image_height = Some(h);
    reader.limits(lim);
    let img = reader.decode().map_err(decode_err)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let full_scale = match &img {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => 255.0,
        DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => 65535.0,
        // Float images are converted to 8 bits below.
        _ => 255.0,
    };
    let planes = match &img {
        DynamicImage::ImageLuma8(g) => vec![g.as_raw().iter().map(|&v| v as f64).collect()],
        DynamicImage::ImageLumaA8(_) => {
            vec![img.to_luma8().as_raw().iter().map(|&v| v as f64).collect()]
        }
        DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) => {
            vec![img.to_luma16().as_raw().iter().map(|&v| v as f64).collect()]
        }
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_) => split_rgb(
            img.to_rgb16().as_raw().iter().map(|&v| v as f64),
            width * height,
        ),
        _ => split_rgb(
            img.to_rgb8().as_raw().iter().map(|&v| v as f64),
            width * height,
        ),
    };
    Ok(match normalization {
        Normalization::MinMax => DecodedImage::from_raw(width, height, planes),
        Normalization::Unit => DecodedImage::from_full_scale(width, height, planes, full_scale),
    })
}

pub(super) fn check_pixels(
    width: u64,
    height: u64,
    limits: &InputLimits,
) -> Result<(), InputError> {
    if width == 0 || height == 0 {
        return Err(InputError::Decode {
            format: "image",
            reason: "zero width or height".into(),
        });
    }
    if width.saturating_mul(height) > limits.max_image_pixels {
        return Err(InputError::TooManyPixels {
            width,
            height,
            limit: limits.max_image_pixels,
        });
    }
    Ok(())
}

/// Interleaved RGB samples to three planes.
fn split_rgb(samples: impl Iterator<Item = f64>, pixels: usize) -> Vec<Vec<f64>> {
    let mut planes: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(pixels)).collect();
    for (i, v) in samples.enumerate() {
        planes[i % 3].push(v);
    }
    planes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_by_two_is_a_box_average() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let out = resize_bilinear(&src, 4, 4, 2, 2);
        assert_eq!(out, vec![2.5, 4.5, 10.5, 12.5]);
    }

    #[test]
    fn upscale_clamps_at_edges() {
        let out = resize_bilinear(&[0.0, 1.0], 1, 2, 1, 4);
        assert_eq!(out, vec![0.0, 0.25, 0.75, 1.0]);
    }

    #[test]
    fn nearest_takes_pillows_source_pixels() {
        // 7 -> 3: s = 7/3, indices floor(7/6 + o*7/3) = 1, 3, 5 (Pillow gives the same).
        let src: Vec<f32> = (0..7).map(|v| v as f32).collect();
        assert_eq!(resize_nearest(&src, 1, 7, 1, 3), vec![1.0, 3.0, 5.0]);
        // Upscaling repeats pixels.
        assert_eq!(
            resize_nearest(&[0.0, 1.0], 1, 2, 1, 4),
            vec![0.0, 0.0, 1.0, 1.0]
        );
    }

    #[test]
    fn full_scale_and_colour() {
        let img = DecodedImage::from_full_scale(2, 1, vec![vec![0.0, 255.0]], 255.0);
        assert_eq!(img.planes[0], vec![0.0, 1.0]);
        assert!(img.has_contrast);
        assert_eq!(img.colourfulness(), 0.0);
        let grey_rgb = DecodedImage::from_raw(1, 1, vec![vec![3.0], vec![3.0], vec![3.0]]);
        assert_eq!(grey_rgb.colourfulness(), 0.0);
        let red =
            DecodedImage::from_full_scale(1, 1, vec![vec![255.0], vec![0.0], vec![0.0]], 255.0);
        assert!(red.colourfulness() > 0.6);
    }

    #[test]
    fn min_max_and_contrast() {
        let img = DecodedImage::from_raw(2, 1, vec![vec![-1024.0, 1024.0]]);
        assert_eq!(img.planes[0], vec![0.0, 1.0]);
        assert!(img.has_contrast);
        let flat = DecodedImage::from_raw(2, 1, vec![vec![7.0, 7.0]]);
        assert_eq!(flat.planes[0], vec![0.0, 0.0]);
        assert!(!flat.has_contrast);
    }
}
