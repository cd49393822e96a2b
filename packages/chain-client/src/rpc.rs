//! The chain endpoint as a trait, with the few RPC calls a relayer and a deploy tool need, in
//! plain types (so the devnet, a real node and a fault-injecting wrapper look the same).
use async_trait::async_trait;

use crate::error::ChainError;

/// One ABCI event with its attributes decoded to strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    /// First value of the attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The events of one tx of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEvents {
    /// Index of the tx in the block.
    pub index: u32,
    pub code: u32,
    pub log: String,
    pub events: Vec<Event>,
}

/// What `block_results` says about one height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEvents {
    pub height: u64,
    pub txs: Vec<TxEvents>,
    /// Begin/end block events (CometBFT <= 0.37) or finalize block events (0.38).
    pub block_events: Vec<Event>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbciQueryResult {
    pub code: u32,
    pub log: String,
    pub value: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcastResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// Upper-case hex sha256 of the tx bytes.
    pub hash: String,
}

/// A committed tx (`tx` endpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxResult {
    pub hash: String,
    pub height: u64,
    pub code: u32,
    pub log: String,
    pub gas_wanted: i64,
    pub gas_used: i64,
    pub events: Vec<Event>,
}

/// A CometBFT RPC endpoint (or a set of them behind failover).
#[async_trait]
pub trait RpcEndpoint: Send + Sync {
    /// For logs and metrics.
    fn name(&self) -> String;
    /// Latest committed height (`status`).
    async fn latest_height(&self) -> Result<u64, ChainError>;
    /// Unix seconds of the latest committed block (`status`). Deploy tools use it as the
    /// genesis of time-based contracts.
    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        Err(ChainError::Config(format!(
            "{}: latest block time not available from this endpoint",
            self.name()
        )))
    }
    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError>;
    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError>;
    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError>;
    /// `Ok(None)` when the node does not know the tx (yet).
    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError>;
}

/// Upper-case hex sha256 of tx bytes: the CometBFT tx hash.
pub fn tx_hash_hex(tx: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode_upper(Sha256::digest(tx))
}
