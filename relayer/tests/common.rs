//! Test harness: a mock chain with the escrow and attestation stand-ins, a funded operator and
//! relayers built on a DB path (so a "crash" is dropping one and building another).
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::mock::{MockChain, MockEndpoint};
use bithive_chain_client::{ChainClient, FailoverRpc, OperatorKey, RpcEndpoint};
use bithive_relayer::config::{ChainConfig, JobKind};
use bithive_relayer::metrics::Metrics;
use bithive_relayer::mock_contracts::{create_job_msg, DigestWorker, MockAttestation, MockEscrow};
use bithive_relayer::worker::JobWorker;
use bithive_relayer::{ChainRelayer, Failpoint, JobState, Store};

pub const CHAIN: &str = "bithive-test-1";
pub fn escrow() -> String {
    bithive_chain_client::mock::address("bithive", "payfi-escrow")
}
pub fn attest() -> String {
    bithive_chain_client::mock::address("bithive", "attestation")
}
pub const USER: &str = "bithive1patient";
pub const DENOM: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
pub const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

pub struct Harness {
    pub chain: MockChain,
    pub endpoints: Vec<MockEndpoint>,
    pub key: OperatorKey,
    pub dir: tempfile::TempDir,
    pub metrics: Arc<Metrics>,
    pub jobs_created: usize,
    /// The relayer's `node` (jobs bound elsewhere are skipped).
    pub node: Option<String>,
}

pub fn chain_config(batch_size: usize) -> ChainConfig {
    ChainConfig {
        chain_id: CHAIN.into(),
        rpc: vec!["mock://a".into()],
        compat: Default::default(),
        rpc_timeout_ms: 1000,
        account_prefix: "bithive".into(),
        key: "operator".into(),
        gas_price: 0.01,
        gas_adjustment: 1.3,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 50_000_000,
        contracts: BTreeMap::from([
            ("payfi_escrow".to_string(), escrow()),
            ("attestation".to_string(), attest()),
        ]),
        jobs: vec![JobKind::Inference],
        poll_interval_ms: 10,
        start_height: Some(1),
        batch_size,
        blocks_per_poll: 50,
        confirm_timeout_ms: 300,
        attest_on: None,
        node: None,
    }
}

impl Harness {
    pub fn new(endpoints: usize) -> Harness {
        let chain = MockChain::new(CHAIN, "bithive", DENOM, 0.005);
        let key = OperatorKey::from_mnemonic(MNEMONIC, "bithive").unwrap();
        chain.fund(key.address(), DENOM, 10_000_000_000);
        chain.add_contract(&escrow(), Box::new(MockEscrow::default()));
        chain.add_contract(&attest(), Box::new(MockAttestation::new(CHAIN)));
        let endpoints = (0..endpoints)
            .map(|i| chain.endpoint(&format!("ep{i}")))
            .collect();
        Harness {
            chain,
            endpoints,
            key,
            dir: tempfile::tempdir().unwrap(),
            metrics: Arc::new(Metrics::new()),
            jobs_created: 0,
            node: None,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("relayer.db")
    }

    /// Queues one job creation with this model and input.
    pub fn create_job(&mut self, model: &str, input: &[u8]) -> String {
        let id = format!("job-{}", self.jobs_created);
        self.jobs_created += 1;
        self.chain
            .execute_as(USER, &escrow(), &create_job_msg(&id, model, input));
        id
    }

    /// Queues `n` job creations by a chain user (committed with the next block).
    pub fn create_jobs(&mut self, n: usize) {
        for _ in 0..n {
            let i = self.jobs_created;
            self.jobs_created += 1;
            let input = format!("[{i}, 1.5, 2.5]");
            self.chain.execute_as(
                USER,
                &escrow(),
                &create_job_msg(&format!("job-{i}"), "bc_logreg", input.as_bytes()),
            );
        }
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
        let mut cfg = chain_config(batch_size);
        cfg.node = self.node.clone();
        let confirm = ConfirmConfig {
            poll_interval: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
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

    /// Accepted attestations by job id, and rejected duplicates.
    pub fn accepted(&self) -> (BTreeMap<String, usize>, u64) {
        self.chain
            .with_contract::<MockAttestation, _>(&attest(), |c| {
                let mut m = BTreeMap::new();
                for (_, job, _) in c.accepted.keys() {
                    *m.entry(job.clone()).or_insert(0) += 1;
                }
                (m, c.duplicates.load(Ordering::SeqCst))
            })
            .unwrap()
    }

    pub fn committed_in_store(&self) -> usize {
        let s = Store::open(&self.db()).unwrap();
        s.count_by_state()
            .unwrap()
            .into_iter()
            .find(|(st, _)| *st == JobState::Committed)
            .map(|(_, n)| n as usize)
            .unwrap_or(0)
    }

    /// Asserts that the metrics' Prometheus text holds `sample`.
    pub fn assert_metric(&self, sample: &str) {
        let text = self.metrics.render();
        assert!(text.contains(sample), "{text}");
    }

    /// Steps `r` (20 s at most) until the attestation contract has accepted `n` jobs.
    pub async fn until_accepted(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(20), || self.accepted().0.len() == n).await
    }

    /// Steps `r` (20 s at most) until its store holds `n` committed jobs.
    pub async fn until_committed(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(20), || {
            self.committed_in_store() == n
        })
        .await
    }

    /// Steps `r` (20 s at most) until the attestation contract has accepted `n` jobs and its
    /// store holds them committed.
    pub async fn until_settled(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(20), || self.settled(n)).await
    }

    /// Whether the attestation contract has accepted `n` jobs and the store holds them committed.
    pub fn settled(&self, n: usize) -> bool {
        self.accepted().0.len() == n && self.committed_in_store() == n
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
