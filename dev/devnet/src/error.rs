use thiserror::Error;

#[derive(Error, Debug)]
pub enum DevnetError {
    #[error("config: {0}")]
    Config(String),
    #[error("chain: {0}")]
    Host(#[from] bithive_vm_host::HostError),
    #[error("block log: {0}")]
    Io(#[from] std::io::Error),
    #[error("block log corrupt at line {line}: {reason}")]
    Corrupt { line: usize, reason: String },
    #[error("replay diverged at height {0}")]
    Replay(u64),
    #[error("ibc relay: {0}")]
    Ibc(String),
    #[error("devnet halted: {0}")]
    Halted(String),
}
