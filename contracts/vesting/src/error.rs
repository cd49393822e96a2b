bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Migrate, Handover }

        #[error("{0}")]
        Payment(#[from] cw_utils::PaymentError),
        #[error("unauthorized")]
        Unauthorized,
        #[error("no schedules given, or more than {max}")]
        BadBatch { max: u32 },
        #[error("funds ({sent}) do not equal the sum of the schedules ({expected})")]
        FundsMismatch { sent: String, expected: String },
        #[error("cw20 token {0} is not allowlisted")]
        TokenNotAllowed(String),
        #[error("invalid denom: {0}")]
        InvalidDenom(String),
        #[error("invalid curve: {0}")]
        InvalidCurve(&'static str),
        #[error("a rate rounds to zero: {0}")]
        DustRate(&'static str),
        #[error("schedule {0} not found")]
        NotFound(u64),
        #[error("schedule {0} is not revocable")]
        Irrevocable(u64),
        #[error("schedule {0} was already revoked")]
        AlreadyRevoked(u64),
        #[error("nothing to claim")]
        NothingToClaim,
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
