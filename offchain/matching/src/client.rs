//! User client and requester: plaintext stays here; only OPRF-blinded points leave.

use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;

use crate::group::{Blinded, BlindingKey, OprfBatch};
use crate::lsh::SimHash;
use crate::node::{RequestSubmission, UserSubmission};
use crate::MatchingError;

/// A user's private profile: exact attributes as "field=value" tokens and an embedding g(X).
#[derive(Clone, Debug)]
pub struct UserProfile {
    pub user: u32,
    pub attributes: Vec<String>,
    pub embedding: Vec<f32>,
}

/// A requester's private criteria: AND over clauses, OR inside a clause; an optional embedding
/// with the candidate threshold (bands that must agree) and the exact distance bound s that
/// recipients verify after decryption.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub id: u64,
    pub clauses: Vec<Vec<String>>,
    pub embedding: Option<Vec<f32>>,
    pub min_bands: u32,
    pub max_distance: f32,
}

/// The blinding service's side of the OPRF (holds key a). It sees only H(x)*r for random r.
pub struct BlindingService {
    key: BlindingKey,
}

impl BlindingService {
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            key: BlindingKey::random(rng),
        }
    }

    pub fn evaluate(&self, blinded: &[Blinded]) -> Result<Vec<Blinded>, MatchingError> {
        self.key.apply_batch(blinded)
    }

    /// H(x)^a computed directly from the token: the same bytes the OPRF round produces. The
    /// service can always do this (which is why it must not see the node's tags); benches use it
    /// to build large populations without repeating the per-user OPRF, whose cost they measure
    /// separately.
    pub fn evaluate_token(&self, token: &str) -> Blinded {
        self.key.apply_point(&crate::group::hash_token(token))
    }
}

/// Runs the OPRF for a list of tokens against `service`: H(x)^a for each.
pub fn oprf_tokens<R: RngCore + CryptoRng>(
    tokens: &[String],
    service: &BlindingService,
    rng: &mut R,
) -> Result<Vec<Blinded>, MatchingError> {
    let (batch, wire) = OprfBatch::new(tokens, rng);
    batch.finish(&service.evaluate(&wire)?)
}

pub fn profile_tokens(p: &UserProfile, lsh: &SimHash) -> Result<Vec<String>, MatchingError> {
    let mut t = p.attributes.clone();
    t.extend(lsh.tokens(&p.embedding)?);
    Ok(t)
}

pub fn user_submission<R: RngCore + CryptoRng>(
    p: &UserProfile,
    lsh: &SimHash,
    service: &BlindingService,
    rng: &mut R,
) -> Result<UserSubmission, MatchingError> {
    Ok(UserSubmission {
        user: p.user,
        tags: oprf_tokens(&profile_tokens(p, lsh)?, service, rng)?,
    })
}

/// Many users at once (simulation and benches): OPRF rounds in parallel, one RNG per user
/// derived from `seed`.
pub fn user_submissions(
    profiles: &[UserProfile],
    lsh: &SimHash,
    service: &BlindingService,
    seed: u64,
) -> Result<Vec<UserSubmission>, MatchingError> {
    use rand_chacha::rand_core::SeedableRng;
    profiles
        .par_iter()
        .map(|p| {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed ^ u64::from(p.user));
            user_submission(p, lsh, service, &mut rng)
        })
        .collect()
}

pub fn request_submission<R: RngCore + CryptoRng>(
    spec: &RequestSpec,
    lsh: &SimHash,
    service: &BlindingService,
    rng: &mut R,
) -> Result<RequestSubmission, MatchingError> {
    let clauses = spec
        .clauses
        .iter()
        .map(|c| oprf_tokens(c, service, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let bands = match &spec.embedding {
        Some(e) => oprf_tokens(&lsh.tokens(e)?, service, rng)?,
        None => Vec::new(),
    };
    Ok(RequestSubmission {
        id: spec.id,
        clauses,
        bands,
        min_bands: spec.min_bands,
    })
}
