//! One chain's pipeline: event source (pull over `block_results` from the persisted cursor) ->
//! work queue -> workers -> attestation signing -> batched submission -> confirmation, with
//! reconciliation of whatever a crash left in flight. Each round runs these stages one after
//! the other in one task (a failed stage is retried next round); it is not a supervisor of
//! per-role worker tasks.
use bithive_deploy_plan::Role;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, ChainError, FailoverRpc};
use bithive_signed_attestation::{Attestation, Signature64};

use crate::attest;
use crate::config::ChainConfig;
use crate::error::RelayerError;
use crate::metrics::Metrics;
use crate::store::{JobRecord, JobState, NewJob, Store};
use crate::worker::{JobWorker, WorkError, WorkOutput};

/// A job is given up (state `failed`) after this many work or submission attempts.
pub const MAX_ATTEMPTS: u32 = 6;

/// Test failpoints: the step returns `RelayerError::Crash` right after the durable write of
/// that stage, as a `kill -9` there would leave things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failpoint {
    AfterReceived,
    AfterWorking,
    AfterSigned,
    AfterBroadcastPersisted,
    AfterBroadcastSent,
}

impl Failpoint {
    pub const ALL: [Failpoint; 5] = [
        Failpoint::AfterReceived,
        Failpoint::AfterWorking,
        Failpoint::AfterSigned,
        Failpoint::AfterBroadcastPersisted,
        Failpoint::AfterBroadcastSent,
    ];
    /// The names `BITHIVE_RELAYER_KILL_AT` takes.
    pub fn from_env_name(name: &str) -> Option<Failpoint> {
        Some(match name {
            "received" => Failpoint::AfterReceived,
            "working" => Failpoint::AfterWorking,
            "signed" => Failpoint::AfterSigned,
            "broadcast-persisted" => Failpoint::AfterBroadcastPersisted,
            "broadcast-sent" => Failpoint::AfterBroadcastSent,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Failpoint::AfterReceived => "received",
            Failpoint::AfterWorking => "working",
            Failpoint::AfterSigned => "signed",
            Failpoint::AfterBroadcastPersisted => "broadcast (persisted, not sent)",
            Failpoint::AfterBroadcastSent => "broadcast (sent, not confirmed)",
        }
    }
}

/// Liveness for `/health`.
#[derive(Default, Debug)]
pub struct Health {
    /// Unix seconds of the last successful event poll.
    pub last_poll_ok: AtomicU64,
    pub last_height: AtomicU64,
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where a chain's attestations are posted when not on the chain itself (`attest_on`): that
/// chain's client (shared with its own pipeline, so one local sequence per account) and its
/// attestation contract, which forwards them over IBC to the job's chain.
#[derive(Clone)]
pub struct SubmitTarget {
    pub client: Arc<ChainClient>,
    pub attestation: String,
}

pub struct ChainRelayer {
    cfg: ChainConfig,
    client: Arc<ChainClient>,
    submit: Option<SubmitTarget>,
    failover: Option<Arc<FailoverRpc>>,
    store: Arc<Mutex<Store>>,
    workers: Vec<Arc<dyn JobWorker>>,
    metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    failpoint: Option<Failpoint>,
    /// Broadcast txs not found on chain, since when (re-posted after the confirm timeout).
    missing_since: HashMap<String, Instant>,
    steps: u64,
    /// The step of the last wallet balance read that succeeded: a failed read is tried again on
    /// the next step rather than 20 later, so the gauge is never missing for long.
    balance_read_at: Option<u64>,
    /// A block whose results failed to decode, and how many polls in a row it did.
    undecodable: Option<(u64, u32)>,
}

/// Polls a block that does not decode is retried before it is skipped (a node can serve a
/// bad response once; a poison block never decodes, and the relayer must not stop on it).
pub const UNDECODABLE_RETRIES: u32 = 3;

fn store_err(e: RelayerError) -> String {
    e.to_string()
}

impl ChainRelayer {
    pub fn new(
        cfg: ChainConfig,
        client: Arc<ChainClient>,
        failover: Option<Arc<FailoverRpc>>,
        store: Arc<Mutex<Store>>,
        workers: Vec<Arc<dyn JobWorker>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        ChainRelayer {
            cfg,
            client,
            submit: None,
            failover,
            store,
            workers,
            metrics,
            health: Arc::new(Health::default()),
            failpoint: None,
            missing_since: HashMap::new(),
            steps: 0,
            balance_read_at: None,
            undecodable: None,
        }
    }

    pub fn with_failpoint(mut self, fp: Option<Failpoint>) -> Self {
        self.failpoint = fp;
        self
    }

    pub fn client(&self) -> &Arc<ChainClient> {
        &self.client
    }

    /// Posts this chain's attestations on another chain (cross-chain jobs).
    pub fn with_submit_target(mut self, target: Option<SubmitTarget>) -> Self {
        self.submit = target;
        self
    }

    /// The client that signs and posts attestations (this chain's, or `attest_on`'s).
    fn submitter(&self) -> &Arc<ChainClient> {
        self.submit.as_ref().map_or(&self.client, |s| &s.client)
    }

    fn attestation_contract(&self) -> Result<&str, RelayerError> {
        match &self.submit {
            Some(s) => Ok(&s.attestation),
            None => self.cfg.contract(Role::Attestation),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn crash_at(&self, fp: Failpoint) -> Result<(), RelayerError> {
        if self.failpoint == Some(fp) {
            return Err(RelayerError::Crash(fp.name()));
        }
        Ok(())
    }

    fn chain(&self) -> &str {
        &self.cfg.chain_id
    }

    /// Jobs of one block, from the successful txs' `wasm` events of the source contracts.
    fn extract_jobs(&self, block: &bithive_chain_client::BlockEvents) -> Vec<NewJob> {
        let mut out = Vec::new();
        for tx in block.txs.iter().filter(|t| t.code == 0) {
            for ev in &tx.events {
                for w in &self.workers {
                    let Ok(source) = self.cfg.contract(w.source_role()) else {
                        continue;
                    };
                    if ev.attr(bithive_interface::CONTRACT_ADDRESS) != Some(source) {
                        continue;
                    }
                    if let Some(job_id) = w.job_id_of(ev) {
                        if let Some(node) = &self.cfg.node {
                            if w.source_role() == Role::PayfiEscrow
                                && !crate::worker::job_bound_to(ev, node)
                            {
                                tracing::debug!(chain = %self.cfg.chain_id, %job_id, "job not bound to this node: skipped");
                                continue;
                            }
                        }
                        out.push(NewJob {
                            chain_id: self.cfg.chain_id.clone(),
                            contract: source.to_string(),
                            kind: w.kind().to_string(),
                            job_id,
                            height: block.height,
                            attributes: ev.attributes.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// The time an attestation states: the latest block time of the chain that will verify it
    /// (its freshness is judged against that chain's clock, so the operator's clock skew does
    /// not matter); the wall clock when the endpoint cannot tell.
    async fn issued_at(&self) -> u64 {
        match self.submitter().rpc().latest_block_time().await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(chain = %self.cfg.chain_id, error = %e, "no block time: signing with the wall clock");
                unix_now()
            }
        }
    }

    /// Scans new blocks from the cursor; the cursor moves only with the block's jobs stored.
    pub async fn poll_events(&mut self) -> Result<usize, RelayerError> {
        let rpc = self.client.rpc().clone();
        let latest = rpc.latest_height().await?;
        let cursor = self.store().cursor(self.chain())?;
        let from = match cursor {
            Some(c) => c + 1,
            None => self.cfg.start_height.unwrap_or(latest).max(1),
        };
        let to = latest.min(from.saturating_add(self.cfg.blocks_per_poll.max(1) - 1));
        let mut found = 0;
        for h in from..=to {
            let jobs = match rpc.block_results(h).await {
                Ok(block) => {
                    self.undecodable = None;
                    self.extract_jobs(&block)
                }
                Err(e @ ChainError::Decode { .. }) => {
                    let tries = match self.undecodable {
                        Some((at, n)) if at == h => n + 1,
                        _ => 1,
                    };
                    if tries < UNDECODABLE_RETRIES {
                        self.undecodable = Some((h, tries));
                        return Err(e.into());
                    }
                    // Skipped loudly: its jobs (if any) are lost to this relayer, and operators
                    // see it in the log and in `blocks_skipped_total`.
                    self.undecodable = None;
                    self.metrics
                        .blocks_skipped
                        .with_label_values(&[self.chain()])
                        .inc();
                    tracing::error!(chain = %self.cfg.chain_id, height = h, error = %e, tries, "block results do not decode: block skipped");
                    Vec::new()
                }
                Err(e) if h == latest => {
                    // CometBFT stores a block before its results, so for a moment the tip has
                    // none: retried next round. An error below the tip is reported.
                    tracing::debug!(chain = %self.cfg.chain_id, height = h, error = %e, "tip's block results not there yet");
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let added = self.store().ingest_block(&self.cfg.chain_id, h, &jobs)?;
            found += added;
            self.metrics
                .events_seen
                .with_label_values(&[self.chain()])
                .inc_by(jobs.len() as u64);
            self.metrics
                .last_height
                .with_label_values(&[self.chain()])
                .set(h as i64);
            self.health.last_height.store(h, Ordering::Relaxed);
            if added > 0 {
                tracing::info!(chain = %self.cfg.chain_id, height = h, jobs = added, "jobs received");
                self.crash_at(Failpoint::AfterReceived)?;
            }
        }
        self.health
            .last_poll_ok
            .store(unix_now(), Ordering::Relaxed);
        Ok(found)
    }

    fn worker_for(&self, kind: &str) -> Option<Arc<dyn JobWorker>> {
        self.workers.iter().find(|w| w.kind() == kind).cloned()
    }

    /// Runs the workers on received (and interrupted) jobs; signs their attestations.
    pub async fn work_pending(&mut self) -> Result<usize, RelayerError> {
        let mut jobs = self
            .store()
            .jobs_in_state(self.chain(), JobState::Working, 16)?;
        jobs.extend(
            self.store()
                .jobs_in_state(self.chain(), JobState::Received, 16)?,
        );
        let mut done = 0;
        for j in jobs {
            let Some(worker) = self.worker_for(&j.job.kind) else {
                self.store()
                    .mark_failed(&j.id, "no worker for this job kind")?;
                continue;
            };
            if j.attempts >= MAX_ATTEMPTS {
                self.store().mark_failed(
                    &j.id,
                    j.last_error.as_deref().unwrap_or("too many attempts"),
                )?;
                continue;
            }
            self.store().mark_working(&j.id)?;
            self.crash_at(Failpoint::AfterWorking)?;
            match worker.run(&j.job, &self.client).await {
                Ok(out) => {
                    let contract = match worker.attestation_contract_role() {
                        Some(role) => self.cfg.contract(role)?.to_string(),
                        None => j.job.contract.clone(),
                    };
                    let issued_at = self.issued_at().await;
                    let (att, sig) = attest::build_and_sign(
                        &j.job,
                        &contract,
                        worker.attestation_kind(),
                        &out,
                        issued_at,
                        self.submitter().key().k256(),
                    )?;
                    self.store().mark_signed(
                        &j.id,
                        &to_json(&out),
                        &to_json(&att),
                        &to_json(&sig),
                    )?;
                    done += 1;
                    tracing::info!(chain = %self.cfg.chain_id, job = %j.job.job_id, "attestation signed");
                    self.crash_at(Failpoint::AfterSigned)?;
                }
                Err(WorkError::Unavailable(e)) => {
                    // The round's other jobs would wait on the same thing: next round.
                    tracing::warn!(job = %j.id, error = %e, "worker could not reach what the job needs; next round");
                    self.store().mark_unavailable(&j.id, &e)?;
                    break;
                }
                Err(WorkError::Retryable(e)) => {
                    tracing::warn!(job = %j.id, error = %e, "worker failed, will retry");
                    self.store().mark_retry(&j.id, &e)?;
                }
                Err(WorkError::Permanent(e)) => {
                    tracing::error!(job = %j.id, error = %e, "job failed permanently");
                    self.store().mark_failed(&j.id, &e)?;
                }
            }
        }
        Ok(done)
    }

    fn parse_signed(j: &JobRecord) -> Result<(Attestation, Signature64), RelayerError> {
        let bad =
            |what: &str| RelayerError::Attestation(format!("job {} has no valid {what}", j.id));
        let att: Attestation =
            serde_json::from_str(j.attestation.as_deref().ok_or_else(|| bad("attestation"))?)
                .map_err(|_| bad("attestation"))?;
        let sig: Signature64 =
            serde_json::from_str(j.signature.as_deref().ok_or_else(|| bad("signature"))?)
                .map_err(|_| bad("signature"))?;
        Ok((att, sig))
    }

    /// The consumer payload the worker produced (kept with its result).
    fn parse_payload(j: &JobRecord) -> Result<Option<Vec<u8>>, RelayerError> {
        let Some(result) = j.result.as_deref() else {
            return Ok(None);
        };
        let out: WorkOutput = serde_json::from_str(result).map_err(|e| {
            RelayerError::Attestation(format!("job {} has no valid work output: {e}", j.id))
        })?;
        Ok(out.payload)
    }

    /// True when the attestation contract already holds this job's attestation.
    async fn accepted_on_chain(&self, att: &Attestation) -> Result<bool, RelayerError> {
        let contract = self.attestation_contract()?;
        let answer = self
            .submitter()
            .query_smart(contract, &attest::accepted_query(att))
            .await?;
        let v: serde_json::Value =
            serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null);
        Ok(!v.is_null() && v != serde_json::Value::Bool(false))
    }

    /// A job whose tx failed or vanished: committed if the chain has it, else posted again.
    async fn settle_unconfirmed(&mut self, j: &JobRecord, why: &str) -> Result<(), RelayerError> {
        let (att, _) = Self::parse_signed(j)?;
        if self.accepted_on_chain(&att).await? {
            let h = self.submitter().rpc().latest_height().await?;
            self.store()
                .mark_committed(std::slice::from_ref(&j.id), h)?;
            tracing::info!(job = %j.id, "attestation found on chain; not posting again");
        } else if j.attempts + 1 >= MAX_ATTEMPTS {
            self.store().mark_failed(&j.id, why)?;
        } else {
            self.store().mark_resign(&j.id, why)?;
        }
        Ok(())
    }

    /// Resolves `broadcast` jobs (left by a crash or a confirmation timeout).
    pub async fn reconcile_broadcast(&mut self) -> Result<usize, RelayerError> {
        let jobs = self
            .store()
            .jobs_in_state(self.chain(), JobState::Broadcast, 256)?;
        let mut by_hash: HashMap<String, Vec<JobRecord>> = HashMap::new();
        for j in jobs {
            by_hash
                .entry(j.tx_hash.clone().unwrap_or_default())
                .or_default()
                .push(j);
        }
        let mut n = 0;
        let timeout = Duration::from_millis(self.cfg.confirm_timeout_ms);
        for (hash, jobs) in by_hash {
            let found = if hash.is_empty() {
                None
            } else {
                self.submitter().rpc().tx(&hash).await?
            };
            match found {
                Some(r) if r.code == 0 => {
                    let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
                    self.store().mark_committed(&ids, r.height)?;
                    self.metrics
                        .attestations_committed
                        .with_label_values(&[self.chain()])
                        .inc_by(ids.len() as u64);
                    self.missing_since.remove(&hash);
                    n += ids.len();
                }
                Some(r) => {
                    for j in &jobs {
                        self.settle_unconfirmed(j, &format!("tx {hash} failed: {}", r.log))
                            .await?;
                    }
                    self.missing_since.remove(&hash);
                }
                None => {
                    let since = *self
                        .missing_since
                        .entry(hash.clone())
                        .or_insert_with(Instant::now);
                    if since.elapsed() >= timeout {
                        for j in &jobs {
                            self.settle_unconfirmed(j, &format!("tx {hash} not found on chain"))
                                .await?;
                        }
                        self.missing_since.remove(&hash);
                    }
                }
            }
        }
        Ok(n)
    }

    /// Posts signed attestations, `batch_size` per tx; a failed batch is retried one by one.
    pub async fn submit_signed(&mut self) -> Result<usize, RelayerError> {
        let mut committed = 0;
        let mut batch_size = self.cfg.batch_size;
        loop {
            let jobs = self
                .store()
                .jobs_in_state(self.chain(), JobState::Signed, batch_size)?;
            if jobs.is_empty() {
                return Ok(committed);
            }
            match self.submit_batch(&jobs).await? {
                Some(n) => committed += n,
                None if jobs.len() > 1 => batch_size = 1,
                None => {}
            }
        }
    }

    /// `Some(n)`: committed; `None`: the batch failed (jobs already settled one by one when
    /// alone, or left signed to be retried singly).
    async fn submit_batch(&mut self, jobs: &[JobRecord]) -> Result<Option<usize>, RelayerError> {
        let attestation = self.attestation_contract()?.to_string();
        let submitter = self.submitter().clone();
        let mut msgs = Vec::with_capacity(jobs.len());
        for j in jobs {
            let (att, sig) = Self::parse_signed(j)?;
            let payload = Self::parse_payload(j)?;
            msgs.push(submitter.execute_msg(
                &attestation,
                &attest::submit_msg(&att, &sig, payload.as_deref()),
            )?);
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
        let store = self.store.clone();
        let mut persist = |hash: &str| {
            store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .mark_broadcast(&ids, hash)
                .map_err(store_err)
        };
        if self.failpoint == Some(Failpoint::AfterBroadcastPersisted) {
            // Persist the hash of the tx we would send, then "die" before sending it.
            let mut crash = |hash: &str| -> Result<(), String> {
                persist(hash)?;
                Err("failpoint".to_string())
            };
            let _ = submitter
                .broadcast_with(msgs, "bithive-relayer", &mut crash)
                .await;
            return Err(RelayerError::Crash(
                Failpoint::AfterBroadcastPersisted.name(),
            ));
        }
        let started = Instant::now();
        let sent = submitter
            .broadcast_with(msgs, "bithive-relayer", &mut persist)
            .await;
        let chain = self.cfg.chain_id.clone();
        let b = match sent {
            Ok(b) => b,
            Err(e) => {
                self.count_client_error(&e);
                return self.after_failure(jobs, e).await;
            }
        };
        self.metrics
            .tx_submit_seconds
            .with_label_values(&[&chain])
            .observe(started.elapsed().as_secs_f64());
        self.crash_at(Failpoint::AfterBroadcastSent)?;
        match submitter.confirm(&b.hash).await {
            Ok(out) => {
                self.store().mark_committed(&ids, out.height)?;
                self.metrics
                    .tx_confirm_seconds
                    .with_label_values(&[&chain])
                    .observe(started.elapsed().as_secs_f64());
                self.metrics
                    .attestations_committed
                    .with_label_values(&[&chain])
                    .inc_by(ids.len() as u64);
                tracing::info!(chain = %chain, tx = %b.hash, height = out.height, attestations = ids.len(), "attestations committed");
                Ok(Some(ids.len()))
            }
            // Stays `broadcast`: reconcile_broadcast resolves it.
            Err(ChainError::ConfirmTimeout(h)) => {
                tracing::warn!(tx = %h, "tx not confirmed in time; will reconcile");
                Ok(Some(0))
            }
            Err(e @ ChainError::TxFailed { .. }) => self.after_failure(jobs, e).await,
            Err(e) => Err(e.into()),
        }
    }

    fn count_client_error(&self, e: &ChainError) {
        let chain = self.chain();
        match e {
            ChainError::Simulate(_) => self
                .metrics
                .simulate_errors
                .with_label_values(&[chain])
                .inc(),
            ChainError::Broadcast { .. }
            | ChainError::GasPriceAboveMax { .. }
            | ChainError::SequenceUnresolved(_) => self
                .metrics
                .broadcast_errors
                .with_label_values(&[chain])
                .inc(),
            _ => {}
        }
    }

    async fn after_failure(
        &mut self,
        jobs: &[JobRecord],
        e: ChainError,
    ) -> Result<Option<usize>, RelayerError> {
        if e.is_transport() || matches!(e, ChainError::GasPriceAboveMax { .. }) {
            // Nothing is known to be wrong with the jobs: those still `signed` are retried next
            // round; those already `broadcast` (the tx may have reached a node) are resolved by
            // reconcile_broadcast after the confirm timeout.
            return Err(e.into());
        }
        tracing::warn!(chain = %self.cfg.chain_id, jobs = jobs.len(), error = %e, "attestation tx failed");
        if jobs.len() == 1 {
            self.settle_unconfirmed(&jobs[0], &e.to_string()).await?;
        } else {
            // Back to signed without counting an attempt; they are retried one per tx.
            for j in jobs {
                let (att, _) = Self::parse_signed(j)?;
                if self.accepted_on_chain(&att).await? {
                    let h = self.submitter().rpc().latest_height().await?;
                    self.store()
                        .mark_committed(std::slice::from_ref(&j.id), h)?;
                } else {
                    self.store().mark_resign(&j.id, &e.to_string())?;
                }
            }
        }
        Ok(None)
    }

    /// Refreshes the gauges (queue by state, failovers, and the wallet balance: on the first step,
    /// then every 20 steps after a read that succeeded, every step after one that failed).
    pub async fn refresh_gauges(&mut self) {
        if let Ok(counts) = self.store().count_by_state() {
            for (s, n) in counts {
                self.metrics
                    .jobs_by_state
                    .with_label_values(&[s.as_str()])
                    .set(n as i64);
            }
        }
        if let Some(f) = &self.failover {
            self.metrics
                .rpc_failovers
                .with_label_values(&[self.chain()])
                .set(f.failovers() as i64);
        }
        let due = self
            .balance_read_at
            .is_none_or(|at| self.steps.saturating_sub(at) >= 20);
        if due {
            match self.submitter().fee_balance().await {
                Ok(b) => {
                    self.metrics
                        .wallet_balance
                        .with_label_values(&[self.chain(), &self.cfg.fee_denom])
                        .set(b as f64);
                    self.balance_read_at = Some(self.steps);
                }
                Err(e) => {
                    tracing::debug!(chain = %self.chain(), error = %e, "wallet balance not read; asked again next step")
                }
            }
        }
    }

    /// One round of every stage. Stage errors other than a failpoint are logged and retried on
    /// the next round (nothing is lost: state only moves forward after durable writes).
    pub async fn step(&mut self) -> Result<(), RelayerError> {
        self.steps += 1;
        let chain = self.cfg.chain_id.clone();
        let r = self.poll_events().await;
        self.log_stage(&chain, "events", r)?;
        let r = self.reconcile_broadcast().await;
        self.log_stage(&chain, "reconcile", r)?;
        let r = self.work_pending().await;
        self.log_stage(&chain, "work", r)?;
        let r = self.submit_signed().await;
        self.log_stage(&chain, "submit", r)?;
        self.refresh_gauges().await;
        Ok(())
    }

    fn log_stage(
        &self,
        chain: &str,
        stage: &str,
        r: Result<usize, RelayerError>,
    ) -> Result<(), RelayerError> {
        match r {
            Ok(_) => Ok(()),
            Err(e @ RelayerError::Crash(_)) => Err(e),
            Err(e) => {
                if stage == "events" {
                    self.metrics.rpc_errors.with_label_values(&[chain]).inc();
                }
                tracing::warn!(chain, stage, error = %e, "stage failed; retrying next round");
                Ok(())
            }
        }
    }

    /// Runs rounds every poll interval until `shutdown` turns true; the round in progress is
    /// finished first (its state is persisted at every transition).
    pub async fn run(
        mut self,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), RelayerError> {
        let interval = Duration::from_millis(self.cfg.poll_interval_ms);
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.step().await?;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(chain = %self.cfg.chain_id, "relayer stopped cleanly");
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
