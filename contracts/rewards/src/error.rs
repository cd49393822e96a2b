use cosmwasm_std::{
    CheckedFromRatioError, ConversionOverflowError, Decimal256RangeExceeded, DecimalRangeExceeded,
    Uint128,
};

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Migrate, Handover }

        #[error("{0}")]
        Ratio(#[from] CheckedFromRatioError),
        #[error("{0}")]
        Range(#[from] DecimalRangeExceeded),
        #[error("{0}")]
        Range256(#[from] Decimal256RangeExceeded),
        #[error("{0}")]
        Conversion(#[from] ConversionOverflowError),
        #[error("unauthorized")]
        Unauthorized,
        #[error("invalid configuration: {0}")]
        InvalidConfig(&'static str),
        #[error("wrong token: {0}")]
        WrongToken(String),
        #[error("formula: {0}")]
        Formula(#[from] bithive_formulas::FormulaError),
        #[error("node is not registered in staking: {0}")]
        UnknownNode(String),
        #[error("node {node} is not pledged: bonded {bonded}, required {required} (the pledge is the condition for mining)")]
        NotPledged {
            node: String,
            bonded: Uint128,
            required: Uint128,
        },
        #[error("node {0} served no paid job since its last report: there is no work to count")]
        NothingServed(String),
        #[error("unknown work report {0}")]
        UnknownWork(u64),
        #[error("work report {id} is in its challenge window until {until}")]
        ChallengeOpen { id: u64, until: u64 },
        #[error("the challenge window of work report {id} ended at {at}")]
        ChallengeClosed { id: u64, at: u64 },
        #[error("work report {0} is disputed: governance resolves it")]
        WorkDisputed(u64),
        #[error("{0} is not in staking's attestor set")]
        NotAttestor(String),
        #[error("weight rounds to zero")]
        DustWeight,
        #[error("nothing to claim")]
        NothingToClaim,
        #[error("attestation: {0}")]
        Attestation(String),
        #[error("verifier key is not registered or not active")]
        UnknownVerifier,
        #[error("activity {0} was already rewarded")]
        ActivityClaimed(String),
        #[error("daily cap reached: {used} of {cap} already paid today")]
        DailyCap { used: String, cap: String },
        #[error("patient pool holds {0}, not enough")]
        PoolEmpty(String),
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
