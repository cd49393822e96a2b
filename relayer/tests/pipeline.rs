//! The relayer pipeline against the mock chain: crash at every job state, RPC outage,
//! failover, sequence mismatch, batching, graceful shutdown, metrics and health.
mod common;

use std::time::Duration;

use bithive_relayer::{Failpoint, RelayerError};
use common::*;

#[tokio::test]
async fn every_job_attested_once_after_a_crash_at_each_state() {
    for fp in Failpoint::ALL {
        let mut h = Harness::new(1);
        let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
        h.create_jobs(4);
        h.chain.produce_block();
        h.create_jobs(3);
        // First life: runs until the failpoint "kills" it.
        let mut r = h.relayer(3, Some(fp));
        let mut crashed = false;
        for _ in 0..500 {
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
        h.create_jobs(2);
        // Second life on the same DB.
        let mut r = h.relayer(3, None);
        let total = h.jobs_created;
        drive(&mut r, Duration::from_secs(30), || h.settled(total)).await;
        let (accepted, duplicates) = h.accepted();
        assert_eq!(accepted.len(), total, "{fp:?}");
        assert!(accepted.values().all(|&n| n == 1), "{fp:?}");
        assert_eq!(duplicates, 0, "{fp:?}: a job was posted twice");
        producer.abort();
    }
}

#[tokio::test]
async fn rpc_outage_loses_no_event() {
    let mut h = Harness::new(1);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(3);
    h.until_accepted(&mut r, 3).await;
    // The only endpoint goes away while jobs keep landing in blocks.
    h.endpoints[0].set_down(true);
    for _ in 0..5 {
        h.create_jobs(2);
        tokio::time::sleep(Duration::from_millis(25)).await;
        r.step().await.unwrap(); // errors are logged, never fatal
    }
    h.endpoints[0].set_down(false);
    h.until_settled(&mut r, 13).await;
    let (accepted, duplicates) = h.accepted();
    assert!(accepted.values().all(|&n| n == 1));
    assert_eq!(duplicates, 0);
    h.assert_metric("bithive_relayer_rpc_errors_total{chain=\"bithive-test-1\"}");
    producer.abort();
}

#[tokio::test]
async fn fails_over_between_two_endpoints() {
    let mut h = Harness::new(2);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(5, None);
    h.create_jobs(2);
    h.until_accepted(&mut r, 2).await;
    h.endpoints[0].set_down(true);
    h.create_jobs(2);
    h.until_accepted(&mut r, 4).await;
    h.endpoints[0].set_down(false);
    h.endpoints[1].set_down(true);
    h.create_jobs(2);
    h.until_settled(&mut r, 6).await;
    assert_eq!(h.accepted().1, 0);
    h.assert_metric("bithive_relayer_rpc_failovers{chain=\"bithive-test-1\"} 2");
    producer.abort();
}

#[tokio::test]
async fn recovers_when_another_process_moves_the_sequence() {
    let mut h = Harness::new(1);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(2, None);
    h.create_jobs(2);
    h.until_accepted(&mut r, 2).await;
    h.chain.bump_sequence(h.key.address(), 3);
    h.create_jobs(4);
    h.until_settled(&mut r, 6).await;
    let recoveries = r
        .client()
        .stats
        .sequence_recoveries
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(recoveries >= 1);
    producer.abort();
}

#[tokio::test]
async fn batches_attestations_per_tx() {
    let mut h = Harness::new(1);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    h.create_jobs(25);
    h.chain.produce_block();
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 25).await;
    // 25 attestations at 10 per tx: 3 txs.
    assert_eq!(
        h.chain
            .broadcasts
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    producer.abort();
}

/// Issue #20: the escrow pays only a job's bound node, so a relayer working for one node works
/// the jobs bound to it and skips those bound to another node or to none.
#[tokio::test]
async fn works_only_the_jobs_bound_to_its_node() {
    use bithive_relayer::mock_contracts::create_job_msg_for;
    let mut h = Harness::new(1);
    h.node = Some("bithive1nodea".into());
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    for (id, node) in [
        ("other", Some("bithive1nodeb")),
        ("mine", Some("bithive1nodea")),
        ("unbound", None),
    ] {
        h.chain.execute_as(
            USER,
            &escrow(),
            &create_job_msg_for(id, "bc_logreg", b"[1.0, 2.0]", node),
        );
    }
    h.chain.produce_block();
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 1).await;
    // A few more rounds: nothing else is ever queued.
    for _ in 0..5 {
        r.step().await.unwrap();
    }
    let (accepted, _) = h.accepted();
    assert_eq!(accepted.keys().collect::<Vec<_>>(), vec!["mine"]);
    assert_eq!(h.committed_in_store(), 1);
    producer.abort();
}

/// Issue #27: a block whose results never decode (a poison block) kept the relayer at that height
/// for good. It is retried a few polls, then skipped loudly (`blocks_skipped_total`), and the
/// jobs of later blocks are served.
#[tokio::test]
async fn a_poison_block_is_skipped_after_retries() {
    let mut h = Harness::new(1);
    h.create_job("bc_logreg", b"[1.0, 2.0]");
    let poison = h.chain.produce_block();
    h.endpoints[0].set_undecodable(poison);
    h.create_job("bc_logreg", b"[3.0, 4.0]");
    h.chain.produce_block();
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    let mut r = h.relayer(10, None);
    h.until_committed(&mut r, 1).await;
    let (accepted, _) = h.accepted();
    assert_eq!(accepted.keys().collect::<Vec<_>>(), vec!["job-1"]);
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
#[tokio::test]
async fn results_missing_at_the_tip_are_read_next_round() {
    let mut h = Harness::new(1);
    h.create_job("bc_logreg", b"[1.0, 2.0]");
    h.chain.produce_block();
    h.endpoints[0].set_results_lag(true);
    let mut r = h.relayer(10, None);
    for _ in 0..3 {
        r.step().await.unwrap();
    }
    assert_eq!(h.committed_in_store(), 0);
    assert_eq!(h.metrics.rpc_errors.with_label_values(&[CHAIN]).get(), 0);
    h.endpoints[0].set_results_lag(false);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    h.until_committed(&mut r, 1).await;
    assert_eq!(h.metrics.rpc_errors.with_label_values(&[CHAIN]).get(), 0);
    producer.abort();
}

#[tokio::test]
async fn graceful_shutdown_and_operator_endpoints() {
    let mut h = Harness::new(1);
    let producer = h.chain.spawn_block_producer(Duration::from_millis(10));
    h.create_jobs(2);
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
    ));
    let start = std::time::Instant::now();
    while h.committed_in_store() < 2 {
        assert!(start.elapsed() < Duration::from_secs(20));
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
    let metrics = get("/metrics").await;
    assert!(
        metrics.contains("bithive_relayer_jobs{state=\"committed\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bithive_relayer_tx_confirm_seconds_count"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bithive_relayer_wallet_balance"),
        "{metrics}"
    );
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    server.abort();
    producer.abort();
    h.create_jobs(1); // nothing runs any more: the queue is as the shutdown left it
}
