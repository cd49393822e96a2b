//! `tx_search` and subscriptions: a [`TxQuery`] (the query language, in
//! `bithive-devnet-wire`) matched against the devnet's blocks.

use crate::app::{App, Block};

pub use bithive_devnet_wire::event_query::{TxQuery, MAX_CONDITIONS, MAX_QUERY_LEN};

/// Matching (height, index) pairs in chain order.
pub fn search(q: &TxQuery, app: &App) -> Vec<(u64, u32)> {
    app.blocks()
        .iter()
        .flat_map(|b| search_block(q, b).into_iter().map(|i| (b.height, i)))
        .collect()
}

/// Indices of the matching transactions of one block (a subscription looks at each new block
/// once, instead of searching the whole history every block: issue #27).
pub fn search_block(q: &TxQuery, b: &Block) -> Vec<u32> {
    if !q.height_ok(b.height) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, (tx, result)) in b.txs.iter().zip(&b.results).enumerate() {
        let has_attr = |ty: &str, key: &str, value: &str| {
            result.events.iter().any(|e| {
                e.kind == ty
                    && e.attributes
                        .iter()
                        .any(|a| a.key == key && a.value == value)
            })
        };
        if q.tx_matches(tx, has_attr) {
            out.push(i as u32);
        }
    }
    out
}
