bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Migrate }

        #[error("{0}")]
        Cw20(#[from] cw20_base::ContractError),

        /// Burning moves no funds out of the vault and leaves its `total_shares` unchanged, so a
        /// holder's burn would strand revenue and make reunify impossible: only the vault burns.
        #[error("only the minter (the vault) may burn shares")]
        BurnNotAllowed {},
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
