//! Faults and abuse (issue #27), each a bounded test on loopback: connections that never send
//! or never finish, a looping contract query, a simulate that must not touch the disk.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// A config with `BITHIVE_DEVNET_*` overrides, as an operator would set them.
fn config_with(vars: &[(&str, &str)]) -> bithive_devnet::DevnetConfig {
    let mut cfg = config(&[], None, 0);
    cfg.apply_env(|k| {
        vars.iter()
            .find(|(n, _)| k == format!("BITHIVE_DEVNET_{n}"))
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    cfg
}

/// Reads what the server sends until it closes; None if it is still open after `secs`.
async fn closed_within(s: &mut TcpStream, secs: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match timeout(Duration::from_secs(secs), s.read_to_end(&mut out)).await {
        Ok(_) => Some(out),
        Err(_) => None,
    }
}

/// Issue #27: with no header or idle timeout and no connection cap, idle sockets locked out new
/// clients. Now `max_connections` sockets held open (silent, half a header, a silent websocket,
/// a keep-alive connection after its answer) leave a new client a clear 503 refusal at once,
/// each held socket is closed by its header or idle timeout, and then a client is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_and_capped() {
    let cfg = config_with(&[
        ("MAX_CONNECTIONS", "4"),
        // Long enough that all four are still held when the fifth client comes, on a slow CI.
        ("RPC_HEADER_TIMEOUT_MS", "1500"),
        ("RPC_IDLE_TIMEOUT_MS", "2000"),
    ]);
    let h = bithive_devnet::Devnet::start(cfg).await.unwrap();
    let (url, addr) = (h.rpc_url(), h.rpc_addr());
    let mut buf = vec![0u8; 4096];

    let silent = TcpStream::connect(addr).await.unwrap();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut ws = TcpStream::connect(addr).await.unwrap();
    ws.write_all(b"GET /websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
    let n = ws.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 101"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"health"}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    kept.write_all(req.as_bytes()).await.unwrap();
    let n = kept.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );

    // Over the cap: refused at once, with the reason.
    let r = timeout(Duration::from_secs(5), rpc(&url, "status", json!({})))
        .await
        .expect("a client over the cap waited");
    let data = r["error"]["data"].as_str().unwrap_or_default();
    assert!(data.contains("max_connections 4"), "{r}");
    // The REST server counts against the same cap (one process, one descriptor limit).
    let mut rest = TcpStream::connect(h.rest_addr()).await.unwrap();
    rest.write_all(b"GET /cosmos/base/tendermint/v1beta1/node_info HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = timeout(Duration::from_secs(5), rest.read(&mut buf))
        .await
        .expect("a REST client over the cap waited")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("RPC and REST together"), "{answer}");

    // Each held socket is closed by the server (header timeout, idle timeout, websocket idle).
    for (name, mut s) in [
        ("silent", silent),
        ("half header", slow),
        ("websocket", ws),
        ("keep-alive", kept),
    ] {
        assert!(
            closed_within(&mut s, 10).await.is_some(),
            "{name} connection still open"
        );
    }
    // Their slots are free again.
    let mut served = false;
    for _ in 0..50 {
        if rpc(&url, "status", json!({})).await.get("result").is_some() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "no client served after the held connections closed");
    h.shutdown().await;
}

/// Broadcasts with `broadcast_tx_commit` (blocks on demand: committed at once); the tx result.
async fn commit_tx(url: &str, tx: Vec<u8>) -> serde_json::Value {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tx);
    let r = rpc(url, "broadcast_tx_commit", json!({ "tx": b64 })).await;
    assert_eq!(r["result"]["check_tx"]["code"], 0, "{r}");
    assert_eq!(r["result"]["tx_result"]["code"], 0, "{r}");
    r["result"]["tx_result"].clone()
}

fn event_attr(result: &serde_json::Value, ty: &str, key: &str) -> Option<String> {
    result["events"]
        .as_array()?
        .iter()
        .filter(|e| e["type"] == ty)
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_str().map(str::to_string))
}

/// Uploads and instantiates the looping-query contract; its address.
async fn looping_contract(url: &str, alice: &Key) -> String {
    let tx = alice.sign(
        vec![store(&alice.address, looping_query_contract())],
        1,
        0,
        5_000_000,
        200_000,
    );
    let r = commit_tx(url, tx).await;
    let code_id: u64 = event_attr(&r, "store_code", "code_id")
        .unwrap()
        .parse()
        .unwrap();
    let tx = alice.sign(
        vec![instantiate(&alice.address, code_id, &json!({}), "loop", "")],
        1,
        1,
        5_000_000,
        200_000,
    );
    let r = commit_tx(url, tx).await;
    event_attr(&r, "instantiate", "_contract_address").unwrap()
}

async fn smart_query(url: &str, contract: &str) -> serde_json::Value {
    use cosmrs::proto::cosmwasm::wasm::v1::QuerySmartContractStateRequest;
    use cosmrs::proto::prost::Message;
    let req = QuerySmartContractStateRequest {
        address: contract.into(),
        query_data: b"{}".to_vec(),
    };
    let data = hex::encode(req.encode_to_vec());
    let path = "/cosmwasm.wasm.v1.Query/SmartContractState";
    rpc(url, "abci_query", json!({ "path": path, "data": data })).await["result"]["response"]
        .clone()
}

/// Issue #27: smart queries ran on 10^12 CosmWasm gas under the one app lock (16 looping
/// queries stalled block production for 8 s). Now a query gets wasmd's 3 000 000 SDK gas and
/// fails with the SDK's out-of-gas (code 11) when it loops, and queries read under a shared
/// lock, so blocks are made while they run.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_looping_query_runs_out_of_gas_and_blocks_go_on() {
    let alice = Key::new(21);
    let h = start(&[&alice], None, 0).await;
    let url = h.rpc_url();
    let contract = looping_contract(&url, &alice).await;
    let queries: Vec<_> = (0..8)
        .map(|_| {
            let (url, contract) = (url.clone(), contract.clone());
            tokio::spawn(async move { smart_query(&url, &contract).await })
        })
        .collect();
    let before = h.node().app().height();
    for _ in 0..3 {
        timeout(Duration::from_secs(60), h.produce_block())
            .await
            .expect("block production stalled behind queries")
            .unwrap();
    }
    assert_eq!(h.node().app().height(), before + 3);
    for q in queries {
        let r = timeout(Duration::from_secs(120), q).await.unwrap().unwrap();
        assert_eq!(r["code"], 11, "{r}");
        assert_eq!(r["codespace"], "sdk", "{r}");
        let log = r["log"].as_str().unwrap_or_default();
        assert!(
            log.contains("out of gas") && log.contains("gasWanted: 3000000"),
            "{r}"
        );
    }
    h.shutdown().await;
}
