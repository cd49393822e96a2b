//! The transactions waiting for the next block, in arrival order, with the hash set CometBFT's
//! mempool cache checks a broadcast against (together with the committed txs' index).

use std::collections::HashSet;

use crate::tx::tx_hash;

/// CometBFT's answer to a tx already in its mempool cache: refused before CheckTx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxInCache;

impl TxInCache {
    /// CometBFT's error text (a JSON-RPC error of the broadcast methods).
    pub const MESSAGE: &'static str = "tx already exists in cache";
    /// The SDK's `ErrTxInMempoolCache` (codespace `sdk`), its answer over REST.
    pub const SDK_CODE: u32 = 19;
}

#[derive(Default)]
pub struct Mempool {
    txs: Vec<Vec<u8>>,
    hashes: HashSet<[u8; 32]>,
}

impl Mempool {
    /// Queues `bytes` (already admitted); returns its hash.
    pub fn push(&mut self, bytes: Vec<u8>) -> [u8; 32] {
        let hash = tx_hash(&bytes);
        self.hashes.insert(hash);
        self.txs.push(bytes);
        hash
    }

    /// Whether a tx with this hash waits here.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.hashes.contains(hash)
    }

    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Every waiting tx, in arrival order, for the next block; the mempool is left empty.
    pub fn take(&mut self) -> Vec<Vec<u8>> {
        self.hashes.clear();
        std::mem::take(&mut self.txs)
    }
}
