//! Benchmark challenges (ADR 007, decision 5): how attestors measure a node's Pcompute and read
//! its Penergy. The protocol core, without I/O; the driver is in [`crate::attestor`].
//!
//! 1. An attestor of the current set signs a [`BenchRequest`]: chain, staking contract, node,
//!    epoch, a fresh random 32-byte seed, the number of inputs and its own key. A node runs
//!    requests only from current attestor-set members, never the same request twice nor one of
//!    an epoch older than the member's last, a few per member and in all per window
//!    ([`BenchGate`]): neither a stranger nor someone replaying a captured request can make it
//!    burn its CPU or use up a member's allowance.
//! 2. The node runs the published workload ([`bithive_inference::workload`]) on the inputs the
//!    seed derives, and answers with every input's quantized output and, where its hardware has
//!    a meter (Linux powercap/RAPL), the energy the run used, all signed by its operator key
//!    ([`BenchAnswer`]). The seed is fresh, so no answer can be computed before the request
//!    arrives, nor replayed from an earlier epoch; the signature names node and request, so
//!    no answer can be moved to another node. It does not say which machine computed it: a node
//!    may forward the seed to rented hardware (re-execution of paid jobs, decision 6, is what
//!    ties the figure to the service the node gives).
//! 3. The attestor times the exchange on its own clock from the moment the connection is open
//!    (a late answer, or one computed elsewhere after the deadline, is no answer; the request's
//!    and the answer's transit are in the figure, so attestors near a node measure it faster
//!    than distant ones, and the median takes the middle), checks the signature and the output
//!    count ([`check_answer`]), then re-runs [`SAMPLE`] inputs it picks after the answer came
//!    and refuses the measurement unless all agree ([`check_outputs`]). A node that computes a
//!    fraction `f` of the inputs and guesses the rest passes one check with probability about
//!    `f^SAMPLE` (0.66 at f = 0.9, 0.06 at f = 0.5), and a signed wrong output voids every
//!    benchmark of the node by that attestor in the epoch (the driver), so guessing in later
//!    challenges risks the whole epoch's figure. Pcompute is the counted multiply-accumulates
//!    of the inputs, times two, over the elapsed time, in TFLOPS ([`pcompute`]).
//! 4. Penergy ([`penergy`]): the metered figure where the node sent one, otherwise the declared
//!    figure of the node's tier (`Tier::declared_watts`); a meter reading is the node's own
//!    word, so it is taken down to half the tier's figure and no lower, here and again by
//!    rewards at report time with the tier staking holds then. The tally says which source was
//!    used.
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bithive_interface::staking::Tier;
use bithive_signed_attestation::{signing, PubKey33, Signature64};
use cosmwasm_std::Decimal;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const REQUEST_DOMAIN: &[u8] = b"BITHIVE/BENCH-REQUEST/v1";
const ANSWER_DOMAIN: &[u8] = b"BITHIVE/BENCH-ANSWER/v1";
/// The path prefix a node answers benchmark requests on.
pub const BENCH_PATH: &str = "/bench/";
/// Inputs per request by default (about 2.2 GFLOP: tens of milliseconds on a CPU core; on a GPU
/// the network's round trip weighs more, see the module's notes).
pub const DEFAULT_INPUTS: u32 = 32;
/// Most inputs a node runs for one request.
pub const MAX_INPUTS: u32 = 256;
/// Inputs the attestor re-runs to check an answer.
pub const SAMPLE: usize = 4;
/// Requests one attestor may make of a node within [`RATE_WINDOW`].
pub const RATE_LIMIT: usize = 6;
/// Requests a node runs within [`RATE_WINDOW`], all attestors together.
pub const GLOBAL_RATE_LIMIT: usize = 60;
/// The window of [`RATE_LIMIT`] and [`GLOBAL_RATE_LIMIT`].
pub const RATE_WINDOW: Duration = Duration::from_secs(600);

/// Why a benchmark request or answer is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BenchError {
    #[error("inputs must be {SAMPLE}..={MAX_INPUTS}, got {0}")]
    Inputs(u32),
    #[error("signing failed")]
    Sign,
    #[error("the answer is for {0}, not this node")]
    OtherNode(String),
    #[error("{got} outputs for {want} inputs")]
    Count { got: usize, want: u32 },
    #[error("the answer is not the node's operator key's signature of this request")]
    Signature,
    #[error("input {0}: the output disagrees with the attestor's own run")]
    Disagrees(u32),
    #[error("the energy reading covers no time, or more time than the exchange took")]
    Energy,
}

fn sign(key: &SigningKey, digest: &[u8; 32]) -> Result<Signature64, BenchError> {
    let sig: Signature = key.sign_prehash(digest).map_err(|_| BenchError::Sign)?;
    let sig = sig.normalize_s().unwrap_or(sig);
    let mut out = [0u8; 64];
    out.copy_from_slice(&sig.to_bytes());
    Ok(Signature64(out))
}

fn put(h: &mut Sha256, s: &str) {
    // Length-prefixed, so no two field lists hash alike.
    h.update((s.len() as u32).to_be_bytes());
    h.update(s.as_bytes());
}

/// One attestor's signed benchmark request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchRequest {
    pub chain_id: String,
    pub staking: String,
    pub node: String,
    pub epoch: u64,
    pub inputs: u32,
    pub seed: [u8; 32],
    /// The requesting attestor's operator key and its signature over [`BenchRequest::digest`].
    pub attestor: PubKey33,
    pub signature: Signature64,
}

impl BenchRequest {
    /// A request with a fresh random seed, signed by `key`.
    pub fn new(
        key: &SigningKey,
        chain_id: &str,
        staking: &str,
        node: &str,
        epoch: u64,
        inputs: u32,
    ) -> Result<BenchRequest, BenchError> {
        if !(SAMPLE as u32..=MAX_INPUTS).contains(&inputs) {
            return Err(BenchError::Inputs(inputs));
        }
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|_| BenchError::Sign)?;
        let mut r = BenchRequest {
            chain_id: chain_id.into(),
            staking: staking.into(),
            node: node.into(),
            epoch,
            inputs,
            seed,
            attestor: signing::public_key(key),
            signature: Signature64([0; 64]),
        };
        r.signature = sign(key, &r.digest())?;
        Ok(r)
    }

    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(REQUEST_DOMAIN);
        for part in [&self.chain_id, &self.staking, &self.node] {
            put(&mut h, part);
        }
        h.update(self.epoch.to_be_bytes());
        h.update(self.inputs.to_be_bytes());
        h.update(self.seed);
        h.update(self.attestor.0);
        h.finalize().into()
    }

    /// Signed by the key it names, with a size a node runs.
    pub fn verify(&self) -> bool {
        (SAMPLE as u32..=MAX_INPUTS).contains(&self.inputs)
            && signing::k256_verify(&self.digest(), &self.signature.0, &self.attestor.0)
                .unwrap_or(false)
    }

    /// `/bench/<chain>/<node>/<epoch>/<inputs>/<seed>/<attestor key>/<signature>` (hex).
    pub fn path(&self) -> String {
        format!(
            "{BENCH_PATH}{}/{}/{}/{}/{}/{}/{}",
            self.chain_id,
            self.node,
            self.epoch,
            self.inputs,
            hex::encode(self.seed),
            self.attestor.to_hex(),
            hex::encode(self.signature.0)
        )
    }

    /// The request a path carries, for the staking contract `staking_of(chain)` names; `None`
    /// for anything else (the signature is not checked here: [`BenchRequest::verify`]).
    pub fn from_path(
        path: &str,
        staking_of: impl Fn(&str) -> Option<String>,
    ) -> Option<BenchRequest> {
        let rest = path.strip_prefix(BENCH_PATH)?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [chain, node, epoch, inputs, seed, attestor, signature] = parts[..] else {
            return None;
        };
        let word = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if !word(chain) || !word(node) {
            return None;
        }
        let mut seed_bytes = [0u8; 32];
        hex::decode_to_slice(seed, &mut seed_bytes).ok()?;
        let mut key = [0u8; 33];
        hex::decode_to_slice(attestor, &mut key).ok()?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(signature, &mut sig).ok()?;
        Some(BenchRequest {
            staking: staking_of(chain)?,
            chain_id: chain.into(),
            node: node.into(),
            epoch: epoch.parse().ok()?,
            inputs: inputs.parse().ok()?,
            seed: seed_bytes,
            attestor: PubKey33(key),
            signature: Signature64(sig),
        })
    }
}

/// Which meter a node read its energy from (its number is signed in [`answer_digest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meter {
    /// Linux powercap (Intel/AMD RAPL), the CPU packages.
    Rapl = 0,
    /// NVIDIA's management library: the GPU's total energy counter (Volta and later), for a
    /// workload on that GPU. The host's CPU is not in it.
    Nvml = 1,
}

/// The energy a node's meter counted over its run of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metered {
    pub meter: Meter,
    pub microjoules: u64,
    pub micros: u64,
}

impl Metered {
    /// Mean power in watts.
    pub fn watts(&self) -> Result<Decimal, BenchError> {
        if self.micros == 0 {
            return Err(BenchError::Energy);
        }
        Ok(Decimal::from_ratio(self.microjoules, self.micros))
    }
}

/// A node's signed answer to a [`BenchRequest`] (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchAnswer {
    pub node: String,
    /// Each input's quantized output, in input order.
    pub outputs: Vec<Vec<u32>>,
    pub energy: Option<Metered>,
    /// The operator key's signature over [`answer_digest`].
    pub signature: Signature64,
}

/// What the node's operator key signs: the request, the outputs and the energy reading.
pub fn answer_digest(
    request: &BenchRequest,
    outputs: &[Vec<u32>],
    energy: Option<&Metered>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ANSWER_DOMAIN);
    h.update(request.digest());
    h.update((outputs.len() as u32).to_be_bytes());
    for o in outputs {
        h.update((o.len() as u32).to_be_bytes());
        for v in o {
            h.update(v.to_be_bytes());
        }
    }
    match energy {
        None => h.update([0]),
        Some(m) => {
            h.update([1, m.meter as u8]);
            h.update(m.microjoules.to_be_bytes());
            h.update(m.micros.to_be_bytes());
        }
    }
    h.finalize().into()
}

/// The node's side: signs its outputs for `request`.
pub fn answer(
    key: &SigningKey,
    request: &BenchRequest,
    outputs: Vec<Vec<u32>>,
    energy: Option<Metered>,
) -> Result<BenchAnswer, BenchError> {
    let signature = sign(key, &answer_digest(request, &outputs, energy.as_ref()))?;
    Ok(BenchAnswer {
        node: request.node.clone(),
        outputs,
        energy,
        signature,
    })
}

/// `SAMPLE` distinct input indices below `inputs`, drawn from `entropy` (the attestor's fresh
/// randomness, drawn after the answer came).
pub fn sample(inputs: u32, entropy: &[u8; 32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(SAMPLE);
    let mut counter = 0u32;
    while out.len() < SAMPLE.min(inputs as usize) {
        let d: [u8; 32] = Sha256::new()
            .chain_update(entropy)
            .chain_update(counter.to_be_bytes())
            .finalize()
            .into();
        let i = u32::from_be_bytes(d[..4].try_into().expect("4 bytes")) % inputs;
        if !out.contains(&i) {
            out.push(i);
        }
        counter += 1;
    }
    out
}

/// The attestor's first check, before it spends a run on the answer: the answer is the node's,
/// for this request, with one output per input, signed by `operator_key`, and its energy
/// reading covers no more time than the exchange took (`elapsed`, on the attestor's clock).
pub fn check_answer(
    answer: &BenchAnswer,
    request: &BenchRequest,
    operator_key: &PubKey33,
    elapsed: Duration,
) -> Result<(), BenchError> {
    if answer.node != request.node {
        return Err(BenchError::OtherNode(answer.node.clone()));
    }
    if answer.outputs.len() != request.inputs as usize {
        return Err(BenchError::Count {
            got: answer.outputs.len(),
            want: request.inputs,
        });
    }
    let digest = answer_digest(request, &answer.outputs, answer.energy.as_ref());
    if !signing::k256_verify(&digest, &answer.signature.0, &operator_key.0).unwrap_or(false) {
        return Err(BenchError::Signature);
    }
    if let Some(m) = &answer.energy {
        m.watts()?;
        if u128::from(m.micros) > elapsed.as_micros() {
            return Err(BenchError::Energy);
        }
    }
    Ok(())
}

/// The attestor's second check: each of its own `(index, output)` runs `agrees` with the
/// answer's output (the workload's comparison, `bithive_inference::workload::agrees`). A
/// failure here is a signed wrong output: evidence, not an accident.
pub fn check_outputs(
    answer: &BenchAnswer,
    own_runs: &[(u32, Vec<u32>)],
    agrees: impl Fn(&[u32], &[u32]) -> bool,
) -> Result<(), BenchError> {
    for (i, own) in own_runs {
        let theirs = answer
            .outputs
            .get(*i as usize)
            .ok_or(BenchError::Disagrees(*i))?;
        if !agrees(theirs, own) {
            return Err(BenchError::Disagrees(*i));
        }
    }
    Ok(())
}

/// Pcompute in TFLOPS: `inputs` runs of `macs_per_input` multiply-accumulates (two operations
/// each) in `elapsed`, as the attestor timed it.
pub fn pcompute(macs_per_input: u64, inputs: u32, elapsed: Duration) -> Decimal {
    let flops = u128::from(macs_per_input) * u128::from(inputs) * 2;
    let micros = elapsed.as_micros().max(1);
    // flops / seconds / 10^12 = flops / micros / 10^6.
    Decimal::from_ratio(flops, micros * 1_000_000)
}

/// Where a node's Penergy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnergySource {
    /// The node's meter ([`Metered`]).
    Metered,
    /// The node's meter read below half its tier's figure: the floor was used.
    MeteredFloor,
    /// No meter: the tier's declared figure.
    Declared,
}

/// A node's Penergy in watts and its source: the metered figure, not below half the tier's
/// declared figure ([`Tier::penergy_floor`]), or the declared figure without a meter.
pub fn penergy(tier: Tier, energy: Option<&Metered>) -> (Decimal, EnergySource) {
    let declared = Decimal::from_ratio(tier.declared_watts(), 1u8);
    let floor = tier.penergy_floor();
    match energy.map(Metered::watts) {
        Some(Ok(w)) if w >= floor => (w, EnergySource::Metered),
        Some(_) => (floor, EnergySource::MeteredFloor),
        None => (declared, EnergySource::Declared),
    }
}

/// The published workload as a node or an attestor runs it
/// (`bithive_inference::workload::Workload`, with the `inference` feature).
pub trait WorkloadRunner: Send + Sync {
    /// Multiply-accumulates of one input, counted from the graph (the same on every machine).
    fn macs_per_input(&self) -> u64;
    /// The quantized outputs of inputs `indices` of the workload seeded by `seed`. Blocking.
    fn run(&self, seed: &[u8; 32], indices: &[u32]) -> Result<Vec<Vec<u32>>, String>;
    /// Whether two quantized outputs agree within the workload's tolerance.
    fn agrees(&self, a: &[u32], b: &[u32]) -> bool;
    /// The CUDA device the workload runs on (its energy is read from NVML); `None`: the CPU.
    fn cuda_device(&self) -> Option<u32> {
        None
    }
}

#[cfg(feature = "inference")]
impl WorkloadRunner for bithive_inference::workload::Workload {
    fn macs_per_input(&self) -> u64 {
        bithive_inference::workload::Workload::macs_per_input(self)
    }

    fn run(&self, seed: &[u8; 32], indices: &[u32]) -> Result<Vec<Vec<u32>>, String> {
        bithive_inference::workload::Workload::run(self, seed, indices).map_err(|e| e.to_string())
    }

    fn agrees(&self, a: &[u32], b: &[u32]) -> bool {
        bithive_inference::workload::agrees(a, b)
    }

    fn cuda_device(&self) -> Option<u32> {
        bithive_inference::workload::Workload::cuda_device(self).and_then(|d| d.try_into().ok())
    }
}

/// What a node admits of the attestors' requests: per attestor, no epoch older than its last
/// and no seed twice within it, at most [`RATE_LIMIT`] requests in [`RATE_WINDOW`]; at most
/// [`GLOBAL_RATE_LIMIT`] from all attestors together.
#[derive(Debug, Default)]
pub struct BenchGate {
    per_attestor: BTreeMap<PubKey33, AttestorLedger>,
    all: VecDeque<Instant>,
}

#[derive(Debug, Default)]
struct AttestorLedger {
    epoch: u64,
    seeds: std::collections::BTreeSet<[u8; 32]>,
    times: VecDeque<Instant>,
}

fn prune(q: &mut VecDeque<Instant>, now: Instant) {
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
    {
        q.pop_front();
    }
}

impl BenchGate {
    /// Whether the node runs `request` at `now` (recorded if so); why not otherwise. The
    /// request's signature and the attestor's membership are checked by the caller first, so a
    /// stranger's request never touches a member's ledger.
    pub fn admit(&mut self, request: &BenchRequest, now: Instant) -> Result<(), &'static str> {
        prune(&mut self.all, now);
        let ledger = self.per_attestor.entry(request.attestor).or_default();
        if request.epoch < ledger.epoch {
            return Err("an epoch older than this attestor's last request");
        }
        if request.epoch > ledger.epoch {
            ledger.epoch = request.epoch;
            ledger.seeds.clear();
        }
        if ledger.seeds.contains(&request.seed) {
            return Err("a request already run (replayed)");
        }
        prune(&mut ledger.times, now);
        if ledger.times.len() >= RATE_LIMIT {
            return Err("too many requests from this attestor");
        }
        if self.all.len() >= GLOBAL_RATE_LIMIT {
            return Err("too many requests from all attestors");
        }
        ledger.seeds.insert(request.seed);
        ledger.times.push_back(now);
        self.all.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32].into()).unwrap()
    }

    fn request() -> BenchRequest {
        BenchRequest::new(&key(1), "bithive-1", "staking1", "node1", 7, 8).unwrap()
    }

    /// Agreement within 10 quanta, as the workload compares.
    fn agrees(a: &[u32], b: &[u32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 10)
    }

    fn outputs(n: u32) -> Vec<Vec<u32>> {
        (0..n)
            .map(|i| vec![i * 1000, 1_000_000 - i * 1000])
            .collect()
    }

    #[test]
    fn a_request_round_trips_its_path_and_only_its_signer_signed_it() {
        let r = request();
        assert!(r.verify());
        let back = BenchRequest::from_path(&r.path(), |c| {
            (c == "bithive-1").then(|| "staking1".to_string())
        })
        .unwrap();
        assert_eq!(back, r);
        assert!(back.verify());
        // Attacks: another node, epoch, size or seed under the same signature; another chain's
        // staking contract; a request too large for a node to run.
        for edit in [
            |r: &mut BenchRequest| r.node = "node2".into(),
            |r: &mut BenchRequest| r.epoch = 8,
            |r: &mut BenchRequest| r.inputs = 9,
            |r: &mut BenchRequest| r.seed[0] ^= 1,
            |r: &mut BenchRequest| r.staking = "staking2".into(),
            |r: &mut BenchRequest| r.attestor = signing::public_key(&key(2)),
        ] {
            let mut bad = r.clone();
            edit(&mut bad);
            assert!(!bad.verify());
        }
        assert_eq!(
            BenchRequest::new(&key(1), "c", "s", "n", 0, MAX_INPUTS + 1).unwrap_err(),
            BenchError::Inputs(MAX_INPUTS + 1)
        );
        for bad in [
            "/bench/",
            "/bench/bithive-1/node1/7/8",
            "/probe/bithive-1/00",
            &r.path().replace("/7/", "/x/"),
            &r.path().replace("bithive-1", "other-chain"),
            &format!("{}/extra", r.path()),
        ] {
            assert!(
                BenchRequest::from_path(bad, |c| (c == "bithive-1").then(String::new)).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_answer_counts_only_for_its_node_request_key_and_outputs() {
        let r = request();
        let node = key(5);
        let pk = signing::public_key(&node);
        let t = Duration::from_secs(2);
        let a = answer(&node, &r, outputs(8), None).unwrap();
        let own: Vec<(u32, Vec<u32>)> = vec![(2, vec![2000, 998_000]), (5, vec![5003, 994_997])];
        assert_eq!(check_answer(&a, &r, &pk, t), Ok(()));
        assert_eq!(check_outputs(&a, &own, agrees), Ok(()));
        // Attacks: a wrong output where the attestor looked; an answer to last epoch's (or
        // another attestor's) request replayed; another key answering for the node; outputs
        // edited after signing; too few outputs; an answer renamed to another node.
        let wrong = vec![(5, vec![6000, 994_000])];
        assert_eq!(
            check_outputs(&a, &wrong, agrees),
            Err(BenchError::Disagrees(5))
        );
        let old = BenchRequest::new(&key(1), "bithive-1", "staking1", "node1", 6, 8).unwrap();
        let replay = answer(&node, &old, outputs(8), None).unwrap();
        assert_eq!(
            check_answer(&replay, &r, &pk, t),
            Err(BenchError::Signature)
        );
        let mut other_attestor = r.clone();
        other_attestor.attestor = signing::public_key(&key(2));
        let moved = answer(&node, &other_attestor, outputs(8), None).unwrap();
        assert_eq!(check_answer(&moved, &r, &pk, t), Err(BenchError::Signature));
        let stranger = answer(&key(6), &r, outputs(8), None).unwrap();
        assert_eq!(
            check_answer(&stranger, &r, &pk, t),
            Err(BenchError::Signature)
        );
        // The meter is signed with its reading: a GPU's NVML figure cannot be passed off as
        // the CPU's, or the other way round.
        let gpu = Metered {
            meter: Meter::Nvml,
            microjoules: 600_000_000,
            micros: 1_000_000,
        };
        let metered = answer(&node, &r, outputs(8), Some(gpu)).unwrap();
        assert_eq!(check_answer(&metered, &r, &pk, t), Ok(()));
        let mut relabelled = metered.clone();
        relabelled.energy.as_mut().unwrap().meter = Meter::Rapl;
        assert_eq!(
            check_answer(&relabelled, &r, &pk, t),
            Err(BenchError::Signature)
        );
        let mut edited = a.clone();
        edited.outputs[0][0] += 1;
        assert_eq!(
            check_answer(&edited, &r, &pk, t),
            Err(BenchError::Signature)
        );
        let short = answer(&node, &r, outputs(7), None).unwrap();
        assert!(matches!(
            check_answer(&short, &r, &pk, t),
            Err(BenchError::Count { got: 7, want: 8 })
        ));
        let mut renamed = a.clone();
        renamed.node = "node2".into();
        assert!(matches!(
            check_answer(&renamed, &r, &pk, t),
            Err(BenchError::OtherNode(_))
        ));
        // The energy reading is signed too: lowering it after signing breaks the signature; and
        // it cannot cover more time than the attestor saw the exchange take.
        let m = Metered {
            meter: Meter::Rapl,
            microjoules: 30_000_000,
            micros: 1_000_000,
        };
        let metered = answer(&node, &r, outputs(8), Some(m)).unwrap();
        assert_eq!(check_answer(&metered, &r, &pk, t), Ok(()));
        assert_eq!(
            check_answer(&metered, &r, &pk, Duration::from_millis(500)),
            Err(BenchError::Energy)
        );
        let mut lowered = metered.clone();
        lowered.energy.as_mut().unwrap().microjoules = 1;
        assert_eq!(
            check_answer(&lowered, &r, &pk, t),
            Err(BenchError::Signature)
        );
    }

    #[test]
    fn the_sample_is_distinct_and_in_range() {
        let s = sample(8, &[3; 32]);
        assert_eq!(s.len(), SAMPLE);
        assert!(s.iter().all(|i| *i < 8));
        let mut d = s.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), SAMPLE);
        assert_ne!(s, sample(8, &[4; 32]));
        assert_eq!(sample(4, &[3; 32]).len(), 4);
    }

    #[test]
    fn pcompute_is_flops_over_the_attestors_time() {
        // 10^9 MACs x 32 inputs x 2 in 0.5 s: 128 GFLOPS, 0.128 TFLOPS.
        let p = pcompute(1_000_000_000, 32, Duration::from_millis(500));
        assert_eq!(p, Decimal::permille(128));
        let p = pcompute(30_000_000, 32, Duration::from_secs(2));
        assert_eq!(p, Decimal::from_ratio(96u8, 100_000u32));
    }

    #[test]
    fn penergy_is_metered_floored_at_half_the_tier_or_declared() {
        let m = |w: u64| Metered {
            meter: Meter::Rapl,
            microjoules: w * 2_000_000,
            micros: 2_000_000,
        };
        assert_eq!(
            penergy(Tier::T1, Some(&m(40))),
            (Decimal::from_ratio(40u8, 1u8), EnergySource::Metered)
        );
        // Attack: a node states a meter reading of 1 W to look efficient (rewards floors it
        // again at report time with the tier staking holds then).
        assert_eq!(
            penergy(Tier::T1, Some(&m(1))),
            (Decimal::from_ratio(65u8, 2u8), EnergySource::MeteredFloor)
        );
        assert_eq!(
            penergy(Tier::T3, None),
            (Decimal::from_ratio(700u32, 1u8), EnergySource::Declared)
        );
    }

    #[test]
    fn the_gate_refuses_replays_old_epochs_and_floods() {
        let mut g = BenchGate::default();
        let t0 = Instant::now();
        let a = key(1);
        let req = |k: &SigningKey, epoch: u64| {
            BenchRequest::new(k, "bithive-1", "staking1", "node1", epoch, 8).unwrap()
        };
        let first = req(&a, 7);
        assert_eq!(g.admit(&first, t0), Ok(()));
        // Attack: someone who captured the request replays it (to burn the node's CPU or use up
        // the attestor's allowance): refused, and the allowance is untouched.
        assert!(g.admit(&first, t0).unwrap_err().contains("replayed"));
        for _ in 1..RATE_LIMIT {
            assert_eq!(g.admit(&req(&a, 7), t0), Ok(()));
        }
        assert!(g
            .admit(&req(&a, 7), t0)
            .unwrap_err()
            .contains("this attestor"));
        // Another attestor is not held back by the first one's allowance.
        assert_eq!(g.admit(&req(&key(2), 7), t0), Ok(()));
        // A new window, a new epoch: admitted; a request of the older epoch no longer is.
        let later = t0 + RATE_WINDOW;
        assert_eq!(g.admit(&req(&a, 8), later), Ok(()));
        assert!(g.admit(&req(&a, 7), later).unwrap_err().contains("older"));
        // All attestors together: at most GLOBAL_RATE_LIMIT per window.
        let mut g = BenchGate::default();
        let mut admitted = 0;
        for k in 0..=(GLOBAL_RATE_LIMIT / RATE_LIMIT) as u8 {
            for _ in 0..RATE_LIMIT {
                if g.admit(&req(&key(k + 10), 1), t0).is_ok() {
                    admitted += 1;
                }
            }
        }
        assert_eq!(admitted, GLOBAL_RATE_LIMIT);
    }
}
