//! Jobs per second the whole system serves end to end (issue #42's benchmark), on the devnet and
//! on a running network of wasmd validators, measured the same way on both: patients pay
//! `bc_logreg` jobs into the real escrow, two bonded nodes (`relayer start` with the real engine)
//! run them and post their attestations, and the escrow pays each at its attestation. A job
//! counts when its payout is in a block. Each patient keeps one job in flight (pays, waits for
//! the payout, pays the next), so the offered load grows with the number of patients; the
//! stages go up until the served rate stops growing: that is the saturation figure. Every job
//! is checked paid once, to its node.
//!
//!     cargo test -p bithive-relayer --test throughput -- --ignored --nocapture thedevnet
//!     WASMD_NET_ENV=HOME/wasmd-net.env \
//!       cargo test -p bithive-relayer --test throughput -- --ignored --nocapture wasmd
#![cfg(feature = "inference")]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bithive_chain_client::OperatorKey;
use bithive_deploy_plan::DeployConfig;
use bithive_interface::staking::Tier;
use bithive_relayer::config::{Config, InferenceSection, JobKind};
use bithive_relayer::keyring::Keyring;
use common::net::{chain_config, mnemonic, pay_row_job, seeded, start, Net};
use common::{bond, PLEDGE_4T};

const GOV_SEED: u8 = 90;
const NODE_SEEDS: [u8; 2] = [91, 92];
const PATIENT_SEED: u8 = 150;
/// The stages: patients each keeping one job in flight.
const STAGES: [usize; 4] = [1, 4, 16, 48];
/// Seconds of each stage before counting (the pipeline fills) and counted.
const WARM: Duration = Duration::from_secs(4);
const COUNTED: Duration = Duration::from_secs(20);
/// What a patient deposits for one job (1 BTT).
const DEPOSIT: u128 = 1_000_000;

fn models_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

fn patients(prefix: &str) -> Vec<OperatorKey> {
    let most = *STAGES.iter().max().unwrap();
    (0..most)
        .map(|i| seeded(PATIENT_SEED + i as u8, prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark (minutes): cargo test -p bithive-relayer --test throughput -- --ignored"]
async fn jobs_per_second_end_to_end_on_thedevnet() {
    let prefix = "bithive";
    let mut funded: Vec<OperatorKey> = NODE_SEEDS.iter().map(|s| seeded(*s, prefix)).collect();
    funded.extend(patients(prefix));
    // A block every 200 ms on the real clock, as the compute pool's test of record.
    run(Net::devnet(seeded(GOV_SEED, prefix), &funded, 200).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a running wasmd net: WASMD_NET_ENV=HOME/wasmd-net.env (scripts/wasmd-net.sh)"]
async fn jobs_per_second_end_to_end_on_wasmd_validators() {
    run(Net::wasmd_from_env(None)).await
}

/// Each paid job: its node, when this process saw the payout's block, and how many payouts.
type Payouts = Arc<Mutex<BTreeMap<String, (String, Instant, u32)>>>;

/// One stage's figures.
struct Stage {
    patients: usize,
    paid: usize,
    jobs_per_s: f64,
    p50: Duration,
    p95: Duration,
    blocks: u64,
}

async fn run(net: Net) {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::new(dir.path().join("keyring.json"));
    let nodes: Vec<OperatorKey> = NODE_SEEDS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = format!("node{i}");
            keyring.add(&name, &mnemonic(*s), &net.prefix).unwrap();
            keyring.get(&name, &net.prefix).unwrap()
        })
        .collect();
    let patients = patients(&net.prefix);
    let gov = net.client(&net.gov);
    if net.devnet.is_none() {
        // On wasmd the deployer pays everyone's gas, in one transaction.
        let sends = nodes
            .iter()
            .chain(&patients)
            .map(|k| {
                gov.send_msg(k.address(), &[(200_000_000, net.denom.as_str())])
                    .unwrap()
            })
            .collect();
        gov.submit(sends, "").await.unwrap();
    }

    // The deployment, jobs paid at their attestation (no dispute window).
    let plan = DeployConfig {
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
        job_dispute_seconds: 0,
        test_btk_allocations: nodes
            .iter()
            .map(|k| cw20::Cw20Coin {
                address: k.address().to_string(),
                amount: PLEDGE_4T.into(),
            })
            .collect(),
        ..DeployConfig::default()
    };
    let d = bithive_deploy_plan::chain::deploy(&gov, &plan, &mut |_| {})
        .await
        .unwrap();
    let c = d.contracts.clone();
    for k in &nodes {
        let node = net.client(k);
        bithive_relayer::registration::register_node(&gov, &c.staking, &node, k, 4, Tier::T1)
            .await
            .unwrap();
        bond(&d, &node, PLEDGE_4T).await;
    }
    // Every patient's BTT, in one transaction.
    let per_patient = 2_000 * DEPOSIT;
    let transfers: Vec<_> = patients
        .iter()
        .map(|p| {
            (
                c.btt.clone(),
                cw20::Cw20ExecuteMsg::Transfer {
                    recipient: p.address().to_string(),
                    amount: per_patient.into(),
                },
            )
        })
        .collect();
    gov.execute_batch(&transfers).await.unwrap();

    // The nodes, each `relayer start` with the engine from a file, as an operator's.
    let engine_toml = dir.path().join("engine.toml");
    std::fs::write(
        &engine_toml,
        format!(
            "[[models]]\nmanifest = {:?}\n",
            models_dir().join("bc_logreg.toml")
        ),
    )
    .unwrap();
    let mut running = Vec::new();
    for (i, k) in nodes.iter().enumerate() {
        let name = format!("node{i}");
        running.push(start(Config {
            db_path: dir.path().join(format!("{name}.sqlite")),
            metrics_addr: None,
            metrics_limits: Default::default(),
            keyring: dir.path().join("keyring.json"),
            chains: vec![chain_config(
                &net,
                &name,
                k.address(),
                &d,
                vec![JobKind::Inference],
            )],
            inference: Some(InferenceSection {
                config: engine_toml.clone(),
                sealed_models: None,
            }),
            matching: None,
            dp: None,
            probe_addr: None,
            attestor: None,
        }));
    }

    // One reader of the chain: every payout, and when this process saw its block.
    let from = gov.rpc().latest_height().await.unwrap() + 1;
    let paid: Payouts = Default::default();
    let reader = {
        let (rpc, escrow, paid) = (gov.rpc().clone(), c.payfi_escrow.clone(), paid.clone());
        tokio::spawn(async move {
            let mut h = from;
            let mut tries = 0;
            loop {
                // The next block is not there yet (or its results not stored): wait. The same
                // height failing for a minute is not waiting any more.
                let b = match rpc.block_results(h).await {
                    Ok(b) => b,
                    Err(e) => {
                        tries += 1;
                        assert!(tries < 1_200, "block {h}'s results: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                tries = 0;
                let seen = Instant::now();
                for tx in b.txs.iter().filter(|t| t.code == 0) {
                    for e in tx.events.iter().filter(|e| e.kind == "wasm") {
                        let ours = e.attr("_contract_address") == Some(escrow.as_str());
                        if let (true, Some(job), Some(node), Some(_)) =
                            (ours, e.attr("job_id"), e.attr("node"), e.attr("paid"))
                        {
                            let mut p = paid.lock().unwrap();
                            p.entry(job.to_string())
                                .and_modify(|x| x.2 += 1)
                                .or_insert((node.to_string(), seen, 1));
                        }
                    }
                }
                h += 1;
            }
        })
    };

    // The stages. A patient pays, waits for its payout, pays the next.
    let created: Arc<Mutex<BTreeMap<String, (String, Instant)>>> = Default::default();
    let mut stages = Vec::new();
    for (seq, &n) in STAGES.iter().enumerate() {
        let height0 = gov.rpc().latest_height().await.unwrap();
        let began = Instant::now();
        let end = began + WARM + COUNTED;
        let mut tasks = Vec::new();
        for (pi, p) in patients.iter().take(n).enumerate() {
            let (pc, c, created, paid) = (net.client(p), c.clone(), created.clone(), paid.clone());
            let node = nodes[(pi + seq) % nodes.len()].address().to_string();
            let stage = seq;
            tasks.push(tokio::spawn(async move {
                let mut j = 0usize;
                while Instant::now() < end {
                    let sent = Instant::now();
                    let id = pay_row_job(
                        &pc,
                        &c,
                        &format!("s{stage}-{j}"),
                        pi + j,
                        &node,
                        4_000_000_000,
                        DEPOSIT,
                    )
                    .await;
                    created
                        .lock()
                        .unwrap()
                        .insert(id.clone(), (node.clone(), sent));
                    // Its payout, or the stage's end plus a minute (the check below finds it).
                    let give_up = end + Duration::from_secs(60);
                    while !paid.lock().unwrap().contains_key(&id) && Instant::now() < give_up {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    j += 1;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let height1 = gov.rpc().latest_height().await.unwrap();
        // The counted window: payouts seen in it, latencies of the jobs paid in it.
        let (from_t, to_t) = (began + WARM, end);
        let created = created.lock().unwrap().clone();
        let mut lat: Vec<Duration> = paid
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, (_, seen, _))| *seen >= from_t && *seen < to_t)
            .filter_map(|(job, (_, seen, _))| created.get(job).map(|(_, sent)| *seen - *sent))
            .collect();
        lat.sort();
        let pct = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];
        assert!(!lat.is_empty(), "no job paid with {n} patients");
        let s = Stage {
            patients: n,
            paid: lat.len(),
            jobs_per_s: lat.len() as f64 / COUNTED.as_secs_f64(),
            p50: pct(0.5),
            p95: pct(0.95),
            blocks: height1 - height0,
        };
        eprintln!(
            "{} patients: {} jobs paid in {} s, {:.2} jobs/s, p50 {} ms, p95 {} ms, {} blocks",
            s.patients,
            s.paid,
            COUNTED.as_secs(),
            s.jobs_per_s,
            s.p50.as_millis(),
            s.p95.as_millis(),
            s.blocks
        );
        stages.push(s);
    }

    // Every job paid once, to the node it was bound to; none paid that nobody created.
    let created = created.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while paid.lock().unwrap().len() < created.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    reader.abort();
    for r in running {
        r.stop().await;
    }
    let paid = paid.lock().unwrap().clone();
    for (job, (node, _)) in &created {
        let (paid_to, _, times) = paid.get(job).unwrap_or_else(|| panic!("{job}: never paid"));
        assert_eq!(paid_to, node, "{job}: paid to its node");
        assert_eq!(*times, 1, "{job}: paid {times} times");
    }
    assert_eq!(
        paid.len(),
        created.len(),
        "a payout of a job nobody created"
    );

    let best = stages.iter().map(|s| s.jobs_per_s).fold(0.0f64, f64::max);
    println!(
        "| chain | patients in flight | jobs paid in {} s | jobs/s | p50 ms | p95 ms | blocks |",
        COUNTED.as_secs()
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for s in &stages {
        println!(
            "| {} | {} | {} | {:.2} | {} | {} | {} |",
            net.chain_id,
            s.patients,
            s.paid,
            s.jobs_per_s,
            s.p50.as_millis(),
            s.p95.as_millis(),
            s.blocks
        );
    }
    println!(
        "{}: {} jobs, all paid once; most served {:.2} jobs/s",
        net.chain_id,
        created.len(),
        best
    );
}
