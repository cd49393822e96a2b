bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, DivideByZero, Funds, Migrate, Handover }

        #[error("unauthorized: {role} only")]
        Unauthorized { role: &'static str },

        #[error("invalid payment coding {field}: {reason}")]
        InvalidCoding {
            field: &'static str,
            reason: &'static str,
        },

        #[error("invalid {field}: {reason}")]
        Invalid {
            field: &'static str,
            reason: &'static str,
        },

        #[error("fee {bps} bps above the maximum {max}")]
        FeeTooHigh { bps: u16, max: u16 },

        #[error("milestones sum to {milestones} but {deposited} was deposited")]
        MilestoneMismatch {
            milestones: String,
            deposited: String,
        },

        #[error("escrow {id} not found")]
        EscrowNotFound { id: u64 },

        #[error("escrow {id} is {status}")]
        EscrowNotOpen { id: u64, status: &'static str },

        #[error("milestone {index} does not exist")]
        NoSuchMilestone { index: u32 },

        #[error("milestone {index} already released")]
        MilestoneReleased { index: u32 },

        #[error("not expired until {until}")]
        NotExpired { until: String },

        #[error("expired at {at}")]
        Expired { at: String },

        #[error("escrow has no arbiter")]
        NoArbiter {},

        #[error("payee amount {amount} exceeds the remaining {remaining}")]
        ResolveTooMuch { amount: String, remaining: String },

        #[error("channel {id} not found")]
        ChannelNotFound { id: u64 },

        #[error("channel {id} is closed")]
        ChannelClosed { id: u64 },

        #[error("voucher for {cumulative} is not above the redeemed {redeemed}")]
        VoucherAlreadyRedeemed {
            cumulative: String,
            redeemed: String,
        },

        #[error("voucher for {cumulative} exceeds the deposit {deposit}")]
        VoucherExceedsDeposit { cumulative: String, deposit: String },

        #[error("voucher signature does not verify")]
        BadVoucherSignature {},

        #[error("close not requested")]
        CloseNotRequested {},

        #[error("challenge period ends at {ends}")]
        ChallengePeriod { ends: String },

        #[error("job {job_id} not found")]
        JobNotFound { job_id: String },

        #[error("job {job_id} already exists")]
        JobExists { job_id: String },

        #[error("job {job_id} is settled")]
        JobSettled { job_id: String },
        #[error("job {job_id} is not reported and inside its dispute window")]
        NotDisputable { job_id: String },
        #[error("job {job_id} may be disputed until {until}")]
        DisputeWindowOpen { job_id: String, until: String },
        #[error("job {job_id} is not reported")]
        JobNotReported { job_id: String },
        #[error("job {job_id} is not disputed")]
        JobNotDisputed { job_id: String },
        #[error("job {job_id} is bound to no node: an eligible node claims it first")]
        JobNotClaimed { job_id: String },
        #[error("job {job_id} is bound to node {bound}, not {node}")]
        NotJobNode {
            job_id: String,
            bound: String,
            node: String,
        },
        #[error("job {job_id} is already bound to node {node}")]
        JobClaimed { job_id: String, node: String },
        #[error("{node} holds {open} claimed jobs not yet reported, the most its capacity allows ({max}): report or let one expire first")]
        TooManyOpenClaims { node: String, open: u32, max: u32 },
        #[error(
            "{0} is not a staking node eligible to earn (registered, pledge covering its capacity)"
        )]
        NotEligibleNode(String),
        #[error("no staking contract is configured: jobs can only be bound by their payer")]
        NoStaking,

        #[error("model {model} is not registered")]
        UnknownModel { model: String },
        #[error("model {model} (id {model_id}) is deprecated")]
        ModelDeprecated { model: String, model_id: u64 },
        #[error("deposit {amount} less the fee {fee} does not cover the model price {price}")]
        Underfunded {
            amount: String,
            fee: String,
            price: String,
        },
        #[error("model prices are in {expected}: the job must be funded in it")]
        WrongAsset { expected: String },
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
