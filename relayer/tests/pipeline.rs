//! The relayer pipeline on the in-process devnet with the real contracts (the deployment
//! `bithive deploy` makes): crash at every job state, RPC outage, failover, a lost broadcast
//! answer, a node behind the tip, sequence mismatch, batching, jobs of other nodes, poison
//! blocks, results missing at the tip, graceful shutdown, metrics and health. Faults are injected
//! by `FaultyEndpoint` around the devnet's RPC.
mod common;

use std::time::Duration;

use bithive_chain_client::{Fault, Method};
use bithive_relayer::{Failpoint, RelayerError};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_attested_once_after_a_crash_at_each_state() {
    // One world; each failpoint a relayer on its own new DB, reading from the height its round
    // began at, with its own jobs.
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut settled = 0;
    for (round, fp) in Failpoint::ALL.into_iter().enumerate() {
        let db = h.dir.path().join(format!("relayer-{round}.db"));
        h.start_height = h.produce_block().await + 1;
        h.create_jobs(4).await;
        h.produce_block().await;
        h.create_jobs(3).await;
        // First life: runs until the failpoint "kills" it.
        let mut r = h.relayer_at(&db, 3, Some(fp));
        let mut crashed = false;
        for _ in 0..1_000 {
            match r.step().await {
                Err(RelayerError::Crash(_)) => {
                    crashed = true;
                    break;
                }
                Err(e) => panic!("{fp:?}: {e}"),
                Ok(()) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        assert!(crashed, "{fp:?} never reached");
        drop(r);
        // Jobs keep arriving while it is down.
        h.create_jobs(2).await;
        // Second life on the same DB.
        let mut r = h.relayer_at(&db, 3, None);
        settled += 9;
        let total = h.jobs_created;
        assert_eq!(total, settled);
        drive(&mut r, Duration::from_secs(60), async || {
            h.accepted().await.len() == total
        })
        .await;
        let accepted = h.accepted().await;
        assert_eq!(accepted.len(), total, "{fp:?}");
        assert!(accepted.values().all(|&n| n == 1), "{fp:?}");
        assert_eq!(h.duplicates(), 0, "{fp:?}: a job was posted twice");
    }
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_outage_loses_no_event() {
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(3).await;
    h.until_accepted(&mut r, 3).await;
    // The only endpoint goes away while jobs keep landing in blocks.
    h.endpoints[0].set_down(true);
    for _ in 0..5 {
        h.create_jobs(2).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
        r.step().await.unwrap(); // errors are logged, never fatal
    }
    h.endpoints[0].set_down(false);
    h.until_settled(&mut r, 13).await;
    let accepted = h.accepted().await;
    assert!(accepted.values().all(|&n| n == 1));
    assert_eq!(h.duplicates(), 0);
    h.assert_metric("bithive_relayer_rpc_errors_total{chain=\"bithive-test-1\"}");
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_after_jobs_are_received_fails_none_of_them() {
    // CI's run of stop 71: a job received just before the chain went away was worked while it
    // was down. Each round's failed chain query used one of the job's attempts; after
    // MAX_ATTEMPTS rounds (a second or two) it was failed for good and never attested.
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(3).await;
    h.produce_block().await;
    while r.poll_events().await.unwrap() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.endpoints[0].set_down(true);
    for _ in 0..3 * bithive_relayer::pipeline::MAX_ATTEMPTS {
        r.step().await.unwrap(); // errors are logged, never fatal
    }
    h.endpoints[0].set_down(false);
    assert_eq!(h.failed_in_store(), 0, "an outage is not the jobs' fault");
    h.until_settled(&mut r, 3).await;
    assert_eq!(h.duplicates(), 0);
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_between_two_endpoints() {
    let mut h = Harness::new(2).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(2).await;
    h.until_accepted(&mut r, 2).await;
    h.endpoints[0].set_down(true);
    h.create_jobs(2).await;
    h.until_accepted(&mut r, 4).await;
    h.endpoints[0].set_down(false);
    h.endpoints[1].set_down(true);
    h.create_jobs(2).await;
    h.until_settled(&mut r, 6).await;
    assert_eq!(h.duplicates(), 0);
    h.assert_metric("bithive_relayer_rpc_failovers{chain=\"bithive-test-1\"} 2");
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_when_another_process_moves_the_sequence() {
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(2, None);
    h.create_jobs(2).await;
    h.until_accepted(&mut r, 2).await;
    // Another process signs with the relayer's key: the chain's sequence moves ahead of its.
    let other = client(std::sync::Arc::new(h.endpoints[0].clone()), h.key.clone());
    let allow =
        serde_json::json!({"increase_allowance": {"spender": h.gov.address(), "amount": "1"}});
    for _ in 0..3 {
        let call = (h.d.contracts.btt.clone(), allow.clone());
        other.execute_batch(&[call]).await.unwrap();
    }
    h.create_jobs(4).await;
    h.until_settled(&mut r, 6).await;
    let recoveries = r
        .client()
        .stats
        .sequence_recoveries
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(recoveries >= 1);
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_attestations_per_tx() {
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    h.create_jobs(25).await;
    h.produce_block().await;
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 25).await;
    // 25 attestations at 10 per tx: 3 txs.
    assert_eq!(h.broadcasts(), 3);
    producer.abort();
}

/// Issue #20: the escrow pays only a job's bound node, so a relayer working for one node works
/// the jobs bound to it and skips those bound to another node or to none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_only_the_jobs_bound_to_its_node() {
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let (mine, other) = (h.node.clone(), Some(h.other_node.clone()));
    for (id, node) in [("other", other), ("mine", mine), ("unbound", None)] {
        h.create_job_for(id, "bc_logreg", b"[1.0, 2.0]", node).await;
    }
    h.produce_block().await;
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 1).await;
    // A few more rounds: nothing else is ever queued.
    for _ in 0..5 {
        r.step().await.unwrap();
    }
    let accepted = h.accepted().await;
    assert_eq!(
        accepted.into_keys().collect::<Vec<_>>(),
        vec![h.job_id("mine")]
    );
    assert_eq!(h.committed_in_store(), 1);
    producer.abort();
}

/// Issue #27: a block whose results never decode (a poison block) kept the relayer at that height
/// for good. It is retried a few polls, then skipped loudly (`blocks_skipped_total`), and the
/// jobs of later blocks are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_block_is_skipped_after_retries() {
    let mut h = Harness::new(1).await;
    h.create_job("bc_logreg", b"[1.0, 2.0]").await;
    let poison = h.produce_block().await;
    h.endpoints[0].set_undecodable(poison);
    h.create_job("bc_logreg", b"[3.0, 4.0]").await;
    h.produce_block().await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 1).await;
    let accepted = h.accepted().await;
    assert_eq!(
        accepted.into_keys().collect::<Vec<_>>(),
        vec![h.job_id("job-1")]
    );
    let skipped = h.metrics.blocks_skipped.with_label_values(&[CHAIN]).get();
    assert_eq!(skipped, 1);
    assert!(
        h.metrics.rpc_errors.with_label_values(&[CHAIN]).get()
            >= u64::from(bithive_relayer::pipeline::UNDECODABLE_RETRIES - 1)
    );
    producer.abort();
}

/// Seen on wasmd: the tip's block results are missing for a moment after the block is stored.
/// That is no error (no warning, no `rpc_errors`): the tip is read again next round and its job
/// is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_missing_at_the_tip_are_read_next_round() {
    let mut h = Harness::new(1).await;
    h.create_job("bc_logreg", b"[1.0, 2.0]").await;
    h.produce_block().await;
    h.endpoints[0].set_results_lag(true);
    let mut r = h.relayer(10, None);
    for _ in 0..3 {
        r.step().await.unwrap();
    }
    assert_eq!(h.committed_in_store(), 0);
    assert_eq!(h.metrics.rpc_errors.with_label_values(&[CHAIN]).get(), 0);
    h.endpoints[0].set_results_lag(false);
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    h.until_committed(&mut r, 1).await;
    assert_eq!(h.metrics.rpc_errors.with_label_values(&[CHAIN]).get(), 0);
    producer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_and_operator_endpoints() {
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    h.create_jobs(2).await;
    let r = h.relayer(5, None);
    let health = r.health.clone();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(r.run(rx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let view = std::sync::Arc::new(bithive_relayer::http::HealthView {
        chains: vec![(CHAIN.to_string(), health, 10)],
    });
    let server = tokio::spawn(bithive_relayer::http::serve(
        listener,
        Default::default(),
        h.metrics.clone(),
        view,
        None,
    ));
    let start = std::time::Instant::now();
    while h.committed_in_store() < 2 {
        assert!(start.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let get = |path: &'static str| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    let health = get("/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // The gauges are refreshed at the end of each round, after the commit the loop above saw:
    // read until they show it (a wallet balance read that fails is tried again next round).
    let expected = [
        "bithive_relayer_jobs{state=\"committed\"} 2",
        "bithive_relayer_tx_confirm_seconds_count",
        "bithive_relayer_wallet_balance",
    ];
    let start = std::time::Instant::now();
    let metrics = loop {
        let metrics = get("/metrics").await;
        if expected.iter().all(|e| metrics.contains(e)) || start.elapsed() > Duration::from_secs(30)
        {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for e in expected {
        assert!(metrics.contains(e), "{e} not in {metrics}");
    }
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    server.abort();
    producer.abort();
    h.create_jobs(1).await; // nothing runs any more: the queue is as the shutdown left it
}

/// A broadcast of attestations whose answer is lost after the node took it, and a node that
/// answers from behind the tip after a failover: each job is attested once, none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_broadcast_answer_and_a_node_behind_the_tip_lose_and_repeat_nothing() {
    let mut h = Harness::new(2).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(3).await;
    // The first attestation tx reaches the node, its answer does not.
    h.endpoints[0].inject(Method::Broadcast, 0, Fault::DropAnswer);
    h.until_settled(&mut r, 3).await;
    let logs: Vec<_> = h.endpoints.iter().map(|e| e.rejection_logs()).collect();
    assert_eq!(h.duplicates(), 0, "{logs:?}");
    // The second endpoint's node is 3 blocks behind; the first goes down: the relayer reads
    // from the one behind, whose tip is below what it has read, and waits for it.
    h.endpoints[1].set_behind(3);
    h.endpoints[0].set_down(true);
    h.create_jobs(3).await;
    for _ in 0..20 {
        r.step().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.endpoints[1].set_behind(0);
    h.until_settled(&mut r, 6).await;
    let accepted = h.accepted().await;
    assert!(accepted.values().all(|&n| n == 1));
    assert_eq!(h.duplicates(), 0);
    producer.abort();
}
