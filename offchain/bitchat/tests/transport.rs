//! The controller choice reaches quinn, and the benchmark harness moves real bytes through the
//! emulator for every controller (small and fast; the numbers come from `bitchat-bench`).

use std::time::Duration;

use bithive_bitchat::bench::{competing, single_transfer, LinkParams};
use bithive_bitchat::{endpoint, CongestionChoice, NodeCert};
use bithive_bitchat_cc::{BitChat, Phase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitchat_controller_drives_the_quinn_connection() {
    let cert = NodeCert::generate().unwrap();
    let server = endpoint(
        "127.0.0.1:0".parse().unwrap(),
        &cert,
        CongestionChoice::BitChat,
    )
    .unwrap();
    let client = endpoint(
        "127.0.0.1:0".parse().unwrap(),
        &cert,
        CongestionChoice::BitChat,
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    let srv = tokio::spawn(async move {
        let conn = server.accept().await.unwrap().await.unwrap();
        let mut r = conn.accept_uni().await.unwrap();
        r.read_to_end(usize::MAX).await.unwrap().len()
    });
    let conn = client.connect(addr, "bitchat.node").unwrap().await.unwrap();
    let mut s = conn.open_uni().await.unwrap();
    s.write_all(&vec![1u8; 2 << 20]).await.unwrap();
    s.finish().unwrap();
    assert_eq!(srv.await.unwrap(), 2 << 20);
    let cc = conn
        .congestion_state()
        .into_any()
        .downcast::<BitChat>()
        .expect("BitChat controller in use");
    let stats = cc.core().stats();
    assert!(stats.acks > 100, "{stats:?}");
    assert!(cc.core().avg_bandwidth() > 0.0);
    assert!(cc.core().window() >= 2 * 1200);
    let _ = Phase::SlowStart;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_controller_completes_a_transfer_through_a_lossy_emulated_link() {
    let link = LinkParams {
        rtt: Duration::from_millis(10),
        loss: 0.01,
        rate_bps: 50_000_000,
    };
    for cc in CongestionChoice::ALL {
        let r = single_transfer(link, cc, 256 * 1024, Duration::from_secs(30), 4)
            .await
            .unwrap();
        assert!(r.completed, "{cc}: {r:?}");
        assert_eq!(r.delivered, 256 * 1024, "{cc}");
        assert!(r.goodput_bps() > 0.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_competing_flows_both_move_data() {
    let link = LinkParams {
        rtt: Duration::from_millis(10),
        loss: 0.0,
        rate_bps: 20_000_000,
    };
    let g = competing(
        link,
        [CongestionChoice::BitChat, CongestionChoice::Cubic],
        Duration::from_millis(1500),
        Duration::from_millis(300),
        1,
    )
    .await
    .unwrap();
    assert!(g[0] > 0.0 && g[1] > 0.0, "{g:?}");
    // Together they cannot exceed the 20 Mbit/s bottleneck (plus timer slack).
    assert!(g[0] + g[1] < 30e6, "{g:?}");
}
