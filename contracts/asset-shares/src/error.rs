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

    /// Burning moves no funds out of the vault and leaves its `total_shares` unchanged, so a
    /// holder's burn would strand revenue and make reunify impossible: only the vault burns.
    #[error("only the minter (the vault) may burn shares")]
    BurnNotAllowed {},
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
