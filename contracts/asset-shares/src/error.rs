use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Cw20(#[from] cw20_base::ContractError),

    #[error(transparent)]
    Version(#[from] cw2::VersionError),

    #[error("cannot migrate from {from} to older {to}")]
    Downgrade { from: String, to: String },

    #[error("cannot migrate from contract {contract}")]
    WrongContract { contract: String },
}
