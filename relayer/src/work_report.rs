//! A node's `compute_work` report from what the attestors measured (ADR 007, decisions 4-5), in
//! three steps that need no trust between attestors:
//!
//! 1. each attestor signs its probe tallies and its best benchmark of each node in the epoch
//!    ([`TallyShare`], `bithive relayer availability --share-out`);
//! 2. each attestor, given everyone's tally shares, computes every node's [`measured_work`]:
//!    availability, Pcompute and Penergy as medians over the measurements of attestor-set
//!    members other than the node itself, at least a quorum of them, and signs the same
//!    deterministic [`statement`] per node it measured itself (`sign-work`): one attestor alone
//!    cannot set or move a median, a node cannot count its own measurements, and a share whose
//!    signature, key, chain or epoch does not check is dropped;
//! 3. anyone combines K statement shares per node into one `submit_quorum` (`submit-work`).
//!
//! Units and task counts are not in the report: rewards takes them from the escrow's records.
//! Dfactor (data locality) is not measured yet: the statement carries the neutral
//! [`UNMEASURED`] factor, the same for every node, so it favours nobody.
use std::collections::{BTreeMap, BTreeSet};

use bithive_interface::attestation::{KeySignature, WorkPayload};
use bithive_interface::rewards::MeasuredWork;
use bithive_signed_attestation::signing::{k256_verify, public_key};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, PubKey33, Signature64, QUORUM_SIGNER,
};
use cosmwasm_std::{Binary, Decimal};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::benchmark::EnergySource;
use crate::error::RelayerError;
use crate::quorum::QuorumShare;

/// Domain of the digest an attestor signs over its tallies.
const TALLY_DOMAIN: &[u8] = b"BITHIVE/PROBE-TALLIES/v1";
/// The factor a work report states for what is not measured yet (Dfactor): one, for every node
/// alike.
pub const UNMEASURED: Decimal = Decimal::one();

fn err(what: impl std::fmt::Display) -> RelayerError {
    RelayerError::Attestation(what.to_string())
}

/// One node's probes as one attestor counted them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeTally {
    pub node: String,
    pub answered: u32,
    pub probed: u32,
    /// Benchmark challenges of the node this attestor saw end in the epoch (passed, failed or
    /// caught disagreeing).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub benched: u32,
    /// This attestor's best benchmark of the node in the epoch (highest Pcompute), if one
    /// passed its checks and none was caught disagreeing ([`crate::benchmark`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<BenchTally>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How one benchmark challenge ended, as the attestor records it.
#[derive(Clone, Debug, PartialEq)]
pub enum BenchOutcome {
    Passed(BenchTally),
    /// No answer in time, refused, or an answer that does not check (why).
    Failed(String),
    /// A signed answer whose output disagreed with the attestor's own run: kept as evidence.
    Disagreed {
        why: String,
        answer: String,
    },
}

/// One attestor's benchmarks of one node in an epoch ([`crate::store::Store::bench_summary`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BenchSummary {
    pub attempted: u32,
    pub best: Option<BenchTally>,
}

/// One benchmark's figures as the attestor measured them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchTally {
    /// TFLOPS on the published workload, timed by the attestor.
    pub pcompute: Decimal,
    /// Watts ([`crate::benchmark::penergy`]).
    pub penergy: Decimal,
    pub energy: EnergySource,
}

/// One attestor's signed tallies of one rewards epoch (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyShare {
    pub chain_id: String,
    pub staking: String,
    pub epoch: u64,
    /// By node, each node once.
    pub tallies: Vec<NodeTally>,
    pub signature: KeySignature,
}

fn tally_digest(chain_id: &str, staking: &str, epoch: u64, tallies: &[NodeTally]) -> [u8; 32] {
    let body = serde_json::to_vec(&(chain_id, staking, epoch, tallies))
        .expect("strings and integers serialize");
    let mut h = Sha256::new();
    h.update(TALLY_DOMAIN);
    h.update(body);
    h.finalize().into()
}

impl TallyShare {
    /// Signs `tallies` (sorted by node here, so the digest does not depend on their order).
    pub fn sign(
        chain_id: &str,
        staking: &str,
        epoch: u64,
        mut tallies: Vec<NodeTally>,
        key: &SigningKey,
    ) -> Result<TallyShare, RelayerError> {
        tallies.sort();
        tallies.dedup_by(|a, b| a.node == b.node);
        let digest = tally_digest(chain_id, staking, epoch, &tallies);
        let sig: Signature = key.sign_prehash(&digest).map_err(err)?;
        let sig = sig.normalize_s().unwrap_or(sig);
        let mut out = [0u8; 64];
        out.copy_from_slice(&sig.to_bytes());
        Ok(TallyShare {
            chain_id: chain_id.into(),
            staking: staking.into(),
            epoch,
            tallies,
            signature: KeySignature {
                key: public_key(key),
                signature: Signature64(out),
            },
        })
    }

    /// The signature is its key's over exactly these tallies, each node once, none above its
    /// probes.
    pub fn verify(&self) -> bool {
        let sorted = self.tallies.windows(2).all(|w| w[0].node < w[1].node);
        let sane = self.tallies.iter().all(|t| t.answered <= t.probed);
        let digest = tally_digest(&self.chain_id, &self.staking, self.epoch, &self.tallies);
        sorted
            && sane
            && k256_verify(&digest, &self.signature.signature.0, &self.signature.key.0)
                .unwrap_or(false)
    }
}

/// The tallies of `node` in `shares` that count: from shares that verify, signed by a key in
/// `members` (the attestor set's operator keys) other than `node_key`, each key once.
fn counted<'a>(
    node: &str,
    node_key: &PubKey33,
    shares: &'a [TallyShare],
    members: &BTreeSet<PubKey33>,
) -> Vec<&'a NodeTally> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in shares {
        let k = s.signature.key;
        if k == *node_key || !members.contains(&k) || !s.verify() || !seen.insert(k) {
            continue;
        }
        if let Some(t) = s.tallies.iter().find(|t| t.node == node) {
            out.push(t);
        }
    }
    out
}

/// The middle of `values` (sorted here); with an even count the lower middle when `low`, the
/// upper one otherwise: whichever side does not favour the node.
fn middle(mut values: Vec<Decimal>, low: bool) -> Decimal {
    values.sort();
    let n = values.len();
    values[if low { (n - 1) / 2 } else { n / 2 }]
}

fn too_few(node: &str, what: &str, got: usize, min: usize) -> RelayerError {
    err(format!(
        "{got} member(s) of the attestor set measured the {what} of {node} in these tallies, \
         fewer than {min}"
    ))
}

/// A node's availability in the epoch of `shares`: the median answered share over the counted
/// tallies ([`counted`]) that probed the node at least once. Refused unless at least `min`
/// members measured it (one attestor alone, or a minority, never sets a node's figure). With an
/// even count, the lower middle value, so that one high outlier cannot move it. Also returns how
/// many attestors it rests on.
pub fn measured_availability(
    node: &str,
    node_key: &PubKey33,
    shares: &[TallyShare],
    members: &BTreeSet<PubKey33>,
    min: usize,
) -> Result<(Decimal, usize), RelayerError> {
    let values: Vec<Decimal> = counted(node, node_key, shares, members)
        .into_iter()
        .filter(|t| t.probed > 0)
        .map(|t| Decimal::from_ratio(t.answered, t.probed))
        .collect();
    let n = values.len();
    if n < min.max(1) {
        return Err(too_few(node, "availability", n, min.max(1)));
    }
    Ok((middle(values, true), n))
}

/// Everything the attestors measured of `node` in the epoch of `shares`: availability as in
/// [`measured_availability`]; Pcompute the lower middle over the counted members that
/// challenged the node, a member whose challenges all failed or who caught a wrong answer
/// counting 0 (a node that refuses or fools some attestors cannot pick who sets its figure);
/// Penergy the upper middle of the passed benchmarks; each needing `min` members; Dfactor
/// [`UNMEASURED`]. No passed benchmark at all: no figure.
pub fn measured_work(
    node: &str,
    node_key: &PubKey33,
    shares: &[TallyShare],
    members: &BTreeSet<PubKey33>,
    min: usize,
) -> Result<MeasuredWork, RelayerError> {
    let (availability, _) = measured_availability(node, node_key, shares, members, min)?;
    let challenged: Vec<&NodeTally> = counted(node, node_key, shares, members)
        .into_iter()
        .filter(|t| t.benched > 0)
        .collect();
    if challenged.len() < min.max(1) {
        return Err(too_few(node, "compute", challenged.len(), min.max(1)));
    }
    let penergies: Vec<Decimal> = challenged
        .iter()
        .filter_map(|t| t.bench.map(|b| b.penergy))
        .collect();
    if penergies.is_empty() {
        return Err(err(format!(
            "no member's benchmark of {node} passed in these tallies"
        )));
    }
    Ok(MeasuredWork {
        pcompute: middle(
            challenged
                .iter()
                .map(|t| t.bench.map_or(Decimal::zero(), |b| b.pcompute))
                .collect(),
            true,
        ),
        penergy: middle(penergies, false),
        availability,
        dfactor: UNMEASURED,
    })
}

/// The attestation's job id of `node`'s work report for `epoch`: one report per node and epoch
/// (the attestation contract accepts a job id of a kind once).
pub fn work_job_id(node: &str, epoch: u64) -> String {
    format!("work/{node}/{epoch}")
}

/// The quorum `compute_work` attestation of `node` in `epoch` with what was `measured`, and its
/// payload: deterministic (the nonce is derived from the job id and the payload), so attestors
/// who measured the same sign the same bytes.
pub fn statement(
    chain_id: &str,
    rewards: &str,
    node: &str,
    epoch: u64,
    measured: MeasuredWork,
    issued_at: u64,
) -> Result<(Attestation, Binary), RelayerError> {
    let payload = serde_json::to_vec(&WorkPayload {
        node: Some(node.to_string()),
        measured,
    })
    .map_err(err)?;
    let job_id = work_job_id(node, epoch);
    let result_hash = payload_hash(AttestationKind::ComputeWork, &payload);
    let mut h = Sha256::new();
    h.update(b"BITHIVE/WORK-NONCE/v1\0");
    h.update(job_id.as_bytes());
    h.update(result_hash.0);
    let digest: [u8; 32] = h.finalize().into();
    let attestation = Attestation {
        chain_id: chain_id.into(),
        contract: rewards.into(),
        job_id,
        kind: AttestationKind::ComputeWork,
        result_hash,
        commitments: vec![],
        issued_at,
        nonce: u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")),
        signer: QUORUM_SIGNER,
    };
    Ok((attestation, Binary::from(payload)))
}

/// For each job id, the statement (attestation and payload) signed by the most distinct keys,
/// if at least `k` signed it: what one `submit_quorum` per node carries. Statements fewer than
/// `k` signed are dropped; a tie goes to the statement whose bytes sort first, so every
/// submitter picks the same.
pub fn agreed(shares: Vec<QuorumShare>, k: usize) -> Vec<Vec<QuorumShare>> {
    type Statement = (String, Vec<u8>);
    let mut groups: BTreeMap<String, BTreeMap<Statement, Vec<QuorumShare>>> = BTreeMap::new();
    for s in shares {
        let statement = (
            serde_json::to_string(&s.attestation).unwrap_or_default(),
            s.payload.to_vec(),
        );
        let group = groups
            .entry(s.attestation.job_id.clone())
            .or_default()
            .entry(statement)
            .or_default();
        if !group.iter().any(|g| g.signature.key == s.signature.key) {
            group.push(s);
        }
    }
    groups
        .into_values()
        .filter_map(|by_statement| {
            by_statement
                .into_values()
                .rev()
                .max_by_key(|g| g.len())
                .filter(|g| g.len() >= k.max(1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32].into()).unwrap()
    }

    fn share(k: u8, node: &str, answered: u32, probed: u32) -> TallyShare {
        let t = NodeTally {
            node: node.into(),
            answered,
            probed,
            benched: 0,
            bench: None,
        };
        TallyShare::sign("c", "s", 3, vec![t], &key(k)).unwrap()
    }

    fn benched(k: u8, node: &str, pcompute: u64, penergy: u64) -> TallyShare {
        let t = NodeTally {
            node: node.into(),
            answered: 24,
            probed: 24,
            benched: 2,
            bench: Some(BenchTally {
                pcompute: Decimal::permille(pcompute),
                penergy: Decimal::from_ratio(penergy, 1u8),
                energy: EnergySource::Declared,
            }),
        };
        TallyShare::sign("c", "s", 3, vec![t], &key(k)).unwrap()
    }

    fn measured(availability: u64) -> MeasuredWork {
        MeasuredWork {
            pcompute: Decimal::permille(40),
            penergy: Decimal::from_ratio(65u8, 1u8),
            availability: Decimal::percent(availability),
            dfactor: UNMEASURED,
        }
    }

    fn members(ks: &[u8]) -> BTreeSet<PubKey33> {
        ks.iter().map(|k| public_key(&key(*k))).collect()
    }

    #[test]
    fn the_median_of_the_members_measurements() {
        let node_key = public_key(&key(9));
        let shares = [
            share(1, "n", 24, 24),
            share(2, "n", 12, 24),
            share(3, "n", 18, 24),
        ];
        let (a, n) =
            measured_availability("n", &node_key, &shares, &members(&[1, 2, 3]), 3).unwrap();
        assert_eq!((a, n), (Decimal::percent(75), 3));
        // Two: the lower one (a high outlier cannot lift it).
        let (a, _) =
            measured_availability("n", &node_key, &shares[..2], &members(&[1, 2]), 2).unwrap();
        assert_eq!(a, Decimal::percent(50));
        // Fewer members measured it than required: no figure at all. Attack: one attestor
        // (colluding with a node that withdrew its endpoint from the others) states 24/24 alone.
        let e = measured_availability("n", &node_key, &shares[..1], &members(&[1, 2, 3]), 3);
        assert!(e.is_err());
    }

    #[test]
    fn what_cannot_move_the_median() {
        let node_key = public_key(&key(9));
        let honest = [
            share(1, "n", 6, 24),
            share(2, "n", 6, 24),
            share(3, "n", 7, 24),
        ];
        let base = measured_availability("n", &node_key, &honest, &members(&[1, 2, 3]), 3).unwrap();
        assert_eq!(base, (Decimal::percent(25), 3));
        // Attacks: a colluding attestor claims the node was always up; a non-member signs
        // perfect tallies; the node's own tallies of itself; a forged (edited) tally; the same
        // member twice. None changes the result but the one member's own vote.
        let mut forged = share(2, "n", 6, 24);
        forged.tallies[0].answered = 24;
        let mut shares = honest.to_vec();
        shares.extend([share(7, "n", 24, 24), share(9, "n", 24, 24), forged]);
        shares.push(share(1, "n", 24, 24));
        let got =
            measured_availability("n", &node_key, &shares, &members(&[1, 2, 3, 9]), 3).unwrap();
        assert_eq!(got, base);
        let colluder = [
            share(1, "n", 24, 24),
            share(2, "n", 6, 24),
            share(3, "n", 7, 24),
        ];
        let got =
            measured_availability("n", &node_key, &colluder, &members(&[1, 2, 3]), 3).unwrap();
        assert_eq!(
            got.0,
            Decimal::from_ratio(7u8, 24u8),
            "one liar moves it at most one rank"
        );
        // Nobody measured it: refused, never a default.
        assert!(measured_availability("m", &node_key, &honest, &members(&[1, 2, 3]), 1).is_err());
        assert!(!share(1, "n", 25, 24).verify(), "more answered than probed");
    }

    #[test]
    fn compute_and_energy_are_the_members_middle_values_on_the_nodes_unfavoured_side() {
        let node_key = public_key(&key(9));
        let shares = [
            benched(1, "n", 40, 65),
            benched(2, "n", 50, 70),
            benched(3, "n", 45, 60),
            benched(4, "n", 400, 1),
        ];
        // Four members: Pcompute the lower middle (45 of 40, 45, 50, 400), Penergy the upper
        // middle (65 of 1, 60, 65, 70): the colluder's 400 TFLOPS at 1 W moves neither far.
        let m = measured_work("n", &node_key, &shares, &members(&[1, 2, 3, 4]), 3).unwrap();
        assert_eq!(m.pcompute, Decimal::permille(45));
        assert_eq!(m.penergy, Decimal::from_ratio(65u8, 1u8));
        assert_eq!((m.availability, m.dfactor), (Decimal::one(), UNMEASURED));
        // Probed by a quorum but challenged by fewer: no figure, never a default.
        let mut mixed = shares[..2].to_vec();
        mixed.push(share(3, "n", 24, 24));
        let e = measured_work("n", &node_key, &mixed, &members(&[1, 2, 3]), 3).unwrap_err();
        assert!(e.to_string().contains("compute"), "{e}");
        // Attack: the node refuses (or fools) the attestors that would measure it slowly, so
        // only its friends' figures would count. A member whose challenges all failed counts 0.
        let refused = |k: u8| {
            let t = NodeTally {
                node: "n".into(),
                answered: 24,
                probed: 24,
                benched: 2,
                bench: None,
            };
            TallyShare::sign("c", "s", 3, vec![t], &key(k)).unwrap()
        };
        let picked = [benched(1, "n", 400, 65), refused(2), refused(3)];
        let m = measured_work("n", &node_key, &picked, &members(&[1, 2, 3]), 3).unwrap();
        assert_eq!(m.pcompute, Decimal::zero(), "the middle of 0, 0, 0.4");
        // Nobody's benchmark passed: no figure.
        let none = [refused(1), refused(2), refused(3)];
        assert!(measured_work("n", &node_key, &none, &members(&[1, 2, 3]), 3).is_err());
        // The node's own benchmark of itself does not count.
        let mut own = shares[..2].to_vec();
        own.push(benched(9, "n", 900, 1));
        assert!(measured_work("n", &node_key, &own, &members(&[1, 2, 9]), 3).is_err());
    }

    #[test]
    fn a_tally_without_a_benchmark_signs_as_before() {
        // Tallies of attestors that ran no benchmark keep the same bytes (and signatures).
        let t = share(1, "n", 3, 4);
        let json = serde_json::to_string(&t.tallies).unwrap();
        assert_eq!(json, r#"[{"node":"n","answered":3,"probed":4}]"#);
        assert!(t.verify());
    }

    #[test]
    fn the_statement_is_the_same_for_every_attestor_and_names_node_and_epoch() {
        let a = statement("c", "rewards", "n", 3, measured(50), 600).unwrap();
        assert_eq!(
            a,
            statement("c", "rewards", "n", 3, measured(50), 600).unwrap()
        );
        let b = statement("c", "rewards", "n", 4, measured(50), 600).unwrap();
        assert_ne!(a.0.job_id, b.0.job_id);
        let c = statement("c", "rewards", "n", 3, measured(51), 600).unwrap();
        assert_ne!(a.0.nonce, c.0.nonce);
        assert_ne!(a.0.result_hash, c.0.result_hash);
    }

    #[test]
    fn the_statement_most_members_signed_is_submitted_if_they_are_a_quorum() {
        let sign = |k: u8, avail: u64| {
            let (att, payload) = statement("c", "rewards", "n", 3, measured(avail), 600).unwrap();
            crate::quorum::sign_share(att, payload, &key(k)).unwrap()
        };
        // Three members saw the same tallies, one saw fewer (another median); the same key
        // twice counts once.
        let shares = vec![
            sign(1, 50),
            sign(2, 50),
            sign(3, 40),
            sign(4, 50),
            sign(2, 50),
        ];
        let agreed = agreed(shares.clone(), 3);
        assert_eq!(agreed.len(), 1);
        assert_eq!(agreed[0].len(), 3);
        assert!(agreed[0].iter().all(|s| s.payload == sign(1, 50).payload));
        assert!(crate::quorum::combine(&agreed[0]).is_ok());
        // Below the quorum nothing is submitted.
        assert!(super::agreed(shares[..3].to_vec(), 3).is_empty());
    }
}
