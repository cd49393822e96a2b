//! A real CometBFT node through tendermint-rpc's `HttpClient`.
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::endpoint::block_results;
use tendermint_rpc::{Client, HttpClient};

use crate::error::ChainError;
use crate::rpc::{
    AbciQueryResult, BlockEvents, BroadcastResult, Event, RpcEndpoint, TxEvents, TxResult,
};

/// CometBFT RPC dialect of the node (event attribute encoding changed in 0.37).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum CompatVersion {
    #[serde(rename = "0.34")]
    V034,
    #[serde(rename = "0.37")]
    V037,
    #[default]
    #[serde(rename = "0.38")]
    V038,
}

impl CompatVersion {
    fn mode(self) -> CompatMode {
        match self {
            CompatVersion::V034 => CompatMode::V0_34,
            CompatVersion::V037 => CompatMode::V0_37,
            CompatVersion::V038 => CompatMode::V0_38,
        }
    }
}

/// One RPC endpoint of a node.
#[derive(Clone)]
pub struct HttpEndpoint {
    url: String,
    client: HttpClient,
}

impl std::fmt::Debug for HttpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpEndpoint")
            .field("url", &self.url)
            .finish()
    }
}

impl HttpEndpoint {
    pub fn new(url: &str, compat: CompatVersion, timeout: Duration) -> Result<Self, ChainError> {
        let parsed = tendermint_rpc::HttpClientUrl::from_str(url)
            .map_err(|e| ChainError::Config(format!("rpc url {url}: {e}")))?;
        let client = HttpClient::builder(parsed)
            .compat_mode(compat.mode())
            .timeout(timeout)
            .build()
            .map_err(|e| ChainError::Config(format!("rpc client {url}: {e}")))?;
        Ok(HttpEndpoint {
            url: url.to_string(),
            client,
        })
    }

    fn transport(&self, e: impl std::fmt::Display) -> ChainError {
        ChainError::Transport {
            endpoint: self.url.clone(),
            message: e.to_string(),
        }
    }

    /// Committed txs matching CometBFT `query` (e.g. `wasm.action='log_access'`), oldest
    /// first, at most `max`: the node's tx index (wasmd's default `kv` indexer, the devnet's).
    pub async fn tx_search(&self, query: &str, max: usize) -> Result<Vec<TxResult>, ChainError> {
        let q = tendermint_rpc::query::Query::from_str(query).map_err(|e| ChainError::Decode {
            what: "tx search query",
            message: e.to_string(),
        })?;
        let mut out = Vec::new();
        let per_page = 100u8;
        for page in 1u32.. {
            let r = self
                .rpc(self.client.tx_search(
                    q.clone(),
                    false,
                    page,
                    per_page,
                    tendermint_rpc::Order::Ascending,
                ))
                .await?;
            let n = r.txs.len();
            out.extend(r.txs.into_iter().map(|t| TxResult {
                hash: t.hash.to_string(),
                height: t.height.value(),
                code: t.tx_result.code.value(),
                log: t.tx_result.log,
                gas_wanted: t.tx_result.gas_wanted,
                gas_used: t.tx_result.gas_used,
                events: convert_events(&t.tx_result.events),
            }));
            if n < usize::from(per_page) || out.len() >= max || out.len() as u32 >= r.total_count {
                break;
            }
        }
        out.truncate(max);
        Ok(out)
    }

    /// Awaits an RPC call of this endpoint's client; a failure is a transport error.
    async fn rpc<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, tendermint_rpc::Error>>,
    ) -> Result<T, ChainError> {
        call.await.map_err(|e| self.transport(e))
    }
}

/// What CometBFT says of a tx already in its mempool cache (the Cosmos SDK's code 19).
pub const TX_IN_CACHE: &str = "tx already exists in cache";

/// Converts tendermint-rs events (0.34 base64 or 0.37+ string attributes) to ours. Attributes
/// that are not UTF-8 are kept lossily rather than failing the whole block.
pub fn convert_events(events: &[cosmrs::tendermint::abci::Event]) -> Vec<Event> {
    events
        .iter()
        .map(|e| Event {
            kind: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| {
                    (
                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Converts a `block_results` response (any dialect, after tendermint-rs parsed it).
pub fn block_events_from_response(resp: &block_results::Response) -> BlockEvents {
    let txs = resp
        .txs_results
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, r)| TxEvents {
            index: i as u32,
            code: r.code.value(),
            log: r.log.clone(),
            events: convert_events(&r.events),
        })
        .collect();
    let mut block_events = Vec::new();
    if let Some(b) = &resp.begin_block_events {
        block_events.extend(convert_events(b));
    }
    if let Some(e) = &resp.end_block_events {
        block_events.extend(convert_events(e));
    }
    block_events.extend(convert_events(&resp.finalize_block_events));
    BlockEvents {
        height: resp.height.value(),
        txs,
        block_events,
    }
}

#[async_trait]
impl RpcEndpoint for HttpEndpoint {
    fn name(&self) -> String {
        self.url.clone()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        let status = self.rpc(self.client.status()).await?;
        Ok(status.sync_info.latest_block_height.value())
    }

    async fn latest_block_time(&self) -> Result<u64, ChainError> {
        let status = self.rpc(self.client.status()).await?;
        let t = status.sync_info.latest_block_time.unix_timestamp();
        u64::try_from(t).map_err(|_| ChainError::Decode {
            what: "status",
            message: format!("latest_block_time before 1970: {t}"),
        })
    }

    async fn block_results(&self, height: u64) -> Result<BlockEvents, ChainError> {
        let h = cosmrs::tendermint::block::Height::try_from(height)
            .map_err(|e| ChainError::Config(format!("height {height}: {e}")))?;
        let resp = self.client.block_results(h).await.map_err(|e| {
            use tendermint_rpc::error::ErrorDetail;
            // A body that arrived but does not parse is the block's fault, not the endpoint's:
            // failing over would not help, and the caller decides what to do with the block.
            match e.detail() {
                ErrorDetail::Serde(_) | ErrorDetail::Parse(_) => ChainError::Decode {
                    what: "block_results",
                    message: format!("height {height}: {e}"),
                },
                _ => self.transport(e),
            }
        })?;
        Ok(block_events_from_response(&resp))
    }

    async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<AbciQueryResult, ChainError> {
        let query = self
            .client
            .abci_query(Some(path.to_string()), data, None, false);
        let r = self.rpc(query).await?;
        Ok(AbciQueryResult {
            code: r.code.value(),
            log: r.log,
            value: r.value,
        })
    }

    async fn broadcast_tx_sync(&self, tx: Vec<u8>) -> Result<BroadcastResult, ChainError> {
        let hash = crate::rpc::tx_hash_hex(&tx);
        let r = match self.client.broadcast_tx_sync(tx).await {
            Ok(r) => r,
            // CometBFT (0.37+) answers a tx its mempool cache already holds with an RPC error,
            // not a CheckTx result: the tx was taken (by this node or one it heard from), which
            // is what a client re-sending after a lost answer must learn.
            Err(e) if e.to_string().contains(TX_IN_CACHE) => {
                return Ok(BroadcastResult {
                    code: 19,
                    codespace: "sdk".into(),
                    log: TX_IN_CACHE.into(),
                    hash,
                })
            }
            Err(e) => return Err(self.transport(e)),
        };
        Ok(BroadcastResult {
            code: r.code.value(),
            codespace: r.codespace,
            log: r.log,
            hash: r.hash.to_string(),
        })
    }

    async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, ChainError> {
        let hash =
            cosmrs::tendermint::Hash::from_str(hash_hex).map_err(|e| ChainError::Decode {
                what: "tx hash",
                message: e.to_string(),
            })?;
        match self.client.tx(hash, false).await {
            Ok(r) => Ok(Some(TxResult {
                hash: r.hash.to_string(),
                height: r.height.value(),
                code: r.tx_result.code.value(),
                log: r.tx_result.log,
                gas_wanted: r.tx_result.gas_wanted,
                gas_used: r.tx_result.gas_used,
                events: convert_events(&r.tx_result.events),
            })),
            // The node answers an RPC error "tx (HASH) not found" until the tx is indexed.
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(self.transport(e)),
        }
    }
}
