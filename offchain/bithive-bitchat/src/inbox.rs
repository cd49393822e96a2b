//! Receiver side ordering: exactly-once, in order per (sender, conversation).
//!
//! Each message carries its sequence number and the expiry of the previous message of its
//! conversation: once that expiry has passed, the previous message can no longer arrive (sender
//! and mailboxes drop it), so a gap is skipped instead of blocking the conversation forever.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

pub use bithive_bitchat_wire::inner::Inner;

use crate::identity::AccountId;

/// A message handed to the application.
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

    /// Offer a message; returns the outcome and every message now deliverable in order.
    pub fn offer(
        &mut self,
        from: AccountId,
        conversation: u64,
        seq: u64,
        prev_expires_at: u64,
        body: Vec<u8>,
        now: u64,
    ) -> (Accept, Vec<Delivered>) {
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
                    self.gaps_skipped += seq - conv.next;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_exactly_once_and_gap_skip() {
        let mut ib = Inbox::new(100, 10);
        let a = AccountId([1; 20]);
        let (r, d) = ib.offer(a, 7, 1, 50, b"m1".to_vec(), 10);
        assert_eq!((r, d.len()), (Accept::Accepted, 0), "waits for seq 0");
        let (_, d) = ib.offer(a, 7, 0, 0, b"m0".to_vec(), 10);
        assert_eq!(d.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(
            ib.offer(a, 7, 1, 50, b"m1".to_vec(), 10).0,
            Accept::Duplicate
        );
        // seq 2 lost for good: seq 3 says seq 2 expired at 60.
        let (_, d) = ib.offer(a, 7, 3, 60, b"m3".to_vec(), 10);
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
