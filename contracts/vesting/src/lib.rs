//! BitHive vesting contract: see README.md.

pub mod contract;
pub mod curve;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;

pub use error::ContractError;
