//! BitHive rewards contract: see README.md.

pub mod app;
pub mod challenge;
pub mod compute;
pub mod contract;
pub mod error;
pub mod msg;
pub mod patient;
pub mod payout;
pub mod query;
pub mod served;
pub mod state;

pub use error::ContractError;
