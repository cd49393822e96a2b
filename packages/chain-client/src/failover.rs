//! Several endpoints of the same chain: calls go to the active one; a transport error moves to
//! the next (round robin) and the call is retried there, once per endpoint. A node that has not
//! got a height yet is asked past, not failed over from.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ChainError;
use crate::rpc::{AbciQueryResult, BlockEvents, BroadcastResult, RpcEndpoint, TxResult};

pub struct FailoverRpc {
    endpoints: Vec<Arc<dyn RpcEndpoint>>,
    active: AtomicUsize,
    failovers: AtomicU64,
    /// Calls in a row the active endpoint had not got while another had.
    behind: AtomicU64,
}

/// Calls in a row an active endpoint may be behind another before the other takes over: a
/// block behind now and then is normal on a network of validators, always behind is not.
pub const BEHIND_LIMIT: u64 = 3;

impl FailoverRpc {
    pub fn new(endpoints: Vec<Arc<dyn RpcEndpoint>>) -> Result<Self, ChainError> {
        if endpoints.is_empty() {
            return Err(ChainError::Config("no rpc endpoint configured".into()));
        }
        Ok(FailoverRpc {
            endpoints,
            active: AtomicUsize::new(0),
            failovers: AtomicU64::new(0),
            behind: AtomicU64::new(0),
        })
    }

    /// How many times the active endpoint changed (a metric).
    pub fn failovers(&self) -> u64 {
        self.failovers.load(Ordering::Relaxed)
    }

    pub fn active_name(&self) -> String {
        self.endpoints[self.active.load(Ordering::Relaxed) % self.endpoints.len()].name()
    }

    async fn call<T, F, Fut>(&self, f: F) -> Result<T, ChainError>
    where
        F: Fn(Arc<dyn RpcEndpoint>) -> Fut,
        Fut: std::future::Future<Output = Result<T, ChainError>>,
    {
        let n = self.endpoints.len();
        let mut last = String::new();
        let mut lagging = None;
        let first = self.active.load(Ordering::Relaxed) % n;
        for i in 0..n {
            let idx = (first + i) % n;
            let ep = self.endpoints[idx].clone();
            match f(ep.clone()).await {
                // A node a block behind the others: the next may have the height; this one
                // stays active unless it is behind time after time (below).
                Err(e) if e.is_height_not_there_yet() => lagging = Some(e),
                Err(e) if e.is_transport() => {
                    last = e.to_string();
                    let next = (idx + 1) % n;
                    // Only the first caller to see this endpoint fail moves the pointer.
                    if n > 1
                        && self
                            .active
                            .compare_exchange(idx, next, Ordering::Relaxed, Ordering::Relaxed)
                            .is_ok()
                    {
                        self.failovers.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(from = %ep.name(), to = %self.endpoints[next].name(), error = %last, "rpc failover");
                    } else if idx != first {
                        // A standby that is down: said, though nothing moves.
                        tracing::warn!(endpoint = %ep.name(), error = %last, "rpc endpoint failed");
                    }
                }
                Ok(v) => {
                    if i == 0 {
                        self.behind.store(0, Ordering::Relaxed);
                    } else if lagging.is_some()
                        && self.behind.fetch_add(1, Ordering::Relaxed) + 1 >= BEHIND_LIMIT
                        && self
                            .active
                            .compare_exchange(first, idx, Ordering::Relaxed, Ordering::Relaxed)
                            .is_ok()
                    {
                        self.behind.store(0, Ordering::Relaxed);
                        self.failovers.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(from = %self.endpoints[first].name(), to = %ep.name(), calls = BEHIND_LIMIT, "rpc failover: the active endpoint is behind");
                    }
                    return Ok(v);
                }
                Err(e) => return Err(e),
            }
        }
        // Not there yet anywhere that answered: the caller waits for it (the pipeline does).
        Err(lagging.unwrap_or(ChainError::AllEndpointsFailed(n, last)))
    }
}

#[async_trait]
impl RpcEndpoint for FailoverRpc {
    fn name(&self) -> String {
        format!("failover({})", self.active_name())
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.call(|e| async move { e.latest_height().await }).await
    }
    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        self.call(|e| async move { e.latest_block_time().await })
            .await
    }
    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        self.call(|e| async move { e.block_results(height).await })
            .await
    }
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        self.call(|e| {
            let data = data.clone();
            async move { e.abci_query(path, data).await }
        })
        .await
    }
    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        // Re-sending the same bytes to another node is safe: the chain dedups by tx hash and
        // the sequence makes a second inclusion impossible.
        self.call(|e| {
            let tx = tx.clone();
            async move { e.broadcast_tx_sync(tx).await }
        })
        .await
    }
    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        self.call(|e| async move { e.tx(hash_hex).await }).await
    }
}
