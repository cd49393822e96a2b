//! Receiver side ordering: exactly-once, in order per (sender, conversation).
//!
//! Each message carries its sequence number and the expiry of the previous message of its
//! conversation: once that expiry has passed, the previous message can no longer arrive (sender
//! and mailboxes drop it), so a gap is skipped instead of blocking the conversation forever.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::at_rest::AtRestKey;
use crate::error::BitChatError;
use crate::journal::Journal;

pub use bithive_bitchat_wire::inner::Inner;

use crate::identity::AccountId;

/// A message handed to the application.
/// A message as it arrives: its sender, conversation and place in it, when the message before
/// it expires (so a gap can be skipped), and its sealed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub from: AccountId,
    pub conversation: u64,
    pub seq: u64,
    pub prev_expires_at: u64,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub from: AccountId,
    pub conversation: u64,
    pub seq: u64,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Buffered or delivered now.
    Accepted,
    /// Already seen.
    Duplicate,
    /// Too far ahead (buffer bound).
    Overflow,
}

#[derive(Debug, Default)]
struct Conversation {
    next: u64,
    buffer: BTreeMap<u64, (u64, Vec<u8>)>,
}

/// Ordering state of all conversations, with a bounded replay filter of envelope ids.
#[derive(Debug)]
pub struct Inbox {
    convs: HashMap<(AccountId, u64), Conversation>,
    seen: HashSet<[u8; 16]>,
    seen_order: VecDeque<[u8; 16]>,
    max_seen: usize,
    max_buffered: usize,
    pub gaps_skipped: u64,
}

impl Inbox {
    pub fn new(max_seen: usize, max_buffered: usize) -> Self {
        Self {
            convs: HashMap::new(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            max_seen,
            max_buffered,
            gaps_skipped: 0,
        }
    }

    /// Replay filter on envelope ids; true when `id` is new.
    pub fn first_sighting(&mut self, id: [u8; 16]) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.seen_order.push_back(id);
        if self.seen_order.len() > self.max_seen {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// What [`Inbox::offer`] would answer, without changing anything.
    pub fn check(&self, from: AccountId, conversation: u64, seq: u64) -> Accept {
        match self.convs.get(&(from, conversation)) {
            Some(c) if seq < c.next || c.buffer.contains_key(&seq) => Accept::Duplicate,
            Some(c) if c.buffer.len() >= self.max_buffered => Accept::Overflow,
            _ => Accept::Accepted,
        }
    }

    /// Restore a conversation's position (messages below `next` were delivered).
    pub fn set_next(&mut self, from: AccountId, conversation: u64, next: u64) {
        let c = self.convs.entry((from, conversation)).or_default();
        c.next = c.next.max(next);
        c.buffer.retain(|s, _| *s >= next);
    }

    /// Offer a message; returns the outcome and every message now deliverable in order.
    pub fn offer(&mut self, m: Incoming, now: u64) -> (Accept, Vec<Delivered>) {
        let Incoming {
            from,
            conversation,
            seq,
            prev_expires_at,
            body,
        } = m;
        // The last sequence number has no successor (`next` would overflow): a peer sending it
        // would crash the node (issue #27), so the sequence space ends one before it.
        if seq == u64::MAX {
            return (Accept::Overflow, Vec::new());
        }
        let conv = self.convs.entry((from, conversation)).or_default();
        if seq < conv.next || conv.buffer.contains_key(&seq) {
            return (Accept::Duplicate, Vec::new());
        }
        if conv.buffer.len() >= self.max_buffered {
            return (Accept::Overflow, Vec::new());
        }
        conv.buffer.insert(seq, (prev_expires_at, body));
        (Accept::Accepted, self.drain(from, conversation, now))
    }

    /// Release in-order messages; skip a gap whose missing message has expired.
    pub fn drain(&mut self, from: AccountId, conversation: u64, now: u64) -> Vec<Delivered> {
        let mut out = Vec::new();
        let Some(conv) = self.convs.get_mut(&(from, conversation)) else {
            return out;
        };
        while let Some((&seq, &(prev_exp, _))) = conv.buffer.iter().next() {
            if seq != conv.next {
                if prev_exp != 0 && prev_exp < now {
                    self.gaps_skipped = self
                        .gaps_skipped
                        .saturating_add(seq.saturating_sub(conv.next));
                    conv.next = seq;
                } else {
                    break;
                }
            }
            if let Some((_, body)) = conv.buffer.remove(&seq) {
                out.push(Delivered {
                    from,
                    conversation,
                    seq,
                    body,
                });
            }
            conv.next = seq + 1;
        }
        out
    }

    /// Re-check every conversation for expired gaps.
    pub fn tick(&mut self, now: u64) -> Vec<Delivered> {
        let keys: Vec<_> = self.convs.keys().copied().collect();
        keys.into_iter()
            .flat_map(|(f, c)| self.drain(f, c, now))
            .collect()
    }
}

/// Journal record of the durable inbox (JSON).
#[derive(Debug, Serialize, Deserialize)]
enum Rec {
    /// Accepted from the network, before the sender was told.
    Accept {
        id: String,
        from: String,
        conversation: u64,
        seq: u64,
        prev_expires_at: u64,
        body: String,
    },
    /// Handed to the application by `Node::recv`.
    Delivered {
        from: String,
        conversation: u64,
        seq: u64,
    },
}

const COMPACT_MIN_RECORDS: usize = 1024;

type ConvKey = (AccountId, u64);

/// The inbox plus, optionally, a journal that makes it crash-safe:
/// a message is journaled (`Accept`) before the sender gets its `Delivered` answer, and its
/// hand-over to the application is journaled (`Delivered`) when `Node::recv` returns it. After a
/// restart every accepted but not handed-over message is released again, in order, and every
/// handed-over one is refused as a duplicate: delivery to the application stays exactly-once
/// and in order per conversation across restarts.
pub struct DurableInbox {
    pub inbox: Inbox,
    journal: Option<Journal>,
    /// Per conversation: next seq not yet handed to the application.
    cursors: HashMap<ConvKey, u64>,
    /// Accepted, not yet handed over: record bytes by (conversation, seq).
    undelivered: BTreeMap<(ConvKey, u64), Vec<u8>>,
}

fn account(s: &str) -> Option<AccountId> {
    Some(AccountId(hex::decode(s).ok()?.try_into().ok()?))
}

fn encode(r: &Rec) -> Result<Vec<u8>, BitChatError> {
    serde_json::to_vec(r).map_err(|e| BitChatError::Journal(e.to_string()))
}

impl DurableInbox {
    pub fn memory(inbox: Inbox) -> Self {
        Self {
            inbox,
            journal: None,
            cursors: HashMap::new(),
            undelivered: BTreeMap::new(),
        }
    }

    /// Open the journal and rebuild; returns the messages ready for the application now.
    pub fn open(
        path: &Path,
        key: AtRestKey,
        inbox: Inbox,
        now: u64,
    ) -> Result<(Self, Vec<Delivered>), BitChatError> {
        let (journal, rec) = Journal::open(path, key)?;
        let mut me = Self::memory(inbox);
        for bytes in rec.records {
            match serde_json::from_slice::<Rec>(&bytes) {
                Ok(Rec::Accept {
                    from,
                    conversation,
                    seq,
                    ..
                }) => {
                    if let Some(from) = account(&from) {
                        me.undelivered.insert(((from, conversation), seq), bytes);
                    }
                }
                Ok(Rec::Delivered {
                    from,
                    conversation,
                    seq,
                }) => {
                    if let Some(from) = account(&from) {
                        me.mark_delivered((from, conversation), seq);
                    }
                }
                Err(e) => tracing::warn!("inbox journal: skipping undecodable record: {e}"),
            }
        }
        for (&(from, conv), &next) in &me.cursors {
            me.inbox.set_next(from, conv, next);
        }
        let mut ready = Vec::new();
        for bytes in me.undelivered.values() {
            if let Ok(Rec::Accept {
                id,
                from,
                conversation,
                seq,
                prev_expires_at,
                body,
            }) = serde_json::from_slice::<Rec>(bytes)
            {
                let (Some(from), Some(body)) = (account(&from), hex::decode(body).ok()) else {
                    continue;
                };
                if let Some(id) = hex::decode(id).ok().and_then(|v| v.try_into().ok()) {
                    me.inbox.first_sighting(id);
                }
                let m = Incoming {
                    from,
                    conversation,
                    seq,
                    prev_expires_at,
                    body,
                };
                let (_, r) = me.inbox.offer(m, now);
                ready.extend(r);
            }
        }
        me.journal = Some(journal);
        Ok((me, ready))
    }

    fn mark_delivered(&mut self, key: ConvKey, seq: u64) {
        let c = self.cursors.entry(key).or_insert(0);
        *c = (*c).max(seq + 1);
        let next = *c;
        let done: Vec<_> = self
            .undelivered
            .range((key, 0)..(key, next))
            .map(|(k, _)| *k)
            .collect();
        for k in done {
            self.undelivered.remove(&k);
        }
    }

    /// Accept a message durably; returns the outcome and the messages now in order.
    /// Nothing changes when the journal write fails (the sender will retry).
    pub fn accept(
        &mut self,
        id: [u8; 16],
        m: Incoming,
        now: u64,
    ) -> Result<(Accept, Vec<Delivered>), BitChatError> {
        if self.inbox.seen.contains(&id) {
            return Ok((Accept::Duplicate, Vec::new()));
        }
        let verdict = self.inbox.check(m.from, m.conversation, m.seq);
        if verdict != Accept::Accepted {
            return Ok((verdict, Vec::new()));
        }
        if let Some(j) = &mut self.journal {
            let rec = encode(&Rec::Accept {
                id: hex::encode(id),
                from: hex::encode(m.from.0),
                conversation: m.conversation,
                seq: m.seq,
                prev_expires_at: m.prev_expires_at,
                body: hex::encode(&m.body),
            })?;
            j.append(&rec)?;
            self.undelivered
                .insert(((m.from, m.conversation), m.seq), rec);
        }
        self.inbox.first_sighting(id);
        Ok(self.inbox.offer(m, now))
    }

    /// The application took `d`: journal it so a restart does not hand it over again.
    pub fn handed_over(&mut self, d: &Delivered) -> Result<(), BitChatError> {
        let key = (d.from, d.conversation);
        if let Some(j) = &mut self.journal {
            j.append(&encode(&Rec::Delivered {
                from: hex::encode(d.from.0),
                conversation: d.conversation,
                seq: d.seq,
            })?)?;
            self.mark_delivered(key, d.seq);
        }
        Ok(())
    }

    /// Rewrite the journal when mostly dead: one `Delivered` per conversation (its cursor) plus
    /// the accepted, not handed-over messages.
    pub fn maybe_compact(&mut self) -> Result<(), BitChatError> {
        let Some(j) = &mut self.journal else {
            return Ok(());
        };
        let live = self.cursors.len() + self.undelivered.len();
        if j.records() < COMPACT_MIN_RECORDS || j.records() < 4 * live.max(1) {
            return Ok(());
        }
        let mut recs = Vec::with_capacity(live);
        for (&(from, conversation), &next) in &self.cursors {
            if next > 0 {
                recs.push(encode(&Rec::Delivered {
                    from: hex::encode(from.0),
                    conversation,
                    seq: next - 1,
                })?);
            }
        }
        let all = recs
            .iter()
            .map(|r| r.as_slice())
            .chain(self.undelivered.values().map(|r| r.as_slice()));
        j.compact(all)
    }

    pub fn journal_records(&self) -> Option<usize> {
        self.journal.as_ref().map(|j| j.records())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: AccountId, conversation: u64, seq: u64, prev: u64, body: Vec<u8>) -> Incoming {
        Incoming {
            from,
            conversation,
            seq,
            prev_expires_at: prev,
            body,
        }
    }

    #[test]
    fn durable_inbox_is_exactly_once_across_reopen_and_compaction() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("inbox.journal");
        let a = AccountId([1; 20]);
        // The journal under a test key, with a fresh in-memory inbox, at time 10.
        let reopen = |p: &std::path::Path| {
            let key = crate::at_rest::AtRestKey::derive(&[3; 32], "inbox");
            DurableInbox::open(p, key, Inbox::new(1000, 100), 10).unwrap()
        };
        let (mut ib, ready) = reopen(&p);
        assert!(ready.is_empty());
        let (r, out) = ib
            .accept([0; 16], msg(a, 3, 0, 0, b"m0".to_vec()), 10)
            .unwrap();
        assert_eq!((r, out.len()), (Accept::Accepted, 1));
        ib.handed_over(&out[0]).unwrap();
        let (_, out) = ib
            .accept([1; 16], msg(a, 3, 1, 50, b"m1".to_vec()), 10)
            .unwrap();
        assert_eq!(out.len(), 1, "released but not handed over");
        ib.accept([3; 16], msg(a, 3, 3, 50, b"m3".to_vec()), 10)
            .unwrap();
        drop(ib);
        let (mut ib, ready) = reopen(&p);
        assert_eq!(ready.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1]);
        assert_eq!(
            ib.accept([0; 16], msg(a, 3, 0, 0, b"m0".to_vec()), 10)
                .unwrap()
                .0,
            Accept::Duplicate
        );
        assert_eq!(
            ib.accept([1; 16], msg(a, 3, 1, 50, b"m1".to_vec()), 10)
                .unwrap()
                .0,
            Accept::Duplicate
        );
        ib.handed_over(&ready[0]).unwrap();
        let (_, out) = ib
            .accept([2; 16], msg(a, 3, 2, 50, b"m2".to_vec()), 10)
            .unwrap();
        assert_eq!(out.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2, 3]);
        for m in &out {
            ib.handed_over(m).unwrap();
        }
        // Many more messages, then compaction keeps only the cursor.
        for s in 4..1200u64 {
            let mut id = [9u8; 16];
            id[..8].copy_from_slice(&s.to_le_bytes());
            let (_, out) = ib.accept(id, msg(a, 3, s, 50, vec![1]), 10).unwrap();
            for m in &out {
                ib.handed_over(m).unwrap();
            }
        }
        ib.maybe_compact().unwrap();
        assert_eq!(ib.journal_records(), Some(1));
        drop(ib);
        let (mut ib, ready) = reopen(&p);
        assert!(ready.is_empty());
        assert_eq!(
            ib.accept([7; 16], msg(a, 3, 1199, 50, vec![1]), 10)
                .unwrap()
                .0,
            Accept::Duplicate
        );
        let (_, out) = ib
            .accept([8; 16], msg(a, 3, 1200, 50, vec![2]), 10)
            .unwrap();
        assert_eq!(out.len(), 1);
    }

    /// Issue #27: a peer's sequence number u64::MAX after an expired gap overflowed `next`
    /// (a panic on peer input). It is refused; the one before it is the last delivered.
    #[test]
    fn the_last_sequence_number_cannot_overflow() {
        let mut ib = Inbox::new(100, 10);
        let a = AccountId([1; 20]);
        let (r, d) = ib.offer(msg(a, 7, u64::MAX, 5, b"x".to_vec()), 10);
        assert_eq!((r, d.len()), (Accept::Overflow, 0));
        let (r, d) = ib.offer(msg(a, 7, u64::MAX - 1, 5, b"y".to_vec()), 10);
        assert_eq!((r, d.len()), (Accept::Accepted, 1));
        assert_eq!(
            ib.offer(msg(a, 7, u64::MAX - 1, 5, b"y".to_vec()), 10).0,
            Accept::Duplicate
        );
    }

    #[test]
    fn in_order_exactly_once_and_gap_skip() {
        let mut ib = Inbox::new(100, 10);
        let a = AccountId([1; 20]);
        let (r, d) = ib.offer(msg(a, 7, 1, 50, b"m1".to_vec()), 10);
        assert_eq!((r, d.len()), (Accept::Accepted, 0), "waits for seq 0");
        let (_, d) = ib.offer(msg(a, 7, 0, 0, b"m0".to_vec()), 10);
        assert_eq!(d.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(
            ib.offer(msg(a, 7, 1, 50, b"m1".to_vec()), 10).0,
            Accept::Duplicate
        );
        // seq 2 lost for good: seq 3 says seq 2 expired at 60.
        let (_, d) = ib.offer(msg(a, 7, 3, 60, b"m3".to_vec()), 10);
        assert!(d.is_empty());
        assert_eq!(
            ib.tick(61).iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![3]
        );
        assert_eq!(ib.gaps_skipped, 1);
        assert!(ib.first_sighting([1; 16]));
        assert!(!ib.first_sighting([1; 16]));
    }
}
