//! SimHash LSH for the fuzzy criterion distance(g(X1), g(X2)) <= s (cosine distance between
//! profile embeddings). `bands * rows` random hyperplanes from a public seed give a bit signature;
//! each band of `rows` bits becomes one token "lsh/<band>/<bits>". Two embeddings at angle theta
//! agree on a band with probability (1 - theta/pi)^rows; a user is a candidate when at least
//! `min_bands` bands agree. Candidates verify the exact distance locally after decryption.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::MatchingError;

pub struct SimHash {
    dim: usize,
    bands: usize,
    rows: usize,
    /// (bands * rows) x dim hyperplane normals, row-major.
    planes: Vec<f32>,
}

impl SimHash {
    /// `rows` must be at most 64.
    pub fn new(seed: u64, dim: usize, bands: usize, rows: usize) -> Self {
        let rows = rows.clamp(1, 64);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let planes = (0..bands * rows * dim)
            .map(|_| gaussian(&mut rng))
            .collect();
        Self {
            dim,
            bands,
            rows,
            planes,
        }
    }

    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Band values of an embedding.
    pub fn band_values(&self, x: &[f32]) -> Result<Vec<u64>, MatchingError> {
        if x.len() != self.dim {
            return Err(MatchingError::Dimension {
                got: x.len(),
                expected: self.dim,
            });
        }
        let mut out = Vec::with_capacity(self.bands);
        for band in 0..self.bands {
            let mut v = 0u64;
            for row in 0..self.rows {
                let k = band * self.rows + row;
                let w = &self.planes[k * self.dim..(k + 1) * self.dim];
                let dot: f32 = w.iter().zip(x).map(|(a, b)| a * b).sum();
                v |= u64::from(dot >= 0.0) << row;
            }
            out.push(v);
        }
        Ok(out)
    }

    /// Band tokens ready for blinding.
    pub fn tokens(&self, x: &[f32]) -> Result<Vec<String>, MatchingError> {
        Ok(self
            .band_values(x)?
            .into_iter()
            .enumerate()
            .map(|(b, v)| format!("lsh/{b}/{v:x}"))
            .collect())
    }
}

/// Standard normal via Box-Muller from 2 x 32 random bits.
fn gaussian(rng: &mut ChaCha20Rng) -> f32 {
    let u1 = (f64::from(rng.next_u32()) + 1.0) / 4_294_967_297.0;
    let u2 = f64::from(rng.next_u32()) / 4_294_967_296.0;
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// Cosine distance 1 - cos(x, y): what a recipient checks locally against the request's s.
pub fn cosine_distance(x: &[f32], y: &[f32]) -> f32 {
    let dot: f32 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let nx: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
    let ny: f32 = y.iter().map(|a| a * a).sum::<f32>().sqrt();
    if nx == 0.0 || ny == 0.0 {
        return 1.0;
    }
    1.0 - dot / (nx * ny)
}
