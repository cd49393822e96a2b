//! The BitChat protocol without I/O, as quinn-proto is to quinn: [`NodeCore`] owns the protocol
//! state (peer handshakes, the relay mailbox, inbox and outbox, request dispatch, delivery
//! rounds) and is driven by explicit inputs, each with the time passed in ([`Now`]); it never
//! touches a socket or reads a clock. Its outputs are polled: [`NodeCore::poll_transmit`]
//! (frames to write, requests to make, connections to close), [`NodeCore::poll_event`]
//! (messages for the application, handshake outcomes) and [`NodeCore::poll_timeout`] (when
//! [`NodeCore::handle_timeout`] is due). `node.rs` owns the QUIC endpoint, the clock and the API
//! and pumps it.
//!
//! Identifiers of connections and streams ([`ConnId`], [`StreamId`]) are chosen by the driver.
//! Storage (journals, mailbox file, chunk store) is handed in already open; in-memory variants
//! exist for tests.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::chunks::ChunkStore;
use crate::e2e;
use crate::error::BitChatError;
use crate::frame::{AckStatus, Envelope, Frame, FrameError, MessageId};
use crate::identity::{verify, AccountId, NodeIdentity};
use crate::inbox::{Accept, Delivered, DurableInbox, Inner};
use crate::mailbox::{Mailbox, Refusal};
use crate::metrics::Metrics;
use crate::outbox::{MessageStatus, Outbox};
use crate::ratelimit::{PeerLimiter, RateLimit};
use crate::registry::PeerRegistry;

/// The time of an input: monotonic (rate limits, handshake deadlines, retries) and wall clock
/// in unix seconds (envelope expiry, which the peers compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: Instant,
    pub unix: u64,
}

/// A QUIC connection, numbered by the driver.
pub type ConnId = u64;
/// An inbound stream, numbered by the driver.
pub type StreamId = u64;
/// An outbound request the core asked for.
pub type RequestId = u64;

/// Where a datagram (one length-prefixed frame read off a stream) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub conn: ConnId,
    pub stream: StreamId,
}

/// Who speaks first on a connection's auth stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    fn byte(self) -> u8 {
        match self {
            Role::Client => 0,
            Role::Server => 1,
        }
    }
}

/// Something the driver must put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Write `frame` on inbound stream `stream`.
    Reply { stream: StreamId, frame: Frame },
    /// Finish inbound stream `stream`: its answer is complete.
    Finish { stream: StreamId },
    /// Reset inbound stream `stream` with `code` (rate limited, unreadable request).
    Reset { stream: StreamId, code: u32 },
    /// Send `frame` to `addr` over an authenticated connection and hand every response frame
    /// (or the failure) to [`NodeCore::handle_response`] with `id`.
    Request {
        id: RequestId,
        addr: SocketAddr,
        frame: Frame,
    },
    /// Close connection `conn` (failed handshake).
    Close {
        conn: ConnId,
        code: u32,
        reason: &'static [u8],
    },
}

/// Something that happened that the driver or the application must learn of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message for the application, in order per (sender, conversation).
    Message(Delivered),
    /// The peer on `conn` proved its identity.
    Authenticated { conn: ConnId, peer: AccountId },
    /// The handshake on `conn` failed; a [`Transmit::Close`] follows.
    HandshakeFailed { conn: ConnId, reason: String },
}

/// What the core needs of the node configuration.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Relays to deposit at when the recipient is unreachable.
    pub relays: Vec<SocketAddr>,
    /// Longest TTL a relay accepts; receipts live `min(this, 1 day)`.
    pub max_ttl_secs: u64,
    pub rate_limit: RateLimit,
    /// How long a handshake may take.
    pub handshake_timeout: Duration,
    /// Period of retries and housekeeping.
    pub retry_interval: Duration,
}

const AUTH_LABEL_V1: &[u8] = b"bithive-bitchat-auth-v1";
/// Label of the TLS exporter secret the auth proof binds to.
pub const AUTH_EXPORTER_LABEL: &[u8] = b"bithive-bitchat-auth";

fn auth_message(role: Role, exporter: &[u8; 32], noise: &[u8; 32]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(AUTH_LABEL_V1);
    h.update([role.byte()]);
    h.update(exporter);
    h.update(noise);
    h.finalize().to_vec()
}

/// The routing header sealed as the Noise prologue.
fn header(e: &Envelope) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"bitchat-envelope-v1");
    h.extend_from_slice(&e.id);
    h.extend_from_slice(&e.from);
    h.extend_from_slice(&e.to);
    h.extend_from_slice(&e.expires_at.to_be_bytes());
    h
}

fn frame_error_reason(e: &FrameError) -> &'static str {
    match e {
        FrameError::Oversized(_) => "oversized",
        _ => "malformed",
    }
}

enum Handshake {
    /// Waiting for the peer's `Auth` (for this session's `exporter`) until `deadline`.
    Awaiting {
        ours: Role,
        exporter: [u8; 32],
        deadline: Instant,
    },
    Done(AccountId),
}

/// One delivery round of an outbox envelope: the recipient, then each relay in turn.
struct Round {
    msg: MessageId,
    env: Envelope,
    to: AccountId,
    /// `None`: the direct attempt; `Some(i)`: relay `i`.
    relay: Option<usize>,
}

pub struct NodeCore {
    cfg: CoreConfig,
    identity: NodeIdentity,
    registry: Arc<dyn PeerRegistry>,
    mailbox: Option<Mailbox>,
    chunks: ChunkStore,
    inbox: DurableInbox,
    outbox: Outbox,
    limiter: PeerLimiter,
    metrics: Metrics,
    handshakes: HashMap<ConnId, Handshake>,
    rounds: HashMap<RequestId, Round>,
    next_request: RequestId,
    next_tick: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl NodeCore {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: CoreConfig,
        identity: NodeIdentity,
        registry: Arc<dyn PeerRegistry>,
        mailbox: Option<Mailbox>,
        chunks: ChunkStore,
        inbox: DurableInbox,
        outbox: Outbox,
        metrics: Metrics,
    ) -> Self {
        if let Some(m) = &mailbox {
            metrics.mailbox_envelopes.set(m.len() as i64);
        }
        Self {
            limiter: PeerLimiter::new(cfg.rate_limit, 10_000),
            cfg,
            identity,
            registry,
            mailbox,
            chunks,
            inbox,
            outbox,
            metrics,
            handshakes: HashMap::new(),
            rounds: HashMap::new(),
            next_request: 0,
            next_tick: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn account_id(&self) -> AccountId {
        self.identity.account_id()
    }

    pub fn identity(&self) -> &NodeIdentity {
        &self.identity
    }

    // ---- outputs ----

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`NodeCore::handle_timeout`] is next due: the earliest handshake deadline or the
    /// next retry tick (`None` until the first [`NodeCore::handle_timeout`] arms it).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadlines = self.handshakes.values().filter_map(|h| match h {
            Handshake::Awaiting { deadline, .. } => Some(*deadline),
            Handshake::Done(_) => None,
        });
        deadlines.chain(self.next_tick).min()
    }

    // ---- handshake ----

    /// This node's `Auth` frame for a session with exporter secret `exporter`.
    fn my_auth(&self, role: Role, exporter: &[u8; 32]) -> Frame {
        let msg = auth_message(role, exporter, &self.identity.noise_public());
        Frame::Auth {
            account_pubkey: self.identity.account_pubkey(),
            noise_pubkey: self.identity.noise_public(),
            signature: self.identity.sign(&msg),
        }
    }

    /// Check a peer's `Auth` frame (signed as `role`) against the session and the registry.
    fn check_auth(&self, role: Role, exporter: &[u8; 32], f: &Frame) -> Result<AccountId, String> {
        let Frame::Auth {
            account_pubkey,
            noise_pubkey,
            signature,
        } = f
        else {
            return Err("expected auth frame".into());
        };
        let msg = auth_message(role, exporter, noise_pubkey);
        if !verify(account_pubkey, &msg, signature) {
            return Err("bad signature".into());
        }
        let id = AccountId::from_pubkey(account_pubkey);
        let rec = self
            .registry
            .get(&id)
            .ok_or_else(|| format!("{id} not registered"))?;
        if &rec.account_pubkey != account_pubkey || &rec.noise_pubkey != noise_pubkey {
            return Err("keys differ from registry".into());
        }
        Ok(id)
    }

    /// A peer connected to us (TLS done, exporter secret `exporter`): its `Auth` must arrive
    /// as the first datagram on `conn` within the handshake timeout.
    pub fn accept(&mut self, now: Now, conn: ConnId, exporter: [u8; 32]) {
        let deadline = now.instant + self.cfg.handshake_timeout;
        self.handshakes.insert(
            conn,
            Handshake::Awaiting {
                ours: Role::Server,
                exporter,
                deadline,
            },
        );
    }

    /// We connected to a peer: returns our `Auth` frame, to send on a new stream of `conn`;
    /// the peer's answer on that stream is the next datagram for `conn`.
    pub fn connect(&mut self, now: Now, conn: ConnId, exporter: [u8; 32]) -> Frame {
        let deadline = now.instant + self.cfg.handshake_timeout;
        self.handshakes.insert(
            conn,
            Handshake::Awaiting {
                ours: Role::Client,
                exporter,
                deadline,
            },
        );
        self.my_auth(Role::Client, &exporter)
    }

    /// The authenticated peer on `conn`, once the handshake succeeded.
    pub fn peer(&self, conn: ConnId) -> Option<AccountId> {
        match self.handshakes.get(&conn) {
            Some(Handshake::Done(p)) => Some(*p),
            _ => None,
        }
    }

    /// `conn` is gone, or its handshake could not be read or written: forget it. A handshake
    /// still in progress fails (a server counts it).
    pub fn handle_conn_lost(&mut self, _now: Now, conn: ConnId, reason: &str) {
        if let Some(Handshake::Awaiting { ours, .. }) = self.handshakes.get(&conn) {
            let ours = *ours;
            self.fail_handshake(conn, ours, reason.to_string());
        }
        self.handshakes.remove(&conn);
    }

    fn fail_handshake(&mut self, conn: ConnId, ours: Role, reason: String) {
        self.handshakes.remove(&conn);
        // A server counts every failed handshake; a client only a peer's bad proof (its own
        // timeouts and lost connections are the network's).
        if ours == Role::Server {
            self.metrics.auth_failures.inc();
            self.metrics.drop_reason("unauthenticated");
        }
        tracing::debug!("handshake on connection {conn} failed: {reason}");
        self.events
            .push_back(Event::HandshakeFailed { conn, reason });
        self.transmits.push_back(Transmit::Close {
            conn,
            code: 1,
            reason: b"auth",
        });
    }

    fn handle_auth(&mut self, from: Source, ours: Role, exporter: [u8; 32], bytes: &[u8]) {
        let theirs = match ours {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        };
        let checked = match Frame::decode(bytes) {
            Ok((f, used)) if used == bytes.len() => self.check_auth(theirs, &exporter, &f),
            Ok(_) => Err("trailing bytes after auth".into()),
            Err(e) => Err(format!("auth frame: {e}")),
        };
        match checked {
            Ok(peer) => {
                self.handshakes.insert(from.conn, Handshake::Done(peer));
                if ours == Role::Server {
                    let frame = self.my_auth(Role::Server, &exporter);
                    self.transmits.push_back(Transmit::Reply {
                        stream: from.stream,
                        frame,
                    });
                    self.transmits.push_back(Transmit::Finish {
                        stream: from.stream,
                    });
                }
                self.events.push_back(Event::Authenticated {
                    conn: from.conn,
                    peer,
                });
            }
            Err(reason) => {
                if ours == Role::Client {
                    // The server's proof is bad: that is an auth failure on this side.
                    self.metrics.auth_failures.inc();
                }
                self.fail_handshake(from.conn, ours, reason);
            }
        }
    }

    // ---- inbound requests ----

    /// A new request stream from the peer on `conn`: admitted (rate limit) or reset.
    pub fn handle_stream(&mut self, now: Now, from: Source) -> bool {
        let Some(peer) = self.peer(from.conn) else {
            self.metrics.drop_reason("unauthenticated");
            self.transmits.push_back(Transmit::Reset {
                stream: from.stream,
                code: 2,
            });
            return false;
        };
        if !self.limiter.allow(peer, now.instant) {
            self.metrics.drop_reason("rate_limited");
            self.transmits.push_back(Transmit::Reset {
                stream: from.stream,
                code: 2,
            });
            return false;
        }
        true
    }

    /// One length-prefixed frame read off a stream: the peer's `Auth` while its handshake is
    /// under way, else a request (admitted by [`NodeCore::handle_stream`]) whose answer comes
    /// out as [`Transmit::Reply`]s and a [`Transmit::Finish`] (or a [`Transmit::Reset`]).
    pub fn handle_datagram(&mut self, now: Now, from: Source, bytes: &[u8]) {
        match self.handshakes.get(&from.conn) {
            Some(Handshake::Awaiting {
                ours,
                exporter,
                deadline,
            }) => {
                let (ours, exporter, deadline) = (*ours, *exporter, *deadline);
                if now.instant >= deadline {
                    self.fail_handshake(from.conn, ours, "timeout".into());
                } else {
                    self.handle_auth(from, ours, exporter, bytes);
                }
            }
            Some(Handshake::Done(peer)) => {
                let peer = *peer;
                self.handle_request(now, peer, from.stream, bytes);
            }
            None => {
                self.metrics.drop_reason("unauthenticated");
                self.transmits.push_back(Transmit::Reset {
                    stream: from.stream,
                    code: 2,
                });
            }
        }
    }

    fn handle_request(&mut self, now: Now, peer: AccountId, stream: StreamId, bytes: &[u8]) {
        let frame = match Frame::decode(bytes) {
            Ok((f, used)) if used == bytes.len() => f,
            Ok((_, used)) => {
                let e = FrameError::Trailing(bytes.len() - used);
                self.metrics.drop_reason(frame_error_reason(&e));
                self.transmits
                    .push_back(Transmit::Reset { stream, code: 3 });
                return;
            }
            Err(e) => {
                self.metrics.drop_reason(frame_error_reason(&e));
                self.transmits
                    .push_back(Transmit::Reset { stream, code: 3 });
                return;
            }
        };
        self.metrics.frames_received.inc();
        if let Err(e) = self.dispatch(now, peer, stream, frame) {
            tracing::debug!("request from {peer} failed: {e}");
        }
        self.transmits.push_back(Transmit::Finish { stream });
    }

    fn reply(&mut self, stream: StreamId, frame: Frame) {
        self.transmits.push_back(Transmit::Reply { stream, frame });
    }

    fn dispatch(
        &mut self,
        now: Now,
        peer: AccountId,
        stream: StreamId,
        frame: Frame,
    ) -> Result<(), BitChatError> {
        match frame {
            Frame::Deliver(env) => {
                let id = env.id;
                let status = if env.to == self.identity.account_id().0 {
                    let status = self.process_incoming(now, env);
                    if status == AckStatus::Stored {
                        // Could not be made durable: no answer, the sender retries.
                        return Ok(());
                    }
                    status
                } else if self.mailbox.is_some() {
                    self.deposit(now, peer, env)
                } else {
                    self.metrics.drop_reason("not_relay");
                    AckStatus::Rejected
                };
                // The id is echoed even when rejected, so the sender can match the answer.
                self.reply(stream, Frame::Ack { id, status });
            }
            Frame::MailboxFetch => {
                let items = match &self.mailbox {
                    Some(m) => m.pending_for(&peer.0, now.unix, 256),
                    None => Vec::new(),
                };
                for e in items {
                    self.reply(stream, Frame::MailboxItem(e));
                }
                self.reply(stream, Frame::MailboxEnd);
            }
            Frame::MailboxAck { ids } => {
                if let Some(m) = &mut self.mailbox {
                    m.acknowledge(&peer.0, &ids)?;
                    self.metrics.mailbox_envelopes.set(m.len() as i64);
                }
            }
            Frame::ChunkGet { hash } => match self.chunks.get(&hash)? {
                Some(data) => {
                    self.metrics.chunks_served.inc();
                    self.reply(stream, Frame::ChunkData { hash, data });
                }
                None => self.reply(stream, Frame::ChunkMissing { hash }),
            },
            _ => self.metrics.drop_reason("unexpected"),
        }
        Ok(())
    }

    /// Relay: store an envelope for an offline recipient. The sender must be the authenticated
    /// peer (no quota spending in someone else's name).
    fn deposit(&mut self, now: Now, peer: AccountId, env: Envelope) -> AckStatus {
        if env.from != peer.0 {
            self.metrics.drop_reason("spoofed");
            return AckStatus::Rejected;
        }
        let Some(m) = &mut self.mailbox else {
            return AckStatus::Rejected;
        };
        match m.deposit(env, now.unix) {
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

    /// An envelope addressed to this node (sent directly, or fetched from a mailbox):
    /// authenticate, de-duplicate, order, deliver (as [`Event::Message`]), queue a receipt.
    /// `Stored` means "not taken, could not be made durable": the sender must offer it again.
    pub fn process_incoming(&mut self, now: Now, env: Envelope) -> AckStatus {
        if env.expires_at <= now.unix {
            self.metrics.drop_reason("expired");
            return AckStatus::Rejected;
        }
        let Ok((sender_noise, plaintext)) = e2e::open(
            self.identity.noise_private(),
            &header(&env),
            &env.ciphertext,
        ) else {
            self.metrics.drop_reason("undecryptable");
            return AckStatus::Rejected;
        };
        let from = AccountId(env.from);
        match self.registry.get(&from) {
            Some(r) if r.noise_pubkey == sender_noise => {}
            _ => {
                self.metrics.drop_reason("spoofed");
                return AckStatus::Rejected;
            }
        }
        match Inner::decode(&plaintext) {
            Some(Inner::Message {
                conversation,
                seq,
                prev_expires_at,
                body,
            }) => {
                let res = self.inbox.accept(
                    env.id,
                    from,
                    conversation,
                    seq,
                    prev_expires_at,
                    body,
                    now.unix,
                );
                let (accept, ready) = match res {
                    Ok(r) => r,
                    Err(e) => {
                        // Not durable yet: `Stored` here means "not taken"; no answer is sent
                        // (direct) and the mailbox keeps it (fetch), so it comes again.
                        tracing::warn!("inbox journal: {e}");
                        return AckStatus::Stored;
                    }
                };
                match accept {
                    Accept::Accepted => {}
                    Accept::Duplicate => {
                        self.metrics.drop_reason("replayed");
                        return AckStatus::Duplicate;
                    }
                    Accept::Overflow => {
                        self.metrics.drop_reason("queue_full");
                        return AckStatus::Rejected;
                    }
                }
                self.deliver(ready);
                self.queue_receipt(now, from, env.id);
                AckStatus::Delivered
            }
            Some(Inner::Receipt { id }) => {
                if !self.inbox.inbox.first_sighting(env.id) {
                    self.metrics.drop_reason("replayed");
                    return AckStatus::Duplicate;
                }
                self.metrics.receipts_received.inc();
                if self.outbox.entries.get(&id).is_some_and(|e| e.to == from) {
                    self.outbox.set_status(&id, MessageStatus::Delivered);
                }
                AckStatus::Delivered
            }
            None => {
                self.metrics.drop_reason("malformed");
                AckStatus::Rejected
            }
        }
    }

    fn deliver(&mut self, ready: Vec<Delivered>) {
        for d in ready {
            self.metrics.messages_delivered.inc();
            self.events.push_back(Event::Message(d));
        }
    }

    /// The application took `d` (see `Node::recv`): journal the hand-over.
    pub fn handed_over(&mut self, d: &Delivered) -> Result<(), BitChatError> {
        self.inbox.handed_over(d)
    }

    // ---- sending ----

    /// Seal `inner` to `to`.
    fn seal_env(
        &self,
        to: AccountId,
        inner: &Inner,
        expires_at: u64,
    ) -> Result<Envelope, BitChatError> {
        let rec = self
            .registry
            .get(&to)
            .ok_or_else(|| BitChatError::Peer(format!("{to} unknown")))?;
        let id: MessageId = rand::random();
        let mut env = Envelope {
            id,
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

    /// Seal a message envelope without queueing it (for custom transports and tests).
    pub fn seal_message(
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
        self.seal_env(to, &inner, expires_at)
    }

    fn queue_receipt(&mut self, now: Now, to: AccountId, id: MessageId) {
        let ttl = self.cfg.max_ttl_secs.min(24 * 3600);
        let sealed = self
            .seal_env(to, &Inner::Receipt { id }, now.unix + ttl)
            .and_then(|env| self.outbox.insert(to, None, env));
        if let Err(e) = sealed {
            tracing::debug!("receipt to {to}: {e}");
        }
    }

    /// Send `body` to `to` in `conversation`, expiring `ttl` from now: the envelope is sealed,
    /// journaled, and its first delivery round starts (see [`Transmit::Request`]).
    pub fn send(
        &mut self,
        now: Now,
        to: AccountId,
        conversation: u64,
        body: &[u8],
        ttl: Duration,
    ) -> Result<MessageId, BitChatError> {
        let expires_at = now.unix + ttl.as_secs().max(1);
        // Sequence reservation, sealing and the durable insert together, so the journal holds
        // a conversation's messages in sequence order.
        let (seq, prev) = self.outbox.next_seq(to, conversation, expires_at);
        let inner = Inner::Message {
            conversation,
            seq,
            prev_expires_at: prev,
            body: body.to_vec(),
        };
        let env = self.seal_env(to, &inner, expires_at)?;
        let id = self.outbox.insert(to, Some((conversation, seq)), env)?;
        self.start_round(now, id);
        Ok(id)
    }

    /// Where message `id` stands (`Failed` once expired undelivered).
    pub fn status(&self, now: Now, id: &MessageId) -> Option<MessageStatus> {
        let e = self.outbox.entries.get(id)?;
        if e.status != MessageStatus::Delivered && e.expires_at <= now.unix {
            return Some(MessageStatus::Failed);
        }
        Some(e.status)
    }

    fn request(&mut self, addr: SocketAddr, frame: Frame) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        self.transmits
            .push_back(Transmit::Request { id, addr, frame });
        id
    }

    /// Start handing outbox envelope `msg` to its recipient, else to a relay.
    fn start_round(&mut self, now: Now, msg: MessageId) {
        let Some(e) = self.outbox.entries.get(&msg) else {
            return;
        };
        if e.expires_at <= now.unix {
            self.outbox.set_status(&msg, MessageStatus::Failed);
            return;
        }
        let (env, to) = match &e.envelope {
            Some(env) if e.status == MessageStatus::Pending => (env.clone(), e.to),
            _ => return,
        };
        let direct = self.registry.get(&to).and_then(|r| r.addr);
        let round = Round {
            msg,
            env,
            to,
            relay: None,
        };
        match direct {
            Some(addr) => {
                let id = self.request(addr, Frame::Deliver(round.env.clone()));
                self.rounds.insert(id, round);
            }
            None => self.next_relay(round, 0),
        }
    }

    /// Offer the round's envelope to relay `i`, or end the round when there is none.
    fn next_relay(&mut self, mut round: Round, i: usize) {
        let Some(&addr) = self.cfg.relays.get(i) else {
            return;
        };
        round.relay = Some(i);
        let id = self.request(addr, Frame::Deliver(round.env.clone()));
        self.rounds.insert(id, round);
    }

    fn finish_round(&mut self, msg: MessageId, status: MessageStatus) {
        if self.outbox.entries.get(&msg).map(|e| e.status) == Some(MessageStatus::Pending) {
            self.outbox.set_status(&msg, status);
        }
    }

    /// The answer to [`Transmit::Request`] `id`: the authenticated peer and its response
    /// frames, or `None` when the request failed (connect, handshake, stream, timeout).
    pub fn handle_response(
        &mut self,
        _now: Now,
        id: RequestId,
        answer: Option<(AccountId, Vec<Frame>)>,
    ) {
        let Some(round) = self.rounds.remove(&id) else {
            return;
        };
        let first = answer
            .as_ref()
            .and_then(|(peer, f)| f.first().map(|f| (*peer, f)));
        match round.relay {
            None => {
                let outcome = match first {
                    Some((
                        peer,
                        Frame::Ack {
                            id: ack,
                            status: AckStatus::Delivered | AckStatus::Duplicate,
                        },
                    )) if peer == round.to && *ack == round.env.id => {
                        Some(MessageStatus::Delivered)
                    }
                    Some((
                        peer,
                        Frame::Ack {
                            id: ack,
                            status: AckStatus::Rejected,
                        },
                    )) if peer == round.to && *ack == round.env.id => Some(MessageStatus::Failed),
                    _ => None,
                };
                match outcome {
                    Some(status) => self.finish_round(round.msg, status),
                    None => self.next_relay(round, 0),
                }
            }
            Some(i) => match first {
                Some((
                    _,
                    Frame::Ack {
                        id: ack,
                        status: AckStatus::Stored | AckStatus::Duplicate,
                    },
                )) if *ack == round.env.id => self.finish_round(round.msg, MessageStatus::Stored),
                _ => self.next_relay(round, i + 1),
            },
        }
    }

    // ---- time ----

    /// Expire handshakes past their deadline; on the retry tick: expire and compact the
    /// outbox, start a delivery round for every envelope still held, release in-order messages
    /// past gaps, purge the mailbox.
    pub fn handle_timeout(&mut self, now: Now) {
        let late: Vec<(ConnId, Role)> = self
            .handshakes
            .iter()
            .filter_map(|(c, h)| match h {
                Handshake::Awaiting { ours, deadline, .. } if *deadline <= now.instant => {
                    Some((*c, *ours))
                }
                _ => None,
            })
            .collect();
        for (conn, ours) in late {
            self.fail_handshake(conn, ours, "timeout".into());
        }
        if self.next_tick.is_some_and(|t| t > now.instant) {
            return;
        }
        self.next_tick = Some(now.instant + self.cfg.retry_interval);
        self.outbox.expire(now.unix);
        if let Err(e) = self.outbox.maybe_compact(now.unix) {
            tracing::warn!("outbox compaction: {e}");
        }
        let held: Vec<MessageId> = self
            .outbox
            .entries
            .iter()
            .filter(|(_, e)| e.envelope.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in held {
            self.start_round(now, id);
        }
        if let Err(e) = self.inbox.maybe_compact() {
            tracing::warn!("inbox compaction: {e}");
        }
        let ready = self.inbox.inbox.tick(now.unix);
        self.deliver(ready);
        if let Some(m) = &mut self.mailbox {
            let _ = m.purge(now.unix);
            self.metrics.mailbox_envelopes.set(m.len() as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::MailboxLimits;
    use crate::registry::{PeerRecord, StaticAllowlist};

    const EXPORTER: [u8; 32] = [7; 32];
    const TIMEOUT: Duration = Duration::from_secs(10);
    const RETRY: Duration = Duration::from_millis(300);

    /// Deterministic time: `base` plus `ms`, unix seconds from a fixed epoch.
    fn at(base: Instant, ms: u64) -> Now {
        Now {
            instant: base + Duration::from_millis(ms),
            unix: 1_800_000_000 + ms / 1000,
        }
    }

    struct Peer {
        core: NodeCore,
        id: AccountId,
        addr: SocketAddr,
        _dir: tempfile::TempDir,
    }

    fn peer(reg: &Arc<StaticAllowlist>, port: u16, relay: bool, relays: Vec<SocketAddr>) -> Peer {
        let identity = NodeIdentity::generate().unwrap();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        reg.insert(PeerRecord::of(&identity, Some(addr)));
        let id = identity.account_id();
        let dir = tempfile::tempdir().unwrap();
        let mailbox = relay.then(|| {
            Mailbox::open(&dir.path().join("mailbox.json"), MailboxLimits::default()).unwrap()
        });
        let chunks = ChunkStore::open(&dir.path().join("chunks")).unwrap();
        let cfg = CoreConfig {
            relays,
            max_ttl_secs: 7 * 24 * 3600,
            rate_limit: RateLimit {
                per_sec: 1000.0,
                burst: 1000.0,
            },
            handshake_timeout: TIMEOUT,
            retry_interval: RETRY,
        };
        let core = NodeCore::new(
            cfg,
            identity,
            reg.clone(),
            mailbox,
            chunks,
            DurableInbox::memory(crate::inbox::Inbox::new(1000, 100)),
            Outbox::memory(),
            Metrics::new(),
        );
        Peer {
            core,
            id,
            addr,
            _dir: dir,
        }
    }

    fn transmits(c: &mut NodeCore) -> Vec<Transmit> {
        std::iter::from_fn(|| c.poll_transmit()).collect()
    }

    fn events(c: &mut NodeCore) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    /// Runs the handshake of client `a` (connection `conn` on both sides) to server `b`.
    fn handshake(a: &mut NodeCore, b: &mut NodeCore, now: Now, conn: ConnId) {
        let auth = a.connect(now, conn, EXPORTER);
        b.accept(now, conn, EXPORTER);
        let src = Source { conn, stream: 0 };
        b.handle_datagram(now, src, &auth.encode());
        let answer = transmits(b);
        let Transmit::Reply { frame, .. } = &answer[0] else {
            panic!("no auth answer: {answer:?}");
        };
        assert_eq!(answer[1], Transmit::Finish { stream: 0 });
        a.handle_datagram(now, src, &frame.encode());
        assert!(transmits(a).is_empty());
    }

    /// Answers `from`'s requests addressed to `to` (over connection `conn`, which `to` must
    /// have accepted), feeding the responses back; returns how many were answered.
    fn route(from: &mut NodeCore, to: &mut Peer, to_conn: ConnId, now: Now) -> usize {
        let mut n = 0;
        for t in transmits(from) {
            let Transmit::Request { id, addr, frame } = t else {
                continue;
            };
            assert_eq!(addr, to.addr);
            let src = Source {
                conn: to_conn,
                stream: 1000 + id,
            };
            assert!(to.core.handle_stream(now, src));
            to.core.handle_datagram(now, src, &frame.encode());
            let frames: Vec<Frame> = transmits(&mut to.core)
                .into_iter()
                .filter_map(|t| match t {
                    Transmit::Reply { stream, frame } if stream == src.stream => Some(frame),
                    _ => None,
                })
                .collect();
            from.handle_response(now, id, Some((to.id, frames)));
            n += 1;
        }
        n
    }

    #[test]
    fn handshake_between_two_cores() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        let now = at(Instant::now(), 0);
        handshake(&mut a.core, &mut b.core, now, 5);
        assert_eq!(a.core.peer(5), Some(b.id));
        assert_eq!(b.core.peer(5), Some(a.id));
        assert_eq!(
            events(&mut b.core),
            [Event::Authenticated {
                conn: 5,
                peer: a.id
            }]
        );
        assert_eq!(
            events(&mut a.core),
            [Event::Authenticated {
                conn: 5,
                peer: b.id
            }]
        );
        // Nothing pending once authenticated: only the retry tick is left to arm.
        assert_eq!(b.core.poll_timeout(), None);
    }

    #[test]
    fn handshake_bound_to_the_session_and_the_registry() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        let now = at(Instant::now(), 0);
        // A proof made for another TLS session (a relayed handshake) is refused.
        let auth = a.core.connect(now, 1, [9; 32]);
        b.core.accept(now, 1, EXPORTER);
        b.core
            .handle_datagram(now, Source { conn: 1, stream: 0 }, &auth.encode());
        assert!(matches!(
            events(&mut b.core)[..],
            [Event::HandshakeFailed { conn: 1, .. }]
        ));
        assert!(transmits(&mut b.core).contains(&Transmit::Close {
            conn: 1,
            code: 1,
            reason: b"auth"
        }));
        assert_eq!(b.core.peer(1), None);
        assert_eq!(b.core.metrics.auth_failures.get(), 1);
        // An account missing from the registry is refused.
        reg.remove(&a.id);
        let auth = a.core.connect(now, 2, EXPORTER);
        b.core.accept(now, 2, EXPORTER);
        b.core
            .handle_datagram(now, Source { conn: 2, stream: 0 }, &auth.encode());
        assert_eq!(b.core.peer(2), None);
        assert_eq!(b.core.metrics.auth_failures.get(), 2);
    }

    #[test]
    fn handshake_times_out() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut b = peer(&reg, 2, false, vec![]);
        let base = Instant::now();
        b.core.accept(at(base, 0), 3, EXPORTER);
        assert_eq!(b.core.poll_timeout(), Some(base + TIMEOUT));
        b.core.handle_timeout(at(base, 9_999));
        assert!(events(&mut b.core).is_empty());
        b.core.handle_timeout(at(base, 10_000));
        assert!(matches!(
            events(&mut b.core)[..],
            [Event::HandshakeFailed { conn: 3, .. }]
        ));
        assert!(transmits(&mut b.core)
            .iter()
            .any(|t| matches!(t, Transmit::Close { conn: 3, .. })));
        assert_eq!(b.core.metrics.dropped_count("unauthenticated"), 1);
    }

    #[test]
    fn message_delivered_in_order_with_receipt() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        let base = Instant::now();
        handshake(&mut a.core, &mut b.core, at(base, 0), 1);
        handshake(&mut b.core, &mut a.core, at(base, 0), 2);
        events(&mut a.core);
        events(&mut b.core);
        let now = at(base, 1);
        let m0 = a
            .core
            .send(now, b.id, 7, b"first", Duration::from_secs(60))
            .unwrap();
        let m1 = a
            .core
            .send(now, b.id, 7, b"second", Duration::from_secs(60))
            .unwrap();
        assert_eq!(a.core.status(now, &m0), Some(MessageStatus::Pending));
        assert_eq!(route(&mut a.core, &mut b, 1, now), 2);
        assert_eq!(a.core.status(now, &m0), Some(MessageStatus::Delivered));
        assert_eq!(a.core.status(now, &m1), Some(MessageStatus::Delivered));
        let got: Vec<Vec<u8>> = events(&mut b.core)
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(d) => {
                    assert_eq!((d.from, d.conversation), (a.id, 7));
                    Some(d.body)
                }
                _ => None,
            })
            .collect();
        assert_eq!(got, [b"first".to_vec(), b"second".to_vec()]);
        // The receipts go out on b's next tick and reach a.
        b.core.handle_timeout(at(base, 2));
        assert_eq!(route(&mut b.core, &mut a, 2, at(base, 2)), 2);
        assert_eq!(a.core.metrics.receipts_received.get(), 2);
    }

    #[test]
    fn failed_attempt_retried_on_the_tick_then_expires() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        let base = Instant::now();
        handshake(&mut a.core, &mut b.core, at(base, 0), 1);
        // The first attempt fails (peer unreachable): still pending, no relay to try.
        let kept = a
            .core
            .send(at(base, 0), b.id, 1, b"again", Duration::from_secs(5))
            .unwrap();
        let doomed = a
            .core
            .send(at(base, 0), b.id, 2, b"never", Duration::from_secs(1))
            .unwrap();
        for t in transmits(&mut a.core) {
            let Transmit::Request { id, .. } = t else {
                panic!("unexpected {t:?}");
            };
            a.core.handle_response(at(base, 0), id, None);
        }
        assert!(transmits(&mut a.core).is_empty());
        assert_eq!(
            a.core.status(at(base, 0), &kept),
            Some(MessageStatus::Pending)
        );
        // The first tick arms the retry period and retries both.
        a.core.handle_timeout(at(base, 100));
        assert_eq!(
            a.core.poll_timeout(),
            Some(base + Duration::from_millis(400))
        );
        let retried = transmits(&mut a.core);
        assert_eq!(retried.len(), 2);
        for t in retried {
            let Transmit::Request { id, .. } = t else {
                panic!("unexpected {t:?}");
            };
            a.core.handle_response(at(base, 100), id, None);
        }
        // Before the period is over nothing is resent.
        a.core.handle_timeout(at(base, 399));
        assert!(transmits(&mut a.core).is_empty());
        // Past its TTL the short one has failed; the other one gets through.
        a.core.handle_timeout(at(base, 2_000));
        assert_eq!(
            a.core.status(at(base, 2_000), &doomed),
            Some(MessageStatus::Failed)
        );
        assert_eq!(route(&mut a.core, &mut b, 1, at(base, 2_000)), 1);
        assert_eq!(
            a.core.status(at(base, 2_000), &kept),
            Some(MessageStatus::Delivered)
        );
    }

    #[test]
    fn unreachable_recipient_goes_to_a_relay_mailbox() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut r = peer(&reg, 3, true, vec![]);
        let mut a = peer(&reg, 1, false, vec![r.addr]);
        let mut b = peer(&reg, 2, false, vec![]);
        let now = at(Instant::now(), 0);
        handshake(&mut a.core, &mut r.core, now, 1);
        handshake(&mut b.core, &mut r.core, now, 2);
        let m = a
            .core
            .send(now, b.id, 1, b"later", Duration::from_secs(60))
            .unwrap();
        let Some(Transmit::Request { id, addr, .. }) = a.core.poll_transmit() else {
            panic!("no direct attempt");
        };
        assert_eq!(addr, b.addr);
        a.core.handle_response(now, id, None);
        assert_eq!(route(&mut a.core, &mut r, 1, now), 1);
        assert_eq!(a.core.status(now, &m), Some(MessageStatus::Stored));
        // b fetches its mailbox.
        let src = Source { conn: 2, stream: 9 };
        assert!(r.core.handle_stream(now, src));
        r.core
            .handle_datagram(now, src, &Frame::MailboxFetch.encode());
        let mut items = Vec::new();
        for t in transmits(&mut r.core) {
            if let Transmit::Reply {
                frame: Frame::MailboxItem(env),
                ..
            } = t
            {
                items.push(env);
            }
        }
        assert_eq!(items.len(), 1);
        let env = items.pop().unwrap();
        assert_eq!(
            b.core.process_incoming(now, env.clone()),
            AckStatus::Delivered
        );
        assert_eq!(b.core.process_incoming(now, env), AckStatus::Duplicate);
        assert!(matches!(&events(&mut b.core)[..], [Event::Message(d)] if d.body == b"later"));
    }

    #[test]
    fn malformed_input_is_refused_and_counted() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        let now = at(Instant::now(), 0);
        handshake(&mut a.core, &mut b.core, now, 1);
        let inputs: [(&[u8], &str); 4] = [
            (&[0, 0, 0, 1, 200], "malformed"), // unknown frame type
            (&[0xff, 0xff, 0xff, 0xff], "oversized"),
            (&[0, 0, 0, 9, 1], "malformed"), // truncated
            (&[], "malformed"),
        ];
        for (i, (bytes, reason)) in inputs.iter().enumerate() {
            let src = Source {
                conn: 1,
                stream: i as u64,
            };
            assert!(b.core.handle_stream(now, src));
            b.core.handle_datagram(now, src, bytes);
            assert_eq!(
                transmits(&mut b.core),
                [Transmit::Reset {
                    stream: i as u64,
                    code: 3
                }],
                "{reason}"
            );
        }
        assert_eq!(b.core.metrics.dropped_count("malformed"), 3);
        assert_eq!(b.core.metrics.dropped_count("oversized"), 1);
        // A valid frame followed by junk.
        let mut bytes = Frame::MailboxFetch.encode();
        bytes.push(0);
        let src = Source { conn: 1, stream: 9 };
        b.core.handle_datagram(now, src, &bytes);
        assert_eq!(
            transmits(&mut b.core),
            [Transmit::Reset { stream: 9, code: 3 }]
        );
        // On a connection that never authenticated.
        let src = Source {
            conn: 77,
            stream: 1,
        };
        assert!(!b.core.handle_stream(now, src));
        b.core
            .handle_datagram(now, src, &Frame::MailboxFetch.encode());
        assert_eq!(b.core.metrics.dropped_count("unauthenticated"), 2);
        // Garbage instead of an auth frame fails the handshake.
        b.core.accept(now, 3, EXPORTER);
        b.core
            .handle_datagram(now, Source { conn: 3, stream: 0 }, &[1, 2, 3]);
        assert_eq!(b.core.peer(3), None);
        assert_eq!(b.core.metrics.auth_failures.get(), 1);
        // A sealed envelope that was tampered with.
        let mut env = a
            .core
            .seal_message(b.id, 1, 0, b"x", now.unix + 60)
            .unwrap();
        env.ciphertext[0] ^= 1;
        assert_eq!(b.core.process_incoming(now, env), AckStatus::Rejected);
        assert_eq!(b.core.metrics.dropped_count("undecryptable"), 1);
        // An expired one.
        let env = a.core.seal_message(b.id, 1, 0, b"x", now.unix).unwrap();
        assert_eq!(b.core.process_incoming(now, env), AckStatus::Rejected);
        assert_eq!(b.core.metrics.dropped_count("expired"), 1);
    }

    #[test]
    fn rate_limit_resets_streams_beyond_the_burst() {
        let reg = Arc::new(StaticAllowlist::new());
        let mut a = peer(&reg, 1, false, vec![]);
        let mut b = peer(&reg, 2, false, vec![]);
        b.core.limiter = PeerLimiter::new(
            RateLimit {
                per_sec: 0.5,
                burst: 3.0,
            },
            10,
        );
        let now = at(Instant::now(), 0);
        handshake(&mut a.core, &mut b.core, now, 1);
        let admitted = (0..10)
            .filter(|&s| b.core.handle_stream(now, Source { conn: 1, stream: s }))
            .count();
        assert_eq!(admitted, 3);
        assert_eq!(b.core.metrics.dropped_count("rate_limited"), 7);
    }
}
