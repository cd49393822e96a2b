//! BitHive cw20 token, instantiated twice: BTT (healthcare payments, patient incentives) and BTK
//! (compute rewards, hard cap 2,100,000,000 BTK). Every cw20-base 2.0 message and query, with
//! minting replaced by several minters, each with its own allowance, under a cap on cumulative
//! minting (burning never frees cap). See README.md.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;

pub use error::ContractError;
