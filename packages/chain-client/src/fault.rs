//! [`FaultyEndpoint`]: any [`RpcEndpoint`] (a real node, the devnet) with faults injected on
//! purpose, for tests of what a relayer or a deploy tool does when the network misbehaves: an
//! endpoint down, an answer lost after the node acted on the request, a timeout, the tip's block
//! results not stored yet, a poison block, a node that reports a lower tip than another (blocks
//! seen out of order across failover). The chain behind it is real; only the transport lies.
//!
//! Faults are scheduled per method and counted, so a test that drives its own steps gets the
//! same faults on every run.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::ChainError;
use crate::rpc::{AbciQueryResult, BlockEvents, BroadcastResult, RpcEndpoint, TxResult};

/// The RPC call a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    LatestHeight,
    LatestBlockTime,
    BlockResults,
    AbciQuery,
    Broadcast,
    Tx,
}

/// What goes wrong with one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Refused before it reaches the node (connection refused).
    Refuse,
    /// The node acts on the request (a broadcast tx enters its mempool), then the answer is
    /// lost on the way back.
    DropAnswer,
    /// The node acts on the request, the answer comes after `Duration`, and the caller has
    /// given up: a transport timeout.
    Timeout(Duration),
    /// The answer comes late but whole.
    Delay(Duration),
}

#[derive(Default)]
struct Faults {
    down: bool,
    /// Heights whose block results cannot be decoded (poison blocks).
    undecodable: Vec<u64>,
    /// The tip's block results are not stored yet (CometBFT saves a block before its results).
    results_lag: bool,
    /// This endpoint's node is this many blocks behind the chain's tip.
    behind: u64,
    /// Scheduled faults, in order, per method: (calls to let through first, fault).
    scheduled: Vec<(Method, u32, Fault)>,
    /// Logs of answers with a non-zero code (refused broadcasts, failed txs).
    rejections: VecDeque<String>,
}

/// An endpoint with faults injected. Clones share the schedule and counters.
#[derive(Clone)]
pub struct FaultyEndpoint {
    inner: Arc<dyn RpcEndpoint>,
    name: String,
    faults: Arc<Mutex<Faults>>,
    calls: Arc<AtomicU64>,
    broadcasts_ok: Arc<AtomicU64>,
}

/// Rejection logs kept for [`FaultyEndpoint::rejections`].
const KEPT_REJECTIONS: usize = 1_000;

impl FaultyEndpoint {
    pub fn new(inner: Arc<dyn RpcEndpoint>, name: &str) -> Self {
        FaultyEndpoint {
            inner,
            name: name.to_string(),
            faults: Arc::default(),
            calls: Arc::default(),
            broadcasts_ok: Arc::default(),
        }
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// While down, every call is refused (an outage).
    pub fn set_down(&self, down: bool) {
        self.faults().down = down;
    }

    /// The block results at `height` cannot be decoded, as a real node's can be (a tx with
    /// `gas_wanted` beyond int64 on a chain that accepted it).
    pub fn set_undecodable(&self, height: u64) {
        self.faults().undecodable.push(height);
    }

    /// While set, the block results of the latest height are missing, as a CometBFT node's are
    /// between storing a block and storing its results.
    pub fn set_results_lag(&self, lag: bool) {
        self.faults().results_lag = lag;
    }

    /// This endpoint's node lags `blocks` behind: its tip is lower and it knows no later block,
    /// so a client failing over to it sees heights go back.
    pub fn set_behind(&self, blocks: u64) {
        self.faults().behind = blocks;
    }

    /// After `after_calls` more calls of `method` go through, the next one meets `fault`.
    pub fn inject(&self, method: Method, after_calls: u32, fault: Fault) {
        self.faults().scheduled.push((method, after_calls, fault));
    }

    /// Calls that reached the node.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Broadcasts the node accepted into its mempool (including those whose answer was lost).
    pub fn broadcasts_ok(&self) -> u64 {
        self.broadcasts_ok.load(Ordering::Relaxed)
    }

    /// How many refused broadcasts and failed txs seen through this endpoint have `needle` in
    /// their log (e.g. a duplicate attestation refused by the contract).
    pub fn rejections(&self, needle: &str) -> usize {
        self.faults()
            .rejections
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Every refusal and failure log kept (the last 1,000), oldest first.
    pub fn rejection_logs(&self) -> Vec<String> {
        self.faults().rejections.iter().cloned().collect()
    }

    fn reject(&self, log: &str) {
        let mut f = self.faults();
        if f.rejections.len() == KEPT_REJECTIONS {
            f.rejections.pop_front();
        }
        f.rejections.push_back(log.to_string());
    }

    fn transport(&self, message: impl Into<String>) -> ChainError {
        ChainError::Transport {
            endpoint: self.name.clone(),
            message: message.into(),
        }
    }

    /// Before the call: refused when down; the scheduled fault for this call, if any.
    async fn before(&self, method: Method) -> Result<Option<Fault>, ChainError> {
        let due = {
            let mut f = self.faults();
            if f.down {
                return Err(self.transport("connection refused (injected outage)"));
            }
            match f.scheduled.iter().position(|(m, _, _)| *m == method) {
                Some(i) if f.scheduled[i].1 == 0 => Some(f.scheduled.remove(i).2),
                Some(i) => {
                    f.scheduled[i].1 -= 1;
                    None
                }
                None => None,
            }
        };
        match due {
            Some(Fault::Refuse) => Err(self.transport("connection refused (injected)")),
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                self.calls.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            other => {
                self.calls.fetch_add(1, Ordering::Relaxed);
                Ok(other)
            }
        }
    }

    /// After the node answered: the answer is lost or late if the call's fault says so.
    async fn after<T>(&self, fault: Option<Fault>, answer: T) -> Result<T, ChainError> {
        match fault {
            Some(Fault::DropAnswer) => {
                Err(self.transport("connection reset (injected: answer lost)"))
            }
            Some(Fault::Timeout(d)) => {
                tokio::time::sleep(d).await;
                Err(self.transport("request timed out (injected)"))
            }
            _ => Ok(answer),
        }
    }

    async fn tip(&self) -> Result<u64, ChainError> {
        let behind = self.faults().behind;
        Ok(self.inner.latest_height().await?.saturating_sub(behind))
    }
}

#[async_trait]
impl RpcEndpoint for FaultyEndpoint {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        let fault = self.before(Method::LatestHeight).await?;
        let tip = self.tip().await?;
        self.after(fault, tip).await
    }

    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        let fault = self.before(Method::LatestBlockTime).await?;
        let time = self.inner.latest_block_time().await?;
        self.after(fault, time).await
    }

    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        let fault = self.before(Method::BlockResults).await?;
        let (undecodable, lag) = {
            let f = self.faults();
            (f.undecodable.contains(&height), f.results_lag)
        };
        if undecodable {
            return Err(ChainError::Decode {
                what: "block_results",
                message: format!("serde parse error (injected poison block at {height})"),
            });
        }
        let tip = self.tip().await?;
        if height > tip {
            // What CometBFT answers for a height it has not got.
            return Err(self.transport(format!(
                "height {height} must be less than or equal to the current blockchain height {tip}"
            )));
        }
        if lag && height == tip {
            return Err(self.transport(format!(
                "Internal error: could not find results for height #{height} (code: -32603)"
            )));
        }
        let results = self.inner.block_results(height).await?;
        self.after(fault, results).await
    }

    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        let fault = self.before(Method::AbciQuery).await?;
        let answer = self.inner.abci_query(path, data).await?;
        if answer.code != 0 {
            self.reject(&answer.log);
        }
        self.after(fault, answer).await
    }

    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        let fault = self.before(Method::Broadcast).await?;
        let answer = self.inner.broadcast_tx_sync(tx).await?;
        if answer.code == 0 {
            self.broadcasts_ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.reject(&answer.log);
        }
        self.after(fault, answer).await
    }

    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        let fault = self.before(Method::Tx).await?;
        let answer = self.inner.tx(hash_hex).await?;
        if let Some(t) = answer.as_ref().filter(|t| t.code != 0) {
            self.reject(&t.log);
        }
        self.after(fault, answer).await
    }
}
