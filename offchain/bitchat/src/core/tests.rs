//! Whole exchanges between cores, with frames carried by hand and a clock the test moves: no
//! sockets, no tasks, no sleeping.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::*;
use crate::frame::{AckStatus, Envelope, MessageId};
use crate::inbox::Inbox;
use crate::mailbox::MailboxLimits;
use crate::outbox::MessageStatus;
use crate::registry::{PeerRecord, StaticAllowlist};

const T0: u64 = 1_800_000_000;

struct Net {
    _dir: TempDir,
    registry: Arc<StaticAllowlist>,
    dir: std::path::PathBuf,
}

impl Net {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        Self {
            dir: dir.path().to_path_buf(),
            _dir: dir,
            registry: Arc::new(StaticAllowlist::new()),
        }
    }

    /// A registered node `n` with in-memory journals; a relay keeps a mailbox.
    fn node(&self, n: u8, relay: bool, rate_limit: RateLimit) -> NodeCore {
        let mut secret = [0x22u8; 32];
        secret[0] = n;
        let identity = NodeIdentity::from_secret(&secret).unwrap();
        self.registry.insert(PeerRecord::of(&identity, None));
        let home = self.dir.join(format!("n{n}"));
        let stores = Stores {
            mailbox: relay.then(|| {
                Mailbox::open(
                    &home.join("mailbox.journal"),
                    identity.at_rest_key("mailbox"),
                    MailboxLimits::default(),
                )
                .unwrap()
            }),
            chunks: ChunkStore::open(&home.join("chunks"), identity.at_rest_key("chunks")).unwrap(),
            inbox: DurableInbox::memory(Inbox::new(1000, 64)),
            outbox: Outbox::memory(),
        };
        let cfg = CoreConfig {
            relays: Vec::new(),
            rate_limit,
            receipt_ttl_secs: 3600,
        };
        NodeCore::new(cfg, identity, self.registry.clone(), stores)
    }

    fn plain(&self, n: u8) -> NodeCore {
        self.node(
            n,
            false,
            RateLimit {
                per_sec: 100.0,
                burst: 100.0,
            },
        )
    }
}

/// The single Ack of a reply.
/// `node` rejects `env` delivered by `from` and counts it dropped for `reason`.
fn assert_refused(node: &NodeCore, from: AccountId, env: Envelope, reason: &str) {
    let h = node.handle(from, Frame::Deliver(env), T0);
    assert_eq!(ack(&h).1, AckStatus::Rejected);
    assert_eq!(node.metrics().dropped_count(reason), 1);
}

fn ack(h: &Handled) -> (MessageId, AckStatus) {
    match h.reply.as_slice() {
        [Frame::Ack { id, status }] => (*id, *status),
        other => panic!("expected one ack, got {other:?}"),
    }
}

/// `from` hands outbox entry `id` straight to `to` at `now`; returns what `to` did.
fn hand_over(from: &NodeCore, to: &NodeCore, id: MessageId, now: u64) -> Handled {
    let t = from.transmit(id, now).expect("pending");
    let h = to.handle(from.account_id(), t.frame(), now);
    if let Some(status) = t.direct_outcome(to.account_id(), &h.reply) {
        from.conclude(id, status);
    }
    h
}

#[test]
fn a_message_is_delivered_once_acked_and_receipted() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let id = alice
        .submit(bob.account_id(), 7, b"hello", T0 + 60)
        .unwrap();
    assert_eq!(alice.status(&id, T0), Some(MessageStatus::Pending));

    let h = hand_over(&alice, &bob, id, T0);
    assert_eq!(ack(&h), (id, AckStatus::Delivered));
    assert_eq!(h.deliver.len(), 1);
    let d = &h.deliver[0];
    assert_eq!((d.from, d.conversation, d.seq), (alice.account_id(), 7, 0));
    assert_eq!(d.body, b"hello");
    assert_eq!(alice.status(&id, T0), Some(MessageStatus::Delivered));
    // Nothing left to send for alice; bob owes a receipt.
    assert!(alice.maintain(T0).retry.is_empty());
    let receipts = bob.maintain(T0).retry;
    assert_eq!(receipts.len(), 1);
    let h = hand_over(&bob, &alice, receipts[0], T0);
    assert_eq!(ack(&h).1, AckStatus::Delivered);
    assert!(h.deliver.is_empty(), "a receipt is not a message");
    assert_eq!(alice.metrics().receipts_received.get(), 1);
    assert!(bob.maintain(T0).retry.is_empty(), "receipt settled");
}

#[test]
fn a_replayed_envelope_is_a_duplicate_and_not_handed_over_again() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let id = alice.submit(bob.account_id(), 1, b"once", T0 + 60).unwrap();
    let frame = alice.transmit(id, T0).unwrap().frame();
    assert_eq!(
        bob.handle(alice.account_id(), frame.clone(), T0)
            .deliver
            .len(),
        1
    );
    let again = bob.handle(alice.account_id(), frame.clone(), T0 + 1);
    assert_eq!(ack(&again), (id, AckStatus::Duplicate));
    assert!(again.deliver.is_empty());
    assert_eq!(bob.metrics().dropped_count("replayed"), 1);
    // The first delivery's receipt, and one more for the duplicate (the first may have been lost
    // to a crash between the inbox's accept and the outbox's write); a further replay earns none.
    assert_eq!(bob.maintain(T0 + 1).retry.len(), 2);
    for n in 2..10 {
        bob.handle(alice.account_id(), frame.clone(), T0 + n);
    }
    assert_eq!(
        bob.maintain(T0 + 10).retry.len(),
        2,
        "replays cannot fill the outbox"
    );
}

/// The crash between the inbox's accept and the receipt's write: bob restarts with the message
/// accepted and no receipt owed; the relay (or alice) hands the envelope over again, and the
/// duplicate earns the receipt, so alice's message ends Delivered, not Failed at its expiry.
#[test]
fn a_receipt_lost_to_a_crash_is_sent_when_the_message_comes_again() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let id = alice.submit(bob.account_id(), 1, b"once", T0 + 60).unwrap();
    let frame = alice.transmit(id, T0).unwrap().frame();
    assert_eq!(
        bob.handle(alice.account_id(), frame.clone(), T0)
            .deliver
            .len(),
        1
    );
    // The crash: the receipt never reached the outbox (here: settled there, so never sent).
    let lost = bob.maintain(T0).retry;
    assert_eq!(lost.len(), 1);
    bob.outbox
        .lock()
        .unwrap()
        .set_status(&lost[0], MessageStatus::Failed);
    assert!(bob.maintain(T0).retry.is_empty());
    let again = bob.handle(alice.account_id(), frame, T0 + 1);
    assert_eq!(ack(&again), (id, AckStatus::Duplicate));
    let receipts = bob.maintain(T0 + 1).retry;
    assert_eq!(receipts.len(), 1);
    alice.conclude(id, MessageStatus::Stored);
    hand_over(&bob, &alice, receipts[0], T0 + 1);
    assert_eq!(alice.status(&id, T0 + 1), Some(MessageStatus::Delivered));
}

#[test]
fn expiry_follows_the_callers_clock() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let id = alice.submit(bob.account_id(), 1, b"late", T0 + 10).unwrap();
    let frame = alice.transmit(id, T0 + 9).unwrap().frame();
    // Arrives at its expiry: refused.
    let h = bob.handle(alice.account_id(), frame, T0 + 10);
    assert_eq!(ack(&h), (id, AckStatus::Rejected));
    assert_eq!(bob.metrics().dropped_count("expired"), 1);
    // The sender stops trying at the same instant and reports it failed.
    assert!(alice.transmit(id, T0 + 10).is_none());
    assert_eq!(alice.status(&id, T0 + 10), Some(MessageStatus::Failed));
}

#[test]
fn order_is_restored_and_a_gap_is_skipped_once_the_missing_message_expired() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let lost = alice.submit(bob.account_id(), 3, b"m0", T0 + 5).unwrap();
    let m1 = alice.submit(bob.account_id(), 3, b"m1", T0 + 100).unwrap();
    let m2 = alice.submit(bob.account_id(), 3, b"m2", T0 + 100).unwrap();
    // m2 before m1, m0 never: buffered, acknowledged, not handed over.
    for id in [m2, m1] {
        let h = hand_over(&alice, &bob, id, T0);
        assert_eq!(ack(&h).1, AckStatus::Delivered);
        assert!(h.deliver.is_empty());
    }
    assert!(bob.maintain(T0 + 5).deliver.is_empty(), "m0 may still come");
    let released = bob.maintain(T0 + 6).deliver;
    let seqs: Vec<u64> = released.iter().map(|d| d.seq).collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(alice.status(&lost, T0 + 6), Some(MessageStatus::Failed));
}

#[test]
fn a_relay_keeps_an_envelope_for_its_recipient_until_acknowledged() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let relay = net.node(
        3,
        true,
        RateLimit {
            per_sec: 100.0,
            burst: 100.0,
        },
    );
    let id = alice
        .submit(bob.account_id(), 1, b"later", T0 + 600)
        .unwrap();
    let t = alice.transmit(id, T0).unwrap();
    let h = relay.handle(alice.account_id(), t.frame(), T0);
    assert_eq!(ack(&h), (id, AckStatus::Stored));
    assert_eq!(t.relay_outcome(&h.reply), Some(MessageStatus::Stored));
    alice.conclude(id, MessageStatus::Stored);
    assert_eq!(relay.metrics().mailbox_envelopes.get(), 1);

    // Alice cannot collect bob's mail.
    let theirs = relay.handle(alice.account_id(), Frame::MailboxFetch, T0);
    assert_eq!(theirs.reply, vec![Frame::MailboxEnd]);

    let fetched = relay
        .handle(bob.account_id(), Frame::MailboxFetch, T0 + 1)
        .reply;
    assert_eq!(fetched.len(), 2);
    let (ids, deliver) = bob.mailbox_items(fetched.clone(), T0 + 1);
    assert_eq!(ids, vec![id]);
    assert_eq!(deliver.len(), 1);
    assert_eq!(deliver[0].body, b"later");
    // Fetched twice before the acknowledgement: acknowledged again, handed over once.
    let (ids_again, none) = bob.mailbox_items(fetched, T0 + 2);
    assert_eq!(ids_again, vec![id]);
    assert!(none.is_empty());

    relay.handle(bob.account_id(), Frame::MailboxAck { ids }, T0 + 2);
    assert_eq!(relay.metrics().mailbox_envelopes.get(), 0);
    let empty = relay
        .handle(bob.account_id(), Frame::MailboxFetch, T0 + 3)
        .reply;
    assert_eq!(empty, vec![Frame::MailboxEnd]);
}

#[test]
fn a_relay_refuses_a_deposit_in_another_senders_name() {
    let net = Net::new();
    let (alice, bob, mallory) = (net.plain(1), net.plain(2), net.plain(4));
    let relay = net.node(
        3,
        true,
        RateLimit {
            per_sec: 100.0,
            burst: 100.0,
        },
    );
    let env = alice
        .seal_envelope(bob.account_id(), 1, 0, b"x", T0 + 60)
        .unwrap();
    assert_refused(&relay, mallory.account_id(), env, "spoofed");
    assert_eq!(relay.metrics().mailbox_envelopes.get(), 0);
}

#[test]
fn a_node_that_is_not_a_relay_rejects_envelopes_for_others() {
    let net = Net::new();
    let (alice, bob, carol) = (net.plain(1), net.plain(2), net.plain(5));
    let env = alice
        .seal_envelope(carol.account_id(), 1, 0, b"x", T0 + 60)
        .unwrap();
    assert_refused(&bob, alice.account_id(), env, "not_relay");
}

#[test]
fn a_receipt_from_anyone_but_the_recipient_settles_nothing() {
    let net = Net::new();
    let (alice, bob, mallory) = (net.plain(1), net.plain(2), net.plain(4));
    let id = alice.submit(bob.account_id(), 1, b"x", T0 + 60).unwrap();
    // Mallory learns the id and sends alice a receipt for it.
    mallory.queue_receipt(alice.account_id(), id, T0);
    let forged = mallory.maintain(T0).retry;
    assert_eq!(forged.len(), 1);
    hand_over(&mallory, &alice, forged[0], T0);
    assert_eq!(alice.status(&id, T0), Some(MessageStatus::Pending));
}

#[test]
fn an_envelope_sealed_to_another_key_is_undecryptable() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let mut env = alice
        .seal_envelope(bob.account_id(), 1, 0, b"x", T0 + 60)
        .unwrap();
    env.ciphertext[40] ^= 1;
    assert_refused(&bob, alice.account_id(), env, "undecryptable");
}

#[test]
fn chunks_are_served_from_the_store_and_unknown_ones_reported_missing() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let hash = bob.chunks().put(b"chunk").unwrap();
    let h = bob.handle(alice.account_id(), Frame::ChunkGet { hash }, T0);
    assert_eq!(
        h.reply,
        vec![Frame::ChunkData {
            hash,
            data: b"chunk".to_vec()
        }]
    );
    let h = bob.handle(alice.account_id(), Frame::ChunkGet { hash: [9; 32] }, T0);
    assert_eq!(h.reply, vec![Frame::ChunkMissing { hash: [9; 32] }]);
}

#[test]
fn a_response_frame_sent_as_a_request_is_dropped_unanswered() {
    let net = Net::new();
    let (alice, bob) = (net.plain(1), net.plain(2));
    let h = bob.handle(alice.account_id(), Frame::MailboxEnd, T0);
    assert_eq!(h, Handled::default());
    assert_eq!(bob.metrics().dropped_count("unexpected"), 1);
}

#[test]
fn the_rate_limit_runs_on_the_callers_clock() {
    let net = Net::new();
    let alice = net.plain(1);
    let bob = net.node(
        2,
        false,
        RateLimit {
            per_sec: 2.0,
            burst: 2.0,
        },
    );
    let t = Instant::now();
    let a = alice.account_id();
    assert!(bob.admit(a, t) && bob.admit(a, t));
    assert!(!bob.admit(a, t));
    assert_eq!(bob.metrics().dropped_count("rate_limited"), 1);
    assert!(bob.admit(a, t + Duration::from_millis(500)));
}
