//! BitHive fractional ownership: lock an asset NFT, receive a per-asset cw20 share token;
//! revenue is spread pro rata with an O(1) accumulator kept exact across share transfers by the
//! share token's balance-change hook; buyout at or above a reserve price; reunify by burning the
//! whole supply.

pub mod accrual;
pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
pub use bithive_cw_common::funds::FundsError;

#[cfg(test)]
mod proptests;
