use cosmwasm_std::{OverflowError, StdError};
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("{0}")]
    Overflow(#[from] OverflowError),
    #[error("unauthorized")]
    Unauthorized,
    #[error("nothing is due yet")]
    NothingDue,
    #[error("{0}")]
    Migrate(#[from] bithive_cw_common::MigrateError),
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
