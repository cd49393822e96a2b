//! The attestors' epoch close, by themselves (ADR 007, decisions 1 and 4; `[attestor]` in
//! `relayer start`): the three steps of [`crate::work_report`] exchanged over the attestors' own
//! endpoints, with no coordinator.
//!
//! When a rewards epoch ends, each attestor publishes its signed tallies of it on its endpoint
//! (`GET /tallies/<chain>/<epoch>`). `settle` seconds later it fetches every other member's
//! tallies, signs its statement for each measured node and publishes them
//! (`GET /work/<chain>/<epoch>`). `settle` seconds after that it fetches every member's
//! statements and submits, for each node, the statement the most members signed if they are a
//! quorum ([`crate::work_report::agreed`]). Every step is deterministic given what was fetched, so
//! attestors that saw the same tallies sign the same bytes; one that saw fewer signs a statement
//! nobody else does and is left out, never blocking the rest. Each attestor submits; the
//! attestation contract accepts a node's report once (job id `work/<node>/<epoch>`), so a second
//! submission is refused at simulation and costs nothing. The report's `issued_at` is the epoch's
//! end plus `settle`, the same for all.
//!
//! A member whose tallies or statements are not up yet (it answers 503, "not yet"; a member
//! that is down or runs no attestor is not waited for) is asked again each round, for up to
//! `settle` seconds of wall time, before the step goes on without it: an attestor
//! publishes an epoch's tallies only once every challenge it sent in the epoch has come back, and
//! a chain that stalls and then jumps its clock past the epoch's end and `sign_at` in one block
//! (seen on four validators, one restarting) lets every attestor reach a step at once. Without the
//! wait each signed from a different subset of tallies, no statement had a quorum, and a node that
//! had worked lost the epoch's pay.
//!
//! Every ended epoch of the last [`KEEP_EPOCHS`] is closed, oldest first, not only the last one:
//! the close of one epoch (its submissions wait for blocks, one report each) can run past the
//! end of the next, above all on a stalled chain. Closing only the last ended epoch then skipped
//! one (seen on four validators with one restarting: epoch 9's reports were never made while
//! epoch 8's were still being submitted, and the nodes lost epoch 9's pay).
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bithive_bitchat::endpoint::Reply;
use bithive_chain_client::ChainClient;
use bithive_signed_attestation::signing::public_key;
use bithive_signed_attestation::PubKey33;
use k256::ecdsa::SigningKey;

use crate::attestor::{self, EpochClock, HttpGetError, Prober};
use crate::error::RelayerError;
use crate::quorum::QuorumShare;
use crate::store::Store;
use crate::work_report::{self, TallyShare};

/// Most bytes of tallies or statements read from one attestor (about 2,000 nodes).
pub const MAX_EXCHANGE_BYTES: usize = 1 << 20;
/// The answer for tallies or statements an attestor has not published yet but will: the others
/// ask again for a while instead of going on without them.
const NOT_YET: &str = "503 Service Unavailable";
/// Ended epochs, per chain, whose tallies and statements an attestor keeps serving and closes:
/// as many as rewards bounds one late report over (a node's report after the oldest of them
/// covers its jobs since).
const KEEP_EPOCHS: usize = bithive_formulas::capacity::MAX_REPORT_SPAN as usize;

/// By (chain, epoch): this attestor's signed tallies and its work statements (`None` until
/// signed; empty when it measured nobody, so the others need not wait for it).
type ByEpoch = BTreeMap<(String, u64), (Option<TallyShare>, Option<Vec<QuorumShare>>)>;

/// What this attestor serves to the others.
#[derive(Default)]
pub struct Published {
    by_epoch: Mutex<ByEpoch>,
    /// By chain: this attestor's disagreeing re-execution verdicts ([`crate::reexecution`]).
    verdicts: Mutex<BTreeMap<String, Vec<crate::reexecution::PublishedVerdict>>>,
}

/// `(tallies?, chain, epoch)` of `/tallies/<chain>/<epoch>` or `/work/<chain>/<epoch>`.
fn parse_path(path: &str) -> Option<(bool, &str, u64)> {
    let (tallies, rest) = if let Some(r) = path.strip_prefix("/tallies/") {
        (true, r)
    } else {
        (false, path.strip_prefix("/work/")?)
    };
    let (chain, epoch) = rest.split_once('/')?;
    if chain.is_empty() || !chain.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return None;
    }
    Some((tallies, chain, epoch.parse().ok()?))
}

impl Published {
    pub fn new() -> Arc<Published> {
        Arc::new(Published::default())
    }

    fn with<R>(&self, f: impl FnOnce(&mut ByEpoch) -> R) -> R {
        let mut m = self.by_epoch.lock().unwrap_or_else(|p| p.into_inner());
        let r = f(&mut m);
        // Per chain: one chain's epochs never push another's out.
        let chains: BTreeSet<String> = m.keys().map(|(c, _)| c.clone()).collect();
        for chain in chains {
            let of_chain: Vec<(String, u64)> = m
                .range((chain.clone(), 0)..=(chain, u64::MAX))
                .map(|(k, _)| k.clone())
                .collect();
            for old in of_chain.iter().rev().skip(KEEP_EPOCHS) {
                m.remove(old);
            }
        }
        r
    }

    pub fn tallies(&self, chain: &str, epoch: u64) -> Option<TallyShare> {
        self.with(|m| m.get(&(chain.to_string(), epoch)).and_then(|e| e.0.clone()))
    }

    /// This attestor's statements of `epoch`, once signed.
    pub fn work(&self, chain: &str, epoch: u64) -> Option<Vec<QuorumShare>> {
        self.with(|m| m.get(&(chain.to_string(), epoch)).and_then(|e| e.1.clone()))
    }

    fn set_tallies(&self, chain: &str, epoch: u64, share: TallyShare) {
        self.with(|m| m.entry((chain.to_string(), epoch)).or_default().0 = Some(share));
    }

    fn set_work(&self, chain: &str, epoch: u64, shares: Vec<QuorumShare>) {
        self.with(|m| m.entry((chain.to_string(), epoch)).or_default().1 = Some(shares));
    }

    /// Replaces the re-execution verdicts served for `chain`.
    pub fn set_verdicts(&self, chain: &str, v: Vec<crate::reexecution::PublishedVerdict>) {
        let mut m = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(chain.to_string(), v);
    }

    /// The reply to an exchange path (`None` for any other path; 404 while nothing is
    /// published). Re-execution verdicts are served as a list, empty when there are none.
    pub fn reply(&self, path: &str) -> Option<Reply> {
        if let Some(chain) = path.strip_prefix(crate::reexecution::REEXEC_PATH) {
            let m = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
            let list = m.get(chain).map(Vec::as_slice).unwrap_or_default();
            return serde_json::to_string(list)
                .ok()
                .map(|b| Reply::ok("application/json", b));
        }
        let (tallies, chain, epoch) = parse_path(path)?;
        // Not yet: an epoch after the last one whose tallies are out, or statements of one whose
        // tallies are (the others wait a while for these); not found: anything else.
        let pending = self.with(|m| {
            let last = m
                .iter()
                .filter(|((c, _), (t, _))| c == chain && t.is_some())
                .map(|((_, e), _)| *e)
                .max();
            match m.get(&(chain.to_string(), epoch)) {
                Some((Some(_), None)) => !tallies,
                Some((Some(_), Some(_))) => false,
                _ => last.is_none_or(|l| epoch > l),
            }
        });
        let body = if tallies {
            self.tallies(chain, epoch)
                .and_then(|t| serde_json::to_string(&t).ok())
        } else {
            self.work(chain, epoch)
                .and_then(|w| serde_json::to_string(&w).ok())
        };
        Some(match body {
            Some(b) => Reply::ok("application/json", b),
            None if pending => Reply {
                status: NOT_YET,
                content_type: "text/plain",
                body: "not yet\n".into(),
            },
            None => Reply::not_found(),
        })
    }
}

/// The contracts and the clock one reporter works with.
pub struct ReporterConfig {
    pub staking: String,
    pub rewards: String,
    pub attestation: String,
    /// Seconds between the steps (the others' time to publish).
    pub settle: u64,
    /// Per fetch from another attestor.
    pub timeout: Duration,
}

/// One attestor's epoch close on one chain.
pub struct Reporter {
    cfg: ReporterConfig,
    key: SigningKey,
    published: Arc<Published>,
    /// Locked only between awaits (the connection is not `Sync`).
    store: Mutex<Store>,
    /// By (chain, epoch): what the other members published for the close in progress.
    gathered: BTreeMap<(String, u64), Gathered>,
}

/// The other members' tallies and statements of one epoch, gathered over the steps of its close.
#[derive(Default)]
struct Gathered {
    tallies: Asked<TallyShare>,
    statements: Asked<Vec<QuorumShare>>,
}

/// One kind of answer, gathered from the other members over the steps of a close.
struct Asked<T> {
    /// By member.
    got: BTreeMap<PubKey33, T>,
    /// When a step first found a member not ready ("not yet").
    not_yet_since: Option<Instant>,
}

impl<T> Default for Asked<T> {
    fn default() -> Self {
        Asked {
            got: BTreeMap::new(),
            not_yet_since: None,
        }
    }
}

/// One node's report as an attestor submitted it.
#[derive(Debug)]
pub struct Submitted {
    pub job_id: String,
    pub signers: usize,
    /// `Ok` also when another attestor had submitted it first.
    pub result: Result<(), RelayerError>,
}

/// The ended epochs an attestor still publishes and closes at chain time `now`, oldest first:
/// the last [`KEEP_EPOCHS`] before the current one.
pub fn recent_ended_epochs(clock: EpochClock, now: u64) -> std::ops::Range<u64> {
    let current = clock.epoch_of(now).unwrap_or(0);
    current.saturating_sub(KEEP_EPOCHS as u64)..current
}

/// Publishes `prober`'s signed tallies of each recently ended epoch at `now` (chain time) not
/// published yet: the caller calls it once nothing sent before the current epoch is in flight.
/// Not only the last one: a challenge still in flight when the next epoch ended would
/// otherwise have kept an epoch's tallies from ever being published. (Tallies come from the
/// store, so an attestor restarted after a crash serves those of the epochs before it too.)
pub fn publish_tallies(
    prober: &Prober,
    published: &Published,
    key: &SigningKey,
    now: u64,
) -> Result<(), RelayerError> {
    for epoch in recent_ended_epochs(prober.clock(), now) {
        if published.tallies(prober.chain_id(), epoch).is_none() {
            let share = attestor::tally_share(prober, epoch, key)?;
            published.set_tallies(prober.chain_id(), epoch, share);
        }
    }
    Ok(())
}

/// What a member answered for its tallies or statements.
enum Fetched<T> {
    Got(T),
    /// Alive, and will publish them: asked again for a while.
    NotYet,
    /// Down, not an attestor, or a bad answer: not waited for.
    Failed,
}

/// One member of the attestor set, as the others reach it.
struct Member {
    key: PubKey33,
    endpoint: Option<String>,
}

impl Reporter {
    pub fn new(
        cfg: ReporterConfig,
        key: SigningKey,
        published: Arc<Published>,
        store: Store,
    ) -> Reporter {
        Reporter {
            cfg,
            key,
            published,
            store: Mutex::new(store),
            gathered: BTreeMap::new(),
        }
    }

    /// One step of the close, with `prober` in the same task: publishes its tallies of the last
    /// ended epoch (the caller has waited for its challenges), then [`Reporter::close`].
    pub async fn step(
        &mut self,
        client: &ChainClient,
        prober: &Prober,
        now: u64,
    ) -> Result<Vec<Submitted>, RelayerError> {
        publish_tallies(prober, &self.published, &self.key, now)?;
        self.close(client, prober.clock(), now).await
    }

    /// Closes epochs in its own task until `stop` turns true, one [`Reporter::close`] every
    /// `tick`, while the prober (`relayer start`: [`Prober::run`]) publishes the tallies. Its
    /// own task because a close waits on other attestors and on blocks: run inside the probe
    /// loop, the submissions of one epoch's reports held the probes and challenges of the next
    /// for about 10 s on four validators, long enough for slots to be skipped as late and a
    /// node to go unmeasured.
    pub async fn run(
        mut self,
        client: Arc<ChainClient>,
        clock: EpochClock,
        tick: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), RelayerError> {
        loop {
            match client.rpc().latest_block_time().await {
                Ok(now) => {
                    if let Err(e) = self.close(&client, clock, now).await {
                        tracing::warn!(chain = %client.chain_id(), error = %e, "work report round");
                    }
                }
                Err(e) => tracing::warn!(chain = %client.chain_id(), error = %e, "chain time"),
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }

    /// The recently ended epochs of `chain` whose close is not done, oldest first.
    fn open_closes(
        &mut self,
        chain: &str,
        clock: EpochClock,
        now: u64,
    ) -> Result<Vec<u64>, RelayerError> {
        let mut open = Vec::new();
        for epoch in recent_ended_epochs(clock, now) {
            if self.store().work_round_done(chain, epoch)? {
                self.gathered.retain(|(c, e), _| c != chain || *e > epoch);
            } else {
                open.push(epoch);
            }
        }
        Ok(open)
    }

    /// Moves the close of every recently ended epoch not closed yet on, oldest first, as far as
    /// `now` (chain time) allows, once this attestor's tallies of it are published (final).
    /// Returns the reports submitted in this step: job id, signers, outcome.
    pub async fn close(
        &mut self,
        client: &ChainClient,
        clock: EpochClock,
        now: u64,
    ) -> Result<Vec<Submitted>, RelayerError> {
        let mut submitted = Vec::new();
        let mut first_error = None;
        for epoch in self.open_closes(client.chain_id(), clock, now)? {
            // One epoch failing (a node down, a report refused) must not hold up the others.
            match self.close_epoch(client, clock, epoch, now).await {
                Ok(s) => submitted.extend(s),
                Err(e) => {
                    tracing::warn!(chain = %client.chain_id(), epoch, error = %e, "close step failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(submitted),
        }
    }

    /// One step of the close of ended epoch `epoch`.
    async fn close_epoch(
        &mut self,
        client: &ChainClient,
        clock: EpochClock,
        epoch: u64,
        now: u64,
    ) -> Result<Vec<Submitted>, RelayerError> {
        let chain = client.chain_id().to_string();
        if self.published.tallies(&chain, epoch).is_none() {
            // A challenge sent in it is still in flight.
            return Ok(vec![]);
        }
        let end = clock.epoch_start(epoch + 1);
        let (sign_at, submit_at) = (end + self.cfg.settle, end + 2 * self.cfg.settle);
        if now < sign_at {
            return Ok(vec![]);
        }
        let members = self.members(client).await?;
        let me = public_key(&self.key);
        let key = (chain.clone(), epoch);
        if !members.iter().any(|m| m.key == me) {
            // Its tallies stay published for the members; its statements would not count.
            tracing::info!(%chain, epoch, "not in the attestor set: no work statements signed");
            self.store().mark_work_round_done(&chain, epoch)?;
            return Ok(vec![]);
        }
        if self.published.work(&chain, epoch).is_none() {
            let own = self
                .published
                .tallies(&chain, epoch)
                .expect("checked above");
            let Some(theirs) = self
                .gather(
                    &key,
                    &members,
                    &me,
                    "tallies",
                    // A member serves its own tallies, nobody else's.
                    |m, t: &TallyShare| t.signature.key == m.key,
                    |g| &mut g.tallies,
                )
                .await
            else {
                return Ok(vec![]);
            };
            let mut tallies = vec![own];
            tallies.extend(theirs);
            let shares = attestor::work_shares(
                client,
                &self.cfg.staking,
                &self.cfg.rewards,
                &self.cfg.attestation,
                epoch,
                &tallies,
                sign_at,
                &self.key,
            )
            .await?;
            // Late: its close began after the next epoch had ended too.
            let late = clock.epoch_of(now).is_some_and(|c| c > epoch + 1);
            tracing::info!(%chain, epoch, tallies = tallies.len(), statements = shares.len(),
                late, "work statements signed");
            // Published even when empty (nothing measured): the others need not wait for it.
            let none = shares.is_empty();
            self.published.set_work(&chain, epoch, shares);
            if none {
                self.store().mark_work_round_done(&chain, epoch)?;
                return Ok(vec![]);
            }
        }
        if now < submit_at {
            return Ok(vec![]);
        }
        let Some(theirs) = self
            .gather(
                &key,
                &members,
                &me,
                "work",
                |_, _: &Vec<QuorumShare>| true,
                |g| &mut g.statements,
            )
            .await
        else {
            return Ok(vec![]);
        };
        let mut all = self.published.work(&chain, epoch).unwrap_or_default();
        all.extend(theirs.into_iter().flatten());
        let k = attestor::quorum_threshold(client, &self.cfg.attestation).await?;
        let agreed = work_report::agreed(all, k);
        let mut results = Vec::new();
        for shares in agreed {
            let job = shares[0].attestation.job_id.clone();
            let signers = shares.len();
            let r = attestor::submit_work(client, &self.cfg.attestation, shares)
                .await
                .pop()
                .map(|(_, r)| r)
                .unwrap_or(Ok(()));
            let r = match r {
                // Another attestor submitted it first.
                Err(e) if e.to_string().contains("was already") => Ok(()),
                r => r,
            };
            match &r {
                Ok(()) => tracing::info!(%chain, epoch, %job, "work report submitted"),
                Err(e) => tracing::warn!(%chain, epoch, %job, error = %e, "work report refused"),
            }
            results.push(Submitted {
                job_id: job,
                signers,
                result: r,
            });
        }
        self.store().mark_work_round_done(&chain, epoch)?;
        self.gathered.retain(|(c, e), _| *c != chain || *e > epoch);
        Ok(results)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn members(&self, client: &ChainClient) -> Result<Vec<Member>, RelayerError> {
        Ok(attestor::attestor_members(client, &self.cfg.staking)
            .await?
            .into_iter()
            .map(|n| Member {
                key: n.operator_key,
                endpoint: n.endpoint,
            })
            .collect())
    }

    /// The other members' `what` (`/<what>/<chain>/<epoch>`) of the close `key`, kept in
    /// `asked(gathered)` across steps: each member but `me` not heard from yet is asked, and
    /// the answers `keep` accepts are kept. `None` while a member that answered "not yet" is
    /// still waited for (`settle` seconds of wall time: the chain's clock can jump past a whole
    /// step in one block); then every answer kept.
    async fn gather<T: serde::de::DeserializeOwned + Clone>(
        &mut self,
        key: &(String, u64),
        members: &[Member],
        me: &PubKey33,
        what: &str,
        keep: impl Fn(&Member, &T) -> bool,
        asked: fn(&mut Gathered) -> &mut Asked<T>,
    ) -> Option<Vec<T>> {
        let (chain, epoch) = (key.0.as_str(), key.1);
        let known: BTreeSet<PubKey33> = asked(self.gathered.entry(key.clone()).or_default())
            .got
            .keys()
            .copied()
            .collect();
        let path = format!("/{what}/{chain}/{epoch}");
        let (mut got, mut not_yet) = (Vec::new(), Vec::new());
        for m in members
            .iter()
            .filter(|m| m.key != *me && !known.contains(&m.key))
        {
            match fetch_from::<T>(m.endpoint.as_deref(), &path, self.cfg.timeout).await {
                Fetched::Got(v) if keep(m, &v) => got.push((m.key, v)),
                Fetched::NotYet => not_yet.push(m.key.to_hex()),
                _ => {}
            }
        }
        let grace = Duration::from_secs(self.cfg.settle);
        let a = asked(self.gathered.entry(key.clone()).or_default());
        a.got.extend(got);
        if !not_yet.is_empty() {
            if a.not_yet_since.get_or_insert_with(Instant::now).elapsed() < grace {
                return None;
            }
            tracing::info!(%chain, epoch, what, ?not_yet, "going on without these members' answers");
        }
        Some(a.got.values().cloned().collect())
    }
}

/// `path` from another attestor's `endpoint`, within `timeout`: "not yet" is its 503 (the status
/// [`Published::reply`] gives what it will publish), not any failure.
async fn fetch_from<T: serde::de::DeserializeOwned>(
    endpoint: Option<&str>,
    path: &str,
    timeout: Duration,
) -> Fetched<T> {
    let Some(endpoint) = endpoint else {
        return Fetched::Failed;
    };
    match attestor::get_json(endpoint, path, MAX_EXCHANGE_BYTES, timeout).await {
        Ok(v) => Fetched::Got(v),
        // Asked again each round until the step's wait ends (then said once, at info).
        Err(HttpGetError::Status(s)) if s == hyper::StatusCode::SERVICE_UNAVAILABLE => {
            Fetched::NotYet
        }
        Err(e) => {
            tracing::info!(%endpoint, %path, error = %e, "attestor exchange");
            Fetched::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `published` served over HTTP as an attestor serves it: its endpoint.
    async fn serve(published: Arc<Published>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(bithive_bitchat::endpoint::serve(
            listener,
            Default::default(),
            move |path: &str| published.reply(path).unwrap_or_else(Reply::not_found),
        ));
        format!("http://{addr}")
    }

    /// What a member serves, as another attestor reads it over HTTP: "not yet" (503) only for
    /// what it will publish; not found, no endpoint or nobody listening are failures, never
    /// waited for.
    #[tokio::test]
    async fn not_yet_is_told_apart_from_failures_over_http() {
        let (p, key) = (
            Published::new(),
            SigningKey::from_bytes(&[7u8; 32].into()).unwrap(),
        );
        p.set_tallies("c", 9, TallyShare::sign("c", "s", 9, vec![], &key).unwrap());
        let endpoint = serve(p).await;
        let t = Duration::from_secs(5);
        let at = |path: &'static str| {
            let endpoint = endpoint.clone();
            async move { fetch_from::<TallyShare>(Some(&endpoint), path, t).await }
        };
        assert!(matches!(at("/tallies/c/9").await, Fetched::Got(s) if s.epoch == 9));
        assert!(matches!(at("/tallies/c/10").await, Fetched::NotYet));
        assert!(matches!(at("/tallies/c/8").await, Fetched::Failed));
        assert!(matches!(at("/metrics").await, Fetched::Failed));
        assert!(matches!(
            fetch_from::<TallyShare>(None, "/tallies/c/9", t).await,
            Fetched::Failed
        ));
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let nobody = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        assert!(matches!(
            fetch_from::<TallyShare>(Some(&nobody), "/tallies/c/9", t).await,
            Fetched::Failed
        ));
    }

    /// The attack: a member that answers "not yet" for ever, to hold every other attestor's
    /// close. It is waited for `settle` seconds of wall time, then the close goes on with the
    /// answers it has; a member that is down is not waited for at all.
    #[tokio::test]
    async fn a_member_saying_not_yet_for_ever_holds_the_close_for_settle_seconds_only() {
        let keys: Vec<SigningKey> = (1u8..=4)
            .map(|i| SigningKey::from_bytes(&[i; 32].into()).unwrap())
            .collect();
        let honest = Published::new();
        honest.set_tallies(
            "c",
            3,
            TallyShare::sign("c", "s", 3, vec![], &keys[1]).unwrap(),
        );
        let stalling = Published::new(); // never publishes epoch 3: "not yet" for ever
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let down = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let members = vec![
            Member {
                key: public_key(&keys[0]),
                endpoint: None,
            }, // this attestor
            Member {
                key: public_key(&keys[1]),
                endpoint: Some(serve(honest).await),
            },
            Member {
                key: public_key(&keys[2]),
                endpoint: Some(serve(stalling).await),
            },
            Member {
                key: public_key(&keys[3]),
                endpoint: Some(down),
            },
        ];
        let cfg = |settle| ReporterConfig {
            staking: "s".into(),
            rewards: "r".into(),
            attestation: "a".into(),
            settle,
            timeout: Duration::from_secs(5),
        };
        let mut r = Reporter::new(
            cfg(1),
            keys[0].clone(),
            Published::new(),
            Store::open_in_memory().unwrap(),
        );
        // One step of the close of epoch 3: the other members' tallies, or None while waiting.
        async fn tallies(r: &mut Reporter, members: &[Member]) -> Option<Vec<TallyShare>> {
            let me = public_key(&r.key);
            let close = ("c".to_string(), 3);
            r.gather(
                &close,
                members,
                &me,
                "tallies",
                |_, _| true,
                |g| &mut g.tallies,
            )
            .await
        }
        let started = Instant::now();
        let mut steps = 0;
        let got = loop {
            steps += 1;
            let g = tallies(&mut r, &members).await;
            if let Some(g) = g {
                break g;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "held for ever");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(steps > 1, "the stalling member was not waited for at all");
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(
            got.len(),
            1,
            "the honest member's tallies, kept across steps"
        );
        assert_eq!(got[0].signature.key, public_key(&keys[1]));

        // Without a member saying "not yet" (the stalling one down too), no wait at all.
        let mut r = Reporter::new(
            cfg(3600),
            keys[0].clone(),
            Published::new(),
            Store::open_in_memory().unwrap(),
        );
        let members: Vec<Member> = members
            .into_iter()
            .filter(|m| m.key != public_key(&keys[2]))
            .collect();
        let g = tallies(&mut r, &members).await;
        assert_eq!(g.map(|g| g.len()), Some(1));
    }

    #[test]
    fn exchange_paths() {
        assert_eq!(parse_path("/tallies/c-1/4"), Some((true, "c-1", 4)));
        assert_eq!(parse_path("/work/c-1/0"), Some((false, "c-1", 0)));
        for bad in [
            "/tallies/c-1",
            "/work//3",
            "/work/c/x",
            "/probe/c/3",
            "/tallies/c/-1",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    /// The incident: epoch 8's close ran past the end of epoch 10 (a stalled chain), and only
    /// the last ended epoch was ever closed, so epoch 9 never was and its work went unpaid.
    /// Every recently ended epoch not done is open, oldest first, however far `now` has moved.
    #[test]
    fn every_recent_epoch_not_closed_is_closed_oldest_first() {
        let clock = EpochClock {
            genesis: 1000,
            epoch_seconds: 60,
        };
        let in_epoch = |e: u64| clock.epoch_start(e) + 30;
        assert_eq!(recent_ended_epochs(clock, 999), 0..0, "before genesis");
        assert_eq!(recent_ended_epochs(clock, in_epoch(0)), 0..0);
        assert_eq!(recent_ended_epochs(clock, in_epoch(2)), 0..2);
        assert_eq!(recent_ended_epochs(clock, in_epoch(11)), 7..11);

        let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        let store = Store::open_in_memory().unwrap();
        for done in [7, 8] {
            store.mark_work_round_done("c", done).unwrap();
        }
        store.mark_work_round_done("d", 9).unwrap();
        let mut r = Reporter::new(
            ReporterConfig {
                staking: "s".into(),
                rewards: "r".into(),
                attestation: "a".into(),
                settle: 1,
                timeout: Duration::from_secs(5),
            },
            key,
            Published::new(),
            store,
        );
        // Epoch 11 running: 9 and 10 are still to close on c; 7 and 8 were done; 6 and before
        // are out of the window (their tallies are no longer served).
        assert_eq!(
            r.open_closes("c", clock, in_epoch(11)).unwrap(),
            vec![9, 10]
        );
        // Per chain: d's done epoch 9 closes nothing of c's, and c's nothing of d's.
        assert_eq!(
            r.open_closes("d", clock, in_epoch(11)).unwrap(),
            vec![7, 8, 10]
        );
        // Once 9 is done, 10 is the one left, and what was gathered for 9 is dropped.
        r.gathered.insert(("c".into(), 9), Default::default());
        r.gathered.insert(("c".into(), 10), Default::default());
        r.store().mark_work_round_done("c", 9).unwrap();
        assert_eq!(r.open_closes("c", clock, in_epoch(11)).unwrap(), vec![10]);
        assert_eq!(
            r.gathered.keys().cloned().collect::<Vec<_>>(),
            vec![("c".to_string(), 10)]
        );
    }

    /// One chain's epochs never push another's out of what is served.
    #[test]
    fn each_chain_keeps_its_own_last_epochs() {
        let p = Published::default();
        for e in 0..10 {
            p.set_work("c", e, vec![]);
            p.set_work("d", 100 + e, vec![]);
        }
        let kept: Vec<(String, u64)> = p.with(|m| m.keys().cloned().collect());
        let want: Vec<(String, u64)> = (6..10)
            .map(|e| ("c".to_string(), e))
            .chain((106..110).map(|e| ("d".to_string(), e)))
            .collect();
        assert_eq!(kept, want);
    }

    #[test]
    fn only_the_last_epochs_are_kept() {
        let p = Published::default();
        for e in 0..10 {
            p.set_work("c", e, vec![]);
        }
        assert_eq!(p.by_epoch.lock().unwrap().len(), KEEP_EPOCHS);
        // Kept: signed and empty, served as an empty list (nobody waits for it).
        let kept = p.reply("/work/c/9").unwrap();
        assert_eq!((kept.status, kept.body.as_str()), ("200 OK", "[]"));
        // Nothing of chain c's tallies out yet: any epoch is still to come.
        for path in ["/work/c/5", "/tallies/c/9", "/tallies/d/0"] {
            assert_eq!(p.reply(path).unwrap().status, NOT_YET, "{path}");
        }
        // With tallies out up to epoch 9: statements of 9 to come; 8 and before are gone or
        // were never made (not found); 10 is to come.
        let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        p.set_tallies("c", 9, TallyShare::sign("c", "s", 9, vec![], &key).unwrap());
        p.with(|m| m.get_mut(&("c".to_string(), 9)).unwrap().1 = None);
        for (path, status) in [
            ("/work/c/9", NOT_YET),
            ("/tallies/c/9", "200 OK"),
            ("/tallies/c/8", "404 Not Found"),
            ("/work/c/5", "404 Not Found"),
            ("/tallies/c/10", NOT_YET),
            ("/work/c/10", NOT_YET),
        ] {
            assert_eq!(p.reply(path).unwrap().status, status, "{path}");
        }
        assert!(p.reply("/metrics").is_none());
    }
}
