//! Relayer on the devnet: event-to-committed-attestation latency in blocks, and attestations
//! per second with batching. The real stack: devnet executing the artifacts, the relayer daemon
//! (pull over `block_results`, SQLite queue, inference on the ONNX model, simulate, sign,
//! broadcast, confirm), the attestation contract paying each job through the escrow.
//!
//! N jobs are created in one transaction (one block); the relayer serves them with batch size
//! 1 (the reference, in the same run) and then with the configured batch. Latency of a job =
//! height of its committed attestation - height of the job.
//!
//! ```sh
//! source scripts/setup.sh   # ONNX Runtime for the inference worker
//! cargo run -p bithive-cli --example latency -- [N=40] [block_ms=200] [batch=10]
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use bithive_cli::demo::platform::{Platform, PlatformOptions, DEMO_ROW};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use cosmwasm_std::{Binary, Timestamp};

const PRICE: u128 = 1_000_000;
const DENOM: &str = "ubhive";

struct Run {
    batch: usize,
    latencies: Vec<u64>,
    seconds: f64,
}

async fn run(root: &Path, n: usize, block_ms: u64, batch: usize) -> Result<Run> {
    let dir = tempfile::tempdir()?;
    let opts = PlatformOptions {
        home: dir.path().join("home"),
        artifacts: root.join("artifacts"),
        inference_config: root.join("offchain/inference/inference.toml"),
        block_time_ms: block_ms,
        chain_id: None,
        external: None,
    };
    let p = Platform::start(opts, &mut |_| {})
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut cfg = p.relayer_config().await.map_err(|e| anyhow!("{e}"))?;
    for c in &mut cfg.chains {
        c.batch_size = batch;
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relayer = tokio::spawn(bithive_relayer::runtime::run_until(cfg, async move {
        let _ = stop_rx.await;
    }));

    // N jobs in one transaction: one event block.
    let now = p.patient.rpc().latest_block_time().await?;
    let msgs = (0..n)
        .map(|i| {
            let create = EscrowMsg::CreateJob(CreateJobMsg {
                job_id: format!("lat-{batch}-{i}"),
                expires_at: Timestamp::from_seconds(now + 86_400),
                model: "bc_logreg".into(),
                input: Binary::from(DEMO_ROW.as_bytes()),
                node: Some(p.node.address().to_string()),
            });
            p.patient.execute_msg_with_funds(
                &p.deployment.contracts.payfi_escrow,
                &create,
                &[(PRICE, DENOM)],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let created = p.patient.submit(msgs, "").await?;
    let started = Instant::now();
    let mut heights = vec![None; n];
    let deadline = started + Duration::from_secs(300);
    while heights.iter().any(Option::is_none) {
        for (i, h) in heights.iter_mut().enumerate() {
            if h.is_none() {
                let job = format!("lat-{batch}-{i}");
                if let Some(v) = p.accepted(&job).await.map_err(|e| anyhow!("{e}"))? {
                    *h = Some(v.height);
                }
            }
        }
        if Instant::now() > deadline {
            return Err(anyhow!("jobs not attested within 300 s (batch {batch})"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    relayer.await?.context("relayer")?;
    p.shutdown().await;
    let mut latencies: Vec<u64> = heights
        .into_iter()
        .map(|h| h.unwrap_or(0).saturating_sub(created.height))
        .collect();
    latencies.sort_unstable();
    Ok(Run {
        batch,
        latencies,
        seconds,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| -> Result<u64> {
        args.get(i)
            .map(|s| s.parse().context("arguments: [N] [block_ms] [batch]"))
            .unwrap_or(Ok(d))
    };
    let (n, block_ms, batch) = (arg(0, 40)? as usize, arg(1, 200)?, arg(2, 10)? as usize);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("relayer on the devnet: {n} jobs in one block, block time {block_ms} ms");
    let mut runs = Vec::new();
    for b in [1, batch] {
        eprintln!("batch size {b} ...");
        runs.push(run(&root, n, block_ms, b).await?);
    }
    println!("| batch | jobs | latency min / median / max (blocks) | seconds | attestations/s | vs batch 1 |");
    println!("|---|---|---|---|---|---|");
    let base = n as f64 / runs[0].seconds;
    for r in &runs {
        let l = &r.latencies;
        let rate = n as f64 / r.seconds;
        println!(
            "| {} | {n} | {} / {} / {} | {:.2} | {:.1} | {:.2}x |",
            r.batch,
            l[0],
            l[l.len() / 2],
            l[l.len() - 1],
            r.seconds,
            rate,
            rate / base
        );
    }
    Ok(())
}
