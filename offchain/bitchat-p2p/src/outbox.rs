//! The chat carrier's durable outbox (no I/O but its own file): payloads that could not be
//! handed on (the recipient's record not in the DHT because it has been away for days, no relay
//! reachable, our own network down) wait here and are retried with backoff until they go or
//! expire. A recipient's payloads leave in the order they were sent: later ones depend on
//! earlier ones (a welcome, then the messages it opens), so once one waits, or is being sent,
//! every later one to the same account waits behind it; and when one expires, those behind it
//! go with it.
//!
//! The file (`outbox.journal`, 0600) is an append-only journal (`bithive_bitchat::journal`:
//! each record sealed with a key derived from the account's secret and fdatasynced before the
//! call returns), so a payload the user was told is queued survives a crash, and queueing one
//! writes that payload only (the whole outbox was rewritten on every change before: a backlog
//! of n payloads cost n^2 to drain). A record queues a payload (at the end, or ahead of its
//! recipient's after a failed first attempt) or drops payloads (delivered, expired); replaying
//! them rebuilds the queue in the same order. The journal is compacted when it holds 4 times
//! as many records as payloads waiting. What it holds is already end-to-end encrypted (MLS);
//! sealed at rest, it also hides who is written to. An `outbox.sealed` of the earlier format is
//! taken over once and removed.
//! Each entry keeps the random id and the send time its seal carries on every attempt, so a
//! recipient that gets it twice (an attempt that timed out after a relay took it, then a retry)
//! takes it once: its replay filter keeps the id as long as it would take any copy (7 days after
//! the send time).

use std::collections::{HashMap, VecDeque};

use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::journal::Journal;
use bithive_bitchat::{AccountId, BitChatError};
use zeroize::Zeroizing;

/// The longest a payload waits. Every copy carries the time it was first sent, and recipients
/// take nothing sent more than 7 days ago: a payload left at a relay on its last day waits
/// there one more.
pub const MAX_WAIT_SECS: u64 = 6 * 24 * 3600;
/// Payloads waiting at once, and their bytes: beyond either, a send fails and says so.
pub const MAX_ENTRIES: usize = 1024;
pub const MAX_BYTES: usize = 16 << 20;
/// The first retry after this many seconds, doubling up to [`MAX_BACKOFF_SECS`].
const FIRST_BACKOFF_SECS: u64 = 2;
const MAX_BACKOFF_SECS: u64 = 300;
/// The earlier file's format (`outbox.sealed`, taken over at open): version byte, then entries
/// `to (20) || id (16) || queued at (8, BE) || length (4, BE) || payload`.
const VERSION: u8 = 1;
const LABEL: &[u8] = b"p2p-outbox";
/// Journal records: `QUEUED || ahead (1) || to (20) || id (16) || queued at (8, BE) ||
/// payload` (`ahead`: before the recipient's first waiting payload, else at the end), and
/// `GONE || (to (20) || id (16))*`.
const QUEUED: u8 = 0;
const GONE: u8 = 1;
/// A journal with at least this many records, and 4 times the payloads waiting, is rewritten.
const COMPACT_MIN_RECORDS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub to: AccountId,
    pub id: [u8; 16],
    pub queued_at: u64,
    pub payload: Vec<u8>,
}

/// See the module docs.
pub struct Outbox {
    /// In the order they were queued.
    entries: VecDeque<Entry>,
    /// Failed attempts and the next try, per recipient (in memory: after a restart everything
    /// is tried at once).
    retry: HashMap<AccountId, (u32, u64)>,
    /// Recipients a payload is being sent to outside the outbox (a first attempt): what comes
    /// for them meanwhile waits behind it.
    in_flight: std::collections::HashSet<AccountId>,
    bytes: usize,
    journal: Option<Journal>,
}

/// One journal record.
enum Record {
    Queued { ahead: bool, entry: Entry },
    Gone(Vec<(AccountId, [u8; 16])>),
}

impl Record {
    fn encode(&self) -> Vec<u8> {
        match self {
            Record::Queued { ahead, entry } => {
                let mut v = Vec::with_capacity(46 + entry.payload.len());
                v.push(QUEUED);
                v.push(u8::from(*ahead));
                v.extend_from_slice(&entry.to.0);
                v.extend_from_slice(&entry.id);
                v.extend_from_slice(&entry.queued_at.to_be_bytes());
                v.extend_from_slice(&entry.payload);
                v
            }
            Record::Gone(ids) => {
                let mut v = Vec::with_capacity(1 + 36 * ids.len());
                v.push(GONE);
                for (to, id) in ids {
                    v.extend_from_slice(&to.0);
                    v.extend_from_slice(id);
                }
                v
            }
        }
    }

    fn decode(r: &[u8]) -> Option<Self> {
        let (&tag, rest) = r.split_first()?;
        match tag {
            QUEUED if rest.len() >= 45 => Some(Record::Queued {
                ahead: match rest[0] {
                    0 => false,
                    1 => true,
                    _ => return None,
                },
                entry: Entry {
                    to: AccountId(rest[1..21].try_into().ok()?),
                    id: rest[21..37].try_into().ok()?,
                    queued_at: u64::from_be_bytes(rest[37..45].try_into().ok()?),
                    payload: rest[45..].to_vec(),
                },
            }),
            GONE if rest.len() % 36 == 0 => Some(Record::Gone(
                rest.chunks_exact(36)
                    .map(|c| {
                        Some((
                            AccountId(c[..20].try_into().ok()?),
                            c[20..].try_into().ok()?,
                        ))
                    })
                    .collect::<Option<Vec<_>>>()?,
            )),
            _ => None,
        }
    }
}

/// Where a payload queued for `to` goes: ahead of `to`'s first waiting one, or at the end.
fn position(entries: &VecDeque<Entry>, to: &AccountId, ahead: bool) -> usize {
    if ahead {
        if let Some(i) = entries.iter().position(|e| e.to == *to) {
            return i;
        }
    }
    entries.len()
}

impl Outbox {
    /// The outbox kept in `dir` (`None`: in memory only, lost on a restart).
    /// A journal or an earlier file that does not open with this account's key is refused, never
    /// cut.
    pub fn open(dir: Option<&std::path::Path>, secret: &[u8; 32]) -> Result<Self, BitChatError> {
        let mut entries = VecDeque::new();
        let mut journal = None;
        if let Some(dir) = dir {
            let key = AtRestKey::derive(secret, "p2p-outbox-journal");
            let (j, recovery) = Journal::open(&dir.join("outbox.journal"), key)?;
            for r in recovery.records {
                match Record::decode(&r) {
                    Some(r) => apply(&mut entries, r),
                    None => tracing::warn!("outbox journal: skipping an undecodable record"),
                }
            }
            let mut j = j;
            // The earlier format: taken over whole (a crash before its removal takes it over
            // again, to the same result: nothing is appended before it is gone).
            let old = dir.join("outbox.sealed");
            match bithive_secret_file::read(&old) {
                Ok(b) => {
                    let key = AtRestKey::derive(secret, "p2p-outbox");
                    let plain = Zeroizing::new(key.open(LABEL, &b).ok_or_else(|| {
                        BitChatError::Config(format!(
                            "{} does not open with this key",
                            old.display()
                        ))
                    })?);
                    entries = decode(&plain).ok_or_else(|| {
                        BitChatError::Config(format!("{}: not an outbox", old.display()))
                    })?;
                    compact(&mut j, &entries)?;
                    std::fs::remove_file(&old)?;
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(BitChatError::Config(e.to_string())),
            }
            journal = Some(j);
        }
        let bytes = entries.iter().map(|e| e.payload.len()).sum();
        Ok(Self {
            entries,
            retry: HashMap::new(),
            in_flight: Default::default(),
            bytes,
            journal,
        })
    }

    /// Whether a payload to `to` is waiting (a new one must then wait behind it).
    pub fn has(&self, to: &AccountId) -> bool {
        self.entries.iter().any(|e| e.to == *to)
    }

    /// Whether a new payload to `to` may be sent at once: nothing waits for `to` and nothing is
    /// being sent to it. If so, `to` is in flight until [`Outbox::landed`] or
    /// [`Outbox::push_failed`].
    pub fn begin(&mut self, to: &AccountId) -> bool {
        if self.has(to) || self.in_flight.contains(to) {
            return false;
        }
        self.in_flight.insert(*to);
        true
    }

    /// The attempt [`Outbox::begin`] allowed went through.
    pub fn landed(&mut self, to: &AccountId) {
        self.in_flight.remove(to);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queues `payload` for `to` (sent at `now` under the seal id `id`) behind what waits for
    /// it; kept on disk before this returns.
    pub fn push(
        &mut self,
        to: AccountId,
        id: [u8; 16],
        payload: &[u8],
        now: u64,
    ) -> Result<(), BitChatError> {
        self.insert(false, to, id, payload, now)
    }

    /// The attempt [`Outbox::begin`] allowed failed at `now`: the payload waits ahead of what
    /// was queued for `to` meanwhile, and `to` is tried again after a backoff.
    pub fn push_failed(
        &mut self,
        to: AccountId,
        id: [u8; 16],
        payload: &[u8],
        now: u64,
    ) -> Result<(), BitChatError> {
        self.in_flight.remove(&to);
        self.insert(true, to, id, payload, now)?;
        self.failed(&to, now);
        Ok(())
    }

    /// Writes the payload to the journal, then queues it (`ahead`: before what waits for `to`).
    fn insert(
        &mut self,
        ahead: bool,
        to: AccountId,
        id: [u8; 16],
        payload: &[u8],
        now: u64,
    ) -> Result<(), BitChatError> {
        if self.entries.len() >= MAX_ENTRIES || self.bytes + payload.len() > MAX_BYTES {
            return Err(BitChatError::Peer(format!(
                "not reachable now, and the outbox is full ({} payloads, {} bytes waiting)",
                self.entries.len(),
                self.bytes
            )));
        }
        let entry = Entry {
            to,
            id,
            queued_at: now,
            payload: payload.to_vec(),
        };
        let record = Record::Queued { ahead, entry };
        if let Some(j) = &mut self.journal {
            // Not kept: the caller says it was not sent rather than that it waits.
            j.append(&record.encode())?;
        }
        self.bytes += payload.len();
        apply(&mut self.entries, record);
        Ok(())
    }

    /// Writes that `gone` left the outbox (already removed in memory), then compacts the
    /// journal when it is mostly dead. A failure is logged: a restart sends those payloads
    /// again, and their recipients drop the repeats by id.
    fn forget(&mut self, gone: Vec<(AccountId, [u8; 16])>) {
        let Some(j) = &mut self.journal else { return };
        if let Err(e) = j.append(&Record::Gone(gone).encode()) {
            tracing::warn!("outbox journal: {e}");
            return;
        }
        if j.records() >= COMPACT_MIN_RECORDS && j.records() > 4 * self.entries.len() {
            if let Err(e) = compact(j, &self.entries) {
                tracing::warn!("outbox journal: compaction: {e}");
            }
        }
    }

    /// Recipients whose turn it is at `now`, in the order their oldest payload was queued (not
    /// those a first attempt is being made to).
    pub fn due(&self, now: u64) -> Vec<AccountId> {
        let mut out: Vec<AccountId> = Vec::new();
        for e in &self.entries {
            let ready = !self.in_flight.contains(&e.to)
                && self.retry.get(&e.to).is_none_or(|(_, next)| *next <= now);
            if ready && !out.contains(&e.to) {
                out.push(e.to);
            }
        }
        out
    }

    /// The oldest payload waiting for `to`.
    pub fn head(&self, to: &AccountId) -> Option<Entry> {
        self.entries.iter().find(|e| e.to == *to).cloned()
    }

    /// `to` took the payload `id`: it leaves the outbox, and `to`'s backoff starts over.
    pub fn delivered(&mut self, to: &AccountId, id: &[u8; 16]) {
        if let Some(i) = self.entries.iter().position(|e| e.to == *to && e.id == *id) {
            let e = self.entries.remove(i).expect("position");
            self.bytes -= e.payload.len();
            self.retry.remove(to);
            self.forget(vec![(e.to, e.id)]);
        }
    }

    /// `to` is around (a payload came from it): its turn is now, whatever its backoff said.
    pub fn wake(&mut self, to: &AccountId) -> bool {
        self.retry.remove(to);
        self.has(to)
    }

    /// Our network is (back) up: everyone's turn is now.
    pub fn wake_all(&mut self) -> bool {
        self.retry.clear();
        !self.entries.is_empty()
    }

    /// An attempt to `to` failed at `now`: its next try is later (2 s, doubling to 5 min).
    pub fn failed(&mut self, to: &AccountId, now: u64) {
        let (n, next) = self.retry.entry(*to).or_insert((0, now));
        let wait = FIRST_BACKOFF_SECS
            .saturating_mul(1u64 << (*n).min(16))
            .min(MAX_BACKOFF_SECS);
        *n = n.saturating_add(1);
        *next = now.saturating_add(wait);
    }

    /// Drops the payloads that waited longer than [`MAX_WAIT_SECS`], and those queued behind
    /// them for the same recipient (they depend on them); how many, per recipient.
    pub fn expire(&mut self, now: u64) -> Vec<(AccountId, usize)> {
        let mut gone: Vec<(AccountId, usize)> = Vec::new();
        let before = self.entries.len();
        let mut expired = std::collections::HashSet::new();
        let mut ids = Vec::new();
        self.entries.retain(|e| {
            if e.queued_at.saturating_add(MAX_WAIT_SECS) < now {
                expired.insert(e.to);
            }
            let keep = !expired.contains(&e.to);
            if !keep {
                ids.push((e.to, e.id));
                match gone.iter_mut().find(|(a, _)| *a == e.to) {
                    Some((_, n)) => *n += 1,
                    None => gone.push((e.to, 1)),
                }
            }
            keep
        });
        if self.entries.len() != before {
            self.bytes = self.entries.iter().map(|e| e.payload.len()).sum();
            self.retry
                .retain(|a, _| self.entries.iter().any(|e| e.to == *a));
            self.forget(ids);
        }
        gone
    }

    /// When the next recipient's turn comes (`None`: nothing waits).
    pub fn next_due(&self) -> Option<u64> {
        self.entries
            .iter()
            .filter(|e| !self.in_flight.contains(&e.to))
            .map(|e| self.retry.get(&e.to).map_or(e.queued_at, |(_, next)| *next))
            .min()
    }

    #[cfg(test)]
    fn journal_records(&self) -> Option<usize> {
        self.journal.as_ref().map(|j| j.records())
    }
}

/// One record's effect on the queue, the same as written and as replayed at open: a gone
/// (recipient, id) removes the first payload that matches, as `delivered` does.
fn apply(entries: &mut VecDeque<Entry>, r: Record) {
    match r {
        Record::Queued { ahead, entry } => {
            let at = position(entries, &entry.to, ahead);
            entries.insert(at, entry);
        }
        Record::Gone(ids) => {
            for (to, id) in ids {
                if let Some(i) = entries.iter().position(|e| e.to == to && e.id == id) {
                    entries.remove(i);
                }
            }
        }
    }
}

/// Rewrites the journal as the payloads waiting, in order.
fn compact(j: &mut Journal, entries: &VecDeque<Entry>) -> Result<(), BitChatError> {
    let live: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| {
            Record::Queued {
                ahead: false,
                entry: e.clone(),
            }
            .encode()
        })
        .collect();
    j.compact(live.iter().map(|r| r.as_slice()))
}

/// The earlier file's encoding (tests write one to check the take-over).
#[cfg(test)]
fn encode(entries: &VecDeque<Entry>) -> Vec<u8> {
    let mut out = vec![VERSION];
    for e in entries {
        out.extend_from_slice(&e.to.0);
        out.extend_from_slice(&e.id);
        out.extend_from_slice(&e.queued_at.to_be_bytes());
        out.extend_from_slice(&(e.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&e.payload);
    }
    out
}

fn decode(b: &[u8]) -> Option<VecDeque<Entry>> {
    let (&version, mut rest) = b.split_first()?;
    if version != VERSION {
        return None;
    }
    let mut out = VecDeque::new();
    while !rest.is_empty() {
        if rest.len() < 48 {
            return None;
        }
        let to = AccountId(rest[..20].try_into().ok()?);
        let id = rest[20..36].try_into().ok()?;
        let queued_at = u64::from_be_bytes(rest[36..44].try_into().ok()?);
        let len = u32::from_be_bytes(rest[44..48].try_into().ok()?) as usize;
        rest = &rest[48..];
        if rest.len() < len || len > MAX_BYTES {
            return None;
        }
        out.push_back(Entry {
            to,
            id,
            queued_at,
            payload: rest[..len].to_vec(),
        });
        rest = &rest[len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(n: u8) -> AccountId {
        AccountId([n; 20])
    }

    #[test]
    fn payloads_wait_in_order_survive_a_restart_and_back_off() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let now = 1_800_000_000;
        let mut o = Outbox::open(Some(dir.path()), &secret).unwrap();
        o.push(acct(1), [1; 16], b"welcome", now).unwrap();
        o.push(acct(2), [2; 16], b"to carol", now).unwrap();
        o.push(acct(1), [3; 16], b"first message", now).unwrap();
        assert!(o.has(&acct(1)) && !o.has(&acct(3)));
        assert_eq!(o.due(now), vec![acct(1), acct(2)]);
        assert_eq!(o.head(&acct(1)).unwrap().payload, b"welcome");

        // Bob is not reachable: he is tried again after 2 s, then 4 s; Carol is still due.
        o.failed(&acct(1), now);
        assert_eq!(o.due(now + 1), vec![acct(2)]);
        assert_eq!(o.next_due(), Some(now));
        o.failed(&acct(2), now);
        assert_eq!(o.next_due(), Some(now + 2));
        o.failed(&acct(1), now + 2);
        assert_eq!(o.due(now + 5), vec![acct(2)]);
        assert_eq!(o.due(now + 6), vec![acct(1), acct(2)]);
        for _ in 0..40 {
            o.failed(&acct(1), now);
        }
        assert!(o
            .due(now + MAX_BACKOFF_SECS - 1)
            .iter()
            .all(|a| *a != acct(1)));
        assert!(o.due(now + MAX_BACKOFF_SECS).contains(&acct(1)));

        // A crash: everything is still there, in order, and tried at once.
        let mut o = Outbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(o.len(), 3);
        assert_eq!(o.due(now), vec![acct(1), acct(2)]);
        o.delivered(&acct(1), &[1; 16]);
        assert_eq!(o.head(&acct(1)).unwrap().payload, b"first message");
        let o = Outbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(o.len(), 2);

        // The file is sealed, 0600, holds neither payload nor recipient, and opens with this
        // account's key only.
        let path = dir.path().join("outbox.journal");
        let raw = std::fs::read(&path).unwrap();
        for needle in [&b"first message"[..], &[1u8; 20][..], &[2u8; 20][..]] {
            assert!(!raw.windows(needle.len()).any(|w| w == needle));
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(Outbox::open(Some(dir.path()), &[8u8; 32]).is_err());
    }

    #[test]
    fn the_outbox_is_bounded_and_forgets_what_waited_too_long() {
        let now = 1_800_000_000;
        let mut o = Outbox::open(None, &[7; 32]).unwrap();
        for i in 0..MAX_ENTRIES {
            o.push(acct(1), [0; 16], &[i as u8], now).unwrap();
        }
        let e = o.push(acct(2), [0; 16], b"x", now).unwrap_err();
        assert!(e.to_string().contains("outbox is full"), "{e}");
        let mut o = Outbox::open(None, &[7; 32]).unwrap();
        o.push(acct(1), [0; 16], &vec![0; MAX_BYTES - 10], now)
            .unwrap();
        assert!(o.push(acct(1), [1; 16], &[0; 11], now).is_err());
        o.push(acct(2), [2; 16], &[0; 10], now + 10).unwrap();

        assert!(o.expire(now + MAX_WAIT_SECS).is_empty());
        assert_eq!(o.expire(now + MAX_WAIT_SECS + 1), vec![(acct(1), 1)]);
        assert_eq!(
            (o.len(), o.due(now + MAX_WAIT_SECS + 1)),
            (1, vec![acct(2)])
        );
        // What waits behind an expired payload (a message behind its welcome) goes with it.
        let mut o2 = Outbox::open(None, &[7; 32]).unwrap();
        o2.push(acct(1), [1; 16], b"welcome", now).unwrap();
        o2.push(acct(1), [2; 16], b"message", now + 100).unwrap();
        assert_eq!(o2.expire(now + MAX_WAIT_SECS + 1), vec![(acct(1), 2)]);
        assert!(o2.is_empty());
        // The room freed is free again.
        o.push(
            acct(1),
            [3; 16],
            &vec![0; MAX_BYTES - 20],
            now + MAX_WAIT_SECS + 1,
        )
        .unwrap();
    }

    #[test]
    fn what_comes_while_a_first_attempt_is_under_way_waits_behind_it() {
        let now = 1_800_000_000;
        let mut o = Outbox::open(None, &[7; 32]).unwrap();
        assert!(o.begin(&acct(1)));
        // A second payload to the same account meanwhile: it may not go first.
        assert!(!o.begin(&acct(1)));
        o.push(acct(1), [2; 16], b"second", now).unwrap();
        assert!(
            o.due(now).is_empty(),
            "not retried while the first is under way"
        );
        assert_eq!(o.next_due(), None);
        // The first attempt fails: it waits ahead of the second, after a backoff.
        o.push_failed(acct(1), [1; 16], b"first", now).unwrap();
        assert_eq!(o.head(&acct(1)).unwrap().payload, b"first");
        assert!(o.due(now).is_empty());
        assert_eq!(o.due(now + 2), vec![acct(1)]);
        // Our network comes back: everyone's turn is now.
        assert!(o.wake_all());
        assert_eq!(o.due(now), vec![acct(1)]);
        // An attempt that lands frees the account for the next first attempt.
        assert!(o.begin(&acct(2)));
        o.landed(&acct(2));
        assert!(o.begin(&acct(2)));
    }

    fn payloads(o: &Outbox) -> Vec<(u8, [u8; 16], Vec<u8>)> {
        o.entries
            .iter()
            .map(|e| (e.to.0[0], e.id, e.payload.clone()))
            .collect()
    }

    /// Queueing writes one record, not the outbox: the journal stays within 4 times what
    /// waits (at least 256 records) however many payloads came and went, and a restart finds
    /// exactly what waits, in order.
    #[test]
    fn the_journal_is_compacted_and_a_restart_finds_the_same_queue() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1_800_000_000;
        let mut o = Outbox::open(Some(dir.path()), &[7; 32]).unwrap();
        o.push(acct(9), [0xff; 16], b"waits throughout", now)
            .unwrap();
        for i in 0..2_000u32 {
            let id = [
                (i % 251) as u8,
                (i / 251) as u8,
                1,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ];
            o.push(acct(1), id, &i.to_be_bytes(), now).unwrap();
            o.delivered(&acct(1), &id);
            let records = o.journal_records().unwrap();
            assert!(
                records <= COMPACT_MIN_RECORDS.max(4 * o.len()) + 1,
                "{records} records for {} waiting",
                o.len()
            );
        }
        assert_eq!(o.len(), 1);
        let before = payloads(&o);
        drop(o);
        let o = Outbox::open(Some(dir.path()), &[7; 32]).unwrap();
        assert_eq!(payloads(&o), before);
    }

    /// The outbox file of the earlier format is taken over once, in order, and removed.
    #[test]
    fn an_outbox_of_the_earlier_format_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let old: VecDeque<Entry> = (1..=3)
            .map(|i| Entry {
                to: acct(i),
                id: [i; 16],
                queued_at: 1_800_000_000,
                payload: vec![i; 3],
            })
            .collect();
        let key = AtRestKey::derive(&secret, "p2p-outbox");
        let sealed = key.seal(LABEL, &encode(&old));
        bithive_secret_file::replace(&dir.path().join("outbox.sealed"), Zeroizing::new(sealed))
            .unwrap();
        let o = Outbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(o.entries, old);
        assert!(!dir.path().join("outbox.sealed").exists());
        drop(o);
        let o = Outbox::open(Some(dir.path()), &secret).unwrap();
        assert_eq!(o.entries, old);
    }

    proptest::proptest! {
        /// Whatever was queued, queued ahead after a failed attempt, delivered or expired, the
        /// journal replays to the queue as it was in memory.
        #[test]
        fn a_restart_finds_the_queue_as_it_was(ops in proptest::collection::vec((0u8..4, 0u8..3, 0u8..6), 1..60)) {
            let dir = tempfile::tempdir().unwrap();
            let now = 1_800_000_000;
            let mut o = Outbox::open(Some(dir.path()), &[7; 32]).unwrap();
            for (i, (op, who, pick)) in ops.into_iter().enumerate() {
                let to = acct(who);
                let id = [i as u8; 16];
                match op {
                    0 => o.push(to, id, &[i as u8], now + i as u64).unwrap(),
                    1 => o.push_failed(to, id, &[i as u8], now + i as u64).unwrap(),
                    2 => {
                        let ids: Vec<[u8; 16]> = o.entries.iter().filter(|e| e.to == to).map(|e| e.id).collect();
                        if !ids.is_empty() {
                            o.delivered(&to, &ids[pick as usize % ids.len()]);
                        }
                    }
                    _ => {
                        o.expire(now + MAX_WAIT_SECS + pick as u64 * 10);
                    }
                }
            }
            let before = payloads(&o);
            let bytes = o.bytes;
            drop(o);
            let o = Outbox::open(Some(dir.path()), &[7; 32]).unwrap();
            proptest::prop_assert_eq!(payloads(&o), before);
            proptest::prop_assert_eq!(o.bytes, bytes);
        }

        #[test]
        fn a_journal_record_decodes_or_is_refused(b in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..256)) {
            if let Some(r) = Record::decode(&b) {
                proptest::prop_assert_eq!(r.encode(), b);
            }
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(b in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..256)) {
            let _ = decode(&b);
        }

        #[test]
        fn what_is_encoded_decodes(payloads in proptest::collection::vec(proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..64), 0..8)) {
            let entries: VecDeque<Entry> = payloads.into_iter().enumerate().map(|(i, p)| Entry {
                to: acct(i as u8), id: [i as u8; 16], queued_at: i as u64, payload: p,
            }).collect();
            proptest::prop_assert_eq!(decode(&encode(&entries)), Some(entries));
        }
    }
}
