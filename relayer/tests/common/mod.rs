//! Test harness: the in-process devnet with the whole deployment (the committed artifacts, the
//! plan `bithive deploy` runs), the relayer's node registered in staking, a patient who pays
//! jobs into the real escrow, and relayers built on a DB path (so a "crash" is dropping one and
//! building another) whose endpoints are [`FaultyEndpoint`]s around the devnet's RPC. Blocks come
//! only when a test makes them ([`Harness::produce_block`], [`Harness::spawn_block_producer`]).
#![allow(dead_code)]
pub mod net;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{
    ChainClient, CompatVersion, FailoverRpc, FaultyEndpoint, GasConfig, HttpEndpoint, OperatorKey,
    RpcEndpoint,
};
use bithive_deploy_plan::{DeployConfig, Deployment, Role};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use bithive_interface::attestation::{AttestationsResponse, QueryMsg as AttestationQuery};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use bithive_interface::staking::Tier;
use bithive_relayer::config::{ChainConfig, JobKind};
use bithive_relayer::metrics::Metrics;
use bithive_relayer::worker::{DigestWorker, JobWorker};
use bithive_relayer::{ChainRelayer, Failpoint, JobState, Store};
use bithive_signed_attestation::PubKey33;
use cosmwasm_std::{Binary, Timestamp};

pub const CHAIN: &str = "bithive-test-1";
pub const DENOM: &str = "ubhive";
/// What a patient pays for one job.
pub const JOB_PRICE: u128 = 1_000;
/// A refused duplicate attestation (the contract's own words, seen at simulation).
pub const DUPLICATE: &str = "was already";

/// A key from a fixed seed (the same account in every run).
pub fn key(seed: u8) -> OperatorKey {
    let sk = k256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    OperatorKey::from_signing_key(sk, "bithive").unwrap()
}

fn gas() -> GasConfig {
    GasConfig {
        gas_price: 0.025,
        gas_adjustment: 1.4,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 60_000_000,
    }
}

/// A client on `rpc` quick to confirm (the harness's blocks are milliseconds apart).
pub fn client(rpc: Arc<dyn RpcEndpoint>, key: OperatorKey) -> ChainClient {
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(5),
        timeout: Duration::from_secs(20),
    };
    ChainClient::new(rpc, CHAIN, key, gas(), confirm).unwrap()
}

/// A devnet whose genesis funds `keys`; a block every `block_time_ms` (0: only when asked).
pub async fn devnet_funding(keys: &[&OperatorKey], block_time_ms: u64) -> DevnetHandle {
    let config = DevnetConfig {
        chain_id: CHAIN.into(),
        block_time_ms,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        genesis_accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("100000000000000{DENOM}"),
            })
            .collect(),
        ..DevnetConfig::default()
    };
    Devnet::start(config).await.unwrap()
}

/// The devnet's HTTP RPC as a client endpoint.
pub fn http(h: &DevnetHandle) -> Arc<dyn RpcEndpoint> {
    Arc::new(HttpEndpoint::new(&h.rpc_url(), CompatVersion::V038, Duration::from_secs(10)).unwrap())
}

/// `k` registers as a node (4 T, tier 1) in `staking`; its client.
pub async fn register(
    gov: &ChainClient,
    staking: &str,
    devnet: &DevnetHandle,
    k: &OperatorKey,
) -> ChainClient {
    let node = client(http(devnet), k.clone());
    bithive_relayer::registration::register_node(gov, staking, &node, k, 4, Tier::T1)
        .await
        .unwrap();
    node
}

/// The signer of `who` (a registered node's client, on any chain) sets its probe endpoint in
/// `staking`.
pub async fn set_endpoint(who: &ChainClient, staking: &str, url: &str) {
    who.execute_batch(&[(
        staking.to_string(),
        bithive_interface::staking::ExecuteMsg::SetEndpoint {
            endpoint: Some(url.to_string()),
        },
    )])
    .await
    .unwrap();
}

pub struct Harness {
    pub devnet: DevnetHandle,
    /// The relayer's endpoints: faults are injected here, never on the harness's own clients.
    pub endpoints: Vec<FaultyEndpoint>,
    /// The relayer's key: its node's account, operator key and the submitter of attestations.
    pub key: OperatorKey,
    pub gov: ChainClient,
    pub patient: ChainClient,
    pub d: Deployment,
    /// Another registered node.
    pub other_node: String,
    pub dir: tempfile::TempDir,
    pub metrics: Arc<Metrics>,
    pub jobs_created: usize,
    /// The relayer's `node` (jobs bound elsewhere are skipped); the relayer's own node by default.
    pub node: Option<String>,
    /// The first height the relayers read (the deployment's blocks are before it).
    pub start_height: u64,
    /// Further registered, pledged nodes in the attestor set ([`Harness::with_attestors`]).
    pub attestors: Vec<OperatorKey>,
}

impl Harness {
    /// A devnet with the deployment and both nodes registered; `endpoints` RPC endpoints for the
    /// relayer.
    pub async fn new(endpoints: usize) -> Harness {
        Self::build(endpoints, false).await
    }

    /// [`Harness::new`] with both nodes pledged (4 T each): eligible to earn compute rewards.
    pub async fn pledged(endpoints: usize) -> Harness {
        Self::build(endpoints, true).await
    }

    /// [`Harness::pledged`] with `n` more pledged nodes, all in staking's attestor set (the
    /// relayer's node and the other node are members too).
    pub async fn with_attestors(endpoints: usize, n: u8) -> Harness {
        Self::build_with(endpoints, true, n).await
    }

    async fn build(endpoints: usize, pledged: bool) -> Harness {
        Self::build_with(endpoints, pledged, 0).await
    }

    async fn build_with(endpoints: usize, pledged: bool, attestors: u8) -> Harness {
        let (gov_key, relayer, patient, other) = (key(1), key(2), key(3), key(4));
        let attestors: Vec<OperatorKey> = (0..attestors).map(|i| key(20 + i)).collect();
        let mut funded = vec![&gov_key, &relayer, &patient, &other];
        funded.extend(attestors.iter());
        let devnet = devnet_funding(&funded, 0).await;
        let gov = client(http(&devnet), gov_key);
        let producer = spawn_producer(&devnet, Duration::from_millis(2));
        let allocations = if pledged {
            [&relayer, &other]
                .into_iter()
                .chain(attestors.iter())
                .map(|k| cw20::Cw20Coin {
                    address: k.address().to_string(),
                    amount: PLEDGE_4T.into(),
                })
                .collect()
        } else {
            vec![]
        };
        let plan = DeployConfig {
            artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
            test_btk_allocations: allocations,
            ..DeployConfig::default()
        };
        let d = bithive_deploy_plan::chain::deploy(&gov, &plan, &mut |_| {})
            .await
            .unwrap();
        for k in [&relayer, &other].into_iter().chain(attestors.iter()) {
            register(&gov, &d.contracts.staking, &devnet, k).await;
            if pledged {
                bond(&d, &client(http(&devnet), k.clone()), PLEDGE_4T).await;
            }
        }
        if !attestors.is_empty() {
            gov.execute_batch(&[(
                d.contracts.staking.clone(),
                bithive_interface::staking::ExecuteMsg::AdvanceAttestorSet { limit: 200 },
            )])
            .await
            .unwrap();
        }
        producer.abort();
        let _ = producer.await;
        let start_height = devnet.produce_block().await.unwrap() + 1;
        let endpoints = (0..endpoints)
            .map(|i| FaultyEndpoint::new(http(&devnet), &format!("ep{i}")))
            .collect();
        Harness {
            patient: client(http(&devnet), patient),
            other_node: other.address().to_string(),
            node: Some(relayer.address().to_string()),
            key: relayer,
            gov,
            d,
            endpoints,
            devnet,
            dir: tempfile::tempdir().unwrap(),
            metrics: Arc::new(Metrics::new()),
            jobs_created: 0,
            start_height,
            attestors,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("relayer.db")
    }

    /// Commits a block with whatever the mempool holds; its height.
    pub async fn produce_block(&self) -> u64 {
        self.devnet.produce_block().await.unwrap()
    }

    /// A block every `every` until the handle is aborted.
    pub fn spawn_block_producer(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        spawn_producer(&self.devnet, every)
    }

    /// The escrow's id of the patient's job `client_id`.
    pub fn job_id(&self, client_id: &str) -> String {
        bithive_interface::payfi_escrow::job_id(self.patient.address(), client_id)
    }

    /// The patient pays job `client_id` (model, input) bound to `node`; the tx waits in the
    /// mempool for the next block.
    pub async fn create_job_for(
        &mut self,
        client_id: &str,
        model: &str,
        input: &[u8],
        node: Option<String>,
    ) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let msg = EscrowMsg::CreateJob(CreateJobMsg {
            job_id: client_id.into(),
            expires_at: Timestamp::from_seconds(now + 86_400),
            model: model.into(),
            input: Binary::from(input),
            node,
        });
        let any = self
            .patient
            .execute_msg_with_funds(&self.d.contracts.payfi_escrow, &msg, &[(JOB_PRICE, DENOM)])
            .unwrap();
        self.patient.broadcast(vec![any], "").await.unwrap();
        self.jobs_created += 1;
        self.job_id(client_id)
    }

    /// One job with this model and input, bound to the relayer's node (committed with the next
    /// block).
    pub async fn create_job(&mut self, model: &str, input: &[u8]) -> String {
        let id = format!("job-{}", self.jobs_created);
        let node = Some(self.key.address().to_string());
        self.create_job_for(&id, model, input, node).await
    }

    /// `n` jobs bound to the relayer's node (committed with the next block).
    pub async fn create_jobs(&mut self, n: usize) {
        for _ in 0..n {
            let i = self.jobs_created;
            let input = format!("[{i}, 1.5, 2.5]");
            self.create_job("bc_logreg", input.as_bytes()).await;
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

    pub fn chain_config(&self, batch_size: usize) -> ChainConfig {
        ChainConfig {
            chain_id: CHAIN.into(),
            rpc: vec![self.devnet.rpc_url()],
            compat: Default::default(),
            rpc_timeout_ms: 1000,
            account_prefix: "bithive".into(),
            key: "operator".into(),
            gas_price: 0.025,
            gas_adjustment: 1.4,
            max_gas_price: 0.1,
            fee_denom: DENOM.into(),
            max_gas: 60_000_000,
            contracts: [Role::PayfiEscrow, Role::Attestation, Role::Staking]
                .into_iter()
                .map(|r| (r.name().to_string(), self.d.contracts.get(r).to_string()))
                .collect::<BTreeMap<_, _>>(),
            jobs: vec![JobKind::Inference],
            poll_interval_ms: 10,
            start_height: Some(self.start_height),
            batch_size,
            blocks_per_poll: 50,
            confirm_timeout_ms: 2_000,
            attest_on: None,
            node: self.node.clone(),
        }
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
        let client = Arc::new(client(failover.clone(), self.key.clone()));
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

    /// The attestations the contract accepted from the relayer's operator key: how many per
    /// job id.
    pub async fn accepted(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        let mut start_after = None;
        loop {
            let q = AttestationQuery::BySigner {
                signer: PubKey33(self.key.public_key_compressed()),
                start_after,
                limit: Some(30),
            };
            let page: AttestationsResponse = self
                .gov
                .query_typed(&self.d.contracts.attestation, &q)
                .await
                .unwrap();
            if page.attestations.is_empty() {
                return out;
            }
            for (k, a) in &page.attestations {
                *out.entry(a.attestation.job_id.clone()).or_insert(0) += 1;
                start_after = Some(*k);
            }
        }
    }

    /// Attestations the relayer posted twice, refused by the contract (seen through its
    /// endpoints: at simulation or in a block).
    pub fn duplicates(&self) -> usize {
        self.endpoints.iter().map(|e| e.rejections(DUPLICATE)).sum()
    }

    /// Broadcasts the node took from the relayer, over all its endpoints.
    pub fn broadcasts(&self) -> u64 {
        self.endpoints.iter().map(|e| e.broadcasts_ok()).sum()
    }

    pub fn committed_in_store(&self) -> usize {
        self.in_store(JobState::Committed)
    }

    pub fn failed_in_store(&self) -> usize {
        self.in_store(JobState::Failed)
    }

    fn in_store(&self, state: JobState) -> usize {
        let s = Store::open(&self.db()).unwrap();
        s.count_by_state()
            .unwrap()
            .into_iter()
            .find(|(st, _)| *st == state)
            .map(|(_, n)| n as usize)
            .unwrap_or(0)
    }

    /// Asserts that the metrics' Prometheus text holds `sample`.
    pub fn assert_metric(&self, sample: &str) {
        let text = self.metrics.render();
        assert!(text.contains(sample), "{text}");
    }

    /// Steps `r` (60 s at most) until the attestation contract has accepted `n` jobs.
    pub async fn until_accepted(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(60), async || {
            self.accepted().await.len() == n
        })
        .await
    }

    /// Steps `r` (60 s at most) until its store holds `n` committed jobs.
    pub async fn until_committed(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(60), async || {
            self.committed_in_store() == n
        })
        .await
    }

    /// Steps `r` (60 s at most) until the contract has accepted `n` jobs and the store holds
    /// them committed.
    pub async fn until_settled(&self, r: &mut ChainRelayer, n: usize) {
        drive(r, Duration::from_secs(60), async || self.settled(n).await).await
    }

    /// Whether the contract has accepted `n` jobs and the store holds them committed.
    pub async fn settled(&self, n: usize) -> bool {
        self.committed_in_store() == n && self.accepted().await.len() == n
    }
}

fn spawn_producer(devnet: &DevnetHandle, every: Duration) -> tokio::task::JoinHandle<()> {
    let node = devnet.node().clone();
    tokio::spawn(async move {
        loop {
            let n = node.clone();
            let _ = tokio::task::spawn_blocking(move || n.produce_block()).await;
            tokio::time::sleep(every).await;
        }
    })
}

/// Steps `r` until `done()` or the deadline; panics on a step error.
pub async fn drive(r: &mut ChainRelayer, deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < deadline, "not done within {deadline:?}");
        r.step().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The signer of `who` (a registered node's client, on any chain, holding `amount` BTK, e.g.
/// from the deployment's `test_btk_allocations`) bonds it in staking: its pledge.
pub async fn bond(d: &Deployment, who: &ChainClient, amount: u128) {
    use bithive_interface::staking::ReceiveMsg;
    use bithive_interface::token::ExecuteMsg as TokenMsg;
    let c = &d.contracts;
    who.execute_batch(&[(
        c.btk.clone(),
        TokenMsg::Send {
            contract: c.staking.clone(),
            amount: amount.into(),
            msg: cosmwasm_std::to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        },
    )])
    .await
    .unwrap();
}

/// The pledge of a 4 T node before the first halving (100 BTK per T).
pub const PLEDGE_4T: u128 = 4 * bithive_interface::staking::PLEDGE_PER_T;

/// `who` (a registered node holding the minimum bond, 100 BTK) bonds it, and staking
/// recomputes its attestor set: `who` is a member from then on.
pub async fn bond_attestor(gov: &ChainClient, d: &Deployment, who: &ChainClient) {
    use bithive_interface::staking::{
        Config as StakingConfig, ExecuteMsg as StakingMsg, QueryMsg as StakingQuery,
    };
    let c = &d.contracts;
    let config: StakingConfig = gov
        .query_typed(&c.staking, &StakingQuery::Config {})
        .await
        .unwrap();
    bond(d, who, config.min_bond.u128()).await;
    gov.execute_batch(&[(
        c.staking.clone(),
        StakingMsg::AdvanceAttestorSet { limit: 200 },
    )])
    .await
    .unwrap();
}

/// A plain GET of `url`: `(status, body)`.
pub async fn get(url: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find('/')?);
    let mut s = tokio::net::TcpStream::connect(authority).await.ok()?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A node's answering endpoint on loopback (probes, benchmarks, and what an attestor publishes)
/// that can be taken down (it then answers 503, as a proxy in front of a stopped relayer would)
/// and brought back.
pub async fn serve(
    responder: bithive_relayer::attestor::ProbeResponder,
    up: Arc<std::sync::atomic::AtomicBool>,
) -> String {
    use bithive_bitchat::endpoint::{self, EndpointLimits, Reply};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let responder = Arc::new(responder);
    tokio::spawn(endpoint::serve_async(
        listener,
        EndpointLimits::default(),
        move |path: String| {
            let (responder, up) = (responder.clone(), up.clone());
            async move {
                if up.load(std::sync::atomic::Ordering::SeqCst) {
                    responder.answer(path).await
                } else {
                    Reply {
                        status: "503 Service Unavailable",
                        content_type: "text/plain",
                        body: "down".into(),
                    }
                }
            }
        },
    ));
    format!("http://{addr}")
}
