//! The chat core without a network: payloads carried by hand, in order and out of order.

use std::collections::{BTreeMap, VecDeque};

use bithive_bitchat::chat::{ChatCore, ConversationId, Event, Outgoing, WANTED_TTL_SECS};
use bithive_bitchat::AccountId;

fn secret(i: u8) -> [u8; 32] {
    let mut s = [0x33u8; 32];
    s[31] = i + 1;
    s
}

struct World {
    cores: BTreeMap<AccountId, ChatCore>,
    wire: VecDeque<(AccountId, Outgoing)>,
    events: BTreeMap<AccountId, Vec<Event>>,
}

impl World {
    fn new(n: u8) -> (Self, Vec<AccountId>) {
        let mut cores = BTreeMap::new();
        let mut ids = Vec::new();
        for i in 0..n {
            let c = ChatCore::open(None, &secret(i)).unwrap();
            ids.push(c.account());
            cores.insert(c.account(), c);
        }
        (
            Self {
                cores,
                wire: VecDeque::new(),
                events: BTreeMap::new(),
            },
            ids,
        )
    }
    fn core(&mut self, a: AccountId) -> &mut ChatCore {
        self.cores.get_mut(&a).unwrap()
    }
    fn post(&mut self, from: AccountId, out: Vec<Outgoing>) {
        self.wire.extend(out.into_iter().map(|o| (from, o)));
    }
    /// Delivers everything, `reverse` = newest first (cross-sender reordering).
    fn run(&mut self, reverse: bool) {
        while let Some((from, o)) = if reverse {
            self.wire.pop_back()
        } else {
            self.wire.pop_front()
        } {
            let (ev, out) = self.core(o.to).handle(from, &o.payload, 100);
            self.events.entry(o.to).or_default().extend(ev);
            self.post(o.to, out);
        }
    }
    /// Each of `members` becomes `admin`'s contact, then joins `admin`'s new group.
    fn group(&mut self, admin: AccountId, members: &[AccountId]) -> ConversationId {
        for m in members {
            self.connect(*m, admin);
        }
        let (g, out) = self.core(admin).create_group(members, 100).unwrap();
        self.post(admin, out);
        self.run(false);
        g
    }
    fn take(&mut self, a: AccountId) -> Vec<Event> {
        self.events.remove(&a).unwrap_or_default()
    }
    fn connect(&mut self, a: AccountId, b: AccountId) -> ConversationId {
        let o = self.core(a).request_contact(b).unwrap();
        self.post(a, vec![o]);
        self.run(false);
        assert_eq!(self.take(b), vec![Event::ContactRequest { from: a }]);
        let (c, out) = self.core(b).accept(a).unwrap();
        self.post(b, out);
        self.run(false);
        assert!(
            matches!(&self.take(a)[..], [Event::Joined { conversation, .. }] if *conversation == c)
        );
        c
    }
}

fn messages(ev: &[Event]) -> Vec<(AccountId, Vec<u8>)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Message { from, body, .. } => Some((*from, body.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn contact_request_then_one_to_one() {
    let (mut w, ids) = World::new(2);
    let (a, b) = (ids[0], ids[1]);
    let c = w.connect(a, b);
    assert_eq!(c.admin(), Some(b.0));
    let out = w.core(a).send(&c, b"hi b", 101).unwrap();
    w.post(a, out);
    w.run(false);
    assert_eq!(messages(&w.take(b)), vec![(a, b"hi b".to_vec())]);
    assert_eq!(w.core(a).history(&c).len(), 1);
    assert_eq!(w.core(b).history(&c)[0].body, b"hi b");
    assert_eq!(w.core(a).contacts(), vec![b]);
}

#[test]
fn group_built_from_contacts_reaches_everyone_even_reordered() {
    let (mut w, ids) = World::new(6);
    let admin = ids[0];
    let g = w.group(admin, &ids[1..]);
    for m in &ids[1..] {
        assert!(w
            .take(*m)
            .iter()
            .any(|e| matches!(e, Event::Joined { conversation, .. } if *conversation == g)));
    }
    assert_eq!(w.core(admin).members(&g).unwrap().len(), 6);

    // Member 3 speaks; the admin removes member 5 and speaks; all delivered newest first, so
    // some members see the admin's message before the commit it needs: parked, then opened.
    let out = w.core(ids[3]).send(&g, b"from 3", 101).unwrap();
    w.post(ids[3], out);
    let out = w.core(admin).remove(&g, &[ids[5]]).unwrap();
    w.post(admin, out);
    let out = w.core(admin).send(&g, b"after removing 5", 102).unwrap();
    w.post(admin, out);
    w.run(true);
    for m in [ids[1], ids[2], ids[4]] {
        let ev = w.take(m);
        let got = messages(&ev);
        assert!(got.contains(&(ids[3], b"from 3".to_vec())), "{m}: {ev:?}");
        assert!(
            got.contains(&(admin, b"after removing 5".to_vec())),
            "{m}: {ev:?}"
        );
    }
    let ev5 = w.take(ids[5]);
    assert!(
        ev5.contains(&Event::RemovedFrom {
            conversation: g.clone()
        }),
        "{ev5:?}"
    );
    assert!(!messages(&ev5).iter().any(|(_, b)| b == b"after removing 5"));
}

#[test]
fn strangers_get_nothing_and_requests_are_bounded() {
    let (mut w, ids) = World::new(3);
    let (a, b, mallory) = (ids[0], ids[1], ids[2]);
    w.connect(a, b);
    // A key package request from a stranger: refused, nothing sent back.
    let (ev, out) = w.core(a).handle(mallory, &[2], 100);
    assert!(out.is_empty());
    assert!(matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("not a contact")));
    // A contact request carrying someone else's key package.
    let stolen = w.core(b).request_contact(a).unwrap().payload;
    let (ev, _) = w.core(a).handle(mallory, &stolen, 100);
    assert!(
        matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("another account")),
        "{ev:?}"
    );
    // Junk of every kind: refused with a reason, the core still works.
    for junk in [&[][..], &[9, 9], &[4], &[4, 0, 1, 2], &[1, 0xff]] {
        let (ev, out) = w.core(a).handle(mallory, junk, 100);
        assert!(
            out.is_empty() && matches!(&ev[..], [Event::Refused { .. }]),
            "{junk:?}: {ev:?}"
        );
    }
    // A flood of requests from one sender holds one pending entry.
    for _ in 0..5 {
        let o = w.core(mallory).request_contact(a).unwrap();
        w.core(a).handle(mallory, &o.payload, 100);
    }
    assert_eq!(w.core(a).pending_requests(), vec![mallory]);
    w.core(a).decline(mallory).unwrap();
    assert!(w.core(a).pending_requests().is_empty());
}

#[test]
fn welcome_from_a_non_contact_is_refused() {
    let (mut w, ids) = World::new(3);
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    // b obtains a's key package legitimately (a asked b), then c replays it in a group of
    // c's own: a never asked c, so c's welcome is refused.
    let req = w.core(a).request_contact(b).unwrap();
    let (_, _) = w.core(b).handle(a, &req.payload, 100);
    let (ev, _) = w.core(c).handle(a, &req.payload, 100);
    assert!(matches!(&ev[..], [Event::ContactRequest { .. }]));
    let (_, out) = w.core(c).accept(a).unwrap();
    let (ev, _) = w.core(a).handle(c, &out[0].payload, 100);
    assert!(
        matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("not a contact")),
        "{ev:?}"
    );
    assert!(w.core(a).conversations().is_empty());
}

#[test]
fn contacts_requests_and_history_survive_a_restart_sealed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (da, db) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&da).unwrap();
    std::fs::create_dir_all(&db).unwrap();
    let mut a = ChatCore::open(Some(&da), &secret(0)).unwrap();
    let mut b = ChatCore::open(Some(&db), &secret(1)).unwrap();
    let req = a.request_contact(b.account()).unwrap();
    b.handle(a.account(), &req.payload, 1);
    drop(b);
    let mut b = ChatCore::open(Some(&db), &secret(1)).unwrap();
    assert_eq!(b.pending_requests(), vec![a.account()]);
    let (c, out) = b.accept(a.account()).unwrap();
    a.handle(b.account(), &out[0].payload, 2);
    let m = a.send(&c, b"remember this secret line", 3).unwrap();
    b.handle(a.account(), &m[0].payload, 4);
    drop((a, b));
    let a = ChatCore::open(Some(&da), &secret(0)).unwrap();
    let b = ChatCore::open(Some(&db), &secret(1)).unwrap();
    assert_eq!(a.history(&c)[0].body, b"remember this secret line");
    assert_eq!(b.history(&c)[0].body, b"remember this secret line");
    assert_eq!(b.contacts(), vec![a.account()]);
    for d in [&da, &db] {
        for f in std::fs::read_dir(d).unwrap() {
            let f = f.unwrap();
            let raw = std::fs::read(f.path()).unwrap();
            assert!(!raw.windows(13).any(|w| w == b"remember this"));
            assert!(!raw
                .windows(26)
                .any(|w| w == hex::encode(b"remember this").as_bytes()));
            assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

#[test]
fn a_forwarded_copy_does_not_spoil_the_genuine_message() {
    let (mut w, ids) = World::new(3);
    let (admin, b, c) = (ids[0], ids[1], ids[2]);
    w.connect(b, admin);
    w.connect(c, admin);
    let (g, out) = w.core(admin).create_group(&[b, c], 100).unwrap();
    w.post(admin, out);
    w.run(false);
    let out = w.core(admin).send(&g, b"the real one", 101).unwrap();
    let to_b = out.iter().find(|o| o.to == b).unwrap().payload.clone();
    // c forwards the admin's message to b first: refused, and nothing of b's state is used up.
    let (ev, _) = w.core(b).handle(c, &to_b, 101);
    assert!(matches!(&ev[..], [Event::Refused { .. }]), "{ev:?}");
    let (ev, _) = w.core(b).handle(admin, &to_b, 101);
    assert_eq!(messages(&ev), vec![(admin, b"the real one".to_vec())]);
}

#[test]
fn a_members_new_keys_reach_everyone_through_the_admin() {
    let (mut w, ids) = World::new(4);
    let admin = ids[0];
    let g = w.group(admin, &ids[1..]);
    // Member 2 renews its keys: a proposal to the admin only; the admin forwards it and commits.
    let out = w.core(ids[2]).rekey(&g).unwrap();
    assert_eq!(out.len(), 1);
    w.post(ids[2], out);
    w.run(false);
    let out = w.core(ids[2]).send(&g, b"with fresh keys", 101).unwrap();
    w.post(ids[2], out);
    w.run(false);
    for m in [admin, ids[1], ids[3]] {
        assert!(
            messages(&w.take(m)).contains(&(ids[2], b"with fresh keys".to_vec())),
            "{m}"
        );
    }
}

#[test]
fn strangers_cannot_fill_the_waiting_room_or_the_key_store() {
    let (mut w, ids) = World::new(3);
    let (a, b, stranger) = (ids[0], ids[1], ids[2]);
    let c = w.connect(b, a);
    // Group messages for conversations a is not in and whose admin is no contact of a's: refused,
    // not kept.
    // Real MLS messages of the stranger's own conversation.
    let mut own = bithive_bitchat_mls::Conversations::open(None, &secret(2)).unwrap();
    let g = own.create().unwrap();
    for i in 0..100u8 {
        let mut payload = vec![4u8];
        payload.extend(own.send(&g, &[i; 64]).unwrap());
        let (ev, _) = w.core(a).handle(stranger, &payload, 100);
        assert!(
            matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("unknown conversation")),
            "{ev:?}"
        );
    }
    assert_eq!(w.core(a).waiting(), 0);
    // A contact asking for key packages gets a few, then no more until it uses one.
    let mut given = 0;
    for _ in 0..10 {
        let (_, out) = w.core(a).handle(b, &[2], 100);
        given += out.len();
    }
    assert_eq!(given, 4);
    let _ = c;
}

#[test]
fn a_message_waiting_for_its_commit_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, ids) = World::new(3);
    let (admin, b, c) = (ids[0], ids[1], ids[2]);
    // b keeps its state on disk.
    let disk = ChatCore::open(Some(dir.path()), &secret(1)).unwrap();
    assert_eq!(disk.account(), b);
    w.cores.insert(b, disk);
    let g = w.group(admin, &[b, c]);
    w.take(b);
    // The admin removes c and speaks; b gets the message before the commit it needs.
    let out = w.core(admin).remove(&g, &[c]).unwrap();
    w.post(admin, out);
    let out = w.core(admin).send(&g, b"after removing c", 102).unwrap();
    w.post(admin, out);
    let for_b: Vec<Outgoing> = w
        .wire
        .drain(..)
        .filter(|(_, o)| o.to == b)
        .map(|(_, o)| o)
        .collect();
    assert_eq!(for_b.len(), 2, "the commit, then the message");
    let (ev, _) = w.core(b).handle(admin, &for_b[1].payload, 102);
    assert!(messages(&ev).is_empty(), "{ev:?}");
    assert_eq!(w.core(b).waiting(), 1);
    // b's program stops (the carrier already let the payload go: parking is handling) and
    // starts again: the message still waits, and the commit opens it.
    w.cores.remove(&b);
    w.cores
        .insert(b, ChatCore::open(Some(dir.path()), &secret(1)).unwrap());
    assert_eq!(w.core(b).waiting(), 1);
    let (ev, _) = w.core(b).handle(admin, &for_b[0].payload, 102);
    assert_eq!(messages(&ev), vec![(admin, b"after removing c".to_vec())]);
    assert_eq!(w.core(b).waiting(), 0);
    // Read: it does not wait again after another restart.
    w.cores.remove(&b);
    w.cores
        .insert(b, ChatCore::open(Some(dir.path()), &secret(1)).unwrap());
    assert_eq!(w.core(b).waiting(), 0);
}

/// Carries every payload on the wire to its recipient at `now`, until none is left.
fn run_at(w: &mut World, now: u64) {
    while let Some((from, o)) = w.wire.pop_front() {
        let (ev, out) = w.core(o.to).handle(from, &o.payload, now);
        w.events.entry(o.to).or_default().extend(ev);
        w.post(o.to, out);
    }
}

#[test]
fn a_key_package_after_the_invitation_expired_is_refused_until_the_admin_asks_again() {
    let (mut w, ids) = World::new(2);
    let (admin, b) = (ids[0], ids[1]);
    w.connect(b, admin);
    let asked = 1_000;
    let (g, out) = w.core(admin).create_group(&[b], asked).unwrap();
    w.post(admin, out);
    // The request reaches b, whose key package is on its way back...
    let (from, request) = w.wire.pop_front().unwrap();
    let (_, answer) = w.core(b).handle(from, &request.payload, asked);
    w.take(admin);
    // ...and arrives one second after the invitation expired: refused, b not added.
    w.post(b, answer.clone());
    run_at(&mut w, asked + WANTED_TTL_SECS + 1);
    assert!(
        matches!(&w.take(admin)[..], [Event::Refused { from, reason }] if *from == b && reason.contains("days ago")),
        "a late key package is refused with the reason"
    );
    assert_eq!(w.core(admin).members(&g).unwrap(), vec![admin]);
    // The same answer again: nobody asked for it any more.
    w.post(b, answer);
    run_at(&mut w, asked + WANTED_TTL_SECS + 2);
    assert!(
        matches!(&w.take(admin)[..], [Event::Refused { reason, .. }] if reason.contains("nobody asked")),
    );
    // The admin asks again: b answers in time and joins.
    let now = asked + WANTED_TTL_SECS + 10;
    let out = w.core(admin).add(&g, &[b], now).unwrap();
    w.post(admin, out);
    run_at(&mut w, now + WANTED_TTL_SECS);
    let mut members = w.core(admin).members(&g).unwrap();
    members.sort();
    let mut want = vec![admin, b];
    want.sort();
    assert_eq!(members, want);
    assert!(w
        .take(b)
        .iter()
        .any(|e| matches!(e, Event::Joined { conversation, .. } if *conversation == g)));
}

#[test]
fn an_expired_invitation_is_forgotten_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = ChatCore::open(Some(dir.path()), &secret(0)).unwrap();
    let mut b = ChatCore::open(None, &secret(1)).unwrap();
    let (a_id, b_id) = (admin.account(), b.account());
    // b becomes a contact of the admin.
    let req = b.request_contact(a_id).unwrap();
    admin.handle(b_id, &req.payload, 10);
    let (_, accepted) = admin.accept(b_id).unwrap();
    for o in accepted {
        b.handle(a_id, &o.payload, 10);
    }
    let (_, out) = admin.create_group(&[b_id], 100).unwrap();
    let (_, answer) = b.handle(a_id, &out[0].payload, 100);
    drop(admin);
    let mut admin = ChatCore::open(Some(dir.path()), &secret(0)).unwrap();
    // Within the time, after the restart, the answer would be taken; after it, it is refused.
    let (ev, _) = admin.handle(b_id, &answer[0].payload, 100 + WANTED_TTL_SECS + 1);
    assert!(
        matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("days ago")),
        "{ev:?}"
    );
    drop(admin);
    let mut admin = ChatCore::open(Some(dir.path()), &secret(0)).unwrap();
    let (ev, _) = admin.handle(b_id, &answer[0].payload, 100 + WANTED_TTL_SECS + 2);
    assert!(
        matches!(&ev[..], [Event::Refused { reason, .. }] if reason.contains("nobody asked")),
        "the expiry was written: {ev:?}"
    );
}

/// A member wanted in two conversations answers the first late in the window: the admin asks
/// again for the second, and the window for that starts anew (the member's second answer, 20
/// days after the first request, is still taken).
#[test]
fn asking_again_for_the_next_conversation_restarts_its_window() {
    let (mut w, ids) = World::new(2);
    let (admin, b) = (ids[0], ids[1]);
    w.connect(b, admin);
    let t0 = 1_000;
    let (x, out) = w.core(admin).create_group(&[b], t0).unwrap();
    w.post(admin, out);
    let (y, out) = w.core(admin).create_group(&[b], t0).unwrap();
    w.post(admin, out);
    // b answers both requests at once; the answers reach the admin ten days later, then
    // another ten days later.
    let mut answers = Vec::new();
    while let Some((from, o)) = w.wire.pop_front() {
        let (_, out) = w.core(o.to).handle(from, &o.payload, t0);
        answers.extend(out);
    }
    assert_eq!(answers.len(), 2, "a key package per request");
    let ten_days = 10 * 86_400;
    let (ev, _) = w.core(admin).handle(b, &answers[0].payload, t0 + ten_days);
    assert!(
        ev.iter().all(|e| !matches!(e, Event::Refused { .. })),
        "{ev:?}"
    );
    let (ev, _) = w
        .core(admin)
        .handle(b, &answers[1].payload, t0 + 2 * ten_days);
    assert!(
        ev.iter().all(|e| !matches!(e, Event::Refused { .. })),
        "{ev:?}"
    );
    for g in [&x, &y] {
        assert!(
            w.core(admin).members(g).unwrap().contains(&b),
            "b added to {g}"
        );
    }
}
