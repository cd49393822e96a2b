//! Helpers of the tests that run on a real wasmd node (`scripts/wasmd-net.sh`), and the demo's
//! table rows. Each test crate uses part of it.
#![allow(dead_code)]
use std::collections::BTreeMap;

use bithive_chain_client::ChainClient;

/// The `KEY=value` lines of a `wasmd-net.env` (`scripts/wasmd-net.sh env`).
pub fn wasmd_env_file(path: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `from` sends `amount` `denom` to `to` (a bank `MsgSend`), committed.
pub async fn bank_send(from: &ChainClient, to: &str, amount: u128, denom: &str) {
    let msg = from.send_msg(to, &[(amount, denom)]).unwrap();
    from.submit(vec![msg], "").await.unwrap();
}

/// Rows of the demo's closing table on any chain (the devnet adds "vesting released" after its
/// two simulated months; an external chain "app pool claim").
pub const STORY_ROWS: &[&str] = &[
    "contracts deployed",
    "inference job",
    "event -> attestation",
    "escrow to node",
    "research request",
    "BitChat delivery",
    "pledges",
    "node compute reward",
    "model registry",
    "data vault",
    "private query",
    "demo wall time",
];
