//! BitChat's chat over libp2p on one machine (loopback): strangers who know only each other's
//! account id find each other through the DHT, ask to talk, accept, and talk in a 1:1 and a
//! group (a removed member gets nothing more); a member who is away gets what was said from
//! the relay's mailbox when it returns (from a fresh process state: the same keys, the same
//! sealed chat files); a file offered in a conversation is fetched as chunks from the sender's
//! node and opened, an offer too large refused; payloads forged by a peer speaking the envelope
//! protocol directly are refused; every file written is 0600 and holds no message in clear.
//! Payloads to someone who cannot be found yet wait in the sender's outbox, across a restart,
//! and arrive in order, once each, when they come online. A payload the recipient's program
//! received but did not take (it crashed before storing it) comes again after its restart.
//! Across real NATs the same node is tested by scripts/test.d/bitchat-nat.sh.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::chat::file::{FileOffer, MAX_FILE};
use bithive_bitchat::chat::{
    message_digest, Carried, Carrier, ChatClient, ChatCore, ConversationId, Delivery, Event,
};
use bithive_bitchat::chunks::{ChunkStore, Manifest};
use bithive_bitchat::{AccountId, NodeIdentity};
use bithive_bitchat_p2p::chat::P2pCarrier;
use bithive_bitchat_p2p::{P2pEvent, P2pNode};
use common::{assert_sealed_at_rest, config, until, WAIT};
use libp2p::Multiaddr;
use tokio::sync::mpsc;

struct Person {
    id: AccountId,
    secret: [u8; 32],
    dir: PathBuf,
    client: Arc<ChatClient<P2pCarrier>>,
    events: mpsc::UnboundedReceiver<Event>,
    pump: tokio::task::JoinHandle<()>,
    seen: Vec<Event>,
}

impl Person {
    async fn start(n: u8, dir: &Path, bootstrap: &Multiaddr) -> Self {
        let secret = [n; 32];
        let dir = dir.join(format!("p{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cfg = config(false, vec![bootstrap.clone()]);
        cfg.chunks = Some(Arc::new(
            ChunkStore::open(&dir.join("chunks"), AtRestKey::derive(&secret, "chunks")).unwrap(),
        ));
        let node = P2pNode::start(&secret, cfg).await.unwrap();
        let id = node.account();
        let core = ChatCore::open(Some(&dir), &secret).unwrap();
        // The carrier takes the node's events at once: what the relay kept for us may come
        // before our record is published.
        let carrier = P2pCarrier::new(&secret, node, Some(&dir)).unwrap();
        let mut notices = carrier.take_notices().unwrap();
        tokio::time::timeout(WAIT, async {
            while !matches!(notices.recv().await, Some(P2pEvent::Published { .. })) {}
        })
        .await
        .expect("publication");
        let client = Arc::new(ChatClient::new(carrier, core));
        let (tx, events) = mpsc::unbounded_channel();
        let pump = {
            let client = client.clone();
            tokio::spawn(async move {
                loop {
                    for e in client.poll(Duration::from_millis(100)).await {
                        if tx.send(e).is_err() {
                            return;
                        }
                    }
                }
            })
        };
        Self {
            id,
            secret,
            dir,
            client,
            events,
            pump,
            seen: Vec::new(),
        }
    }

    /// Waits until `pred` holds for an event seen (kept across calls).
    async fn wait(&mut self, what: &str, pred: impl Fn(&Event) -> bool) {
        let t = Instant::now();
        while !self.seen.iter().any(&pred) {
            if let Ok(e) =
                tokio::time::timeout(Duration::from_millis(200), self.events.recv()).await
            {
                self.seen.push(e.expect("event stream ended"));
            }
            assert!(
                t.elapsed() < WAIT,
                "{}: no {what} within {WAIT:?}; saw {:?}",
                self.id,
                self.seen
            );
        }
    }

    async fn stop(self) -> (PathBuf, [u8; 32]) {
        self.pump.abort();
        let _ = self.pump.await;
        let client = Arc::try_unwrap(self.client).ok().expect("no other holder");
        client.shutdown().await;
        (self.dir, self.secret)
    }
}

fn message(from: AccountId, body: &'static [u8]) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Message { from: f, body: b, .. } if *f == from && b == body)
}

/// `a` asks `b` to talk, knowing only `b`'s account id; `b` accepts. The 1:1 conversation.
async fn meet(a: &mut Person, b: &mut Person) -> ConversationId {
    a.client.request_contact(b.id).await.unwrap();
    let from = a.id;
    b.wait(
        "contact request",
        |e| matches!(e, Event::ContactRequest { from: f } if *f == from),
    )
    .await;
    let (c, d) = b.client.accept(a.id).await.unwrap();
    assert!(d.failed.is_empty(), "{:?}", d.failed);
    let c2 = c.clone();
    a.wait(
        "1:1 welcome",
        move |e| matches!(e, Event::Joined { conversation, .. } if *conversation == c2),
    )
    .await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_chat_in_pairs_and_groups_through_the_dht_and_a_relay() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (boot, relay_events) = public_node(dir.path()).await;

    let mut alice = Person::start(2, dir.path(), &boot).await;
    let mut bob = Person::start(3, dir.path(), &boot).await;
    let mut carol = Person::start(4, dir.path(), &boot).await;

    // 1:1 between strangers who know only each other's account id.
    let ab = meet(&mut alice, &mut bob).await;
    let d = alice
        .client
        .send(&ab, b"hello bob, over libp2p")
        .await
        .unwrap();
    assert_eq!((d.sent(), d.delivered, d.failed.len()), (1, 1, 0));
    assert_eq!(d.summary(), "delivered to 1");
    bob.wait(
        "alice's message",
        message(alice.id, b"hello bob, over libp2p"),
    )
    .await;
    // Bob read it: Alice is told, by a receipt only she gets.
    bob.client
        .mark_read(&ab, alice.id, b"hello bob, over libp2p")
        .await
        .unwrap();
    let digest = message_digest(&ab, &alice.id, b"hello bob, over libp2p");
    let by = bob.id;
    alice
        .wait(
            "bob's read receipt",
            |e| matches!(e, Event::Read { by: b, message, .. } if *b == by && *message == digest),
        )
        .await;
    bob.client.send(&ab, b"hello alice").await.unwrap();
    alice
        .wait("bob's answer", message(bob.id, b"hello alice"))
        .await;

    // A file: sealed under a fresh key, shared as chunks, offered in the conversation; Bob
    // fetches the chunks from Alice's node by hash and opens them.
    let scan: Vec<u8> = b"CONFIDENTIAL-SCAN-"
        .iter()
        .copied()
        .cycle()
        .take(700 * 1024)
        .collect();
    let (offer, d) = alice
        .client
        .send_file(&ab, "chest x-ray.png", &scan)
        .await
        .unwrap();
    assert_eq!(d.sent(), 1);
    assert_eq!(offer.manifest.chunks.len(), 3);
    let from = alice.id;
    bob.wait(
        "the file offer",
        |e| matches!(e, Event::File { from: f, offer, .. } if *f == from && offer.name == "chest x-ray.png"),
    )
    .await;
    let got = bob.client.fetch_file(&offer, alice.id).await.unwrap();
    assert!(
        got == scan,
        "the file Bob fetched is not the one Alice sent"
    );
    // Too large to send; and an offer of a too large file, sent as a message by hand, is
    // refused by Bob with the reason (and he keeps talking).
    let e = alice
        .client
        .send_file(&ab, "huge", &vec![0u8; MAX_FILE as usize + 1])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
    let huge = FileOffer {
        name: "huge.iso".into(),
        size: MAX_FILE + 1,
        key: [0; 32],
        manifest: Manifest {
            total_len: 0,
            chunks: vec![],
        },
    };
    alice.client.send(&ab, &huge.encode()).await.unwrap();
    bob.wait(
        "a refusal of the huge offer",
        |e| matches!(e, Event::Refused { from: f, reason } if *f == from && reason.contains("at most")),
    )
    .await;

    // A group: Carol becomes Alice's contact, then Alice makes a group of the three.
    meet(&mut carol, &mut alice).await;
    let (g, _) = alice
        .client
        .create_group(&[bob.id, carol.id])
        .await
        .unwrap();
    for p in [&mut bob, &mut carol] {
        let g2 = g.clone();
        p.wait(
            "group welcome",
            move |e| matches!(e, Event::Joined { conversation, .. } if *conversation == g2),
        )
        .await;
    }
    // Once both adds are committed, everyone gets the group's messages.
    let t = Instant::now();
    while alice.client.core().await.members(&g).unwrap().len() < 3 {
        assert!(t.elapsed() < WAIT, "members never all added");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    alice.client.send(&g, b"hello group").await.unwrap();
    bob.wait("group message", message(alice.id, b"hello group"))
        .await;
    carol
        .wait("group message", message(alice.id, b"hello group"))
        .await;

    // A receipt about a conversation Carol is not in is refused with the reason.
    let forged = carol
        .client
        .core()
        .await
        .read_receipt(&ab, alice.id, b"hello bob, over libp2p")
        .unwrap();
    carol.client.dispatch(vec![forged]).await;
    let cid = carol.id;
    alice
        .wait(
            "a refusal of Carol's receipt",
            |e| matches!(e, Event::Refused { from, reason } if *from == cid && reason.contains("not in the conversation")),
        )
        .await;

    // Carol is removed: she is told, and reads nothing that follows.
    alice.client.remove(&g, &[carol.id]).await.unwrap();
    let g2 = g.clone();
    carol
        .wait(
            "removal",
            move |e| matches!(e, Event::RemovedFrom { conversation } if *conversation == g2),
        )
        .await;
    alice.client.send(&g, b"after carol left").await.unwrap();
    bob.wait(
        "message after the removal",
        message(alice.id, b"after carol left"),
    )
    .await;

    // Bob goes away; Alice writes; the relay keeps it; Bob comes back and reads it.
    let (bob_dir, bob_secret) = bob.stop().await;
    let d = alice
        .client
        .send(&ab, b"while you were away")
        .await
        .unwrap();
    assert_eq!(
        (d.sent(), d.stored),
        (1, 1),
        "left at the relay: {:?}",
        d.failed
    );
    assert_eq!(d.summary(), "waiting at a relay for 1");
    let mut bob = Person::start(bob_secret[0], bob_dir.parent().unwrap(), &boot).await;
    bob.wait(
        "the message kept by the relay",
        message(alice.id, b"while you were away"),
    )
    .await;
    // The history survived the restart, sealed.
    let history = bob.client.core().await.history(&ab);
    assert!(history.iter().any(|h| h.body == b"hello bob, over libp2p"));
    assert!(carol
        .seen
        .iter()
        .all(|e| !message(alice.id, b"after carol left")(e)));

    // Mallory speaks the envelope protocol directly: an unsealed payload, and one sealed by her
    // but carrying Alice's card. Bob refuses both, with a reason, and keeps talking.
    let mut mallory = P2pNode::start(&[9; 32], config(false, vec![boot.clone()]))
        .await
        .unwrap();
    until(&mut mallory, "publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    let mallory_id = mallory.account();
    mallory
        .send(bob.id, b"\x04plain mls? no".to_vec())
        .await
        .unwrap();
    bob.wait(
        "a refusal of Mallory's payload",
        |e| matches!(e, Event::Refused { from, .. } if *from == mallory_id),
    )
    .await;
    bob.client.send(&ab, b"still here").await.unwrap();
    alice
        .wait("bob after the attack", message(bob.id, b"still here"))
        .await;
    mallory.shutdown().await;

    let needles: [&[u8]; 6] = [
        b"CONFIDENTIAL-SCAN-",
        b"hello bob, over libp2p",
        b"hello alice",
        b"hello group",
        b"after carol left",
        b"while you were away",
    ];
    let files = assert_sealed_at_rest(dir.path(), &needles);
    assert!(files >= 4, "only {files} files written");

    for p in [alice, bob, carol] {
        p.stop().await;
    }
    relay_events.abort();
}

/// A relay (DHT server, mailbox) on loopback; its bootstrap address and the task draining its
/// events (nobody reads them: drained so its queue never fills).
async fn public_node(dir: &Path) -> (Multiaddr, tokio::task::JoinHandle<()>) {
    let mut rc = config(true, vec![]);
    rc.data_dir = Some(dir.join("relay"));
    let mut relay = P2pNode::start(&[1; 32], rc).await.unwrap();
    let addr = until(&mut relay, "listen address", |e| match e {
        P2pEvent::Listening(a) => Some(a.clone()),
        _ => None,
    })
    .await;
    let boot = addr.with(libp2p::multiaddr::Protocol::P2p(relay.peer_id()));
    (
        boot,
        tokio::spawn(async move { while relay.next_event().await.is_some() {} }),
    )
}

/// A chat carrier for the account `[n; 32]`, its state in `dir/p<n>`, once its record is
/// published; with its notices.
async fn carrier(n: u8, dir: &Path, boot: &Multiaddr) -> (P2pCarrier, mpsc::Receiver<P2pEvent>) {
    let state = dir.join(format!("p{n}"));
    std::fs::create_dir_all(&state).unwrap();
    let node = P2pNode::start(&[n; 32], config(false, vec![boot.clone()]))
        .await
        .unwrap();
    let carrier = P2pCarrier::new(&[n; 32], node, Some(&state)).unwrap();
    let mut notices = carrier.take_notices().unwrap();
    tokio::time::timeout(WAIT, async {
        while !matches!(notices.recv().await, Some(P2pEvent::Published { .. })) {}
    })
    .await
    .expect("publication");
    (carrier, notices)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_to_someone_not_found_yet_wait_in_the_outbox_across_a_restart() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (boot, relay) = public_node(dir.path()).await;
    // Dave has never been online (or has been away so long that his record left the DHT):
    // nobody can find him, and no relay knows to keep anything for him.
    let dave_id = NodeIdentity::from_secret(&[6; 32]).unwrap().account_id();
    let (alice, _) = carrier(2, dir.path(), &boot).await;
    let alice_id = alice.account_id();
    let ttl = Duration::from_secs(6 * 24 * 3600);
    let bodies: [&[u8]; 3] = [b"OUTBOX-first", b"OUTBOX-second", b"OUTBOX-third"];
    for body in bodies {
        let how = alice.send(dave_id, body, ttl).await.unwrap();
        assert_eq!(how, Delivery::Queued, "{:?}", String::from_utf8_lossy(body));
    }
    assert_eq!(alice.queued(), 3);
    // Alice's program stops (the outbox is on disk before a send returns, so a crash leaves the
    // same file) and starts again.
    Box::new(alice).shutdown().await;
    let (alice, mut alice_notices) = carrier(2, dir.path(), &boot).await;
    assert_eq!(alice.queued(), 3, "the outbox did not survive the restart");

    // Dave comes online: Alice's retries find him and hand the three over, in order, once each.
    let (dave, _) = carrier(6, dir.path(), &boot).await;
    for want in bodies {
        match dave.recv(WAIT).await {
            Some(Carried::Payload { from, body, taken }) => {
                taken.done();
                assert_eq!(from, alice_id);
                assert_eq!(
                    body,
                    want,
                    "out of order: {:?}",
                    String::from_utf8_lossy(&body)
                );
            }
            other => panic!("Dave got {other:?} instead of {want:?}"),
        }
    }
    let mut sent = 0;
    let t = Instant::now();
    while sent < 3 {
        let left = WAIT.saturating_sub(t.elapsed());
        match tokio::time::timeout(left, alice_notices.recv()).await {
            Ok(Some(P2pEvent::OutboxSent { to, .. })) if to == dave_id => sent += 1,
            Ok(Some(_)) => {}
            other => panic!("Alice was told of {sent} of 3 sent: {other:?}"),
        }
    }
    assert_eq!(alice.queued(), 0);
    // A later message goes at once, and nothing came twice.
    assert_eq!(
        alice.send(dave_id, b"OUTBOX-now", ttl).await.unwrap(),
        Delivery::Delivered
    );
    match dave.recv(WAIT).await {
        Some(Carried::Payload { body, taken, .. }) => {
            taken.done();
            assert_eq!(body, b"OUTBOX-now")
        }
        other => panic!("{other:?}"),
    }
    // Nothing twice: a copy sent again (a punch closing the relayed connection under an answer)
    // is dropped by Dave's replay filter without a word.
    assert!(dave.recv(Duration::from_secs(2)).await.is_none());

    assert!(dir.path().join("p2/outbox.journal").exists());
    assert_sealed_at_rest(dir.path(), &[b"OUTBOX-"]);
    Box::new(alice).shutdown().await;
    Box::new(dave).shutdown().await;
    relay.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_received_but_not_taken_before_a_crash_comes_again() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, relay) = public_node(dir.path()).await;
    let (alice, _) = carrier(2, dir.path(), &boot).await;
    let (dave, _) = carrier(6, dir.path(), &boot).await;
    let dave_id = dave.account_id();
    let ttl = Duration::from_secs(6 * 24 * 3600);
    // Dave's carrier keeps the payload on disk before Alice is told it arrived.
    assert_eq!(
        alice.send(dave_id, b"TAKEN-once", ttl).await.unwrap(),
        Delivery::Delivered
    );
    // Dave's program gets it and dies before its chat state is written: the hand-off is
    // dropped, not done.
    match dave.recv(WAIT).await {
        Some(Carried::Payload { body, taken, .. }) => {
            assert_eq!(body, b"TAKEN-once");
            drop(taken);
        }
        other => panic!("Dave got {other:?}"),
    }
    Box::new(dave).shutdown().await;
    // Dave starts again: the payload comes again, from his own inbox.
    let (dave, _) = carrier(6, dir.path(), &boot).await;
    match dave.recv(WAIT).await {
        Some(Carried::Payload { from, body, taken }) => {
            assert_eq!(
                (from, body.as_slice()),
                (alice.account_id(), &b"TAKEN-once"[..])
            );
            taken.done();
        }
        other => panic!("after the restart Dave got {other:?}"),
    }
    assert!(dave.recv(Duration::from_secs(1)).await.is_none());
    Box::new(dave).shutdown().await;
    // Taken: not a third time, also not after another restart.
    let (dave, _) = carrier(6, dir.path(), &boot).await;
    assert!(dave.recv(Duration::from_secs(2)).await.is_none());
    assert!(dir.path().join("p6/inbox.journal").exists());
    assert_sealed_at_rest(dir.path(), &[b"TAKEN-"]);
    Box::new(dave).shutdown().await;
    Box::new(alice).shutdown().await;
    relay.abort();
}
