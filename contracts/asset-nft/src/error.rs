use cw721::error::Cw721ContractError;

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Migrate, Handover }

        #[error("{0}")]
        Cw721(#[from] Cw721ContractError),

        #[error("unauthorized: {role} only")]
        Unauthorized { role: &'static str },

        #[error(
            "recipient {recipient} is not approved to hold assets of jurisdiction {jurisdiction}"
        )]
        RecipientNotApproved {
            recipient: String,
            jurisdiction: String,
        },

        #[error("token id {token_id} was already used")]
        TokenIdUsed { token_id: String },

        #[error("token {token_id} not found")]
        TokenNotFound { token_id: String },

        #[error("invalid {field}: {reason}")]
        InvalidField {
            field: &'static str,
            reason: &'static str,
        },

        #[error("token {token_id} has no registered device key")]
        NoDeviceKey { token_id: String },

        #[error("bad twin nonce: expected {expected}, got {got}")]
        BadNonce { expected: u64, got: u64 },

        #[error("device signature does not verify")]
        BadSignature {},

        #[error("{valuer} is not a registered valuer")]
        NotValuer { valuer: String },
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
