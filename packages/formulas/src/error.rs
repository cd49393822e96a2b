/// Why a formula refused its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormulaError {
    /// An input is outside the range the formula accepts (the input's name).
    #[error("input out of range: {0}")]
    OutOfRange(&'static str),
    /// An intermediate or final value does not fit its decimal or integer type.
    #[error("arithmetic overflow")]
    Overflow,
}
