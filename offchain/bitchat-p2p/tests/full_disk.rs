//! A relay whose disk is full (issue #46): it refuses deposits and says why, stays up, loses
//! nothing it had stored, and stores again once there is room; the sender is told the envelope
//! did not go, and nothing of it reaches the recipient twice.
//!
//! The disk is filled by a file-size limit on this process (offchain/bitchat/tests/disk_limit,
//! shared with the engine's full-disk test): only the relay writes files here.

mod common;
#[path = "../../bitchat/tests/disk_limit/mod.rs"]
mod disk_limit;

use bithive_bitchat_p2p::{P2pEvent, P2pNode, Path};
use common::{config, person, public_node, taken, until};
use disk_limit::{disk_freed, disk_room, fillable_disk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_a_full_disk_refuses_deposits_says_why_and_stores_again_with_room() {
    let _freed = fillable_disk();
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, relay_addr) = public_node(1, &dir.path().join("relay")).await;
    let alice = person(2, &relay_addr).await;
    let bob = person(3, &relay_addr).await;
    let bob_account = bob.account();
    bob.shutdown().await;
    let stored_first = alice
        .send(bob_account, b"before the disk filled".to_vec())
        .await
        .unwrap();
    assert_eq!(stored_first, Path::Stored);

    // The disk is full: the deposit is refused, the sender told, the relay says why.
    disk_room(0);
    let err = alice
        .send(bob_account, b"while the disk was full".to_vec())
        .await
        .expect_err("a relay with a full disk stored nothing");
    let why = until(&mut relay, "the relay's refusal", |e| match e {
        P2pEvent::Refused { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(why.contains("could not store it"), "{why}");

    // Room again: the same relay, still up, stores the next deposit.
    disk_freed();
    eprintln!("alice was told: {err}");
    let path = alice
        .send(bob_account, b"after the disk was freed".to_vec())
        .await
        .unwrap();
    assert_eq!(path, Path::Stored);

    // Bob returns and gets what was stored, once each, and nothing of the refused one.
    let mut bob = P2pNode::start(&[3; 32], config(false, vec![relay_addr.clone()]))
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let (_, body, _) = taken(&mut bob, "a stored message").await;
        got.push(String::from_utf8(body).unwrap());
    }
    got.sort();
    assert_eq!(got, ["after the disk was freed", "before the disk filled"]);
    // Nothing more comes: the refused envelope was never stored.
    let more = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        loop {
            match bob.next_event().await {
                Some(P2pEvent::Received { envelope, .. }) => return envelope,
                Some(_) => {}
                None => std::future::pending().await,
            }
        }
    })
    .await;
    assert!(more.is_err(), "a third message arrived: {more:?}");
}
