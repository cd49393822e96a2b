//! Host-testable logic behind the JavaScript API.

use bithive_bitchat_seal::Zeroizing;
use bithive_dgkbe::bgw::{BgwCiphertext, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use bithive_matching::group::{self, hash_token, Blinded, OprfRequest};
use bithive_matching::lsh::{cosine_distance, SimHash};
use bithive_matching::node::RequestSubmission;
use bithive_matching::output::{check_delivery, match_commitment, open_output};
use bithive_matching::wire::SignedDelivery;
use bithive_matching::wire::{request_header, ReplyTo, ResearchRequest, MAX_CLAUSES};
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

/// Most criterion tokens a research request may carry (all clauses together).
pub const MAX_REQUEST_TOKENS: usize = 256;
/// Longest criterion token, in bytes.
pub const MAX_TOKEN_LEN: usize = 64;

/// Checks a request's criteria: AND over 1..=`MAX_CLAUSES` clauses, OR inside each (non-empty,
/// no token twice), at most `MAX_REQUEST_TOKENS` tokens, each `field=value` in 1..=64 printable
/// ASCII characters.
pub fn check_clauses(clauses: &[Vec<String>]) -> Result<(), String> {
    if clauses.is_empty() {
        return Err("a request needs at least one clause".into());
    }
    if clauses.len() > MAX_CLAUSES {
        return Err(format!(
            "{} clauses: at most {MAX_CLAUSES} allowed",
            clauses.len()
        ));
    }
    let total: usize = clauses.iter().map(Vec::len).sum();
    if total > MAX_REQUEST_TOKENS {
        return Err(format!(
            "{total} tokens: at most {MAX_REQUEST_TOKENS} allowed in a request"
        ));
    }
    for (i, clause) in clauses.iter().enumerate() {
        if clause.is_empty() {
            return Err(format!("clause {i} is empty"));
        }
        for (j, t) in clause.iter().enumerate() {
            check_token(t).map_err(|e| format!("clause {i}, token {j}: {e}"))?;
            if clause[..j].contains(t) {
                return Err(format!("clause {i}: token {t:?} appears twice"));
            }
        }
    }
    Ok(())
}

fn check_token(t: &str) -> Result<(), String> {
    if t.is_empty() || t.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "a token has 1 to {MAX_TOKEN_LEN} characters, got {}",
            t.len()
        ));
    }
    if !t.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(format!("{t:?} is not printable ASCII"));
    }
    match t.split_once('=') {
        Some((field, value)) if !field.is_empty() && !value.is_empty() => Ok(()),
        _ => Err(format!("{t:?} is not of the form field=value")),
    }
}

/// A researcher's request built in the browser: the criteria are blinded here (one OPRF batch
/// over every token, clause by clause), unblinded into H(x)^a, and sealed with the researcher's
/// contact to the matching node's Noise key, so neither the blinding service nor the chain
/// sees a criterion. The same bytes as `bithive` builds (`client::request_submission`, then
/// `ResearchRequest::to_bytes`, sealed under `wire::request_header(chain_id)`); no embedding
/// (bands) yet.
pub struct ResearchBatch {
    id: u64,
    /// Tokens per clause, to regroup the flat OPRF outputs.
    shape: Vec<usize>,
    wire: Vec<Blinded>,
    /// `None` once sealed.
    oprf: Option<group::OprfBatch>,
    /// The researcher's fresh Noise key for this request: the node answers (S_i) to it.
    noise_private: Zeroizing<[u8; 32]>,
    noise_public: [u8; 32],
}

impl ResearchBatch {
    pub fn new(id: u64, clauses: &[Vec<String>], rng: &mut ChaCha20Rng) -> Result<Self, String> {
        check_clauses(clauses)?;
        let tokens: Vec<&str> = clauses.iter().flatten().map(String::as_str).collect();
        let (oprf, wire) = group::OprfBatch::new(&tokens, rng);
        let noise_private =
            bithive_bitchat_seal::generate_private_key().map_err(|e| e.to_string())?;
        let noise_public =
            bithive_bitchat_seal::public_key(noise_private.as_ref()).map_err(|e| e.to_string())?;
        Ok(Self {
            id,
            shape: clauses.iter().map(Vec::len).collect(),
            wire,
            oprf: Some(oprf),
            noise_private,
            noise_public,
        })
    }

    /// Hex points H(x)*r to send to the blinding service, clause by clause, flattened.
    pub fn request(&self) -> Result<Vec<String>, String> {
        if self.oprf.is_none() {
            return Err("request already sealed".into());
        }
        Ok(self.wire.iter().map(hex::encode).collect())
    }

    /// The researcher's Noise public key for this request (hex), where the match notice goes.
    pub fn noise_public(&self) -> String {
        hex::encode(self.noise_public)
    }

    /// Unblinds the service's answers (same order as [`ResearchBatch::request`]), builds the
    /// `ResearchRequest` (clauses, no bands; reply to `account_pubkey`, a 33-byte compressed
    /// secp256k1 key, and this request's Noise key) and seals it to the node's Noise key
    /// under `request_header(chain_id)`. Bad input is refused with the batch kept; once the
    /// request is sealed, the batch is spent.
    pub fn seal(
        &mut self,
        answers: &[String],
        account_pubkey: &[u8],
        node_noise_pubkey_hex: &str,
        chain_id: &str,
    ) -> Result<Vec<u8>, String> {
        if self.oprf.is_none() {
            return Err("request already sealed".into());
        }
        if answers.len() != self.wire.len() {
            return Err(format!(
                "expected {} answers, got {}",
                self.wire.len(),
                answers.len()
            ));
        }
        let answers = answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let b = hex32(a).map_err(|e| format!("answer {i}: {e}"))?;
                group::decode(&b).map_err(|_| format!("answer {i}: not a group element"))?;
                Ok(b)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let account_pubkey = account_key(account_pubkey)?;
        let node_noise: [u8; 32] =
            hex32(node_noise_pubkey_hex).map_err(|e| format!("node Noise key: {e}"))?;
        if chain_id.is_empty() {
            return Err("empty chain id".into());
        }
        let oprf = self.oprf.take().ok_or("request already sealed")?;
        let mut flat = oprf
            .finish(&answers)
            .map_err(|e| e.to_string())?
            .into_iter();
        let clauses = self
            .shape
            .iter()
            .map(|&n| flat.by_ref().take(n).collect())
            .collect();
        let request = ResearchRequest {
            submission: RequestSubmission {
                id: self.id,
                clauses,
                bands: vec![],
                min_bands: 0,
            },
            reply_to: ReplyTo {
                account_pubkey,
                noise_pubkey: self.noise_public,
                addr: None,
            },
        };
        let plain = Zeroizing::new(request.to_bytes().map_err(|e| e.to_string())?);
        bithive_bitchat_seal::seal(
            self.noise_private.as_ref(),
            &node_noise,
            &request_header(chain_id),
            &plain,
        )
        .map_err(|e| e.to_string())
    }
}

/// A compressed secp256k1 public key (the researcher's chain account, which signs the delivery):
/// 33 bytes with the 02/03 prefix. Not decompressed here (k256's field arithmetic would add
/// 26 KB to the .wasm for a key the wallet hands over); the node and BitChat parse it.
fn account_key(k: &[u8]) -> Result<[u8; 33], String> {
    let key: [u8; 33] = k.try_into().map_err(|_| {
        format!(
            "account public key: expected 33 bytes (compressed secp256k1), got {}",
            k.len()
        )
    })?;
    if !matches!(key[0], 2 | 3) {
        return Err("account public key: not a compressed secp256k1 key (prefix 02 or 03)".into());
    }
    Ok(key)
}

pub fn hash_token_hex(token: &str) -> String {
    hex::encode(hash_token(token).compress().to_bytes())
}

pub(crate) fn recipient_set(recipients: &[u32]) -> Result<RoaringBitmap, String> {
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

/// Checks a matching attestation's `result_hash` against the request id, the match's salt and
/// the recipient set received off chain (what the researcher checks a match notice with).
pub fn verify_match(
    request_id: u64,
    salt_hex: &str,
    recipients: &[u32],
    result_hash_hex: &str,
) -> Result<bool, String> {
    let salt = hex32(salt_hex).map_err(|e| format!("salt: {e}"))?;
    let set = recipient_set(recipients)?;
    Ok(hex::encode(match_commitment(request_id, &salt, &set))
        == result_hash_hex.to_ascii_lowercase())
}

/// The escrow job a delivery names: the page reads that job's matching attestation and payer
/// from the chain before [`open_delivery`].
pub fn delivery_job(delivery: &[u8]) -> Result<String, String> {
    SignedDelivery::from_bytes(delivery)
        .map(|d| d.escrow_job_id)
        .map_err(|e| format!("not a delivery: {e}"))
}

/// A recipient's whole check and decryption of a researcher's delivery, as the CLI recipients
/// do it: the delivery must be for `job_id`, whose matching attestation (`result_hash_hex`)
/// and payer (`payer`) the page read from the chain; its S_i and salt must be what that
/// attestation committed to and its signature that payer's for `chain_id` and the job; only
/// then is it opened with the key. Anything else is refused before any key is derived.
pub fn open_delivery(
    key: &[u8],
    public_params: &[u8],
    delivery: &[u8],
    chain_id: &str,
    job_id: &str,
    result_hash_hex: &str,
    payer: &str,
) -> Result<Vec<u8>, String> {
    let onchain = hex32(result_hash_hex).map_err(|e| format!("result hash: {e}"))?;
    let d = SignedDelivery::from_bytes(delivery).map_err(|e| format!("not a delivery: {e}"))?;
    check_delivery(&d, chain_id, job_id, &onchain, payer).map_err(|e| e.to_string())?;
    let mut key = BgwUserKey::from_bytes(key).map_err(|e| e.to_string())?;
    let pp = BgwPublicParams::from_bytes(public_params).map_err(|e| e.to_string())?;
    open_output(&d.output, &mut key, &pp).map_err(|e| e.to_string())
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
