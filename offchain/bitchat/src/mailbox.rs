//! Store-and-forward mailbox of a relay: envelopes for offline recipients, with TTL, per-sender
//! quotas, size limits, and persistence (atomic rewrite) so a restart keeps every accepted
//! envelope.
//!
//! On disk: one file, mode 0600, `MAGIC || sealed(JSON of the envelopes)` under the relay's
//! mailbox [`AtRestKey`]. What the relay holds in memory (sender, recipient, expiry, size of each
//! envelope; the ciphertext it cannot open) is what it must know to route and enforce quotas;
//! the disk shows only the file's size.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::at_rest::{write_atomic_0600, AtRestKey};
use crate::error::BitChatError;
use crate::frame::{Envelope, MessageId};

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

const MAGIC: &[u8] = b"BCMBX\x01";

#[derive(Debug)]
pub struct Mailbox {
    path: PathBuf,
    key: AtRestKey,
    limits: MailboxLimits,
    entries: BTreeMap<MessageId, Envelope>,
}

impl Mailbox {
    /// Open (or create) the mailbox persisted at `path`, sealed under `key`.
    pub fn open(path: &Path, key: AtRestKey, limits: MailboxLimits) -> Result<Self, BitChatError> {
        let mut entries = BTreeMap::new();
        crate::at_rest::remove_stale_temporaries(path, "tmp");
        if path.exists() {
            let raw = std::fs::read(path)?;
            let body = raw
                .strip_prefix(MAGIC)
                .and_then(|sealed| key.open(MAGIC, sealed))
                .ok_or_else(|| {
                    BitChatError::Mailbox(format!(
                        "{} does not open with this relay's mailbox key (another identity's \
                         mailbox, one from before encryption at rest, or tampering)",
                        path.display()
                    ))
                })?;
            let stored: Vec<Stored> =
                serde_json::from_slice(&body).map_err(|e| BitChatError::Mailbox(e.to_string()))?;
            for s in stored {
                let e = s
                    .envelope()
                    .ok_or_else(|| BitChatError::Mailbox("corrupt entry".into()))?;
                entries.insert(e.id, e);
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            key,
            limits,
            entries,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.entries.values().map(|e| e.ciphertext.len()).sum()
    }

    fn persist(&self) -> Result<(), BitChatError> {
        let stored: Vec<Stored> = self.entries.values().map(Stored::of).collect();
        let raw = serde_json::to_vec(&stored).map_err(|e| BitChatError::Mailbox(e.to_string()))?;
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&self.key.seal(MAGIC, &raw));
        write_atomic_0600(&self.path, "tmp", &file)?;
        Ok(())
    }

    /// Drop expired envelopes; returns how many.
    pub fn purge(&mut self, now: u64) -> Result<usize, BitChatError> {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.expires_at > now);
        let n = before - self.entries.len();
        if n > 0 {
            self.persist()?;
        }
        Ok(n)
    }

    /// Store `e` (already checked to come from its authenticated sender). Persisted before Ok.
    pub fn deposit(&mut self, e: Envelope, now: u64) -> Result<Result<(), Refusal>, BitChatError> {
        self.purge(now)?;
        let refusal = if e.ciphertext.len() > self.limits.max_envelope_bytes {
            Some(Refusal::TooLarge)
        } else if e.expires_at <= now {
            Some(Refusal::Expired)
        } else if e.expires_at - now > self.limits.max_ttl_secs {
            Some(Refusal::TtlTooLong)
        } else if self.entries.contains_key(&e.id) {
            Some(Refusal::Duplicate)
        } else {
            let mine = self.entries.values().filter(|x| x.from == e.from);
            let (count, bytes) = mine.fold((0usize, 0usize), |(c, b), x| {
                (c + 1, b + x.ciphertext.len())
            });
            if count + 1 > self.limits.per_sender_count
                || bytes + e.ciphertext.len() > self.limits.per_sender_bytes
            {
                Some(Refusal::SenderQuota)
            } else if self.bytes() + e.ciphertext.len() > self.limits.total_bytes {
                Some(Refusal::Full)
            } else {
                None
            }
        };
        if let Some(r) = refusal {
            return Ok(Err(r));
        }
        self.entries.insert(e.id, e);
        self.persist()?;
        Ok(Ok(()))
    }

    /// Unexpired envelopes for `to`, oldest id order, at most `max`.
    pub fn pending_for(&self, to: &[u8; 20], now: u64, max: usize) -> Vec<Envelope> {
        self.entries
            .values()
            .filter(|e| &e.to == to && e.expires_at > now)
            .take(max)
            .cloned()
            .collect()
    }

    /// Remove envelopes the recipient confirmed; only its own.
    pub fn acknowledge(&mut self, to: &[u8; 20], ids: &[MessageId]) -> Result<usize, BitChatError> {
        let mut n = 0;
        for id in ids {
            if self.entries.get(id).is_some_and(|e| &e.to == to) {
                self.entries.remove(id);
                n += 1;
            }
        }
        if n > 0 {
            self.persist()?;
        }
        Ok(n)
    }

    /// Stored envelope count per sender (for metrics and tests).
    pub fn per_sender(&self) -> HashMap<[u8; 20], usize> {
        let mut m = HashMap::new();
        for e in self.entries.values() {
            *m.entry(e.from).or_insert(0) += 1;
        }
        m
    }
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

    #[test]
    fn limits_quota_ttl_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.sealed");
        let key = || AtRestKey::derive(&[5; 32], "mailbox");
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
        let path = dir.path().join("mailbox.sealed");
        let key = AtRestKey::derive(&[5; 32], "mailbox");
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
}
