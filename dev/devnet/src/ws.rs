//! Websocket endpoint: JSON-RPC calls and `subscribe` to new blocks and txs.

use std::future::Future;

use axum::extract::ws::{Message as WsMsg, Utf8Bytes, WebSocket};
use serde_json::{json, Value};

use crate::json;
use crate::node::SharedNode;
use crate::search::TxQuery;

enum Sub {
    NewBlock {
        id: Value,
        query: String,
    },
    Tx {
        id: Value,
        query: String,
        filter: TxQuery,
    },
}

fn text(v: &Value) -> WsMsg {
    WsMsg::Text(Utf8Bytes::from(v.to_string()))
}

/// Largest websocket message read (the HTTP endpoint's body limit).
pub(crate) const MAX_MESSAGE: usize = 2 * 1024 * 1024;
/// Longest subscription query kept: a subscription stores it and matches it every block.
const MAX_QUERY: usize = 512;
/// Longest string id a subscription keeps (echoed in every event it sends).
const MAX_ID: usize = 64;

/// A subscription's id: a number, null, or a short string (a 10 MB id, echoed in every event
/// of every block, took the devnet from 27 to 524 MB and 199 MB/s out).
fn check_id(id: &Value) -> Result<(), String> {
    match id {
        Value::Number(_) | Value::Null => Ok(()),
        Value::String(s) if s.len() <= MAX_ID => Ok(()),
        Value::String(s) => Err(format!("id of {} bytes; at most {MAX_ID}", s.len())),
        _ => Err("id must be a number or a string".into()),
    }
}

/// Serves one websocket: `subscribe`/`unsubscribe` here, every other JSON-RPC request answered
/// by `call` (the HTTP endpoint's own dispatcher, passed in so this module needs nothing of it).
pub(crate) async fn serve<F, Fut>(node: SharedNode, mut socket: WebSocket, call: F)
where
    F: Fn(SharedNode, Value) -> Fut,
    Fut: Future<Output = Value>,
{
    let mut blocks = node.subscribe_blocks();
    let mut subs: Vec<Sub> = Vec::new();
    // Idle timeout (issue #27): a ping every half of it; a connection that sends nothing, not
    // even the pong, for all of it is closed (CometBFT pings and drops likewise).
    let idle = node.config().rpc_limits().idle_timeout;
    let mut ping =
        tokio::time::interval(idle.map_or(std::time::Duration::from_secs(3600), |d| d / 2));
    ping.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if idle.is_some_and(|d| last_heard.elapsed() > d) {
                    tracing::debug!("websocket closed: idle timeout");
                    let _ = socket.send(WsMsg::Close(None)).await;
                    return;
                }
                if idle.is_some() && socket.send(WsMsg::Ping(Default::default())).await.is_err() { return }
            }
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                last_heard = tokio::time::Instant::now();
                let WsMsg::Text(t) = msg else { continue };
                let req: Value = match serde_json::from_str(t.as_str()) {
                    Ok(v) => v,
                    Err(e) => {
                        let err = json!({"jsonrpc":"2.0","id":-1,"error":{"code":-32700,"message":"Parse error","data":e.to_string()}});
                        if socket.send(text(&err)).await.is_err() { return }
                        continue;
                    }
                };
                let id = req.get("id").cloned().unwrap_or(json!(-1));
                let method = req.get("method").and_then(Value::as_str).unwrap_or_default();
                let query = req.pointer("/params/query").and_then(Value::as_str).unwrap_or_default().to_string();
                let reply = match method {
                    // Bounded per connection, as CometBFT's `max_subscriptions_per_client`
                    // (issue #27: one client held 365 MB of subscriptions).
                    "subscribe" if subs.len() >= node.config().max_subscriptions_per_client => {
                        let e = format!("at most {} subscriptions per connection", node.config().max_subscriptions_per_client);
                        json!({"jsonrpc":"2.0","id":id,"error":{"code":-32603,"message":"Internal error","data":e}})
                    }
                    "subscribe" => match check_id(&id).and_then(|()| parse_subscription(id.clone(), &query)) {
                        Ok(s) => { subs.push(s); json!({"jsonrpc":"2.0","id":id,"result":{}}) }
                        Err(e) => json!({"jsonrpc":"2.0","id":id,"error":{"code":-32602,"message":"Invalid params","data":e}}),
                    },
                    "unsubscribe" => {
                        subs.retain(|s| match s { Sub::NewBlock { query: q, .. } | Sub::Tx { query: q, .. } => *q != query });
                        json!({"jsonrpc":"2.0","id":id,"result":{}})
                    }
                    "unsubscribe_all" => { subs.clear(); json!({"jsonrpc":"2.0","id":id,"result":{}}) }
                    _ => call(node.clone(), req).await,
                };
                if socket.send(text(&reply)).await.is_err() { return }
            }
            height = blocks.recv() => {
                let height = match height {
                    Ok(h) => h,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                for m in events_for(&node, height, &subs) {
                    if socket.send(text(&m)).await.is_err() { return }
                }
            }
        }
    }
}

fn parse_subscription(id: Value, query: &str) -> Result<Sub, String> {
    if query.len() > MAX_QUERY {
        return Err(format!(
            "query of {} bytes; at most {MAX_QUERY}",
            query.len()
        ));
    }
    let q = query.trim();
    let rest = q
        .strip_prefix("tm.event")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim_start)
        .ok_or_else(|| format!("subscription needs tm.event: {q:?}"))?;
    if let Some(after) = rest.strip_prefix("'NewBlock'") {
        if !after.trim().is_empty() {
            return Err(format!(
                "NewBlock takes no further conditions here: {:?}",
                after.trim()
            ));
        }
        Ok(Sub::NewBlock {
            id,
            query: q.to_string(),
        })
    } else if let Some(after) = rest.strip_prefix("'Tx'") {
        let after = after.trim();
        let filter = match after.get(..4) {
            Some(and) if and.eq_ignore_ascii_case("AND ") => TxQuery::parse(&after[4..])?,
            _ if after.is_empty() => TxQuery::parse("tx.height>=0")?,
            _ => return Err(format!("cannot parse {after:?}")),
        };
        Ok(Sub::Tx {
            id,
            query: q.to_string(),
            filter,
        })
    } else {
        Err(format!("unsupported event in {q:?}"))
    }
}

fn events_for(node: &SharedNode, height: u64, subs: &[Sub]) -> Vec<Value> {
    let app = node.app_read();
    let Some(block) = app.block(height) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in subs {
        match s {
            Sub::NewBlock { id, query } => {
                let b = json::block(
                    block,
                    app.block(height.saturating_sub(1)).map_or(0, |p| p.time_ns),
                    app.chain_id(),
                    &node.validator,
                );
                out.push(json!({"jsonrpc":"2.0","id":id,"result":{
                    "query": query,
                    "data": {"type": "tendermint/event/NewBlock", "value": {
                        "block": b["block"], "block_id": b["block_id"],
                        "result_finalize_block": {"events": [], "tx_results": block.results.iter().map(json::exec_tx_result).collect::<Vec<_>>(), "validator_updates": [], "consensus_param_updates": null, "app_hash": json::b64(&block.app_hash)},
                    }},
                    "events": {"tm.event": ["NewBlock"]},
                }}));
            }
            Sub::Tx { id, query, filter } => {
                for i in crate::search::search_block(filter, block) {
                    let t = json::tx(block, i);
                    out.push(json!({"jsonrpc":"2.0","id":id,"result":{
                        "query": query,
                        "data": {"type": "tendermint/event/Tx", "value": {"TxResult": {
                            "height": t["height"], "index": t["index"], "tx": t["tx"], "result": t["tx_result"],
                        }}},
                        "events": {"tm.event": ["Tx"], "tx.hash": [t["hash"]], "tx.height": [t["height"]]},
                    }}));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_keep_no_unbounded_input() {
        assert!(parse_subscription(json!(1), "tm.event='NewBlock'").is_ok());
        assert!(parse_subscription(json!("a"), "tm.event = 'Tx' AND tx.height>=1").is_ok());
        // A tail after NewBlock used to be kept (and echoed) whole.
        let tail = format!("tm.event='NewBlock' {}", "x".repeat(100));
        assert!(parse_subscription(json!(1), &tail).is_err());
        let long = format!("tm.event='Tx' AND tx.height>=0{}", " ".repeat(MAX_QUERY));
        assert!(matches!(parse_subscription(json!(1), &long), Err(e) if e.contains("at most 512")));
        assert!(check_id(&json!(7)).is_ok());
        assert!(check_id(&json!(null)).is_ok());
        assert!(check_id(&json!("sub-1")).is_ok());
        assert!(check_id(&json!("x".repeat(MAX_ID + 1))).is_err());
        assert!(check_id(&json!({"a": 1})).is_err());
        assert!(check_id(&json!([1])).is_err());
    }
}
