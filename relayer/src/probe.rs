//! Availability probes (ADR 007, decision 4): the protocol core, without I/O.
//!
//! An attestor probes every node that registered an endpoint in staking at times the node cannot
//! predict. Each epoch is cut into `probes` equal strata and one probe falls in each, at an offset
//! drawn from a keyed hash of the attestor's secret seed, the epoch and the node: a node that is
//! down for half an epoch misses about half of them, and it cannot be up only when probed. A probe
//! is a fresh random 32-byte challenge; the node answers with its operator key's signature over
//! [`probe_digest`] (chain, staking contract, node, challenge). Only a valid signature by the
//! operator key registered in staking, received before the timeout, counts as answered: a node
//! cannot answer for another (the digest names the node), nor replay an old answer (the challenge
//! is fresh), nor let someone without its operator key answer for it.
//!
//! The async driver (the attestor's probing loop, the node's answering endpoint) lives in
//! [`crate::attestor`]; everything here is a pure function of its inputs.
use bithive_signed_attestation::{signing, PubKey33, Signature64};
use cosmwasm_std::Decimal;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Domain of the digest a node signs to answer a probe.
pub const PROBE_DOMAIN: &[u8] = b"BITHIVE/PROBE/v1";
/// Domain of the attestor's schedule seed (derived from its secret key).
const SCHEDULE_DOMAIN: &[u8] = b"BITHIVE/PROBE-SCHEDULE/v1";
/// The path prefix a node answers probes on: `/probe/<chain id>/<challenge hex>`.
pub const PROBE_PATH: &str = "/probe/";
/// Most probes per node per epoch (bounds the attestor's records and each node's load).
pub const MAX_PROBES_PER_EPOCH: u32 = 1_440;
/// Longest endpoint URL a node may register (staking enforces the same bound).
pub const MAX_ENDPOINT_LEN: usize = bithive_interface::staking::MAX_ENDPOINT_LEN;

/// Why a probe schedule or answer is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error("probes per epoch must be 1..={MAX_PROBES_PER_EPOCH}, got {0}")]
    Probes(u32),
    #[error("an epoch of {epoch_seconds} s cannot hold {probes} probes (one per second at most)")]
    EpochTooShort { epoch_seconds: u64, probes: u32 },
    #[error("signing the probe answer failed")]
    Sign,
}

/// The digest a node's operator key signs to answer `challenge`.
pub fn probe_digest(chain_id: &str, staking: &str, node: &str, challenge: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(PROBE_DOMAIN);
    for part in [chain_id, staking, node] {
        // Length-prefixed, so no two (chain, staking, node) triples hash alike.
        h.update((part.len() as u32).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update(challenge);
    h.finalize().into()
}

/// The attestor's schedule seed: a one-way function of its secret key, so nobody without the
/// key (the probed node included) can compute when it will be probed.
pub fn schedule_seed(secret: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SCHEDULE_DOMAIN);
    h.update(secret);
    h.finalize().into()
}

/// When one attestor probes each node in an epoch.
#[derive(Clone, Debug)]
pub struct Schedule {
    seed: [u8; 32],
    epoch_seconds: u64,
    probes: u32,
}

impl Schedule {
    pub fn new(seed: [u8; 32], epoch_seconds: u64, probes: u32) -> Result<Schedule, ProbeError> {
        if probes == 0 || probes > MAX_PROBES_PER_EPOCH {
            return Err(ProbeError::Probes(probes));
        }
        if epoch_seconds < u64::from(probes) {
            return Err(ProbeError::EpochTooShort {
                epoch_seconds,
                probes,
            });
        }
        Ok(Schedule {
            seed,
            epoch_seconds,
            probes,
        })
    }

    pub fn probes(&self) -> u32 {
        self.probes
    }

    pub fn epoch_seconds(&self) -> u64 {
        self.epoch_seconds
    }

    /// Seconds from the epoch's start of each probe of `node` in `epoch`, one per stratum, in
    /// increasing order. Strata are `epoch_seconds / probes` long; the last one takes the rest.
    pub fn offsets(&self, epoch: u64, node: &str) -> Vec<u64> {
        let n = u64::from(self.probes);
        let stratum = self.epoch_seconds / n;
        (0..n)
            .map(|i| {
                let start = i * stratum;
                let len = if i + 1 == n {
                    self.epoch_seconds - start
                } else {
                    stratum
                };
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(epoch.to_be_bytes());
                h.update((node.len() as u32).to_be_bytes());
                h.update(node.as_bytes());
                h.update(i.to_be_bytes());
                let d: [u8; 32] = h.finalize().into();
                let draw = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
                start + draw % len
            })
            .collect()
    }
}

/// The path an attestor asks a node on.
pub fn probe_path(chain_id: &str, challenge: &[u8; 32]) -> String {
    format!("{PROBE_PATH}{chain_id}/{}", hex::encode(challenge))
}

/// `(chain id, challenge)` of a probe path; `None` for anything else.
pub fn parse_probe_path(path: &str) -> Option<(&str, [u8; 32])> {
    let rest = path.strip_prefix(PROBE_PATH)?;
    let (chain, hex_challenge) = rest.split_once('/')?;
    if chain.is_empty() || chain.len() > 64 || !chain.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut challenge = [0u8; 32];
    hex::decode_to_slice(hex_challenge, &mut challenge).ok()?;
    Some((chain, challenge))
}

/// A node's answer to a probe (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeAnswer {
    /// The node account the answer is for.
    pub node: String,
    /// The operator key's signature over [`probe_digest`].
    pub signature: Signature64,
}

/// The node's side: answers `challenge` for `node` with its operator key.
pub fn answer(
    key: &SigningKey,
    chain_id: &str,
    staking: &str,
    node: &str,
    challenge: &[u8; 32],
) -> Result<ProbeAnswer, ProbeError> {
    let digest = probe_digest(chain_id, staking, node, challenge);
    let sig: Signature = key.sign_prehash(&digest).map_err(|_| ProbeError::Sign)?;
    let sig = sig.normalize_s().unwrap_or(sig);
    let mut out = [0u8; 64];
    out.copy_from_slice(&sig.to_bytes());
    Ok(ProbeAnswer {
        node: node.to_string(),
        signature: Signature64(out),
    })
}

/// The attestor's side: whether `answer` answers `challenge` for `node`, signed by the operator
/// key staking holds for it.
pub fn check(
    answer: &ProbeAnswer,
    operator_key: &PubKey33,
    chain_id: &str,
    staking: &str,
    node: &str,
    challenge: &[u8; 32],
) -> bool {
    if answer.node != node {
        return false;
    }
    let digest = probe_digest(chain_id, staking, node, challenge);
    signing::k256_verify(&digest, &answer.signature.0, &operator_key.0).unwrap_or(false)
}

/// What one attestor saw of one node in one epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Probes the node answered correctly in time.
    pub answered: u32,
    /// Probes sent (probes the attestor itself missed, being down, are not counted).
    pub probed: u32,
}

impl Tally {
    /// The answered share (Ravailability as this attestor measured it); `None` before any probe.
    pub fn share(&self) -> Option<Decimal> {
        (self.probed > 0).then(|| Decimal::from_ratio(self.answered, self.probed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32].into()).unwrap()
    }

    #[test]
    fn one_probe_per_stratum_and_the_schedule_depends_on_the_seed() {
        let s = Schedule::new([7; 32], 86_400, 24).unwrap();
        let o = s.offsets(3, "node1");
        assert_eq!(o.len(), 24);
        for (i, t) in o.iter().enumerate() {
            assert!(
                *t >= i as u64 * 3_600 && *t < (i as u64 + 1) * 3_600,
                "{i}: {t}"
            );
        }
        assert_eq!(o, s.offsets(3, "node1"), "deterministic for the attestor");
        assert_ne!(o, s.offsets(4, "node1"), "a new epoch, new times");
        assert_ne!(o, s.offsets(3, "node2"), "each node its own times");
        let other = Schedule::new([8; 32], 86_400, 24).unwrap();
        assert_ne!(
            o,
            other.offsets(3, "node1"),
            "another attestor, other times"
        );
        // The last stratum takes the remainder of an epoch that does not divide evenly.
        let s = Schedule::new([1; 32], 10, 3).unwrap();
        let o = s.offsets(0, "n");
        assert!(o[2] >= 6 && o[2] < 10, "{o:?}");
    }

    #[test]
    fn schedules_that_cannot_be_kept_are_refused() {
        assert_eq!(
            Schedule::new([0; 32], 100, 0).unwrap_err(),
            ProbeError::Probes(0)
        );
        assert_eq!(
            Schedule::new([0; 32], 10, 11).unwrap_err(),
            ProbeError::EpochTooShort {
                epoch_seconds: 10,
                probes: 11
            }
        );
        assert!(Schedule::new([0; 32], 1 << 40, MAX_PROBES_PER_EPOCH + 1).is_err());
    }

    #[test]
    fn an_answer_counts_only_for_its_node_challenge_chain_and_key() {
        let k = key(5);
        let pk = signing::public_key(&k);
        let ch = [9u8; 32];
        let a = answer(&k, "bithive-1", "staking1", "node1", &ch).unwrap();
        assert!(check(&a, &pk, "bithive-1", "staking1", "node1", &ch));
        // Attacks: another challenge (a replayed answer), another node, chain or staking
        // contract, another key (someone answering for the node), a flipped signature bit.
        assert!(!check(
            &a,
            &pk,
            "bithive-1",
            "staking1",
            "node1",
            &[8u8; 32]
        ));
        assert!(!check(&a, &pk, "bithive-1", "staking1", "node2", &ch));
        assert!(!check(&a, &pk, "bithive-2", "staking1", "node1", &ch));
        assert!(!check(&a, &pk, "bithive-1", "staking2", "node1", &ch));
        let other = signing::public_key(&key(6));
        assert!(!check(&a, &other, "bithive-1", "staking1", "node1", &ch));
        let mut bad = a.clone();
        bad.signature.0[10] ^= 1;
        assert!(!check(&bad, &pk, "bithive-1", "staking1", "node1", &ch));
        let mut renamed = a.clone();
        renamed.node = "node2".into();
        assert!(!check(&renamed, &pk, "bithive-1", "staking1", "node2", &ch));
    }

    #[test]
    fn probe_paths_round_trip_and_garbage_is_refused() {
        let ch = [0xab; 32];
        let p = probe_path("bithive-1", &ch);
        assert_eq!(parse_probe_path(&p), Some(("bithive-1", ch)));
        for bad in [
            "/probe/",
            "/probe/bithive-1",
            "/probe/bithive-1/",
            "/probe//abab",
            "/probe/bithive-1/zz",
            "/metrics",
            &format!("/probe/bithive-1/{}", "ab".repeat(33)),
            &format!("/probe/a b/{}", "ab".repeat(32)),
        ] {
            assert_eq!(parse_probe_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_share_is_answered_over_probed() {
        assert_eq!(Tally::default().share(), None);
        let t = Tally {
            answered: 12,
            probed: 24,
        };
        assert_eq!(t.share(), Some(Decimal::percent(50)));
    }
}
