//! A chain for off-chain tests: the in-process devnet (`bithive-devnet`, real CometBFT RPC on a
//! free port) with every committed artifact deployed and wired by `bithive-deploy`, the same
//! plan `bithive deploy` and the demo run. A node is registered with an operator key (the
//! relayer's signing key); a patient account creates escrow jobs.
//!
//! It depends on neither the relayer nor the CLI, so the relayer's tests and bench can use it
//! as a dev-dependency without a cycle.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bithive_chain_client::{
    ChainClient, ChainError, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint, OperatorKey,
};
use bithive_deploy::{deploy, register_node, DeployConfig, DeployError, Deployment};
use bithive_devnet::{Devnet, DevnetConfig, DevnetError, DevnetHandle, GenesisAccount};
use serde_json::{json, Value};

pub const PREFIX: &str = "bithive";
pub const DENOM: &str = "ubhive";
/// The price the patient pays per job (base units of [`DENOM`]).
pub const JOB_PRICE: u128 = 2_000_000;
/// Starting balance of every fixture account.
pub const FUNDS: u128 = 1_000_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("devnet: {0}")]
    Devnet(#[from] DevnetError),
    #[error("deploy: {0}")]
    Deploy(#[from] DeployError),
    #[error("{0}")]
    Chain(#[from] ChainError),
    #[error("{0}")]
    Other(String),
}

/// The committed artifacts (`artifacts/` at the workspace root).
pub fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts")
}

#[derive(Clone, Debug)]
pub struct FixtureOptions {
    pub chain_id: String,
    /// Block interval; 0 makes blocks only on demand ([`DevnetHandle::produce_block`]), which
    /// the deployment itself cannot wait for, so keep it above 0.
    pub block_time_ms: u64,
    /// The devnet's minimum gas price (decimal, in [`DENOM`]).
    pub min_gas_price: String,
    /// The operator key: the relayer's account and attestation signer.
    pub operator: OperatorKey,
}

impl FixtureOptions {
    pub fn new(chain_id: &str, operator: OperatorKey) -> Self {
        FixtureOptions {
            chain_id: chain_id.into(),
            block_time_ms: 20,
            min_gas_price: "0.0025".into(),
            operator,
        }
    }
}

/// A running, deployed chain. `gov` is the deployer (governance), `node` the registered
/// compute node that gets paid, `patient` creates jobs; the operator key only signs.
pub struct Fixture {
    devnet: DevnetHandle,
    pub url: String,
    pub chain_id: String,
    pub gov: ChainClient,
    pub node: ChainClient,
    pub patient: ChainClient,
    pub operator_key: OperatorKey,
    pub deployment: Deployment,
}

/// A fixed test key (seed byte repeated); never a real account.
pub fn test_key(seed: u8) -> OperatorKey {
    let sk = k256::ecdsa::SigningKey::from_slice(&[seed; 32]).expect("non-zero seed is a key");
    OperatorKey::from_signing_key(sk, PREFIX).expect("address of a valid key")
}

/// A client of `url` paying fees in [`DENOM`] at the fixture's default minimum gas price.
pub fn client(url: &str, chain_id: &str, key: OperatorKey) -> Result<ChainClient, ChainError> {
    let rpc = HttpEndpoint::new(url, CompatVersion::V038, Duration::from_secs(10))?;
    let gas = GasConfig {
        gas_price: 0.0025,
        gas_adjustment: 1.3,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 50_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(10),
        timeout: Duration::from_secs(60),
    };
    ChainClient::new(Arc::new(rpc), chain_id, key, gas, confirm)
}

impl Fixture {
    /// Devnet, deployment of every artifact, node registration.
    pub async fn start(opts: FixtureOptions) -> Result<Fixture, FixtureError> {
        let (gov_key, node_key, patient_key) = (test_key(101), test_key(102), test_key(103));
        let accounts = [&gov_key, &node_key, &patient_key, &opts.operator]
            .iter()
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("{FUNDS}{DENOM}"),
            })
            .collect();
        let cfg = DevnetConfig {
            chain_id: opts.chain_id.clone(),
            denom: DENOM.into(),
            bech32_prefix: PREFIX.into(),
            min_gas_price: opts.min_gas_price.clone(),
            block_time_ms: opts.block_time_ms,
            rpc_listen: ([127, 0, 0, 1], 0).into(),
            home: None,
            genesis_accounts: accounts,
        };
        let devnet = Devnet::start(cfg).await?;
        let url = devnet.rpc_url();
        let gov = client(&url, &opts.chain_id, gov_key)?;
        let node = client(&url, &opts.chain_id, node_key)?;
        let patient = client(&url, &opts.chain_id, patient_key)?;
        let deploy_cfg = DeployConfig {
            artifacts: artifacts_dir(),
            ..DeployConfig::default()
        };
        let deployment = deploy(&gov, &deploy_cfg, &mut |_: &str| {}).await?;
        register_node(
            &gov,
            &node,
            &deployment,
            &opts.operator.public_key_compressed(),
        )
        .await?;
        Ok(Fixture {
            devnet,
            url,
            chain_id: opts.chain_id,
            gov,
            node,
            patient,
            operator_key: opts.operator,
            deployment,
        })
    }

    pub fn devnet(&self) -> &DevnetHandle {
        &self.devnet
    }

    pub fn escrow(&self) -> &str {
        &self.deployment.contracts.payfi_escrow
    }

    pub fn attestation(&self) -> &str {
        &self.deployment.contracts.attestation
    }

    /// A patient's `create_job` message (paying [`JOB_PRICE`], expiring in a day).
    pub async fn create_job_msg(
        &self,
        job_id: &str,
        model: &str,
        input: &[u8],
    ) -> Result<bithive_chain_client::cosmrs::Any, FixtureError> {
        let now = self.patient.rpc().latest_block_time().await?;
        let create = json!({"create_job": {
            "job_id": job_id,
            "expires_at": ((now + 86_400) * 1_000_000_000).to_string(),
            "model": model,
            "input": base64::engine::general_purpose::STANDARD.encode(input),
        }});
        Ok(self
            .patient
            .execute_msg_with_funds(self.escrow(), &create, &[(JOB_PRICE, DENOM)])?)
    }

    /// Creates the jobs `(job_id, model, input)` in one tx of the patient; returns its height.
    pub async fn create_jobs(
        &self,
        jobs: &[(String, String, Vec<u8>)],
    ) -> Result<u64, FixtureError> {
        let mut msgs = Vec::with_capacity(jobs.len());
        for (id, model, input) in jobs {
            msgs.push(self.create_job_msg(id, model, input).await?);
        }
        Ok(self.patient.submit(msgs, "").await?.height)
    }

    /// Every attestation the attestation contract accepted from the operator key, as the
    /// contract returns them (`{"attestation": {...}, ...}` records), in its order.
    pub async fn accepted(&self) -> Result<Vec<Value>, FixtureError> {
        let signer = hex_lower(&self.operator_key.public_key_compressed());
        let mut out = Vec::new();
        let mut start_after: Value = Value::Null;
        loop {
            let q =
                json!({"by_signer": {"signer": signer, "start_after": start_after, "limit": 30}});
            let raw = self.gov.query_smart(self.attestation(), &q).await?;
            let v: Value = serde_json::from_slice(&raw)
                .map_err(|e| FixtureError::Other(format!("by_signer answer: {e}")))?;
            let page = v["attestations"]
                .as_array()
                .cloned()
                .ok_or_else(|| FixtureError::Other(format!("by_signer answer: {v}")))?;
            let Some(last) = page.last() else {
                return Ok(out);
            };
            start_after = last[0].clone();
            out.extend(page.into_iter().map(|pair| pair[1].clone()));
        }
    }

    /// A smart query of the escrow's `job`.
    pub async fn job(&self, job_id: &str) -> Result<Value, FixtureError> {
        let raw = self
            .gov
            .query_smart(self.escrow(), &json!({"job": {"job_id": job_id}}))
            .await?;
        serde_json::from_slice(&raw).map_err(|e| FixtureError::Other(format!("job answer: {e}")))
    }

    /// Committed txs with a non-zero code whose log matches `needle`, over every block so far.
    pub async fn failed_txs(&self, needle: &str) -> Result<usize, FixtureError> {
        use bithive_chain_client::RpcEndpoint as _;
        let rpc = HttpEndpoint::new(&self.url, CompatVersion::V038, Duration::from_secs(10))?;
        let top = rpc.latest_height().await?;
        let mut n = 0;
        for h in 1..=top {
            let b = rpc.block_results(h).await?;
            n += b
                .txs
                .iter()
                .filter(|t| t.code != 0 && t.log.contains(needle))
                .count();
        }
        Ok(n)
    }

    pub async fn shutdown(self) {
        self.devnet.shutdown().await;
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
