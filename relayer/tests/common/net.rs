//! The chain a multi-relayer test runs on, the same code for both: the in-process devnet or a
//! running network of wasmd validators (`scripts/wasmd-net.sh`, read from `WASMD_NET_ENV`), with
//! the relayers' chain config, accounts from fixed seeds and `relayer start` as a task.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_chain_client::{CompatVersion, FailoverRpc, GasConfig, HttpEndpoint, RpcEndpoint};
use bithive_deploy_plan::{Deployment, Role};
use bithive_relayer::config::{ChainConfig, Config, JobKind};

/// Where the test runs: the in-process devnet, or a running wasmd network (`WASMD_NET_ENV`,
/// `scripts/wasmd-net.sh`).
pub struct Net {
    pub chain_id: String,
    pub prefix: String,
    pub denom: String,
    pub gas_price: f64,
    /// Every validator's RPC, validator 0 first: what the relayers are given.
    pub rpcs: Vec<String>,
    /// The test's own clients ask it first: the last validator's, never the one killed.
    pub rpc: String,
    /// The network's home and the validator a test stops and starts again ([`Net::validator`]).
    pub kill: Option<(String, usize)>,
    /// The governance account (the devnet's genesis, the wasmd network's deployer).
    pub gov: OperatorKey,
    /// Kept alive for the test's length.
    pub devnet: Option<bithive_devnet::DevnetHandle>,
}

impl Net {
    pub fn gas(&self) -> GasConfig {
        GasConfig {
            gas_price: self.gas_price,
            gas_adjustment: 1.4,
            max_gas_price: 4.0 * self.gas_price,
            fee_denom: self.denom.clone(),
            max_gas: 60_000_000,
        }
    }

    pub fn client_on(&self, rpc: Arc<dyn RpcEndpoint>, key: &OperatorKey) -> ChainClient {
        let confirm = ConfirmConfig {
            poll_interval: Duration::from_millis(100),
            timeout: Duration::from_secs(60),
        };
        ChainClient::new(rpc, &self.chain_id, key.clone(), self.gas(), confirm).unwrap()
    }

    /// The test's own client: its RPC first, then every other validator but the one the test
    /// stops, failing over on a transport error as a relayer's client does. On a loaded 2-core
    /// machine one node may not answer a call within the timeout (CI of `b1fe4b7`: the compute
    /// pool's fund timed out on one node while three others were up); the test must not fail
    /// for what the product rides out. Re-sending a tx to another node is safe (same bytes).
    pub fn client(&self, key: &OperatorKey) -> ChainClient {
        let stopped = self.kill.as_ref().map(|(_, i)| *i);
        let others = self
            .rpcs
            .iter()
            .enumerate()
            .filter(|(i, u)| Some(*i) != stopped && **u != self.rpc)
            .map(|(_, u)| u);
        let eps = std::iter::once(&self.rpc)
            .chain(others)
            .map(|u| {
                let e = HttpEndpoint::new(u, CompatVersion::V038, Duration::from_secs(20));
                Arc::new(e.unwrap()) as Arc<dyn RpcEndpoint>
            })
            .collect();
        self.client_on(Arc::new(FailoverRpc::new(eps).unwrap()), key)
    }

    /// A client over every validator's RPC, failing over as a relayer's does.
    pub fn failover(&self, key: &OperatorKey) -> (Arc<ChainClient>, Arc<FailoverRpc>) {
        let eps = self
            .rpcs
            .iter()
            .map(|u| {
                let e = HttpEndpoint::new(u, CompatVersion::V038, Duration::from_secs(3));
                Arc::new(e.unwrap()) as Arc<dyn RpcEndpoint>
            })
            .collect();
        let f = Arc::new(FailoverRpc::new(eps).unwrap());
        (Arc::new(self.client_on(f.clone(), key)), f)
    }

    /// `stop-node` or `start-node` of the validator to kill, if any.
    pub fn validator(&self, what: &str) {
        let Some((home, i)) = &self.kill else { return };
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/wasmd-net.sh");
        let out = std::process::Command::new(script)
            .args([what, home, &i.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wasmd-net.sh {what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("validator {i} ({}): {what}", self.rpcs[*i]);
    }
}

pub fn mnemonic(seed: u8) -> String {
    bip39::Mnemonic::from_entropy(&[seed; 32])
        .unwrap()
        .to_string()
}

pub fn seeded(seed: u8, prefix: &str) -> OperatorKey {
    OperatorKey::from_mnemonic(&mnemonic(seed), prefix).unwrap()
}

pub fn chain_config(
    net: &Net,
    key: &str,
    node: &str,
    d: &Deployment,
    jobs: Vec<JobKind>,
) -> ChainConfig {
    ChainConfig {
        chain_id: net.chain_id.clone(),
        rpc: net.rpcs.clone(),
        compat: Default::default(),
        rpc_timeout_ms: 3_000,
        account_prefix: net.prefix.clone(),
        key: key.into(),
        gas_price: net.gas_price,
        gas_adjustment: 1.4,
        max_gas_price: 4.0 * net.gas_price,
        fee_denom: net.denom.clone(),
        max_gas: 60_000_000,
        contracts: [
            Role::Staking,
            Role::Rewards,
            Role::Attestation,
            Role::PayfiEscrow,
            Role::ModelRegistry,
        ]
        .into_iter()
        .map(|r| (r.name().to_string(), d.contracts.get(r).to_string()))
        .collect(),
        jobs,
        poll_interval_ms: 200,
        start_height: None,
        batch_size: 10,
        blocks_per_poll: 50,
        confirm_timeout_ms: 15_000,
        attest_on: None,
        node: Some(node.into()),
    }
}

/// A `relayer start` running until its stop is sent.
pub struct Running {
    pub stop: tokio::sync::watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<Result<(), bithive_relayer::RelayerError>>,
}

pub fn start(cfg: Config) -> Running {
    cfg.validate().unwrap();
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(bithive_relayer::runtime::run_until(cfg, async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    Running { stop, task }
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.task.await.unwrap().unwrap();
    }
}

/// The chain's clock (the latest block's time), seconds.
pub async fn chain_now(c: &ChainClient) -> u64 {
    c.rpc().latest_block_time().await.unwrap()
}

pub async fn wait_until(c: &ChainClient, t: u64) {
    while chain_now(c).await < t {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
impl Net {
    /// The devnet, a block every `block_ms` on the real clock, its genesis funding `gov` and
    /// every key of `funded`.
    pub async fn devnet(gov: OperatorKey, funded: &[OperatorKey], block_ms: u64) -> Net {
        let mut all = vec![&gov];
        all.extend(funded);
        let devnet = super::devnet_funding(&all, block_ms).await;
        let rpc = devnet.rpc_url();
        Net {
            chain_id: super::CHAIN.into(),
            prefix: "bithive".into(),
            denom: super::DENOM.into(),
            gas_price: 0.025,
            rpcs: vec![rpc.clone()],
            rpc,
            kill: None,
            gov,
            devnet: Some(devnet),
        }
    }

    /// The running wasmd network `WASMD_NET_ENV` names (`scripts/wasmd-net.sh`'s env file), its
    /// deployer as governance; `kill`: the index of a validator the test may stop (never the
    /// last, whose RPC the test's own clients use).
    pub fn wasmd_from_env(kill: Option<usize>) -> Net {
        let path =
            std::env::var("WASMD_NET_ENV").expect("WASMD_NET_ENV: a running wasmd net's env");
        let env: BTreeMap<String, String> = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        let rpcs: Vec<String> = env
            .get("WASMD_RPCS")
            .unwrap_or(&env["WASMD_RPC"])
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let kill = kill.map(|i| {
            assert!(
                i + 1 < rpcs.len(),
                "validator {i} of {rpcs:?} may not be stopped"
            );
            (env["WASMD_NET_HOME"].clone(), i)
        });
        let prefix = env["WASMD_PREFIX"].clone();
        let deployer = std::fs::read_to_string(&env["WASMD_DEPLOYER_MNEMONIC_FILE"]).unwrap();
        Net {
            chain_id: env["WASMD_CHAIN_ID"].clone(),
            gov: OperatorKey::from_mnemonic(deployer.trim(), &prefix).unwrap(),
            prefix,
            denom: env["WASMD_DENOM"].clone(),
            gas_price: env["WASMD_MIN_GAS_PRICE"].parse().unwrap(),
            rpc: rpcs.last().unwrap().clone(),
            rpcs,
            kill,
            devnet: None,
        }
    }
}

/// `patient` pays `deposit` BTT into the escrow for a `bc_logreg` job `client_id` on a test row
/// (every value `0.1 x (row % 10)`), bound to `node`, expiring at `expires` (seconds);
/// committed. Its escrow job id.
pub async fn pay_row_job(
    patient: &ChainClient,
    c: &bithive_deploy_plan::Contracts,
    client_id: &str,
    row: usize,
    node: &str,
    expires: u64,
    deposit: u128,
) -> String {
    let job = RowJob {
        client_id: client_id.into(),
        row,
        node: node.into(),
    };
    pay_row_jobs(patient, c, &[job], expires, deposit)
        .await
        .remove(0)
}

/// One job of [`pay_row_jobs`].
pub struct RowJob {
    pub client_id: String,
    pub row: usize,
    pub node: String,
}

/// [`pay_row_job`] for each of `jobs`, all in one transaction; committed. Their escrow job ids,
/// in order.
pub async fn pay_row_jobs(
    patient: &ChainClient,
    c: &bithive_deploy_plan::Contracts,
    jobs: &[RowJob],
    expires: u64,
    deposit: u128,
) -> Vec<String> {
    use bithive_interface::payfi_escrow::{job_id, CreateJobMsg, ReceiveMsg};
    let calls: Vec<(String, cw20::Cw20ExecuteMsg)> = jobs
        .iter()
        .map(|j| {
            let msg = ReceiveMsg::CreateJob(CreateJobMsg {
                job_id: j.client_id.clone(),
                expires_at: cosmwasm_std::Timestamp::from_seconds(expires),
                model: "bc_logreg".into(),
                input: cosmwasm_std::Binary::from(
                    format!("{:?}", vec![0.1f32 * (j.row % 10) as f32; 30]).into_bytes(),
                ),
                node: Some(j.node.clone()),
            });
            (
                c.btt.clone(),
                cw20::Cw20ExecuteMsg::Send {
                    contract: c.payfi_escrow.clone(),
                    amount: deposit.into(),
                    msg: cosmwasm_std::to_json_binary(&msg).unwrap(),
                },
            )
        })
        .collect();
    patient.execute_batch(&calls).await.unwrap();
    jobs.iter()
        .map(|j| job_id(patient.address(), &j.client_id))
        .collect()
}
