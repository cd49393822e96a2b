/// Everything that can go wrong. Decryption failures of every kind (not a recipient, a header
/// that does not match the claimed set, wrong epoch, tampered header or body) collapse into
/// [`DgkbeError::Authentication`] so a caller learns nothing about why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DgkbeError {
    #[error("number of users must be in 1..={max}, got {got}")]
    BadUserCount { got: u64, max: u32 },
    #[error("user index {0} is outside 1..=n")]
    IndexOutOfRange(u32),
    #[error("the recipient set is empty")]
    EmptyRecipients,
    /// An encoding from another format version (e.g. BGW public parameters without v, version 2).
    #[error("unsupported {what} version {got} (this build reads version {supported})")]
    UnsupportedVersion {
        what: &'static str,
        got: u8,
        supported: u8,
    },
    #[error("malformed encoding: {0}")]
    Malformed(&'static str),
    #[error("plaintext too long for the AEAD")]
    PlaintextTooLong,
    #[error(
        "decryption failed (not a recipient, header not made for the claimed set, wrong epoch or tampered ciphertext)"
    )]
    Authentication,
}
