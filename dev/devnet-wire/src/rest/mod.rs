//! The Cosmos SDK REST API (gRPC-gateway JSON) requests the devnet serves: [`parse::route`]
//! reads method, path and query string, and [`RestError`] is the gateway's error answer (HTTP
//! status and gRPC code; with the `axum` feature, a response).

pub mod parse;

use crate::abci::AbciError;

/// An error as the gRPC-gateway answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestError {
    /// HTTP status.
    pub status: u16,
    /// gRPC status code.
    pub code: u32,
    pub message: String,
}

impl RestError {
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        RestError {
            status,
            code,
            message: message.into(),
        }
    }
    /// gRPC `InvalidArgument`: 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, 3, message)
    }
    /// gRPC `NotFound`: 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, 5, message)
    }
    /// gRPC `Unknown` (an error that is not a gRPC status): 500.
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(500, 2, message)
    }
    /// gRPC `Internal`: 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, 13, message)
    }
    /// No route: the gateway's `Unimplemented`, 501.
    pub fn not_implemented() -> Self {
        Self::new(501, 12, "Not Implemented")
    }

    /// An `abci_query` error as the gateway reports the same gRPC error: `InvalidArgument` 400,
    /// `NotFound` 404, a module's error 500 with `codespace X code N: ...` (wasmd's texts).
    pub fn from_abci(e: &AbciError) -> Self {
        let log = e.log.as_str();
        if let Some(m) = log.strip_prefix("rpc error: code = InvalidArgument desc = ") {
            return Self::bad_request(m.strip_suffix(": invalid request").unwrap_or(m));
        }
        if let Some(m) = log.strip_prefix("rpc error: code = NotFound desc = ") {
            return Self::not_found(m.strip_suffix(": key not found").unwrap_or(m));
        }
        let m = [": unknown request", ": invalid request"]
            .iter()
            .find_map(|s| log.strip_suffix(s))
            .unwrap_or(log);
        // wasmd's registered errors keep their codespace and code in the gateway's text.
        for (desc, code) in [("no such contract", 22), ("no such code", 28)] {
            if let Some(wrapped) = m.strip_suffix(&format!(": {desc}")) {
                return Self::unknown(format!("codespace wasm code {code}: {desc}: {wrapped}"));
            }
        }
        Self::unknown(m)
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for RestError {
    fn into_response(self) -> axum::response::Response {
        use axum::http::StatusCode;
        let body = serde_json::json!({ "code": self.code, "message": self.message, "details": [] });
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(body)).into_response()
    }
}
