//! The chat carrier's inbox: a payload taken from the network is journalled (sealed, fsynced,
//! `<state dir>/inbox.journal`, 0600) before its sender, or the relay that kept it, is told it was
//! taken, and stays there until the chat client has handled it and stored what it changed. After
//! a crash in between, the payloads still in the journal are handed to the client again, in the
//! order they came. So the network is answered at once (a client busy sending cannot hold up
//! its peers' answers, nor they its own), and nothing it was told is taken is lost.
//!
//! Without a state directory nothing is kept on disk (the payloads live in memory only).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::journal::Journal;
use bithive_bitchat::{AccountId, BitChatError};

/// A journal with this many records more than 4 times its live ones is rewritten.
const COMPACT_MIN_RECORDS: usize = 256;

const KEPT: u8 = 0;
const DONE: u8 = 1;

/// A payload the carrier took, not yet handled by the chat client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    pub id: [u8; 16],
    pub from: AccountId,
    pub sent_at: u64,
    pub payload: Vec<u8>,
}

impl Kept {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + 16 + 20 + 8 + self.payload.len());
        v.push(KEPT);
        v.extend_from_slice(&self.id);
        v.extend_from_slice(&self.from.0);
        v.extend_from_slice(&self.sent_at.to_be_bytes());
        v.extend_from_slice(&self.payload);
        v
    }
}

/// What one journal record says.
enum Record {
    Kept(Kept),
    Done([u8; 16]),
}

fn decode(r: &[u8]) -> Option<Record> {
    let (&tag, rest) = r.split_first()?;
    match tag {
        KEPT if rest.len() >= 44 => Some(Record::Kept(Kept {
            id: rest[..16].try_into().ok()?,
            from: AccountId(rest[16..36].try_into().ok()?),
            sent_at: u64::from_be_bytes(rest[36..44].try_into().ok()?),
            payload: rest[44..].to_vec(),
        })),
        DONE if rest.len() == 16 => Some(Record::Done(rest.try_into().ok()?)),
        _ => None,
    }
}

pub(crate) struct Inbox {
    journal: Option<Journal>,
    /// Payloads kept and not handled yet, in the order they came.
    live: BTreeMap<u64, Kept>,
    order: HashMap<[u8; 16], u64>,
    next: u64,
    /// Kept payloads the client dropped without handling (a cancelled poll): handed over again
    /// before anything newer, in the order they came.
    redo: BTreeSet<u64>,
}

impl Inbox {
    /// Opens the inbox in `dir` (or in memory); with the payloads a crash left in it, oldest
    /// first. A journal that does not open with this account's key is refused, never cut.
    pub fn open(dir: Option<&Path>, secret: &[u8; 32]) -> Result<(Self, Vec<Kept>), BitChatError> {
        let mut me = Self {
            journal: None,
            live: BTreeMap::new(),
            order: HashMap::new(),
            next: 0,
            redo: BTreeSet::new(),
        };
        let Some(dir) = dir else {
            return Ok((me, Vec::new()));
        };
        let key = AtRestKey::derive(secret, "p2p-inbox");
        let (journal, recovery) = Journal::open(&dir.join("inbox.journal"), key)?;
        for r in recovery.records {
            match decode(&r) {
                Some(Record::Kept(k)) => me.insert(k),
                Some(Record::Done(id)) => me.remove(&id),
                None => tracing::warn!("inbox journal: skipping an undecodable record"),
            }
        }
        me.journal = Some(journal);
        let left = me.live.values().cloned().collect();
        Ok((me, left))
    }

    fn insert(&mut self, k: Kept) {
        if self.order.contains_key(&k.id) {
            return;
        }
        self.order.insert(k.id, self.next);
        self.live.insert(self.next, k);
        self.next += 1;
    }

    fn remove(&mut self, id: &[u8; 16]) {
        if let Some(n) = self.order.remove(id) {
            self.live.remove(&n);
            self.redo.remove(&n);
        }
    }

    /// Whether the payload `id` is kept here (taken, not yet handled).
    pub fn holds(&self, id: &[u8; 16]) -> bool {
        self.order.contains_key(id)
    }

    /// Keeps `k` on disk before the network is told it was taken. An error: not kept (the
    /// sender, not told, sends it again).
    pub fn keep(&mut self, k: Kept) -> Result<(), BitChatError> {
        if self.holds(&k.id) {
            return Ok(());
        }
        if let Some(j) = &mut self.journal {
            j.append(&k.encode())?;
        }
        self.insert(k);
        Ok(())
    }

    /// The chat client dropped `id` without handling it: it stays kept (on disk, and through
    /// compactions) and is handed over again ([`Inbox::next_redo`]) before anything newer.
    pub fn release(&mut self, id: &[u8; 16]) {
        if let Some(&n) = self.order.get(id) {
            self.redo.insert(n);
        }
    }

    /// The oldest kept payload the client dropped without handling, to hand over again.
    pub fn next_redo(&mut self) -> Option<Kept> {
        let n = self.redo.pop_first()?;
        self.live.get(&n).cloned()
    }

    /// The chat client handled `id`: it is no longer kept. (Should this record not reach the
    /// disk, the payload comes again after a restart and is dropped there as seen.)
    pub fn done(&mut self, id: &[u8; 16]) {
        if !self.holds(id) {
            return;
        }
        self.remove(id);
        let Some(j) = &mut self.journal else { return };
        let mut r = vec![DONE];
        r.extend_from_slice(id);
        if let Err(e) = j.append(&r) {
            tracing::warn!("inbox journal: {e}");
            return;
        }
        if j.records() >= COMPACT_MIN_RECORDS && j.records() > 4 * self.live.len() {
            let live: Vec<Vec<u8>> = self.live.values().map(Kept::encode).collect();
            if let Err(e) = j.compact(live.iter().map(|r| r.as_slice())) {
                tracing::warn!("inbox journal: compaction: {e}");
            }
        }
    }

    #[cfg(test)]
    fn journal_records(&self) -> Option<usize> {
        self.journal.as_ref().map(|j| j.records())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(n: u8) -> Kept {
        Kept {
            id: [n; 16],
            from: AccountId([n; 20]),
            sent_at: 1_800_000_000 + u64::from(n),
            payload: format!("PAYLOAD-{n}").into_bytes(),
        }
    }

    #[test]
    fn what_was_kept_and_not_done_comes_back_in_order_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let (mut inbox, left) = Inbox::open(Some(dir.path()), &secret).unwrap();
        assert!(left.is_empty());
        for n in 1..=4 {
            inbox.keep(kept(n)).unwrap();
        }
        inbox.keep(kept(2)).unwrap(); // again: kept once
        inbox.done(&[1; 16]);
        inbox.done(&[3; 16]);
        assert!(inbox.holds(&[2; 16]) && !inbox.holds(&[3; 16]));
        drop(inbox);
        let (inbox, left) = Inbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(left, vec![kept(2), kept(4)]);
        assert!(inbox.holds(&[4; 16]));
        // Sealed and 0600: no payload in clear; another key does not open it.
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join("inbox.journal");
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(8).any(|w| w == b"PAYLOAD-"));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        drop(inbox);
        assert!(Inbox::open(Some(dir.path()), &[8u8; 32]).is_err());
    }

    #[test]
    fn the_journal_is_compacted_and_keeps_what_is_live() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let (mut inbox, _) = Inbox::open(Some(dir.path()), &secret).unwrap();
        inbox.keep(kept(0)).unwrap();
        for i in 0..200u32 {
            let mut k = kept(1);
            k.id[..4].copy_from_slice(&i.to_be_bytes());
            inbox.keep(k.clone()).unwrap();
            inbox.done(&k.id);
        }
        assert!(inbox.journal_records().unwrap() < COMPACT_MIN_RECORDS);
        drop(inbox);
        let (_, left) = Inbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(left, vec![kept(0)]);
    }

    #[test]
    fn a_payload_dropped_by_the_client_comes_again_first_and_survives_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let (mut inbox, _) = Inbox::open(Some(dir.path()), &secret).unwrap();
        for n in 1..=3 {
            inbox.keep(kept(n)).unwrap();
        }
        inbox.release(&[2; 16]);
        inbox.release(&[1; 16]);
        assert!(inbox.holds(&[1; 16]), "still kept");
        // Churn enough to compact: the released payloads stay.
        for i in 0..300u32 {
            let mut k = kept(9);
            k.id[..4].copy_from_slice(&i.to_be_bytes());
            inbox.keep(k.clone()).unwrap();
            inbox.done(&k.id);
        }
        assert_eq!(inbox.next_redo(), Some(kept(1)));
        assert_eq!(inbox.next_redo(), Some(kept(2)));
        assert_eq!(inbox.next_redo(), None);
        inbox.done(&[1; 16]);
        drop(inbox);
        let (_, left) = Inbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(left, vec![kept(2), kept(3)]);
    }

    #[test]
    fn in_memory_it_keeps_nothing_on_disk() {
        let (mut inbox, left) = Inbox::open(None, &[7; 32]).unwrap();
        assert!(left.is_empty());
        inbox.keep(kept(1)).unwrap();
        assert!(inbox.holds(&[1; 16]));
        inbox.done(&[1; 16]);
        assert!(!inbox.holds(&[1; 16]));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_records_never_panic(r in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..128)) {
            let _ = decode(&r);
        }
    }
}
