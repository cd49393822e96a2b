//! Availability probes end to end on the devnet with the whole deployment (ADR 007, decision 4):
//! nodes register their endpoints in the real staking contract, the attestor lists them from the
//! chain and probes each node's real answering endpoint over HTTP. Time is the test's: each round
//! is run at the moment it names, so the counts are exact.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bithive_relayer::attestor::{self, ProbeResponder, Prober, RoundOutcome};
#[cfg(feature = "inference")]
use bithive_relayer::benchmark::WorkloadRunner;
use bithive_relayer::probe::{schedule_seed, Schedule, Tally};
use bithive_relayer::Store;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_down_for_half_the_epoch_answers_half_the_probes_and_impostors_none() {
    let h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(2));
    let staking = h.d.contracts.staking.clone();
    let node = h.key.address().to_string();
    let other = key(4);

    // The relayer's node answers with its own operator key.
    let up = Arc::new(AtomicBool::new(true));
    let own = ProbeResponder::new(vec![(
        CHAIN.into(),
        staking.clone(),
        node.clone(),
        h.key.k256().clone(),
    )]);
    let url = serve(own, up.clone()).await;
    set_endpoint(&client(http(&h.devnet), h.key.clone()), &staking, &url).await;
    // Attack: the other node's endpoint is answered by someone who does not hold its operator
    // key (here: the first node's key, signing for the other node's account).
    let impostor = ProbeResponder::new(vec![(
        CHAIN.into(),
        staking.clone(),
        other.address().to_string(),
        h.key.k256().clone(),
    )]);
    let impostor_url = serve(impostor, Arc::new(AtomicBool::new(true))).await;
    set_endpoint(
        &client(http(&h.devnet), other.clone()),
        &staking,
        &impostor_url,
    )
    .await;

    // The attestor reads both from the chain, with the operator keys staking holds.
    let targets = attestor::targets(&h.gov, &staking).await.unwrap();
    assert_eq!(targets.len(), 2, "{targets:?}");
    let own_target = targets.iter().find(|t| t.node == node).unwrap();
    assert_eq!(own_target.endpoint, url);
    assert_eq!(
        own_target.operator_key.0,
        h.key.public_key_compressed(),
        "the key staking holds"
    );

    // 8 probes in an 800 s epoch: one in each 100 s stratum. The node is up for the first half.
    let genesis = 1_000_000u64;
    let db = h.dir.path().join("attestor.sqlite");
    let prober = |db: &std::path::Path| {
        Prober::new(
            CHAIN,
            &staking,
            Schedule::new(schedule_seed(&[42; 32]), 800, 8).unwrap(),
            genesis,
            Duration::from_secs(5),
            Duration::from_secs(150),
            Store::open(db).unwrap(),
        )
    };
    let mut p = prober(&db);
    let mut total = RoundOutcome::default();
    for k in 0..8u64 {
        up.store(k < 4, Ordering::SeqCst);
        let o = p.round(&targets, genesis + k * 100 + 99).await.unwrap();
        total.answered += o.answered;
        total.missed += o.missed;
        total.skipped += o.skipped;
    }
    assert_eq!(
        total,
        RoundOutcome {
            answered: 4,
            missed: 12,
            ..RoundOutcome::default()
        }
    );
    let tallies = p.tallies(0).unwrap();
    let tally = |n: &str| tallies.iter().find(|(t, _)| t == n).unwrap().1;
    assert_eq!(
        tally(&node),
        Tally {
            answered: 4,
            probed: 8
        }
    );
    assert_eq!(
        tally(&node).share(),
        Some(cosmwasm_std::Decimal::percent(50))
    );
    assert_eq!(
        tally(other.address()),
        Tally {
            answered: 0,
            probed: 8
        },
        "a probe answered without the node's operator key never counts"
    );

    // A restarted attestor (a new process on the same store) neither repeats nor loses a probe.
    drop(p);
    let mut p = prober(&db);
    up.store(true, Ordering::SeqCst);
    assert_eq!(
        p.round(&targets, genesis + 799).await.unwrap(),
        RoundOutcome::default()
    );
    assert_eq!(p.tallies(0).unwrap(), tallies);

    // An attestor that was down for most of the next epoch skips the probes it missed by more
    // than `late` (they count neither way) and sends the ones still due.
    let o = p.round(&targets, genesis + 800 + 799).await.unwrap();
    assert_eq!(o.answered + o.missed + o.skipped, 16);
    assert!(o.skipped >= 12, "{o:?}");
    let next = p.tallies(1).unwrap();
    for (_, t) in &next {
        assert!(t.probed <= 2, "{next:?}");
    }

    // An attestor that is itself a node never probes its own node.
    let own_db = h.dir.path().join("own.sqlite");
    let mut p = prober(&own_db).excluding(bithive_signed_attestation::PubKey33(
        h.key.public_key_compressed(),
    ));
    let o = p.round(&targets, genesis + 99).await.unwrap();
    assert_eq!(o.answered + o.missed, 1, "only the other node: {o:?}");
    assert!(p.tallies(0).unwrap().iter().all(|(n, _)| *n != node));
    producer.abort();
}

/// A node that computes one input of a challenge and makes the others up (as a node claiming
/// more compute than it has would).
#[cfg(feature = "inference")]
struct Cheater(Arc<dyn WorkloadRunner>);

#[cfg(feature = "inference")]
impl WorkloadRunner for Cheater {
    fn macs_per_input(&self) -> u64 {
        self.0.macs_per_input()
    }

    fn run(&self, seed: &[u8; 32], indices: &[u32]) -> Result<Vec<Vec<u32>>, String> {
        let first = self.0.run(seed, &indices[..1])?;
        Ok(indices
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if i == 0 {
                    first[0].clone()
                } else {
                    vec![234_000, 766_000]
                }
            })
            .collect())
    }

    fn agrees(&self, a: &[u32], b: &[u32]) -> bool {
        self.0.agrees(a, b)
    }
}

/// Benchmark challenges on the devnet with the real engine (ONNX Runtime from ORT_DYLIB_PATH):
/// an honest node's answers pass and give its Pcompute (TFLOPS on the attestor's clock) and its
/// Penergy; a node that makes up outputs is caught by the attestor's sampled re-run; a requester
/// outside the attestor set is refused by the node and measures nothing.
#[cfg(feature = "inference")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benchmarks_measure_honest_nodes_and_catch_made_up_answers() {
    use attestor::{BenchService, Bencher};
    // Both nodes pledged: only nodes that may earn are benchmarked.
    let h = Harness::pledged(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(2));
    let staking = h.d.contracts.staking.clone();
    let node = h.key.address().to_string();
    let other = key(4);
    let dylib = std::env::var("ORT_DYLIB_PATH").expect("ORT_DYLIB_PATH (source scripts/setup.sh)");
    let runtime =
        bithive_inference::runtime::Runtime::load(&bithive_inference::config::RuntimeConfig {
            dylib_path: Some(dylib.into()),
            ..Default::default()
        })
        .unwrap();
    let workload: Arc<dyn WorkloadRunner> =
        Arc::new(bithive_inference::workload::Workload::load(&runtime).unwrap());
    assert!(workload.macs_per_input() > 1_000_000, "a counted workload");

    // The attestor set as the nodes' relayers hold it (`relayer start` reads it from staking
    // every minute: tests/attestor_runtime.rs): here one attestor.
    let attestor = key(5);
    let attestor_key = attestor.k256().clone();
    let set = std::collections::BTreeSet::from([bithive_signed_attestation::signing::public_key(
        &attestor_key,
    )]);
    let up = Arc::new(AtomicBool::new(true));
    let honest = BenchService::new(workload.clone());
    honest.set_attestors(CHAIN, set.clone());
    let own = ProbeResponder::new(vec![(
        CHAIN.into(),
        staking.clone(),
        node.clone(),
        h.key.k256().clone(),
    )])
    .with_benchmarks(honest);
    let url = serve(own, up.clone()).await;
    set_endpoint(&client(http(&h.devnet), h.key.clone()), &staking, &url).await;
    let cheat = BenchService::new(Arc::new(Cheater(workload.clone())));
    cheat.set_attestors(CHAIN, set.clone());
    let cheater = ProbeResponder::new(vec![(
        CHAIN.into(),
        staking.clone(),
        other.address().to_string(),
        other.k256().clone(),
    )])
    .with_benchmarks(cheat);
    let cheater_url = serve(cheater, Arc::new(AtomicBool::new(true))).await;
    set_endpoint(
        &client(http(&h.devnet), other.clone()),
        &staking,
        &cheater_url,
    )
    .await;
    let targets = attestor::targets(&h.gov, &staking).await.unwrap();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets.iter().all(|t| t.eligible), "pledged: {targets:?}");

    let genesis = 1_000_000u64;
    let prober = |db: &str, key: &k256::ecdsa::SigningKey| {
        Prober::new(
            CHAIN,
            &staking,
            Schedule::new(schedule_seed(&[42; 32]), 800, 4).unwrap(),
            genesis,
            Duration::from_secs(5),
            Duration::from_secs(1_000),
            Store::open(&h.dir.path().join(db)).unwrap(),
        )
        .with_benchmarks(
            Bencher {
                runner: workload.clone(),
                per_epoch: 2,
                inputs: 8,
                timeout: Duration::from_secs(30),
            },
            key,
        )
        .unwrap()
    };
    let mut p = prober("bench.sqlite", &attestor_key);
    let o = p.round(&targets, genesis + 799).await.unwrap();
    assert_eq!((o.benched, o.bench_failed), (2, 2), "{o:?}");
    let benches = p.benchmarks(0).unwrap();
    let b = benches
        .get(&node)
        .expect("the honest node's benchmark passed");
    assert!(b.pcompute > cosmwasm_std::Decimal::zero(), "{b:?}");
    assert!(
        b.penergy >= cosmwasm_std::Decimal::from_ratio(65u8, 2u8),
        "T1: metered (not below half of 65 W) or declared: {b:?}"
    );
    assert!(
        !benches.contains_key(other.address()),
        "made-up outputs are caught by the sampled re-run: {benches:?}"
    );
    // The tally share carries the benchmark, signed with the probes.
    let share = attestor::tally_share(&p, 0, &attestor_key).unwrap();
    assert!(share.verify());
    let t = share.tallies.iter().find(|t| t.node == node).unwrap();
    assert_eq!(t.bench.as_ref(), Some(b));

    // The cheater's signed wrong answer voids its epoch at this attestor, and is kept: its
    // tally shows the challenges, with no figure (it counts 0 in the median).
    let cheat_tally = share
        .tallies
        .iter()
        .find(|t| t.node == other.address())
        .unwrap();
    assert_eq!((cheat_tally.benched, cheat_tally.bench), (2, None));

    // Attack: a requester outside the attestor set makes the node burn its CPU. Refused (403)
    // before any run, so it measures nothing.
    let outsider = key(9);
    let mut p = prober("outsider.sqlite", outsider.k256());
    let o = p.round(&targets, genesis + 799).await.unwrap();
    assert_eq!((o.benched, o.bench_failed), (0, 4), "{o:?}");

    // Attack: someone who captured a member's request replays it: the node refuses it (it ran
    // once), without touching the member's allowance.
    let request =
        bithive_relayer::benchmark::BenchRequest::new(&attestor_key, CHAIN, &staking, &node, 1, 8)
            .unwrap();
    let path = format!("{url}{}", request.path());
    let first = get(&path).await.unwrap();
    assert_eq!(first.0, 200, "{first:?}");
    let replay = get(&path).await.unwrap();
    assert_eq!(replay.0, 403, "{replay:?}");
    assert!(replay.1.contains("replayed"), "{replay:?}");

    // Only nodes that may earn are challenged: an unpledged one costs the attestors nothing.
    let mut unpledged = targets.clone();
    for t in &mut unpledged {
        t.eligible = false;
    }
    let mut p = prober("unpledged.sqlite", &attestor_key);
    let o = p.round(&unpledged, genesis + 799).await.unwrap();
    assert_eq!((o.benched, o.bench_failed), (0, 0), "{o:?}");
    producer.abort();
}
