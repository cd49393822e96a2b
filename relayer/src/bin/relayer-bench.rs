//! Attestations per second through the submitter (simulate, sign, broadcast_tx_sync, poll `tx`
//! until committed) against the in-memory mock chain, with 1 (unbatched reference), 10 and 50
//! attestations per tx. Every attestation is verified (secp256k1) by the mock attestation
//! contract, every tx signature by the mock ante handler.
//!
//! `cargo run --release -p bithive-relayer --bin relayer-bench -- [jobs] [block_ms]`
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::mock::MockChain;
use bithive_chain_client::{ChainClient, OperatorKey, RpcEndpoint};
use bithive_relayer::config::{ChainConfig, JobKind};
use bithive_relayer::metrics::Metrics;
use bithive_relayer::mock_contracts::{create_job_msg, DigestWorker, MockAttestation, MockEscrow};
use bithive_relayer::{ChainRelayer, JobState, Store};

const CHAIN: &str = "bithive-bench-1";
const DENOM: &str = "ubhv";
const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

struct Run {
    batch: usize,
    seconds: f64,
    txs: u64,
    blocks: u64,
}

async fn run(jobs: usize, batch: usize, block_ms: u64) -> anyhow::Result<Run> {
    let chain = MockChain::new(CHAIN, "bithive", DENOM, 0.0);
    let escrow = bithive_chain_client::mock::address("bithive", "payfi-escrow");
    let attestation = bithive_chain_client::mock::address("bithive", "attestation");
    let key = OperatorKey::from_mnemonic(MNEMONIC, "bithive")?;
    chain.fund(key.address(), DENOM, u128::MAX / 4);
    chain.add_contract(&escrow, Box::new(MockEscrow::default()));
    chain.add_contract(&attestation, Box::new(MockAttestation::new(CHAIN)));
    for i in 0..jobs {
        chain.execute_as(
            "bithive1user",
            &escrow,
            &create_job_msg(&format!("job-{i}"), "m", b"[1,2,3]"),
        );
    }
    chain.produce_block();
    let cfg = ChainConfig {
        chain_id: CHAIN.into(),
        rpc: vec!["mock".into()],
        compat: Default::default(),
        rpc_timeout_ms: 1000,
        account_prefix: "bithive".into(),
        key: "op".into(),
        gas_price: 0.0,
        gas_adjustment: 1.3,
        max_gas_price: 1.0,
        fee_denom: DENOM.into(),
        max_gas: u64::MAX,
        contracts: BTreeMap::from([
            ("payfi_escrow".to_string(), escrow.clone()),
            ("attestation".to_string(), attestation.clone()),
        ]),
        jobs: vec![JobKind::Inference],
        poll_interval_ms: 10,
        start_height: Some(1),
        batch_size: batch,
        blocks_per_poll: 1000,
        confirm_timeout_ms: 60_000,
        attest_on: None,
        node: None,
    };
    let rpc: Arc<dyn RpcEndpoint> = Arc::new(chain.endpoint("mock"));
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(1),
        timeout: Duration::from_secs(60),
    };
    let client = Arc::new(ChainClient::new(rpc, CHAIN, key, cfg.gas(), confirm)?);
    let store = Arc::new(Mutex::new(Store::open_in_memory()?));
    let mut r = ChainRelayer::new(
        cfg,
        client,
        None,
        store.clone(),
        vec![Arc::new(DigestWorker) as Arc<dyn bithive_relayer::worker::JobWorker>],
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
    let h0 = chain.height();
    let producer = chain.spawn_block_producer(Duration::from_millis(block_ms));
    let start = Instant::now();
    let committed = r.submit_signed().await?;
    let seconds = start.elapsed().as_secs_f64();
    producer.abort();
    anyhow::ensure!(committed == jobs, "{committed} of {jobs} committed");
    let accepted = chain
        .with_contract::<MockAttestation, _>(&attestation, |c| c.accepted.len())
        .unwrap_or(0);
    anyhow::ensure!(accepted == jobs, "{accepted} accepted on chain");
    Ok(Run {
        batch,
        seconds,
        txs: chain.broadcasts.load(std::sync::atomic::Ordering::Relaxed),
        blocks: chain.height() - h0,
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
    println!("relayer submitter: {jobs} attestations, mock chain block every {block_ms} ms");
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
