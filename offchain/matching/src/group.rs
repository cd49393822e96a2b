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
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use crate::MatchingError;

/// Elements per parallel task (and per shared inversion) in `apply_batch`.
const BATCH_CHUNK: usize = 512;

const HASH_DOMAIN: &[u8] = b"bithive/matching/v1/token:";

/// A blinded group element as it travels and is stored (32 bytes, canonical encoding).
pub type Blinded = [u8; 32];

/// H(x): hash of a token string to a uniformly distributed Ristretto255 point (SHA-512 of the
/// domain and the token, through the two-Elligator map: RFC 9496's hash-to-group, the same
/// points as dalek's `hash_from_bytes::<Sha512>`).
pub fn hash_token(token: &str) -> RistrettoPoint {
    let digest = Sha512::new()
        .chain_update(HASH_DOMAIN)
        .chain_update(token.as_bytes())
        .finalize();
    RistrettoPoint::from_uniform_bytes(&digest.into())
}

/// A uniformly random scalar: 64 random bytes reduced mod l (what dalek's `Scalar::random` does,
/// kept here so the crate takes its randomness from any `rand_core` 0.6 generator).
pub fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    wide.zeroize();
    s
}

/// A uniformly random non-zero scalar (an OPRF blinding factor must be invertible).
fn random_nonzero_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    loop {
        let r = random_scalar(rng);
        if r != Scalar::ZERO {
            return r;
        }
    }
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
        Self(random_scalar(rng))
    }

    pub fn apply_point(&self, p: &RistrettoPoint) -> Blinded {
        (p * self.0).compress().to_bytes()
    }

    /// One element: decode, multiply, re-encode.
    pub fn apply(&self, b: &Blinded) -> Result<Blinded, MatchingError> {
        Ok((decode(b)? * self.0).compress().to_bytes())
    }

    /// A batch on all cores (rayon), order preserved. Each chunk returns its own vector (writing
    /// into one shared output buffer from the workers measured 5-10 % slower on two threads) and
    /// multiplies by b/2 and encodes with `double_and_compress_batch`, which needs no
    /// square root and shares one field inversion across the chunk, so what remains beside the
    /// scalar multiplication is the decode (one inverse square root per element: Ristretto has
    /// no batch decompression).
    pub fn apply_batch(&self, input: &[Blinded]) -> Result<Vec<Blinded>, MatchingError> {
        let mut half = self.0 * half();
        let res = input
            .par_chunks(BATCH_CHUNK)
            .map(|chunk| {
                let pts = chunk
                    .iter()
                    .map(|b| decode(b).map(|p| p * half))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut out = vec![[0u8; 32]; pts.len()];
                encode_doubled(&pts, &mut out);
                Ok(out)
            })
            .collect::<Result<Vec<Vec<Blinded>>, MatchingError>>();
        half.zeroize();
        Ok(res?.concat())
    }
}

/// 1/2 mod l: multiplying by s/2 and encoding with the doubling batch gives the encoding of s*P.
fn half() -> Scalar {
    Scalar::from(2u8).invert()
}

/// Writes the encodings of 2*p for each p into `out` (same length): one shared field inversion,
/// no square root per element.
fn encode_doubled(pts: &[RistrettoPoint], out: &mut [Blinded]) {
    for (o, c) in out
        .iter_mut()
        .zip(RistrettoPoint::double_and_compress_batch(pts))
    {
        *o = c.to_bytes();
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
        let mut r = random_nonzero_scalar(rng);
        let blinded = (hash_token(token) * r).compress().to_bytes();
        let unblind = r.invert();
        r.zeroize();
        Self { blinded, unblind }
    }

    /// Turns the service's answer H(x)*r*a into H(x)*a.
    pub fn finish(mut self, answer: &Blinded) -> Result<Blinded, MatchingError> {
        let out = (decode(answer)? * self.unblind).compress().to_bytes();
        self.unblind.zeroize();
        Ok(out)
    }
}

/// Client half of the OPRF for a list of tokens at once (what `client::oprf_tokens` runs): the
/// same outputs as one `OprfRequest` per token, with the blinded points encoded in one batch
/// (shared inversion, no square root), the r_i inverted together (`Scalar::invert_batch_alloc`)
/// and the answers decoded, unblinded and encoded in one batch.
pub struct OprfBatch {
    /// 1/(2 r_i): unblinding by half, then the doubling encode.
    unblind_half: Vec<Scalar>,
}

impl OprfBatch {
    /// Returns the batch state and the wire elements H(x_i)*r_i, in token order.
    pub fn new<T: AsRef<str>, R: RngCore + CryptoRng>(
        tokens: &[T],
        rng: &mut R,
    ) -> (Self, Vec<Blinded>) {
        let h = half();
        let mut r: Vec<Scalar> = tokens.iter().map(|_| random_nonzero_scalar(rng)).collect();
        let pts: Vec<RistrettoPoint> = tokens
            .iter()
            .zip(&r)
            .map(|(t, r)| hash_token(t.as_ref()) * (r * h))
            .collect();
        let mut wire = vec![[0u8; 32]; pts.len()];
        encode_doubled(&pts, &mut wire);
        // Every r_i is non-zero, so the batch inversion is defined.
        Scalar::invert_batch_alloc(&mut r);
        let unblind_half = r.iter().map(|ri| ri * h).collect();
        r.zeroize();
        (Self { unblind_half }, wire)
    }

    pub fn len(&self) -> usize {
        self.unblind_half.len()
    }

    pub fn is_empty(&self) -> bool {
        self.unblind_half.is_empty()
    }

    /// Turns the service's answers H(x_i)*r_i*a (same order as the wire elements) into H(x_i)*a.
    pub fn finish(self, answers: &[Blinded]) -> Result<Vec<Blinded>, MatchingError> {
        if answers.len() != self.unblind_half.len() {
            return Err(MatchingError::AnswerCount {
                got: answers.len(),
                expected: self.unblind_half.len(),
            });
        }
        let pts = answers
            .iter()
            .zip(&self.unblind_half)
            .map(|(a, u)| decode(a).map(|p| p * u))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = vec![[0u8; 32]; pts.len()];
        encode_doubled(&pts, &mut out);
        Ok(out)
    }
}

impl Drop for OprfBatch {
    fn drop(&mut self) {
        self.unblind_half.zeroize();
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
    fn oprf_batch_equals_single_requests() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let a = BlindingKey::random(&mut rng);
        let tokens: Vec<String> = (0..700).map(|i| format!("band{i}")).collect();
        let (batch, wire) = OprfBatch::new(&tokens, &mut rng);
        assert_eq!(batch.len(), tokens.len());
        let out = batch.finish(&a.apply_batch(&wire).unwrap()).unwrap();
        for (t, o) in tokens.iter().zip(&out) {
            assert_eq!(*o, a.apply_point(&hash_token(t)));
            let single = OprfRequest::new(t, &mut rng);
            let answer = a.apply(&single.blinded).unwrap();
            assert_eq!(single.finish(&answer).unwrap(), *o);
        }
        let (batch, wire) = OprfBatch::new(&tokens[..3], &mut rng);
        assert_eq!(
            batch.finish(&wire[..2]),
            Err(MatchingError::AnswerCount {
                got: 2,
                expected: 3
            })
        );
        let (empty, wire) = OprfBatch::new::<String, _>(&[], &mut rng);
        assert!(empty.is_empty() && wire.is_empty());
        assert_eq!(empty.finish(&[]).unwrap(), Vec::<Blinded>::new());
    }

    /// Enrolled tags and keys derived before the move to dalek 5 stay valid: H(x), the random
    /// scalars (same generator stream) and the blinding are byte-identical to dalek 4's.
    #[test]
    fn same_bytes_as_dalek_4() {
        use curve25519_dalek_4 as d4;
        for i in 0..200 {
            let token = format!("cond=C{i:02}");
            let mut input = HASH_DOMAIN.to_vec();
            input.extend_from_slice(token.as_bytes());
            let old = d4::RistrettoPoint::hash_from_bytes::<Sha512>(&input);
            assert_eq!(
                hash_token(&token).compress().to_bytes(),
                old.compress().to_bytes()
            );
            let (mut r5, mut r4) = (ChaCha20Rng::seed_from_u64(i), ChaCha20Rng::seed_from_u64(i));
            let s4 = d4::Scalar::random(&mut r4);
            let key = BlindingKey::random(&mut r5);
            assert_eq!(key.0.to_bytes(), s4.to_bytes());
            assert_eq!(
                key.apply_point(&hash_token(&token)),
                (old * s4).compress().to_bytes()
            );
        }
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
