//! The attestable result of one job and the canonical encoding its hash is taken over.
//!
//! `result_sha256 = sha256(canonical_bytes)`, with `canonical_bytes` the concatenation of:
//!
//! | field | encoding |
//! | --- | --- |
//! | domain | the 27 ASCII bytes `BITHIVE-INFERENCE-RESULT-V1` |
//! | job id | u32 big-endian byte length, then UTF-8 |
//! | model hash | 32 bytes (sha256 of the ONNX file) |
//! | input hash | 32 bytes (sha256 of the input, see `JobInput::sha256`) |
//! | label index | u32 big-endian |
//! | label | u32 big-endian byte length, then UTF-8 |
//! | probabilities | u32 big-endian count, then each f32 as its IEEE-754 bits, big-endian |
//! | Tscore | u128 big-endian: the Decimal's atomics (value x 10^18) |
//! | saliency (image models with `[explain]` only) | 32 bytes: [`Saliency::sha256`] |
//!
//! The saliency hash is appended only when the result has one, and such a result's domain is
//! `BITHIVE-INFERENCE-RESULT-V2` instead (so a V1 verifier never misreads one); every other
//! result hashes as before.
//!
//! This crate holds only what a verifier needs (the result, its Tscore breakdown and its
//! saliency map, with their hashes), without the engine: the browser package opens and checks a
//! patient's explanation with it (issue #47), the engine (`bithive-inference`) builds results
//! with it.

use cosmwasm_std::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use bithive_formulas::tscore::{TscoreInputs, TscoreWeights};

pub const RESULT_DOMAIN: &[u8] = b"BITHIVE-INFERENCE-RESULT-V1";
/// The domain of a result with a saliency map.
pub const RESULT_DOMAIN_V2: &[u8] = b"BITHIVE-INFERENCE-RESULT-V2";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InferenceResult {
    pub job_id: String,
    pub model: String,
    pub model_version: String,
    /// Lowercase hex.
    pub model_sha256: String,
    /// Lowercase hex.
    pub input_sha256: String,
    pub label: String,
    pub label_index: u32,
    pub probabilities: Vec<f32>,
    pub tscore: Decimal,
    pub trust: TrustBreakdown,
    /// The occlusion saliency map (image models with `[explain]`): its hash is in the result
    /// hash; the map itself goes to the patient off chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saliency: Option<Saliency>,
    /// Not hashed: the domain guard's similarity, for a model with one (its effect is in
    /// Dquality, and so in the Tscore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_similarity: Option<f32>,
    /// Not hashed: where the result was computed (cpu or cuda) and in how large a batch.
    pub execution_provider: String,
    pub batch_size: u32,
    /// Lowercase hex sha256 of the canonical encoding.
    pub result_sha256: String,
}

/// Everything the score was computed from, so a verifier can recompute it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustBreakdown {
    pub weights: TscoreWeights,
    pub inputs: TscoreInputs,
    pub tscore: Decimal,
}

/// Domain tag of a saliency map's hash.
pub const SALIENCY_DOMAIN: &[u8] = b"BITHIVE-SALIENCY-V1";
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
    /// `grid²` cells, in 1..=16 patches per side.
    pub fn is_well_formed(&self) -> bool {
        (1..=16).contains(&self.grid) && self.cells.len() == (self.grid * self.grid) as usize
    }

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

/// The hashed fields, borrowed.
pub struct ResultCore<'a> {
    pub job_id: &'a str,
    pub model_sha256: &'a [u8; 32],
    pub input_sha256: &'a [u8; 32],
    pub label_index: u32,
    pub label: &'a str,
    pub probabilities: &'a [f32],
    pub tscore: Decimal,
    pub saliency_sha256: Option<[u8; 32]>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl ResultCore<'_> {
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.job_id.len() + 4 * self.probabilities.len());
        out.extend_from_slice(if self.saliency_sha256.is_some() {
            RESULT_DOMAIN_V2
        } else {
            RESULT_DOMAIN
        });
        put_str(&mut out, self.job_id);
        out.extend_from_slice(self.model_sha256);
        out.extend_from_slice(self.input_sha256);
        out.extend_from_slice(&self.label_index.to_be_bytes());
        put_str(&mut out, self.label);
        out.extend_from_slice(&(self.probabilities.len() as u32).to_be_bytes());
        for p in self.probabilities {
            out.extend_from_slice(&p.to_bits().to_be_bytes());
        }
        out.extend_from_slice(&self.tscore.atomics().u128().to_be_bytes());
        if let Some(s) = &self.saliency_sha256 {
            out.extend_from_slice(s);
        }
        out
    }

    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl InferenceResult {
    /// Recomputes the result hash from the other fields (None if a hash field is not 32-byte hex).
    pub fn recompute_hash(&self) -> Option<String> {
        let model = hex32(&self.model_sha256)?;
        let input = hex32(&self.input_sha256)?;
        let core = ResultCore {
            job_id: &self.job_id,
            model_sha256: &model,
            input_sha256: &input,
            label_index: self.label_index,
            label: &self.label,
            probabilities: &self.probabilities,
            tscore: self.tscore,
            saliency_sha256: self.saliency.as_ref().map(|s| s.sha256()),
        };
        Some(hex::encode(core.sha256()))
    }

    /// True when `result_sha256` matches the fields and the Tscore matches its breakdown.
    pub fn verify(&self) -> bool {
        // The label names one of the probabilities (a result without probabilities names none).
        let label_ok =
            self.probabilities.is_empty() || (self.label_index as usize) < self.probabilities.len();
        let saliency_ok = self
            .saliency
            .as_ref()
            .is_none_or(|s| s.is_well_formed() && s.label_index == self.label_index);
        label_ok
            && saliency_ok
            && self.recompute_hash().as_deref() == Some(self.result_sha256.as_str())
            && self.trust.tscore == self.tscore
            && bithive_formulas::tscore::tscore(&self.trust.weights, &self.trust.inputs)
                == Ok(self.tscore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Vector cross-checked with Python (hashlib, struct) from the documented encoding:
    /// b"BITHIVE-INFERENCE-RESULT-V1" + pack(">I", 6) + b"job-42" + bytes(range(32))
    /// + bytes(range(32, 64)) + pack(">I", 1) + pack(">I", 6) + b"benign" + pack(">I", 2)
    /// + pack(">ff", 0.25, 0.75) + (880000000000000000).to_bytes(16, "big")
    #[test]
    fn canonical_encoding_vector() {
        let model: [u8; 32] = core::array::from_fn(|i| i as u8);
        let input: [u8; 32] = core::array::from_fn(|i| 32 + i as u8);
        let core = ResultCore {
            job_id: "job-42",
            model_sha256: &model,
            input_sha256: &input,
            label_index: 1,
            label: "benign",
            probabilities: &[0.25, 0.75],
            tscore: Decimal::from_str("0.88").unwrap(),
            saliency_sha256: None,
        };
        let bytes = core.canonical_bytes();
        assert_eq!(bytes.len(), 27 + 4 + 6 + 32 + 32 + 4 + 4 + 6 + 4 + 8 + 16);
        assert_eq!(hex::encode(core.sha256()), EXPECTED_VECTOR_HASH);
    }

    const EXPECTED_VECTOR_HASH: &str =
        "bfbaa75d058c6137c50d7241166de75e744046bee287492129e6388a87019265";
}
