//! Sender outbox: every sealed envelope until its delivery receipt or its TTL, optionally
//! journaled (crate::journal) so a restart resends what was pending and keeps sequence numbers.
//!
//! Journal records (JSON): `Msg` when an envelope is sealed (with the envelope, its conversation
//! and sequence number), `Status` on every status change, and `Seq` (written by compaction) for the
//! sequence state of a conversation whose messages were all compacted away. Replaying them in order
//! rebuilds the outbox; `Pending` entries keep their envelope and are resent by the node.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::at_rest::AtRestKey;
use crate::error::BitChatError;
use crate::frame::{Envelope, Frame, MessageId};
use crate::identity::AccountId;
use crate::journal::Journal;

/// Where an outgoing message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageStatus {
    /// Not handed to anyone yet (retrying).
    Pending,
    /// In a relay mailbox, waiting for the recipient.
    Stored,
    /// The recipient accepted it (directly, or a receipt came back).
    Delivered,
    /// Its TTL passed without delivery.
    Failed,
}

impl MessageStatus {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }
}

#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub expires_at: u64,
    pub status: MessageStatus,
    pub to: AccountId,
    /// (conversation, seq) of a message; None for receipts.
    pub seq: Option<(u64, u64)>,
    /// Kept until a node took responsibility for it.
    pub envelope: Option<Envelope>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Rec {
    Msg {
        id: String,
        to: String,
        expires_at: u64,
        seq: Option<(u64, u64)>,
        frame: String,
    },
    Status {
        id: String,
        status: MessageStatus,
    },
    Seq {
        to: String,
        conversation: u64,
        next: u64,
        prev_expires_at: u64,
    },
}

/// Compact when the journal holds this many records and at least 4x the live ones.
const COMPACT_MIN_RECORDS: usize = 1024;

#[derive(Default)]
pub struct Outbox {
    pub entries: HashMap<MessageId, OutboxEntry>,
    /// (recipient, conversation) -> (next seq, expiry of the last message)
    pub seqs: HashMap<(AccountId, u64), (u64, u64)>,
    journal: Option<Journal>,
}

fn hex16(s: &str) -> Option<[u8; 16]> {
    hex::decode(s).ok()?.try_into().ok()
}

fn account(s: &str) -> Option<AccountId> {
    Some(AccountId(hex::decode(s).ok()?.try_into().ok()?))
}

impl Outbox {
    /// In memory only.
    pub fn memory() -> Self {
        Self::default()
    }

    /// Open the journal at `path`, sealed under `key`, and rebuild the outbox from it.
    pub fn open(path: &Path, key: AtRestKey) -> Result<Self, BitChatError> {
        let (journal, rec) = Journal::open(path, key)?;
        let mut o = Self::default();
        for r in rec.records {
            match serde_json::from_slice::<Rec>(&r) {
                Ok(r) => o.replay(r),
                Err(e) => tracing::warn!("outbox journal: skipping undecodable record: {e}"),
            }
        }
        o.journal = Some(journal);
        tracing::debug!(
            "outbox recovered {} entries ({} pending)",
            o.entries.len(),
            o.entries
                .values()
                .filter(|e| e.status == MessageStatus::Pending)
                .count()
        );
        Ok(o)
    }

    fn replay(&mut self, r: Rec) {
        match r {
            Rec::Msg {
                id,
                to,
                expires_at,
                seq,
                frame,
            } => {
                let (Some(id), Some(to)) = (hex16(&id), account(&to)) else {
                    return;
                };
                let envelope = hex::decode(frame)
                    .ok()
                    .and_then(|b| Frame::decode(&b).ok())
                    .and_then(|(f, _)| match f {
                        Frame::Deliver(e) => Some(e),
                        _ => None,
                    });
                let Some(envelope) = envelope else {
                    return;
                };
                if let Some((conv, s)) = seq {
                    self.bump_seq(to, conv, s + 1, expires_at);
                }
                self.entries.insert(
                    id,
                    OutboxEntry {
                        expires_at,
                        status: MessageStatus::Pending,
                        to,
                        seq,
                        envelope: Some(envelope),
                    },
                );
            }
            Rec::Status { id, status } => {
                if let Some(e) = hex16(&id).and_then(|id| self.entries.get_mut(&id)) {
                    e.status = status;
                    if status != MessageStatus::Pending {
                        e.envelope = None;
                    }
                }
            }
            Rec::Seq {
                to,
                conversation,
                next,
                prev_expires_at,
            } => {
                if let Some(to) = account(&to) {
                    self.bump_seq(to, conversation, next, prev_expires_at);
                }
            }
        }
    }

    fn bump_seq(&mut self, to: AccountId, conv: u64, next: u64, prev: u64) {
        let slot = self.seqs.entry((to, conv)).or_insert((0, 0));
        if next >= slot.0 {
            *slot = (next, prev);
        }
    }

    fn log(&mut self, r: &Rec) -> Result<(), BitChatError> {
        if let Some(j) = &mut self.journal {
            let bytes = serde_json::to_vec(r).map_err(|e| BitChatError::Journal(e.to_string()))?;
            j.append(&bytes)?;
        }
        Ok(())
    }

    /// Next (seq, expiry of the previous message) of a conversation; reserves the seq.
    pub fn next_seq(
        &mut self,
        to: AccountId,
        conversation: u64,
        expires_at: u64,
    ) -> Result<(u64, u64), BitChatError> {
        let slot = self.seqs.entry((to, conversation)).or_insert((0, 0));
        let out = *slot;
        *slot = (
            out.0.checked_add(1).ok_or(BitChatError::Overflow)?,
            expires_at,
        );
        Ok(out)
    }

    /// Add a sealed envelope (durably, when journaled) as Pending.
    pub fn insert(
        &mut self,
        to: AccountId,
        seq: Option<(u64, u64)>,
        env: Envelope,
    ) -> Result<MessageId, BitChatError> {
        let id = env.id;
        self.log(&Rec::Msg {
            id: hex::encode(id),
            to: hex::encode(to.0),
            expires_at: env.expires_at,
            seq,
            frame: hex::encode(Frame::Deliver(env.clone()).encode()),
        })?;
        self.entries.insert(
            id,
            OutboxEntry {
                expires_at: env.expires_at,
                status: MessageStatus::Pending,
                to,
                seq,
                envelope: Some(env),
            },
        );
        Ok(id)
    }

    /// Move `id` to `status` (never out of a final status); journaled before it takes effect.
    pub fn set_status(&mut self, id: &MessageId, status: MessageStatus) {
        let Some(cur) = self.entries.get(id).map(|e| e.status) else {
            return;
        };
        if cur == status || cur.is_final() {
            return;
        }
        if let Err(e) = self.log(&Rec::Status {
            id: hex::encode(id),
            status,
        }) {
            // Not applied: the entry stays as it was and is retried / re-evaluated later.
            tracing::warn!("outbox journal: {e}");
            return;
        }
        if let Some(e) = self.entries.get_mut(id) {
            e.status = status;
            if status != MessageStatus::Pending {
                e.envelope = None;
            }
        }
    }

    /// Mark every expired, unfinished entry Failed.
    pub fn expire(&mut self, now: u64) {
        let expired: Vec<MessageId> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires_at <= now && !e.status.is_final())
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.set_status(&id, MessageStatus::Failed);
        }
    }

    /// Rewrite the journal with the live state when it has grown mostly dead. Final entries
    /// whose TTL has passed are forgotten (their status is no longer reported).
    pub fn maybe_compact(&mut self, now: u64) -> Result<(), BitChatError> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let dead = |e: &OutboxEntry| e.status.is_final() && e.expires_at <= now;
        let live = self.entries.values().filter(|e| !dead(e)).count() + self.seqs.len();
        if j.records() < COMPACT_MIN_RECORDS || j.records() < 4 * live.max(1) {
            return Ok(());
        }
        self.entries.retain(|_, e| !dead(e));
        let mut recs = Vec::new();
        for ((to, conversation), (next, prev)) in &self.seqs {
            recs.push(Rec::Seq {
                to: hex::encode(to.0),
                conversation: *conversation,
                next: *next,
                prev_expires_at: *prev,
            });
        }
        for (id, e) in &self.entries {
            // The envelope is only needed while pending; a placeholder keeps the record shape.
            let env = e.envelope.clone().unwrap_or(Envelope {
                id: *id,
                from: [0; 20],
                to: e.to.0,
                expires_at: e.expires_at,
                ciphertext: Vec::new(),
            });
            recs.push(Rec::Msg {
                id: hex::encode(id),
                to: hex::encode(e.to.0),
                expires_at: e.expires_at,
                seq: e.seq,
                frame: hex::encode(Frame::Deliver(env).encode()),
            });
            if e.status != MessageStatus::Pending {
                recs.push(Rec::Status {
                    id: hex::encode(id),
                    status: e.status,
                });
            }
        }
        let bytes: Vec<Vec<u8>> = recs
            .iter()
            .map(|r| serde_json::to_vec(r).map_err(|e| BitChatError::Journal(e.to_string())))
            .collect::<Result<_, _>>()?;
        if let Some(j) = &mut self.journal {
            j.compact(bytes.iter().map(|b| b.as_slice()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recipient of every test message.
    const BOB: AccountId = AccountId([2; 20]);

    /// A journal path in a fresh temporary directory (kept while the directory lives).
    fn journal() -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("outbox.journal");
        (d, p)
    }

    fn env(id: u8, expires_at: u64) -> Envelope {
        Envelope {
            id: [id; 16],
            from: [1; 20],
            to: BOB.0,
            expires_at,
            ciphertext: vec![id; 40],
        }
    }

    #[test]
    fn pending_survives_reopen_and_final_status_sticks() {
        let (_d, p) = journal();
        {
            let mut o =
                Outbox::open(&p, crate::at_rest::AtRestKey::derive(&[3; 32], "outbox")).unwrap();
            for i in 0..3u8 {
                let (seq, _) = o.next_seq(BOB, 5, 100 + i as u64).unwrap();
                o.insert(BOB, Some((5, seq)), env(i, 100 + i as u64))
                    .unwrap();
            }
            o.set_status(&[0; 16], MessageStatus::Delivered);
            o.set_status(&[1; 16], MessageStatus::Stored);
        }
        let mut o =
            Outbox::open(&p, crate::at_rest::AtRestKey::derive(&[3; 32], "outbox")).unwrap();
        assert_eq!(o.entries[&[0; 16]].status, MessageStatus::Delivered);
        assert_eq!(o.entries[&[1; 16]].status, MessageStatus::Stored);
        assert!(o.entries[&[1; 16]].envelope.is_none());
        assert_eq!(o.entries[&[2; 16]].envelope, Some(env(2, 102)));
        assert_eq!(o.next_seq(BOB, 5, 200).unwrap(), (3, 102), "seq continues");
        o.set_status(&[0; 16], MessageStatus::Failed);
        o.expire(150);
        assert_eq!(o.entries[&[0; 16]].status, MessageStatus::Delivered);
        assert_eq!(o.entries[&[2; 16]].status, MessageStatus::Failed);
    }

    #[test]
    fn compaction_keeps_state() {
        let (_d, p) = journal();
        {
            let mut o =
                Outbox::open(&p, crate::at_rest::AtRestKey::derive(&[3; 32], "outbox")).unwrap();
            for i in 0..600u32 {
                let mut e = env(0, 10);
                e.id[..4].copy_from_slice(&i.to_le_bytes());
                let (seq, _) = o.next_seq(BOB, 1, 10).unwrap();
                let id = o.insert(BOB, Some((1, seq)), e).unwrap();
                if i < 599 {
                    o.set_status(&id, MessageStatus::Delivered);
                }
            }
            o.maybe_compact(50).unwrap();
            assert_eq!(o.entries.len(), 1, "expired final entries are dropped");
            assert!(o.journal.as_ref().unwrap().records() < 10);
        }
        let mut o =
            Outbox::open(&p, crate::at_rest::AtRestKey::derive(&[3; 32], "outbox")).unwrap();
        assert_eq!(o.entries.len(), 1);
        assert!(o.entries.values().all(|e| e.envelope.is_some()));
        assert_eq!(o.next_seq(BOB, 1, 20).unwrap().0, 600);
    }
}
