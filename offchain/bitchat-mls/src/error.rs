use thiserror::Error;

/// Why a conversation operation or an incoming message was refused. Messages name the reason
/// and never carry key material or plaintext.
#[derive(Debug, Error)]
pub enum MlsError {
    /// The bytes are not an MLS message or key package this client can parse.
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// A message for a group this client is not (or no longer) a member of.
    #[error("unknown conversation {0}")]
    UnknownConversation(String),
    /// Valid MLS that this client's policy refuses (a member's credential not bound to its
    /// account, a commit by someone other than the conversation's admin, ...).
    #[error("refused: {0}")]
    Refused(String),
    /// MLS processing failed: wrong epoch, undecryptable (e.g. sent after this member was
    /// removed, or before it joined), bad signature, replay.
    #[error("cannot process message: {0}")]
    Undecryptable(String),
    /// The operation needs the conversation's admin (adds, removals, re-keying commits).
    #[error("only the conversation's admin may {0}")]
    NotAdmin(&'static str),
    /// The conversation state on disk could not be read, opened or written.
    #[error("conversation state {path}: {reason}")]
    State { path: String, reason: String },
    /// A bad argument from the caller (empty member list, an account not in the group, ...).
    #[error("{0}")]
    Invalid(String),
    /// openmls refused an operation this client asked for (should not happen; reported as is).
    #[error("mls: {0}")]
    Mls(String),
}

pub(crate) fn mls<E: std::fmt::Display>(e: E) -> MlsError {
    MlsError::Mls(e.to_string())
}
