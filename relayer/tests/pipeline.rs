//! The relayer pipeline against the in-process devnet running the committed escrow and
//! attestation contracts: crash at every job state, RPC outage, failover, sequence mismatch,
//! batching, graceful shutdown, metrics and health. Outages are injected by `FaultyEndpoint`
//! wrappers around the devnet's real RPC.
mod common;

use std::time::Duration;

use bithive_chain_client::RpcEndpoint;
use bithive_relayer::{Failpoint, RelayerError};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_attested_once_after_a_crash_at_each_state() {
    // One deployed chain; each failpoint gets its own relayer database and its own jobs.
    let mut h = Harness::new(1).await;
    for fp in Failpoint::ALL {
        h.start_height = h.fx.gov.rpc().latest_height().await.unwrap() + 1;
        let db = h.dir.path().join(format!("{fp:?}.db"));
        let mut ids = h.create_jobs(4).await;
        ids.extend(h.create_jobs(3).await);
        // First life: runs until the failpoint "kills" it.
        let mut r = h.relayer_at(&db, 3, Some(fp));
        let mut crashed = false;
        for _ in 0..2000 {
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
        ids.extend(h.create_jobs(2).await);
        // Second life on the same DB.
        let mut r = h.relayer_at(&db, 3, None);
        let round = ids.len();
        let target = h.jobs_created;
        h.drive_until(&mut r, &db, Duration::from_secs(120), target, round)
            .await;
        let (accepted, duplicates) = h.accepted().await;
        for id in &ids {
            assert_eq!(accepted.get(id), Some(&1), "{fp:?}: {id}");
        }
        assert_eq!(accepted.len(), target, "{fp:?}");
        assert_eq!(h.committed_in(&db), round, "{fp:?}");
        assert_eq!(duplicates, 0, "{fp:?}: a job was posted twice");
    }
    h.fx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_outage_loses_no_event() {
    let mut h = Harness::new(1).await;
    let mut r = h.relayer(5, None);
    h.create_jobs(3).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 3, 3)
        .await;
    // The only endpoint goes away while jobs keep landing in blocks.
    h.endpoints[0].set_down(true);
    for _ in 0..5 {
        h.create_jobs(2).await;
        r.step().await.unwrap(); // errors are logged, never fatal
    }
    h.endpoints[0].set_down(false);
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 13, 13)
        .await;
    let (accepted, duplicates) = h.accepted().await;
    assert_eq!(accepted.len(), 13);
    assert!(accepted.values().all(|&n| n == 1));
    assert_eq!(duplicates, 0);
    let text = h.metrics.render();
    assert!(
        text.contains("bithive_relayer_rpc_errors_total{chain=\"bithive-test-1\"}"),
        "{text}"
    );
    h.fx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_between_two_endpoints() {
    let mut h = Harness::new(2).await;
    let mut r = h.relayer(5, None);
    h.create_jobs(2).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 2, 2)
        .await;
    h.endpoints[0].set_down(true);
    h.create_jobs(2).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 4, 4)
        .await;
    h.endpoints[0].set_down(false);
    h.endpoints[1].set_down(true);
    h.create_jobs(2).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 6, 6)
        .await;
    let (accepted, duplicates) = h.accepted().await;
    assert_eq!(accepted.len(), 6);
    assert_eq!(duplicates, 0);
    let text = h.metrics.render();
    assert!(
        text.contains("bithive_relayer_rpc_failovers{chain=\"bithive-test-1\"} 2"),
        "{text}"
    );
    h.fx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_when_another_process_moves_the_sequence() {
    let mut h = Harness::new(1).await;
    let mut r = h.relayer(2, None);
    h.create_jobs(2).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 2, 2)
        .await;
    // Another process signs with the operator key: the chain's sequence moves past the
    // relayer's cached one.
    let other = bithive_chain_fixture::client(&h.fx.url, CHAIN, h.key.clone()).unwrap();
    for _ in 0..3 {
        other
            .submit(vec![bank_send(&other, h.fx.node.address())], "")
            .await
            .unwrap();
    }
    h.create_jobs(4).await;
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 6, 6)
        .await;
    let recoveries = r
        .client()
        .stats
        .sequence_recoveries
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(recoveries >= 1);
    h.fx.shutdown().await;
}

/// A 1-unit bank transfer from `c`'s account.
fn bank_send(c: &bithive_chain_client::ChainClient, to: &str) -> bithive_chain_client::cosmrs::Any {
    use bithive_chain_client::cosmrs::{bank::MsgSend, tx::Msg, Coin};
    MsgSend {
        from_address: c.address().parse().unwrap(),
        to_address: to.parse().unwrap(),
        amount: vec![Coin {
            denom: bithive_chain_fixture::DENOM.parse().unwrap(),
            amount: 1,
        }],
    }
    .to_any()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_attestations_per_tx() {
    let mut h = Harness::new(1).await;
    h.create_jobs(25).await;
    let mut r = h.relayer(10, None);
    h.drive_until(&mut r, &h.db(), Duration::from_secs(60), 25, 25)
        .await;
    // 25 attestations at 10 per tx: 3 txs.
    assert_eq!(h.endpoints[0].broadcasts(), 3);
    h.fx.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_and_operator_endpoints() {
    let mut h = Harness::new(1).await;
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
        h.metrics.clone(),
        view,
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
    // Nothing runs any more: a new job stays on chain, unseen by the stopped relayer.
    h.create_jobs(1).await;
    assert_eq!(h.committed_in_store(), 2);
    h.fx.shutdown().await;
}
