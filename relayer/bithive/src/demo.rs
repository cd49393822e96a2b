//! `bithive demo`: the whole platform on one machine. It starts the devnet (the real artifacts in
//! cosmwasm-vm behind CometBFT RPC), deploys and wires every contract with signed transactions,
//! starts a relayer, and runs the story:
//!
//! 1. a node registers in staking with its operator key (the relayer's key);
//! 2. a patient pays for an inference job through payfi-escrow; the relayer sees the event, runs
//!    the model, signs the attestation and posts it; the attestation contract dispatches the
//!    report and the escrow pays the node;
//! 3. the node attests its compute work; a day later emission mints, the epoch closes and the
//!    node claims its BTK reward (into vesting, as the rewards contract pays it);
//! 4. two months later the foundation's emission share has passed its one-month lock and a tenth
//!    of it is released by vesting.
//!
//! Every step checks its on-chain result and fails the demo with the step's name when it is not
//! what it should be. Keys are generated fresh for each run and live only in the run's home
//! directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_attestation::{signing, Attestation, AttestationKind};
use bithive_chain_client::{
    ChainClient, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint, OperatorKey,
};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use serde_json::{json, Value};

use crate::deploy::{deploy, DeployConfig, Deployment};

const DAY: u64 = 86_400;
const PREFIX: &str = "bithive";
const DENOM: &str = "ubhive";
/// The patient's payment for one inference job (5 BHIVE).
const JOB_PRICE: u128 = 5_000_000;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Run directory (devnet block log, keyring, relayer database, deployment.json). Emptied
    /// first.
    pub home: PathBuf,
    pub artifacts: PathBuf,
    /// offchain/inference engine config (models and ONNX Runtime).
    pub inference_config: PathBuf,
    pub block_time_ms: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct DemoError {
    pub step: String,
    pub message: String,
}

fn fail(step: &str) -> impl Fn(&dyn std::fmt::Display) -> DemoError + '_ {
    move |e| DemoError {
        step: step.to_string(),
        message: e.to_string(),
    }
}

macro_rules! ctx {
    ($e:expr, $step:expr) => {
        $e.map_err(|e| fail($step)(&e))
    };
}

/// One line of the closing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub what: String,
    pub value: String,
}

#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    pub deployment: Deployment,
    pub rows: Vec<Row>,
    /// Blocks from the job's creation to its committed attestation.
    pub attestation_latency_blocks: u64,
}

impl DemoReport {
    fn row(&mut self, what: &str, value: impl std::fmt::Display) {
        self.rows.push(Row {
            what: what.into(),
            value: value.to_string(),
        });
    }

    /// The summary table, aligned.
    pub fn table(&self) -> String {
        let w = self.rows.iter().map(|r| r.what.len()).max().unwrap_or(0);
        let mut out = String::new();
        for r in &self.rows {
            out.push_str(&format!("  {:<w$}  {}\n", r.what, r.value));
        }
        out
    }
}

/// A fresh BIP-39 mnemonic (24 words) from the OS RNG.
pub fn new_mnemonic() -> Result<String, DemoError> {
    let mut entropy = [0u8; 32];
    ctx!(getrandom::getrandom(&mut entropy), "random key")?;
    let m = ctx!(bip39::Mnemonic::from_entropy(&entropy), "random key")?;
    Ok(m.to_string())
}

fn client(url: &str, chain_id: &str, key: OperatorKey) -> Result<ChainClient, DemoError> {
    let rpc = ctx!(
        HttpEndpoint::new(url, CompatVersion::V038, Duration::from_secs(10)),
        "rpc endpoint"
    )?;
    let gas = GasConfig {
        gas_price: 0.025,
        gas_adjustment: 1.4,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 60_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(60),
    };
    ctx!(
        ChainClient::new(Arc::new(rpc), chain_id, key, gas, confirm),
        "chain client"
    )
}

async fn query(
    c: &ChainClient,
    contract: &str,
    msg: Value,
    step: &str,
) -> Result<Value, DemoError> {
    let raw = ctx!(c.query_smart(contract, &msg).await, step)?;
    ctx!(serde_json::from_slice(&raw), step)
}

async fn exec(c: &ChainClient, contract: &str, msg: Value, step: &str) -> Result<u64, DemoError> {
    let out = ctx!(c.execute_batch(&[(contract.to_string(), msg)]).await, step)?;
    Ok(out.height)
}

async fn cw20_balance(c: &ChainClient, token: &str, addr: &str) -> Result<u128, DemoError> {
    let v = query(
        c,
        token,
        json!({"balance": {"address": addr}}),
        "cw20 balance",
    )
    .await?;
    amount(&v["balance"])
}

fn amount(v: &Value) -> Result<u128, DemoError> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail("amount")(&format!("not a Uint128: {v}")))
}

async fn native_balance(c: &ChainClient, addr: &str) -> Result<u128, DemoError> {
    ctx!(
        bithive_chain_client::query::balance(c.rpc().as_ref(), addr, DENOM).await,
        "bank balance"
    )
}

fn btk(base: u128) -> String {
    format!("{}.{:06} BTK", base / 1_000_000, base % 1_000_000)
}

fn bhive(base: u128) -> String {
    format!("{}.{:06} BHIVE", base / 1_000_000, base % 1_000_000)
}

/// Runs the demo; `progress` gets one line per step.
pub async fn run(
    opts: &DemoOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let home = &opts.home;
    if home.exists() {
        ctx!(std::fs::remove_dir_all(home), "clearing the demo home")?;
    }
    ctx!(std::fs::create_dir_all(home), "creating the demo home")?;

    // Keys: fresh mnemonics; the node's goes into the relayer's keyring (mode 0600).
    let keyring = bithive_relayer::keyring::Keyring::new(home.join("keyring.json"));
    let mut keys = Vec::new();
    // The node account owns the node and is paid; the operator key signs attestations and is
    // the relayer's account (two keys, so the node's own txs never race the relayer's).
    for name in ["deployer", "node", "operator", "patient"] {
        let m = new_mnemonic()?;
        ctx!(keyring.add(name, &m, PREFIX), "keyring")?;
        keys.push(ctx!(keyring.get(name, PREFIX), "keyring")?);
    }
    let [deployer_key, node_key, operator_key, patient_key]: [OperatorKey; 4] =
        ctx!(keys.try_into().map_err(|_| "four keys"), "keys")?;

    let devnet_cfg = DevnetConfig {
        block_time_ms: opts.block_time_ms,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        home: Some(home.join("devnet")),
        genesis_accounts: [&deployer_key, &node_key, &operator_key, &patient_key]
            .iter()
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("1000000000000{DENOM}"),
            })
            .collect(),
        ..DevnetConfig::default()
    };
    let chain_id = devnet_cfg.chain_id.clone();
    let devnet = ctx!(Devnet::start(devnet_cfg).await, "devnet start")?;
    let url = devnet.rpc_url();
    progress(&format!("devnet {chain_id} at {url}"));
    let result = story(
        opts,
        &devnet,
        &url,
        &chain_id,
        [deployer_key, node_key, operator_key, patient_key],
        progress,
    )
    .await;
    devnet.shutdown().await;
    let mut report = result?;
    report.row(
        "demo wall time",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    Ok(report)
}

async fn story(
    opts: &DemoOptions,
    devnet: &DevnetHandle,
    url: &str,
    chain_id: &str,
    [deployer_key, node_key, operator_key, patient_key]: [OperatorKey; 4],
    progress: &mut dyn FnMut(&str),
) -> Result<DemoReport, DemoError> {
    let node_pub = operator_key.public_key_compressed();
    let node_secret: [u8; 32] = operator_key.k256().to_bytes().into();
    let gov = client(url, chain_id, deployer_key)?;
    let node = client(url, chain_id, node_key)?;
    let patient = client(url, chain_id, patient_key)?;
    let mut report = DemoReport::default();

    // 1. Deploy and wire everything.
    let deploy_cfg = DeployConfig {
        artifacts: opts.artifacts.clone(),
        ..DeployConfig::default()
    };
    let d = deploy(&gov, &deploy_cfg, &mut |s: &str| {
        progress(&format!("deploy: {s}"))
    })
    .await
    .map_err(|e| fail("deploy")(&e))?;
    let deployment_json = ctx!(serde_json::to_string_pretty(&d), "deployment.json")?;
    ctx!(
        std::fs::write(opts.home.join("deployment.json"), deployment_json),
        "deployment.json"
    )?;
    let c = d.contracts.clone();
    let instances = ctx!(serde_json::to_value(&c), "contracts")?
        .as_object()
        .map_or(0, |m| m.len());
    report.row(
        "contracts deployed",
        format!("{} codes, {instances} contracts, wired", d.codes.len()),
    );

    // 2. The node registers with its operator key; governance records its compliance.
    exec(
        &node,
        &c.staking,
        json!({"register_node": {"capacity_t": 4, "tier": "t1",
            "operator_key": hex::encode(node_pub)}}),
        "register node",
    )
    .await?;
    exec(
        &gov,
        &c.staking,
        json!({"set_compliance": {"node": node.address(), "level": "0.9"}}),
        "node compliance",
    )
    .await?;
    progress(&format!(
        "node {} registered (operator key {})",
        node.address(),
        hex::encode(&node_pub[..6])
    ));

    // 3. The relayer, in this process, serving inference jobs for the escrow.
    let relayer_cfg = relayer_config(opts, url, chain_id, &d)?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relayer = tokio::spawn(bithive_relayer::runtime::run_until(
        relayer_cfg,
        async move {
            let _ = stop_rx.await;
        },
    ));
    progress("relayer started (inference worker on the ONNX models)");
    let story = paid_inference_and_economics(
        &gov,
        &node,
        &patient,
        devnet,
        &c,
        node_secret,
        &mut report,
        progress,
    )
    .await;
    let _ = stop_tx.send(());
    match relayer.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(fail("relayer")(&e)),
        Err(e) => return Err(fail("relayer task")(&e)),
    }
    story?;
    report.deployment = d;
    Ok(report)
}

fn relayer_config(
    opts: &DemoOptions,
    url: &str,
    chain_id: &str,
    d: &Deployment,
) -> Result<bithive_relayer::config::Config, DemoError> {
    use bithive_relayer::config::{ChainConfig, Config, InferenceSection, JobKind};
    let cfg = Config {
        db_path: opts.home.join("relayer.sqlite"),
        metrics_addr: None,
        keyring: opts.home.join("keyring.json"),
        chains: vec![ChainConfig {
            chain_id: chain_id.into(),
            rpc: vec![url.into()],
            compat: CompatVersion::V038,
            rpc_timeout_ms: 10_000,
            account_prefix: PREFIX.into(),
            key: "operator".into(),
            gas_price: 0.025,
            gas_adjustment: 1.4,
            max_gas_price: 0.1,
            fee_denom: DENOM.into(),
            max_gas: 60_000_000,
            contracts: [
                ("payfi_escrow".to_string(), d.contracts.payfi_escrow.clone()),
                ("attestation".to_string(), d.contracts.attestation.clone()),
            ]
            .into_iter()
            .collect(),
            jobs: vec![JobKind::Inference],
            poll_interval_ms: 200,
            start_height: Some(1),
            batch_size: 10,
            blocks_per_poll: 200,
            confirm_timeout_ms: 60_000,
        }],
        inference: Some(InferenceSection {
            config: opts.inference_config.clone(),
        }),
    };
    ctx!(cfg.validate(), "relayer config")?;
    Ok(cfg)
}

/// One tabular row of the breast-cancer models (30 features), as the engine's test vectors.
const DEMO_ROW: &str = "[13,20,85,550,0.1,0.1,0.08,0.05,0.18,0.06,0.4,1.2,2.8,40,0.007,0.025,0.03,0.012,0.02,0.0038,15,26,100,700,0.13,0.25,0.27,0.11,0.29,0.084]";

#[allow(clippy::too_many_arguments)]
async fn paid_inference_and_economics(
    gov: &ChainClient,
    node: &ChainClient,
    patient: &ChainClient,
    devnet: &DevnetHandle,
    c: &crate::deploy::Contracts,
    node_secret: [u8; 32],
    report: &mut DemoReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    use base64::Engine as _;
    // A patient pays for an inference job.
    let node_before = native_balance(node, node.address()).await?;
    let now = ctx!(node.rpc().latest_block_time().await, "block time")?;
    let create = json!({"create_job": {
        "job_id": "demo-inference-1",
        "expires_at": ((now + DAY) * 1_000_000_000).to_string(),
        "model": "bc_logreg",
        "input": base64::engine::general_purpose::STANDARD.encode(DEMO_ROW),
    }});
    let msg = ctx!(
        patient.execute_msg_with_funds(&c.payfi_escrow, &create, &[(JOB_PRICE, DENOM)]),
        "create job"
    )?;
    let created = ctx!(patient.submit(vec![msg], "").await, "create job")?;
    progress(&format!(
        "patient paid {} for job demo-inference-1 (model bc_logreg) at height {}",
        bhive(JOB_PRICE),
        created.height
    ));

    // The relayer attests; the escrow pays. Wait for it, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(120);
    let accepted = loop {
        let q = json!({"attestation": {"job_id": "demo-inference-1", "kind": "inference",
            "contract": c.payfi_escrow, "chain_id": node.chain_id()}});
        let v = query(node, &c.attestation, q, "attestation query").await?;
        if !v.is_null() {
            break v;
        }
        if Instant::now() > deadline {
            return Err(fail("inference attestation")(
                &"no attestation within 120 s",
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let job = query(
        node,
        &c.payfi_escrow,
        json!({"job": {"job_id": "demo-inference-1"}}),
        "job query",
    )
    .await?;
    let paid_to = job["status"]["paid"]["node"].as_str().unwrap_or_default();
    if paid_to != node.address() {
        return Err(fail("escrow payment")(&format!(
            "job status {}",
            job["status"]
        )));
    }
    let attested_height = accepted["height"].as_u64().unwrap_or(0);
    let node_after = native_balance(node, node.address()).await?;
    // The node account pays no gas here (the operator key posts), so it gained exactly the
    // price less the escrow fee.
    let gained = node_after.saturating_sub(node_before);
    let fee = JOB_PRICE * 50 / 10_000;
    if gained != JOB_PRICE - fee {
        return Err(fail("escrow payment")(&format!(
            "node balance rose by {gained}, expected {}",
            JOB_PRICE - fee
        )));
    }
    report.attestation_latency_blocks = attested_height.saturating_sub(created.height);
    progress(&format!(
        "relayer attested the result (height {attested_height}); escrow paid the node"
    ));
    report.row(
        "inference job",
        format!("paid {} by the patient", bhive(JOB_PRICE)),
    );
    report.row(
        "escrow to node",
        format!("{} (escrow fee {})", bhive(gained), bhive(fee)),
    );
    report.row(
        "event -> attestation",
        format!(
            "{} blocks (job at {}, attestation at {attested_height})",
            report.attestation_latency_blocks, created.height
        ),
    );

    // Half a day on, emission has minted into the compute pool; the node attests its work of
    // this epoch (single signer: its operator key).
    ctx!(devnet.advance_time(DAY / 2).await, "advance time")?;
    exec(
        gov,
        &c.emission,
        json!({"distribute": {}}),
        "emission distribute",
    )
    .await?;
    let key = ctx!(signing::signing_key(&node_secret), "node key")?;
    let payload = json!({"node": null, "units": "100", "enode": {
        "pcompute": "2.5", "penergy": "1", "tasks_successful": 9, "tasks_total": 10,
        "availability": "1", "dfactor": "1"}});
    let payload_bytes = payload.to_string().into_bytes();
    let now = ctx!(node.rpc().latest_block_time().await, "block time")?;
    let att = Attestation {
        chain_id: node.chain_id().into(),
        contract: c.rewards.clone(),
        job_id: "work-day-0".into(),
        kind: AttestationKind::ComputeWork,
        result_hash: bithive_attestation::payload_hash(
            AttestationKind::ComputeWork,
            &payload_bytes,
        ),
        commitments: vec![],
        issued_at: now,
        nonce: 1,
        signer: signing::public_key(&key),
    };
    let signed = ctx!(signing::sign(att, &key), "sign work")?;
    exec(
        node,
        &c.attestation,
        json!({"submit": {"attestation": signed.attestation, "signature": signed.signature,
            "payload": base64::engine::general_purpose::STANDARD.encode(&payload_bytes)}}),
        "attest compute work",
    )
    .await?;
    progress("node attested 100 units of compute work (Enode 2.25)");

    // The epoch closes a day after genesis: its pool is shared by its work, the node claims.
    ctx!(devnet.advance_time(DAY / 2 + 60).await, "advance time")?;
    exec(
        gov,
        &c.emission,
        json!({"distribute": {}}),
        "emission distribute",
    )
    .await?;
    let status = query(gov, &c.emission, json!({"status": {}}), "emission status").await?;
    let minted = amount(&status["minted"])?;
    progress(&format!("day 1: emission minted {}", btk(minted)));
    let pool = cw20_balance(gov, &c.btk, &c.rewards).await?;
    exec(
        node,
        &c.rewards,
        json!({"claim_compute": {}}),
        "claim compute",
    )
    .await?;
    let node_vesting = query(
        node,
        &c.vesting,
        json!({"schedules_by_beneficiary": {"beneficiary": node.address(), "start_after": null, "limit": 10}}),
        "node vesting",
    )
    .await?;
    let reward: u128 = node_vesting["schedules"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| amount(&x["amount"]).ok()).sum())
        .unwrap_or(0);
    if reward == 0 {
        return Err(fail("compute reward")(&format!(
            "no vesting schedule for the node: {node_vesting}"
        )));
    }
    progress(&format!(
        "node claimed its compute reward: {} into vesting",
        btk(reward)
    ));
    report.row(
        "emission, day 1",
        format!("{} minted, rewards pool {}", btk(minted), btk(pool)),
    );
    report.row(
        "node compute reward",
        format!("{} (half rate: no pledge yet)", btk(reward)),
    );

    // Two months on: the foundation's share vests after its one-month lock.
    ctx!(devnet.advance_time(31 * DAY).await, "advance time")?;
    exec(
        gov,
        &c.emission,
        json!({"distribute": {}}),
        "emission distribute",
    )
    .await?;
    ctx!(devnet.advance_time(31 * DAY).await, "advance time")?;
    exec(
        gov,
        &c.emission,
        json!({"distribute": {}}),
        "emission distribute",
    )
    .await?;
    let treasury = gov.address().to_string();
    let schedules = query(
        gov,
        &c.vesting,
        json!({"schedules_by_beneficiary": {"beneficiary": treasury, "start_after": null, "limit": 30}}),
        "treasury vesting",
    )
    .await?;
    let all: Vec<u64> = schedules["schedules"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["id"].as_u64()).collect())
        .unwrap_or_default();
    // Only schedules past their lock: claiming one with nothing vested is an error.
    let mut ids = Vec::new();
    for id in all {
        let v = query(
            gov,
            &c.vesting,
            json!({"claimable": {"id": id}}),
            "claimable",
        )
        .await?;
        if amount(&v).or_else(|_| amount(&v["amount"])).unwrap_or(0) > 0 {
            ids.push(id);
        }
    }
    let before = cw20_balance(gov, &c.btk, &treasury).await?;
    exec(
        gov,
        &c.vesting,
        json!({"claim": {"ids": ids}}),
        "vesting claim",
    )
    .await?;
    let released = cw20_balance(gov, &c.btk, &treasury)
        .await?
        .saturating_sub(before);
    if released == 0 {
        return Err(fail("vesting")(&"nothing released after the lock"));
    }
    let status = query(gov, &c.emission, json!({"status": {}}), "emission status").await?;
    let minted = amount(&status["minted"])?;
    progress(&format!(
        "day 63: emission minted {} in all; vesting released {} to the treasury",
        btk(minted),
        btk(released)
    ));
    report.row("emission, day 63", btk(minted));
    report.row(
        "vesting released",
        format!(
            "{} (foundation + operations, after the lock)",
            btk(released)
        ),
    );
    Ok(())
}

/// Default paths relative to the workspace root (`bithive demo` run from the repository).
pub fn default_options(root: &Path) -> DemoOptions {
    DemoOptions {
        home: std::env::temp_dir().join("bithive-demo"),
        artifacts: root.join("artifacts"),
        inference_config: root.join("offchain/inference/inference.toml"),
        block_time_ms: 200,
    }
}
