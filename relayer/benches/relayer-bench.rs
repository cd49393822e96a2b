//! Attestations per second through the submitter (simulate, sign, broadcast_tx_sync, poll `tx`
//! until committed) against the in-process devnet running the committed attestation and escrow
//! contracts (every attestation verified and paid on chain in cosmwasm-vm, every tx signature
//! by the devnet's ante handler), with 1 (unbatched reference), 10 and 50 attestations per tx.
//!
//! `cargo bench -p bithive-relayer --bench relayer-bench -- [jobs] [block_ms]`
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use bithive_chain_client::RpcEndpoint;
use bithive_relayer::JobState;
use common::Harness;

struct Run {
    batch: usize,
    seconds: f64,
    txs: u64,
    blocks: u64,
}

async fn run(jobs: usize, batch: usize, block_ms: u64) -> anyhow::Result<Run> {
    let mut h = Harness::with_block_time(1, block_ms).await;
    // Job creation is setup, not measured: 50 per tx keeps each tx well under the gas limit.
    let mut left = jobs;
    while left > 0 {
        let n = left.min(50);
        h.create_jobs(n).await;
        left -= n;
    }
    let mut r = h.relayer(batch, None);
    let db = h.db();
    // Pull every event and sign every job before the clock starts.
    while h.count_in(&db, JobState::Signed) < jobs {
        r.poll_events().await?;
        while r.work_pending().await? > 0 {}
    }
    let rpc = h.fx.gov.rpc().clone();
    let h0 = rpc.latest_height().await?;
    let b0 = h.endpoints[0].broadcasts();
    let start = Instant::now();
    let mut committed = 0;
    while committed < jobs {
        committed += r.submit_signed().await?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let accepted = h.attestations().await.len();
    anyhow::ensure!(accepted == jobs, "{accepted} of {jobs} accepted on chain");
    let run = Run {
        batch,
        seconds,
        txs: h.endpoints[0].broadcasts() - b0,
        blocks: rpc.latest_height().await? - h0,
    };
    h.fx.shutdown().await;
    Ok(run)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; numbers are the positional arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let jobs: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let block_ms: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(20);
    anyhow::ensure!(block_ms > 0, "block_ms must be positive");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!("relayer submitter: {jobs} attestations, devnet block every {block_ms} ms");
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
