//! Fixed-base scalar multiplication with a precomputed window table (public data only: multiples
//! of a generator). The window index is computed with shifts and masks, without branching on the
//! scalar's bits; the table read is still indexed by secret bits (cache timing, see README).

use ark_ec::CurveGroup;
use ark_ff::PrimeField;

const WINDOW: usize = 8;

/// `rows[k][d] = d * 2^(WINDOW*k) * G` for every window digit `d`.
pub struct FixedBaseTable<G: CurveGroup> {
    rows: Vec<Vec<G::Affine>>,
}

impl<G: CurveGroup> FixedBaseTable<G> {
    pub fn new(generator: G) -> Self {
        let bits = G::ScalarField::MODULUS_BIT_SIZE as usize;
        let outer = bits.div_ceil(WINDOW);
        let mut rows = Vec::with_capacity(outer);
        let mut base = generator;
        for _ in 0..outer {
            let mut row = Vec::with_capacity(1 << WINDOW);
            let mut acc = G::zero();
            for _ in 0..(1usize << WINDOW) {
                row.push(acc);
                acc += base;
            }
            rows.push(G::normalize_batch(&row));
            for _ in 0..WINDOW {
                base.double_in_place();
            }
        }
        Self { rows }
    }

    pub fn mul(&self, scalar: &G::ScalarField) -> G {
        let repr = scalar.into_bigint();
        let limbs = repr.as_ref();
        let mut acc = G::zero();
        for (k, row) in self.rows.iter().enumerate() {
            acc += row[window_digit(limbs, k * WINDOW)];
        }
        acc
    }
}

/// The `WINDOW` bits of the little-endian limbs starting at bit `offset` (offset is public).
fn window_digit(limbs: &[u64], offset: usize) -> usize {
    let q = offset / 64;
    let r = offset % 64;
    let lo = limbs.get(q).copied().unwrap_or(0) as u128;
    let hi = limbs.get(q + 1).copied().unwrap_or(0) as u128;
    let both = (hi << 64) | lo;
    ((both >> r) as usize) & ((1 << WINDOW) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{Fr, G1Projective, G2Projective};
    use ark_ec::Group;
    use ark_std::UniformRand;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn matches_plain_scalar_multiplication() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let t1 = FixedBaseTable::new(G1Projective::generator());
        let t2 = FixedBaseTable::new(G2Projective::generator());
        let mut scalars = vec![Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64)];
        scalars.extend((0..8).map(|_| Fr::rand(&mut rng)));
        for s in &scalars {
            assert_eq!(t1.mul(s), G1Projective::generator() * s);
            assert_eq!(t2.mul(s), G2Projective::generator() * s);
        }
    }
}
