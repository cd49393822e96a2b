//! Error results as the Cosmos SDK and wasmd report them over ABCI: codespace, code and the log
//! text clients parse. The devnet's checks and its decoders answer with these.

pub const SDK: &str = "sdk";
pub const WASM: &str = "wasm";

/// A failed check or execution: codespace, code and the log text clients parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbciError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl AbciError {
    fn sdk(code: u32, log: String, desc: &str) -> Self {
        AbciError {
            codespace: SDK,
            code,
            log: format!("{log}: {desc}"),
        }
    }
    pub fn tx_decode(log: impl Into<String>) -> Self {
        Self::sdk(2, log.into(), "tx parse error")
    }
    pub fn unauthorized(log: String) -> Self {
        Self::sdk(4, log, "unauthorized")
    }
    pub fn insufficient_funds(log: String) -> Self {
        Self::sdk(5, log, "insufficient funds")
    }
    pub fn unknown_request(log: String) -> Self {
        Self::sdk(6, log, "unknown request")
    }
    pub fn invalid_address(log: String) -> Self {
        Self::sdk(7, log, "invalid address")
    }
    pub fn invalid_pubkey(log: String) -> Self {
        Self::sdk(8, log, "invalid pubkey")
    }
    pub fn unknown_address(log: String) -> Self {
        Self::sdk(9, log, "unknown address")
    }
    pub fn memo_too_large(max: usize, got: usize) -> Self {
        Self::sdk(
            12,
            format!("maximum number of characters is {max} but received {got} characters"),
            "memo too large",
        )
    }
    pub fn invalid_coins(log: String) -> Self {
        Self::sdk(10, log, "invalid coins")
    }
    pub fn out_of_gas(location: &str, wanted: u64, used: u64) -> Self {
        Self::sdk(
            11,
            format!("out of gas in location: {location}; gasWanted: {wanted}, gasUsed: {used}"),
            "out of gas",
        )
    }
    pub fn insufficient_fee(log: String) -> Self {
        Self::sdk(13, log, "insufficient fee")
    }
    pub fn invalid_request(log: String) -> Self {
        Self::sdk(18, log, "invalid request")
    }
    pub fn key_not_found(log: String) -> Self {
        Self::sdk(22, log, "key not found")
    }
    pub fn wrong_sequence(expected: u64, got: u64) -> Self {
        Self::sdk(
            32,
            format!("account sequence mismatch, expected {expected}, got {got}"),
            "incorrect account sequence",
        )
    }
    pub fn wasm_create(log: String) -> Self {
        AbciError {
            codespace: WASM,
            code: 2,
            log: format!("{log}: create wasm contract failed"),
        }
    }
}
