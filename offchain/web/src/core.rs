//! Host-testable logic behind the JavaScript API.

use bithive_dgkbe::bgw::{BgwCiphertext, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use bithive_matching::group::{hash_token, Blinded, OprfRequest};
use bithive_matching::lsh::{cosine_distance, SimHash};
use bithive_matching::output::commitment;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

/// Public LSH parameters (must equal the matching network's).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LshParams {
    pub seed: u64,
    pub dim: usize,
    pub bands: usize,
    pub rows: usize,
}

fn hex32(s: &str) -> Result<Blinded, String> {
    let v = hex::decode(s).map_err(|e| format!("bad hex: {e}"))?;
    v.try_into().map_err(|_| "expected 32 bytes".to_string())
}

/// A fresh RNG from the platform (crypto.getRandomValues in the browser / Node).
pub fn os_rng() -> Result<ChaCha20Rng, String> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// Tokens of a profile: the exact attributes followed by the SimHash band tokens.
pub fn profile_tokens(
    attributes: &[String],
    embedding: &[f32],
    lsh: &LshParams,
) -> Result<Vec<String>, String> {
    let sh = SimHash::new(lsh.seed, lsh.dim, lsh.bands, lsh.rows);
    let mut t = attributes.to_vec();
    t.extend(sh.tokens(embedding).map_err(|e| e.to_string())?);
    Ok(t)
}

/// Client half of the OPRF for a list of tokens.
pub struct OprfBatch {
    pending: Vec<OprfRequest>,
}

impl OprfBatch {
    pub fn new(tokens: &[String], rng: &mut ChaCha20Rng) -> Self {
        Self {
            pending: tokens.iter().map(|t| OprfRequest::new(t, rng)).collect(),
        }
    }

    /// Hex points to send to the blinding service.
    pub fn request(&self) -> Vec<String> {
        self.pending
            .iter()
            .map(|r| hex::encode(r.blinded))
            .collect()
    }

    /// Unblinds the service's answers into H(x)^a (hex), consuming the batch.
    pub fn finish(self, answers: &[String]) -> Result<Vec<String>, String> {
        if answers.len() != self.pending.len() {
            return Err("answer count differs from request count".into());
        }
        self.pending
            .into_iter()
            .zip(answers)
            .map(|(r, a)| {
                r.finish(&hex32(a)?)
                    .map(hex::encode)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

pub fn hash_token_hex(token: &str) -> String {
    hex::encode(hash_token(token).compress().to_bytes())
}

fn recipient_set(recipients: &[u32]) -> Result<RoaringBitmap, String> {
    let set: RoaringBitmap = recipients.iter().copied().collect();
    if set.len() != recipients.len() as u64 {
        return Err("duplicate recipients".into());
    }
    Ok(set)
}

/// BGW decryption (the product scheme): the user's 109-byte key, the group's public parameters
/// (version 4, with v = gamma Q), the recipient set S (public, committed with the ciphertext) and
/// the ciphertext. A key not in S and a header that does not match S are refused before any key
/// is derived, so a body sealed by someone without a key never opens.
pub fn decrypt(
    key: &[u8],
    public_params: &[u8],
    recipients: &[u32],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, String> {
    let mut key = BgwUserKey::from_bytes(key).map_err(|e| e.to_string())?;
    let pp = BgwPublicParams::from_bytes(public_params).map_err(|e| e.to_string())?;
    let s = recipient_set(recipients)?;
    let ct = BgwCiphertext::from_bytes(ciphertext).map_err(|e| e.to_string())?;
    key.decrypt(&pp, &s, &ct, aad)
        .map(|(pt, _)| pt)
        .map_err(|e| e.to_string())
}

/// Checks an attestation's commitment against the recipient set and ciphertext received off chain.
pub fn verify_commitment(
    request_id: u64,
    recipients: &[u32],
    ciphertext: &[u8],
    expected: &str,
) -> Result<bool, String> {
    let set = recipient_set(recipients)?;
    Ok(hex::encode(commitment(request_id, &set, ciphertext)) == expected.to_ascii_lowercase())
}

pub fn distance(a: &[f32], b: &[f32]) -> Result<f32, String> {
    if a.len() != b.len() {
        return Err("dimension mismatch".into());
    }
    Ok(cosine_distance(a, b))
}

/// Contract messages (JSON, snake_case like every BitHive contract message).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum MatchingMsg {
    /// Register the blinded profile (H(x)^a values) of a user slot for an epoch.
    SubmitProfile {
        user: u32,
        epoch: u64,
        tags: Vec<String>,
    },
    /// A recipient acknowledges a request after local verification (exact criteria and distance).
    AcceptRequest { request_id: u64, commitment: String },
}

pub fn submit_profile_msg(user: u32, epoch: u64, tags: Vec<String>) -> Result<String, String> {
    for t in &tags {
        hex32(t)?;
    }
    serde_json::to_string(&MatchingMsg::SubmitProfile { user, epoch, tags })
        .map_err(|e| e.to_string())
}

pub fn accept_request_msg(request_id: u64, commitment: &str) -> Result<String, String> {
    hex32(commitment)?;
    serde_json::to_string(&MatchingMsg::AcceptRequest {
        request_id,
        commitment: commitment.to_ascii_lowercase(),
    })
    .map_err(|e| e.to_string())
}
