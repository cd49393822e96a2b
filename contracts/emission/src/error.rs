bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Migrate, Handover }

        #[error("unauthorized")]
        Unauthorized,
        #[error("nothing is due yet")]
        NothingDue,
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
