//! BitHive attestation contract: see README.md.

pub mod consumer;
pub mod contract;
pub mod error;
pub mod execute;
pub mod ibc;
pub mod msg;
pub mod query;
pub mod state;
pub mod verify;

pub use error::ContractError;
