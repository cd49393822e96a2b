//! BitHive model registry (the AIM "AI model chain"): research institutes publish inference
//! models (versioned, priced per inference, stored encrypted under an IPFS content id), owners
//! deprecate them, an attested evaluation sets their accuracy, and payfi-escrow records every
//! paid job so users choose models by their track record.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;
pub mod validate;

pub use crate::error::ContractError;
