//! The attestor's availability probes and benchmark challenges, and the node's answering
//! endpoint (ADR 007, decisions 4-5), driving the protocol cores in [`crate::probe`] and
//! [`crate::benchmark`].
//!
//! - A node's relayer answers `GET /probe/<chain id>/<challenge>` on `probe_addr` for every chain
//!   it works for (`node` set), signing with the chain's operator key, and, with an
//!   `[inference]` engine, the attestor set's benchmark requests `GET /bench/...`
//!   ([`ProbeResponder`], [`BenchService`]).
//! - An attestor's relayer (`[attestor]`) lists the nodes that registered an endpoint in staking,
//!   probes and benchmarks each at its own unpredictable times ([`Prober::round`]) and keeps
//!   every result in its store, so a restart neither loses nor repeats one. `bithive relayer
//!   availability` prints the epoch's tallies.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::endpoint::Reply;
use bithive_chain_client::ChainClient;
use bithive_interface::rewards::{Config as RewardsConfig, QueryMsg as RewardsQuery};
use bithive_interface::staking::{
    AttestorSetResponse, NodeResponse, NodesResponse, QueryMsg as StakingQuery, Tier,
};
use bithive_signed_attestation::PubKey33;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use k256::ecdsa::SigningKey;
use sha2::Digest;

use crate::benchmark::{self, BenchAnswer, BenchGate, BenchRequest, WorkloadRunner};
use crate::error::RelayerError;
use crate::probe::{self, ProbeAnswer, Schedule, Tally};
use crate::quorum::QuorumShare;
use crate::store::Store;
use crate::work_report::{self, BenchOutcome, BenchTally, NodeTally, TallyShare};

/// Largest probe answer read (a JSON object with an address and a 64-byte signature).
const MAX_ANSWER_BYTES: usize = 1_024;
/// Largest benchmark answer read (up to `MAX_INPUTS` outputs of a few classes).
const MAX_BENCH_ANSWER_BYTES: usize = 64 * 1_024;
/// Domain of the attestor's benchmark schedule seed (derived from its secret key).
const BENCH_SCHEDULE_DOMAIN: &[u8] = b"BITHIVE/BENCH-SCHEDULE/v1";

/// One node an attestor probes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTarget {
    pub node: String,
    /// Base URL the node registered in staking (`http://host:port`).
    pub endpoint: String,
    /// The operator key staking holds for the node: only its signature answers a probe.
    pub operator_key: PubKey33,
    /// The tier it registered (its declared power when it has no meter).
    pub tier: Tier,
    /// May earn compute rewards (pledged): only such nodes are benchmarked (a free
    /// registration must not cost the attestors a run of the workload).
    pub eligible: bool,
}

/// The nodes to probe: every node registered in staking with an endpoint.
pub async fn targets(
    client: &ChainClient,
    staking: &str,
) -> Result<Vec<ProbeTarget>, RelayerError> {
    let mut out = Vec::new();
    let mut start_after = None;
    loop {
        let page: NodesResponse = client
            .query_typed(
                staking,
                &StakingQuery::Nodes {
                    start_after: start_after.clone(),
                    limit: Some(30),
                },
            )
            .await?;
        let Some(last) = page.nodes.last() else {
            return Ok(out);
        };
        start_after = Some(last.node.clone());
        for n in page.nodes {
            if let Some(endpoint) = n.endpoint {
                out.push(ProbeTarget {
                    node: n.node,
                    endpoint,
                    operator_key: n.operator_key,
                    tier: n.tier,
                    eligible: n.eligible,
                });
            }
        }
    }
}

/// What one [`Prober::round`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    pub answered: u32,
    pub missed: u32,
    /// Probes whose time had passed by more than `late` while this attestor was not running:
    /// recorded as not sent, so they count neither for nor against the node.
    pub skipped: u32,
    /// Benchmark challenges whose answer passed its checks.
    pub benched: u32,
    /// Benchmark challenges unanswered, late or refused.
    pub bench_failed: u32,
}

/// What an attestor needs to benchmark nodes ([`crate::benchmark`]).
pub struct Bencher {
    /// The published workload on this attestor's machine (it re-runs a sample of each answer).
    pub runner: Arc<dyn WorkloadRunner>,
    /// Challenges per node per epoch, at unpredictable times.
    pub per_epoch: u32,
    /// Inputs per challenge.
    pub inputs: u32,
    /// How long a node has to answer, measured on this attestor's clock.
    pub timeout: Duration,
}

impl std::ops::AddAssign for RoundOutcome {
    fn add_assign(&mut self, o: RoundOutcome) {
        self.answered += o.answered;
        self.missed += o.missed;
        self.skipped += o.skipped;
        self.benched += o.benched;
        self.bench_failed += o.bench_failed;
    }
}

/// A probe sent and not yet answered: `(epoch, node, slot)`.
type SlotKey = (u64, String, usize);

struct Benching {
    bencher: Arc<Bencher>,
    schedule: Schedule,
    /// Signs the requests (this attestor's operator key).
    key: SigningKey,
}

/// The rewards epochs of a chain's clock (rewards' `genesis` and `epoch_seconds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochClock {
    pub genesis: u64,
    pub epoch_seconds: u64,
}

impl EpochClock {
    /// When rewards epoch `epoch` starts (unix seconds).
    pub fn epoch_start(&self, epoch: u64) -> u64 {
        self.genesis + epoch * self.epoch_seconds
    }

    /// The rewards epoch of unix time `now` (`None` before genesis).
    pub fn epoch_of(&self, now: u64) -> Option<u64> {
        now.checked_sub(self.genesis)
            .map(|d| d / self.epoch_seconds)
    }
}

/// One attestor probing the nodes of one chain.
pub struct Prober {
    chain_id: String,
    staking: String,
    schedule: Schedule,
    genesis: u64,
    timeout: Duration,
    late: u64,
    /// Behind a lock so that a `&Prober` may be held across awaits (the connection is not
    /// `Sync`); never locked across one.
    store: std::sync::Mutex<Store>,
    /// The attestor's own operator key: a node never probes itself (its own tally would be
    /// whatever it wants).
    own_key: Option<PubKey33>,
    bench: Option<Benching>,
    /// Probes and challenges sent and not answered yet. A round never waits for them: a node
    /// that answers slowly (up to the timeout) must not make this attestor late for every other
    /// node's slots, which would then be skipped.
    probes: tokio::task::JoinSet<Result<(), String>>,
    benches: tokio::task::JoinSet<BenchOutcome>,
    /// The slot of each task of `probes` (a probe's slot is recorded when it is answered, so a
    /// later round must not send it again) and of `benches` (recorded as opened before it is
    /// sent), by task id: a task that panics still closes its slot.
    probing: BTreeMap<tokio::task::Id, SlotKey>,
    benching: BTreeMap<tokio::task::Id, SlotKey>,
}

impl Prober {
    /// `genesis` and the schedule's epoch length are the rewards contract's, so a tally is the
    /// node's availability over exactly one rewards epoch.
    pub fn new(
        chain_id: &str,
        staking: &str,
        schedule: Schedule,
        genesis: u64,
        timeout: Duration,
        late: Duration,
        store: Store,
    ) -> Prober {
        Prober {
            chain_id: chain_id.to_string(),
            staking: staking.to_string(),
            schedule,
            genesis,
            timeout,
            late: late.as_secs().max(1),
            store: std::sync::Mutex::new(store),
            own_key: None,
            bench: None,
            probes: tokio::task::JoinSet::new(),
            benches: tokio::task::JoinSet::new(),
            probing: BTreeMap::new(),
            benching: BTreeMap::new(),
        }
    }

    /// The prober of the attestor whose operator key is `key`: its schedule seeded from the key
    /// (nobody else can compute it), `probes` per rewards epoch of the chain's clock `(genesis,
    /// epoch_seconds)`, never probing its own node.
    #[allow(clippy::too_many_arguments)]
    pub fn for_attestor(
        key: &SigningKey,
        chain_id: &str,
        staking: &str,
        (genesis, epoch_seconds): (u64, u64),
        probes: u32,
        timeout: Duration,
        late: Duration,
        store: Store,
    ) -> Result<Prober, probe::ProbeError> {
        let mut secret: [u8; 32] = key.to_bytes().into();
        let seed = probe::schedule_seed(&secret);
        zeroize::Zeroize::zeroize(&mut secret);
        let schedule = Schedule::new(seed, epoch_seconds, probes)?;
        Ok(
            Prober::new(chain_id, staking, schedule, genesis, timeout, late, store)
                .excluding(bithive_signed_attestation::signing::public_key(key)),
        )
    }

    /// Also benchmarks every node `bencher.per_epoch` times an epoch, at times drawn from a
    /// seed derived from `key` (this attestor's operator key, which signs the requests).
    pub fn with_benchmarks(
        mut self,
        bencher: Bencher,
        key: &SigningKey,
    ) -> Result<Prober, probe::ProbeError> {
        let mut secret: [u8; 32] = key.to_bytes().into();
        let seed: [u8; 32] = sha2::Sha256::new()
            .chain_update(BENCH_SCHEDULE_DOMAIN)
            .chain_update(secret)
            .finalize()
            .into();
        zeroize::Zeroize::zeroize(&mut secret);
        let schedule = Schedule::new(seed, self.schedule.epoch_seconds(), bencher.per_epoch)?;
        self.bench = Some(Benching {
            bencher: Arc::new(bencher),
            schedule,
            key: key.clone(),
        });
        Ok(self)
    }

    /// Never probes the node whose operator key is `key` (this attestor's own node).
    pub fn excluding(mut self, key: PubKey33) -> Prober {
        self.own_key = Some(key);
        self
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The chain this prober measures on.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The epochs it probes in.
    pub fn clock(&self) -> EpochClock {
        EpochClock {
            genesis: self.genesis,
            epoch_seconds: self.schedule.epoch_seconds(),
        }
    }

    /// When rewards epoch `epoch` starts (unix seconds).
    pub fn epoch_start(&self, epoch: u64) -> u64 {
        self.clock().epoch_start(epoch)
    }

    /// The rewards epoch of unix time `now` (`None` before genesis).
    pub fn epoch_of(&self, now: u64) -> Option<u64> {
        self.clock().epoch_of(now)
    }

    /// Probes every slot of the current epoch that is due at `now` and not yet recorded, all at
    /// once, and waits for every answer; a slot more than `late` past due is recorded as
    /// skipped.
    pub async fn round(
        &mut self,
        targets: &[ProbeTarget],
        now: u64,
    ) -> Result<RoundOutcome, RelayerError> {
        let mut outcome = self.launch(targets, now)?;
        outcome += self.finish(now).await?;
        Ok(outcome)
    }

    /// Waits for every probe and challenge in flight and records their answers.
    pub async fn finish(&mut self, now: u64) -> Result<RoundOutcome, RelayerError> {
        let mut outcome = RoundOutcome::default();
        while let Some(done) = self.probes.join_next_with_id().await {
            outcome += self.probed(done, now)?;
        }
        while let Some(done) = self.benches.join_next_with_id().await {
            outcome += self.bench_closed(done, now)?;
        }
        Ok(outcome)
    }

    /// Records what has been answered since the last call, then sends every slot due at `now`
    /// that is neither recorded nor in flight; returns without waiting for any answer
    /// ([`Prober::run`]).
    pub fn launch(
        &mut self,
        targets: &[ProbeTarget],
        now: u64,
    ) -> Result<RoundOutcome, RelayerError> {
        let mut outcome = RoundOutcome::default();
        while let Some(done) = self.probes.try_join_next_with_id() {
            outcome += self.probed(done, now)?;
        }
        while let Some(done) = self.benches.try_join_next_with_id() {
            outcome += self.bench_closed(done, now)?;
        }
        let Some(epoch) = self.epoch_of(now) else {
            return Ok(outcome);
        };
        // The chain's clock moves in steps (a block every few seconds, longer while a validator
        // is down), so the first time seen in an epoch may be past the last slots of the one
        // before: those are still sent (or recorded as skipped when late), never lost.
        if epoch > 0 && now - self.epoch_start(epoch) <= self.late {
            outcome += self.launch_epoch(targets, epoch - 1, now)?;
        }
        outcome += self.launch_epoch(targets, epoch, now)?;
        Ok(outcome)
    }

    /// [`Prober::launch`] for the slots of `epoch` due at `now`.
    fn launch_epoch(
        &mut self,
        targets: &[ProbeTarget],
        epoch: u64,
        now: u64,
    ) -> Result<RoundOutcome, RelayerError> {
        let mut outcome = RoundOutcome::default();
        let start = self.epoch_start(epoch);
        let mut due = Vec::new();
        let probed = targets
            .iter()
            .filter(|t| Some(t.operator_key) != self.own_key);
        let slots = due_slots(
            &self.schedule,
            epoch,
            start,
            now,
            self.late,
            probed,
            |n, s| {
                Ok(self
                    .probing
                    .values()
                    .any(|(e, m, t)| (*e, m.as_str(), *t) == (epoch, n, s))
                    || self.store().probe_recorded(&self.chain_id, epoch, n, s)?)
            },
        )?;
        for (t, slot, skipped) in slots {
            if skipped {
                self.store()
                    .record_probe(&self.chain_id, epoch, &t.node, slot, None, now)?;
                outcome.skipped += 1;
            } else {
                due.push((t.clone(), slot));
            }
        }
        let mut benches = Vec::new();
        if let Some(b) = &self.bench {
            // Never a node whose challenge of an earlier epoch is still in flight: a node refuses
            // an attestor's older epoch once it has seen a newer one (the next round sends it).
            let older = |node: &str| {
                self.benching
                    .values()
                    .any(|(e, n, _)| *e < epoch && n == node)
            };
            let benched = targets
                .iter()
                .filter(|t| t.eligible && Some(t.operator_key) != self.own_key && !older(&t.node));
            let slots = due_slots(
                &b.schedule,
                epoch,
                start,
                now,
                self.late,
                benched,
                |n, s| self.store().bench_recorded(&self.chain_id, epoch, n, s),
            )?;
            for (t, slot, skipped) in slots {
                // Recorded before it is sent: a crash never gives the node another try at this
                // slot (a pending row counts as skipped).
                self.store()
                    .open_bench(&self.chain_id, epoch, &t.node, slot, skipped, now)?;
                if !skipped {
                    benches.push((t.clone(), slot, b.bencher.clone(), b.key.clone()));
                }
            }
        }
        for (t, slot, bencher, key) in benches {
            let (chain, staking) = (self.chain_id.clone(), self.staking.clone());
            let k = (epoch, t.node.clone(), slot);
            let task = self.benches.spawn(async move {
                bench_once(&chain, &staking, epoch, &t, &bencher, &key).await
            });
            self.benching.insert(task.id(), k);
        }
        for (t, slot) in due {
            let (chain, staking, timeout) =
                (self.chain_id.clone(), self.staking.clone(), self.timeout);
            let k = (epoch, t.node.clone(), slot);
            let task = self
                .probes
                .spawn(async move { probe_once(&chain, &staking, &t, timeout).await });
            self.probing.insert(task.id(), k);
        }
        Ok(outcome)
    }

    /// Whether a probe or challenge of an epoch before `epoch` is still in flight (its tallies
    /// are not final yet).
    fn in_flight_before(&self, epoch: u64) -> bool {
        self.probing
            .values()
            .chain(self.benching.values())
            .any(|(e, _, _)| *e < epoch)
    }

    fn probed(
        &mut self,
        done: Result<(tokio::task::Id, Result<(), String>), tokio::task::JoinError>,
        now: u64,
    ) -> Result<RoundOutcome, RelayerError> {
        let (id, ok) = match done {
            Ok(d) => d,
            Err(e) => (e.id(), Err(format!("probe task: {e}"))),
        };
        let mut outcome = RoundOutcome::default();
        let Some((epoch, node, slot)) = self.probing.remove(&id) else {
            return Ok(outcome);
        };
        match &ok {
            Ok(()) => outcome.answered += 1,
            Err(why) => {
                tracing::info!(chain = %self.chain_id, %node, epoch, slot, %why, "probe missed");
                outcome.missed += 1;
            }
        }
        self.store()
            .record_probe(&self.chain_id, epoch, &node, slot, Some(ok.is_ok()), now)?;
        Ok(outcome)
    }

    fn bench_closed(
        &mut self,
        done: Result<(tokio::task::Id, BenchOutcome), tokio::task::JoinError>,
        now: u64,
    ) -> Result<RoundOutcome, RelayerError> {
        let (id, r) = match done {
            Ok(d) => d,
            Err(e) => (e.id(), BenchOutcome::Failed(format!("benchmark task: {e}"))),
        };
        let mut outcome = RoundOutcome::default();
        let Some((epoch, node, slot)) = self.benching.remove(&id) else {
            return Ok(outcome);
        };
        match &r {
            BenchOutcome::Passed(b) => {
                tracing::info!(chain = %self.chain_id, %node, epoch, slot,
                    pcompute = %b.pcompute, penergy = %b.penergy, energy = ?b.energy,
                    "benchmark passed");
                outcome.benched += 1;
            }
            BenchOutcome::Failed(why) => {
                tracing::info!(chain = %self.chain_id, %node, epoch, slot, %why,
                    "benchmark failed");
                outcome.bench_failed += 1;
            }
            BenchOutcome::Disagreed { why, .. } => {
                tracing::warn!(chain = %self.chain_id, %node, epoch, slot, %why,
                    "benchmark answer disagrees with this attestor's run: the node's \
                     benchmarks of this epoch are void here; its signed answer is kept");
                outcome.bench_failed += 1;
            }
        }
        self.store()
            .close_bench(&self.chain_id, epoch, &node, slot, &r, now)?;
        Ok(outcome)
    }

    /// Every benchmarked node's best passed benchmark in `epoch` (none for a node caught
    /// disagreeing).
    pub fn benchmarks(&self, epoch: u64) -> Result<BTreeMap<String, BenchTally>, RelayerError> {
        Ok(self
            .store()
            .bench_summary(&self.chain_id, epoch)?
            .into_iter()
            .filter_map(|(node, s)| s.best.map(|b| (node, b)))
            .collect())
    }

    /// Every probed node's tally in `epoch`.
    pub fn tallies(&self, epoch: u64) -> Result<Vec<(String, Tally)>, RelayerError> {
        self.store().probe_tallies(&self.chain_id, epoch)
    }

    /// Probes until `stop` turns true: the node list is read again every minute, and a round
    /// runs every `tick` (a probe is sent at most `tick` after its time); with `publish` (where
    /// and the operator key to sign with), each round also publishes the tallies of the recently
    /// ended epochs once they are final, for the reporter's close ([`crate::reporter`]), which
    /// runs in a task of its own ([`crate::reporter::Reporter::run`]).
    pub async fn run(
        mut self,
        client: Arc<ChainClient>,
        tick: Duration,
        publish: Option<(Arc<crate::reporter::Published>, SigningKey)>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), RelayerError> {
        tracing::info!(chain = %self.chain_id, probes_per_epoch = self.schedule.probes(),
            epoch_seconds = self.schedule.epoch_seconds(), "attestor probing started");
        let mut nodes: Vec<ProbeTarget> = Vec::new();
        let mut listed_at = 0u64;
        let mut last = None;
        loop {
            // The chain's time, not this machine's: the rewards epochs are the chain's.
            let now = match client.rpc().latest_block_time().await {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!(chain = %self.chain_id, error = %e, "chain time");
                    None
                }
            };
            last = now.or(last);
            if let Some(now) = now {
                self.tick(&client, &mut nodes, &mut listed_at, publish.as_ref(), now)
                    .await;
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                // What is in flight is answered within its timeout: recorded, not lost.
                let wait = self
                    .timeout
                    .max(self.bench.as_ref().map_or(Duration::ZERO, |b| {
                        b.bencher.timeout + Duration::from_secs(5)
                    }));
                if let Some(now) = last {
                    match tokio::time::timeout(wait, self.finish(now)).await {
                        Ok(Err(e)) => tracing::warn!(chain = %self.chain_id, error = %e,
                            "recording the last answers"),
                        Err(_) => tracing::warn!(chain = %self.chain_id,
                            "stopped with probes still in flight"),
                        Ok(Ok(_)) => {}
                    }
                }
                return Ok(());
            }
        }
    }

    /// One pass of [`Prober::run`] at chain time `now`.
    async fn tick(
        &mut self,
        client: &ChainClient,
        nodes: &mut Vec<ProbeTarget>,
        listed_at: &mut u64,
        publish: Option<&(Arc<crate::reporter::Published>, SigningKey)>,
        now: u64,
    ) {
        if nodes.is_empty() || now.saturating_sub(*listed_at) >= 60 {
            match targets(client, &self.staking).await {
                Ok(t) => (*nodes, *listed_at) = (t, now),
                Err(e) => tracing::warn!(chain = %self.chain_id, error = %e, "listing nodes"),
            }
        }
        match self.launch(nodes, now) {
            Ok(o) if o == RoundOutcome::default() => {}
            Ok(o) => tracing::info!(chain = %self.chain_id, answered = o.answered,
                    missed = o.missed, skipped = o.skipped, benched = o.benched,
                    bench_failed = o.bench_failed, "probe round"),
            Err(e) => tracing::warn!(chain = %self.chain_id, error = %e, "probe round"),
        }
        // An ended epoch's tallies are final once nothing sent in it is still in flight.
        let settled = self.epoch_of(now).is_none_or(|e| !self.in_flight_before(e));
        if let (Some((published, key)), true) = (publish, settled) {
            if let Err(e) = crate::reporter::publish_tallies(self, published, key, now) {
                tracing::warn!(chain = %self.chain_id, error = %e, "publishing the tallies");
            }
        }
    }
}

/// The slots of `schedule` in `epoch` (starting at `start`) whose time has come by `now` and
/// that `recorded(node, slot)` does not know yet, for each of `targets`: with whether the slot
/// is more than `late` past due (recorded as skipped, not sent). Shared by probes and
/// benchmark challenges.
fn due_slots<'t>(
    schedule: &Schedule,
    epoch: u64,
    start: u64,
    now: u64,
    late: u64,
    targets: impl Iterator<Item = &'t ProbeTarget>,
    mut recorded: impl FnMut(&str, usize) -> Result<bool, RelayerError>,
) -> Result<Vec<(&'t ProbeTarget, usize, bool)>, RelayerError> {
    let mut out = Vec::new();
    for t in targets {
        for (slot, offset) in schedule.offsets(epoch, &t.node).into_iter().enumerate() {
            let at = start + offset;
            if at > now || recorded(&t.node, slot)? {
                continue;
            }
            out.push((t, slot, now - at > late));
        }
    }
    Ok(out)
}

/// The members of the current attestor set, as staking holds them (operator key, endpoint).
pub async fn attestor_members(
    client: &ChainClient,
    staking: &str,
) -> Result<Vec<NodeResponse>, RelayerError> {
    let set: AttestorSetResponse = client
        .query_typed(staking, &StakingQuery::AttestorSet {})
        .await?;
    let mut out = Vec::with_capacity(set.members.len());
    for m in set.members {
        out.push(node(client, staking, m.node.as_str()).await?);
    }
    Ok(out)
}

/// The operator keys of the current attestor set (whose tallies and signatures count).
pub async fn attestor_keys(
    client: &ChainClient,
    staking: &str,
) -> Result<BTreeSet<PubKey33>, RelayerError> {
    Ok(attestor_members(client, staking)
        .await?
        .into_iter()
        .map(|n| n.operator_key)
        .collect())
}

async fn node(
    client: &ChainClient,
    staking: &str,
    node: &str,
) -> Result<NodeResponse, RelayerError> {
    Ok(client
        .query_typed(
            staking,
            &StakingQuery::Node {
                node: node.to_string(),
            },
        )
        .await?)
}

/// This attestor's signed tallies of `epoch` (step 1 of [`crate::work_report`]).
pub fn tally_share(
    prober: &Prober,
    epoch: u64,
    key: &SigningKey,
) -> Result<TallyShare, RelayerError> {
    let mut benches = prober.store().bench_summary(&prober.chain_id, epoch)?;
    let mut tallies: Vec<NodeTally> = prober
        .tallies(epoch)?
        .into_iter()
        .map(|(node, t)| {
            let b = benches.remove(&node).unwrap_or_default();
            NodeTally {
                node,
                answered: t.answered,
                probed: t.probed,
                benched: b.attempted,
                bench: b.best,
            }
        })
        .collect();
    // Benchmarked but never probed (probes skipped): the benchmark still counts.
    tallies.extend(benches.into_iter().map(|(node, b)| NodeTally {
        node,
        answered: 0,
        probed: 0,
        benched: b.attempted,
        bench: b.best,
    }));
    TallyShare::sign(&prober.chain_id, &prober.staking, epoch, tallies, key)
}

/// Step 2 of [`crate::work_report`]: from the attestors' tally shares of `epoch`, this
/// attestor's signed statement for every node it measured itself and a quorum of members
/// measured; any other node gets no statement (said in the log), never a default, and this
/// attestor signs none for its own node. `key` is this attestor's operator key (the relayer's
/// chain key).
#[allow(clippy::too_many_arguments)]
pub async fn work_shares(
    client: &ChainClient,
    staking: &str,
    rewards: &str,
    attestation: &str,
    epoch: u64,
    tallies: &[TallyShare],
    issued_at: u64,
    key: &SigningKey,
) -> Result<Vec<QuorumShare>, RelayerError> {
    let members = attestor_keys(client, staking).await?;
    let me = bithive_signed_attestation::signing::public_key(key);
    if !members.contains(&me) {
        return Err(RelayerError::Attestation(format!(
            "operator key {} is not in the current attestor set: its signature would not count",
            me.to_hex()
        )));
    }
    // A share of another chain, contract or epoch, one that does not verify, or one from outside
    // the set is dropped, never an error: one attestor's bad share must not stop the others.
    let (valid, dropped): (Vec<&TallyShare>, Vec<&TallyShare>) = tallies.iter().partition(|t| {
        t.chain_id == client.chain_id()
            && t.staking == staking
            && t.epoch == epoch
            && members.contains(&t.signature.key)
            && t.verify()
    });
    for t in dropped {
        tracing::warn!(epoch, key = %t.signature.key.to_hex(), "tally share dropped");
    }
    let valid: Vec<TallyShare> = valid.into_iter().cloned().collect();
    // This attestor signs only for nodes it probed and benchmarked itself, and a node's figures
    // need a quorum of members' measurements (`measured_work`).
    let Some(own) = valid.iter().find(|t| t.signature.key == me) else {
        return Err(RelayerError::Attestation(format!(
            "no valid tally share of this attestor for epoch {epoch}"
        )));
    };
    let min = quorum_threshold(client, attestation).await?;
    let mut out = Vec::new();
    for t in own.tallies.iter().filter(|t| t.probed > 0 && t.benched > 0) {
        let node = t.node.as_str();
        let operator = match self::node(client, staking, node).await {
            Ok(n) => n.operator_key,
            Err(e) => {
                tracing::warn!(%node, epoch, error = %e, "no work statement: not a node");
                continue;
            }
        };
        if operator == me {
            // Its own work is attested by the others (the contract refuses a self-attestation).
            continue;
        }
        match work_report::measured_work(node, &operator, &valid, &members, min) {
            Ok(measured) => {
                tracing::info!(%node, epoch, availability = %measured.availability,
                    pcompute = %measured.pcompute, penergy = %measured.penergy,
                    "work statement signed");
                let (att, payload) = work_report::statement(
                    client.chain_id(),
                    rewards,
                    node,
                    epoch,
                    measured,
                    issued_at,
                )?;
                out.push(crate::quorum::sign_share(att, payload, key)?);
            }
            Err(e) => tracing::warn!(%node, epoch, error = %e, "no work statement"),
        }
    }
    Ok(out)
}

/// How many attestor signatures a quorum attestation needs (the attestation contract's
/// `quorum_threshold`).
pub async fn quorum_threshold(
    client: &ChainClient,
    attestation: &str,
) -> Result<usize, RelayerError> {
    let c: bithive_interface::attestation::Config = client
        .query_typed(
            attestation,
            &bithive_interface::attestation::QueryMsg::Config {},
        )
        .await?;
    Ok(c.quorum_threshold as usize)
}

/// Step 3 of [`crate::work_report`]: one `submit_quorum` per node from the attestors' statement
/// shares. Each node's report is submitted on its own, so one refused report does not hold back
/// the others; the result of each, by job id.
pub async fn submit_work(
    client: &ChainClient,
    attestation: &str,
    shares: Vec<QuorumShare>,
) -> Vec<(String, Result<(), RelayerError>)> {
    let mut by_job: std::collections::BTreeMap<String, Vec<QuorumShare>> = Default::default();
    for s in shares {
        by_job
            .entry(s.attestation.job_id.clone())
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for (job, shares) in by_job {
        let r = match crate::quorum::combine(&shares) {
            Ok(msg) => client
                .execute_batch(&[(attestation.to_string(), msg)])
                .await
                .map(|_| ())
                .map_err(RelayerError::from),
            Err(e) => Err(e),
        };
        out.push((job, r));
    }
    out
}

/// The rewards epoch clock (`genesis`, `epoch_seconds`) the attestor's tallies follow.
pub async fn rewards_clock(
    client: &ChainClient,
    rewards: &str,
) -> Result<(u64, u64), RelayerError> {
    let c: RewardsConfig = client
        .query_typed(rewards, &RewardsQuery::Config {})
        .await?;
    Ok((c.genesis, c.epoch_seconds))
}

/// The prober `[attestor]` configures: the rewards epoch clock read from the chain, the schedule
/// seed derived from the chain's operator key, the results kept in the relayer's store.
pub async fn prober(
    section: &crate::config::AttestorSection,
    chain: &crate::config::ChainConfig,
    client: &ChainClient,
    db_path: &std::path::Path,
) -> Result<Prober, RelayerError> {
    use bithive_deploy_plan::Role;
    let clock = rewards_clock(client, chain.contract(Role::Rewards)?).await?;
    Prober::for_attestor(
        client.key().k256(),
        &chain.chain_id,
        chain.contract(Role::Staking)?,
        clock,
        section.probes_per_epoch,
        Duration::from_millis(section.timeout_ms),
        Duration::from_secs(section.late_seconds),
        Store::open(db_path)?,
    )
    .map_err(|e| RelayerError::Config(format!("attestor: {e}")))
}

/// Sends one probe with a fresh challenge; `Ok` only for a valid answer in time.
async fn probe_once(
    chain_id: &str,
    staking: &str,
    target: &ProbeTarget,
    timeout: Duration,
) -> Result<(), String> {
    let mut challenge = [0u8; 32];
    getrandom::getrandom(&mut challenge).map_err(|e| format!("no randomness: {e}"))?;
    let path = probe::probe_path(chain_id, &challenge);
    let body = tokio::time::timeout(timeout, http_get(&target.endpoint, &path, MAX_ANSWER_BYTES))
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
        .map_err(|e| e.to_string())?;
    let answer: ProbeAnswer =
        serde_json::from_slice(&body).map_err(|e| format!("not a probe answer: {e}"))?;
    if probe::check(
        &answer,
        &target.operator_key,
        chain_id,
        staking,
        &target.node,
        &challenge,
    ) {
        Ok(())
    } else {
        Err("the answer is not the node's operator key's signature of this challenge".into())
    }
}

/// Sends one benchmark challenge and checks the answer: its outcome.
async fn bench_once(
    chain_id: &str,
    staking: &str,
    epoch: u64,
    target: &ProbeTarget,
    bencher: &Arc<Bencher>,
    key: &SigningKey,
) -> BenchOutcome {
    let request =
        match BenchRequest::new(key, chain_id, staking, &target.node, epoch, bencher.inputs) {
            Ok(r) => r,
            Err(e) => return BenchOutcome::Failed(e.to_string()),
        };
    let exchange = tokio::time::timeout(
        bencher.timeout,
        http_get_timed(&target.endpoint, &request.path(), MAX_BENCH_ANSWER_BYTES),
    )
    .await;
    let (body, connected) = match exchange {
        Err(_) => {
            return BenchOutcome::Failed(format!(
                "no answer within {} ms",
                bencher.timeout.as_millis()
            ))
        }
        Ok(Err(e)) => return BenchOutcome::Failed(e.to_string()),
        Ok(Ok(x)) => x,
    };
    // The node's time is what this attestor saw from the open connection: the request sent,
    // the run, the answer back.
    let elapsed = connected.elapsed();
    let answer: BenchAnswer = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return BenchOutcome::Failed(format!("not a benchmark answer: {e}")),
    };
    // Signature and count first: a junk answer costs this attestor no run.
    if let Err(e) = benchmark::check_answer(&answer, &request, &target.operator_key, elapsed) {
        return BenchOutcome::Failed(e.to_string());
    }
    // The inputs checked are drawn only now, after the answer is in.
    let mut entropy = [0u8; 32];
    if let Err(e) = getrandom::getrandom(&mut entropy) {
        return BenchOutcome::Failed(format!("no randomness: {e}"));
    }
    let indices = benchmark::sample(bencher.inputs, &entropy);
    let (runner, seed) = (bencher.runner.clone(), request.seed);
    let own = tokio::task::spawn_blocking(move || {
        runner
            .run(&seed, &indices)
            .map(|outs| indices.into_iter().zip(outs).collect::<Vec<_>>())
    })
    .await;
    let own = match own {
        Ok(Ok(own)) => own,
        Ok(Err(e)) => return BenchOutcome::Failed(format!("this attestor's own run: {e}")),
        Err(e) => return BenchOutcome::Failed(format!("workload task: {e}")),
    };
    if let Err(e) = benchmark::check_outputs(&answer, &own, |a, b| bencher.runner.agrees(a, b)) {
        return BenchOutcome::Disagreed {
            why: e.to_string(),
            answer: String::from_utf8_lossy(&body).into_owned(),
        };
    }
    let (penergy, energy) = benchmark::penergy(target.tier, answer.energy.as_ref());
    BenchOutcome::Passed(BenchTally {
        pcompute: benchmark::pcompute(bencher.runner.macs_per_input(), bencher.inputs, elapsed),
        penergy,
        energy,
    })
}

/// `(host:port, base path)` of an `http://` endpoint.
fn split_endpoint(endpoint: &str) -> Result<(&str, &str), String> {
    let rest = endpoint.strip_prefix("http://").ok_or_else(|| {
        format!("{endpoint}: only http:// endpoints are probed (answers are signed)")
    })?;
    let (authority, base) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(format!("{endpoint}: no host"));
    }
    Ok((authority, base))
}

/// Why an [`http_get`] brought no body: the peer's answer was not a success (its status kept,
/// so a caller can tell "not yet" from "never"), or no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HttpGetError {
    #[error("http status {0}")]
    Status(hyper::StatusCode),
    #[error("{0}")]
    Exchange(String),
}

/// One HTTP/1.1 GET of `endpoint` + `path`; the body, at most `limit` bytes.
pub(crate) async fn http_get(
    endpoint: &str,
    path: &str,
    limit: usize,
) -> Result<Vec<u8>, HttpGetError> {
    http_get_timed(endpoint, path, limit).await.map(|(b, _)| b)
}

/// [`http_get`] of a JSON answer, the whole exchange within `timeout`: what attestors read
/// from each other (tallies, re-execution verdicts).
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    endpoint: &str,
    path: &str,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<T, HttpGetError> {
    let body = tokio::time::timeout(timeout, http_get(endpoint, path, limit))
        .await
        .map_err(|_| HttpGetError::Exchange("timed out".into()))??;
    serde_json::from_slice(&body).map_err(|e| HttpGetError::Exchange(e.to_string()))
}

/// [`http_get`], and when the connection was open (before the request was sent).
async fn http_get_timed(
    endpoint: &str,
    path: &str,
    limit: usize,
) -> Result<(Vec<u8>, Instant), HttpGetError> {
    let x = HttpGetError::Exchange;
    let (authority, base) = split_endpoint(endpoint).map_err(x)?;
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let io = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| x(format!("connect {addr}: {e}")))?;
    let connected = Instant::now();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| x(format!("http: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::get(format!("{base}{path}"))
        .header(hyper::header::HOST, authority)
        .body(Empty::new())
        .map_err(|e| x(format!("request: {e}")))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| x(format!("http: {e}")))?;
    if !resp.status().is_success() {
        return Err(HttpGetError::Status(resp.status()));
    }
    let body = Limited::new(resp.into_body(), limit)
        .collect()
        .await
        .map_err(|e| x(format!("answer body: {e}")))?;
    Ok((body.to_bytes().to_vec(), connected))
}

/// The node's side of the benchmark: runs the current attestor set's requests as its
/// [`BenchGate`] admits them, one at a time (the workload's session is held by one run), with
/// at most [`BENCH_QUEUE`] waiting; more are answered 503.
pub struct BenchService {
    runner: Arc<dyn WorkloadRunner>,
    /// What the node's energy is read from around a run (NVML for a GPU workload, RAPL for a
    /// CPU one), where it can be.
    counter: Option<Arc<dyn crate::energy::EnergyCounter>>,
    /// Per chain id, the operator keys of the current attestor set (kept current by the
    /// relayer, [`BenchService::set_attestors`]).
    attestors: std::sync::RwLock<BTreeMap<String, BTreeSet<PubKey33>>>,
    gate: std::sync::Mutex<BenchGate>,
    slots: Arc<tokio::sync::Semaphore>,
}

/// Benchmark requests a node holds at once (one running, the others waiting).
pub const BENCH_QUEUE: usize = 3;

impl BenchService {
    pub fn new(runner: Arc<dyn WorkloadRunner>) -> Arc<BenchService> {
        Arc::new(BenchService {
            counter: crate::energy::counter_for(runner.cuda_device()),
            runner,
            attestors: Default::default(),
            gate: Default::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(BENCH_QUEUE)),
        })
    }

    /// Whose requests of `chain_id` are run from now on.
    pub fn set_attestors(&self, chain_id: &str, keys: BTreeSet<PubKey33>) {
        self.attestors
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(chain_id.to_string(), keys);
    }

    /// Keeps the attestor set of `chain_id` current with `read`, every `every`. A failed read is
    /// tried again soon, from `first_retry` doubling up to `every`: until the set is known every
    /// challenge is refused, so a node (re)started while its RPC endpoint stumbles must not wait
    /// a whole period (it would lose the epoch's compute figure). Runs until aborted.
    pub async fn keep_attestors_current<F, Fut>(
        self: Arc<Self>,
        chain_id: String,
        read: F,
        every: Duration,
        first_retry: Duration,
    ) where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<BTreeSet<PubKey33>, RelayerError>>,
    {
        let mut retry = first_retry;
        loop {
            match read().await {
                Ok(keys) => {
                    self.set_attestors(&chain_id, keys);
                    retry = first_retry;
                    tokio::time::sleep(every).await;
                }
                Err(e) => {
                    tracing::warn!(chain = %chain_id, error = %e,
                        retry_ms = retry.as_millis() as u64, "reading the attestor set");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(every);
                }
            }
        }
    }

    fn admits(&self, request: &BenchRequest) -> Result<(), &'static str> {
        let member = self
            .attestors
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&request.chain_id)
            .is_some_and(|keys| keys.contains(&request.attestor));
        if !member {
            return Err("not a member of the attestor set");
        }
        if !request.verify() {
            return Err("the request's signature does not verify");
        }
        self.gate
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit(request, Instant::now())
    }

    /// Runs every input of `request`, reading the energy meter around the run where there is
    /// one, and signs the answer with `key`.
    async fn run(&self, request: BenchRequest, key: SigningKey) -> Result<BenchAnswer, String> {
        let runner = self.runner.clone();
        let seed = request.seed;
        let indices: Vec<u32> = (0..request.inputs).collect();
        let counter = self.counter.clone();
        let (outputs, energy) = tokio::task::spawn_blocking(move || {
            let (outputs, _, energy) =
                crate::energy::metered(counter.as_deref(), || runner.run(&seed, &indices));
            Ok::<_, String>((outputs?, energy))
        })
        .await
        .map_err(|e| format!("workload task: {e}"))??;
        benchmark::answer(&key, &request, outputs, energy).map_err(|e| e.to_string())
    }
}

/// The node's side: answers probes for each chain this relayer works for.
pub struct ProbeResponder {
    /// (chain id, staking contract, node account, operator key).
    chains: Vec<(String, String, String, SigningKey)>,
    /// An attestor's tallies and statements for the other attestors ([`crate::reporter`]).
    published: Option<Arc<crate::reporter::Published>>,
    bench: Option<Arc<BenchService>>,
    /// Set once the node is stopping: it takes no new work, so probes and benchmark requests
    /// are answered 503 from then on (attestors count it down), while what an attestor
    /// published for the others' close is still served until the process ends.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl ProbeResponder {
    pub fn new(chains: Vec<(String, String, String, SigningKey)>) -> ProbeResponder {
        ProbeResponder {
            chains,
            published: None,
            bench: None,
            stopping: Arc::default(),
        }
    }

    /// The flag that, once set, makes this responder refuse probes and benchmark requests.
    pub fn stopping(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.stopping.clone()
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Also serves what this attestor publishes for the others.
    pub fn with_published(mut self, published: Arc<crate::reporter::Published>) -> Self {
        self.published = Some(published);
        self
    }

    /// Also answers the attestor set's benchmark requests.
    pub fn with_benchmarks(mut self, bench: Arc<BenchService>) -> Self {
        self.bench = Some(bench);
        self
    }

    /// The reply to `GET path`, benchmark requests included (serve it with
    /// `bithive_bitchat::endpoint::serve_async`).
    pub async fn answer(self: Arc<Self>, path: String) -> Reply {
        if !path.starts_with(benchmark::BENCH_PATH) {
            return self.reply(&path);
        }
        let Some(bench) = &self.bench else {
            return Reply::not_found();
        };
        if self.is_stopping() {
            return stopping_reply();
        }
        let staking_of = |chain: &str| {
            self.chains
                .iter()
                .find(|c| c.0 == chain)
                .map(|c| c.1.clone())
        };
        let Some(request) = BenchRequest::from_path(&path, staking_of) else {
            return Reply::not_found();
        };
        let Some((_, _, _, key)) = self
            .chains
            .iter()
            .find(|c| c.0 == request.chain_id && c.2 == request.node)
        else {
            return Reply::not_found();
        };
        let Ok(_slot) = bench.slots.clone().try_acquire_owned() else {
            return Reply {
                status: "503 Service Unavailable",
                content_type: "text/plain",
                body: "busy\n".into(),
            };
        };
        if let Err(why) = bench.admits(&request) {
            tracing::info!(chain = %request.chain_id, attestor = %request.attestor.to_hex(), why,
                "benchmark request refused");
            return Reply {
                status: "403 Forbidden",
                content_type: "text/plain",
                body: format!("{why}\n"),
            };
        }
        match bench.run(request, key.clone()).await {
            Ok(a) => match serde_json::to_string(&a) {
                Ok(body) => Reply::ok("application/json", body),
                Err(e) => server_error(e.to_string()),
            },
            Err(e) => {
                tracing::warn!(error = %e, "benchmark run failed");
                server_error(e)
            }
        }
    }

    /// The reply to `GET path`: a signed answer or what this attestor published, 404 for
    /// another path or an unknown chain.
    pub fn reply(&self, path: &str) -> Reply {
        if let Some(r) = self.published.as_ref().and_then(|p| p.reply(path)) {
            return r;
        }
        let Some((chain, challenge)) = probe::parse_probe_path(path) else {
            return Reply::not_found();
        };
        let Some((_, staking, node, key)) = self.chains.iter().find(|c| c.0 == chain) else {
            return Reply::not_found();
        };
        if self.is_stopping() {
            return stopping_reply();
        }
        match probe::answer(key, chain, staking, node, &challenge)
            .ok()
            .and_then(|a| serde_json::to_string(&a).ok())
        {
            Some(body) => Reply::ok("application/json", body),
            None => server_error("signing failed".into()),
        }
    }
}

fn stopping_reply() -> Reply {
    Reply {
        status: "503 Service Unavailable",
        content_type: "text/plain",
        body: "stopping: this node takes no new work\n".into(),
    }
}

fn server_error(why: String) -> Reply {
    Reply {
        status: "500 Internal Server Error",
        content_type: "text/plain",
        body: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct NoWorkload;
    impl WorkloadRunner for NoWorkload {
        fn macs_per_input(&self) -> u64 {
            1
        }
        fn run(&self, _: &[u8; 32], _: &[u32]) -> Result<Vec<Vec<u32>>, String> {
            Err("not run here".into())
        }
        fn agrees(&self, a: &[u32], b: &[u32]) -> bool {
            a == b
        }
    }

    /// Found by the compute pool's test of record on wasmd: the offline node restarted while a
    /// validator was stopping; its first read of the attestor set failed, the next came a minute
    /// later, and it refused every challenge of the epoch in between.
    #[tokio::test]
    async fn a_failed_read_of_the_attestor_set_is_retried_soon() {
        let bench = BenchService::new(Arc::new(NoWorkload));
        let key = bithive_signed_attestation::signing::public_key(
            &SigningKey::from_slice(&[7u8; 32]).unwrap(),
        );
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = reads.clone();
        let task = tokio::spawn(bench.clone().keep_attestors_current(
            "chain-1".into(),
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(RelayerError::Config("leveldb: closed".into()))
                    } else {
                        Ok(BTreeSet::from([key]))
                    }
                }
            },
            // A period no test waits out: the set must come from the retries.
            Duration::from_secs(3600),
            Duration::from_millis(10),
        ));
        let known = || {
            bench
                .attestors
                .read()
                .unwrap()
                .get("chain-1")
                .is_some_and(|k| k.contains(&key))
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !known() {
            assert!(
                Instant::now() < deadline,
                "the attestor set was never read again"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            reads.load(Ordering::SeqCst),
            3,
            "two failures, then the set"
        );
        task.abort();
    }
}
