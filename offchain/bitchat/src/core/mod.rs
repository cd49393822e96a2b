//! The node's protocol core, without network I/O (in the manner of quinn-proto).
//!
//! [`NodeCore`] holds everything a node knows: its identity, the peer registry, the inbox and
//! outbox with their journals, the relay mailbox, the chunk store, the per-peer rate limiter and
//! the metrics. It decides what to answer to a frame, what to deliver to the application, what
//! to (re)send and when a message is final. It opens no socket, starts no task and never reads
//! the clock: the time is an argument of every call that needs it, and the caller (the async
//! layer in [`crate::node`]) carries frames to and from peers. Storage is synchronous and
//! injected ([`Stores`]): with in-memory journals, a whole exchange between two nodes runs in a
//! plain unit test, with a clock the test moves by hand.

pub mod handshake;
mod send;
mod serve;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::chunks::ChunkStore;
use crate::frame::Frame;
use crate::identity::{AccountId, NodeIdentity};
use crate::inbox::{Delivered, DurableInbox};
use crate::mailbox::Mailbox;
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::ratelimit::{PeerLimiter, RateLimit};
use crate::registry::PeerRegistry;

pub use handshake::Role;
pub use send::{Maintenance, Transmit};
pub use serve::Handled;

/// Upper bound on tracked peers in the rate limiter.
const MAX_LIMITED_PEERS: usize = 10_000;

/// Envelopes handed out per mailbox fetch.
const MAILBOX_BATCH: usize = 256;

/// Duplicates receipted again in the life of a process, at most (see [`ReceiptedAgain`]).
const MAX_RECEIPTED_AGAIN: usize = 4096;

/// The duplicates this process has receipted again. A message accepted before a crash may have
/// lost its receipt (the inbox's accept and the outbox's receipt are two writes), and its
/// sender, or the relay holding it, sends it again: the duplicate earns a new receipt. A replayed
/// frame earns at most one per id, and all replays together at most [`MAX_RECEIPTED_AGAIN`]
/// for the life of the process (no id is forgotten to make room, so no loop of replays earns
/// more): the receipts lost to a crash are the ones that come right after the restart.
#[derive(Default)]
struct ReceiptedAgain {
    ids: std::collections::HashSet<crate::frame::MessageId>,
}

impl ReceiptedAgain {
    /// True the first time `id` is offered, while fewer than [`MAX_RECEIPTED_AGAIN`] were.
    fn first(&mut self, id: crate::frame::MessageId) -> bool {
        self.ids.len() < MAX_RECEIPTED_AGAIN && self.ids.insert(id)
    }
}

/// What the core decides with, beside its stores.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Relays to deposit at when the recipient is unreachable.
    pub relays: Vec<SocketAddr>,
    pub rate_limit: RateLimit,
    /// Lifetime of a delivery receipt.
    pub receipt_ttl_secs: u64,
}

/// The state a node persists, opened by the caller.
pub struct Stores {
    /// `Some` on a relay: envelopes for other accounts are kept here.
    pub mailbox: Option<Mailbox>,
    pub chunks: ChunkStore,
    pub inbox: DurableInbox,
    pub outbox: Outbox,
}

/// One lock per store, so a chunk read does not wait on a journal write.
pub struct NodeCore {
    cfg: CoreConfig,
    identity: NodeIdentity,
    registry: Arc<dyn PeerRegistry>,
    mailbox: Option<Mutex<Mailbox>>,
    chunks: ChunkStore,
    inbox: Mutex<DurableInbox>,
    outbox: Mutex<Outbox>,
    limiter: Mutex<PeerLimiter>,
    receipted_again: Mutex<ReceiptedAgain>,
    metrics: Metrics,
}

impl NodeCore {
    pub fn new(
        cfg: CoreConfig,
        identity: NodeIdentity,
        registry: Arc<dyn PeerRegistry>,
        stores: Stores,
    ) -> Self {
        let metrics = Metrics::new();
        if let Some(m) = &stores.mailbox {
            metrics.mailbox_envelopes.set(m.len() as i64);
        }
        Self {
            limiter: Mutex::new(PeerLimiter::new(cfg.rate_limit, MAX_LIMITED_PEERS)),
            cfg,
            identity,
            registry,
            mailbox: stores.mailbox.map(Mutex::new),
            chunks: stores.chunks,
            inbox: Mutex::new(stores.inbox),
            outbox: Mutex::new(stores.outbox),
            receipted_again: Mutex::default(),
            metrics,
        }
    }

    pub fn account_id(&self) -> AccountId {
        self.identity.account_id()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn chunks(&self) -> &ChunkStore {
        &self.chunks
    }

    pub fn relays(&self) -> &[SocketAddr] {
        &self.cfg.relays
    }

    /// This node's Auth frame for a session with exporter value `exporter`.
    pub fn auth_frame(&self, role: Role, exporter: &[u8; 32]) -> Frame {
        handshake::auth_frame(&self.identity, role, exporter)
    }

    /// The peer's identity, if its Auth frame (signed in `role`) holds for this session.
    pub fn check_auth(
        &self,
        role: Role,
        exporter: &[u8; 32],
        f: &Frame,
        remote: Option<SocketAddr>,
    ) -> Result<AccountId, crate::BitChatError> {
        handshake::check_auth(self.registry.as_ref(), role, exporter, f, remote)
    }

    /// Where `to` accepts connections, per the registry.
    pub fn address_of(&self, to: &AccountId) -> Option<SocketAddr> {
        self.registry.get(to).and_then(|r| r.addr)
    }

    /// Rate limit: may `peer` open another request stream at `now`?
    pub fn admit(&self, peer: AccountId, now: Instant) -> bool {
        let allowed = self
            .limiter
            .lock()
            .map(|mut l| l.allow(peer, now))
            .unwrap_or(false);
        if !allowed {
            self.metrics.drop_reason("rate_limited");
        }
        allowed
    }

    /// The application took `d`: journal it, so it is never handed over again.
    pub fn handed_over(&self, d: &Delivered) {
        match self.inbox.lock() {
            Ok(mut i) => {
                if let Err(e) = i.handed_over(d) {
                    tracing::warn!("inbox journal: {e}");
                }
            }
            Err(_) => tracing::warn!("inbox poisoned"),
        }
    }
}
