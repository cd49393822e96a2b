use cosmwasm_std::{CheckedMultiplyFractionError, Timestamp};
use cw721::error::Cw721ContractError;

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Funds, Migrate, Handover }

        #[error("{0}")]
        MultiplyFraction(#[from] CheckedMultiplyFractionError),

        #[error("{0}")]
        Cw721(#[from] Cw721ContractError),

        #[error("unauthorized: {role} only")]
        Unauthorized { role: &'static str },

        #[error("invalid {field}: {reason}")]
        InvalidField {
            field: &'static str,
            reason: &'static str,
        },

        #[error("approvals and operators are disabled: only a record's owner can move it")]
        ApprovalsDisabled {},

        #[error("{account} has published no reading key")]
        NoReadingKey { account: String },

        #[error("record {token_id} not found")]
        RecordNotFound { token_id: String },

        #[error("no grant of {token_id} to {grantee} for {purpose}")]
        NoGrant {
            token_id: String,
            grantee: String,
            purpose: &'static str,
        },

        #[error("the grant of {token_id} to {grantee} for {purpose} was revoked")]
        GrantRevoked {
            token_id: String,
            grantee: String,
            purpose: &'static str,
        },

        #[error("the grant of {token_id} to {grantee} for {purpose} expired at {expired_at}")]
        GrantExpired {
            token_id: String,
            grantee: String,
            purpose: &'static str,
            expired_at: Timestamp,
        },

        #[error("the grant of {token_id} to {grantee} is void: the record changed hands since")]
        GrantVoided { token_id: String, grantee: String },

        #[error("expiry {expires_at} must be after now and at most {max_seconds} s from now")]
        BadExpiry {
            expires_at: Timestamp,
            max_seconds: u64,
        },

        #[error("dataset {id} not found")]
        DatasetNotFound { id: u64 },

        #[error("dataset {id} is closed")]
        DatasetClosed { id: u64 },

        #[error("dataset {id} is full ({max} records)")]
        DatasetFull { id: u64, max: u32 },

        #[error("record {token_id} is not of the dataset's record type")]
        WrongRecordType { token_id: String },

        #[error("record {token_id} has no endorsement from an issuer dataset {dataset_id} accepts")]
        NotEndorsed { dataset_id: u64, token_id: String },

        #[error("record {token_id} was removed from dataset {dataset_id} by its curator")]
        RecordExcluded { dataset_id: u64, token_id: String },

        #[error("ciphertext_sha256 is not record {token_id}'s: an endorsement names the content it vouches for")]
        EndorsementMismatch { token_id: String },

        #[error("{endorser} has not endorsed record {token_id}")]
        NoEndorsement { token_id: String, endorser: String },

        #[error("epsilon {epsilon} exceeds what this researcher may still spend on the dataset, {remaining}")]
        QuerierBudgetExceeded { epsilon: String, remaining: String },

        #[error("record {token_id} is not in dataset {dataset_id}")]
        NotMember { dataset_id: u64, token_id: String },

        #[error("epsilon {epsilon} exceeds the remaining budget {remaining}")]
        BudgetExceeded { epsilon: String, remaining: String },

        #[error("epsilon {epsilon} exceeds the per-query maximum {max}")]
        EpsilonTooLarge { epsilon: String, max: String },

        #[error("payment in {paid} but the dataset is priced in {expected}")]
        WrongAsset { paid: String, expected: String },

        #[error("payment {paid} is below the price {price}")]
        Underpaid { paid: String, price: String },

        #[error("query {id} not found")]
        QueryNotFound { id: u64 },

        #[error("query {id} is already {status}")]
        QuerySettled { id: u64, status: &'static str },

        #[error("query {id} expired at {at}: it can only be refunded")]
        QueryExpired { id: u64, at: Timestamp },

        #[error("query {id} is answerable until {until}: no refund before")]
        QueryNotExpired { id: u64, until: Timestamp },

        #[error("the answer does not match the query: {reason}")]
        AnswerMismatch { reason: &'static str },
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
