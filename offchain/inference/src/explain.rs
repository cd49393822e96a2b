//! Explanations of image results (issue #47): an occlusion saliency map. The model input is cut
//! into `grid x grid` patches; each patch in turn is filled with mid-grey and the model run
//! again; a patch's saliency is how much hiding it lowers the probability of the result's label.
//! No gradients are needed, so any ONNX classifier can be explained, at the cost of `grid²`
//! extra runs (batched through the model's queue).
//!
//! The map is part of the attested result: its [`Saliency::sha256`] is appended to the result's
//! canonical bytes ([`crate::attest`]), and the map itself goes to the patient off chain.

/// What a hidden patch is filled with, in the model's [0, 1] input: mid-grey.
pub const FILL: f32 = 0.5;
/// Below this largest drop (in millionths) no patch matters: every cell is 0, so that float
/// noise is never scaled up to a full-range map.
pub const MIN_DROP_PPM: u32 = 100;

pub use bithive_inference_result::{Saliency, SALIENCY_DOMAIN};

/// The bounds `[start, end)` of patch `i` of `grid` along an axis of `len` pixels.
fn span(i: usize, grid: usize, len: usize) -> (usize, usize) {
    (i * len / grid, (i + 1) * len / grid)
}

/// Occluded copy `k` (row-major by patch, `k < grid²`) of one C×H×W item: made one at a
/// time, so that no more than one copy waits outside the model's queue.
pub fn occluded_copy(item: &[f32], shape: &[i64], grid: usize, k: usize) -> Vec<f32> {
    let (c, h, w) = (shape[1] as usize, shape[2] as usize, shape[3] as usize);
    let (y0, y1) = span(k / grid, grid, h);
    let (x0, x1) = span(k % grid, grid, w);
    let mut t = item.to_vec();
    for ch in 0..c {
        for y in y0..y1 {
            let row = ch * h * w + y * w;
            t[row + x0..row + x1].fill(FILL);
        }
    }
    t
}

/// All `grid²` occluded copies (tests and small items).
pub fn occluded(item: &[f32], shape: &[i64], grid: usize) -> Vec<Vec<f32>> {
    (0..grid * grid)
        .map(|k| occluded_copy(item, shape, grid, k))
        .collect()
}

/// The map from the label's probability on the whole image and on each occluded copy.
pub fn saliency(grid: usize, label_index: u32, base: f32, occluded: &[f32]) -> Saliency {
    let drops: Vec<f32> = occluded.iter().map(|p| (base - p).max(0.0)).collect();
    let max = drops.iter().copied().fold(0f32, f32::max);
    let max_drop_ppm = (max as f64 * 1e6).round() as u32;
    let cells = drops
        .iter()
        .map(|d| {
            if max_drop_ppm >= MIN_DROP_PPM {
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
        max_drop_ppm,
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
        // Drops below 100 ppm are noise, not a map.
        let noise = saliency(2, 0, 0.5, &[0.49999, 0.5, 0.5, 0.5]);
        assert_eq!(noise.cells, vec![0; 4]);
        assert!(
            s.is_well_formed()
                && !Saliency {
                    cells: vec![1],
                    ..s.clone()
                }
                .is_well_formed()
        );
        assert_ne!(s.sha256(), flat.sha256());
    }
}
