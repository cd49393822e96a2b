//! CometBFT 0.38 JSON-RPC over HTTP (POST JSON-RPC and URI GET) and websocket, on loopback.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::abci::ExecTxResult;
use crate::json;
use crate::mempool::TxInCache;
use crate::node::SharedNode;
use crate::search::TxQuery;
use crate::tx::tx_hash;
pub use bithive_devnet_wire::jsonrpc::{parse_request, uri_params, Incoming, RpcError};

/// CometBFT's `timeout_broadcast_tx_commit` default.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_PER_PAGE: u64 = 100;

fn envelope(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(r) => json!({ "jsonrpc": "2.0", "id": id, "result": r }),
        Err(e) => json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": e.code(), "message": e.message(), "data": e.data() },
        }),
    }
}

pub fn router(node: SharedNode) -> Router {
    Router::new()
        .route("/", post(post_rpc))
        .route("/websocket", get(websocket))
        .route("/{method}", get(get_rpc))
        .with_state(node)
}

async fn post_rpc(State(node): State<SharedNode>, body: Bytes) -> Response {
    let max_bytes = node.config().max_response_bytes;
    match parse_request(&body, node.config().max_batch_requests) {
        Err(e) => Json(envelope(json!(-1), Err(e))).into_response(),
        Ok(Incoming::Batch(batch)) => {
            // Answers are counted as they are made: a batch stops growing at the cap (issue
            // #27: a 468 KB batch made a 507 MB answer).
            let mut out = Vec::with_capacity(batch.len());
            let mut bytes = 0usize;
            for req in batch {
                let id = req.get("id").cloned().unwrap_or(json!(-1));
                let answer = one_request(&node, req).await;
                bytes = bytes.saturating_add(answer.to_string().len());
                if bytes > max_bytes {
                    out.push(too_large(id, max_bytes));
                    break;
                }
                out.push(answer);
            }
            Json(Value::Array(out)).into_response()
        }
        Ok(Incoming::One(req)) => {
            let id = req.get("id").cloned().unwrap_or(json!(-1));
            let answer = one_request(&node, req).await;
            if answer.to_string().len() > max_bytes {
                return Json(too_large(id, max_bytes)).into_response();
            }
            Json(answer).into_response()
        }
    }
}

fn too_large(id: Value, max: usize) -> Value {
    envelope(
        id,
        Err(RpcError::internal(format!(
            "response exceeds the maximum of {max} bytes (max_response_bytes); ask for less"
        ))),
    )
}

async fn one_request(node: &SharedNode, req: Value) -> Value {
    let id = req.get("id").cloned().unwrap_or(json!(-1));
    let Some(method) = req.get("method").and_then(Value::as_str) else {
        return envelope(id, Err(RpcError::invalid_request("missing method")));
    };
    let params = req.get("params").cloned().unwrap_or(json!({}));
    envelope(id, call(node, method, params).await)
}

/// URI over HTTP: `GET /abci_query?path="/x"&data=0xABCD`. Strings are quoted, bytes `0x` hex.
async fn get_rpc(
    State(node): State<SharedNode>,
    Path(method): Path<String>,
    Query(args): Query<HashMap<String, String>>,
) -> Response {
    let result = match uri_params(args) {
        Ok(params) => call(&node, &method, params).await,
        Err(e) => Err(e),
    };
    Json(envelope(json!(-1), result)).into_response()
}

fn param<'a>(params: &'a Value, name: &str) -> Option<&'a Value> {
    params.get(name).filter(|v| !v.is_null())
}

fn str_param(params: &Value, name: &str) -> Option<String> {
    param(params, name).and_then(|v| v.as_str().map(str::to_string))
}

fn u64_param(params: &Value, name: &str) -> Result<Option<u64>, RpcError> {
    match param(params, name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| RpcError::invalid_params(format!("{name}: not a u64"))),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| RpcError::invalid_params(format!("{name}: not a u64"))),
        Some(_) => Err(RpcError::invalid_params(format!("{name}: not a u64"))),
    }
}

/// Bytes, base64 as JSON-RPC sends them (URI hex was translated by `get_rpc`). Never read as hex
/// here: a base64 hash may itself start with `0x` (issue #27: 1 in 4096 hashes was misread).
fn bytes_param(params: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = str_param(params, name)
        .ok_or_else(|| RpcError::invalid_params(format!("missing {name}")))?;
    base64::engine::general_purpose::STANDARD
        .decode(&s)
        .map_err(|e| RpcError::invalid_params(format!("{name}: {e}")))
}

/// abci_query `data` is hex (with or without `0x`).
fn hex_param(params: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = str_param(params, name).unwrap_or_default();
    hex::decode(s.trim_start_matches("0x"))
        .map_err(|e| RpcError::invalid_params(format!("{name}: {e}")))
}

/// Runs blocking work (VM execution, locks) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RpcError::internal(e.to_string()))?
}

fn check_tx_json(r: &ExecTxResult, hash: &[u8; 32]) -> Value {
    json!({
        "code": r.code,
        "data": "",
        "log": r.log,
        "codespace": r.codespace,
        "hash": json::upper_hex(hash),
    })
}

pub async fn call(node: &SharedNode, method: &str, params: Value) -> Result<Value, RpcError> {
    // A halted chain holds a block in memory that is not durable: nothing is served from it.
    if let Some(why) = node.halted() {
        return Err(RpcError::internal(format!("devnet halted: {why}")));
    }
    let n = node.clone();
    match method {
        "health" => Ok(json!({})),
        // Devnet extension (not CometBFT): move the block clock forward, then commit a block at
        // the new time. Like Anvil's `evm_increaseTime` + `evm_mine`.
        "bithive_advance_time" => {
            let seconds = params
                .get("seconds")
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .ok_or_else(|| RpcError::invalid_params("seconds: a non-negative integer"))?;
            blocking(move || {
                n.advance_time(seconds)
                    .map_err(|e| RpcError::invalid_params(e.to_string()))?;
                let height = n
                    .produce_block()
                    .map_err(|e| RpcError::internal(e.to_string()))?;
                let time_ns = n.app_read().block(height).map_or(0, |b| b.time_ns);
                Ok(json!({ "height": height.to_string(), "time_unix": (time_ns / 1_000_000_000).to_string() }))
            })
            .await
        }
        "status" => blocking(move || Ok(status(&n))).await,
        "abci_info" => blocking(move || {
            let app = n.app_read();
            Ok(json!({ "response": {
                "data": "bithive-devnet",
                "version": env!("CARGO_PKG_VERSION"),
                "app_version": "1",
                "last_block_height": app.height().to_string(),
                "last_block_app_hash": json::b64(&app.app_hash()),
            }}))
        })
        .await,
        "abci_query" => {
            let path = str_param(&params, "path").unwrap_or_default();
            let data = hex_param(&params, "data")?;
            blocking(move || {
                // Simulate runs the tx and reverts it: it needs the app alone. Every other
                // query reads, beside other readers.
                if path == crate::query::SIMULATE {
                    let mut app = n.app();
                    let result = crate::query::simulate(&mut app, &data);
                    return Ok(json::abci_query(&result, app.height()));
                }
                let app = n.app_read();
                let result = crate::query::query(&app, &path, &data, n.config());
                Ok(json::abci_query(&result, app.height()))
            })
            .await
        }
        "broadcast_tx_async" | "broadcast_tx_sync" => {
            let tx = bytes_param(&params, "tx")?;
            let hash = tx_hash(&tx);
            let sync = method == "broadcast_tx_sync";
            let r = blocking(move || {
                n.app()
                    .broadcast(&tx)
                    .map_err(|_| RpcError::internal(TxInCache::MESSAGE))
            })
            .await?;
            if sync {
                Ok(check_tx_json(&r, &hash))
            } else {
                Ok(check_tx_json(&ExecTxResult::default(), &hash))
            }
        }
        "broadcast_tx_commit" => broadcast_commit(node, &params).await,
        "tx" => {
            let hash = bytes_param(&params, "hash")?;
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| RpcError::invalid_params("hash must be 32 bytes"))?;
            blocking(move || {
                let app = n.app_read();
                let (height, index) = app.tx_location(&hash).ok_or_else(|| {
                    RpcError::internal(format!("tx ({}) not found", json::upper_hex(&hash)))
                })?;
                let block = app
                    .block(height)
                    .ok_or_else(|| RpcError::internal("block pruned"))?;
                Ok(json::tx(block, index))
            })
            .await
        }
        "tx_search" => {
            let query = str_param(&params, "query").unwrap_or_default();
            let query = TxQuery::parse(&query).map_err(RpcError::invalid_params)?;
            let page = u64_param(&params, "page")?.unwrap_or(1).max(1);
            let per_page = u64_param(&params, "per_page")?
                .unwrap_or(30)
                .clamp(1, MAX_PER_PAGE);
            let desc = str_param(&params, "order_by").as_deref() == Some("desc");
            blocking(move || {
                let app = n.app_read();
                let mut hits = crate::search::search(&query, &app);
                if desc {
                    hits.reverse();
                }
                let total = hits.len();
                // Checked: `page` is whatever the client sent (issue #27: it overflowed).
                let start = (page - 1).saturating_mul(per_page);
                if start > 0 && start >= total as u64 {
                    return Err(RpcError::invalid_params(format!(
                        "page should be within [1, {}] range, given {page}",
                        total.div_ceil(per_page as usize).max(1)
                    )));
                }
                let txs: Vec<Value> = hits
                    .iter()
                    .skip(start as usize)
                    .take(per_page as usize)
                    .filter_map(|(h, i)| app.block(*h).map(|b| json::tx(b, *i)))
                    .collect();
                Ok(json!({ "txs": txs, "total_count": total.to_string() }))
            })
            .await
        }
        "block" | "block_results" | "header" => {
            let height = u64_param(&params, "height")?;
            let method = method.to_string();
            blocking(move || {
                let app = n.app_read();
                let h = height.filter(|h| *h > 0).unwrap_or(app.height());
                let block = app.block(h).ok_or_else(|| {
                    RpcError::internal(format!(
                        "height {h} must be less than or equal to the current blockchain height {}",
                        app.height()
                    ))
                })?;
                let prev_time = app.block(h.saturating_sub(1)).map_or(0, |b| b.time_ns);
                Ok(match method.as_str() {
                    "block" => json::block(block, prev_time, app.chain_id(), &n.validator),
                    "header" => json!({ "header": json::header(block, app.chain_id(), &n.validator) }),
                    _ => json::block_results(block),
                })
            })
            .await
        }
        "blockchain" => {
            let min = u64_param(&params, "minHeight")?;
            let max = u64_param(&params, "maxHeight")?;
            blocking(move || {
                let app = n.app_read();
                let last = app.height();
                let max = max.filter(|m| *m > 0).unwrap_or(last).min(last);
                let min = min.unwrap_or(1).max(1).max(max.saturating_sub(19));
                let metas: Vec<Value> = (min..=max)
                    .rev()
                    .filter_map(|h| app.block(h))
                    .map(|b| {
                        json!({
                            "block_id": json::block(b, 0, app.chain_id(), &n.validator)["block_id"].clone(),
                            "block_size": b.txs.iter().map(Vec::len).sum::<usize>().to_string(),
                            "header": json::header(b, app.chain_id(), &n.validator),
                            "num_txs": b.txs.len().to_string(),
                        })
                    })
                    .collect();
                Ok(json!({ "last_height": last.to_string(), "block_metas": metas }))
            })
            .await
        }
        "num_unconfirmed_txs" => blocking(move || {
            let pending = n.app_read().mempool_len();
            Ok(json!({ "n_txs": pending.to_string(), "total": pending.to_string(), "total_bytes": "0", "txs": Value::Null }))
        })
        .await,
        other => Err(RpcError::not_found(other)),
    }
}

pub(crate) fn status(node: &SharedNode) -> Value {
    let app = node.app_read();
    let first = app.blocks().first();
    let last = app.blocks().last();
    let v = &node.validator;
    let node_id = {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(format!("node/{}", app.chain_id()))[..20])
    };
    json!({
        "node_info": {
            "protocol_version": { "p2p": "8", "block": "11", "app": "1" },
            "id": node_id,
            "listen_addr": "tcp://127.0.0.1:26656",
            "network": app.chain_id(),
            "version": json::COMETBFT_VERSION,
            "channels": "40202122233038606100",
            "moniker": "bithive-devnet",
            "other": { "tx_index": "on", "rpc_address": format!("tcp://{}", node.config().rpc_listen) },
        },
        "sync_info": {
            "latest_block_hash": last.map(|b| json::upper_hex(&b.hash)).unwrap_or_default(),
            "latest_app_hash": json::upper_hex(&app.app_hash()),
            "latest_block_height": app.height().to_string(),
            "latest_block_time": json::rfc3339(last.map_or(0, |b| b.time_ns)),
            "earliest_block_hash": first.map(|b| json::upper_hex(&b.hash)).unwrap_or_default(),
            "earliest_app_hash": first.map(|b| json::upper_hex(&b.app_hash)).unwrap_or_default(),
            "earliest_block_height": first.map_or(0, |b| b.height).to_string(),
            "earliest_block_time": json::rfc3339(first.map_or(0, |b| b.time_ns)),
            "catching_up": false,
        },
        "validator_info": {
            "address": json::upper_hex(&v.address),
            "pub_key": { "type": "tendermint/PubKeyEd25519", "value": json::b64(&v.pub_key) },
            "voting_power": "10",
        },
    })
}

async fn broadcast_commit(node: &SharedNode, params: &Value) -> Result<Value, RpcError> {
    let tx = bytes_param(params, "tx")?;
    let hash = tx_hash(&tx);
    let mut blocks = node.subscribe_blocks();
    let n = node.clone();
    // CometBFT: "error on broadcastTxCommit: tx already exists in cache".
    let check = blocking(move || {
        n.app().broadcast(&tx).map_err(|_| {
            RpcError::internal(format!(
                "error on broadcastTxCommit: {}",
                TxInCache::MESSAGE
            ))
        })
    })
    .await?;
    if !check.is_ok() {
        return Ok(json!({
            "check_tx": json::exec_tx_result(&check),
            "tx_result": json::exec_tx_result(&ExecTxResult::default()),
            "hash": json::upper_hex(&hash),
            "height": "0",
        }));
    }
    if node.config().block_interval().is_none() {
        // On-demand blocks: commit right away (as an automining dev chain does).
        let n = node.clone();
        blocking(move || {
            n.produce_block()
                .map_err(|e| RpcError::internal(e.to_string()))
        })
        .await?;
    }
    let deadline = tokio::time::Instant::now() + COMMIT_TIMEOUT;
    loop {
        let found = {
            let app = node.app_read();
            app.tx_location(&hash).and_then(|(h, i)| {
                app.block(h)
                    .map(|b| (h, b.results.get(i as usize).cloned()))
            })
        };
        if let Some((height, Some(result))) = found {
            return Ok(json!({
                "check_tx": json::exec_tx_result(&check),
                "tx_result": json::exec_tx_result(&result),
                "hash": json::upper_hex(&hash),
                "height": height.to_string(),
            }));
        }
        match tokio::time::timeout_at(deadline, blocks.recv()).await {
            Ok(_) => continue,
            Err(_) => {
                return Err(RpcError::internal(
                    "timed out waiting for tx to be included in a block",
                ))
            }
        }
    }
}

/// Websocket: JSON-RPC calls, plus `subscribe` to `tm.event='NewBlock'` and `tm.event='Tx'`.
/// The connection's slot (see `server`) moves into the websocket and is freed when it closes.
async fn websocket(
    State(node): State<SharedNode>,
    slot: Option<axum::Extension<crate::server::ConnSlot>>,
    ws: WebSocketUpgrade,
) -> Response {
    // The HTTP endpoint's body limit (axum's 2 MiB) for a message, not tungstenite's 64 MiB.
    let ws = ws
        .max_message_size(crate::ws::MAX_MESSAGE)
        .max_frame_size(crate::ws::MAX_MESSAGE);
    ws.on_upgrade(move |socket| async move {
        let _slot = slot;
        crate::ws::serve(node, socket, |node, req| async move {
            one_request(&node, req).await
        })
        .await
    })
    .into_response()
}
