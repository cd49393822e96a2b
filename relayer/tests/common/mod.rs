//! Test harness: the in-process devnet with the committed contracts deployed
//! (`bithive-chain-fixture`), the relayer's endpoints wrapped in `FaultyEndpoint` (outages,
//! failover), and relayers built on a DB path (so a "crash" is dropping one and building
//! another). [`DigestWorker`] stands in for an engine.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::testing::FaultyEndpoint;
use bithive_chain_client::{
    AbciQueryResult, BlockEvents, BroadcastResult, ChainClient, ChainError, CompatVersion, Event,
    FailoverRpc, HttpEndpoint, OperatorKey, RpcEndpoint, TxResult,
};
use bithive_chain_fixture::{Fixture, FixtureOptions, DENOM};
use bithive_relayer::config::{ChainConfig, JobKind};
use bithive_relayer::metrics::Metrics;
use bithive_relayer::store::NewJob;
use bithive_relayer::worker::{self, JobWorker, WorkError, WorkOutput};
use bithive_relayer::{ChainRelayer, Failpoint, JobState, Store};
use bithive_signed_attestation::{Attestation, AttestationKind};
use sha2::{Digest, Sha256};

pub const CHAIN: &str = "bithive-test-1";
pub const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

pub struct Harness {
    pub fx: Fixture,
    pub endpoints: Vec<FaultyEndpoint<Watch>>,
    /// Chain refusals of an attestation as already accepted (see [`Watch`]).
    pub refused: Arc<AtomicU64>,
    pub key: OperatorKey,
    pub dir: tempfile::TempDir,
    pub metrics: Arc<Metrics>,
    pub jobs_created: usize,
    /// Where new relayers start reading blocks (after the deployment).
    pub start_height: u64,
}

impl Harness {
    /// A deployed devnet (20 ms blocks) seen through `endpoints` fault-injecting wrappers.
    pub async fn new(endpoints: usize) -> Harness {
        Self::with_block_time(endpoints, 20).await
    }

    pub async fn with_block_time(endpoints: usize, block_ms: u64) -> Harness {
        let key = OperatorKey::from_mnemonic(MNEMONIC, "bithive").unwrap();
        let mut opts = FixtureOptions::new(CHAIN, key.clone());
        opts.block_time_ms = block_ms;
        let fx = Fixture::start(opts).await.unwrap();
        let refused = Arc::new(AtomicU64::new(0));
        let endpoints = (0..endpoints)
            .map(|i| {
                let http = HttpEndpoint::new(&fx.url, CompatVersion::V038, Duration::from_secs(5))
                    .unwrap();
                let watch = Watch {
                    inner: http,
                    refused: refused.clone(),
                };
                FaultyEndpoint::new(watch, &format!("ep{i}"))
            })
            .collect();
        let start_height = fx.gov.rpc().latest_height().await.unwrap() + 1;
        Harness {
            fx,
            endpoints,
            refused,
            key,
            dir: tempfile::tempdir().unwrap(),
            metrics: Arc::new(Metrics::new()),
            jobs_created: 0,
            start_height,
        }
    }

    pub fn escrow(&self) -> String {
        self.fx.escrow().to_string()
    }

    pub fn attest(&self) -> String {
        self.fx.attestation().to_string()
    }

    pub fn chain_config(&self, batch_size: usize) -> ChainConfig {
        ChainConfig {
            chain_id: CHAIN.into(),
            rpc: vec![self.fx.url.clone()],
            compat: Default::default(),
            rpc_timeout_ms: 5000,
            account_prefix: "bithive".into(),
            key: "operator".into(),
            gas_price: 0.0025,
            gas_adjustment: 1.3,
            max_gas_price: 0.1,
            fee_denom: DENOM.into(),
            max_gas: 50_000_000,
            contracts: BTreeMap::from([
                ("payfi_escrow".to_string(), self.escrow()),
                ("attestation".to_string(), self.attest()),
            ]),
            jobs: vec![JobKind::Inference],
            poll_interval_ms: 10,
            start_height: Some(self.start_height),
            batch_size,
            blocks_per_poll: 50,
            confirm_timeout_ms: 2000,
            attest_on: None,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("relayer.db")
    }

    fn next_id(&mut self) -> String {
        let id = format!("job-{}", self.jobs_created);
        self.jobs_created += 1;
        id
    }

    /// Creates one job with this model and input (committed when this returns).
    pub async fn create_job(&mut self, model: &str, input: &[u8]) -> String {
        let id = self.next_id();
        self.fx
            .create_jobs(&[(id.clone(), model.into(), input.to_vec())])
            .await
            .unwrap();
        id
    }

    /// Creates `n` jobs in one tx of the patient; returns their ids.
    pub async fn create_jobs(&mut self, n: usize) -> Vec<String> {
        let jobs: Vec<_> = (0..n)
            .map(|_| {
                let id = self.next_id();
                let input = format!("[{}, 1.5, 2.5]", self.jobs_created);
                (id, "bc_logreg".to_string(), input.into_bytes())
            })
            .collect();
        self.fx.create_jobs(&jobs).await.unwrap();
        jobs.into_iter().map(|(id, _, _)| id).collect()
    }

    pub fn relayer(&self, batch_size: usize, failpoint: Option<Failpoint>) -> ChainRelayer {
        self.relayer_at(&self.db(), batch_size, failpoint)
    }

    pub fn relayer_at(
        &self,
        db: &Path,
        batch_size: usize,
        failpoint: Option<Failpoint>,
    ) -> ChainRelayer {
        self.relayer_with(db, batch_size, failpoint, vec![Arc::new(DigestWorker)])
    }

    pub fn relayer_with(
        &self,
        db: &Path,
        batch_size: usize,
        failpoint: Option<Failpoint>,
        workers: Vec<Arc<dyn JobWorker>>,
    ) -> ChainRelayer {
        let eps: Vec<Arc<dyn RpcEndpoint>> = self
            .endpoints
            .iter()
            .map(|e| Arc::new(e.clone()) as Arc<dyn RpcEndpoint>)
            .collect();
        let failover = Arc::new(FailoverRpc::new(eps).unwrap());
        let cfg = self.chain_config(batch_size);
        let confirm = ConfirmConfig {
            poll_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(10),
        };
        let client = Arc::new(
            ChainClient::new(
                failover.clone(),
                CHAIN,
                self.key.clone(),
                cfg.gas(),
                confirm,
            )
            .unwrap(),
        );
        let store = Arc::new(Mutex::new(Store::open(db).unwrap()));
        ChainRelayer::new(
            cfg,
            client,
            Some(failover),
            store,
            workers,
            self.metrics.clone(),
        )
        .with_failpoint(failpoint)
    }

    /// Attestations the contract accepted from the operator key.
    pub async fn attestations(&self) -> Vec<Attestation> {
        self.fx
            .accepted()
            .await
            .unwrap()
            .into_iter()
            .map(|r| serde_json::from_value(r["attestation"].clone()).unwrap())
            .collect()
    }

    /// Accepted attestations by job id, and how many times the relayer tried to post one the
    /// chain already had: refusals in committed txs plus refused simulations (the client
    /// simulates first, so a duplicate would usually stop there).
    pub async fn accepted(&self) -> (BTreeMap<String, usize>, u64) {
        let mut m = BTreeMap::new();
        for a in self.attestations().await {
            *m.entry(a.job_id).or_insert(0) += 1;
        }
        let in_blocks = self.fx.failed_txs("already").await.unwrap() as u64;
        (m, in_blocks + self.refused.load(Ordering::SeqCst))
    }

    pub fn count_in(&self, db: &Path, state: JobState) -> usize {
        let s = Store::open(db).unwrap();
        s.count_by_state()
            .unwrap()
            .into_iter()
            .find(|(st, _)| *st == state)
            .map(|(_, n)| n as usize)
            .unwrap_or(0)
    }

    pub fn committed_in(&self, db: &Path) -> usize {
        self.count_in(db, JobState::Committed)
    }

    pub fn committed_in_store(&self) -> usize {
        self.committed_in(&self.db())
    }

    /// Steps `r` until `accepted` attestations are on chain and `committed` jobs are committed
    /// in `db` (checked every 100 ms: the chain query runs the contract).
    pub async fn drive_until(
        &self,
        r: &mut ChainRelayer,
        db: &Path,
        deadline: Duration,
        accepted: usize,
        committed: usize,
    ) {
        let start = Instant::now();
        let mut last_check = Instant::now() - Duration::from_secs(1);
        loop {
            if last_check.elapsed() >= Duration::from_millis(100) {
                last_check = Instant::now();
                if self.committed_in(db) >= committed && self.attestations().await.len() >= accepted
                {
                    return;
                }
            }
            assert!(
                start.elapsed() < deadline,
                "not done within {deadline:?}: {} accepted, {} committed",
                self.attestations().await.len(),
                self.committed_in(db)
            );
            r.step().await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Steps `r` until `done()` or the deadline; panics on a step error.
pub async fn drive(r: &mut ChainRelayer, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "not done within {deadline:?}");
        r.step().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Passes calls through and counts the relayer's simulations the attestation contract refused
/// as a duplicate ("already accepted" / "already used" nonce): the chain-side view of "posted
/// twice" that a stand-in contract used to count.
pub struct Watch {
    inner: HttpEndpoint,
    refused: Arc<AtomicU64>,
}

#[async_trait]
impl RpcEndpoint for Watch {
    fn name(&self) -> String {
        self.inner.name()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.inner.latest_height().await
    }
    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        self.inner.latest_block_time().await
    }
    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        self.inner.block_results(height).await
    }
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        let r = self.inner.abci_query(path, data).await?;
        if path.ends_with("/Simulate") && r.code != 0 && r.log.contains("already") {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        Ok(r)
    }
    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        self.inner.broadcast_tx_sync(tx).await
    }
    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        self.inner.tx(hash_hex).await
    }
}

/// A deterministic "inference" worker without an engine (tests and the bench):
/// result = sha256(model || 0 || input), commitments = [sha256(input)].
pub struct DigestWorker;

#[async_trait]
impl JobWorker for DigestWorker {
    fn kind(&self) -> &'static str {
        "inference"
    }
    fn attestation_kind(&self) -> AttestationKind {
        AttestationKind::Inference
    }
    fn source_role(&self) -> &'static str {
        "payfi_escrow"
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        worker::inference_job_id(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (model, input, input_hash) = worker::fetch_escrow_job(chain, job).await?;
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0]);
        h.update(&input);
        Ok(WorkOutput {
            result_hash: h.finalize().into(),
            commitments: vec![input_hash],
            summary: serde_json::json!({ "model": model }),
            payload: None,
        })
    }
}
