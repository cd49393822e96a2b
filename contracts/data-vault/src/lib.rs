//! BitHive data vault (issue #23): personal health-record NFTs on cw721 0.22 that only their owner
//! can move; consent grants per (record, grantee, purpose) with a bounded expiry and the record
//! key wrapped to the grantee; an access log a grantee can only write under a live grant; and
//! differential-privacy datasets whose epsilon budget the contract keeps while researchers pay
//! for aggregate queries answered by registered answerers.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;
pub mod validate;

pub use crate::error::ContractError;
pub use bithive_cw_common::funds::FundsError;

#[cfg(test)]
mod proptests;
