//! ADR 007, decision 6 on the devnet with the real engine and contracts: a node signs made-up
//! outputs for one of its paid jobs; one attestor samples and re-runs the jobs and publishes its
//! verdict on its endpoint, the two others re-run the job it published, and one submits the
//! fraud proof a majority signed. Staking slashes the node
//! and uses up the evidence; the node's honest job is re-run and agreed with, never published.
#![cfg(feature = "inference")]
mod common;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_inference::config::{ModelEntry, RuntimeConfig};
use bithive_inference::{Engine, EngineConfig};
use bithive_interface::attestation::InferencePayload;
use bithive_interface::staking::{NodeResponse, QueryMsg as StakingQuery};
use bithive_relayer::attest::{build_and_sign, submit_msg};
use bithive_relayer::attestor::ProbeResponder;
use bithive_relayer::inference_worker::InferenceWorker;
use bithive_relayer::reexecution::{Reexecutor, ReexecutorConfig, StepOutcome};
use bithive_relayer::reporter::Published;
use bithive_relayer::store::NewJob;
use bithive_relayer::worker::JobWorker;
use bithive_relayer::Store;
use bithive_signed_attestation::{payload_hash, AttestationKind};
use common::*;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

fn engine() -> Engine {
    let dylib = std::env::var("ORT_DYLIB_PATH").expect("ORT_DYLIB_PATH (source scripts/setup.sh)");
    let cfg = EngineConfig {
        runtime: RuntimeConfig {
            dylib_path: Some(dylib.into()),
            ..RuntimeConfig::default()
        },
        models: vec![ModelEntry {
            manifest: models_dir().join("bc_logreg.toml"),
            sha256: None,
        }],
        ..EngineConfig::default()
    };
    Engine::start(cfg).expect("ONNX Runtime")
}

fn rows() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(models_dir().join("bc_test_vectors.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows: Vec<Vec<f32>> = serde_json::from_value(v["inputs"].clone()).unwrap();
    rows.iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect()
}

fn add(total: &mut StepOutcome, o: StepOutcome) {
    total.rerun += o.rerun;
    total.agreed += o.agreed;
    total.disagreed += o.disagreed;
    total.unverifiable += o.unverifiable;
    total.proven.extend(o.proven);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_outputs_are_caught_by_a_majority_of_re_runs_and_slashed() {
    let engine = Arc::new(engine());
    let mut h = Harness::with_attestors(1, 3).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let c = h.d.contracts.clone();

    // Three attestors, each publishing on its own endpoint, registered in staking; each starts
    // reading the chain before the jobs are paid. Only the first samples (every job); the
    // other two re-run only what a member published (the suspect path).
    let mut attestors = Vec::new();
    for (i, k) in h.attestors.clone().iter().enumerate() {
        let published = Published::new();
        let responder = ProbeResponder::new(vec![]).with_published(published.clone());
        let url = serve(responder, Arc::new(AtomicBool::new(true))).await;
        set_endpoint(&client(http(&h.devnet), k.clone()), &c.staking, &url).await;
        let store = Store::open(&h.dir.path().join(format!("attestor-{i}.sqlite"))).unwrap();
        let r = Reexecutor::new(
            ReexecutorConfig {
                staking: c.staking.clone(),
                attestation: c.attestation.clone(),
                escrow: c.payfi_escrow.clone(),
                rate: if i == 0 { 1.0 } else { 0.0 },
                timeout: Duration::from_secs(5),
            },
            k.k256().clone(),
            Arc::new(InferenceWorker::new(engine.clone())),
            published,
            store,
        );
        let attestor = client(http(&h.devnet), k.clone());
        r.step(&attestor).await.unwrap();
        attestors.push((r, attestor));
    }

    // The node serves one job honestly, through its relayer.
    let inputs = rows();
    let honest = h.create_job("bc_logreg", &inputs[0]).await;
    let mut relayer = h.relayer_with(
        &h.db(),
        10,
        None,
        vec![Arc::new(InferenceWorker::new(engine.clone()))],
    );
    drive(&mut relayer, Duration::from_secs(60), async || {
        h.accepted().await.len() == 1
    })
    .await;
    drop(relayer);

    // Its second job it attests with made-up outputs (the probabilities swapped), signed.
    let cheat = h.create_job("bc_logreg", &inputs[1]).await;
    h.produce_block().await;
    let node = client(http(&h.devnet), h.key.clone());
    let job = NewJob {
        chain_id: CHAIN.into(),
        contract: c.payfi_escrow.clone(),
        kind: "inference".into(),
        job_id: cheat.clone(),
        height: 0,
        attributes: vec![],
    };
    let started = Instant::now();
    let mut out = InferenceWorker::new(engine.clone())
        .run(&job, &node)
        .await
        .unwrap();
    let job_time = started.elapsed();
    let mut p: InferencePayload = serde_json::from_slice(out.payload.as_ref().unwrap()).unwrap();
    let honest_outputs = p.outputs.clone().unwrap();
    p.outputs = Some(honest_outputs.iter().rev().copied().collect());
    assert_ne!(
        p.outputs.as_ref(),
        Some(&honest_outputs),
        "{honest_outputs:?}"
    );
    let payload = serde_json::to_vec(&p).unwrap();
    out.commitments[1] = payload_hash(AttestationKind::Inference, &payload).0;
    out.payload = Some(payload);
    let now = node.rpc().latest_block_time().await.unwrap();
    let (att, sig) = build_and_sign(
        &job,
        &c.payfi_escrow,
        AttestationKind::Inference,
        &out,
        now,
        h.key.k256(),
    )
    .unwrap();
    node.execute_batch(&[(
        c.attestation.clone(),
        submit_msg(&att, &sig, out.payload.as_deref()),
    )])
    .await
    .unwrap();
    assert_eq!(h.accepted().await.len(), 2);

    // The attestors step until the proof is in.
    let bonded = |n: &NodeResponse| n.bonded.u128();
    let node_now = async |h: &Harness| -> NodeResponse {
        h.gov
            .query_typed(
                &c.staking,
                &StakingQuery::Node {
                    node: h.key.address().to_string(),
                },
            )
            .await
            .unwrap()
    };
    assert_eq!(bonded(&node_now(&h).await), PLEDGE_4T);
    let mut total = StepOutcome::default();
    let deadline = Instant::now() + Duration::from_secs(90);
    while total.proven.is_empty() {
        assert!(Instant::now() < deadline, "no proof: {total:?}");
        for (r, attestor) in &attestors {
            add(&mut total, r.step(attestor).await.unwrap());
        }
    }
    // One more round: the others find it proven (or refused as used) and close theirs.
    for (r, attestor) in &attestors {
        add(&mut total, r.step(attestor).await.unwrap());
    }
    assert!(total.proven.contains(&cheat), "{total:?}");
    assert!(!total.proven.contains(&honest), "{total:?}");
    // The sampler re-ran both jobs: agreed with the honest one, disagreed with the other; the
    // two others re-ran the published one only, and disagreed too.
    assert_eq!((total.agreed, total.disagreed), (1, 3), "{total:?}");
    assert_eq!(total.unverifiable, 0, "{total:?}");

    // Staking slashed the node by fraud_slash (10 %) and used up the evidence.
    let n = node_now(&h).await;
    assert_eq!(bonded(&n), PLEDGE_4T - PLEDGE_4T / 10, "{n:?}");
    let used: bool = h
        .gov
        .query_typed(
            &c.staking,
            &StakingQuery::EvidenceUsed {
                job_key: att.job_key().unwrap().to_hex(),
            },
        )
        .await
        .unwrap();
    assert!(used);
    // What one verification costs an attestor against the job itself (BENCHMARKS.md; printed,
    // never asserted: timings are noisy here).
    use bithive_relayer::reexecution::Rerun;
    let started = Instant::now();
    InferenceWorker::new(engine.clone())
        .rerun(
            &attestors[0].1,
            &c.payfi_escrow,
            &cheat,
            p.model_sha256.as_deref(),
        )
        .await
        .unwrap();
    let rerun_time = started.elapsed();
    eprintln!(
        "re-execution: node's job {job_time:?}, an attestor's re-run {rerun_time:?} ({:.2}x)",
        rerun_time.as_secs_f64() / job_time.as_secs_f64()
    );
    producer.abort();
}
