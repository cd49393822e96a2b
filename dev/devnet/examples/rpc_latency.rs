//! RPC latency (issue #27): `status` and a cw20 smart query (`token_info`), p50 and p99 over
//! fresh loopback connections, first with nothing else open, then with 100 idle HTTP
//! connections and 50 websocket subscriptions (10 connections x 5: NewBlock and Tx queries)
//! open, blocks every 100 ms, in one run. Timeouts are raised to 120 s so the idle connections
//! stay open for the whole run.
//!
//! `cargo run -p bithive-devnet --example rpc_latency [-- N]` (N requests per row, default 300)

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use cosmrs::proto::cosmwasm::wasm::v1::QuerySmartContractStateRequest;
use cosmrs::proto::prost::Message;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn commit(url: &str, tx: Vec<u8>) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tx);
    let r = rpc(url, "broadcast_tx_commit", json!({ "tx": b64 })).await;
    assert_eq!(r["result"]["tx_result"]["code"], 0, "{r}");
    r["result"]["tx_result"].clone()
}

/// A masked client text frame.
fn ws_frame(text: &str) -> Vec<u8> {
    let p = text.as_bytes();
    let mut f = vec![0x81];
    if p.len() < 126 {
        f.push(0x80 | p.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(p.len() as u16).to_be_bytes());
    }
    let mask = [7u8, 1, 9, 3];
    f.extend_from_slice(&mask);
    f.extend(p.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A websocket with `queries` subscribed; a task drains what the server pushes.
async fn subscriber(addr: std::net::SocketAddr, queries: &[&str]) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 65536];
    let n = s.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 101"));
    for (i, q) in queries.iter().enumerate() {
        let req = json!({"jsonrpc":"2.0","id":i,"method":"subscribe","params":{"query":q}});
        s.write_all(&ws_frame(&req.to_string())).await.unwrap();
    }
    // Every subscription accepted (an empty result each) before the drain takes over.
    let mut seen = Vec::new();
    let accepted = |seen: &[u8]| seen.windows(11).filter(|w| w == br#""result":{}"#).count();
    while accepted(&seen) < queries.len() {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "websocket closed");
        seen.extend_from_slice(&buf[..n]);
    }
    tokio::spawn(async move { while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {} });
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

async fn measure(url: &str, n: usize, method: &str, params: serde_json::Value) -> (f64, f64) {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = rpc(url, method, params.clone()).await;
        times.push(t.elapsed());
        assert!(r.get("result").is_some(), "{r}");
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let alice = Key::new(11);
    let mut cfg = config(&[&alice], None, 100);
    cfg.rpc_header_timeout_ms = 120_000;
    cfg.rpc_idle_timeout_ms = 120_000;
    let h = bithive_devnet::Devnet::start(cfg).await.unwrap();
    let url = h.rpc_url();
    let r = commit(
        &url,
        alice.sign(
            vec![store(&alice.address, artifact("bithive_token.wasm"))],
            1,
            0,
            20_000_000,
            500_000,
        ),
    )
    .await;
    let _ = r;
    let init = json!({
        "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
        "initial_balances": [{"address": alice.address, "amount": "1000000000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    let r = commit(
        &url,
        alice.sign(
            vec![instantiate(&alice.address, 1, &init, "btk", "")],
            1,
            1,
            1_000_000,
            25_000,
        ),
    )
    .await;
    let token = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "instantiate")
        .flat_map(|e| e["attributes"].as_array().unwrap().clone())
        .find(|a| a["key"] == "_contract_address")
        .and_then(|a| a["value"].as_str().map(str::to_string))
        .unwrap();
    let query = QuerySmartContractStateRequest {
        address: token,
        query_data: br#"{"token_info":{}}"#.to_vec(),
    };
    let smart = json!({
        "path": "/cosmwasm.wasm.v1.Query/SmartContractState",
        "data": hex::encode(query.encode_to_vec()),
    });

    let quiet_status = measure(&url, n, "status", json!({})).await;
    let quiet_query = measure(&url, n, "abci_query", smart.clone()).await;

    let mut idle = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(h.rpc_addr()).await.unwrap();
        if i % 2 == 0 {
            // Half keep-alive after one answer, half never sent a byte.
            let body = r#"{"jsonrpc":"2.0","id":1,"method":"health"}"#;
            let req = format!(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(req.as_bytes()).await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await.unwrap();
        }
        idle.push(s);
    }
    let queries = [
        "tm.event='NewBlock'",
        "tm.event='Tx'",
        "tm.event='Tx' AND transfer.amount='1ubhive'",
        "tm.event='Tx' AND tx.height>=1",
        "tm.event='Tx' AND message.module='wasm'",
    ];
    for _ in 0..10 {
        subscriber(h.rpc_addr(), &queries).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let busy_status = measure(&url, n, "status", json!({})).await;
    let busy_query = measure(&url, n, "abci_query", smart).await;
    let height = h.node().app().height();

    println!("RPC latency, {n} requests per row, one fresh loopback connection each, blocks every 100 ms (height {height} at the end)");
    println!("| method | open besides | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for (m, open, (p50, p99)) in [
        ("status", "none", quiet_status),
        ("status", "100 idle + 50 subscriptions", busy_status),
        ("smart query (cw20 token_info)", "none", quiet_query),
        (
            "smart query (cw20 token_info)",
            "100 idle + 50 subscriptions",
            busy_query,
        ),
    ] {
        println!("| {m} | {open} | {p50:.2} | {p99:.2} |");
    }
    drop(idle);
    h.shutdown().await;
}
