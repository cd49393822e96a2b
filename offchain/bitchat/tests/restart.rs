//! Crash safety through the link emulator with loss: the receiver and then the sender are shut
//! down mid-conversation and restarted from their state dirs. Every message is handed to the
//! application exactly once and in order per conversation, pending messages are resent after
//! the sender's restart, and a message whose TTL passed while undeliverable is reported failed.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bithive_bitchat::{AccountId, BitChatError, MessageStatus, Node, NodeConfig, StaticAllowlist};
use bithive_linkemu::LinkEmulator;
use common::{assert_delivered, cfg_with, local, lossy, register};

fn cfg(dir: &Path, name: &str) -> NodeConfig {
    cfg_with(
        dir,
        name,
        Duration::from_millis(400),
        Duration::from_secs(2),
    )
}

async fn start(dir: &Path, name: &str, n: u8, reg: &Arc<StaticAllowlist>) -> Node {
    common::start(cfg(dir, name), n, reg).await
}

/// Bob behind a lossy emulator, registered at the emulator's address.
async fn start_bob(dir: &Path, reg: &Arc<StaticAllowlist>, seed: u64) -> (Node, LinkEmulator) {
    let bob = start(dir, "bob", 2, reg).await;
    let emu = LinkEmulator::start(
        local(),
        bob.local_addr().unwrap(),
        lossy(0.05, seed),
        lossy(0.05, seed + 1),
    )
    .await
    .unwrap();
    register(reg, 2, Some(emu.local_addr()));
    (bob, emu)
}

async fn start_alice(dir: &Path, reg: &Arc<StaticAllowlist>) -> Node {
    let alice = start(dir, "alice", 1, reg).await;
    register(reg, 1, Some(alice.local_addr().unwrap()));
    alice
}

fn body(conv: u64, i: u64) -> Vec<u8> {
    format!("c{conv}-m{i}").into_bytes()
}

/// Receive `n` messages, checking per-conversation order against everything received so far.
async fn take(bob: &Node, n: usize, got: &mut HashMap<u64, Vec<Vec<u8>>>, alice: AccountId) {
    for k in 0..n {
        let m = bob
            .recv(Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("message {k} of {n} not delivered"));
        assert_eq!(m.from, alice);
        let conv = got.entry(m.conversation).or_default();
        assert_eq!(m.seq as usize, conv.len(), "in order, no gap, no repeat");
        assert_eq!(m.body, body(m.conversation, m.seq));
        conv.push(m.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_and_receiver_restarts_keep_delivery_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let alice_id = register(&reg, 1, None);
    let (bob, emu) = start_bob(dir.path(), &reg, 10).await;
    let bob_id = bob.account_id();
    let alice = start_alice(dir.path(), &reg).await;
    let ttl = Duration::from_secs(120);
    let mut got: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();

    // Phase 1: 10 messages in each of two conversations, both online.
    let mut first = Vec::new();
    for i in 0..10u64 {
        for conv in 0..2u64 {
            first.push(alice.send(bob_id, conv, &body(conv, i), ttl).await.unwrap());
        }
    }
    assert_delivered(&alice, &first, Duration::from_secs(20)).await;
    // The application takes only 7 of the 20 before Bob goes down.
    take(&bob, 7, &mut got, alice_id).await;
    bob.shutdown().await;
    drop(emu);

    // Phase 2: Bob is down; these stay pending. One short-TTL message in conversation 2.
    let mut second = Vec::new();
    for i in 10..14u64 {
        for conv in 0..2u64 {
            let id = alice.send(bob_id, conv, &body(conv, i), ttl).await.unwrap();
            assert_eq!(alice.status(&id), Some(MessageStatus::Pending));
            second.push(id);
        }
    }
    let doomed = alice
        .send(bob_id, 2, &body(2, 0), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(alice.status(&doomed), Some(MessageStatus::Pending));
    // The sender goes down with pending messages; both stay down past the short TTL.
    alice.shutdown().await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Both restart from their state dirs.
    let (bob, _emu) = start_bob(dir.path(), &reg, 20).await;
    let alice = start_alice(dir.path(), &reg).await;
    assert_eq!(alice.status(&doomed), Some(MessageStatus::Failed));
    for id in first.iter() {
        assert_eq!(alice.status(id), Some(MessageStatus::Delivered));
    }
    // The sequence of each conversation continues after the restart.
    let mut third = Vec::new();
    for i in 14..18u64 {
        for conv in 0..2u64 {
            third.push(alice.send(bob_id, conv, &body(conv, i), ttl).await.unwrap());
        }
    }
    // 13 unread from phase 1, 8 resent pending ones, 8 new.
    take(&bob, 13 + 8 + 8, &mut got, alice_id).await;
    for conv in 0..2u64 {
        let want: Vec<Vec<u8>> = (0..18).map(|i| body(conv, i)).collect();
        assert_eq!(got[&conv], want, "conversation {conv}");
    }
    assert!(
        !got.contains_key(&2),
        "the expired message is never delivered"
    );
    // The pending messages are confirmed after the restart.
    assert_delivered(&alice, second.iter().chain(&third), Duration::from_secs(20)).await;

    // Bob restarts once more: nothing is handed over twice.
    bob.shutdown().await;
    let (bob, _emu2) = start_bob(dir.path(), &reg, 30).await;
    assert!(bob.recv(Duration::from_secs(1)).await.is_none());
    assert_eq!(alice.status(&doomed), Some(MessageStatus::Failed));
    alice.shutdown().await;
    bob.shutdown().await;
}

/// Two nodes must never write the same journals: the second start on a state dir in use fails
/// with a typed error, and succeeds once the first node has shut down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_node_on_the_same_state_dir_is_refused_until_the_first_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let first = start(dir.path(), "alice", 1, &reg).await;
    let lock = dir.path().join("alice").join("state").join("LOCK");
    match Node::start(cfg(dir.path(), "alice"), common::identity(1), reg.clone()).await {
        Err(BitChatError::StateLocked { path }) => {
            assert_eq!(path, lock);
            let msg = BitChatError::StateLocked { path }.to_string();
            assert!(msg.contains("in use by another BitChat node"), "{msg}");
        }
        Err(e) => panic!("expected StateLocked, got {e}"),
        Ok(_) => panic!("a second node opened a state dir in use"),
    }
    // Another data dir pointing at the same state dir is refused as well.
    let mut other = cfg(dir.path(), "other");
    other.state_dir = Some(dir.path().join("alice").join("state"));
    assert!(matches!(
        Node::start(other, common::identity(2), reg.clone()).await,
        Err(BitChatError::StateLocked { .. })
    ));
    first.shutdown().await;
    let second = start(dir.path(), "alice", 1, &reg).await;
    // Dropping without shutdown releases the lock too.
    drop(second);
    let third = start(dir.path(), "alice", 1, &reg).await;
    third.shutdown().await;
}
