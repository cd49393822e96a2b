//! The relay on loopback: delay, loss and rate limit are observable end to end.

use std::time::{Duration, Instant};

use bithive_linkemu::{LinkConfig, LinkEmulator};
use tokio::net::UdpSocket;

async fn echo_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = s.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, from)) = s.recv_from(&mut buf).await {
            let _ = s.send_to(&buf[..n], from).await;
        }
    });
    (addr, h)
}

#[tokio::test]
async fn round_trip_includes_both_delays() {
    let (server, h) = echo_server().await;
    let one_way = LinkConfig {
        delay: Duration::from_millis(15),
        ..LinkConfig::default()
    };
    let emu = LinkEmulator::start(
        "127.0.0.1:0".parse().unwrap(),
        server,
        one_way.clone(),
        one_way,
    )
    .await
    .unwrap();
    let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let t = Instant::now();
    c.send_to(b"ping", emu.local_addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), c.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
    let rtt = t.elapsed();
    assert!(rtt >= Duration::from_millis(30), "{rtt:?}");
    assert!(rtt < Duration::from_millis(500), "{rtt:?}");
    emu.shutdown().await;
    h.abort();
}

#[tokio::test]
async fn loss_and_queue_drops_are_counted() {
    let (server, h) = echo_server().await;
    let up = LinkConfig {
        loss: 0.3,
        seed: 5,
        ..LinkConfig::default()
    };
    // Tiny queue at 1 Mbit/s on the way back: a burst overflows it.
    let down = LinkConfig {
        rate_bps: Some(1_000_000),
        queue_bytes: 5_000,
        ..LinkConfig::default()
    };
    let emu = LinkEmulator::start("127.0.0.1:0".parse().unwrap(), server, up, down)
        .await
        .unwrap();
    let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..200 {
        c.send_to(&[7u8; 1000], emu.local_addr()).await.unwrap();
        if i % 20 == 19 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let mut got = 0;
    let mut buf = [0u8; 2048];
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(300), c.recv_from(&mut buf)).await
    {
        got += 1;
    }
    let s = emu.stats();
    assert!(s.dropped_random > 30 && s.dropped_random < 100, "{s:?}");
    assert!(s.dropped_queue > 0, "{s:?}");
    // Every packet is accounted for: random drops on the way up, queue drops on the way back.
    assert_eq!(got as u64, 200 - s.dropped_random - s.dropped_queue);
    assert_eq!(s.forwarded, 2 * (200 - s.dropped_random) - s.dropped_queue);
    assert!(got > 0 && got < 200);
    h.abort();
}
