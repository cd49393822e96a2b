//! A fault-injecting [`RpcEndpoint`] wrapper for outage and failover tests (feature `testing`,
//! meant for dev-dependencies only). Everything else a test needs comes from a real node, e.g.
//! the in-process devnet.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::ChainError;
use crate::rpc::{AbciQueryResult, BlockEvents, BroadcastResult, RpcEndpoint, TxResult};

#[derive(Default)]
struct Faults {
    down: AtomicBool,
    delay_ms: AtomicU64,
    drop_next: AtomicU64,
    fail_broadcast: AtomicBool,
    calls: AtomicU64,
    broadcasts: AtomicU64,
}

/// Wraps an endpoint; clones share the switches. Injected failures are transport errors
/// ([`ChainError::Transport`]), which is what a dead or unreachable node looks like to a client.
pub struct FaultyEndpoint<E> {
    inner: Arc<E>,
    name: String,
    faults: Arc<Faults>,
}

impl<E> Clone for FaultyEndpoint<E> {
    fn clone(&self) -> Self {
        FaultyEndpoint {
            inner: self.inner.clone(),
            name: self.name.clone(),
            faults: self.faults.clone(),
        }
    }
}

impl<E: RpcEndpoint> FaultyEndpoint<E> {
    /// `name` replaces the inner endpoint's name (two wrappers of one node stay apart in logs).
    pub fn new(inner: E, name: &str) -> Self {
        FaultyEndpoint {
            inner: Arc::new(inner),
            name: name.into(),
            faults: Arc::default(),
        }
    }

    /// While down, every call fails.
    pub fn set_down(&self, down: bool) {
        self.faults.down.store(down, Ordering::SeqCst);
    }

    /// Every call waits this long before it goes through (or fails).
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.faults.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The next `n` calls fail.
    pub fn drop_next(&self, n: u64) {
        self.faults.drop_next.store(n, Ordering::SeqCst);
    }

    /// While set, `broadcast_tx_sync` fails without reaching the node.
    pub fn set_fail_broadcast(&self, fail: bool) {
        self.faults.fail_broadcast.store(fail, Ordering::SeqCst);
    }

    /// Calls made through this wrapper (failed ones included).
    pub fn calls(&self) -> u64 {
        self.faults.calls.load(Ordering::SeqCst)
    }

    /// Broadcasts that reached the node.
    pub fn broadcasts(&self) -> u64 {
        self.faults.broadcasts.load(Ordering::SeqCst)
    }

    fn fault(&self, what: &str) -> ChainError {
        ChainError::Transport {
            endpoint: self.name.clone(),
            message: format!("{what}: injected fault"),
        }
    }

    async fn gate(&self, what: &str) -> Result<(), ChainError> {
        self.faults.calls.fetch_add(1, Ordering::SeqCst);
        let delay = self.faults.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let dropped = self
            .faults
            .drop_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if dropped || self.faults.down.load(Ordering::SeqCst) {
            return Err(self.fault(what));
        }
        Ok(())
    }
}

#[async_trait]
impl<E: RpcEndpoint + 'static> RpcEndpoint for FaultyEndpoint<E> {
    fn name(&self) -> String {
        self.name.clone()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.gate("status").await?;
        self.inner.latest_height().await
    }
    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        self.gate("status").await?;
        self.inner.latest_block_time().await
    }
    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        self.gate("block_results").await?;
        self.inner.block_results(height).await
    }
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        self.gate("abci_query").await?;
        self.inner.abci_query(path, data).await
    }
    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        self.gate("broadcast_tx_sync").await?;
        if self.faults.fail_broadcast.load(Ordering::SeqCst) {
            return Err(self.fault("broadcast_tx_sync"));
        }
        self.faults.broadcasts.fetch_add(1, Ordering::SeqCst);
        self.inner.broadcast_tx_sync(tx).await
    }
    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        self.gate("tx").await?;
        self.inner.tx(hash_hex).await
    }
}
