//! A BitChat node: the protocol core ([`crate::core`]) driven by a thin async layer on quinn
//! and tokio. This module holds the configuration, start-up (stores, endpoint, tasks) and the
//! application API; [`net`] carries frames, [`fetch`] runs parallel chunk downloads.

mod fetch;
mod net;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quinn::{RecvStream, SendStream};
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use crate::chunks::ChunkStore;
use crate::core::{CoreConfig, NodeCore, Stores};
use crate::error::BitChatError;
use crate::frame::{Envelope, Frame, MessageId};
use crate::identity::{AccountId, NodeIdentity};
use crate::inbox::{Delivered, DurableInbox, Inbox};
use crate::lock::StateLock;
use crate::mailbox::{Mailbox, MailboxLimits};
use crate::metrics::Metrics;
pub use crate::outbox::MessageStatus;
use crate::outbox::Outbox;
use crate::ratelimit::RateLimit;
use crate::registry::PeerRegistry;
use crate::transport::{endpoint, CongestionChoice, NodeCert};

pub use fetch::FetchReport;
use net::Shared;

/// Longest a delivery receipt lives (capped further by the mailbox's longest TTL).
const MAX_RECEIPT_TTL_SECS: u64 = 24 * 3600;

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

/// The wall clock, in unix seconds: the one place the node reads the time of day.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Open the stores under `cfg`'s directories; also the messages recovered from the inbox
/// journal that the application has not taken yet.
/// Everything is sealed under keys derived from `identity` (`at_rest.rs`).
fn open_stores(
    cfg: &NodeConfig,
    identity: &NodeIdentity,
    now: u64,
) -> Result<(Stores, Vec<Delivered>), BitChatError> {
    let mailbox = if cfg.relay {
        Some(Mailbox::open(
            &cfg.data_dir.join("mailbox.journal"),
            identity.at_rest_key("mailbox"),
            cfg.mailbox,
        )?)
    } else {
        None
    };
    let chunks = ChunkStore::open(&cfg.data_dir.join("chunks"), identity.at_rest_key("chunks"))?;
    let fresh_inbox = Inbox::new(100_000, 4096);
    let (inbox, outbox, recovered) = match &cfg.state_dir {
        Some(dir) => {
            let outbox = Outbox::open(&dir.join("outbox.journal"), identity.at_rest_key("outbox"))?;
            let (inbox, ready) = DurableInbox::open(
                &dir.join("inbox.journal"),
                identity.at_rest_key("inbox"),
                fresh_inbox,
                now,
            )?;
            (inbox, outbox, ready)
        }
        None => (
            DurableInbox::memory(fresh_inbox),
            Outbox::memory(),
            Vec::new(),
        ),
    };
    let stores = Stores {
        mailbox,
        chunks,
        inbox,
        outbox,
    };
    Ok((stores, recovered))
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
        let (stores, recovered) = open_stores(&cfg, &identity, unix_now())?;
        // Room for the recovered messages beside the configured capacity.
        let (inbox_tx, inbox_rx) = mpsc::channel(cfg.inbox_capacity.max(1) + recovered.len());
        for d in recovered {
            inbox_tx
                .try_send(d)
                .map_err(|_| BitChatError::Peer("inbox channel".into()))?;
        }
        let core_cfg = CoreConfig {
            relays: cfg.relays.clone(),
            rate_limit: cfg.rate_limit,
            receipt_ttl_secs: cfg.mailbox.max_ttl_secs.min(MAX_RECEIPT_TTL_SECS),
        };
        let inner = Arc::new(Shared {
            core: NodeCore::new(core_cfg, identity, registry, stores),
            cfg,
            endpoint: ep,
            inbox_tx,
            delivery: Mutex::new(()),
            conns: Mutex::new(HashMap::new()),
            redo: std::sync::Mutex::new(std::collections::VecDeque::new()),
        });
        let accept = tokio::spawn(inner.clone().accept_loop());
        let retry = {
            let inner = inner.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(inner.cfg.retry_interval);
                loop {
                    tick.tick().await;
                    inner.maintain().await;
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
        self.inner.core.account_id()
    }

    /// Where `account` is reached, as its registry says.
    pub fn address_of(&self, account: &AccountId) -> Option<SocketAddr> {
        self.inner.core.address_of(account)
    }

    /// The relays this node leaves messages at and fetches its own from.
    pub fn relays(&self) -> Vec<SocketAddr> {
        self.inner.core.relays().to_vec()
    }

    pub fn metrics(&self) -> &Metrics {
        self.inner.core.metrics()
    }

    pub fn chunks(&self) -> &ChunkStore {
        self.inner.core.chunks()
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
        let body = body.to_vec();
        let id = self
            .inner
            .on_core(move |core| core.submit(to, conversation, &body, expires_at))
            .await?;
        self.inner.transmit(id).await;
        Ok(id)
    }

    pub fn status(&self, id: &MessageId) -> Option<MessageStatus> {
        self.inner.core.status(id, unix_now())
    }

    /// Next delivered message, waiting at most `timeout`.
    /// Returning a message is its hand-over to the application: it is journaled, and never
    /// returned again (also not after a restart).
    pub async fn recv(&self, timeout: Duration) -> Option<Delivered> {
        let d = self.recv_held(timeout).await?;
        let held = d.clone();
        self.inner
            .on_core(move |core| core.handed_over(&held))
            .await;
        Some(d)
    }

    /// Like [`Node::recv`], without journalling the hand-over: the closure of
    /// [`Node::hand_over_later`] does that once the application has stored what it did with the
    /// message; until then, a restart hands it over again.
    pub(crate) async fn recv_held(&self, timeout: Duration) -> Option<Delivered> {
        let mut rx = self.inbox_rx.lock().await;
        let redo = self
            .inner
            .redo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        if redo.is_some() {
            return redo;
        }
        tokio::time::timeout(timeout, rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// What ends `d`'s hand-over: `true`, the application took it (journalled as handed over);
    /// `false`, it dropped it unhandled (handed over again, before anything newer).
    pub(crate) fn hand_over_later(&self, d: &Delivered) -> impl FnOnce(bool) + Send + 'static {
        let inner = self.inner.clone();
        let d = d.clone();
        move |taken| {
            if taken {
                inner.core.handed_over(&d)
            } else {
                inner
                    .redo
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_front(d)
            }
        }
    }

    /// Collect envelopes waiting at `relay`, process them, and acknowledge them.
    pub async fn fetch_mailbox(&self, relay: SocketAddr) -> Result<usize, BitChatError> {
        let (_, frames) = self.inner.request(relay, &Frame::MailboxFetch).await?;
        let ids = {
            let _order = self.inner.delivery.lock().await;
            let (ids, ready) = self
                .inner
                .on_core(move |core| core.mailbox_items(frames, unix_now()))
                .await;
            self.inner.deliver(ready).await;
            ids
        };
        let n = ids.len();
        if !ids.is_empty() {
            self.inner
                .request(relay, &Frame::MailboxAck { ids })
                .await
                .ok();
        }
        Ok(n)
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
            .core
            .seal_envelope(to, conversation, seq, body, expires_at)
    }

    /// An authenticated raw stream to `addr`, for sending hand-made (also malformed) bytes.
    #[doc(hidden)]
    pub async fn raw_stream(
        &self,
        addr: SocketAddr,
    ) -> Result<(SendStream, RecvStream), BitChatError> {
        self.inner.open_stream(addr).await
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
