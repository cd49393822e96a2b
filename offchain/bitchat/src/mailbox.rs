//! Store-and-forward mailbox of a relay: envelopes for offline recipients, with TTL, per-sender
//! quotas, size limits, and persistence so a restart keeps every accepted envelope.
//!
//! On disk: an append-only [`Journal`] (mode 0600, each record sealed under the relay's mailbox
//! [`AtRestKey`]): a record per envelope stored, one naming the envelopes gone (acknowledged or
//! expired), compacted to the stored envelopes once dead records outnumber them 4 to 1. A
//! deposit writes and syncs one record of its own size: rewriting the whole mailbox (up to its
//! total limit) on every deposit, as the earlier single-file form did, let any sender make the
//! relay write hundreds of MB per small envelope. What the relay holds in memory (sender,
//! recipient, expiry, size of each envelope; the ciphertext it cannot open) is what it must know
//! to route and enforce quotas; the disk shows only the records' sizes and count.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::at_rest::{sync_parent, AtRestKey};
use crate::error::BitChatError;
use crate::frame::{Envelope, MessageId};
use crate::journal::Journal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxLimits {
    /// Largest ciphertext accepted.
    pub max_envelope_bytes: usize,
    /// Longest TTL accepted, seconds.
    pub max_ttl_secs: u64,
    /// Envelopes one sender may have stored at once.
    pub per_sender_count: usize,
    /// Bytes one sender may have stored at once.
    pub per_sender_bytes: usize,
    /// Bytes stored in total.
    pub total_bytes: usize,
}

impl Default for MailboxLimits {
    fn default() -> Self {
        Self {
            max_envelope_bytes: 64 * 1024,
            max_ttl_secs: 7 * 24 * 3600,
            per_sender_count: 1000,
            per_sender_bytes: 16 << 20,
            total_bytes: 256 << 20,
        }
    }
}

/// Why a deposit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    Expired,
    TtlTooLong,
    SenderQuota,
    Full,
    Duplicate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    id: String,
    from: String,
    to: String,
    expires_at: u64,
    ciphertext: String,
}

impl Stored {
    fn of(e: &Envelope) -> Self {
        Self {
            id: hex::encode(e.id),
            from: hex::encode(e.from),
            to: hex::encode(e.to),
            expires_at: e.expires_at,
            ciphertext: hex::encode(&e.ciphertext),
        }
    }
    fn envelope(&self) -> Option<Envelope> {
        Some(Envelope {
            id: hex::decode(&self.id).ok()?.try_into().ok()?,
            from: hex::decode(&self.from).ok()?.try_into().ok()?,
            to: hex::decode(&self.to).ok()?.try_into().ok()?,
            expires_at: self.expires_at,
            ciphertext: hex::decode(&self.ciphertext).ok()?,
        })
    }
}

/// One journal record.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Rec {
    Put(Stored),
    Gone { ids: Vec<String> },
}

/// The earlier single-file form (`MAGIC || sealed(JSON of the envelopes)`), taken over at open.
const LEGACY_MAGIC: &[u8] = b"BCMBX\x01";

/// Dead records the journal may hold beyond 4 times its live ones before it is compacted.
const COMPACT_SLACK: usize = 256;
/// Bytes the journal may hold beyond 4 times what its live records take before it is compacted:
/// a few large envelopes deposited and acknowledged over and over, beside many small ones kept,
/// would otherwise stay under the record bound while the file grows by gigabytes.
const COMPACT_SLACK_BYTES: u64 = 8 << 20;
/// Ids in one record of envelopes gone (a purge of many is written in several records, each
/// well under the journal's largest record).
const GONE_PER_RECORD: usize = 4096;

#[derive(Debug)]
pub struct Mailbox {
    journal: Journal,
    limits: MailboxLimits,
    entries: BTreeMap<MessageId, Envelope>,
    /// Per sender: envelopes and bytes stored.
    senders: HashMap<[u8; 20], (usize, usize)>,
    /// Per recipient: the ids stored for it.
    recipients: HashMap<[u8; 20], BTreeSet<MessageId>>,
    /// Ids by expiry, soonest first.
    expiry: BTreeSet<(u64, MessageId)>,
    bytes: usize,
}

impl Mailbox {
    /// Open (or create) the mailbox journal at `path`, sealed under `key`. A mailbox in the
    /// earlier single-file form at `path` with the extension `sealed` is taken over (its
    /// envelopes written to the journal, then the file removed).
    pub fn open(path: &Path, key: AtRestKey, limits: MailboxLimits) -> Result<Self, BitChatError> {
        let legacy = path.with_extension("sealed");
        // What a crash left of the single-file form's atomic rewrites (up to the whole mailbox).
        if legacy != path {
            crate::at_rest::remove_stale_temporaries(&legacy, "tmp");
        }
        let legacy = (legacy != path && legacy.exists()).then_some(legacy);
        let taken_over = match &legacy {
            Some(old) => read_legacy(old, &key)?,
            None => Vec::new(),
        };
        let (journal, recovery) = Journal::open(path, key).map_err(|e| match e {
            BitChatError::Journal(m) => BitChatError::Mailbox(m),
            e => e,
        })?;
        let mut m = Self {
            journal,
            limits,
            entries: BTreeMap::new(),
            senders: HashMap::new(),
            recipients: HashMap::new(),
            expiry: BTreeSet::new(),
            bytes: 0,
        };
        for (i, r) in recovery.records.iter().enumerate() {
            match serde_json::from_slice::<Rec>(r) {
                Ok(Rec::Put(s)) => {
                    let e = s.envelope().ok_or_else(|| {
                        BitChatError::Mailbox(format!("record {i}: a corrupt envelope"))
                    })?;
                    m.insert(e);
                }
                Ok(Rec::Gone { ids }) => {
                    for id in ids
                        .iter()
                        .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
                    {
                        m.remove(&id);
                    }
                }
                Err(e) => return Err(BitChatError::Mailbox(format!("record {i}: {e}"))),
            }
        }
        if let Some(old) = legacy {
            for e in taken_over {
                if !m.entries.contains_key(&e.id) {
                    m.append(&Rec::Put(Stored::of(&e)))?;
                    m.insert(e);
                }
            }
            std::fs::remove_file(&old)?;
            sync_parent(&old);
            tracing::info!(
                "mailbox: took over {} envelopes from {}",
                m.entries.len(),
                old.display()
            );
        }
        Ok(m)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records in the journal (live and dead; for tests and metrics).
    pub fn journal_records(&self) -> usize {
        self.journal.records()
    }

    fn insert(&mut self, e: Envelope) {
        if self.entries.contains_key(&e.id) {
            return;
        }
        let s = self.senders.entry(e.from).or_default();
        s.0 += 1;
        s.1 += e.ciphertext.len();
        self.recipients.entry(e.to).or_default().insert(e.id);
        self.expiry.insert((e.expires_at, e.id));
        self.bytes += e.ciphertext.len();
        self.entries.insert(e.id, e);
    }

    fn remove(&mut self, id: &MessageId) -> Option<Envelope> {
        let e = self.entries.remove(id)?;
        if let Some(s) = self.senders.get_mut(&e.from) {
            s.0 -= 1;
            s.1 -= e.ciphertext.len();
            if s.0 == 0 {
                self.senders.remove(&e.from);
            }
        }
        if let Some(r) = self.recipients.get_mut(&e.to) {
            r.remove(id);
            if r.is_empty() {
                self.recipients.remove(&e.to);
            }
        }
        self.expiry.remove(&(e.expires_at, e.id));
        self.bytes -= e.ciphertext.len();
        Some(e)
    }

    fn append(&mut self, r: &Rec) -> Result<(), BitChatError> {
        let bytes = serde_json::to_vec(r).map_err(|e| BitChatError::Mailbox(e.to_string()))?;
        self.journal.append(&bytes)
    }

    /// Writes that `ids` are gone (each record written before its ids leave memory), then
    /// compacts if due.
    fn gone(&mut self, ids: Vec<MessageId>) -> Result<usize, BitChatError> {
        let mut n = 0;
        for batch in ids.chunks(GONE_PER_RECORD) {
            self.append(&Rec::Gone {
                ids: batch.iter().map(hex::encode).collect(),
            })?;
            for id in batch {
                self.remove(id);
            }
            n += batch.len();
        }
        if n > 0 {
            self.maybe_compact();
        }
        Ok(n)
    }

    /// Rewrites the journal as the stored envelopes once dead records outnumber them, or dead
    /// bytes the live ones. A failure is logged: the journal stays as it was (still correct,
    /// only longer), or, when the compacted file could not be opened again, later writes fail
    /// (deposits are refused, not acknowledged and lost) until a restart.
    fn maybe_compact(&mut self) {
        // A stored envelope's record: its ciphertext in hex, and about 200 bytes besides.
        let live_bytes = 2 * self.bytes as u64 + 256 * self.entries.len() as u64;
        if self.journal.records() <= 4 * self.entries.len() + COMPACT_SLACK
            && self.journal.bytes() <= 4 * live_bytes + COMPACT_SLACK_BYTES
        {
            return;
        }
        let live: Result<Vec<Vec<u8>>, _> = self
            .entries
            .values()
            .map(|e| serde_json::to_vec(&Rec::Put(Stored::of(e))))
            .collect();
        let done = match live {
            Ok(live) => self.journal.compact(live.iter().map(|r| r.as_slice())),
            Err(e) => Err(BitChatError::Mailbox(e.to_string())),
        };
        if let Err(e) = done {
            tracing::warn!("mailbox: compaction: {e}");
        }
    }

    /// Drop expired envelopes; returns how many.
    pub fn purge(&mut self, now: u64) -> Result<usize, BitChatError> {
        let expired: Vec<MessageId> = self
            .expiry
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| *id)
            .collect();
        self.gone(expired)
    }

    /// Store `e` (already checked to come from its authenticated sender). Persisted before Ok.
    pub fn deposit(&mut self, e: Envelope, now: u64) -> Result<Result<(), Refusal>, BitChatError> {
        self.purge(now)?;
        let (count, bytes) = self.senders.get(&e.from).copied().unwrap_or_default();
        let refusal = if e.ciphertext.len() > self.limits.max_envelope_bytes {
            Some(Refusal::TooLarge)
        } else if e.expires_at <= now {
            Some(Refusal::Expired)
        } else if e.expires_at - now > self.limits.max_ttl_secs {
            Some(Refusal::TtlTooLong)
        } else if self.entries.contains_key(&e.id) {
            Some(Refusal::Duplicate)
        } else if count + 1 > self.limits.per_sender_count
            || bytes + e.ciphertext.len() > self.limits.per_sender_bytes
        {
            Some(Refusal::SenderQuota)
        } else if self.bytes + e.ciphertext.len() > self.limits.total_bytes {
            Some(Refusal::Full)
        } else {
            None
        };
        if let Some(r) = refusal {
            return Ok(Err(r));
        }
        self.append(&Rec::Put(Stored::of(&e)))?;
        self.insert(e);
        Ok(Ok(()))
    }

    /// Unexpired envelopes for `to`, oldest id order, at most `max`.
    pub fn pending_for(&self, to: &[u8; 20], now: u64, max: usize) -> Vec<Envelope> {
        let Some(ids) = self.recipients.get(to) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.entries.get(id))
            .filter(|e| e.expires_at > now)
            .take(max)
            .cloned()
            .collect()
    }

    /// Remove envelopes the recipient confirmed; only its own.
    pub fn acknowledge(&mut self, to: &[u8; 20], ids: &[MessageId]) -> Result<usize, BitChatError> {
        let mine: BTreeSet<MessageId> = ids
            .iter()
            .filter(|id| self.entries.get(*id).is_some_and(|e| &e.to == to))
            .copied()
            .collect();
        self.gone(mine.into_iter().collect())
    }

    /// Stored envelope count per sender (for metrics and tests).
    pub fn per_sender(&self) -> HashMap<[u8; 20], usize> {
        self.senders.iter().map(|(s, (n, _))| (*s, *n)).collect()
    }
}

/// The envelopes of a mailbox file in the earlier single-file form.
fn read_legacy(path: &Path, key: &AtRestKey) -> Result<Vec<Envelope>, BitChatError> {
    let raw = std::fs::read(path)?;
    let body = raw
        .strip_prefix(LEGACY_MAGIC)
        .and_then(|sealed| key.open(LEGACY_MAGIC, sealed))
        .ok_or_else(|| {
            BitChatError::Mailbox(format!(
                "{} does not open with this relay's mailbox key (another identity's mailbox, one \
                 from before encryption at rest, or tampering)",
                path.display()
            ))
        })?;
    let stored: Vec<Stored> =
        serde_json::from_slice(&body).map_err(|e| BitChatError::Mailbox(e.to_string()))?;
    stored
        .iter()
        .map(|s| {
            s.envelope()
                .ok_or_else(|| BitChatError::Mailbox("corrupt entry".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(id: u8, from: u8, len: usize, expires_at: u64) -> Envelope {
        Envelope {
            id: [id; 16],
            from: [from; 20],
            to: [9; 20],
            expires_at,
            ciphertext: vec![0; len],
        }
    }

    /// [`env`] with id `n` (its first 4 bytes), for tests storing more than 256.
    fn numbered(n: u32, from: u8, len: usize, expires_at: u64) -> Envelope {
        let mut e = env(0, from, len, expires_at);
        e.id[..4].copy_from_slice(&n.to_be_bytes());
        e
    }

    /// The relay's mailbox key in these tests.
    fn key() -> AtRestKey {
        AtRestKey::derive(&[5; 32], "mailbox")
    }

    #[test]
    fn limits_quota_ttl_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let limits = MailboxLimits {
            max_envelope_bytes: 100,
            max_ttl_secs: 1000,
            per_sender_count: 2,
            per_sender_bytes: 150,
            total_bytes: 10_000,
        };
        let mut m = Mailbox::open(&path, key(), limits).unwrap();
        let deposits = [
            (env(1, 1, 101, 50), Err(Refusal::TooLarge)),
            (env(1, 1, 10, 5), Err(Refusal::Expired)),
            (env(1, 1, 10, 5000), Err(Refusal::TtlTooLong)),
            (env(1, 1, 80, 50), Ok(())),
            (env(1, 1, 10, 50), Err(Refusal::Duplicate)),
            (env(2, 1, 80, 50), Err(Refusal::SenderQuota)),
            (env(2, 1, 50, 500), Ok(())),
            (env(3, 1, 1, 50), Err(Refusal::SenderQuota)),
            // Another sender has its own quota.
            (env(4, 2, 80, 50), Ok(())),
        ];
        for (i, (envelope, expected)) in deposits.into_iter().enumerate() {
            assert_eq!(m.deposit(envelope, 10).unwrap(), expected, "deposit {i}");
        }
        drop(m);
        // Restart: everything is still there; expiry drops the short-lived ones.
        let mut m = Mailbox::open(&path, key(), limits).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m.pending_for(&[9; 20], 20, 10).len(), 3);
        assert_eq!(m.purge(100).unwrap(), 2);
        assert_eq!(
            m.acknowledge(&[8; 20], &[[2; 16]]).unwrap(),
            0,
            "only the recipient acks"
        );
        assert_eq!(m.acknowledge(&[9; 20], &[[2; 16]]).unwrap(), 1);
        assert!(Mailbox::open(&path, key(), limits).unwrap().is_empty());
    }

    #[test]
    fn on_disk_the_relay_shows_no_routing_metadata() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let key = key();
        let mut m = Mailbox::open(&path, key.clone(), MailboxLimits::default()).unwrap();
        let mut e = env(1, 0xab, 10, 50);
        e.ciphertext = b"opaque-ciphertext".to_vec();
        m.deposit(e, 10).unwrap().unwrap();
        let raw = std::fs::read(&path).unwrap();
        for needle in [
            hex::encode([0xab; 20]),
            hex::encode([9; 20]),
            hex::encode(b"opaque"),
        ] {
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle}"
            );
        }
        assert!(!raw.windows(6).any(|w| w == b"opaque"));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let other = AtRestKey::derive(&[6; 32], "mailbox");
        let err = Mailbox::open(&path, other, MailboxLimits::default()).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
        assert_eq!(
            Mailbox::open(&path, key, MailboxLimits::default())
                .unwrap()
                .len(),
            1
        );
    }

    /// A deposit writes a record of its own size, however full the mailbox is (the single-file
    /// form rewrote all of it: an attacker's 1-byte envelope cost the relay its whole mailbox
    /// in writes).
    #[test]
    fn a_deposit_writes_its_own_envelope_not_the_whole_mailbox() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let limits = MailboxLimits {
            per_sender_count: 10_000,
            ..MailboxLimits::default()
        };
        let mut m = Mailbox::open(&path, key(), limits).unwrap();
        for i in 0..200u32 {
            let e = numbered(i, 1, 4096, 500);
            m.deposit(e, 10).unwrap().unwrap();
        }
        let size = |p: &Path| std::fs::metadata(p).unwrap().len();
        let before = size(&path);
        let mut e = env(0, 2, 1, 500);
        e.id = [0xff; 16];
        m.deposit(e, 10).unwrap().unwrap();
        let grew = size(&path) - before;
        assert!(
            grew < 1024,
            "one small record: {grew} bytes (the mailbox holds {before})"
        );
    }

    /// Envelopes that come and go leave dead records, which compaction removes: the journal
    /// stays near what is stored, and what is stored survives it and a restart.
    #[test]
    fn dead_records_are_compacted_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let mut m = Mailbox::open(&path, key(), MailboxLimits::default()).unwrap();
        let mut kept = env(0xee, 3, 100, 500);
        kept.to = [7; 20];
        m.deposit(kept.clone(), 10).unwrap().unwrap();
        let mut most = 0;
        for round in 0..200u32 {
            let e = numbered(round, 1, 1000, 500);
            m.deposit(e.clone(), 10).unwrap().unwrap();
            assert_eq!(m.acknowledge(&[9; 20], &[e.id]).unwrap(), 1);
            most = most.max(m.journal_records());
        }
        assert!(most <= 4 + COMPACT_SLACK + 1, "at most {most} records");
        assert!(std::fs::metadata(&path).unwrap().len() < 300 * 1024);
        drop(m);
        let m = Mailbox::open(&path, key(), MailboxLimits::default()).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.pending_for(&[7; 20], 10, 10)[0].ciphertext,
            kept.ciphertext
        );
    }

    /// Large envelopes deposited and acknowledged over and over beside many small ones kept:
    /// the record bound alone would let the file grow by gigabytes; the byte bound holds it.
    #[test]
    fn large_envelopes_coming_and_going_do_not_grow_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let limits = MailboxLimits {
            max_envelope_bytes: 256 << 10,
            per_sender_count: 100_000,
            ..MailboxLimits::default()
        };
        let mut m = Mailbox::open(&path, key(), limits).unwrap();
        for i in 0..2000u32 {
            let e = numbered(i, 1, 1, 500);
            m.deposit(e, 10).unwrap().unwrap();
        }
        for round in 0..120u32 {
            let e = numbered(0xbb00_0000 | round, 2, 256 << 10, 500);
            m.deposit(e.clone(), 10).unwrap().unwrap();
            assert_eq!(m.acknowledge(&[9; 20], &[e.id]).unwrap(), 1);
        }
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(
            size < 24 << 20,
            "{size} bytes for 2000 one-byte envelopes kept"
        );
    }

    /// A purge of more ids than one record holds is written in several.
    #[test]
    fn a_large_purge_is_written_in_several_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.journal");
        let limits = MailboxLimits {
            per_sender_count: 100_000,
            ..MailboxLimits::default()
        };
        let mut m = Mailbox::open(&path, key(), limits).unwrap();
        let n = GONE_PER_RECORD as u32 * 2 + 10;
        for i in 0..n {
            let e = numbered(i, 1, 1, 50);
            m.deposit(e, 10).unwrap().unwrap();
        }
        let before = m.journal_records();
        assert_eq!(m.purge(100).unwrap(), n as usize);
        assert!(m.is_empty());
        assert!(
            m.journal_records() <= before + 3,
            "compacted or three records"
        );
        drop(m);
        assert!(Mailbox::open(&path, key(), limits).unwrap().is_empty());
    }

    /// A mailbox in the earlier single-file form is taken over at open, whole, and the old file
    /// removed; a wrong key refuses it, keeping it.
    #[test]
    fn the_single_file_form_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("mailbox.sealed");
        let stored: Vec<Stored> = [env(1, 1, 10, 500), env(2, 2, 20, 500)]
            .iter()
            .map(Stored::of)
            .collect();
        let mut file = LEGACY_MAGIC.to_vec();
        file.extend(key().seal(LEGACY_MAGIC, &serde_json::to_vec(&stored).unwrap()));
        std::fs::write(&old, &file).unwrap();
        let path = dir.path().join("mailbox.journal");
        let other = AtRestKey::derive(&[6; 32], "mailbox");
        assert!(Mailbox::open(&path, other, MailboxLimits::default()).is_err());
        assert!(old.exists(), "kept when it does not open");
        let m = Mailbox::open(&path, key(), MailboxLimits::default()).unwrap();
        assert_eq!(m.len(), 2);
        assert!(!old.exists());
        drop(m);
        let m = Mailbox::open(&path, key(), MailboxLimits::default()).unwrap();
        assert_eq!(m.pending_for(&[9; 20], 10, 10).len(), 2);
        assert_eq!(m.per_sender().len(), 2);
    }

    /// Random deposits, acknowledgements, purges and restarts agree with a plain list of what
    /// was accepted and not yet gone, and the journal stays within its compaction bound.
    #[test]
    fn the_journal_agrees_with_a_model_across_restarts_and_compactions() {
        use proptest::prelude::*;
        let limits = MailboxLimits {
            max_envelope_bytes: 64,
            max_ttl_secs: 1000,
            per_sender_count: 5,
            per_sender_bytes: 200,
            total_bytes: 600,
        };
        let op = (0u8..5, any::<u8>(), 0u8..4, 1usize..80, 1u64..60);
        proptest!(ProptestConfig::with_cases(48), |(ops in prop::collection::vec(op, 1..120))| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mailbox.journal");
            let mut m = Mailbox::open(&path, key(), limits).unwrap();
            let mut model: BTreeMap<MessageId, Envelope> = BTreeMap::new();
            let mut now = 10u64;
            for (kind, id, from, len, ttl) in ops {
                match kind {
                    0 | 1 => {
                        let mut e = env(id, from, len, now + ttl);
                        e.to = [from % 2; 20];
                        model.retain(|_, x| x.expires_at > now);
                        let count = model.values().filter(|x| x.from == e.from).count();
                        let bytes: usize = model.values().filter(|x| x.from == e.from).map(|x| x.ciphertext.len()).sum();
                        let total: usize = model.values().map(|x| x.ciphertext.len()).sum();
                        let ok = len <= limits.max_envelope_bytes
                            && !model.contains_key(&e.id)
                            && count < limits.per_sender_count
                            && bytes + len <= limits.per_sender_bytes
                            && total + len <= limits.total_bytes;
                        let got = m.deposit(e.clone(), now).unwrap();
                        prop_assert_eq!(got.is_ok(), ok, "{:?}", got);
                        if ok {
                            model.insert(e.id, e);
                        }
                    }
                    2 => {
                        let to = [id % 2; 20];
                        let ids: Vec<MessageId> = model.values().filter(|x| x.to == to).map(|x| x.id).take(3).collect();
                        m.acknowledge(&to, &ids).unwrap();
                        for id in ids {
                            model.remove(&id);
                        }
                    }
                    3 => {
                        now += ttl;
                        m.purge(now).unwrap();
                        model.retain(|_, x| x.expires_at > now);
                    }
                    _ => {
                        drop(m);
                        m = Mailbox::open(&path, key(), limits).unwrap();
                    }
                }
                prop_assert_eq!(m.len(), model.len());
                prop_assert_eq!(m.bytes(), model.values().map(|x| x.ciphertext.len()).sum::<usize>());
                for to in [[0u8; 20], [1u8; 20]] {
                    let got: Vec<MessageId> = m.pending_for(&to, now, usize::MAX).iter().map(|e| e.id).collect();
                    let want: Vec<MessageId> = model.values().filter(|x| x.to == to && x.expires_at > now).map(|x| x.id).collect();
                    prop_assert_eq!(got, want);
                }
                prop_assert!(m.journal_records() <= 4 * m.len() + COMPACT_SLACK + 1);
            }
        });
    }
}
