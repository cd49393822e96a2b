//! Helpers of the tests that run on a real wasmd node (`scripts/wasmd-net.sh`), and the demo's
//! table rows, and a raw HTTP/1.1 client for the servers' tests. Each test crate uses part of it.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::net::SocketAddr;

use bithive_chain_client::ChainClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// One HTTP/1.1 request; returns (status, lower-cased head, body).
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}
