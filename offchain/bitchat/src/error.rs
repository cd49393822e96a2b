//! Library error type.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BitChatError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("tls: {0}")]
    Tls(String),
    #[error("config: {0}")]
    Config(String),
    #[error("connect: {0}")]
    Connect(#[from] quinn::ConnectError),
    #[error("connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("read: {0}")]
    Read(#[from] quinn::ReadExactError),
    #[error("read: {0}")]
    ReadToEnd(#[from] quinn::ReadToEndError),
    #[error("closed stream: {0}")]
    ClosedStream(#[from] quinn::ClosedStream),
    #[error("frame: {0}")]
    Frame(#[from] crate::frame::FrameError),
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("crypto: {0}")]
    Crypto(String),
    #[error("mailbox: {0}")]
    Mailbox(String),
    #[error("chunk: {0}")]
    Chunk(String),
    #[error("journal: {0}")]
    Journal(String),
    #[error("chat: {0}")]
    Chat(String),
    #[error("peer: {0}")]
    Peer(String),
    #[error("sequence of a conversation exhausted, or ttl past the end of time")]
    Overflow,
    /// Another node holds the state directory (its journals must have a single writer).
    #[error(
        "state dir is in use by another BitChat node: lock file {} is held; \
         stop the other node or give this one its own state_dir",
        path.display()
    )]
    StateLocked { path: std::path::PathBuf },
}
