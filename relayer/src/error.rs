use bithive_chain_client::ChainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RelayerError {
    #[error("config: {0}")]
    Config(String),
    #[error("keyring: {0}")]
    Keyring(String),
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("worker {kind}: {message}")]
    Worker { kind: String, message: String },
    #[error("attestation: {0}")]
    Attestation(String),
    /// A held-out evaluation could not be made, signed or combined (`relayer::evaluation`).
    #[error("evaluation: {0}")]
    Evaluation(String),
    /// Test failpoint: the pipeline stops as if killed right after persisting `0`.
    #[error("simulated crash after {0}")]
    Crash(&'static str),
}
