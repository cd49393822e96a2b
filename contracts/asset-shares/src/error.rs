use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Cw20(#[from] cw20_base::ContractError),

    #[error("{0}")]
    Migrate(#[from] bithive_cw_common::MigrateError),
}
