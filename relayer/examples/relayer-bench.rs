//! Attestations per second through the submitter (simulate, sign, broadcast_tx_sync, poll `tx`
//! until committed) on the in-process devnet with the real contracts (the deployment `bithive
//! deploy` makes, the committed artifacts in cosmwasm-vm), with 1 (unbatched reference), 10 and
//! 50 attestations per tx. Every attestation is verified (secp256k1) by the real attestation
//! contract and reported to the real escrow, every tx signature by the devnet's ante handler.
//! The world is the relayer tests' harness (`tests/common/mod.rs`).
//!
//! `cargo run --release -p bithive-relayer --example relayer-bench -- [jobs] [block_ms]`
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use bithive_relayer::JobState;
use common::Harness;

struct Run {
    batch: usize,
    seconds: f64,
    txs: u64,
    blocks: u64,
}

async fn run(jobs: usize, batch: usize, block_ms: u64) -> anyhow::Result<Run> {
    let mut h = Harness::new(1).await;
    // The patient's jobs, bound to the relayer's node, committed before the clock starts.
    let producer = h.spawn_block_producer(Duration::from_millis(2));
    for i in 0..jobs {
        h.create_job_for(&format!("job-{i}"), "m", b"[1,2,3]", h.node.clone())
            .await;
    }
    while h.devnet.node().app_read().mempool_len() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    producer.abort();
    let _ = producer.await;
    h.produce_block().await;
    let mut r = h.relayer(batch, None);
    let signed = |h: &Harness| -> anyhow::Result<usize> {
        let store = bithive_relayer::Store::open(&h.db())?;
        Ok(store
            .jobs_in_state(common::CHAIN, JobState::Signed, usize::MAX >> 1)?
            .len())
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while signed(&h)? < jobs {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} of {jobs} signed",
            signed(&h)?
        );
        r.poll_events().await?;
        r.work_pending().await?;
    }
    let h0 = h.produce_block().await;
    let producer = h.spawn_block_producer(Duration::from_millis(block_ms));
    let (txs_before, start) = (h.broadcasts(), Instant::now());
    let committed = r.submit_signed().await?;
    let seconds = start.elapsed().as_secs_f64();
    producer.abort();
    let _ = producer.await;
    anyhow::ensure!(committed == jobs, "{committed} of {jobs} committed");
    anyhow::ensure!(
        h.accepted().await.len() == jobs,
        "not all accepted on chain"
    );
    let blocks = h.produce_block().await - h0 - 1;
    Ok(Run {
        batch,
        seconds,
        txs: h.broadcasts() - txs_before,
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
        let label = if r.batch == 1 {
            " (unbatched reference)"
        } else {
            ""
        };
        println!(
            "| {}{label} | {} | {} | {:.2} | {:.1} | {:.2}x |",
            r.batch,
            r.txs,
            r.blocks,
            r.seconds,
            rate,
            rate / base
        );
    }
    Ok(())
}
