//! A BitChat node: serves authenticated peers (direct delivery, relay mailbox, chunks) and
//! sends end-to-end sealed messages with delivery tracking.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quinn::{Connection, Endpoint, RecvStream, SendStream};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use crate::chunks::{ChunkStore, Manifest};
use crate::e2e;
use crate::error::BitChatError;
use crate::frame::{AckStatus, Envelope, Frame, FrameError, MessageId};
use crate::identity::{verify, AccountId, NodeIdentity};
use crate::inbox::{Accept, Delivered, DurableInbox, Inbox, Inner};
use crate::lock::StateLock;
use crate::mailbox::{Mailbox, MailboxLimits};
use crate::metrics::Metrics;
pub use crate::outbox::MessageStatus;
use crate::outbox::Outbox;
use crate::ratelimit::{PeerLimiter, RateLimit};
use crate::registry::PeerRegistry;
use crate::transport::{endpoint, CongestionChoice, NodeCert};
use crate::wire::{read_frame, write_frame};

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub listen: SocketAddr,
    pub cc: CongestionChoice,
    pub data_dir: PathBuf,
    /// Directory of the outbox and inbox journals (crash safety: pending messages are resent
    /// and delivered ones not handed over again after a restart). `None`: in memory only.
    /// The node holds `<state_dir>/LOCK` while it runs; a second node on the same directory
    /// fails to start with [`BitChatError::StateLocked`].
    pub state_dir: Option<PathBuf>,
    /// Accept envelopes for other accounts into a mailbox.
    pub relay: bool,
    /// Relays to deposit at when the recipient is unreachable.
    pub relays: Vec<SocketAddr>,
    pub mailbox: MailboxLimits,
    pub rate_limit: RateLimit,
    pub inbox_capacity: usize,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry_interval: Duration,
}

impl NodeConfig {
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            listen,
            cc: CongestionChoice::BitChat,
            state_dir: Some(data_dir.join("state")),
            data_dir,
            relay: false,
            relays: Vec::new(),
            mailbox: MailboxLimits::default(),
            rate_limit: RateLimit {
                per_sec: 2000.0,
                burst: 4000.0,
            },
            inbox_capacity: 4096,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            retry_interval: Duration::from_millis(300),
        }
    }
}

#[derive(Clone)]
struct AuthedConn {
    conn: Connection,
    peer: AccountId,
}

struct Shared {
    cfg: NodeConfig,
    identity: NodeIdentity,
    registry: Arc<dyn PeerRegistry>,
    endpoint: Endpoint,
    mailbox: Option<StdMutex<Mailbox>>,
    chunks: ChunkStore,
    inbox: StdMutex<DurableInbox>,
    inbox_tx: mpsc::Sender<Delivered>,
    outbox: StdMutex<Outbox>,
    limiter: StdMutex<PeerLimiter>,
    conns: Mutex<HashMap<SocketAddr, AuthedConn>>,
    metrics: Metrics,
}

pub struct Node {
    inner: Arc<Shared>,
    inbox_rx: Mutex<mpsc::Receiver<Delivered>>,
    tasks: Vec<JoinHandle<()>>,
    /// Exclusive lock on the state dir, released when the node is shut down or dropped.
    state_lock: Option<StateLock>,
}

impl Drop for Node {
    /// A node dropped without [`Node::shutdown`] stops its tasks and endpoint too, so that the
    /// state-dir lock (released with the node) is not outlived by a journal writer.
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.inner.endpoint.close(0u32.into(), b"dropped");
    }
}

/// Result of a chunked fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchReport {
    pub fetched: usize,
    pub already_had: usize,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn header(e: &Envelope) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"bitchat-envelope-v1");
    h.extend_from_slice(&e.id);
    h.extend_from_slice(&e.from);
    h.extend_from_slice(&e.to);
    h.extend_from_slice(&e.expires_at.to_be_bytes());
    h
}

const AUTH_LABEL: &[u8] = b"bithive-bitchat-auth";
const ROLE_CLIENT: u8 = 0;
const ROLE_SERVER: u8 = 1;

fn auth_message(role: u8, exporter: &[u8; 32], noise: &[u8; 32]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"bithive-bitchat-auth-v1");
    h.update([role]);
    h.update(exporter);
    h.update(noise);
    h.finalize().to_vec()
}

fn exporter(conn: &Connection) -> Result<[u8; 32], BitChatError> {
    let mut out = [0u8; 32];
    conn.export_keying_material(&mut out, AUTH_LABEL, b"")
        .map_err(|_| BitChatError::Auth("no exporter".into()))?;
    Ok(out)
}

fn frame_error_reason(e: &BitChatError) -> &'static str {
    match e {
        BitChatError::Frame(FrameError::Oversized(_)) => "oversized",
        BitChatError::Frame(_) => "malformed",
        _ => "stream_error",
    }
}

impl Shared {
    fn my_auth(&self, conn: &Connection, role: u8) -> Result<Frame, BitChatError> {
        let msg = auth_message(role, &exporter(conn)?, &self.identity.noise_public());
        Ok(Frame::Auth {
            account_pubkey: self.identity.account_pubkey(),
            noise_pubkey: self.identity.noise_public(),
            signature: self.identity.sign(&msg),
        })
    }

    /// Check a peer's Auth frame against this session and the registry.
    fn check_auth(
        &self,
        conn: &Connection,
        role: u8,
        f: &Frame,
    ) -> Result<AccountId, BitChatError> {
        let Frame::Auth {
            account_pubkey,
            noise_pubkey,
            signature,
        } = f
        else {
            return Err(BitChatError::Auth("expected auth frame".into()));
        };
        let msg = auth_message(role, &exporter(conn)?, noise_pubkey);
        if !verify(account_pubkey, &msg, signature) {
            return Err(BitChatError::Auth("bad signature".into()));
        }
        let id = AccountId::from_pubkey(account_pubkey);
        let rec = self
            .registry
            .get(&id)
            .ok_or_else(|| BitChatError::Auth(format!("{id} not registered")))?;
        if &rec.account_pubkey != account_pubkey || &rec.noise_pubkey != noise_pubkey {
            return Err(BitChatError::Auth("keys differ from registry".into()));
        }
        Ok(id)
    }

    async fn serve_connection(self: Arc<Self>, conn: Connection) {
        let peer = match self.server_handshake(&conn).await {
            Ok(p) => p,
            Err(e) => {
                self.metrics.auth_failures.inc();
                self.metrics.drop_reason("unauthenticated");
                tracing::debug!("auth failed from {}: {e}", conn.remote_address());
                conn.close(1u32.into(), b"auth");
                return;
            }
        };
        while let Ok((send, recv)) = conn.accept_bi().await {
            let me = self.clone();
            tokio::spawn(async move { me.handle_stream(peer, send, recv).await });
        }
    }

    async fn server_handshake(&self, conn: &Connection) -> Result<AccountId, BitChatError> {
        let (mut send, mut recv) = tokio::time::timeout(self.cfg.request_timeout, conn.accept_bi())
            .await
            .map_err(|_| BitChatError::Auth("timeout".into()))??;
        let f = tokio::time::timeout(self.cfg.request_timeout, read_frame(&mut recv))
            .await
            .map_err(|_| BitChatError::Auth("timeout".into()))??
            .ok_or_else(|| BitChatError::Auth("no auth frame".into()))?;
        let peer = self.check_auth(conn, ROLE_CLIENT, &f)?;
        write_frame(&mut send, &self.my_auth(conn, ROLE_SERVER)?).await?;
        send.finish()?;
        Ok(peer)
    }

    async fn handle_stream(
        self: Arc<Self>,
        peer: AccountId,
        mut send: SendStream,
        mut recv: RecvStream,
    ) {
        let allowed = self
            .limiter
            .lock()
            .map(|mut l| l.allow(peer, Instant::now()))
            .unwrap_or(false);
        if !allowed {
            self.metrics.drop_reason("rate_limited");
            let _ = send.reset(2u32.into());
            return;
        }
        let frame =
            match tokio::time::timeout(self.cfg.request_timeout, read_frame(&mut recv)).await {
                Ok(Ok(Some(f))) => f,
                Ok(Ok(None)) => return,
                Ok(Err(e)) => {
                    self.metrics.drop_reason(frame_error_reason(&e));
                    let _ = send.reset(3u32.into());
                    return;
                }
                Err(_) => {
                    self.metrics.drop_reason("timeout");
                    return;
                }
            };
        self.metrics.frames_received.inc();
        if let Err(e) = self.dispatch(peer, frame, &mut send).await {
            tracing::debug!("request from {peer} failed: {e}");
        }
        let _ = send.finish();
    }

    async fn dispatch(
        &self,
        peer: AccountId,
        frame: Frame,
        send: &mut SendStream,
    ) -> Result<(), BitChatError> {
        match frame {
            Frame::Deliver(env) => {
                let id = env.id;
                let status = if env.to == self.identity.account_id().0 {
                    let status = self.process_incoming(env).await;
                    if status == AckStatus::Stored {
                        // Could not be made durable: no answer, the sender retries.
                        return Ok(());
                    }
                    status
                } else if self.mailbox.is_some() {
                    self.deposit(peer, env)
                } else {
                    self.metrics.drop_reason("not_relay");
                    AckStatus::Rejected
                };
                // The id is echoed even when rejected, so the sender can match the answer.
                write_frame(send, &Frame::Ack { id, status }).await
            }
            Frame::MailboxFetch => {
                let items = match &self.mailbox {
                    Some(m) => m
                        .lock()
                        .map(|m| m.pending_for(&peer.0, unix_now(), 256))
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                for e in items {
                    write_frame(send, &Frame::MailboxItem(e)).await?;
                }
                write_frame(send, &Frame::MailboxEnd).await
            }
            Frame::MailboxAck { ids } => {
                if let Some(m) = &self.mailbox {
                    let left = m
                        .lock()
                        .map_err(|_| BitChatError::Mailbox("poisoned".into()))?;
                    let mut left = left;
                    left.acknowledge(&peer.0, &ids)?;
                    self.metrics.mailbox_envelopes.set(left.len() as i64);
                }
                Ok(())
            }
            Frame::ChunkGet { hash } => match self.chunks.get(&hash)? {
                Some(data) => {
                    self.metrics.chunks_served.inc();
                    write_frame(send, &Frame::ChunkData { hash, data }).await
                }
                None => write_frame(send, &Frame::ChunkMissing { hash }).await,
            },
            _ => {
                self.metrics.drop_reason("unexpected");
                Ok(())
            }
        }
    }

    /// Relay: store an envelope for an offline recipient. The sender must be the authenticated
    /// peer (no quota spending in someone else's name).
    fn deposit(&self, peer: AccountId, env: Envelope) -> AckStatus {
        if env.from != peer.0 {
            self.metrics.drop_reason("spoofed");
            return AckStatus::Rejected;
        }
        let Some(m) = &self.mailbox else {
            return AckStatus::Rejected;
        };
        let Ok(mut m) = m.lock() else {
            return AckStatus::Rejected;
        };
        match m.deposit(env, unix_now()) {
            Ok(Ok(())) => {
                self.metrics.mailbox_stored.inc();
                self.metrics.mailbox_envelopes.set(m.len() as i64);
                AckStatus::Stored
            }
            Ok(Err(crate::mailbox::Refusal::Duplicate)) => {
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

    /// An envelope addressed to this node: authenticate, de-duplicate, order, deliver, receipt.
    async fn process_incoming(&self, env: Envelope) -> AckStatus {
        let now = unix_now();
        if env.expires_at <= now {
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
                let res = match self.inbox.lock() {
                    Ok(mut i) => {
                        i.accept(env.id, from, conversation, seq, prev_expires_at, body, now)
                    }
                    Err(_) => return AckStatus::Rejected,
                };
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
                self.deliver(ready).await;
                self.queue_receipt(from, env.id);
                AckStatus::Delivered
            }
            Some(Inner::Receipt { id }) => {
                let fresh = self
                    .inbox
                    .lock()
                    .map(|mut i| i.inbox.first_sighting(env.id))
                    .unwrap_or(false);
                if !fresh {
                    self.metrics.drop_reason("replayed");
                    return AckStatus::Duplicate;
                }
                self.metrics.receipts_received.inc();
                if let Ok(mut o) = self.outbox.lock() {
                    if o.entries.get(&id).is_some_and(|e| e.to == from) {
                        o.set_status(&id, MessageStatus::Delivered);
                    }
                }
                AckStatus::Delivered
            }
            None => {
                self.metrics.drop_reason("malformed");
                AckStatus::Rejected
            }
        }
    }

    async fn deliver(&self, ready: Vec<Delivered>) {
        for d in ready {
            self.metrics.messages_delivered.inc();
            // Bounded queue: back-pressure on the sender's stream instead of unbounded memory.
            if self.inbox_tx.send(d).await.is_err() {
                self.metrics.drop_reason("queue_full");
            }
        }
    }

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

    /// Seal a receipt and put it in the (durable) outbox.
    fn seal_receipt(
        &self,
        to: AccountId,
        inner: &Inner,
        expires_at: u64,
    ) -> Result<MessageId, BitChatError> {
        let env = self.seal_env(to, inner, expires_at)?;
        self.outbox
            .lock()
            .map_err(|_| BitChatError::Peer("poisoned".into()))?
            .insert(to, None, env)
    }

    fn queue_receipt(&self, to: AccountId, id: MessageId) {
        let ttl = self.cfg.mailbox.max_ttl_secs.min(24 * 3600);
        if let Err(e) =
            self.seal_receipt(to, &Inner::Receipt { id }, unix_now().saturating_add(ttl))
        {
            tracing::debug!("receipt to {to}: {e}");
        }
    }

    /// Authenticated (cached) connection to `addr`.
    async fn connect(&self, addr: SocketAddr) -> Result<AuthedConn, BitChatError> {
        let mut conns = self.conns.lock().await;
        if let Some(c) = conns.get(&addr) {
            if c.conn.close_reason().is_none() {
                return Ok(c.clone());
            }
            conns.remove(&addr);
        }
        let connecting = self.endpoint.connect(addr, "bitchat.node")?;
        let conn = tokio::time::timeout(self.cfg.connect_timeout, connecting)
            .await
            .map_err(|_| BitChatError::Peer(format!("connect to {addr} timed out")))??;
        let (mut send, mut recv) = conn.open_bi().await?;
        write_frame(&mut send, &self.my_auth(&conn, ROLE_CLIENT)?).await?;
        send.finish()?;
        let f = tokio::time::timeout(self.cfg.request_timeout, read_frame(&mut recv))
            .await
            .map_err(|_| BitChatError::Auth("timeout".into()))??
            .ok_or_else(|| BitChatError::Auth("no auth".into()))?;
        let peer = match self.check_auth(&conn, ROLE_SERVER, &f) {
            Ok(p) => p,
            Err(e) => {
                self.metrics.auth_failures.inc();
                conn.close(1u32.into(), b"auth");
                return Err(e);
            }
        };
        let c = AuthedConn { conn, peer };
        conns.insert(addr, c.clone());
        Ok(c)
    }

    /// One request/response exchange; returns every response frame.
    async fn request(
        &self,
        addr: SocketAddr,
        f: &Frame,
    ) -> Result<(AccountId, Vec<Frame>), BitChatError> {
        let c = self.connect(addr).await?;
        let exchange = async {
            let (mut send, mut recv) = c.conn.open_bi().await?;
            write_frame(&mut send, f).await?;
            send.finish()?;
            let mut out = Vec::new();
            while let Some(r) = read_frame(&mut recv).await? {
                let end = matches!(
                    r,
                    Frame::MailboxEnd
                        | Frame::Ack { .. }
                        | Frame::ChunkData { .. }
                        | Frame::ChunkMissing { .. }
                );
                out.push(r);
                if end {
                    break;
                }
                if out.len() > 1024 {
                    return Err(BitChatError::Peer("too many response frames".into()));
                }
            }
            Ok::<_, BitChatError>(out)
        };
        match tokio::time::timeout(self.cfg.request_timeout, exchange).await {
            Ok(Ok(frames)) => Ok((c.peer, frames)),
            Ok(Err(e)) => {
                self.conns.lock().await.remove(&addr);
                Err(e)
            }
            Err(_) => {
                self.conns.lock().await.remove(&addr);
                Err(BitChatError::Peer(format!("request to {addr} timed out")))
            }
        }
    }

    /// Hand one outbox envelope to its recipient, else to a relay.
    async fn dispatch_one(&self, id: MessageId) {
        let (env, to) = {
            let Ok(mut o) = self.outbox.lock() else {
                return;
            };
            let Some(e) = o.entries.get(&id) else {
                return;
            };
            if e.expires_at <= unix_now() {
                o.set_status(&id, MessageStatus::Failed);
                return;
            }
            match &e.envelope {
                Some(env) if e.status == MessageStatus::Pending => (env.clone(), e.to),
                _ => return,
            }
        };
        let mut outcome = None;
        if let Some(addr) = self.registry.get(&to).and_then(|r| r.addr) {
            if let Ok((peer, frames)) = self.request(addr, &Frame::Deliver(env.clone())).await {
                if peer == to {
                    match frames.first() {
                        Some(Frame::Ack {
                            id: ack,
                            status: AckStatus::Delivered | AckStatus::Duplicate,
                        }) if *ack == env.id => outcome = Some(MessageStatus::Delivered),
                        Some(Frame::Ack {
                            id: ack,
                            status: AckStatus::Rejected,
                        }) if *ack == env.id => outcome = Some(MessageStatus::Failed),
                        _ => {}
                    }
                }
            }
        }
        if outcome.is_none() {
            for relay in self.cfg.relays.clone() {
                if let Ok((_, frames)) = self.request(relay, &Frame::Deliver(env.clone())).await {
                    if let Some(Frame::Ack {
                        id: ack,
                        status: AckStatus::Stored | AckStatus::Duplicate,
                    }) = frames.first()
                    {
                        if *ack != env.id {
                            continue;
                        }
                        outcome = Some(MessageStatus::Stored);
                        break;
                    }
                }
            }
        }
        if let Some(status) = outcome {
            if let Ok(mut o) = self.outbox.lock() {
                if o.entries.get(&id).map(|e| e.status) == Some(MessageStatus::Pending) {
                    o.set_status(&id, status);
                }
            }
        }
    }

    /// Retry undelivered envelopes, expire old ones, release ordered messages past gaps.
    async fn maintenance(&self) {
        let now = unix_now();
        let pending: Vec<MessageId> = match self.outbox.lock() {
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
        for id in pending {
            self.dispatch_one(id).await;
        }
        let ready = self
            .inbox
            .lock()
            .map(|mut i| {
                if let Err(e) = i.maybe_compact() {
                    tracing::warn!("inbox compaction: {e}");
                }
                i.inbox.tick(now)
            })
            .unwrap_or_default();
        self.deliver(ready).await;
        if let Some(m) = &self.mailbox {
            if let Ok(mut m) = m.lock() {
                let _ = m.purge(now);
                self.metrics.mailbox_envelopes.set(m.len() as i64);
            }
        }
    }
}

impl Node {
    pub async fn start(
        cfg: NodeConfig,
        identity: NodeIdentity,
        registry: Arc<dyn PeerRegistry>,
    ) -> Result<Self, BitChatError> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        // Before anything opens the journals or binds the port.
        let state_lock = cfg
            .state_dir
            .as_deref()
            .map(StateLock::acquire)
            .transpose()?;
        let cert = NodeCert::generate()?;
        let ep = endpoint(cfg.listen, &cert, cfg.cc)?;
        let mailbox = if cfg.relay {
            Some(StdMutex::new(Mailbox::open(
                &cfg.data_dir.join("mailbox.json"),
                cfg.mailbox,
            )?))
        } else {
            None
        };
        let chunks = ChunkStore::open(&cfg.data_dir.join("chunks"))?;
        let fresh_inbox = Inbox::new(100_000, 4096);
        let (inbox, outbox, recovered) = match &cfg.state_dir {
            Some(dir) => {
                let outbox = Outbox::open(&dir.join("outbox.journal"))?;
                let (inbox, ready) =
                    DurableInbox::open(&dir.join("inbox.journal"), fresh_inbox, unix_now())?;
                (inbox, outbox, ready)
            }
            None => (
                DurableInbox::memory(fresh_inbox),
                Outbox::memory(),
                Vec::new(),
            ),
        };
        // Room for the recovered messages beside the configured capacity.
        let (inbox_tx, inbox_rx) = mpsc::channel(cfg.inbox_capacity.max(1) + recovered.len());
        for d in recovered {
            inbox_tx
                .try_send(d)
                .map_err(|_| BitChatError::Peer("inbox channel".into()))?;
        }
        let metrics = Metrics::new();
        if let Some(m) = &mailbox {
            if let Ok(m) = m.lock() {
                metrics.mailbox_envelopes.set(m.len() as i64);
            }
        }
        let inner = Arc::new(Shared {
            limiter: StdMutex::new(PeerLimiter::new(cfg.rate_limit, 10_000)),
            cfg,
            identity,
            registry,
            endpoint: ep.clone(),
            mailbox,
            chunks,
            inbox: StdMutex::new(inbox),
            inbox_tx,
            outbox: StdMutex::new(outbox),
            conns: Mutex::new(HashMap::new()),
            metrics,
        });
        let accept = {
            let inner = inner.clone();
            tokio::spawn(async move {
                while let Some(incoming) = ep.accept().await {
                    let inner = inner.clone();
                    tokio::spawn(async move {
                        if let Ok(conn) = incoming.await {
                            inner.serve_connection(conn).await;
                        }
                    });
                }
            })
        };
        let retry = {
            let inner = inner.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(inner.cfg.retry_interval);
                loop {
                    tick.tick().await;
                    inner.maintenance().await;
                }
            })
        };
        Ok(Self {
            inner,
            inbox_rx: Mutex::new(inbox_rx),
            tasks: vec![accept, retry],
            state_lock,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, BitChatError> {
        Ok(self.inner.endpoint.local_addr()?)
    }

    pub fn account_id(&self) -> AccountId {
        self.inner.identity.account_id()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn chunks(&self) -> &ChunkStore {
        &self.inner.chunks
    }

    /// Send `body` to `to` in `conversation`; ordering is per (sender, conversation).
    pub async fn send(
        &self,
        to: AccountId,
        conversation: u64,
        body: &[u8],
        ttl: Duration,
    ) -> Result<MessageId, BitChatError> {
        let expires_at = unix_now()
            .checked_add(ttl.as_secs().max(1))
            .ok_or(BitChatError::Overflow)?;
        // Sequence reservation, sealing and the durable insert under one lock, so the journal
        // holds a conversation's messages in sequence order.
        let id = {
            let mut o = self
                .inner
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
            let env = self.inner.seal_env(to, &inner, expires_at)?;
            o.insert(to, Some((conversation, seq)), env)?
        };
        self.inner.dispatch_one(id).await;
        Ok(id)
    }

    pub fn status(&self, id: &MessageId) -> Option<MessageStatus> {
        let o = self.inner.outbox.lock().ok()?;
        let e = o.entries.get(id)?;
        if e.status != MessageStatus::Delivered && e.expires_at <= unix_now() {
            return Some(MessageStatus::Failed);
        }
        Some(e.status)
    }

    /// Next delivered message, waiting at most `timeout`.
    /// Returning a message is its hand-over to the application: it is journaled, and never
    /// returned again (also not after a restart).
    pub async fn recv(&self, timeout: Duration) -> Option<Delivered> {
        let mut rx = self.inbox_rx.lock().await;
        let d = tokio::time::timeout(timeout, rx.recv())
            .await
            .ok()
            .flatten()?;
        match self.inner.inbox.lock() {
            Ok(mut i) => {
                if let Err(e) = i.handed_over(&d) {
                    tracing::warn!("inbox journal: {e}");
                }
            }
            Err(_) => tracing::warn!("inbox poisoned"),
        }
        Some(d)
    }

    /// Collect envelopes waiting at `relay`, process them, and acknowledge them.
    pub async fn fetch_mailbox(&self, relay: SocketAddr) -> Result<usize, BitChatError> {
        let (_, frames) = self.inner.request(relay, &Frame::MailboxFetch).await?;
        let mut ids = Vec::new();
        for f in frames {
            match f {
                Frame::MailboxItem(env) if env.to == self.account_id().0 => {
                    let id = env.id;
                    let status = self.inner.process_incoming(env).await;
                    // Acknowledge what was handled (also duplicates and permanent rejections).
                    if status != AckStatus::Stored {
                        ids.push(id);
                    }
                }
                Frame::MailboxEnd => break,
                _ => self.inner.metrics.drop_reason("unexpected"),
            }
        }
        let n = ids.len();
        if !ids.is_empty() {
            self.inner
                .request(relay, &Frame::MailboxAck { ids })
                .await
                .ok();
        }
        Ok(n)
    }

    /// Fetch every missing chunk of `manifest` from `peers` in parallel (two streams per peer),
    /// verifying each. Chunks already present are skipped, so a failed fetch resumes.
    pub async fn fetch_chunks(
        &self,
        manifest: &Manifest,
        peers: &[SocketAddr],
    ) -> Result<FetchReport, BitChatError> {
        let missing = self.inner.chunks.missing(manifest);
        let already_had = manifest.chunks.len() - missing.len();
        let queue = Arc::new(StdMutex::new(
            missing.iter().map(|h| (*h, 0u32)).collect::<VecDeque<_>>(),
        ));
        let max_attempts = 3 * peers.len().max(1) as u32;
        let mut workers = Vec::new();
        for &peer in peers {
            for _ in 0..2 {
                let inner = self.inner.clone();
                let queue = queue.clone();
                workers.push(tokio::spawn(async move {
                    let mut fetched = 0usize;
                    let mut failures = 0u32;
                    while failures < 3 {
                        let Some((hash, attempts)) =
                            queue.lock().ok().and_then(|mut q| q.pop_front())
                        else {
                            break;
                        };
                        let ok = match inner.request(peer, &Frame::ChunkGet { hash }).await {
                            Ok((_, frames)) => match frames.into_iter().next() {
                                Some(Frame::ChunkData { hash: h, data }) if h == hash => {
                                    let good =
                                        inner.chunks.put_verified(&hash, &data).unwrap_or(false);
                                    if !good {
                                        inner.metrics.drop_reason("bad_chunk");
                                    }
                                    good
                                }
                                _ => false,
                            },
                            Err(_) => false,
                        };
                        if ok {
                            fetched += 1;
                            failures = 0;
                            inner.metrics.chunks_fetched.inc();
                        } else {
                            failures += 1;
                            if attempts + 1 < max_attempts {
                                if let Ok(mut q) = queue.lock() {
                                    q.push_back((hash, attempts + 1));
                                }
                            }
                        }
                    }
                    fetched
                }));
            }
        }
        let mut fetched = 0;
        for w in workers {
            fetched += w.await.unwrap_or(0);
        }
        let still = self.inner.chunks.missing(manifest).len();
        if still > 0 {
            return Err(BitChatError::Chunk(format!(
                "{still} chunks missing after fetching {fetched}"
            )));
        }
        Ok(FetchReport {
            fetched,
            already_had,
        })
    }

    /// Seal a message envelope without sending it (for custom transports and tests).
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
        self.inner.seal_env(to, &inner, expires_at)
    }

    /// An authenticated raw stream to `addr`, for sending hand-made (also malformed) bytes.
    #[doc(hidden)]
    pub async fn raw_stream(
        &self,
        addr: SocketAddr,
    ) -> Result<(SendStream, RecvStream), BitChatError> {
        let c = self.inner.connect(addr).await?;
        Ok(c.conn.open_bi().await?)
    }

    /// Stop serving and close every connection, then release the state-dir lock.
    pub async fn shutdown(mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.inner.endpoint.close(0u32.into(), b"shutdown");
        // Wait until the aborted tasks are gone, so that no journal writer outlives the lock.
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), self.inner.endpoint.wait_idle()).await;
        drop(self.state_lock.take());
    }
}
