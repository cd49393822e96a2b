bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, Migrate, Handover }

        #[error("unauthorized: {role} only")]
        Unauthorized { role: &'static str },

        #[error("invalid {field}: {reason}")]
        Invalid {
            field: &'static str,
            reason: &'static str,
        },

        #[error("model {model_id} not found")]
        ModelNotFound { model_id: u64 },

        #[error("no model is named {name}")]
        NameNotFound { name: String },

        #[error("model {name} version {version} not found")]
        VersionNotFound { name: String, version: u32 },

        #[error("model name {name} is owned by {owner}")]
        NameTaken { name: String, owner: String },

        #[error("version {version} of {name} is not above its latest version {latest}")]
        VersionNotHigher {
            name: String,
            latest: u32,
            version: u32,
        },

        #[error("model {model_id} is already deprecated")]
        AlreadyDeprecated { model_id: u64 },

        #[error("no {role} is configured")]
        NotConfigured { role: &'static str },
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
