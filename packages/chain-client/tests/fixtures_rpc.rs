//! Recorded real-chain responses (tendermint-rs fixtures: gaia, osmosis, sei; see
//! tests/fixtures/README.md) served over loopback HTTP and read through `HttpEndpoint` (the real
//! tendermint-rpc `HttpClient` and our conversion).
use std::time::Duration;

use bithive_chain_client::http::{CompatVersion, HttpEndpoint};
use bithive_chain_client::tx::parse_expected_sequence;
use bithive_chain_client::RpcEndpoint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `body` as the JSON-RPC answer to every request (with the request's id), forever.
async fn serve(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read headers, then the body of Content-Length bytes.
                let (head_end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let req: serde_json::Value =
                    serde_json::from_slice(&buf[head_end..]).unwrap_or_default();
                let mut resp: serde_json::Value = serde_json::from_str(body).unwrap();
                resp["id"] = req["id"].clone();
                let text = resp.to_string();
                let out = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    text.len(),
                    text
                );
                let _ = sock.write_all(out.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn endpoint(body: &'static str) -> HttpEndpoint {
    let url = serve(body).await;
    HttpEndpoint::new(&url, CompatVersion::V034, Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn gaia_status() {
    let ep = endpoint(include_str!("fixtures/gaia_status.json")).await;
    assert_eq!(ep.latest_height().await.unwrap(), 165);
}

#[tokio::test]
async fn gaia_block_results_begin_block_events() {
    let ep = endpoint(include_str!(
        "fixtures/gaia_block_results_at_height_10.json"
    ))
    .await;
    let b = ep.block_results(10).await.unwrap();
    assert_eq!(b.height, 10);
    assert!(b.txs.is_empty());
    assert_eq!(b.block_events.len(), 10);
    // base64 attributes of CometBFT 0.34 decoded to text
    let mint = b.block_events.iter().find(|e| e.kind == "mint").unwrap();
    assert_eq!(mint.attr("amount"), Some("6179"));
    assert_eq!(b.block_events[0].attr("amount"), Some("6179stake"));
}

#[tokio::test]
async fn osmosis_block_results_with_ibc_denoms() {
    let ep = endpoint(include_str!(
        "fixtures/osmosis_block_results_at_height_10499831.trimmed.json"
    ))
    .await;
    let b = ep.block_results(10499831).await.unwrap();
    assert_eq!(b.height, 10499831);
    assert_eq!(b.txs.len(), 1);
    assert_eq!(b.txs[0].code, 0);
    let swap = b.txs[0]
        .events
        .iter()
        .find(|e| e.kind == "token_swapped")
        .unwrap();
    assert_eq!(swap.attr("pool_id"), Some("872"));
    assert!(swap
        .attr("tokens_in")
        .unwrap()
        .ends_with("ibc/D189335C6E4A68B513C10AB227BF1C1D38C746766278BA3EEB4FB14124F1D858"));
    assert_eq!(b.block_events[0].kind, "liveness");
}

#[tokio::test]
async fn sei_block_results_with_failed_txs() {
    let ep = endpoint(include_str!(
        "fixtures/sei_block_results_with_failed_txs.trimmed.json"
    ))
    .await;
    let b = ep.block_results(54810790).await.unwrap();
    assert_eq!(b.height, 54810790);
    assert_eq!(b.txs.len(), 3);
    assert_eq!(b.txs[0].code, 32);
    assert_eq!(parse_expected_sequence(&b.txs[0].log), Some(25569347));
    assert_eq!(b.txs[2].code, 0);
    let vote = b.txs[2]
        .events
        .iter()
        .find(|e| e.kind == "aggregate_vote")
        .unwrap();
    assert_eq!(
        vote.attr("voter"),
        Some("seivaloper1eqgnd7ey0hnha8rrfukjrsawulhna0zagcg6a4")
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_a_transport_error() {
    // A port nobody listens on (bound then dropped).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let ep = HttpEndpoint::new(&url, CompatVersion::V038, Duration::from_secs(2)).unwrap();
    let e = ep.latest_height().await.unwrap_err();
    assert!(e.is_transport(), "{e}");
}
