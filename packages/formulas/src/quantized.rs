//! The canonical quantized form of a model's output (ADR 007, decisions 5 and 6): what a node
//! signs of an inference result or a benchmark answer, and what attestors compare it against
//! after re-running it. Floating-point results differ in their last bits between CPUs, thread
//! counts and GPUs; rounded to [`QUANTUM`] and compared within [`TOLERANCE`] quanta, honest runs
//! agree while a made-up output almost never does.
//!
//! Contracts only compare ([`agrees`], integers); quantizing is the engines' work.

/// One quantum of a quantized probability (10^-6).
pub const QUANTUM: f64 = 1e-6;
/// Most quanta two agreeing values may differ by (10^-5).
pub const TOLERANCE: u32 = 10;
/// Most values one quantized output may hold (classes of a classifier; bounds what a contract
/// reads).
pub const MAX_VALUES: usize = 1024;

/// A probability vector in its canonical quantized form: each value clamped to [0, 1] and
/// rounded to [`QUANTUM`]; NaN reads as 0.
pub fn quantize(probabilities: &[f32]) -> Vec<u32> {
    probabilities
        .iter()
        .map(|p| (f64::from(p.clamp(0.0, 1.0)) / QUANTUM).round() as u32)
        .collect()
}

/// Whether two quantized outputs agree: the same length and every value within [`TOLERANCE`].
pub fn agrees(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= TOLERANCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_tolerance() {
        let a = quantize(&[0.25, 0.75]);
        assert_eq!(a, [250_000, 750_000]);
        assert!(agrees(&a, &quantize(&[0.250_009, 0.749_991])));
        assert!(!agrees(&a, &quantize(&[0.250_02, 0.749_98])));
        assert!(!agrees(&a, &a[..1]));
        assert_eq!(quantize(&[f32::NAN, 2.0, -1.0])[1..], [1_000_000, 0]);
    }
}
