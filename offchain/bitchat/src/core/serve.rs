//! The serving side: what a node answers to a peer's request frame, and what it delivers.

use crate::e2e;
use crate::frame::{AckStatus, Envelope, Frame};
use crate::identity::AccountId;
use crate::inbox::{Accept, Delivered, Incoming, Inner};
use crate::mailbox::Refusal;
use crate::outbox::MessageStatus;

use super::{NodeCore, MAILBOX_BATCH};

/// What to do after a request frame: deliver first (the bounded application queue pushes back
/// on the peer's stream), then answer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Handled {
    /// Messages now in order for the application.
    pub deliver: Vec<Delivered>,
    /// Response frames, in order; empty: finish the stream without an answer.
    pub reply: Vec<Frame>,
}

impl Handled {
    fn reply(f: Frame) -> Self {
        Self {
            deliver: Vec::new(),
            reply: vec![f],
        }
    }
}

/// The bytes an envelope's ciphertext is bound to: its id, both parties and its expiry.
pub(crate) fn header(e: &Envelope) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"bitchat-envelope-v1");
    h.extend_from_slice(&e.id);
    h.extend_from_slice(&e.from);
    h.extend_from_slice(&e.to);
    h.extend_from_slice(&e.expires_at.to_be_bytes());
    h
}

impl NodeCore {
    /// A request frame from the authenticated `peer`, at unix time `now`.
    pub fn handle(&self, peer: AccountId, frame: Frame, now: u64) -> Handled {
        self.metrics.frames_received.inc();
        match frame {
            Frame::Deliver(env) => {
                let id = env.id;
                let (status, deliver) = if env.to == self.identity.account_id().0 {
                    let (status, deliver) = self.incoming(env, now);
                    if status == AckStatus::Stored {
                        // Could not be made durable: no answer, the sender retries.
                        return Handled::default();
                    }
                    (status, deliver)
                } else if self.mailbox.is_some() {
                    (self.deposit(peer, env, now), Vec::new())
                } else {
                    self.metrics.drop_reason("not_relay");
                    (AckStatus::Rejected, Vec::new())
                };
                // The id is echoed even when rejected, so the sender can match the answer.
                Handled {
                    deliver,
                    reply: vec![Frame::Ack { id, status }],
                }
            }
            Frame::MailboxFetch => {
                let items = match &self.mailbox {
                    Some(m) => m
                        .lock()
                        .map(|m| m.pending_for(&peer.0, now, MAILBOX_BATCH))
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                let mut reply: Vec<Frame> = items.into_iter().map(Frame::MailboxItem).collect();
                reply.push(Frame::MailboxEnd);
                Handled {
                    deliver: Vec::new(),
                    reply,
                }
            }
            Frame::MailboxAck { ids } => {
                if let Some(Ok(mut m)) = self.mailbox.as_ref().map(|m| m.lock()) {
                    if let Err(e) = m.acknowledge(&peer.0, &ids) {
                        tracing::warn!("mailbox acknowledge: {e}");
                    }
                    self.metrics.mailbox_envelopes.set(m.len() as i64);
                }
                Handled::default()
            }
            Frame::ChunkGet { hash } => match self.chunks.get(&hash) {
                Ok(Some(data)) => {
                    self.metrics.chunks_served.inc();
                    Handled::reply(Frame::ChunkData { hash, data })
                }
                Ok(None) => Handled::reply(Frame::ChunkMissing { hash }),
                Err(e) => {
                    tracing::debug!("chunk read: {e}");
                    Handled::default()
                }
            },
            _ => {
                self.metrics.drop_reason("unexpected");
                Handled::default()
            }
        }
    }

    /// Envelopes fetched from a relay's mailbox: process those addressed to this node; returns
    /// the ids to acknowledge to the relay (also duplicates and permanent rejections, not
    /// those that could not be made durable) and the messages now in order.
    pub fn mailbox_items(&self, frames: Vec<Frame>, now: u64) -> (Vec<[u8; 16]>, Vec<Delivered>) {
        let mut ack = Vec::new();
        let mut deliver = Vec::new();
        let me = self.identity.account_id().0;
        for f in frames {
            match f {
                Frame::MailboxItem(env) if env.to == me => {
                    let id = env.id;
                    let (status, ready) = self.incoming(env, now);
                    deliver.extend(ready);
                    if status != AckStatus::Stored {
                        ack.push(id);
                    }
                }
                Frame::MailboxEnd => break,
                _ => self.metrics.drop_reason("unexpected"),
            }
        }
        (ack, deliver)
    }

    /// Relay: store an envelope for an offline recipient. The sender must be the authenticated
    /// peer (no quota spending in someone else's name).
    fn deposit(&self, peer: AccountId, env: Envelope, now: u64) -> AckStatus {
        if env.from != peer.0 {
            self.metrics.drop_reason("spoofed");
            return AckStatus::Rejected;
        }
        let Some(Ok(mut m)) = self.mailbox.as_ref().map(|m| m.lock()) else {
            return AckStatus::Rejected;
        };
        match m.deposit(env, now) {
            Ok(Ok(())) => {
                self.metrics.mailbox_stored.inc();
                self.metrics.mailbox_envelopes.set(m.len() as i64);
                AckStatus::Stored
            }
            Ok(Err(Refusal::Duplicate)) => {
                self.metrics.drop_reason("replayed");
                AckStatus::Duplicate
            }
            Ok(Err(r)) => {
                tracing::debug!("mailbox refused: {r:?}");
                self.metrics.mailbox_refused.inc();
                AckStatus::Rejected
            }
            Err(e) => {
                tracing::warn!("mailbox error: {e}");
                AckStatus::Rejected
            }
        }
    }

    /// An envelope addressed to this node: authenticate, de-duplicate, order, receipt.
    /// `Stored` means "not taken" (the journal write failed): the sender or mailbox keeps it.
    fn incoming(&self, env: Envelope, now: u64) -> (AckStatus, Vec<Delivered>) {
        if env.expires_at <= now {
            self.metrics.drop_reason("expired");
            return (AckStatus::Rejected, Vec::new());
        }
        let Ok((sender_noise, plaintext)) = e2e::open(
            self.identity.noise_private(),
            &header(&env),
            &env.ciphertext,
        ) else {
            self.metrics.drop_reason("undecryptable");
            return (AckStatus::Rejected, Vec::new());
        };
        let from = AccountId(env.from);
        match self.registry.get(&from) {
            Some(r) if r.noise_pubkey == sender_noise => {}
            _ => {
                self.metrics.drop_reason("spoofed");
                return (AckStatus::Rejected, Vec::new());
            }
        }
        match Inner::decode(&plaintext) {
            Some(Inner::Message {
                conversation,
                seq,
                prev_expires_at,
                body,
            }) => {
                let res = match self.inbox.lock() {
                    Ok(mut i) => {
                        let m = Incoming {
                            from,
                            conversation,
                            seq,
                            prev_expires_at,
                            body,
                        };
                        i.accept(env.id, m, now)
                    }
                    Err(_) => return (AckStatus::Rejected, Vec::new()),
                };
                let (accept, ready) = match res {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!("inbox journal: {e}");
                        return (AckStatus::Stored, Vec::new());
                    }
                };
                match accept {
                    Accept::Accepted => {}
                    Accept::Duplicate => {
                        self.metrics.drop_reason("replayed");
                        let again = self
                            .receipted_again
                            .lock()
                            .is_ok_and(|mut r| r.first(env.id));
                        if again {
                            self.queue_receipt(from, env.id, now);
                        }
                        return (AckStatus::Duplicate, Vec::new());
                    }
                    Accept::Overflow => {
                        self.metrics.drop_reason("queue_full");
                        return (AckStatus::Rejected, Vec::new());
                    }
                }
                self.metrics.messages_delivered.inc_by(ready.len() as u64);
                self.queue_receipt(from, env.id, now);
                (AckStatus::Delivered, ready)
            }
            Some(Inner::Receipt { id }) => {
                let fresh = self
                    .inbox
                    .lock()
                    .map(|mut i| i.inbox.first_sighting(env.id))
                    .unwrap_or(false);
                if !fresh {
                    self.metrics.drop_reason("replayed");
                    return (AckStatus::Duplicate, Vec::new());
                }
                self.metrics.receipts_received.inc();
                if let Ok(mut o) = self.outbox.lock() {
                    if o.entries.get(&id).is_some_and(|e| e.to == from) {
                        o.set_status(&id, MessageStatus::Delivered);
                    }
                }
                (AckStatus::Delivered, Vec::new())
            }
            None => {
                self.metrics.drop_reason("malformed");
                (AckStatus::Rejected, Vec::new())
            }
        }
    }
}
