//! Discovery, delivery and the mailbox on one machine (loopback), with an attacker speaking the
//! same protocols from a raw libp2p swarm: a record forged under another account's key and a
//! mailbox deposit in another account's name are both refused; a DHT server answering a lookup
//! with another account's genuine record is refused for the key asked; floods of deposits and
//! envelopes are held to the sender's quota while others are served, and nothing acknowledged
//! is lost; a chunk holder serving other bytes is refused, and a flood of chunk requests is told
//! to wait past its quota; a flood of relay reservations from one address is held to the
//! relay's per-address limit while a person elsewhere still reserves. The NAT traversal itself is tested across real NATs by
//! scripts/test.d/bitchat-nat.sh (network namespaces, root).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::frame::{AckStatus, Envelope, Frame};
use std::collections::BTreeSet;

use bithive_bitchat_p2p::codec::{Ack, EnvelopeCodec, PROTOCOL as ENVELOPE_PROTOCOL};
use bithive_bitchat_p2p::identity::{account_of_peer, keypair_from_secret};
use bithive_bitchat_p2p::mailbox::{MailboxCodec, PROTOCOL as MAILBOX_PROTOCOL};
use bithive_bitchat_p2p::record::{
    address_key, chain_address, record_key, sign_record, AccountRecord,
};
use bithive_bitchat_p2p::{P2pEvent, P2pNode, Path, Reachability, CHUNK_PROTOCOL, KAD_PROTOCOL};
use common::{config, taken, until, WAIT};
use futures::StreamExt;
use libp2p::kad::{
    self,
    store::{MemoryStore, RecordStore},
    Quorum,
};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm};

struct World {
    relay: P2pNode,
    relay_addr: Multiaddr,
    _dir: tempfile::TempDir,
}

async fn relay() -> World {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (relay, relay_addr) = common::public_node(1, &dir.path().join("relay")).await;
    World {
        relay,
        relay_addr,
        _dir: dir,
    }
}

/// Takes every envelope `node` receives from now on (what a test does not look at).
async fn take_everything(mut node: P2pNode) {
    while let Some(ev) = node.next_event().await {
        if let P2pEvent::Received { receipt, .. } = ev {
            receipt.taken();
        }
    }
}

/// The chain address of the account `[n; 32]`.
fn address_of(n: u8) -> [u8; 20] {
    let key = keypair_from_secret(&[n; 32]).unwrap().public();
    chain_address(&key.try_into_secp256k1().unwrap().to_bytes())
}

async fn person(w: &World, secret: u8) -> P2pNode {
    common::person(secret, &w.relay_addr).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_find_each_other_by_account_and_talk() {
    let w = relay().await;
    let mut alice = person(&w, 2).await;
    let mut bob = person(&w, 3).await;
    let rec = alice.find(bob.account()).await.unwrap();
    assert_eq!(rec.peer, bob.peer_id());
    // By chain address too (what people see of each other on chain): Bob's record is put under
    // it before the one under his id, so once he is published he is found by both.
    let by_address = alice.find_by_address(address_of(3)).await.unwrap();
    assert_eq!(
        (by_address.account, by_address.peer),
        (bob.account(), bob.peer_id())
    );
    // Carol asked not to be findable by address: by id she is, by address she is not.
    let mut c = config(false, vec![w.relay_addr.clone()]);
    c.findable_by_address = false;
    let mut carol = P2pNode::start(&[4; 32], c).await.unwrap();
    until(&mut carol, "publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    assert_eq!(
        alice.find(carol.account()).await.unwrap().peer,
        carol.peer_id()
    );
    let e = alice.find_by_address(address_of(4)).await.unwrap_err();
    assert!(e.to_string().contains("chain address"), "{e}");
    // The sender is answered once the receiver's application took the envelope (its receipt).
    let sending = {
        let h = alice.handle();
        let to = bob.account();
        tokio::spawn(async move { h.send(to, b"hello bob".to_vec()).await })
    };
    let (from, body, _) = taken(&mut bob, "message").await;
    assert_eq!(
        (from, body.as_slice()),
        (alice.account(), &b"hello bob"[..])
    );
    // A copy sent again (a hole punch closing the relayed connection under the answer) is the
    // application's to take too: Bob's takes whatever else comes.
    let (bob_h, bob_account) = (bob.handle(), bob.account());
    let bob_drain = tokio::spawn(take_everything(bob));
    assert_ne!(sending.await.unwrap().unwrap(), Path::Stored);
    // Not taken (the receiver's program dropped it, or died, before storing it): the sender is
    // told to try later, so it keeps the envelope.
    let sending = {
        let h = bob_h.clone();
        let to = alice.account();
        tokio::spawn(async move { h.send(to, b"not taken".to_vec()).await })
    };
    until(&mut alice, "the envelope not taken", |e| match e {
        P2pEvent::Received { envelope, .. } if envelope == b"not taken" => Some(()),
        _ => None,
    })
    .await;
    let e = sending.await.unwrap().unwrap_err();
    assert!(e.to_string().contains("busy"), "{e}");
    let sending = {
        let h = bob_h.clone();
        let to = alice.account();
        tokio::spawn(async move { h.send(to, b"hello alice".to_vec()).await })
    };
    until(&mut alice, "reply", |e| match e {
        P2pEvent::Received {
            envelope, receipt, ..
        } if envelope == b"hello alice" => {
            receipt.taken();
            Some(())
        }
        _ => None,
    })
    .await;
    let alice_h = alice.handle();
    let alice_drain = tokio::spawn(take_everything(alice));
    sending.await.unwrap().unwrap();
    // Chunk providers through the DHT.
    let chunk = [9u8; 32];
    bob_h.provide(chunk).await.unwrap();
    // Announcing is fire and forget in Kademlia: the server may file it a moment after Bob's
    // query ends, so Alice asks until it is there.
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let p = alice_h.providers(chunk).await.unwrap();
            if !p.is_empty() {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("Bob listed as provider");
    assert_eq!(found, vec![bob_account]);
    bob_drain.abort();
    alice_drain.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_for_someone_away_waits_at_their_relay() {
    let w = relay().await;
    let alice = person(&w, 2).await;
    let bob = person(&w, 3).await;
    let bob_account = bob.account();
    bob.shutdown().await;
    let path = alice
        .send(bob_account, b"while you were away".to_vec())
        .await
        .unwrap();
    assert_eq!(path, Path::Stored);
    // Back (events read from the start: the stored message may come before publication).
    let mut bob = P2pNode::start(&[3; 32], config(false, vec![w.relay_addr.clone()]))
        .await
        .unwrap();
    let (from, body, path) = taken(&mut bob, "stored message").await;
    assert_eq!(
        (from, body.as_slice(), path),
        (alice.account(), &b"while you were away"[..], Path::Stored)
    );
    drop(w);
}

#[derive(NetworkBehaviour)]
struct Mallory {
    kad: kad::Behaviour<MemoryStore>,
    mailbox: request_response::Behaviour<MailboxCodec>,
    chunks: request_response::Behaviour<MailboxCodec>,
    envelopes: request_response::Behaviour<EnvelopeCodec>,
}

fn mallory() -> Swarm<Mallory> {
    raw_peer(66, kad::Mode::Client)
}

/// Mallory's swarm, a DHT client or (answering others' lookups from her own store) a server.
fn mallory_in(mode: kad::Mode) -> Swarm<Mallory> {
    raw_peer(66, mode)
}

/// A raw libp2p swarm speaking BitChat's protocols with the account `[secret; 32]`.
fn raw_peer(secret: u8, mode: kad::Mode) -> Swarm<Mallory> {
    let kp = keypair_from_secret(&[secret; 32]).unwrap();
    libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_quic()
        .with_behaviour(|key| {
            let peer = key.public().to_peer_id();
            let mut kad = kad::Behaviour::with_config(
                peer,
                MemoryStore::new(peer),
                kad::Config::new(KAD_PROTOCOL),
            );
            kad.set_mode(Some(mode));
            Mallory {
                kad,
                mailbox: request_response::Behaviour::with_codec(
                    MailboxCodec,
                    [(MAILBOX_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default(),
                ),
                chunks: request_response::Behaviour::with_codec(
                    MailboxCodec,
                    [(CHUNK_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default(),
                ),
                envelopes: request_response::Behaviour::with_codec(
                    EnvelopeCodec,
                    [(ENVELOPE_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default(),
                ),
            }
        })
        .unwrap()
        .build()
}

/// Starts `m` listening on loopback; its address.
async fn listening(m: &mut Swarm<Mallory>) -> Multiaddr {
    m.listen_on("/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap())
        .unwrap();
    tokio::time::timeout(WAIT, async {
        loop {
            if let SwarmEvent::NewListenAddr { address, .. } = m.select_next_some().await {
                return address;
            }
        }
    })
    .await
    .expect("Mallory listens")
}

/// Mallory's mailbox request to the relay, and its answer.
async fn ask_mailbox(m: &mut Swarm<Mallory>, w: &World, frame: Frame, what: &str) -> Vec<Frame> {
    m.behaviour_mut().mailbox.send_request_with_addresses(
        &w.relay.peer_id(),
        frame,
        vec![w.relay_addr.clone()],
    );
    tokio::time::timeout(WAIT, async {
        loop {
            if let SwarmEvent::Behaviour(MalloryEvent::Mailbox(
                request_response::Event::Message {
                    message: request_response::Message::Response { response, .. },
                    ..
                },
            )) = m.select_next_some().await
            {
                return response;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the relay answers {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_and_deposits_in_anothers_name_are_refused() {
    let mut w = relay().await;
    let bob = person(&w, 3).await;
    let mut m = mallory();
    let relay_peer: PeerId = w.relay.peer_id();
    m.behaviour_mut()
        .kad
        .add_address(&relay_peer, w.relay_addr.clone());
    // 1. A record under Bob's key, signed by Mallory, pointing at Mallory.
    let forged = sign_record(
        &keypair_from_secret(&[66; 32]).unwrap(),
        vec!["/ip4/127.0.0.1/udp/9/quic-v1".parse().unwrap()],
    )
    .unwrap();
    m.behaviour_mut()
        .kad
        .put_record(
            kad::Record::new(record_key(&bob.account()), forged),
            Quorum::One,
        )
        .unwrap();
    // 2. Deposits for Bob: in Alice's name, and empty, both refused; the same in Mallory's own
    // name, with a body, is taken (so the refusals are about the name and the body).
    let alice_account =
        account_of_peer(&keypair_from_secret(&[2; 32]).unwrap().public().to_peer_id()).unwrap();
    let mallory_account = account_of_peer(m.local_peer_id()).unwrap();
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let deposit = |id: u8, from: [u8; 20], body: &[u8]| {
        Frame::Deliver(Envelope {
            id: [id; 16],
            from,
            to: bob.account().0,
            expires_at: in_an_hour,
            ciphertext: body.to_vec(),
        })
    };
    for (frame, want) in [
        (
            deposit(7, alice_account.0, b"it is me, alice"),
            AckStatus::Rejected,
        ),
        (deposit(8, mallory_account.0, b""), AckStatus::Rejected),
        (
            deposit(9, mallory_account.0, b"hello bob"),
            AckStatus::Stored,
        ),
    ] {
        let answer = ask_mailbox(&mut m, &w, frame, "the deposit").await;
        assert!(
            matches!(answer.as_slice(), [Frame::Ack { status, .. }] if *status == want),
            "wanted {want:?}, got {answer:?}"
        );
    }
    // 3. Mallory asks the relay for mail: Bob's envelope (just stored) is not handed to her.
    let fetched = ask_mailbox(&mut m, &w, Frame::MailboxFetch, "the fetch").await;
    assert_eq!(
        fetched,
        vec![Frame::MailboxEnd],
        "only the addressee's own mail is handed out"
    );
    let mallory_peer = *m.local_peer_id();
    // The relay refused the record (keep Mallory's swarm running meanwhile).
    let refused = tokio::time::timeout(WAIT, async {
        loop {
            tokio::select! {
                _ = m.select_next_some() => {}
                ev = w.relay.next_event() => if let Some(P2pEvent::Refused { from, reason }) = ev {
                    if from == mallory_peer && reason.contains("stored under") { return reason; }
                },
            }
        }
    })
    .await
    .expect("the relay refuses the forged record");
    assert!(refused.contains("signed by account"), "{refused}");
    // A newcomer looking Bob up still finds Bob.
    let carol = person(&w, 4).await;
    assert_eq!(carol.find(bob.account()).await.unwrap().peer, bob.peer_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dht_server_answering_with_another_accounts_genuine_record_is_refused() {
    let w = relay().await;
    let bob = person(&w, 3).await;
    // Mallory is a DHT server Alice knows. Asked for Bob (by id or by chain address), she
    // answers with her own record: genuine, signed by her, valid under her own keys, and
    // pointing at her. Whoever takes it sends Bob's mail to Mallory.
    let mut m = mallory_in(kad::Mode::Server);
    let m_addr = listening(&mut m).await;
    let mallory_peer = *m.local_peer_id();
    let hers = sign_record(
        &keypair_from_secret(&[66; 32]).unwrap(),
        vec![m_addr.clone()],
    )
    .unwrap();
    for key in [record_key(&bob.account()), address_key(&address_of(3))] {
        m.behaviour_mut()
            .kad
            .store_mut()
            .put(kad::Record::new(key, hers.clone()))
            .unwrap();
    }
    let mallory_task = tokio::spawn(async move {
        loop {
            m.select_next_some().await;
        }
    });
    let mut alice = P2pNode::start(
        &[2; 32],
        config(
            false,
            vec![
                w.relay_addr.clone(),
                m_addr.with(libp2p::multiaddr::Protocol::P2p(mallory_peer)),
            ],
        ),
    )
    .await
    .unwrap();
    until(&mut alice, "publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    // Both lookups end at Bob, and Mallory's answers are refused, each for the key asked.
    let by_id = alice.find(bob.account()).await.unwrap();
    assert_eq!((by_id.account, by_id.peer), (bob.account(), bob.peer_id()));
    let by_address = alice.find_by_address(address_of(3)).await.unwrap();
    assert_eq!(
        (by_address.account, by_address.peer),
        (bob.account(), bob.peer_id())
    );
    let mut refusals = Vec::new();
    while let Ok(Some(ev)) =
        tokio::time::timeout(Duration::from_millis(200), alice.next_event()).await
    {
        if let P2pEvent::Refused { from, reason } = ev {
            assert_eq!(from, mallory_peer, "{reason}");
            refusals.push(reason);
        }
    }
    assert!(
        refusals
            .iter()
            .any(|r| r.contains(&format!("stored under {}", bob.account()))),
        "{refusals:?}"
    );
    assert!(
        refusals.iter().any(|r| r.contains(&format!(
            "stored under chain address {}",
            hex::encode(address_of(3))
        ))),
        "{refusals:?}"
    );
    mallory_task.abort();
}

/// Requests per sender in a node's 10-second window (envelopes and mailbox requests together).
const QUOTA: usize = 128;
/// A flood: this many requests sent at once, past the quota.
const FLOOD: usize = QUOTA + 12;

fn in_an_hour() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600
}

/// Sends the requests in bursts of 50 (libp2p's request-response runs at most 100 streams at
/// once on a connection and drops what comes beyond) and collects one answer each (a failed
/// request fails the test); with the time the whole flood took.
async fn flood<Req, Resp>(
    m: &mut Swarm<Mallory>,
    send: impl Fn(&mut Mallory, Req),
    requests: Vec<Req>,
    answer: impl Fn(MalloryEvent) -> Option<Result<Resp, String>>,
) -> (Vec<Resp>, Duration) {
    let started = std::time::Instant::now();
    let mut answers = Vec::with_capacity(requests.len());
    let mut requests = requests.into_iter().peekable();
    while requests.peek().is_some() {
        let mut n = 0;
        for r in requests.by_ref().take(50) {
            send(m.behaviour_mut(), r);
            n += 1;
        }
        let burst = tokio::time::timeout(WAIT, async {
            let mut got = Vec::with_capacity(n);
            while got.len() < n {
                if let SwarmEvent::Behaviour(ev) = m.select_next_some().await {
                    match answer(ev) {
                        Some(Ok(a)) => got.push(a),
                        Some(Err(e)) => panic!("a request of the flood failed: {e}"),
                        None => {}
                    }
                }
            }
            got
        })
        .await
        .expect("every request of the flood answered");
        answers.extend(burst);
    }
    (answers, started.elapsed())
}

/// A request-response answer (or failure) of one of Mallory's behaviours.
fn response<Q, R>(ev: request_response::Event<Q, R>) -> Option<Result<R, String>> {
    match ev {
        request_response::Event::Message {
            message: request_response::Message::Response { response, .. },
            ..
        } => Some(Ok(response)),
        request_response::Event::OutboundFailure { error, .. } => Some(Err(error.to_string())),
        _ => None,
    }
}

fn mailbox_answer(ev: MalloryEvent) -> Option<Result<Vec<Frame>, String>> {
    match ev {
        MalloryEvent::Mailbox(e) => response(e),
        _ => None,
    }
}

fn envelope_answer(ev: MalloryEvent) -> Option<Result<Ack, String>> {
    match ev {
        MalloryEvent::Envelopes(e) => response(e),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_are_held_to_the_senders_quota_and_nothing_taken_is_lost() {
    let w = relay().await;
    let bob = person(&w, 3).await;
    let mut m = mallory();
    let mallory_account = account_of_peer(m.local_peer_id()).unwrap();
    let relay_peer = w.relay.peer_id();
    let relay_addr = w.relay_addr.clone();

    // 1. Deposits at the relay for Bob, in Mallory's own name (so each would be taken), in quick
    // bursts: the relay takes the quota's worth in the window and refuses the rest.
    let expires_at = in_an_hour();
    let deposits: Vec<Frame> = (0..FLOOD)
        .map(|i| {
            Frame::Deliver(Envelope {
                id: {
                    let mut id = [0xd0; 16];
                    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
                    id
                },
                from: mallory_account.0,
                to: bob.account().0,
                expires_at,
                ciphertext: format!("deposit {i}").into_bytes(),
            })
        })
        .collect();
    let (answers, took) = flood(
        &mut m,
        |b, f| {
            b.mailbox
                .send_request_with_addresses(&relay_peer, f, vec![relay_addr.clone()]);
        },
        deposits,
        mailbox_answer,
    )
    .await;
    let status: Vec<AckStatus> = answers
        .iter()
        .map(|a| match a.as_slice() {
            [Frame::Ack { status, .. }] => *status,
            other => panic!("a deposit answered with {other:?}"),
        })
        .collect();
    let stored = status.iter().filter(|s| **s == AckStatus::Stored).count();
    let rejected = status.iter().filter(|s| **s == AckStatus::Rejected).count();
    assert!(
        took < Duration::from_secs(10),
        "the flood took {took:?}, past one window"
    );
    assert_eq!((stored, rejected), (QUOTA, FLOOD - QUOTA), "{status:?}");

    // 2. Someone else's deposit is taken meanwhile: the quota is Mallory's, not the relay's.
    let mut eve = raw_peer(67, kad::Mode::Client);
    let eve_account = account_of_peer(eve.local_peer_id()).unwrap();
    let (answers, _) = flood(
        &mut eve,
        |b, f| {
            b.mailbox
                .send_request_with_addresses(&relay_peer, f, vec![relay_addr.clone()]);
        },
        vec![Frame::Deliver(Envelope {
            id: [0xee; 16],
            from: eve_account.0,
            to: bob.account().0,
            expires_at,
            ciphertext: b"hello bob, from eve".to_vec(),
        })],
        mailbox_answer,
    )
    .await;
    assert!(
        matches!(answers.as_slice(), [f] if matches!(f.as_slice(), [Frame::Ack { status: AckStatus::Stored, .. }])),
        "{answers:?}"
    );

    // 3. Envelopes straight to a public node (Dave), in quick bursts: as many are accepted as the
    // quota allows, the rest told to wait (Busy), and every one accepted reaches Dave's
    // application: an acknowledgement is never sent for an envelope that is not handed on.
    let mut dave = P2pNode::start(&[5; 32], config(true, vec![w.relay_addr.clone()]))
        .await
        .unwrap();
    let dave_addr = until(&mut dave, "Dave's listen address", |e| match e {
        P2pEvent::Listening(a) => Some(a.clone()),
        _ => None,
    })
    .await;
    let dave_peer = dave.peer_id();
    let (received_tx, mut received_rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move {
        while let Some(ev) = dave.next_event().await {
            if let P2pEvent::Received {
                from,
                envelope,
                receipt,
                ..
            } = ev
            {
                receipt.taken();
                let _ = received_tx.send((from, envelope));
            }
        }
    });
    let (acks, took) = flood(
        &mut m,
        |b, i: usize| {
            b.envelopes.send_request_with_addresses(
                &dave_peer,
                format!("envelope {i}").into_bytes(),
                vec![dave_addr.clone()],
            );
        },
        (0..FLOOD).collect(),
        envelope_answer,
    )
    .await;
    let accepted = acks.iter().filter(|a| **a == Ack::Accepted).count();
    let busy = acks.iter().filter(|a| **a == Ack::Busy).count();
    assert!(
        took < Duration::from_secs(10),
        "the flood took {took:?}, past one window"
    );
    assert_eq!((accepted, busy), (QUOTA, FLOOD - QUOTA), "{acks:?}");
    let mut got = std::collections::HashSet::new();
    while got.len() < accepted {
        let (from, body) = tokio::time::timeout(WAIT, received_rx.recv())
            .await
            .expect("each accepted envelope reaches Dave")
            .expect("Dave is up");
        assert_eq!(from, mallory_account);
        assert!(got.insert(body), "an envelope handed on twice");
    }
    // Eve, during Mallory's window, is served.
    let (acks, _) = flood(
        &mut eve,
        |b, ()| {
            b.envelopes.send_request_with_addresses(
                &dave_peer,
                b"hello dave".to_vec(),
                vec![dave_addr.clone()],
            );
        },
        vec![()],
        envelope_answer,
    )
    .await;
    assert_eq!(acks, vec![Ack::Accepted]);
    let (from, body) = tokio::time::timeout(WAIT, received_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((from, body.as_slice()), (eve_account, &b"hello dave"[..]));
    drain.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_that_are_not_accounts_are_disconnected() {
    let w = relay().await;
    // An ed25519 identity: a valid libp2p peer, not a chain account.
    let mut s = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_quic()
        .with_behaviour(|_| libp2p::ping::Behaviour::default())
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    s.dial(w.relay_addr.clone()).unwrap();
    let closed = tokio::time::timeout(WAIT, async {
        let mut established = false;
        loop {
            match s.select_next_some().await {
                SwarmEvent::ConnectionEstablished { .. } => established = true,
                SwarmEvent::ConnectionClosed { .. } => return established,
                SwarmEvent::OutgoingConnectionError { .. } => return established,
                _ => {}
            }
        }
    })
    .await
    .expect("the relay closes the connection");
    assert!(
        closed,
        "the handshake itself should succeed, then the relay hangs up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_serving_other_bytes_and_a_flood_of_chunk_requests_are_refused() {
    let w = relay().await;
    let dir = tempfile::tempdir().unwrap();
    // Bob holds a file (a public node here, so Mallory's bare swarm can dial him directly).
    let store = Arc::new(
        ChunkStore::open(
            &dir.path().join("bob"),
            AtRestKey::derive(&[3; 32], "chunks"),
        )
        .unwrap(),
    );
    let manifest = store.publish(b"a sealed file, one chunk", 1024).unwrap();
    let hash = manifest.chunks[0];
    let mut c = config(true, vec![w.relay_addr.clone()]);
    c.chunks = Some(store);
    let mut bob = P2pNode::start(&[3; 32], c).await.unwrap();
    let bob_addr = until(&mut bob, "Bob's listen address", |e| match e {
        P2pEvent::Listening(a) => Some(a.clone()),
        _ => None,
    })
    .await;
    let bob_events = tokio::spawn(async move { while bob.next_event().await.is_some() {} });
    let alice = person(&w, 2).await;
    let bob_account =
        account_of_peer(&keypair_from_secret(&[3; 32]).unwrap().public().to_peer_id()).unwrap();
    let bob_rec = alice.find(bob_account).await.unwrap();

    // 1. Mallory says she holds it, and answers with other bytes under its hash: Alice's node
    // refuses them by name and stores nothing.
    let mut m = mallory();
    let m_addr = listening(&mut m).await;
    let mallory_rec = AccountRecord {
        account: account_of_peer(m.local_peer_id()).unwrap(),
        peer: *m.local_peer_id(),
        seq: 0,
        addrs: vec![m_addr],
        noise: [0; 32],
    };
    let handle = alice.handle();
    let ask = handle.get_chunk(&mallory_rec, hash);
    tokio::pin!(ask);
    let got = tokio::time::timeout(WAIT, async {
        loop {
            tokio::select! {
                got = &mut ask => return got,
                ev = m.select_next_some() => {
                    if let SwarmEvent::Behaviour(MalloryEvent::Chunks(request_response::Event::Message {
                        message: request_response::Message::Request { channel, .. }, ..
                    })) = ev {
                        let lie = vec![Frame::ChunkData { hash, data: b"other bytes".to_vec() }];
                        let _ = m.behaviour_mut().chunks.send_response(channel, lie);
                    }
                }
            }
        }
    })
    .await
    .expect("Alice's node answers");
    let e = got.unwrap_err().to_string();
    assert!(e.contains("sent a chunk that is not"), "{e}");

    // 2. Mallory asks Bob for the chunk 300 times, in waves of 50 (request-response opens at
    // most 100 streams at once): 256 are answered (her quota per 10 s), the rest told to wait
    // (an empty answer); Bob stays up.
    let (mut served, mut busy, mut failed) = (0, 0, 0);
    for wave in 1..=6 {
        for _ in 0..50 {
            m.behaviour_mut().chunks.send_request_with_addresses(
                &bob_rec.peer,
                Frame::ChunkGet { hash },
                vec![bob_addr.clone()],
            );
        }
        tokio::time::timeout(WAIT, async {
            while served + busy + failed < wave * 50 {
                match m.select_next_some().await {
                    SwarmEvent::Behaviour(MalloryEvent::Chunks(
                        request_response::Event::Message {
                            message: request_response::Message::Response { response, .. },
                            ..
                        },
                    )) => match response.as_slice() {
                        [Frame::ChunkData { data, .. }] => {
                            assert_eq!(data.as_slice(), b"a sealed file, one chunk");
                            served += 1
                        }
                        [] => busy += 1,
                        other => panic!("Bob answered {other:?}"),
                    },
                    SwarmEvent::Behaviour(MalloryEvent::Chunks(
                        request_response::Event::OutboundFailure { .. },
                    )) => failed += 1,
                    _ => {}
                }
            }
        })
        .await
        .expect("Bob answers every request");
    }
    assert_eq!((served, busy, failed), (256, 44, 0));
    // Alice has her own quota: Bob serves her, and checks nothing she did not ask for.
    let data = alice.handle().get_chunk(&bob_rec, hash).await.unwrap();
    assert_eq!(data.as_deref(), Some(&b"a sealed file, one chunk"[..]));
    // A chunk Bob does not hold is missing, not an error.
    assert_eq!(
        alice.handle().get_chunk(&bob_rec, [0; 32]).await.unwrap(),
        None
    );
    // Mallory, asking again within the window, is still told to wait.
    m.behaviour_mut().chunks.send_request_with_addresses(
        &bob_rec.peer,
        Frame::ChunkGet { hash },
        vec![bob_addr.clone()],
    );
    let again = tokio::time::timeout(WAIT, async {
        loop {
            if let SwarmEvent::Behaviour(MalloryEvent::Chunks(request_response::Event::Message {
                message: request_response::Message::Response { response, .. },
                ..
            })) = m.select_next_some().await
            {
                return response;
            }
        }
    })
    .await
    .expect("Bob answers");
    assert!(again.is_empty(), "over her quota Mallory got {again:?}");
    bob_events.abort();
}

/// A peer that only asks relays for reservations.
#[derive(NetworkBehaviour)]
struct Squatter {
    relay_client: libp2p::relay::client::Behaviour,
}

/// Reservations granted per minute to one IP address (libp2p's relay default, which the
/// BitChat relay keeps).
const RESERVATIONS_PER_IP_MINUTE: usize = 60;

/// Whether the relay grants the squatter `[secret; 32]` a reservation.
async fn squat(secret: u8, relay: &Multiaddr) -> bool {
    use libp2p::{noise, yamux};
    let kp = keypair_from_secret(&[secret; 32]).unwrap();
    let mut s = libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_quic()
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|_, relay_client| Squatter { relay_client })
        .unwrap()
        .build();
    s.listen_on(relay.clone().with(libp2p::multiaddr::Protocol::P2pCircuit))
        .unwrap();
    tokio::time::timeout(WAIT, async {
        loop {
            match s.select_next_some().await {
                SwarmEvent::Behaviour(SquatterEvent::RelayClient(
                    libp2p::relay::client::Event::ReservationReqAccepted { .. },
                )) => return true,
                SwarmEvent::ListenerClosed { .. } | SwarmEvent::ListenerError { .. } => {
                    return false
                }
                _ => {}
            }
        }
    })
    .await
    .expect("an answer to the reservation")
}

/// Squatters on one address ask the relay for reservations past its per-address limit: the
/// limit's worth is granted, the rest refused; the relay stays up, and a person on another
/// address still reserves, publishes and is reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_reservations_is_held_to_the_per_address_limit() {
    let w = relay().await;
    let relay_addr = w.relay_addr.clone();
    let World {
        relay, _dir: dir, ..
    } = w;
    tokio::spawn(take_everything(relay));
    let squatters = RESERVATIONS_PER_IP_MINUTE + 10;
    let mut granted = 0;
    for i in 0..squatters {
        if squat(100 + i as u8, &relay_addr).await {
            granted += 1;
        }
    }
    assert_eq!(
        granted, RESERVATIONS_PER_IP_MINUTE,
        "{granted} of {squatters} reservations from one address granted"
    );
    // A person behind another address: reserved and published, and reached through the relay.
    let on = |host: u8| {
        let mut c = config(false, vec![relay_addr.clone()]);
        c.listen = vec![format!("/ip4/127.0.0.{host}/udp/0/quic-v1")
            .parse()
            .unwrap()];
        c
    };
    let mut carol = P2pNode::start(&[5; 32], on(2)).await.unwrap();
    until(&mut carol, "carol's publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    let mut dave = P2pNode::start(&[6; 32], on(3)).await.unwrap();
    until(&mut dave, "dave's publication", |e| {
        matches!(e, P2pEvent::Published { .. }).then_some(())
    })
    .await;
    let body = b"still served".to_vec();
    tokio::spawn({
        let body = body.clone();
        let to = carol.account();
        async move { dave.send(to, body).await.unwrap() }
    });
    let (_, got, _) = taken(&mut carol, "dave's envelope").await;
    assert_eq!(got, body);
    drop(dir);
}

/// AutoNAT (issue #46): a public node learns from its bootstrap node that it is reachable at
/// its own address (dialled back from a fresh port, not over the connection it already has).
/// Behind a NAT the same check answers `Private` (`scripts/test.d/bitchat-nat.sh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_node_is_told_its_bootstrap_node_can_dial_it_back() {
    let w = relay().await;
    let mut public = P2pNode::start(&[40; 32], config(true, vec![w.relay_addr.clone()]))
        .await
        .unwrap();
    let listening = until(&mut public, "listen address", |e| match e {
        P2pEvent::Listening(a) => Some(a.clone()),
        _ => None,
    })
    .await;
    let reachable = until(&mut public, "reachability", |e| match e {
        P2pEvent::Reachability(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    let Reachability::Public(at) = reachable else {
        panic!("a public node on loopback found {reachable:?}")
    };
    // The address it was dialled back at is the one it listens on (its peer id may follow).
    assert!(
        at.to_string().starts_with(&listening.to_string()),
        "dialled back at {at}, listening at {listening}"
    );
    drop(w);
}

/// Eclipse (issue #46): Mallory makes 15 DHT servers in one /24 (keys cost nothing) and, as the
/// bootstrap node a public node joins through, answers its lookups with them, hoping to fill
/// its routing table and so surround its lookups. The node dials and talks to them all, but
/// lets at most 10 of one subnet into its table; an honest server elsewhere still gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_subnets_many_dht_servers_take_at_most_their_share_of_the_routing_table() {
    let w = relay().await;
    // The honest server: the relay, on 127.0.0.1 (another /24 than Mallory's).
    let mut sybils = Vec::new();
    for i in 0..15u8 {
        let mut s = raw_peer(100 + i, kad::Mode::Server);
        s.listen_on("/ip4/127.0.9.1/udp/0/quic-v1".parse().unwrap())
            .unwrap();
        let addr = tokio::time::timeout(WAIT, async {
            loop {
                if let SwarmEvent::NewListenAddr { address, .. } = s.select_next_some().await {
                    return address;
                }
            }
        })
        .await
        .unwrap();
        sybils.push((*s.local_peer_id(), addr));
        tokio::spawn(async move {
            loop {
                s.select_next_some().await;
            }
        });
    }
    // Mallory's bootstrap server knows every Sybil, and the relay.
    let mut m = mallory_in(kad::Mode::Server);
    let m_addr = listening(&mut m).await;
    let m_peer = *m.local_peer_id();
    for (p, a) in &sybils {
        m.behaviour_mut().kad.add_address(p, a.clone());
    }
    let relay_peer = w.relay.peer_id();
    let relay_ip = w.relay_addr.clone();
    m.behaviour_mut().kad.add_address(&relay_peer, relay_ip);
    tokio::spawn(async move {
        loop {
            m.select_next_some().await;
        }
    });
    let victim = P2pNode::start(
        &[41; 32],
        config(
            true,
            vec![m_addr.with(libp2p::multiaddr::Protocol::P2p(m_peer))],
        ),
    )
    .await
    .unwrap();
    // Its bootstrap lookup reaches every Sybil (they answer it); wait for the table to settle.
    let sybil_peers: BTreeSet<PeerId> = sybils.iter().map(|(p, _)| *p).collect();
    let mut last = (0, 0);
    let mut stable = 0;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let info = victim.info().await.unwrap();
        let in_table: BTreeSet<PeerId> = info.routing.iter().map(|(p, _)| *p).collect();
        let talked = info
            .connections
            .iter()
            .filter(|(p, _)| sybil_peers.contains(p))
            .count();
        let now = (in_table.intersection(&sybil_peers).count(), talked);
        stable = if now == last { stable + 1 } else { 0 };
        last = now;
        if (stable >= 10 && in_table.contains(&relay_peer)) || std::time::Instant::now() > deadline
        {
            eprintln!(
                "routing table: {} peers, {} of them Sybils; connected to {talked} Sybils",
                in_table.len(),
                now.0
            );
            assert!(
                talked > 10,
                "the lookup reached only {talked} Sybils: the attack was not made"
            );
            assert!(now.0 <= 10, "{} Sybils of one /24 in the table", now.0);
            assert!(
                in_table.contains(&relay_peer),
                "the honest server is not in"
            );
            assert!(
                in_table.contains(&m_peer),
                "the bootstrap node is always in"
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    drop(w);
}
