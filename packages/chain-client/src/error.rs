use thiserror::Error;

/// Errors of the chain client. `Transport` errors are the ones a failover may fix; the others
/// come from the chain itself (or from us) and are the same on every endpoint.
#[derive(Debug, Error)]
pub enum ChainError {
    #[error("rpc transport error on {endpoint}: {message}")]
    Transport { endpoint: String, message: String },
    #[error("all {0} rpc endpoints failed; last error: {1}")]
    AllEndpointsFailed(usize, String),
    #[error("abci query {path} failed with code {code}: {log}")]
    Query {
        path: String,
        code: u32,
        log: String,
    },
    #[error("could not decode {what}: {message}")]
    Decode { what: &'static str, message: String },
    #[error("account {0} not found on chain (is it funded?)")]
    AccountNotFound(String),
    #[error("simulation failed: {0}")]
    Simulate(String),
    #[error("broadcast rejected with code {code} ({codespace}): {log}")]
    Broadcast {
        code: u32,
        codespace: String,
        log: String,
    },
    #[error("account sequence mismatch was not resolved after {0} attempts")]
    SequenceUnresolved(u32),
    #[error(
        "ALERT gas price {required} {denom}/gas needed by the chain is above the configured max {max}: transaction refused"
    )]
    GasPriceAboveMax {
        required: f64,
        max: f64,
        denom: String,
    },
    #[error("tx {hash} executed with code {code}: {log}")]
    TxFailed {
        hash: String,
        code: u32,
        log: String,
    },
    #[error("tx {0} not confirmed within the timeout")]
    ConfirmTimeout(String),
    #[error("key error: {0}")]
    Key(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("aborted before send: {0}")]
    Aborted(String),
    #[error("cosmrs: {0}")]
    Cosmrs(String),
}

impl ChainError {
    /// True for errors another endpoint (or a later retry) may not have.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ChainError::Transport { .. } | ChainError::AllEndpointsFailed(..)
        )
    }

    /// A transport error that only says the node has not got a height yet: CometBFT's answer
    /// for a block above its tip, or for the tip's results before they are stored. On a network
    /// of validators one is often a block behind the others; it is alive, not failed.
    pub fn is_height_not_there_yet(&self) -> bool {
        matches!(self, ChainError::Transport { message, .. }
            if message.contains("must be less than or equal to the current blockchain height")
                || message.contains("could not find results for height"))
    }
}

pub(crate) fn cosmrs_err(e: impl std::fmt::Display) -> ChainError {
    ChainError::Cosmrs(e.to_string())
}
