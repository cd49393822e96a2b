//! The chat carrier's durable outbox (no I/O but its own file): payloads that could not be
//! handed on (the recipient's record not in the DHT because it has been away for days, no relay
//! reachable, our own network down) wait here and are retried with backoff until they go or
//! expire. A recipient's payloads leave in the order they were sent: later ones depend on
//! earlier ones (a welcome, then the messages it opens), so once one waits, or is being sent,
//! every later one to the same account waits behind it; and when one expires, those behind it
//! go with it.
//!
//! The file (`outbox.sealed`, 0600) is sealed with a key derived from the account's secret and
//! rewritten on each change, so a payload the user was told is queued survives a crash. What it
//! holds is already end-to-end encrypted (MLS); sealed at rest, it also hides who is written to.
//! Each entry keeps the random id and the send time its seal carries on every attempt, so a
//! recipient that gets it twice (an attempt that timed out after a relay took it, then a retry)
//! takes it once: its replay filter keeps the id as long as it would take any copy (7 days after
//! the send time).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use bithive_bitchat::at_rest::AtRestKey;
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
/// The file's format: version byte, then entries `to (20) || id (16) || queued at (8, BE) ||
/// length (4, BE) || payload`.
const VERSION: u8 = 1;
const LABEL: &[u8] = b"p2p-outbox";

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
    file: Option<(PathBuf, AtRestKey)>,
}

impl Outbox {
    /// The outbox kept in `dir` (`None`: in memory only, lost on a restart).
    pub fn open(dir: Option<&std::path::Path>, secret: &[u8; 32]) -> Result<Self, BitChatError> {
        let file = dir.map(|d| {
            (
                d.join("outbox.sealed"),
                AtRestKey::derive(secret, "p2p-outbox"),
            )
        });
        let mut entries = VecDeque::new();
        if let Some((path, key)) = &file {
            match bithive_secret_file::read(path) {
                Ok(b) => {
                    let plain = Zeroizing::new(key.open(LABEL, &b).ok_or_else(|| {
                        BitChatError::Config(format!(
                            "{} does not open with this key",
                            path.display()
                        ))
                    })?);
                    entries = decode(&plain).ok_or_else(|| {
                        BitChatError::Config(format!("{}: not an outbox", path.display()))
                    })?;
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(BitChatError::Config(e.to_string())),
            }
        }
        let bytes = entries.iter().map(|e| e.payload.len()).sum();
        Ok(Self {
            entries,
            retry: HashMap::new(),
            in_flight: Default::default(),
            bytes,
            file,
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
        let at = self.entries.len();
        self.insert(at, to, id, payload, now)
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
        let at = self
            .entries
            .iter()
            .position(|e| e.to == to)
            .unwrap_or(self.entries.len());
        self.insert(at, to, id, payload, now)?;
        self.failed(&to, now);
        Ok(())
    }

    fn insert(
        &mut self,
        at: usize,
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
        self.entries.insert(
            at,
            Entry {
                to,
                id,
                queued_at: now,
                payload: payload.to_vec(),
            },
        );
        self.bytes += payload.len();
        if let Err(e) = self.save() {
            // Not kept: the caller says it was not sent rather than that it waits.
            let e2 = self.entries.remove(at).expect("just inserted");
            self.bytes -= e2.payload.len();
            return Err(e);
        }
        Ok(())
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
            if let Err(e) = self.save() {
                // Kept in the file: a restart sends it again, and the recipient drops the repeat.
                tracing::warn!("outbox: {e}");
            }
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
        self.entries.retain(|e| {
            if e.queued_at.saturating_add(MAX_WAIT_SECS) < now {
                expired.insert(e.to);
            }
            let keep = !expired.contains(&e.to);
            if !keep {
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
            if let Err(e) = self.save() {
                tracing::warn!("outbox: {e}");
            }
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

    fn save(&self) -> Result<(), BitChatError> {
        let Some((path, key)) = &self.file else {
            return Ok(());
        };
        let plain = Zeroizing::new(encode(&self.entries));
        bithive_secret_file::replace(path, Zeroizing::new(key.seal(LABEL, &plain)))
            .map_err(|e| BitChatError::Config(format!("{}: {e}", path.display())))
    }
}

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
        let path = dir.path().join("outbox.sealed");
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

    proptest::proptest! {
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
