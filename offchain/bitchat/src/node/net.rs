//! The async layer's network half: accepting and authenticating QUIC sessions, serving request
//! streams through the core, cached client connections, request/response exchanges, and
//! carrying the core's transmissions. Every decision is the core's; this file moves frames and
//! reads the clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use quinn::{Connection, Endpoint, RecvStream, SendStream};
use tokio::sync::{mpsc, Mutex};

use crate::core::{handshake::AUTH_LABEL, NodeCore, Role};
use crate::error::BitChatError;
use crate::frame::{Frame, FrameError, MessageId};
use crate::identity::AccountId;
use crate::inbox::Delivered;
use crate::wire::{read_frame, write_frame};

use super::{unix_now, NodeConfig};

/// Most response frames accepted for one request (a mailbox batch is 256 items and an end).
const MAX_RESPONSE_FRAMES: usize = 1024;

#[derive(Clone)]
pub(super) struct AuthedConn {
    pub(super) conn: Connection,
    pub(super) peer: AccountId,
}

pub(super) struct Shared {
    pub(super) cfg: NodeConfig,
    pub(super) core: NodeCore,
    pub(super) endpoint: Endpoint,
    pub(super) inbox_tx: mpsc::Sender<Delivered>,
    /// Held from the core's in-order release of messages (under its inbox lock) until they are
    /// in the application queue: two streams handled at once would otherwise enqueue their
    /// releases in either order, and a later message could reach the application first (seen
    /// under load: seq 17 handed over before 12). While the application queue is full, frames
    /// and the maintenance pass wait here: the back-pressure deliveries already had.
    pub(super) delivery: Mutex<()>,
    pub(super) conns: Mutex<HashMap<SocketAddr, AuthedConn>>,
    /// Messages the application dropped without taking them (see `Node::recv_held`): handed
    /// over again before anything newer (a later one taken would mark them handed over).
    pub(super) redo: std::sync::Mutex<std::collections::VecDeque<Delivered>>,
}

impl Shared {
    /// Runs `f` on the core on tokio's blocking pool: the core appends to its journals with an
    /// fdatasync per record (and rewrites the relay's mailbox), which must not stall the
    /// runtime's worker threads, and with them every other connection.
    pub(super) async fn on_core<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&NodeCore) -> R + Send + 'static,
    ) -> R {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || f(&me.core)).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down, which drops this task as well.
            Err(e) => panic!("the core's task did not run: {e}"),
        }
    }
}

/// The session's TLS exporter value both Auth frames are bound to.
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

/// `fut`, or an error naming `what` after `after`.
async fn within<T>(
    after: std::time::Duration,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, BitChatError>>,
) -> Result<T, BitChatError> {
    tokio::time::timeout(after, fut)
        .await
        .map_err(|_| BitChatError::Auth(format!("{what}: timeout")))?
}

impl Shared {
    pub(super) async fn accept_loop(self: Arc<Self>) {
        while let Some(incoming) = self.endpoint.accept().await {
            let me = self.clone();
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    me.serve_connection(conn).await;
                }
            });
        }
    }

    async fn serve_connection(self: Arc<Self>, conn: Connection) {
        let peer = match self.server_handshake(&conn).await {
            Ok(p) => p,
            Err(e) => {
                self.core.metrics().auth_failures.inc();
                self.core.metrics().drop_reason("unauthenticated");
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
        let t = self.cfg.request_timeout;
        let (mut send, mut recv) = within(t, "auth", async { Ok(conn.accept_bi().await?) }).await?;
        let f = within(t, "auth", read_frame(&mut recv))
            .await?
            .ok_or_else(|| BitChatError::Auth("no auth frame".into()))?;
        let ex = exporter(conn)?;
        let peer = self
            .core
            .check_auth(Role::Client, &ex, &f, Some(conn.remote_address()))?;
        write_frame(&mut send, &self.core.auth_frame(Role::Server, &ex)).await?;
        send.finish()?;
        Ok(peer)
    }

    /// One request stream: rate limit, read the frame, let the core decide, deliver, answer.
    async fn handle_stream(
        self: Arc<Self>,
        peer: AccountId,
        mut send: SendStream,
        mut recv: RecvStream,
    ) {
        if !self.core.admit(peer, Instant::now()) {
            let _ = send.reset(2u32.into());
            return;
        }
        let frame =
            match tokio::time::timeout(self.cfg.request_timeout, read_frame(&mut recv)).await {
                Ok(Ok(Some(f))) => f,
                Ok(Ok(None)) => return,
                Ok(Err(e)) => {
                    self.core.metrics().drop_reason(frame_error_reason(&e));
                    let _ = send.reset(3u32.into());
                    return;
                }
                Err(_) => {
                    self.core.metrics().drop_reason("timeout");
                    return;
                }
            };
        let reply = {
            let _order = self.delivery.lock().await;
            let handled = self
                .on_core(move |core| core.handle(peer, frame, unix_now()))
                .await;
            self.deliver(handled.deliver).await;
            handled.reply
        };
        for f in &reply {
            if let Err(e) = write_frame(&mut send, f).await {
                tracing::debug!("answer to {peer}: {e}");
                return;
            }
        }
        let _ = send.finish();
    }

    /// Into the bounded application queue: back-pressure on the sender's stream instead of
    /// unbounded memory.
    pub(super) async fn deliver(&self, ready: Vec<Delivered>) {
        for d in ready {
            if self.inbox_tx.send(d).await.is_err() {
                self.core.metrics().drop_reason("queue_full");
            }
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
        let ex = exporter(&conn)?;
        let (mut send, mut recv) = conn.open_bi().await?;
        write_frame(&mut send, &self.core.auth_frame(Role::Client, &ex)).await?;
        send.finish()?;
        let f = within(self.cfg.request_timeout, "auth", read_frame(&mut recv))
            .await?
            .ok_or_else(|| BitChatError::Auth("no auth".into()))?;
        let peer = match self.core.check_auth(Role::Server, &ex, &f, Some(addr)) {
            Ok(p) => p,
            Err(e) => {
                self.core.metrics().auth_failures.inc();
                conn.close(1u32.into(), b"auth");
                return Err(e);
            }
        };
        let c = AuthedConn { conn, peer };
        conns.insert(addr, c.clone());
        Ok(c)
    }

    /// An authenticated raw stream to `addr`.
    pub(super) async fn open_stream(
        &self,
        addr: SocketAddr,
    ) -> Result<(SendStream, RecvStream), BitChatError> {
        let c = self.connect(addr).await?;
        Ok(c.conn.open_bi().await?)
    }

    /// One request/response exchange; returns the peer and every response frame.
    pub(super) async fn request(
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
                if out.len() > MAX_RESPONSE_FRAMES {
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

    /// Carry one outbox entry: to its recipient, else to the relays; the core reads the answers.
    pub(super) async fn transmit(self: &Arc<Self>, id: MessageId) {
        let Some(t) = self
            .on_core(move |core| core.transmit(id, unix_now()))
            .await
        else {
            return;
        };
        let mut outcome = None;
        if let Some(addr) = t.direct {
            if let Ok((peer, frames)) = self.request(addr, &t.frame()).await {
                outcome = t.direct_outcome(peer, &frames);
            }
        }
        if outcome.is_none() {
            for &relay in self.core.relays() {
                if let Ok((_, frames)) = self.request(relay, &t.frame()).await {
                    outcome = t.relay_outcome(&frames);
                    if outcome.is_some() {
                        break;
                    }
                }
            }
        }
        if let Some(status) = outcome {
            self.on_core(move |core| core.conclude(id, status)).await;
        }
    }

    /// One maintenance pass of the core, then its retransmissions and deliveries.
    pub(super) async fn maintain(self: &Arc<Self>) {
        let retry = {
            let _order = self.delivery.lock().await;
            let m = self.on_core(|core| core.maintain(unix_now())).await;
            self.deliver(m.deliver).await;
            m.retry
        };
        for id in retry {
            self.transmit(id).await;
        }
    }
}
