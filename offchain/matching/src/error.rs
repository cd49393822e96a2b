#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchingError {
    #[error("a blinded element is not a valid Ristretto255 encoding")]
    InvalidPoint,
    #[error("embedding has dimension {got}, the LSH family expects {expected}")]
    Dimension { got: usize, expected: usize },
    #[error("the blinding service returned {got} elements for {expected} requests")]
    AnswerCount { got: usize, expected: usize },
    #[error("request has no criteria")]
    EmptyRequest,
    #[error("the delivery is not signed by the key it names")]
    Signature,
    #[error("broadcast encryption failed: {0}")]
    Dgkbe(#[from] bithive_dgkbe::DgkbeError),
}
