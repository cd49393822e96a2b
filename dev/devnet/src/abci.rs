//! ABCI-level results: the errors of messages the VM ran (wasmd's wrapping of a host error), and
//! the `ExecTxResult` every RPC response is built from. The SDK's error codes themselves are
//! [`bithive_devnet_wire::abci::AbciError`].

use bithive_vm_host::{Event, HostError};
use serde::{Deserialize, Serialize};

pub use bithive_devnet_wire::abci::{AbciError, SDK, WASM};

/// A message failed during execution (wasmd's and the SDK's wrapping).
pub fn host_error(
    index: usize,
    type_url: &str,
    err: &HostError,
    wanted: u64,
    used: u64,
) -> AbciError {
    if err.is_out_of_gas() {
        return AbciError::out_of_gas("wasm contract", wanted, used);
    }
    let (codespace, code, desc) = match err {
        HostError::Contract(_) if type_url.ends_with("MsgInstantiateContract") => {
            (WASM, 4, "instantiate wasm contract failed")
        }
        HostError::Contract(_) if type_url.ends_with("MsgMigrateContract") => {
            (WASM, 11, "migrate wasm contract failed")
        }
        HostError::Contract(_) => (WASM, 5, "execute wasm contract failed"),
        HostError::Vm(_) if type_url.ends_with("MsgStoreCode") => {
            (WASM, 2, "create wasm contract failed")
        }
        HostError::Vm(_) => (WASM, 5, "execute wasm contract failed"),
        // wasmd's `ErrNoSuchContractFn` (22) and `ErrNoSuchCodeFn` (28).
        HostError::UnknownContract(_) => (WASM, 22, "no such contract"),
        HostError::UnknownCode(_) => (WASM, 28, "no such code"),
        HostError::InsufficientFunds { .. } => (SDK, 5, "insufficient funds"),
        HostError::Unauthorized(_) => (SDK, 4, "unauthorized"),
        HostError::InvalidMessage(_) => (SDK, 18, "invalid request"),
        HostError::Unsupported(_) => (WASM, 20, "unknown message from the contract"),
        HostError::OutOfGas => (SDK, 11, "out of gas"),
        HostError::Ibc(_) => ("channel", 1, "ibc core refused the message"),
    };
    AbciError {
        codespace,
        code,
        log: format!(
            "failed to execute message; message index: {index}: {}: {desc}",
            wasmd_text(err)
        ),
    }
}

/// A smart query that failed, as wasmd's gRPC query answers it through ABCI: the SDK turns
/// the error into `unknown request` (code 6).
pub fn query_error(err: &HostError) -> AbciError {
    let text = match err {
        HostError::UnknownContract(_) => format!("{}: no such contract", wasmd_text(err)),
        _ => format!("{}: query wasm contract failed", wasmd_text(err)),
    };
    AbciError::unknown_request(text)
}

/// The error text wasmd puts before its error's description: a contract's own error string
/// as the contract returned it (no prefix), `address X` / `code id N` for unknown ones.
pub fn wasmd_text(err: &HostError) -> String {
    match err {
        HostError::Contract(msg) => msg.clone(),
        HostError::UnknownContract(addr) => format!("address {addr}"),
        HostError::UnknownCode(id) => format!("code id {id}"),
        other => other.to_string(),
    }
}

/// One event attribute as CometBFT 0.38 reports it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AbciAttribute {
    pub key: String,
    pub value: String,
    pub index: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AbciEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Vec<AbciAttribute>,
}

impl AbciEvent {
    pub fn new(kind: &str, attrs: &[(&str, &str)]) -> Self {
        AbciEvent {
            kind: kind.to_string(),
            attributes: attrs
                .iter()
                .map(|(k, v)| AbciAttribute {
                    key: k.to_string(),
                    value: v.to_string(),
                    index: true,
                })
                .collect(),
        }
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

impl From<&Event> for AbciEvent {
    fn from(e: &Event) -> Self {
        AbciEvent {
            kind: e.ty.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| AbciAttribute {
                    key: a.key.clone(),
                    value: a.value.clone(),
                    index: true,
                })
                .collect(),
        }
    }
}

/// The result of `CheckTx` or of a transaction in `FinalizeBlock`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExecTxResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// Protobuf `TxMsgData` on success.
    #[serde(with = "crate::json::b64")]
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<AbciEvent>,
}

impl ExecTxResult {
    pub fn error(e: &AbciError, gas_wanted: u64, gas_used: u64) -> Self {
        ExecTxResult {
            code: e.code,
            codespace: e.codespace.to_string(),
            log: e.log.clone(),
            data: Vec::new(),
            gas_wanted,
            gas_used,
            events: Vec::new(),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// Value of the first attribute `key` in events of type `ty`.
    pub fn attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == ty)
            .find_map(|e| e.attr(key))
    }
}
