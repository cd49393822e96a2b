//! BitHive node staking contract: see README.md.

pub mod attestors;
pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod slashing;
pub mod state;

pub use error::ContractError;
