//! A BitChat node: the tokio driver of [`NodeCore`]. It owns the QUIC endpoint, the clock and
//! the API, feeds the core what arrives (connections, request frames, responses, time) and
//! carries out what the core asks for (replies, requests, closes, messages for the
//! application). The protocol itself lives in `proto.rs`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quinn::{Connection, Endpoint, RecvStream, SendStream};
use tokio::sync::{mpsc, watch, Mutex, Notify};
use tokio::task::JoinHandle;

use crate::chunks::{ChunkStore, Manifest};
use crate::error::BitChatError;
use crate::frame::{AckStatus, Envelope, Frame, FrameError, MessageId};
use crate::identity::{AccountId, NodeIdentity};
use crate::inbox::{Delivered, DurableInbox, Inbox};
use crate::lock::StateLock;
use crate::mailbox::{Mailbox, MailboxLimits};
use crate::metrics::Metrics;
pub use crate::outbox::MessageStatus;
use crate::outbox::Outbox;
use crate::proto::{
    ConnId, CoreConfig, Event, NodeCore, Now, RequestId, Source, StreamId, Transmit,
    AUTH_EXPORTER_LABEL,
};
use crate::ratelimit::RateLimit;
use crate::registry::PeerRegistry;
use crate::transport::{endpoint, CongestionChoice, NodeCert};
use crate::wire::{read_datagram, read_frame, write_frame};

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
    id: ConnId,
    peer: AccountId,
}

/// What the core answered on an inbound stream.
enum StreamOut {
    Frame(Frame),
    Finish,
    Reset(u32),
}

struct Shared {
    cfg: NodeConfig,
    endpoint: Endpoint,
    core: StdMutex<NodeCore>,
    account: AccountId,
    chunks: ChunkStore,
    metrics: Metrics,
    /// Messages on their way into the inbox channel, numbered in the core's order.
    deliver_q: mpsc::UnboundedSender<(u64, Delivered)>,
    event_seq: AtomicU64,
    /// Number of the last message put into the inbox channel.
    delivered: watch::Receiver<u64>,
    /// Authenticated outgoing connections by address (reused).
    conns: Mutex<HashMap<SocketAddr, AuthedConn>>,
    /// Every connection the core knows, for its `Transmit::Close`.
    live: StdMutex<HashMap<ConnId, Connection>>,
    /// Inbound streams waiting for their answer.
    streams: StdMutex<HashMap<StreamId, mpsc::UnboundedSender<StreamOut>>>,
    /// Requests the core asked for, not yet made.
    requests: StdMutex<VecDeque<(RequestId, SocketAddr, Frame)>>,
    ids: AtomicU64,
    /// Wakes the timer when the core's next timeout may have moved.
    timer: Notify,
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

/// The one place the node reads the clock.
fn now() -> Now {
    Now {
        instant: Instant::now(),
        unix: unix_now(),
    }
}

fn exporter(conn: &Connection) -> Result<[u8; 32], BitChatError> {
    let mut out = [0u8; 32];
    conn.export_keying_material(&mut out, AUTH_EXPORTER_LABEL, b"")
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
    fn core(&self) -> MutexGuard<'_, NodeCore> {
        // The core is left consistent between inputs; a panic elsewhere does not poison it.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    fn to_stream(&self, stream: StreamId, out: StreamOut, last: bool) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let tx = if last {
            streams.remove(&stream)
        } else {
            streams.get(&stream).cloned()
        };
        if let Some(tx) = tx {
            let _ = tx.send(out);
        }
    }

    /// Carry out everything the core has queued: messages to the deliverer (in the core's
    /// order), then, once they are in the bounded inbox channel (back-pressure on the sender,
    /// whose answer was queued after them), answers to their streams and closes; requests are
    /// queued for [`Shared::run_requests`].
    async fn pump(&self) {
        let (last_event, transmits) = {
            let mut core = self.core();
            let mut last = None;
            while let Some(ev) = core.poll_event() {
                match ev {
                    Event::Message(d) => {
                        // Numbered and queued under the core's lock: one order for everyone.
                        let seq = self.event_seq.fetch_add(1, Ordering::Relaxed) + 1;
                        if self.deliver_q.send((seq, d)).is_err() {
                            self.metrics.drop_reason("queue_full");
                        }
                        last = Some(seq);
                    }
                    Event::Authenticated { conn, peer } => {
                        tracing::debug!("connection {conn}: peer {peer} authenticated");
                    }
                    Event::HandshakeFailed { .. } => {}
                }
            }
            let transmits: Vec<Transmit> = std::iter::from_fn(|| core.poll_transmit()).collect();
            (last, transmits)
        };
        if let Some(seq) = last_event {
            let mut delivered = self.delivered.clone();
            // Err: the deliverer is gone (shutdown); nothing left to wait for.
            let _ = delivered.wait_for(|&d| d >= seq).await;
        }
        for t in transmits {
            match t {
                Transmit::Reply { stream, frame } => {
                    self.to_stream(stream, StreamOut::Frame(frame), false)
                }
                Transmit::Finish { stream } => self.to_stream(stream, StreamOut::Finish, true),
                Transmit::Reset { stream, code } => {
                    self.to_stream(stream, StreamOut::Reset(code), true)
                }
                Transmit::Request { id, addr, frame } => self
                    .requests
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back((id, addr, frame)),
                Transmit::Close { conn, code, reason } => {
                    let c = self
                        .live
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&conn);
                    if let Some(c) = c {
                        c.close(code.into(), reason);
                    }
                }
            }
        }
        self.timer.notify_one();
    }

    /// Make the queued requests one after the other, handing each answer to the core, until
    /// the core asks for no more (a delivery round: the recipient, then each relay).
    async fn run_requests(&self) {
        loop {
            let next = self
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            let Some((id, addr, frame)) = next else {
                return;
            };
            let answer = self.request(addr, &frame).await.ok();
            self.core().handle_response(now(), id, answer);
            self.pump().await;
        }
    }

    /// Drive the core's timeouts: handshake deadlines and the retry tick.
    async fn timer_loop(&self) {
        loop {
            let due = self.core().poll_timeout();
            if let Some(t) = due {
                if t > Instant::now() {
                    tokio::select! {
                        _ = tokio::time::sleep_until(t.into()) => {}
                        _ = self.timer.notified() => continue,
                    }
                }
            }
            self.core().handle_timeout(now());
            self.pump().await;
            self.run_requests().await;
        }
    }

    fn forget(&self, conn: ConnId, reason: &str) {
        self.core().handle_conn_lost(now(), conn, reason);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn);
    }

    async fn serve_connection(self: Arc<Self>, conn: Connection) {
        let cid = self.next_id();
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cid, conn.clone());
        let handshake = match exporter(&conn) {
            Ok(x) => {
                self.core().accept(now(), cid, x);
                self.timer.notify_one();
                self.server_handshake(cid, &conn).await
            }
            Err(e) => {
                // Registered only to be failed (and counted) below; nothing is checked with it.
                self.core().accept(now(), cid, [0; 32]);
                Err(e)
            }
        };
        if let Err(e) = handshake {
            tracing::debug!("auth failed from {}: {e}", conn.remote_address());
            self.forget(cid, &e.to_string());
        }
        self.pump().await;
        if self.core().peer(cid).is_none() {
            // The core closed it (a `Transmit::Close`); make sure, whatever the reason.
            conn.close(1u32.into(), b"auth");
            self.forget(cid, "closed");
            return;
        }
        while let Ok((send, recv)) = conn.accept_bi().await {
            let me = self.clone();
            tokio::spawn(async move { me.handle_stream(cid, send, recv).await });
        }
        self.forget(cid, "closed");
    }

    /// Read the client's `Auth` and write ours: the core decides, this moves the bytes.
    async fn server_handshake(&self, cid: ConnId, conn: &Connection) -> Result<(), BitChatError> {
        let (mut send, mut recv) = tokio::time::timeout(self.cfg.request_timeout, conn.accept_bi())
            .await
            .map_err(|_| BitChatError::Auth("timeout".into()))??;
        let bytes = tokio::time::timeout(self.cfg.request_timeout, read_datagram(&mut recv))
            .await
            .map_err(|_| BitChatError::Auth("timeout".into()))??
            .ok_or_else(|| BitChatError::Auth("no auth frame".into()))?;
        let sid = self.next_id();
        let mut rx = self.open_stream(sid);
        self.core().handle_datagram(
            now(),
            Source {
                conn: cid,
                stream: sid,
            },
            &bytes,
        );
        self.pump().await;
        self.write_answer(&mut rx, &mut send).await;
        self.close_stream(sid);
        Ok(())
    }

    fn open_stream(&self, sid: StreamId) -> mpsc::UnboundedReceiver<StreamOut> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid, tx);
        rx
    }

    /// Forget stream `sid` (its answer may have ended without a `Finish`, e.g. a failed
    /// handshake).
    fn close_stream(&self, sid: StreamId) {
        self.streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&sid);
    }

    /// Write what the core answered on a stream (all of it is queued once `pump` returned).
    async fn write_answer(
        &self,
        rx: &mut mpsc::UnboundedReceiver<StreamOut>,
        send: &mut SendStream,
    ) {
        while let Ok(out) = rx.try_recv() {
            match out {
                StreamOut::Frame(f) => {
                    if let Err(e) = write_frame(send, &f).await {
                        tracing::debug!("answer not written: {e}");
                        break;
                    }
                }
                StreamOut::Finish => {
                    let _ = send.finish();
                    return;
                }
                StreamOut::Reset(code) => {
                    let _ = send.reset(code.into());
                    return;
                }
            }
        }
        let _ = send.finish();
    }

    async fn handle_stream(
        self: Arc<Self>,
        cid: ConnId,
        mut send: SendStream,
        mut recv: RecvStream,
    ) {
        let sid = self.next_id();
        let src = Source {
            conn: cid,
            stream: sid,
        };
        let mut rx = self.open_stream(sid);
        let admitted = self.core().handle_stream(now(), src);
        if admitted {
            match tokio::time::timeout(self.cfg.request_timeout, read_datagram(&mut recv)).await {
                Ok(Ok(Some(bytes))) => self.core().handle_datagram(now(), src, &bytes),
                Ok(Ok(None)) => {
                    self.close_stream(sid);
                    return;
                }
                Ok(Err(e)) => {
                    self.metrics.drop_reason(frame_error_reason(&e));
                    self.close_stream(sid);
                    let _ = send.reset(3u32.into());
                    return;
                }
                Err(_) => {
                    self.metrics.drop_reason("timeout");
                    self.close_stream(sid);
                    return;
                }
            }
        }
        // Requests this moves out of the core are made by whoever queued them (`send`, the
        // timer), which runs `run_requests` after its own pump.
        self.pump().await;
        self.write_answer(&mut rx, &mut send).await;
        self.close_stream(sid);
    }

    /// Authenticated (cached) connection to `addr`.
    async fn connect(&self, addr: SocketAddr) -> Result<AuthedConn, BitChatError> {
        let mut conns = self.conns.lock().await;
        if let Some(c) = conns.get(&addr) {
            if c.conn.close_reason().is_none() {
                return Ok(c.clone());
            }
            self.forget(c.id, "closed");
            conns.remove(&addr);
        }
        let connecting = self.endpoint.connect(addr, "bitchat.node")?;
        let conn = tokio::time::timeout(self.cfg.connect_timeout, connecting)
            .await
            .map_err(|_| BitChatError::Peer(format!("connect to {addr} timed out")))??;
        let cid = self.next_id();
        let auth = self.core().connect(now(), cid, exporter(&conn)?);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cid, conn.clone());
        self.timer.notify_one();
        let exchange = async {
            let (mut send, mut recv) = conn.open_bi().await?;
            write_frame(&mut send, &auth).await?;
            send.finish()?;
            tokio::time::timeout(self.cfg.request_timeout, read_datagram(&mut recv))
                .await
                .map_err(|_| BitChatError::Auth("timeout".into()))??
                .ok_or_else(|| BitChatError::Auth("no auth".into()))
        };
        match exchange.await {
            Ok(bytes) => {
                let src = Source {
                    conn: cid,
                    stream: self.next_id(),
                };
                self.core().handle_datagram(now(), src, &bytes);
            }
            Err(e) => {
                self.forget(cid, &e.to_string());
                self.pump().await;
                return Err(e);
            }
        }
        self.pump().await;
        let Some(peer) = self.core().peer(cid) else {
            return Err(BitChatError::Auth(format!("{addr} failed to authenticate")));
        };
        let c = AuthedConn {
            conn,
            id: cid,
            peer,
        };
        conns.insert(addr, c.clone());
        Ok(c)
    }

    async fn drop_conn(&self, addr: SocketAddr) {
        if let Some(c) = self.conns.lock().await.remove(&addr) {
            self.forget(c.id, "request failed");
        }
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
                self.drop_conn(addr).await;
                Err(e)
            }
            Err(_) => {
                self.drop_conn(addr).await;
                Err(BitChatError::Peer(format!("request to {addr} timed out")))
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
            Some(Mailbox::open(
                &cfg.data_dir.join("mailbox.json"),
                cfg.mailbox,
            )?)
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
        let core_cfg = CoreConfig {
            relays: cfg.relays.clone(),
            max_ttl_secs: cfg.mailbox.max_ttl_secs,
            rate_limit: cfg.rate_limit,
            handshake_timeout: cfg.request_timeout,
            retry_interval: cfg.retry_interval,
        };
        let account = identity.account_id();
        let (deliver_q, mut deliver_rx) = mpsc::unbounded_channel();
        let (delivered_tx, delivered) = watch::channel(0u64);
        let core = NodeCore::new(
            core_cfg,
            identity,
            registry,
            mailbox,
            chunks.clone(),
            inbox,
            outbox,
            metrics.clone(),
        );
        let inner = Arc::new(Shared {
            cfg,
            endpoint: ep.clone(),
            core: StdMutex::new(core),
            account,
            chunks,
            metrics: metrics.clone(),
            deliver_q,
            event_seq: AtomicU64::new(0),
            delivered,
            conns: Mutex::new(HashMap::new()),
            live: StdMutex::new(HashMap::new()),
            streams: StdMutex::new(HashMap::new()),
            requests: StdMutex::new(VecDeque::new()),
            ids: AtomicU64::new(0),
            timer: Notify::new(),
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
        let timer = {
            let inner = inner.clone();
            tokio::spawn(async move { inner.timer_loop().await })
        };
        // Moves messages into the bounded inbox channel in order, waiting for room there.
        let deliverer = tokio::spawn(async move {
            while let Some((seq, d)) = deliver_rx.recv().await {
                if inbox_tx.send(d).await.is_err() {
                    metrics.drop_reason("queue_full");
                }
                let _ = delivered_tx.send(seq);
            }
        });
        Ok(Self {
            inner,
            inbox_rx: Mutex::new(inbox_rx),
            tasks: vec![accept, timer, deliverer],
            state_lock,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, BitChatError> {
        Ok(self.inner.endpoint.local_addr()?)
    }

    pub fn account_id(&self) -> AccountId {
        self.inner.account
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
        let id = self.inner.core().send(now(), to, conversation, body, ttl)?;
        // The first delivery round, before returning (as a retry would).
        self.inner.pump().await;
        self.inner.run_requests().await;
        Ok(id)
    }

    pub fn status(&self, id: &MessageId) -> Option<MessageStatus> {
        self.inner.core().status(now(), id)
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
        if let Err(e) = self.inner.core().handed_over(&d) {
            tracing::warn!("inbox journal: {e}");
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
                    let status = self.inner.core().process_incoming(now(), env);
                    self.inner.pump().await;
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
        self.inner
            .core()
            .seal_message(to, conversation, seq, body, expires_at)
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
