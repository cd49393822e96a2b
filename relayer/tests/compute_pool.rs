//! Test of record for the compute pool (issue #42, ADR 007), on the devnet and on a running
//! network of wasmd validators (one stopped for an epoch), with the whole deployment, real time
//! and the real engine (ONNX Runtime from ORT_DYLIB_PATH): four nodes and
//! three attestors, every one its own relayer, and a load generator paying a few hundred jobs from
//! twelve patient accounts through three rewards epochs. Nobody types a number in: units come from
//! the escrow's payouts of a model whose run cost a quorum evaluation counted, availability from
//! the attestors' probes, Pcompute and Penergy from their benchmark challenges, honesty from their
//! sampled re-execution of paid jobs.
//!
//! The nodes: `honest` (`relayer start`), `offline` (`relayer start`, stopped for the first half
//! of the second epoch and started again on its own database), `slow` (its benchmark workload
//! sleeps 150 ms per input, as a slower machine would take) and `cheat` (signs made-up outputs
//! for every fourth job). The attestors run `relayer start` with `[attestor]`.
//!
//! Checked from the chain's own records (every block's events) and the attestors' signed tallies,
//! recomputed here without the product's formula code: every job paid once and none lost; each
//! report's units are the run cost of the node's jobs paid since its previous report; its Enode
//! is `Pcompute / Penergy x Tsuccessful/Ttotal x availability` of the medians of the tallies;
//! each node's claimed BTK is its weight's share of each epoch's pool, to the base unit; the slow
//! node is measured slower and paid less; the offline node's availability is about 0.5 in its epoch; the
//! cheat is caught in the sample, slashed, and earns nothing in the epoch of the proof.
#![cfg(feature = "inference")]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bithive_chain_client::{BlockEvents, ChainClient, Event, OperatorKey};
use bithive_deploy_plan::{DeployConfig, Deployment};
use bithive_interface::attestation::{InferencePayload, QueryMsg as AttestationQuery};
use bithive_interface::model_registry::{
    ExecuteMsg as RegistryMsg, ModelResponse, PublishMsg, QueryMsg as RegistryQuery,
};
use bithive_interface::payfi_escrow::ExecuteMsg as EscrowMsg;
use bithive_interface::rewards::{Config as RewardsConfig, QueryMsg as RewardsQuery};
use bithive_interface::staking::{
    AttestorSetResponse, NodeResponse, QueryMsg as StakingQuery, Tier,
};
use bithive_relayer::attestor::{attestor_keys, BenchService, ProbeResponder};
use bithive_relayer::benchmark::WorkloadRunner;
use bithive_relayer::config::{AttestorSection, Config, InferenceSection, JobKind};
use bithive_relayer::inference_worker::InferenceWorker;
use bithive_relayer::keyring::Keyring;
use bithive_relayer::metrics::Metrics;
use bithive_relayer::store::NewJob;
use bithive_relayer::work_report::TallyShare;
use bithive_relayer::worker::{JobWorker, WorkError, WorkOutput};
use bithive_relayer::{ChainRelayer, Store};
use bithive_signed_attestation::{payload_hash, AttestationKind};
use common::net::{
    chain_config, chain_now, mnemonic, pay_row_jobs, seeded, start, wait_until, Net, RowJob,
    Running,
};
use common::{bond, get, serve, set_endpoint, PLEDGE_4T};
use cosmwasm_std::{to_json_binary, Decimal, Decimal256, Uint128};

/// Seconds of a rewards epoch.
const EPOCH: u64 = 20;
/// Probes of each node by each attestor per epoch (one in each eighth of it).
const PROBES: u32 = 8;
const PATIENTS: u8 = 12;
/// What a patient deposits for one job (100 BTT); the escrow's fee is 0.5 % of it (500,000).
const DEPOSIT: u128 = 100_000_000;
/// The model owner's price of one run (0.1 BTT).
const PRICE: u128 = 100_000;
/// BTK the governance account puts into the compute pool in each epoch. Below the fee cap of a
/// single job (1 BTK base unit per base unit of fee, 500,000 a job), so the cap never binds and
/// each epoch's pool is shared by weight alone (the cap has its own attack test).
const FUND: u128 = 100_000;
/// A slow node's extra time per benchmark input.
const SLOW_PER_INPUT: Duration = Duration::from_millis(150);
/// Inputs of one benchmark challenge.
const BENCH_INPUTS: u32 = 8;
/// The cheat makes up the outputs of every `CHEAT_EVERY`-th job it serves.
const CHEAT_EVERY: usize = 4;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn dylib() -> PathBuf {
    std::env::var("ORT_DYLIB_PATH")
        .expect("ORT_DYLIB_PATH (source scripts/setup.sh)")
        .into()
}

/// An engine serving the shipped `bc_logreg`, on the CPU.
fn engine() -> bithive_inference::Engine {
    use bithive_inference::config::{ModelEntry, RuntimeConfig};
    bithive_inference::Engine::start(bithive_inference::EngineConfig {
        runtime: RuntimeConfig {
            dylib_path: Some(dylib()),
            intra_op_threads: 1,
            ..RuntimeConfig::default()
        },
        models: vec![ModelEntry {
            manifest: models_dir().join("bc_logreg.toml"),
            sha256: None,
        }],
        ..bithive_inference::EngineConfig::default()
    })
    .expect("ONNX Runtime")
}

/// The published benchmark workload on this machine's CPU.
fn workload() -> Arc<bithive_inference::workload::Workload> {
    let rt = bithive_inference::runtime::Runtime::load(&bithive_inference::config::RuntimeConfig {
        dylib_path: Some(dylib()),
        intra_op_threads: 1,
        ..Default::default()
    })
    .unwrap();
    Arc::new(bithive_inference::workload::Workload::load(&rt).unwrap())
}

/// A slower machine: the same workload and answers, `SLOW_PER_INPUT` more per input.
struct Slowed(Arc<bithive_inference::workload::Workload>);

impl WorkloadRunner for Slowed {
    fn macs_per_input(&self) -> u64 {
        WorkloadRunner::macs_per_input(self.0.as_ref())
    }
    fn run(&self, seed: &[u8; 32], indices: &[u32]) -> Result<Vec<Vec<u32>>, String> {
        std::thread::sleep(SLOW_PER_INPUT * indices.len() as u32);
        WorkloadRunner::run(self.0.as_ref(), seed, indices)
    }
    fn agrees(&self, a: &[u32], b: &[u32]) -> bool {
        WorkloadRunner::agrees(self.0.as_ref(), a, b)
    }
}

/// Serves jobs with the real engine, but signs made-up outputs (the class probabilities
/// reversed) for every `CHEAT_EVERY`-th one; records which.
struct Cheat {
    inner: InferenceWorker,
    served: AtomicUsize,
    cheated: Mutex<BTreeSet<String>>,
}

#[async_trait]
impl JobWorker for Cheat {
    fn job_kind(&self) -> JobKind {
        JobKind::Inference
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        self.inner.job_id_of(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let mut out = self.inner.run(job, chain).await?;
        if self.served.fetch_add(1, Ordering::SeqCst) % CHEAT_EVERY == CHEAT_EVERY - 1 {
            let mut p: InferencePayload =
                serde_json::from_slice(out.payload.as_ref().expect("payload")).unwrap();
            let outputs = p.outputs.take().expect("outputs");
            p.outputs = Some(outputs.into_iter().rev().collect());
            let payload = serde_json::to_vec(&p).unwrap();
            out.commitments[1] = payload_hash(AttestationKind::Inference, &payload).0;
            out.payload = Some(payload);
            self.cheated.lock().unwrap().insert(job.job_id.clone());
        }
        Ok(out)
    }
}

/// The test's accounts come from fixed seeds: governance (on the devnet), nodes, attestors and
/// patients.
const GOV_SEED: u8 = 60;
const NODE_SEEDS: [u8; 4] = [61, 62, 63, 64];
const ATTESTOR_SEEDS: [u8; 3] = [70, 71, 72];
const PATIENT_SEED: u8 = 100;

/// A node built from the relayer's parts (its pipeline with `worker`, its probe and benchmark
/// answers with `runner`), as `relayer start` wires them.
async fn start_parts(
    net: &Net,
    d: &Deployment,
    key: &OperatorKey,
    db: &Path,
    worker: Arc<dyn JobWorker>,
    runner: Arc<dyn WorkloadRunner>,
) -> (String, Running) {
    let (c, failover) = net.failover(key);
    let bench = BenchService::new(runner);
    bench.set_attestors(
        &net.chain_id,
        attestor_keys(&c, &d.contracts.staking).await.unwrap(),
    );
    let responder = ProbeResponder::new(vec![(
        net.chain_id.clone(),
        d.contracts.staking.clone(),
        key.address().to_string(),
        key.k256().clone(),
    )])
    .with_benchmarks(bench);
    let url = serve(responder, Arc::new(AtomicBool::new(true))).await;
    let relayer = ChainRelayer::new(
        chain_config(net, "unused", key.address(), d, vec![JobKind::Inference]),
        c,
        Some(failover),
        Arc::new(Mutex::new(Store::open(db).unwrap())),
        vec![worker],
        Arc::new(Metrics::new()),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    (
        url,
        Running {
            stop,
            task: tokio::spawn(relayer.run(rx)),
        },
    )
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A rewards or escrow event, in chain order.
#[derive(Debug)]
enum Record {
    /// The escrow paid job `job` to `node`.
    Paid { job: String, node: String },
    /// Rewards took a work report: `epoch` is the measured epoch (from the attestation's job
    /// id), `pool_epoch` the collecting epoch it was credited to (`None`: not credited).
    Report {
        node: String,
        epoch: u64,
        units: u128,
        over: u128,
        fee: u128,
        tasks: String,
        penergy: Decimal,
        enode: Decimal,
        weight: Decimal256,
        pool_epoch: Option<u64>,
    },
    /// A re-execution proof took `node`'s weight of `epoch`.
    Forfeit {
        node: String,
        epoch: u64,
        weight: Decimal256,
    },
}

/// Height `h`'s results. CometBFT's status names a block as soon as it is stored, before it
/// is executed and its results are: the newest height may not have them for a moment.
async fn block_results(c: &ChainClient, h: u64) -> BlockEvents {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match c.rpc().block_results(h).await {
            Ok(b) => return b,
            Err(e) if e.is_height_not_there_yet() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("block {h}'s results: {e}"),
        }
    }
}

/// Every escrow payout and rewards report/forfeit from `from` to the latest block, in order.
async fn records(c: &ChainClient, d: &Deployment, from: u64) -> Vec<Record> {
    let to = c.rpc().latest_height().await.unwrap();
    let mut out = Vec::new();
    for h in from..=to {
        let b = block_results(c, h).await;
        for tx in b.txs.iter().filter(|t| t.code == 0) {
            let wasm: Vec<&Event> = tx.events.iter().filter(|e| e.kind == "wasm").collect();
            let of = |e: &&Event, contract: &str| e.attr("_contract_address") == Some(contract);
            // The measured epoch of a work report: the accepted attestation's job id.
            let work_epoch = wasm
                .iter()
                .filter(|e| of(e, &d.contracts.attestation))
                .filter_map(|e| e.attr("job_id")?.strip_prefix("work/").map(str::to_string))
                .filter_map(|j| j.rsplit_once('/').map(|(_, e)| e.parse::<u64>().unwrap()))
                .next();
            for e in &wasm {
                let a = |k: &str| e.attr(k).map(str::to_string);
                if of(e, &d.contracts.payfi_escrow) && a("paid").is_some() {
                    out.push(Record::Paid {
                        job: a("job_id").unwrap(),
                        node: a("node").unwrap(),
                    });
                }
                if !of(e, &d.contracts.rewards) {
                    continue;
                }
                match a("action").as_deref() {
                    Some("report_work") => out.push(Record::Report {
                        node: a("node").unwrap(),
                        epoch: work_epoch.expect("a work report names its epoch"),
                        units: a("units").unwrap().parse().unwrap(),
                        over: a("units_over_capacity").unwrap().parse().unwrap(),
                        fee: a("fee").unwrap().parse().unwrap(),
                        tasks: a("tasks").unwrap(),
                        penergy: dec(&a("penergy").unwrap()),
                        enode: dec(&a("enode").unwrap()),
                        weight: a("weight").unwrap().parse().unwrap(),
                        pool_epoch: if a("credited").as_deref() == Some("false") {
                            None
                        } else {
                            Some(a("epoch").unwrap().parse().unwrap())
                        },
                    }),
                    Some("forfeit_epoch") => out.push(Record::Forfeit {
                        node: a("node").unwrap(),
                        epoch: a("epoch").unwrap().parse().unwrap(),
                        weight: a("weight").unwrap().parse().unwrap(),
                    }),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Whether `node` had no job paid between its last report and the last report of epoch `e` (of
/// any node), so that rewards refused its report of `e` ("served no paid job since its last
/// report"): a report counts the jobs paid since the node's last one, not those of its epoch.
/// On a stalled chain the close of the epoch before ran late and its report took every job
/// paid until then (CI of this test on a slow machine: the offline node, back mid-E2, had its E1
/// report land after its last E2 job was paid).
fn nothing_to_report(recs: &[Record], node: &str, e: u64) -> bool {
    let is_report_of_e = |r: &Record| matches!(r, Record::Report { epoch, .. } if *epoch == e);
    let Some(last) = recs.iter().rposition(is_report_of_e) else {
        return false;
    };
    let mine = |r: &Record| matches!(r, Record::Report { node: n, .. } if n == node);
    let from = recs[..last].iter().rposition(mine).map_or(0, |i| i + 1);
    !recs[from..last]
        .iter()
        .any(|r| matches!(r, Record::Paid { node: n, .. } if n == node))
}

/// What the attestors' tallies of one epoch say of `node`, by the rules of ADR 007 recomputed
/// here: availability the median answered share; Pcompute the lower middle over the attestors
/// that challenged it (one whose challenges all failed counting 0); Penergy the upper middle of
/// the passed benchmarks.
fn measured(shares: &[TallyShare], node: &str) -> (Decimal, Decimal, Decimal) {
    let tallies: Vec<_> = shares
        .iter()
        .filter_map(|s| s.tallies.iter().find(|t| t.node == node))
        .collect();
    let mut avail: Vec<Decimal> = tallies
        .iter()
        .filter(|t| t.probed > 0)
        .map(|t| Decimal::from_ratio(t.answered, t.probed))
        .collect();
    let mut pc: Vec<Decimal> = tallies
        .iter()
        .filter(|t| t.benched > 0)
        .map(|t| t.bench.map_or(Decimal::zero(), |b| b.pcompute))
        .collect();
    let mut pe: Vec<Decimal> = tallies
        .iter()
        .filter_map(|t| t.bench.map(|b| b.penergy))
        .collect();
    for v in [&mut avail, &mut pc, &mut pe] {
        assert!(!v.is_empty(), "{node}: nothing measured in {shares:?}");
        v.sort();
    }
    (
        avail[(avail.len() - 1) / 2],
        pc[(pc.len() - 1) / 2],
        pe[pe.len() / 2],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_compute_pool_pays_measured_and_verified_work_on_thedevnet() {
    let prefix = "bithive";
    let funded: Vec<OperatorKey> = NODE_SEEDS
        .iter()
        .chain(&ATTESTOR_SEEDS)
        .copied()
        .chain((0..PATIENTS).map(|i| PATIENT_SEED + i))
        .map(|s| seeded(s, prefix))
        .collect();
    // A block every 200 ms on the real clock; the genesis funds every account.
    run(Net::devnet(seeded(GOV_SEED, prefix), &funded, 200).await).await
}

/// The same on a running network of wasmd validators, one of them (`WASMD_KILL_VALIDATOR`)
/// stopped from the middle of E2 to the middle of E3: the chain goes on, every relayer fails over
/// to another validator's RPC, and the same checks pass.
///
///     WASMD_NET_ENV=HOME/wasmd-net.env WASMD_KILL_VALIDATOR=0 \
///       cargo test -p bithive-relayer --test compute_pool -- --ignored
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a running wasmd net: WASMD_NET_ENV=HOME/wasmd-net.env (scripts/test.d/wasmd-networks.sh)"]
async fn the_compute_pool_pays_measured_and_verified_work_on_wasmd_validators() {
    let kill = std::env::var("WASMD_KILL_VALIDATOR")
        .ok()
        .map(|i| i.parse().expect("WASMD_KILL_VALIDATOR: a validator index"));
    run(Net::wasmd_from_env(kill)).await
}

async fn run(net: Net) {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::new(dir.path().join("keyring.json"));
    let named = |name: &str, seed: u8| -> OperatorKey {
        keyring.add(name, &mnemonic(seed), &net.prefix).unwrap();
        keyring.get(name, &net.prefix).unwrap()
    };
    let gov_key = net.gov.clone();
    let node_names = ["honest", "offline", "slow", "cheat"];
    let nodes: Vec<OperatorKey> = node_names
        .iter()
        .zip(NODE_SEEDS)
        .map(|(n, s)| named(n, s))
        .collect();
    let attestors: Vec<OperatorKey> = ATTESTOR_SEEDS
        .iter()
        .enumerate()
        .map(|(i, s)| named(&format!("attestor{i}"), *s))
        .collect();
    let patients: Vec<OperatorKey> = (0..PATIENTS)
        .map(|i| seeded(PATIENT_SEED + i, &net.prefix))
        .collect();
    for (n, k) in node_names.iter().zip(&nodes) {
        eprintln!("node {n}: {}", k.address());
    }
    let gov = net.client(&gov_key);
    if net.devnet.is_none() {
        // On wasmd the deployer pays everyone's gas, in one transaction.
        let sends = nodes
            .iter()
            .chain(&attestors)
            .chain(&patients)
            .map(|k| {
                gov.send_msg(k.address(), &[(200_000_000, net.denom.as_str())])
                    .unwrap()
            })
            .collect();
        gov.submit(sends, "").await.unwrap();
    }

    // The deployment: epochs of EPOCH seconds, jobs paid at the attestation and work credited at
    // the report (no dispute or challenge windows), an attestor set of three of which two sign.
    // The nodes hold their pledge, the attestors ten times as much (the set is chosen by stake
    // while nobody has verified work yet), the governance account the pool's funding.
    let alloc = |k: &OperatorKey, amount: u128| cw20::Cw20Coin {
        address: k.address().to_string(),
        amount: amount.into(),
    };
    let mut allocations: Vec<_> = nodes.iter().map(|k| alloc(k, PLEDGE_4T)).collect();
    allocations.extend(attestors.iter().map(|k| alloc(k, 10 * PLEDGE_4T)));
    allocations.push(alloc(&gov_key, 100 * FUND));
    let mut plan = DeployConfig {
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
        rewards_epoch_seconds: EPOCH,
        job_dispute_seconds: 0,
        work_challenge_seconds: 0,
        test_btk_allocations: allocations,
        ..DeployConfig::default()
    };
    plan.staking.attestor_set_size = 3;
    plan.attestation.quorum_threshold = 2;
    let d = bithive_deploy_plan::chain::deploy(&gov, &plan, &mut |_| {})
        .await
        .unwrap();
    let c = d.contracts.clone();
    let mut addrs = BTreeMap::new();
    for k in nodes.iter().chain(&attestors) {
        let node = net.client(k);
        bithive_relayer::registration::register_node(&gov, &c.staking, &node, k, 4, Tier::T1)
            .await
            .unwrap();
        addrs.insert(k.address().to_string(), free_addr());
    }
    for k in &nodes {
        bond(&d, &net.client(k), PLEDGE_4T).await;
    }
    for k in &attestors {
        bond(&d, &net.client(k), 10 * PLEDGE_4T).await;
    }
    gov.execute_batch(&[(
        c.staking.clone(),
        bithive_interface::staking::ExecuteMsg::AdvanceAttestorSet { limit: 200 },
    )])
    .await
    .unwrap();
    let set: AttestorSetResponse = gov
        .query_typed(&c.staking, &StakingQuery::AttestorSet {})
        .await
        .unwrap();
    let members: BTreeSet<String> = set.members.iter().map(|m| m.node.to_string()).collect();
    let want: BTreeSet<String> = attestors.iter().map(|k| k.address().to_string()).collect();
    assert_eq!(members, want, "the attestors are the set");

    // The model, published by its owner (the governance account here); its run cost counted
    // from its graph by the attestors' quorum evaluation, never typed in; the escrow then takes
    // only jobs on registered models.
    let local = engine();
    let manifest = local.manifest("bc_logreg").unwrap().clone();
    gov.execute_batch(&[(
        c.model_registry.clone(),
        RegistryMsg::Publish(PublishMsg {
            name: "bc_logreg".into(),
            version: 1,
            specialty: "oncology".into(),
            input_spec: "float32[1,30] tabular row".into(),
            output_spec: "label in [malignant, benign] with probabilities".into(),
            onnx_sha256: manifest.sha256.clone(),
            content_id: "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4".into(),
            size_bytes: 1,
            price: Uint128::new(PRICE),
            licence: "Apache-2.0".into(),
        }),
    )])
    .await
    .unwrap();
    let m: ModelResponse = gov
        .query_typed(
            &c.model_registry,
            &RegistryQuery::Latest {
                name: "bc_logreg".into(),
            },
        )
        .await
        .unwrap();
    {
        use bithive_relayer::evaluation::{
            combine, default_issued_at, evaluate_registered, read_set, sign_share, statement,
        };
        let set = read_set(&models_dir().join("bc_test_vectors.json")).unwrap();
        let e = evaluate_registered(None, &local, &m, &set).await.unwrap();
        let last: u64 = gov
            .query_typed(
                &c.attestation,
                &AttestationQuery::EvaluationRound {
                    model_id: m.model.id,
                },
            )
            .await
            .unwrap();
        let now = chain_now(&gov).await;
        let (att, payload) = statement(
            &net.chain_id,
            &c.model_registry,
            m.model.id,
            last + 1,
            &e,
            default_issued_at(now),
        )
        .unwrap();
        let shares: Vec<_> = attestors
            .iter()
            .map(|k| sign_share(att.clone(), payload.clone(), k.k256()).unwrap())
            .collect();
        gov.execute_batch(&[(c.attestation.clone(), combine(&shares).unwrap())])
            .await
            .unwrap();
    }
    gov.execute_batch(&[(
        c.payfi_escrow.clone(),
        EscrowMsg::UpdateConfig {
            fee_bps: None,
            fee_collector: None,
            staking: None,
            job_dispute_seconds: None,
            model_registry: Some(c.model_registry.clone()),
            rewards: None,
        },
    )])
    .await
    .unwrap();
    let m: ModelResponse = gov
        .query_typed(
            &c.model_registry,
            &RegistryQuery::Latest {
                name: "bc_logreg".into(),
            },
        )
        .await
        .unwrap();
    let run_cost = m
        .model
        .run_cost
        .expect("the evaluation counted the run cost")
        .u128();
    assert!(run_cost > 0);

    // Patients hold BTT to pay with.
    for p in &patients {
        gov.execute_batch(&[(
            c.btt.clone(),
            cw20::Cw20ExecuteMsg::Transfer {
                recipient: p.address().to_string(),
                amount: (50 * DEPOSIT).into(),
            },
        )])
        .await
        .unwrap();
    }
    let start_height = gov.rpc().latest_height().await.unwrap();

    // The relayers. Engines and the benchmark workload from files, as an operator's.
    let engine_toml = dir.path().join("engine.toml");
    std::fs::write(
        &engine_toml,
        format!(
            "[runtime]\nintra_op_threads = 1\n\n[[models]]\nmanifest = {:?}\n",
            models_dir().join("bc_logreg.toml")
        ),
    )
    .unwrap();
    let config = |name: &str, k: &OperatorKey, attestor: bool| Config {
        db_path: dir.path().join(format!("{name}.sqlite")),
        metrics_addr: None,
        metrics_limits: Default::default(),
        keyring: dir.path().join("keyring.json"),
        chains: vec![chain_config(
            &net,
            name,
            k.address(),
            &d,
            if attestor {
                vec![]
            } else {
                vec![JobKind::Inference]
            },
        )],
        inference: Some(InferenceSection {
            config: engine_toml.clone(),
            sealed_models: None,
        }),
        matching: None,
        dp: None,
        probe_addr: Some(addrs[k.address()].to_string()),
        attestor: attestor.then(|| AttestorSection {
            chain_id: net.chain_id.clone(),
            probes_per_epoch: PROBES,
            timeout_ms: 3_000,
            // Above the chain clock's steps (on wasmd a block waits out a stopped validator's
            // turn to propose): a slot is skipped only when the attestor was really behind.
            late_seconds: 8,
            tick_ms: 200,
            report_delay_seconds: 6,
            // One challenge per epoch: a node runs at most 6 of one attestor's in 10 minutes
            // (BenchGate), and these epochs are 20 s.
            bench_per_epoch: 1,
            bench_inputs: BENCH_INPUTS,
            // Every answer is in before the others fetch the tallies (config validation).
            bench_timeout_ms: 5_000,
            // Each attestor re-runs about half the paid jobs, drawn from its own key.
            reexec_rate: 0.5,
        }),
    };
    let mut running = Vec::new();
    let (honest, offline, slow, cheat) = (&nodes[0], &nodes[1], &nodes[2], &nodes[3]);
    for k in [honest, offline] {
        let url = format!("http://{}", addrs[k.address()]);
        set_endpoint(&net.client(k), &c.staking, &url).await;
    }
    running.push(start(config("honest", honest, false)));
    let mut offline_relayer = Some(start(config("offline", offline, false)));
    let shared_engine = Arc::new(engine());
    let (url, r) = start_parts(
        &net,
        &d,
        slow,
        &dir.path().join("slow.sqlite"),
        Arc::new(InferenceWorker::new(shared_engine.clone())),
        Arc::new(Slowed(workload())),
    )
    .await;
    set_endpoint(&net.client(slow), &c.staking, &url).await;
    running.push(r);
    let cheat_worker = Arc::new(Cheat {
        inner: InferenceWorker::new(shared_engine.clone()),
        served: AtomicUsize::new(0),
        cheated: Mutex::new(BTreeSet::new()),
    });
    let (url, r) = start_parts(
        &net,
        &d,
        cheat,
        &dir.path().join("cheat.sqlite"),
        cheat_worker.clone(),
        workload(),
    )
    .await;
    set_endpoint(&net.client(cheat), &c.staking, &url).await;
    running.push(r);
    // The attestors start once every node has its endpoint in staking (they read their targets
    // from it).
    for (i, k) in attestors.iter().enumerate() {
        let url = format!("http://{}", addrs[k.address()]);
        set_endpoint(&net.client(k), &c.staking, &url).await;
        running.push(start(config(&format!("attestor{i}"), k, true)));
    }

    // The epochs on the chain's clock: E1 is the first whole one every attestor sees.
    let rewards: RewardsConfig = gov
        .query_typed(&c.rewards, &RewardsQuery::Config {})
        .await
        .unwrap();
    let start_of = |e: u64| rewards.genesis + e * EPOCH;
    let e1 = (chain_now(&gov).await + 5 - rewards.genesis) / EPOCH + 1;
    let (e2, e3, e4, e5) = (e1 + 1, e1 + 2, e1 + 3, e1 + 4);

    // The load: every patient pays a job every 3 s (on a fixed cadence) from E1 to the end of E3,
    // bound to the nodes in turn. A patient whose last transaction took longer than the cadence
    // (a validator down, a slow machine) pays every job due by then in one transaction, so the
    // number of jobs is set by the cadence and the window, not by how fast blocks commit.
    let created = Arc::new(Mutex::new(BTreeMap::<String, String>::new()));
    let load_txs = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for (pi, p) in patients.iter().enumerate() {
        let (pc, c, created) = (net.client(p), c.clone(), created.clone());
        let load_txs = load_txs.clone();
        let targets: Vec<String> = nodes.iter().map(|k| k.address().to_string()).collect();
        let end = start_of(e4);
        let begin = start_of(e1);
        load.push(tokio::spawn(async move {
            wait_until(&pc, begin).await;
            let cadence = Duration::from_secs(3);
            let first = tokio::time::Instant::now() + Duration::from_millis(250 * pi as u64);
            let mut j = 0usize;
            loop {
                tokio::time::sleep_until(first + cadence * j as u32).await;
                if chain_now(&pc).await >= end {
                    break;
                }
                let due = (first.elapsed().as_millis() / cadence.as_millis()) as usize;
                let jobs: Vec<RowJob> = (j..=due.max(j))
                    .map(|k| RowJob {
                        client_id: format!("load-{k}"),
                        row: pi + k,
                        node: targets[(pi + k) % targets.len()].clone(),
                    })
                    .collect();
                let ids = pay_row_jobs(&pc, &c, &jobs, end + 86_400, DEPOSIT).await;
                load_txs.fetch_add(1, Ordering::Relaxed);
                let mut created = created.lock().unwrap();
                for (id, job) in ids.into_iter().zip(&jobs) {
                    created.insert(id, job.node.clone());
                }
                j += jobs.len();
            }
        }));
    }

    // The epochs go by. The offline node's relayer is stopped for the first half of E2 (its
    // endpoint is gone; its jobs wait). The governance account funds the pool mid-epoch; each
    // fund counts in the epoch its event names (that epoch or, when the chain stalled past the
    // epoch's end, as a loaded machine with a validator down can make it, a later one). Each attestor's signed tallies are read once an epoch
    // closes.
    let mut fund = BTreeMap::new();
    let mut tallies: BTreeMap<u64, Vec<TallyShare>> = BTreeMap::new();
    let fetch = |e: u64| {
        let urls: Vec<String> = attestors
            .iter()
            .map(|k| format!("http://{}/tallies/{}/{e}", addrs[k.address()], net.chain_id))
            .collect();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for url in urls {
                let deadline = Instant::now() + Duration::from_secs(EPOCH);
                let share: TallyShare = loop {
                    assert!(Instant::now() < deadline, "no tallies at {url}");
                    if let Some((200, body)) = get(&url).await {
                        break serde_json::from_str(&body).unwrap();
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                };
                assert!(share.verify(), "{url}: signed by its attestor");
                out.push(share);
            }
            out
        })
    };
    let mut fetches = Vec::new();
    let (mut down_at, mut up_at) = (0u64, 0u64);
    for e in e1..=e4 {
        wait_until(&gov, start_of(e)).await;
        // The epoch before E1 too: a report counts every job paid since the node's last, so
        // the first reports (of that epoch, early in E1) already hold some of E1's jobs.
        fetches.push((e - 1, fetch(e - 1)));
        // The offline node refuses probes as soon as it is asked to stop (its round in
        // progress goes on behind it) and answers them again once it is back: both on the
        // chain's clock, which the attestors probe by.
        let probe_url = format!(
            "http://{}{}",
            addrs[offline.address()],
            bithive_relayer::probe::probe_path(&net.chain_id, &[7; 32])
        );
        let answers = |url: String| async move { matches!(get(&url).await, Some((200, _))) };
        if e == e2 {
            let stopping = tokio::spawn(offline_relayer.take().unwrap().stop());
            let deadline = Instant::now() + Duration::from_secs(30);
            while answers(probe_url.clone()).await {
                assert!(
                    Instant::now() < deadline,
                    "the stopping node still answers probes"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            down_at = chain_now(&gov).await;
            stopping.await.unwrap();
        }
        wait_until(&gov, start_of(e) + EPOCH / 2).await;
        if e == e2 {
            offline_relayer = Some(start(config("offline", offline, false)));
            let deadline = Instant::now() + Duration::from_secs(60);
            while !answers(probe_url.clone()).await {
                assert!(
                    Instant::now() < deadline,
                    "the restarted node answers no probe"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            up_at = chain_now(&gov).await;
            eprintln!(
                "the offline node was down from {} s to {} s of E2 (chain time)",
                down_at as i64 - start_of(e2) as i64,
                up_at as i64 - start_of(e2) as i64
            );
        }
        // On wasmd, a validator is down from here to the middle of E3.
        // (The script waits up to 20 s for a node to stop: off the runtime's worker threads.)
        if e == e2 {
            tokio::task::block_in_place(|| net.validator("stop-node"));
        } else if e == e3 {
            tokio::task::block_in_place(|| net.validator("start-node"));
        }
        use bithive_interface::token::ExecuteMsg as TokenMsg;
        let funded = gov
            .execute_batch(&[(
                c.btk.clone(),
                TokenMsg::Send {
                    contract: c.rewards.clone(),
                    amount: FUND.into(),
                    msg: to_json_binary(
                        &bithive_interface::rewards::ReceiveMsg::FundComputePool {},
                    )
                    .unwrap(),
                },
            )])
            .await
            .unwrap();
        let landed: u64 = funded
            .events
            .iter()
            .filter(|ev| {
                ev.kind == "wasm" && ev.attr("_contract_address") == Some(c.rewards.as_str())
            })
            .find(|ev| ev.attr("action") == Some("fund_compute_pool"))
            .and_then(|ev| ev.attr("epoch")?.parse().ok())
            .expect("the fund's event names its epoch");
        assert!(
            landed >= e,
            "funded mid-epoch {e}, counted in epoch {landed}"
        );
        if landed != e {
            eprintln!("the fund of epoch {e} landed in epoch {landed} (the chain stalled)");
        }
        *fund.entry(landed).or_insert(0) += FUND;
    }
    for l in load {
        l.await.unwrap();
    }
    // E3's reports are in a few seconds into E4; E4's pool closes with E5.
    wait_until(&gov, start_of(e5) + 1).await;
    fetches.push((e4, fetch(e4)));
    for (e, f) in fetches {
        tallies.insert(e, f.await.unwrap());
    }
    // Every job is served and paid before the end (the offline node's backlog too).
    let created = created.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let paid = loop {
        let recs = records(&gov, &d, start_height).await;
        let paid: Vec<(String, String)> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Paid { job, node } => Some((job.clone(), node.clone())),
                _ => None,
            })
            .collect();
        if paid.len() >= created.len() || Instant::now() > deadline {
            break paid;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // The nodes claim what the closed epochs (up to E4) gave them.
    let mut claimed = BTreeMap::new();
    for k in &nodes {
        let nc = net.client(k);
        let got = bithive_relayer::claim::claim_compute(&nc, &c.rewards)
            .await
            .unwrap()
            .map_or(0, |cl| cl.amount.u128());
        claimed.insert(k.address().to_string(), got);
    }
    offline_relayer.take().unwrap().stop().await;
    for r in running {
        r.stop().await;
    }
    let recs = records(&gov, &d, start_height).await;
    let name = |addr: &str| {
        node_names[nodes.iter().position(|k| k.address() == addr).unwrap()].to_string()
    };

    // No job is paid twice or lost, and none was paid that nobody created.
    eprintln!(
        "{} jobs created in {} transactions, {} paid",
        created.len(),
        load_txs.load(Ordering::Relaxed),
        paid.len()
    );
    assert!(created.len() >= 200, "hundreds of jobs: {}", created.len());
    let mut times = BTreeMap::<&str, usize>::new();
    for (job, node) in &paid {
        *times.entry(job).or_default() += 1;
        assert_eq!(
            created.get(job),
            Some(node),
            "{job}: paid to the node it was bound to"
        );
    }
    assert!(times.values().all(|n| *n == 1), "a job paid twice");
    assert_eq!(times.len(), created.len(), "every job paid");

    // Each report: its units are the run cost of the node's jobs paid since its last report,
    // its tasks those jobs (all paid), its Enode the attestors' medians.
    let tier_floor = Decimal::from_ratio(65u8, 2u8); // half of a T1's declared 65 W
    let mut since = BTreeMap::<String, u128>::new();
    let mut weight = BTreeMap::<(String, u64), Decimal256>::new();
    let mut fees = BTreeMap::<(String, u64), u128>::new();
    let mut forfeits = Vec::new();
    let mut enodes = BTreeMap::<(String, u64), (Decimal, Decimal, Decimal)>::new();
    for r in &recs {
        match r {
            Record::Paid { node, .. } => *since.entry(node.clone()).or_default() += 1,
            Record::Report {
                node,
                epoch,
                units,
                over,
                fee,
                tasks,
                penergy,
                enode,
                weight: w,
                pool_epoch,
            } => {
                let jobs = since.remove(node).unwrap_or(0);
                assert_eq!(*over, 0, "{}: within its capacity", name(node));
                assert_eq!(
                    units,
                    &(jobs * run_cost),
                    "{} epoch {epoch}: units of the {jobs} jobs paid since its last report",
                    name(node)
                );
                assert_eq!(tasks, &format!("{jobs}/{jobs}"), "{}", name(node));
                // The escrow's fee: 0.5 % of each deposit.
                assert_eq!(
                    *fee,
                    jobs * DEPOSIT / 200,
                    "{}: fees of its jobs",
                    name(node)
                );
                // The relayers run on while the last jobs are paid and claimed (up to a minute
                // past E5 on a loaded machine: CI's run of 80738da saw a report of E8). A report
                // of an epoch after E4, whose tallies the test did not fetch, is checked above
                // for its units, tasks and fee; its Enode and weight are not measured here, and
                // no pool the claims are checked against (E1..E4) holds it.
                let Some(shares) = tallies.get(epoch) else {
                    assert!(
                        *epoch > e4,
                        "{}: a report of epoch {epoch}, whose tallies were not fetched",
                        name(node)
                    );
                    continue;
                };
                let (avail, pcompute, pe) = measured(shares, node);
                let pe = pe.max(tier_floor);
                assert_eq!(*penergy, pe, "{} epoch {epoch}", name(node));
                let expected = pcompute / pe * avail;
                assert_eq!(*enode, expected, "{} epoch {epoch}: Enode", name(node));
                assert_eq!(
                    *w,
                    Decimal256::from(expected) * Decimal256::from_ratio(*units, 1u8),
                    "{}: weight = units x Enode",
                    name(node)
                );
                enodes.insert((name(node), *epoch), (avail, pcompute, expected));
                if let Some(pe) = pool_epoch {
                    *weight.entry((node.clone(), *pe)).or_default() += *w;
                    *fees.entry((node.clone(), *pe)).or_default() += *fee;
                }
            }
            Record::Forfeit {
                node,
                epoch,
                weight: w,
            } => {
                let had = weight.remove(&(node.clone(), *epoch)).unwrap_or_default();
                assert_eq!(*w, had, "the forfeit takes the node's weight of the epoch");
                weight.insert((node.clone(), *epoch), Decimal256::zero());
                forfeits.push((name(node), *epoch));
            }
        }
    }
    eprintln!("measured (availability, Pcompute, Enode): {enodes:#?}");
    for e in [e1, e2, e3] {
        for (k, n) in nodes.iter().zip(node_names).filter(|(_, n)| *n != "cheat") {
            // Without a report, what each attestor measured of the node says why.
            let seen: Vec<String> = tallies[&e]
                .iter()
                .map(|share| {
                    let t = share.tallies.iter().find(|t| t.node == k.address());
                    format!("attestor {}: {t:?}", &share.signature.key.to_hex()[..12])
                })
                .collect();
            if !enodes.contains_key(&(n.to_string(), e)) && nothing_to_report(&recs, k.address(), e)
            {
                // Its jobs are in its previous report (checked above, to the unit): paid once.
                eprintln!("{n}: no report for epoch {e}: its last report already held every job paid to it (a late close)");
                continue;
            }
            assert!(
                enodes.contains_key(&(n.to_string(), e)),
                "{n} has a report for epoch {e}: {enodes:?}; the attestors' tallies of it: {seen:#?}"
            );
        }
    }

    // Every attestor probed every node in every slot of E1..E3 (down or not): a slow node never
    // made an attestor skip the others' slots. One slot of slack for the validator stopped
    // under the attestors on wasmd.
    for e in [e1, e2, e3] {
        for share in &tallies[&e] {
            for k in &nodes {
                let t = share.tallies.iter().find(|t| t.node == k.address());
                let probed = t.map_or(0, |t| t.probed);
                assert!(
                    probed + 1 >= PROBES,
                    "epoch {e}: {} probed {probed} of {PROBES} times by one attestor",
                    name(k.address())
                );
            }
        }
    }

    // The offline node: down for about half its epoch, and measured so. Each attestor probes
    // once in each of E2's eight strata (seven of EPOCH / PROBES seconds, the last takes the
    // rest) at a time of its own, and a probe goes out up to a tick and a block (LAG) after
    // it: a stratum wholly inside the down window was missed by every attestor, one wholly
    // outside it answered. The median attestor's unanswered share lies between, give or take
    // one probe (a slot skipped as late is not counted as probed). The others answered
    // (nearly) every probe.
    const LAG: u64 = 2;
    let stratum = EPOCH / u64::from(PROBES);
    let strata: Vec<(u64, u64)> = (0..u64::from(PROBES))
        .map(|i| {
            let start = start_of(e2) + i * stratum;
            let end = if i + 1 == u64::from(PROBES) {
                start_of(e3)
            } else {
                start + stratum
            };
            (start, end)
        })
        .collect();
    let surely = strata
        .iter()
        .filter(|(s, e)| *s >= down_at && *e + LAG <= up_at)
        .count() as u64;
    let maybe = strata
        .iter()
        .filter(|(s, e)| *e + LAG > down_at && *s < up_at)
        .count() as u64;
    assert!(
        surely >= 2,
        "the offline node was to be down for about half of E2: down from {down_at} to \
         {up_at}, E2 from {}, so only {surely} whole strata",
        start_of(e2)
    );
    // What the attestors measured of a node in an epoch (their median), read from the tallies
    // rather than the node's report: a node whose late report held all its jobs files none for
    // the next epoch (accepted above), but it was measured all the same.
    let of = |n: &str, e: u64| {
        let k = &nodes[node_names.iter().position(|m| *m == n).unwrap()];
        measured(&tallies[&e], k.address())
    };
    let avail = |n: &str, e: u64| of(n, e).0;
    let a = avail("offline", e2);
    let missed = Decimal::one() - a;
    let one = Decimal::from_ratio(1u64, u64::from(PROBES) - 1);
    let (low, high) = (
        Decimal::from_ratio(surely, PROBES).saturating_sub(one),
        Decimal::from_ratio(maybe, PROBES) + one,
    );
    assert!(
        missed >= low && missed <= high,
        "offline in E2: available {a}, so {missed} missed, not within {low}..{high} (down \
         from {down_at} to {up_at}, E2 from {}); its tallies: {:#?}",
        start_of(e2),
        tallies[&e2]
            .iter()
            .map(|s| s.tallies.iter().find(|t| t.node == offline.address()))
            .collect::<Vec<_>>()
    );
    for e in [e1, e3] {
        assert!(
            avail("offline", e) >= Decimal::percent(75),
            "offline in {e}"
        );
    }
    for e in [e1, e2, e3] {
        assert!(avail("honest", e) >= Decimal::percent(75), "honest in {e}");
        assert!(avail("slow", e) >= Decimal::percent(75), "slow in {e}");
    }
    // The slow node: measured slower, so paid less per unit of the same work. Its figure is at
    // most the challenge's work over its sleep alone (an attestor's clock runs at least that
    // long), however loaded the machine. (A 2x margin over the honest node's was asked before:
    // under CI's load the honest node's own run took ~1.8 s for 8 inputs, and the ratio was 1.7.)
    let ceiling = bithive_relayer::benchmark::pcompute(
        WorkloadRunner::macs_per_input(workload().as_ref()),
        BENCH_INPUTS,
        SLOW_PER_INPUT * BENCH_INPUTS,
    );
    for e in [e1, e2, e3] {
        let (h, s) = (of("honest", e).1, of("slow", e).1);
        assert!(
            s <= ceiling && s < h,
            "epoch {e}: slow {s} (its sleep alone allows at most {ceiling}), honest {h}"
        );
    }

    // The cheat: caught in the sample, slashed by fraud_slash (10 %), its epoch forfeited.
    assert!(!cheat_worker.cheated.lock().unwrap().is_empty());
    let n: NodeResponse = gov
        .query_typed(
            &c.staking,
            &StakingQuery::Node {
                node: cheat.address().to_string(),
            },
        )
        .await
        .unwrap();
    assert!(
        n.bonded.u128() <= PLEDGE_4T - PLEDGE_4T / 10,
        "slashed: {n:?}"
    );
    assert!(
        forfeits.iter().any(|(n, _)| n == "cheat"),
        "the cheat forfeits an epoch: {forfeits:?}"
    );
    for (n, e) in &forfeits {
        assert_eq!(n, "cheat", "only the cheat forfeits");
        assert_eq!(
            weight.get(&(cheat.address().to_string(), *e)).copied(),
            Some(Decimal256::zero()),
            "the cheat earns nothing in epoch {e}"
        );
    }

    // The pool: each closed epoch (up to E4) shares what it holds (its funds, and what earlier
    // epochs without any weight carried) by weight. A node's claim is the sum of its shares,
    // floored; the contract floors the rate and each credit at 10^-18 and carries the fractions,
    // which moves a sum by far less than 10^-9, so the claim equals the floored exact share
    // unless that lies within 10^-9 of a whole unit (then either neighbour is right).
    let mut carry = Decimal256::zero();
    let mut expected = BTreeMap::<String, Decimal256>::new();
    for e in e1..=e4 {
        let avail = carry + Decimal256::from_ratio(fund.get(&e).copied().unwrap_or(0), 1u8);
        let total: Decimal256 = weight
            .iter()
            .filter(|((_, pe), _)| *pe == e)
            .map(|(_, w)| *w)
            .sum();
        if total.is_zero() {
            carry = avail;
            continue;
        }
        carry = Decimal256::zero();
        for ((node, pe), w) in &weight {
            if *pe == e {
                let share = *w * avail / total;
                // The fee cap (max_btk_per_fee, 1 by default) does not bind here (see FUND).
                let fee = fees.get(&(node.clone(), e)).copied().unwrap_or(0);
                let cap = Decimal256::from_ratio(fee, 1u8);
                assert!(
                    w.is_zero() || share <= cap,
                    "{}: {share} over its cap {cap}",
                    name(node)
                );
                *expected.entry(node.clone()).or_default() += share;
            }
        }
    }
    eprintln!("claimed {claimed:?}; exact shares {expected:?}");
    for k in &nodes {
        let addr = k.address().to_string();
        let exact = expected.get(&addr).copied().unwrap_or_default();
        let floor = exact.to_uint_floor();
        let got = cosmwasm_std::Uint256::from(claimed[&addr]);
        let frac = exact - Decimal256::from_ratio(floor, 1u8);
        let near_whole = frac < Decimal256::raw(1_000_000_000) // 1e-9
            || frac > Decimal256::one() - Decimal256::raw(1_000_000_000);
        if near_whole {
            assert!(
                got == floor || got == floor + cosmwasm_std::Uint256::one(),
                "{}: claimed {got}, exact {exact}",
                name(&addr)
            );
        } else {
            assert_eq!(
                got,
                floor,
                "{}: claimed against its exact share {exact}",
                name(&addr)
            );
        }
    }
    let got = |n: &str| {
        let addr = nodes[node_names.iter().position(|x| *x == n).unwrap()].address();
        claimed[addr]
    };
    assert!(got("honest") > 0 && got("slow") > 0 && got("offline") > 0);
    assert!(
        got("slow") < got("honest"),
        "the slow node served as many jobs and earned less: {claimed:?}"
    );
}
