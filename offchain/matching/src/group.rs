//! Commutative blinding on Ristretto255: tag(x) = H(x)^(a*b).
//!
//! `a` is the attribute key of the blinding service (an OPRF: clients send H(x)*r, get back
//! H(x)*r*a, unblind with 1/r, so the service sees uniformly random points only); `b` is the
//! matching node's key. Because scalar multiplication commutes, user-side tags (a then b) and
//! requester-side criteria (a then b, or b then a) land on the same value, and nobody holding only
//! one key can run a dictionary over the low-entropy attribute space.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::Sha512;
use zeroize::Zeroize;

use crate::MatchingError;

/// Elements per parallel task (and per shared inversion) in `apply_batch`.
const BATCH_CHUNK: usize = 512;

const HASH_DOMAIN: &[u8] = b"bithive/matching/v1/token:";

/// A blinded group element as it travels and is stored (32 bytes, canonical encoding).
pub type Blinded = [u8; 32];

/// H(x): hash of a token string to a uniformly distributed Ristretto255 point.
pub fn hash_token(token: &str) -> RistrettoPoint {
    let mut input = Vec::with_capacity(HASH_DOMAIN.len() + token.len());
    input.extend_from_slice(HASH_DOMAIN);
    input.extend_from_slice(token.as_bytes());
    RistrettoPoint::hash_from_bytes::<Sha512>(&input)
}

pub fn decode(b: &Blinded) -> Result<RistrettoPoint, MatchingError> {
    CompressedRistretto(*b)
        .decompress()
        .ok_or(MatchingError::InvalidPoint)
}

/// A blinding key (a or b). Zeroized on drop.
pub struct BlindingKey(Scalar);

impl BlindingKey {
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Scalar::random(rng))
    }

    pub fn apply_point(&self, p: &RistrettoPoint) -> Blinded {
        (p * self.0).compress().to_bytes()
    }

    /// One element: decode, multiply, re-encode.
    pub fn apply(&self, b: &Blinded) -> Result<Blinded, MatchingError> {
        Ok((decode(b)? * self.0).compress().to_bytes())
    }

    /// A batch on all cores (rayon), order preserved. Each chunk multiplies by b/2 and encodes
    /// with `double_and_compress_batch`, which shares one field inversion across the chunk, so
    /// the encoding cost almost vanishes next to the scalar multiplication.
    pub fn apply_batch(&self, input: &[Blinded]) -> Result<Vec<Blinded>, MatchingError> {
        let half = self.0 * Scalar::from(2u8).invert();
        let chunks: Vec<Vec<Blinded>> = input
            .par_chunks(BATCH_CHUNK)
            .map(|chunk| {
                let pts = chunk
                    .iter()
                    .map(|b| decode(b).map(|p| p * half))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(RistrettoPoint::double_and_compress_batch(&pts)
                    .into_iter()
                    .map(|c| c.to_bytes())
                    .collect())
            })
            .collect::<Result<_, MatchingError>>()?;
        Ok(chunks.into_iter().flatten().collect())
    }
}

impl Drop for BlindingKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Client half of the OPRF: H(x)*r, and the factor 1/r to undo it.
pub struct OprfRequest {
    pub blinded: Blinded,
    unblind: Scalar,
}

impl OprfRequest {
    pub fn new<R: RngCore + CryptoRng>(token: &str, rng: &mut R) -> Self {
        let mut r = Scalar::random(rng);
        while r == Scalar::ZERO {
            r = Scalar::random(rng);
        }
        let blinded = (hash_token(token) * r).compress().to_bytes();
        Self {
            blinded,
            unblind: r.invert(),
        }
    }

    /// Turns the service's answer H(x)*r*a into H(x)*a.
    pub fn finish(mut self, answer: &Blinded) -> Result<Blinded, MatchingError> {
        let out = (decode(answer)? * self.unblind).compress().to_bytes();
        self.unblind.zeroize();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn batch_equals_one_by_one_and_blinding_commutes() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (a, b) = (BlindingKey::random(&mut rng), BlindingKey::random(&mut rng));
        let input: Vec<Blinded> = (0..1100)
            .map(|i| hash_token(&format!("x{i}")).compress().to_bytes())
            .collect();
        let batch = a.apply_batch(&input).unwrap();
        for (x, y) in input.iter().zip(&batch) {
            assert_eq!(a.apply(x).unwrap(), *y);
        }
        let ab = b.apply_batch(&batch).unwrap();
        let ba = a.apply_batch(&b.apply_batch(&input).unwrap()).unwrap();
        assert_eq!(ab, ba);
        assert_ne!(ab, batch);
    }

    #[test]
    fn oprf_output_equals_direct_evaluation() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let a = BlindingKey::random(&mut rng);
        let req = OprfRequest::new("cond=C07", &mut rng);
        let answer = a.apply(&req.blinded).unwrap();
        assert_eq!(
            req.finish(&answer).unwrap(),
            a.apply_point(&hash_token("cond=C07"))
        );
    }

    #[test]
    fn invalid_encodings_are_rejected() {
        let a = BlindingKey::random(&mut ChaCha20Rng::seed_from_u64(5));
        assert_eq!(a.apply(&[0xff; 32]), Err(MatchingError::InvalidPoint));
        let mut batch = vec![hash_token("t").compress().to_bytes(); 3];
        batch[1] = [0xff; 32];
        assert_eq!(a.apply_batch(&batch), Err(MatchingError::InvalidPoint));
    }
}
