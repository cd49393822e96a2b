//! Explanations of image results (issue #47): an occlusion saliency map. The model input is cut
//! into `grid x grid` patches; each patch in turn is filled with mid-grey and the model run
//! again; a patch's saliency is how much hiding it lowers the probability of the result's label.
//! No gradients are needed, so any ONNX classifier can be explained, at the cost of `grid²`
//! extra runs (batched through the model's queue).
//!
//! The map is part of the attested result: its [`Saliency::sha256`] is appended to the result's
//! canonical bytes ([`crate::attest`]), and the map itself goes to the patient off chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Domain tag of a saliency map's hash.
pub const SALIENCY_DOMAIN: &[u8] = b"BITHIVE-SALIENCY-V1";
/// What a hidden patch is filled with, in the model's [0, 1] input: mid-grey.
pub const FILL: f32 = 0.5;

/// An occlusion saliency map of one result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saliency {
    /// Patches per side.
    pub grid: u32,
    /// The class explained: the result's label.
    pub label_index: u32,
    /// Per patch, row-major from the top left: the drop of the label's probability when the
    /// patch is hidden, scaled so that the largest drop is 255 (all 0 when no patch lowers it).
    pub cells: Vec<u8>,
    /// The largest drop, in millionths of probability.
    pub max_drop_ppm: u32,
}

impl Saliency {
    /// sha256 of `SALIENCY_DOMAIN || grid u32 || label u32 || max drop u32 || cells`, integers
    /// big-endian.
    pub fn sha256(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(SALIENCY_DOMAIN);
        h.update(self.grid.to_be_bytes());
        h.update(self.label_index.to_be_bytes());
        h.update(self.max_drop_ppm.to_be_bytes());
        h.update(&self.cells);
        h.finalize().into()
    }
}

/// The bounds `[start, end)` of patch `i` of `grid` along an axis of `len` pixels.
fn span(i: usize, grid: usize, len: usize) -> (usize, usize) {
    (i * len / grid, (i + 1) * len / grid)
}

/// The `grid²` occluded copies of one C×H×W item, row-major by patch.
pub fn occluded(item: &[f32], shape: &[i64], grid: usize) -> Vec<Vec<f32>> {
    let (c, h, w) = (shape[1] as usize, shape[2] as usize, shape[3] as usize);
    let mut out = Vec::with_capacity(grid * grid);
    for r in 0..grid {
        let (y0, y1) = span(r, grid, h);
        for q in 0..grid {
            let (x0, x1) = span(q, grid, w);
            let mut t = item.to_vec();
            for ch in 0..c {
                for y in y0..y1 {
                    let row = ch * h * w + y * w;
                    t[row + x0..row + x1].fill(FILL);
                }
            }
            out.push(t);
        }
    }
    out
}

/// The map from the label's probability on the whole image and on each occluded copy.
pub fn saliency(grid: usize, label_index: u32, base: f32, occluded: &[f32]) -> Saliency {
    let drops: Vec<f32> = occluded.iter().map(|p| (base - p).max(0.0)).collect();
    let max = drops.iter().copied().fold(0f32, f32::max);
    let cells = drops
        .iter()
        .map(|d| {
            if max > 0.0 {
                (d / max * 255.0).round() as u8
            } else {
                0
            }
        })
        .collect();
    Saliency {
        grid: grid as u32,
        label_index,
        cells,
        max_drop_ppm: (max as f64 * 1e6).round() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_cover_the_image_once() {
        let item = vec![0.0f32; 2 * 5 * 7];
        let copies = occluded(&item, &[-1, 2, 5, 7], 3);
        assert_eq!(copies.len(), 9);
        let mut covered = vec![0u32; item.len()];
        for c in &copies {
            for (i, v) in c.iter().enumerate() {
                covered[i] += (*v == FILL) as u32;
            }
        }
        assert!(covered.iter().all(|&n| n == 1));
    }

    #[test]
    fn the_largest_drop_is_255() {
        let s = saliency(2, 1, 0.9, &[0.9, 0.5, 0.1, 0.95]);
        assert_eq!(s.cells, vec![0, 128, 255, 0]);
        assert_eq!(s.max_drop_ppm, 800_000);
        let flat = saliency(1, 0, 0.5, &[0.6]);
        assert_eq!(flat.cells, vec![0]);
        assert_ne!(s.sha256(), flat.sha256());
    }
}
