/// Why a formula refused its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormulaError {
    #[error("input out of range: {0}")]
    OutOfRange(&'static str),
    #[error("arithmetic overflow")]
    Overflow,
}
