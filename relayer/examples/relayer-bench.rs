//! Attestations per second through the submitter (simulate, sign, broadcast_tx_sync, poll `tx`
//! until committed) on the in-process devnet with the real contracts (the deployment `bithive
//! deploy` makes, the committed artifacts in cosmwasm-vm), with 1 (unbatched reference), 10 and
//! 50 attestations per tx. Every attestation is verified (secp256k1) by the real attestation
//! contract and reported to the real escrow, every tx signature by the devnet's ante handler.
//!
//! `cargo run --release -p bithive-relayer --example relayer-bench -- [jobs] [block_ms]`
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{
    ChainClient, CompatVersion, FaultyEndpoint, GasConfig, HttpEndpoint, OperatorKey, RpcEndpoint,
};
use bithive_deploy_plan::{DeployConfig, Role};
use bithive_devnet::{Devnet, DevnetConfig, GenesisAccount};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use bithive_interface::staking::Tier;
use bithive_relayer::config::{ChainConfig, JobKind};
use bithive_relayer::metrics::Metrics;
use bithive_relayer::worker::{DigestWorker, JobWorker};
use bithive_relayer::{ChainRelayer, JobState, Store};
use cosmwasm_std::{Binary, Timestamp};

const CHAIN: &str = "bithive-bench-1";
const DENOM: &str = "ubhive";

struct Run {
    batch: usize,
    seconds: f64,
    txs: u64,
    blocks: u64,
}

fn key(seed: u8) -> anyhow::Result<OperatorKey> {
    let sk = k256::ecdsa::SigningKey::from_slice(&[seed; 32])?;
    Ok(OperatorKey::from_signing_key(sk, "bithive")?)
}

fn client(rpc: Arc<dyn RpcEndpoint>, key: OperatorKey) -> anyhow::Result<ChainClient> {
    let gas = GasConfig {
        gas_price: 0.025,
        gas_adjustment: 1.4,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 100_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(1),
        timeout: Duration::from_secs(120),
    };
    Ok(ChainClient::new(rpc, CHAIN, key, gas, confirm)?)
}

async fn run(jobs: usize, batch: usize, block_ms: u64) -> anyhow::Result<Run> {
    let (gov_key, node_key, patient_key) = (key(1)?, key(2)?, key(3)?);
    let devnet = Devnet::start(DevnetConfig {
        chain_id: CHAIN.into(),
        block_time_ms: 0,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        genesis_accounts: [&gov_key, &node_key, &patient_key]
            .iter()
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("1000000000000000{DENOM}"),
            })
            .collect(),
        ..DevnetConfig::default()
    })
    .await?;
    let http = || -> anyhow::Result<Arc<dyn RpcEndpoint>> {
        Ok(Arc::new(HttpEndpoint::new(
            &devnet.rpc_url(),
            CompatVersion::V038,
            Duration::from_secs(30),
        )?))
    };
    let node = devnet.node().clone();
    let producer = tokio::spawn(async move {
        loop {
            let n = node.clone();
            let _ = tokio::task::spawn_blocking(move || n.produce_block()).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    // The deployment, the node registered, and the patient's jobs bound to it (50 per tx).
    let gov = client(http()?, gov_key)?;
    let plan = DeployConfig {
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
        ..DeployConfig::default()
    };
    let d = bithive_deploy_plan::chain::deploy(&gov, &plan, &mut |_| {}).await?;
    let node_client = client(http()?, node_key.clone())?;
    bithive_relayer::registration::register_node(
        &gov,
        &d.contracts.staking,
        &node_client,
        &node_key,
        4,
        Tier::T1,
    )
    .await?;
    let patient = client(http()?, patient_key)?;
    // The relayer reads from the first block the jobs can be in.
    let first_job_height = patient.rpc().latest_height().await? + 1;
    let expires = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() + 86_400;
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(50) {
        let msgs = chunk
            .iter()
            .map(|i| {
                let msg = EscrowMsg::CreateJob(CreateJobMsg {
                    job_id: format!("job-{i}"),
                    expires_at: Timestamp::from_seconds(expires),
                    model: "m".into(),
                    input: Binary::from(b"[1,2,3]".as_slice()),
                    node: Some(node_key.address().to_string()),
                });
                patient.execute_msg_with_funds(&d.contracts.payfi_escrow, &msg, &[(1_000, DENOM)])
            })
            .collect::<Result<Vec<_>, _>>()?;
        patient.submit(msgs, "").await?;
    }
    producer.abort();
    let _ = producer.await;
    devnet.produce_block().await?;
    let cfg = ChainConfig {
        chain_id: CHAIN.into(),
        rpc: vec![devnet.rpc_url()],
        compat: Default::default(),
        rpc_timeout_ms: 30_000,
        account_prefix: "bithive".into(),
        key: "op".into(),
        gas_price: 0.025,
        gas_adjustment: 1.4,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 100_000_000,
        contracts: [Role::PayfiEscrow, Role::Attestation, Role::Staking]
            .into_iter()
            .map(|r| (r.name().to_string(), d.contracts.get(r).to_string()))
            .collect::<BTreeMap<_, _>>(),
        jobs: vec![JobKind::Inference],
        poll_interval_ms: 10,
        start_height: Some(first_job_height),
        batch_size: batch,
        blocks_per_poll: 1000,
        confirm_timeout_ms: 120_000,
        attest_on: None,
        node: Some(node_key.address().to_string()),
    };
    let ep = FaultyEndpoint::new(http()?, "devnet");
    let relayer_client = Arc::new(client(Arc::new(ep.clone()), node_key)?);
    let store = Arc::new(Mutex::new(Store::open_in_memory()?));
    let mut r = ChainRelayer::new(
        cfg,
        relayer_client,
        None,
        store.clone(),
        vec![Arc::new(DigestWorker) as Arc<dyn JobWorker>],
        Arc::new(Metrics::new()),
    );
    r.poll_events().await?;
    while r.work_pending().await? > 0 {}
    let signed = store
        .lock()
        .map_err(|_| anyhow::anyhow!("lock"))?
        .jobs_in_state(CHAIN, JobState::Signed, usize::MAX >> 1)?
        .len();
    anyhow::ensure!(signed == jobs, "{signed} of {jobs} signed");
    let h0 = devnet.produce_block().await?;
    let node = devnet.node().clone();
    let producer = tokio::spawn(async move {
        loop {
            let n = node.clone();
            let _ = tokio::task::spawn_blocking(move || n.produce_block()).await;
            tokio::time::sleep(Duration::from_millis(block_ms)).await;
        }
    });
    let (txs_before, start) = (ep.broadcasts_ok(), Instant::now());
    let committed = r.submit_signed().await?;
    let seconds = start.elapsed().as_secs_f64();
    producer.abort();
    let _ = producer.await;
    anyhow::ensure!(committed == jobs, "{committed} of {jobs} committed");
    let blocks = devnet.produce_block().await? - h0 - 1;
    devnet.shutdown().await;
    Ok(Run {
        batch,
        seconds,
        txs: ep.broadcasts_ok() - txs_before,
        blocks,
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let jobs: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let block_ms: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "relayer submitter: {jobs} attestations, devnet block every {block_ms} ms, real contracts"
    );
    println!("| attestations per tx | txs | blocks | seconds | attestations/s | vs unbatched |");
    println!("|---|---|---|---|---|---|");
    let mut reference = None;
    for batch in [1usize, 10, 50] {
        let r = rt.block_on(run(jobs, batch, block_ms))?;
        let rate = jobs as f64 / r.seconds;
        let base = *reference.get_or_insert(rate);
        println!(
            "| {}{} | {} | {} | {:.2} | {:.1} | {:.2}x |",
            r.batch,
            if r.batch == 1 {
                " (unbatched reference)"
            } else {
                ""
            },
            r.txs,
            r.blocks,
            r.seconds,
            rate,
            rate / base
        );
    }
    Ok(())
}
