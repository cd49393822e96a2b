//! BitHive PayFi: milestone escrows (payer, payee, optional arbiter) with structured healthcare
//! payment coding; payment channels paid by cumulative secp256k1 vouchers; compute-job escrow
//! released to the node named by an authorized reporter. Native (`ibc/...` included) or
//! allowlisted cw20; a platform fee in basis points on every payout.

pub mod coding;
pub mod contract;
pub mod error;
pub mod execute;
pub mod funds;
pub mod msg;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
pub use bithive_cw_common::funds::FundsError;

#[cfg(test)]
mod proptests;
