//! The formulas of the BitHive seeds (docs/glossary.md), implemented once in fixed-point decimals
//! (`cosmwasm_std::Decimal`, 18 fractional digits) so that contracts and off-chain engines
//! compute bit-identical results.
#![warn(missing_docs)]

pub mod capacity;
pub mod emission;
pub mod enode;
mod error;
pub mod quantized;
pub mod rpatient;
pub mod tscore;
pub mod vscore;

pub use error::FormulaError;
