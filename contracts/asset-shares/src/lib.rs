//! BitHive asset share token: a complete cw20 (cw20-base 2.0 used as a library) whose every
//! balance change first notifies a hook contract (the fractional vault) with the pre-change
//! balances, so the vault's revenue accumulator settles holders exactly when balances move.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
