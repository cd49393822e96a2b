//! JSON-RPC 2.0 requests as CometBFT's RPC takes them: POST bodies (one request or a batch) and
//! GET URI arguments, with the JSON-RPC error codes. Both readers are fuzz targets (issue #27).

use base64::Engine;
use serde_json::Value;

/// A JSON-RPC error: code, the spec's message for it, and CometBFT's `data` text.
#[derive(Debug)]
pub struct RpcError {
    code: i64,
    message: &'static str,
    data: String,
}

impl RpcError {
    /// The JSON-RPC error code (-32700 parse, -32600 request, -32602 params, ...).
    pub fn code(&self) -> i64 {
        self.code
    }
    pub fn message(&self) -> &'static str {
        self.message
    }
    pub fn data(&self) -> &str {
        &self.data
    }
    pub fn invalid_request(data: impl Into<String>) -> Self {
        RpcError {
            code: -32600,
            message: "Invalid Request",
            data: data.into(),
        }
    }
    pub fn invalid_params(data: impl Into<String>) -> Self {
        RpcError {
            code: -32602,
            message: "Invalid params",
            data: data.into(),
        }
    }
    pub fn internal(data: impl Into<String>) -> Self {
        RpcError {
            code: -32603,
            message: "Internal error",
            data: data.into(),
        }
    }
    pub fn not_found(method: &str) -> Self {
        RpcError {
            code: -32601,
            message: "Method not found",
            data: format!("unknown method {method}"),
        }
    }
}

/// What a POST body holds: one JSON-RPC request, or a batch of them.
#[derive(Debug)]
pub enum Incoming {
    One(Value),
    Batch(Vec<Value>),
}

/// Reads a POST body as JSON-RPC: bad JSON is -32700, a batch over `max_batch` requests -32600,
/// before anything runs.
pub fn parse_request(body: &[u8], max_batch: usize) -> Result<Incoming, RpcError> {
    let parsed: Value = serde_json::from_slice(body).map_err(|e| RpcError {
        code: -32700,
        message: "Parse error",
        data: e.to_string(),
    })?;
    match parsed {
        Value::Array(batch) if batch.len() > max_batch => Err(RpcError::invalid_request(format!(
            "batch of {} requests exceeds the maximum of {max_batch}",
            batch.len()
        ))),
        Value::Array(batch) => Ok(Incoming::Batch(batch)),
        req => Ok(Incoming::One(req)),
    }
}

/// URI arguments given as `0x` hex that JSON-RPC takes as base64 bytes.
pub const URI_BYTES_ARGS: &[&str] = &["hash", "tx"];

/// URI arguments as JSON-RPC params: quotes dropped, `0x` hex byte arguments turned into the
/// base64 JSON-RPC takes.
pub fn uri_params(args: impl IntoIterator<Item = (String, String)>) -> Result<Value, RpcError> {
    let mut params = serde_json::Map::new();
    for (k, v) in args {
        let v = match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(quoted) => quoted.to_string(),
            // URI byte arguments are `0x` hex; JSON-RPC's are base64: translated here, so each
            // encoding is read only where it is documented.
            None if URI_BYTES_ARGS.contains(&k.as_str()) => match v.strip_prefix("0x") {
                Some(h) => match hex::decode(h) {
                    Ok(b) => base64::engine::general_purpose::STANDARD.encode(b),
                    Err(e) => return Err(RpcError::invalid_params(format!("{k}: {e}"))),
                },
                None => v,
            },
            None => v,
        };
        params.insert(k, Value::String(v));
    }
    Ok(Value::Object(params))
}
