//! Messaging through the link emulator: exactly-once in-order delivery under loss, offline
//! delivery through a (restarted) relay mailbox with receipts, TTL failure, chunk transfer that
//! resumes after a peer restart, and hostile input dropped and counted.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::frame::{AckStatus, Frame};
use bithive_bitchat::node::unix_now;
use bithive_bitchat::{MessageStatus, Node, NodeIdentity, StaticAllowlist};
use bithive_linkemu::{LinkConfig, LinkEmulator};
use common::{
    assert_delivered, assert_sealed_at_rest, cfg, identity, local, lossy, register, start,
    wait_status,
};

/// The mailbox relay, node 3 (its data in `dir/relay`), registered at its address.
async fn start_relay(dir: &Path, reg: &Arc<StaticAllowlist>) -> (Node, SocketAddr) {
    let mut c = cfg(dir, "relay");
    c.relay = true;
    let relay = start(c, 3, reg).await;
    let addr = relay.local_addr().unwrap();
    register(reg, 3, Some(addr));
    (relay, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_delivery_over_lossy_link_is_exactly_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let alice_id = register(&reg, 1, None);
    let bob = start(cfg(dir.path(), "bob"), 2, &reg).await;
    // 10 ms RTT, 5 % loss each way in front of Bob.
    let emu = LinkEmulator::start(
        local(),
        bob.local_addr().unwrap(),
        lossy(0.05, 1),
        lossy(0.05, 2),
    )
    .await
    .unwrap();
    let bob_id = register(&reg, 2, Some(emu.local_addr()));
    let alice = Arc::new(start(cfg(dir.path(), "alice"), 1, &reg).await);
    register(&reg, 1, Some(alice.local_addr().unwrap()));

    // Two conversations, sends racing each other.
    let mut handles = Vec::new();
    for conv in 0..2u64 {
        let alice = alice.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..20u32 {
                let body = format!("c{conv}-m{i}");
                ids.push(
                    alice
                        .send(bob_id, conv, body.as_bytes(), Duration::from_secs(60))
                        .await
                        .unwrap(),
                );
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.extend(h.await.unwrap());
    }
    let mut got: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    for _ in 0..40 {
        let m = bob
            .recv(Duration::from_secs(20))
            .await
            .expect("message delivered");
        assert_eq!(m.from, alice_id);
        assert_eq!(
            m.seq as usize,
            got[m.conversation as usize].len(),
            "in order, no gaps"
        );
        got[m.conversation as usize].push(String::from_utf8(m.body).unwrap());
    }
    for (conv, got_conv) in got.iter().enumerate() {
        let want: Vec<String> = (0..20).map(|i| format!("c{conv}-m{i}")).collect();
        assert_eq!(got_conv, &want);
    }
    // Exactly once: nothing more arrives.
    assert!(bob.recv(Duration::from_millis(500)).await.is_none());
    assert_delivered(&alice, &ids, Duration::from_secs(10)).await;
    assert!(
        emu.stats().dropped_random > 0,
        "the link really lost packets"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_recipient_receives_from_restarted_relay_and_sender_gets_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let (relay, relay_addr) = start_relay(dir.path(), &reg).await;
    // Bob is offline: his registered address answers nothing.
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let bob_id = register(&reg, 2, Some(dead.local_addr().unwrap()));
    let emu = LinkEmulator::start(local(), relay_addr, lossy(0.03, 5), lossy(0.03, 6))
        .await
        .unwrap();
    let mut ac = cfg(dir.path(), "alice");
    ac.relays = vec![emu.local_addr()];
    let alice = start(ac, 1, &reg).await;
    let alice_id = register(&reg, 1, Some(alice.local_addr().unwrap()));

    let mut ids = Vec::new();
    for i in 0..5u32 {
        ids.push(
            alice
                .send(
                    bob_id,
                    9,
                    format!("offline {i}").as_bytes(),
                    Duration::from_secs(60),
                )
                .await
                .unwrap(),
        );
    }
    for id in &ids {
        assert_eq!(alice.status(id), Some(MessageStatus::Stored));
    }
    // The relay restarts: the mailbox is persisted.
    relay.shutdown().await;
    drop(emu);
    let (relay, relay_addr) = start_relay(dir.path(), &reg).await;
    assert_eq!(relay.metrics().mailbox_envelopes.get(), 5);

    // Bob comes online and fetches through a lossy link.
    drop(dead);
    let bob = start(cfg(dir.path(), "bob"), 2, &reg).await;
    register(&reg, 2, Some(bob.local_addr().unwrap()));
    let emu = LinkEmulator::start(local(), relay_addr, lossy(0.03, 7), lossy(0.03, 8))
        .await
        .unwrap();
    let n = bob.fetch_mailbox(emu.local_addr()).await.unwrap();
    assert_eq!(n, 5);
    for i in 0..5u64 {
        let m = bob.recv(Duration::from_secs(5)).await.unwrap();
        assert_eq!((m.from, m.conversation, m.seq), (alice_id, 9, i));
        assert_eq!(m.body, format!("offline {i}").into_bytes());
    }
    // A second fetch finds nothing (acknowledged), and nothing is delivered twice.
    assert_eq!(bob.fetch_mailbox(emu.local_addr()).await.unwrap(), 0);
    assert!(bob.recv(Duration::from_millis(300)).await.is_none());
    // Receipts travel back to Alice directly.
    assert_delivered(&alice, &ids, Duration::from_secs(10)).await;
    // The relay's mailbox, both journals, the lock files: sealed and 0600 (the relay's
    // mailbox held all five while Bob was away).
    let files = assert_sealed_at_rest(dir.path(), &[b"offline ", &alice_id.0, &bob_id.0]);
    assert!(
        files >= 6,
        "mailbox, 2 journals per node and locks: {files} files"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_message_is_reported_failed_after_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let bob_id = register(&reg, 2, Some(dead.local_addr().unwrap()));
    let alice = start(cfg(dir.path(), "alice"), 1, &reg).await;
    let id = alice
        .send(bob_id, 1, b"into the void", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(alice.status(&id), Some(MessageStatus::Pending));
    assert!(wait_status(&alice, &id, MessageStatus::Failed, Duration::from_secs(8)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_transfer_from_two_peers_resumes_after_a_peer_restart() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    for n in 1..=3 {
        register(&reg, n, None);
    }
    let data: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    // Published into the stores the nodes will open: sealed under each node's own chunk key.
    let manifest = ChunkStore::open(
        &dir.path().join("s1").join("chunks"),
        identity(1).at_rest_key("chunks"),
    )
    .unwrap()
    .publish(&data, 16 * 1024)
    .unwrap();
    ChunkStore::open(
        &dir.path().join("s2").join("chunks"),
        identity(2).at_rest_key("chunks"),
    )
    .unwrap()
    .publish(&data, 16 * 1024)
    .unwrap();
    let s1 = start(cfg(dir.path(), "s1"), 1, &reg).await;
    let leech = Arc::new(start(cfg(dir.path(), "leech"), 3, &reg).await);
    // Slow lossy link to s1 so the first fetch is still running when s1 goes down.
    let slow = LinkConfig {
        delay: Duration::from_millis(10),
        rate_bps: Some(4_000_000),
        loss: 0.02,
        seed: 3,
        ..LinkConfig::default()
    };
    let emu = LinkEmulator::start(local(), s1.local_addr().unwrap(), slow.clone(), slow)
        .await
        .unwrap();
    let first = {
        let leech = leech.clone();
        let m = manifest.clone();
        let to = emu.local_addr();
        tokio::spawn(async move { leech.fetch_chunks(&m, &[to]).await })
    };
    let t = Instant::now();
    while leech.metrics().chunks_fetched.get() < 8 && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s1.shutdown().await;
    let partial = first.await.unwrap();
    assert!(partial.is_err(), "the first fetch cannot finish without s1");
    let had = leech.metrics().chunks_fetched.get() as usize;
    assert!(had >= 8 && had < manifest.chunks.len(), "{had}");

    // s1 restarts (same data dir, new port); fetch from s1 and s2 in parallel, resuming.
    let s1 = start(cfg(dir.path(), "s1"), 1, &reg).await;
    let s2 = start(cfg(dir.path(), "s2"), 2, &reg).await;
    let report = leech
        .fetch_chunks(
            &manifest,
            &[s1.local_addr().unwrap(), s2.local_addr().unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(report.already_had + report.fetched, manifest.chunks.len());
    assert!(report.already_had >= had);
    assert!(
        s1.metrics().chunks_served.get() > 0 && s2.metrics().chunks_served.get() > 0,
        "both peers served"
    );
    assert_eq!(leech.chunks().assemble(&manifest).unwrap(), data);
    // No chunk is on any disk in clear (a 32-byte sample from every chunk).
    let samples: Vec<&[u8]> = data.chunks(16 * 1024).map(|c| &c[..32]).collect();
    assert_sealed_at_rest(dir.path(), &samples);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_is_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let (relay, relay_addr) = start_relay(dir.path(), &reg).await;
    let bob = start(cfg(dir.path(), "bob"), 2, &reg).await;
    let bob_id = register(&reg, 2, Some(bob.local_addr().unwrap()));
    let alice = start(cfg(dir.path(), "alice"), 1, &reg).await;
    let alice_id = register(&reg, 1, Some(alice.local_addr().unwrap()));

    async fn exchange(node: &Node, addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
        let (mut s, mut r) = node.raw_stream(addr).await.unwrap();
        s.write_all(bytes).await.unwrap();
        let _ = s.finish();
        r.read_to_end(1 << 20).await.unwrap_or_default()
    }
    // Malformed: unknown frame type; oversized: length prefix over the limit.
    exchange(&alice, bob.local_addr().unwrap(), &[0, 0, 0, 1, 200]).await;
    exchange(&alice, bob.local_addr().unwrap(), &[0xff, 0xff, 0xff, 0xff]).await;
    assert_eq!(bob.metrics().dropped_count("malformed"), 1);
    assert_eq!(bob.metrics().dropped_count("oversized"), 1);

    // Replay: the same envelope twice is delivered once.
    let env = alice
        .seal_envelope(bob_id, 1, 0, b"once", unix_now() + 60)
        .unwrap();
    let first = exchange(
        &alice,
        bob.local_addr().unwrap(),
        &Frame::Deliver(env.clone()).encode(),
    )
    .await;
    let again = exchange(
        &alice,
        bob.local_addr().unwrap(),
        &Frame::Deliver(env.clone()).encode(),
    )
    .await;
    assert_eq!(
        Frame::decode(&first).unwrap().0,
        Frame::Ack {
            id: env.id,
            status: AckStatus::Delivered
        }
    );
    assert_eq!(
        Frame::decode(&again).unwrap().0,
        Frame::Ack {
            id: env.id,
            status: AckStatus::Duplicate
        }
    );
    assert_eq!(
        bob.recv(Duration::from_secs(2)).await.unwrap().body,
        b"once"
    );
    assert!(bob.recv(Duration::from_millis(200)).await.is_none());
    assert_eq!(bob.metrics().dropped_count("replayed"), 1);

    // Spoofed: Bob forwards Alice's envelope to the relay in his own connection (sender
    // mismatch), and claims to be Alice in an envelope he sealed himself.
    let env2 = alice
        .seal_envelope(bob_id, 1, 1, b"x", unix_now() + 60)
        .unwrap();
    let env2_id = env2.id;
    let r = exchange(&bob, relay_addr, &Frame::Deliver(env2).encode()).await;
    assert_eq!(
        Frame::decode(&r).unwrap().0,
        Frame::Ack {
            id: env2_id,
            status: AckStatus::Rejected
        }
    );
    assert_eq!(relay.metrics().dropped_count("spoofed"), 1);
    let mut forged = bob
        .seal_envelope(alice_id, 1, 0, b"hi", unix_now() + 60)
        .unwrap();
    forged.from = bob_id.0; // unchanged sender is fine...
    forged.from = [7; 20]; // ...a rewritten one breaks the sealed header
    let forged_id = forged.id;
    let r = exchange(
        &bob,
        alice.local_addr().unwrap(),
        &Frame::Deliver(forged).encode(),
    )
    .await;
    assert_eq!(
        Frame::decode(&r).unwrap().0,
        Frame::Ack {
            id: forged_id,
            status: AckStatus::Rejected
        }
    );
    assert!(
        alice.metrics().dropped_count("undecryptable") + alice.metrics().dropped_count("spoofed")
            >= 1
    );

    // Unregistered node: authentication fails and is counted.
    let stranger = Node::start(
        cfg(dir.path(), "stranger"),
        NodeIdentity::generate().unwrap(),
        reg.clone(),
    )
    .await
    .unwrap();
    assert!(stranger
        .raw_stream(bob.local_addr().unwrap())
        .await
        .is_err());
    assert!(bob.metrics().auth_failures.get() >= 1 || stranger.metrics().auth_failures.get() >= 1);
    assert!(bob.metrics().render().contains("bitchat_dropped_total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_peer_rate_limit_drops_excess_requests() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let mut bc = cfg(dir.path(), "bob");
    bc.rate_limit = bithive_bitchat::ratelimit::RateLimit {
        per_sec: 0.5,
        burst: 3.0,
    };
    let bob = start(bc, 2, &reg).await;
    let bob_addr = bob.local_addr().unwrap();
    register(&reg, 2, Some(bob_addr));
    let alice = start(cfg(dir.path(), "alice"), 1, &reg).await;
    register(&reg, 1, Some(alice.local_addr().unwrap()));
    let mut answered = 0;
    for _ in 0..10 {
        let (mut s, mut r) = alice.raw_stream(bob_addr).await.unwrap();
        s.write_all(&Frame::ChunkGet { hash: [1; 32] }.encode())
            .await
            .ok();
        let _ = s.finish();
        if let Ok(bytes) = r.read_to_end(1 << 16).await {
            if matches!(Frame::decode(&bytes), Ok((Frame::ChunkMissing { .. }, _))) {
                answered += 1;
            }
        }
    }
    assert_eq!(answered, 3, "only the burst is served");
    assert_eq!(bob.metrics().dropped_count("rate_limited"), 7);
}
