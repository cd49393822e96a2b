//! The sending side: sealing into the durable outbox, what to transmit where, reading the
//! answers, and the periodic maintenance (retries, expiry, gaps, compaction).

use std::net::SocketAddr;

use crate::e2e;
use crate::error::BitChatError;
use crate::frame::{AckStatus, Envelope, Frame, MessageId};
use crate::identity::AccountId;
use crate::inbox::{Delivered, Inner};
use crate::outbox::MessageStatus;

use super::serve::header;
use super::NodeCore;

/// One envelope to hand over: to its recipient at `direct` if it has an address, else (or if
/// that fails) to the relays in order.
#[derive(Debug, Clone)]
pub struct Transmit {
    pub id: MessageId,
    pub to: AccountId,
    pub envelope: Envelope,
    pub direct: Option<SocketAddr>,
}

impl Transmit {
    pub fn frame(&self) -> Frame {
        Frame::Deliver(self.envelope.clone())
    }

    /// The outcome of the recipient's answer `frames`, from the authenticated `peer`; `None`:
    /// no verdict (wrong peer, no or another answer), try the relays.
    pub fn direct_outcome(&self, peer: AccountId, frames: &[Frame]) -> Option<MessageStatus> {
        if peer != self.to {
            return None;
        }
        match frames.first() {
            Some(Frame::Ack { id, status }) if *id == self.envelope.id => match status {
                AckStatus::Delivered | AckStatus::Duplicate => Some(MessageStatus::Delivered),
                AckStatus::Rejected => Some(MessageStatus::Failed),
                AckStatus::Stored => None,
            },
            _ => None,
        }
    }

    /// The outcome of a relay's answer; `None`: this relay did not take it.
    pub fn relay_outcome(&self, frames: &[Frame]) -> Option<MessageStatus> {
        match frames.first() {
            Some(Frame::Ack {
                id,
                status: AckStatus::Stored | AckStatus::Duplicate,
            }) if *id == self.envelope.id => Some(MessageStatus::Stored),
            _ => None,
        }
    }
}

/// What a maintenance pass leaves to the caller.
#[derive(Debug, Default)]
pub struct Maintenance {
    /// Outbox entries still waiting for a hand-over: transmit each.
    pub retry: Vec<MessageId>,
    /// Messages released past an expired gap: deliver them.
    pub deliver: Vec<Delivered>,
}

impl NodeCore {
    /// Seal `body` to `to` in `conversation` and add it to the outbox as Pending. Ordering is
    /// per (sender, conversation): the sequence reservation, sealing and the durable insert
    /// happen under one lock, so the journal holds a conversation's messages in order.
    pub fn submit(
        &self,
        to: AccountId,
        conversation: u64,
        body: &[u8],
        expires_at: u64,
    ) -> Result<MessageId, BitChatError> {
        let mut o = self
            .outbox
            .lock()
            .map_err(|_| BitChatError::Peer("poisoned".into()))?;
        let (seq, prev) = o.next_seq(to, conversation, expires_at)?;
        let inner = Inner::Message {
            conversation,
            seq,
            prev_expires_at: prev,
            body: body.to_vec(),
        };
        let env = self.seal(to, &inner, expires_at)?;
        o.insert(to, Some((conversation, seq)), env)
    }

    /// The hand-over of outbox entry `id` at `now`, if it is still pending. An entry past its
    /// expiry is marked Failed instead.
    pub fn transmit(&self, id: MessageId, now: u64) -> Option<Transmit> {
        let (envelope, to) = {
            let mut o = self.outbox.lock().ok()?;
            let e = o.entries.get(&id)?;
            if e.expires_at <= now {
                o.set_status(&id, MessageStatus::Failed);
                return None;
            }
            match &e.envelope {
                Some(env) if e.status == MessageStatus::Pending => (env.clone(), e.to),
                _ => return None,
            }
        };
        Some(Transmit {
            id,
            direct: self.address_of(&to),
            to,
            envelope,
        })
    }

    /// Record the outcome of a transmission; an entry that meanwhile left Pending (a receipt
    /// came first) keeps its status.
    pub fn conclude(&self, id: MessageId, status: MessageStatus) {
        if let Ok(mut o) = self.outbox.lock() {
            if o.entries.get(&id).map(|e| e.status) == Some(MessageStatus::Pending) {
                o.set_status(&id, status);
            }
        }
    }

    /// The status of a sent message at `now`: a message not delivered by its expiry has failed.
    pub fn status(&self, id: &MessageId, now: u64) -> Option<MessageStatus> {
        let o = self.outbox.lock().ok()?;
        let e = o.entries.get(id)?;
        if e.status != MessageStatus::Delivered && e.expires_at <= now {
            return Some(MessageStatus::Failed);
        }
        Some(e.status)
    }

    /// Expire and compact the outbox, release ordered messages past expired gaps, purge the
    /// mailbox; returns what to retransmit and deliver.
    pub fn maintain(&self, now: u64) -> Maintenance {
        let retry = match self.outbox.lock() {
            Ok(mut o) => {
                o.expire(now);
                if let Err(e) = o.maybe_compact(now) {
                    tracing::warn!("outbox compaction: {e}");
                }
                o.entries
                    .iter()
                    .filter(|(_, e)| e.envelope.is_some())
                    .map(|(id, _)| *id)
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let deliver = self
            .inbox
            .lock()
            .map(|mut i| {
                if let Err(e) = i.maybe_compact() {
                    tracing::warn!("inbox compaction: {e}");
                }
                i.inbox.tick(now)
            })
            .unwrap_or_default();
        self.metrics.messages_delivered.inc_by(deliver.len() as u64);
        if let Some(Ok(mut m)) = self.mailbox.as_ref().map(|m| m.lock()) {
            if let Err(e) = m.purge(now) {
                tracing::warn!("mailbox purge: {e}");
            }
            self.metrics.mailbox_envelopes.set(m.len() as i64);
        }
        Maintenance { retry, deliver }
    }

    /// Seal a message envelope without adding it to the outbox (for custom transports and
    /// tests).
    pub fn seal_envelope(
        &self,
        to: AccountId,
        conversation: u64,
        seq: u64,
        body: &[u8],
        expires_at: u64,
    ) -> Result<Envelope, BitChatError> {
        let inner = Inner::Message {
            conversation,
            seq,
            prev_expires_at: 0,
            body: body.to_vec(),
        };
        self.seal(to, &inner, expires_at)
    }

    /// Queue a receipt for message `id` to `to` in the durable outbox.
    pub(super) fn queue_receipt(&self, to: AccountId, id: MessageId, now: u64) {
        let expires_at = now.saturating_add(self.cfg.receipt_ttl_secs);
        let queued = self
            .seal(to, &Inner::Receipt { id }, expires_at)
            .and_then(|env| {
                self.outbox
                    .lock()
                    .map_err(|_| BitChatError::Peer("poisoned".into()))?
                    .insert(to, None, env)
            });
        if let Err(e) = queued {
            tracing::debug!("receipt to {to}: {e}");
        }
    }

    /// Seal `inner` to the registered Noise key of `to`, under a fresh random id.
    fn seal(
        &self,
        to: AccountId,
        inner: &Inner,
        expires_at: u64,
    ) -> Result<Envelope, BitChatError> {
        let rec = self
            .registry
            .get(&to)
            .ok_or_else(|| BitChatError::Peer(format!("{to} unknown")))?;
        let mut env = Envelope {
            id: rand::random(),
            from: self.identity.account_id().0,
            to: to.0,
            expires_at,
            ciphertext: Vec::new(),
        };
        env.ciphertext = e2e::seal(
            self.identity.noise_private(),
            &rec.noise_pubkey,
            &header(&env),
            &inner.encode(),
        )?;
        Ok(env)
    }
}
