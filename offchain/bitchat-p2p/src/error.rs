use thiserror::Error;

#[derive(Debug, Error)]
pub enum P2pError {
    #[error("identity: {0}")]
    Identity(String),
    #[error("record refused: {0}")]
    Record(String),
    #[error("transport: {0}")]
    Transport(String),
    /// What was looked up: "account <id>" or "chain address <hex>".
    #[error("no record for {0} in the DHT")]
    NotFound(String),
    #[error("could not deliver to {account}: {reason}")]
    Undelivered { account: String, reason: String },
    #[error("the node has stopped")]
    Stopped,
    #[error("the peer is busy: ask again later")]
    Busy,
    #[error("{0}")]
    Config(String),
}
