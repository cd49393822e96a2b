bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Overflow, DivideByZero, Funds, Migrate, Handover }

        #[error("unauthorized")]
        Unauthorized {},

        #[error("{contract} is not an accepted cw721 contract")]
        NftNotAccepted { contract: String },

        #[error("vault {vault_id} not found")]
        VaultNotFound { vault_id: u64 },

        #[error("vault {vault_id} is not {expected}")]
        WrongStatus {
            vault_id: u64,
            expected: &'static str,
        },

        #[error("invalid fractionalization: {reason}")]
        InvalidFractionalize { reason: &'static str },

        #[error("payment must be in {expected}")]
        WrongAsset { expected: String },

        #[error("payment {paid} is below the reserve price {reserve}")]
        BelowReserve { paid: String, reserve: String },

        #[error("zero amount")]
        ZeroAmount {},

        #[error("vault already has the maximum number of revenue assets")]
        TooManyRevenueAssets {},

        #[error("vault {vault_id} does not accept {asset} as revenue")]
        RevenueAssetNotAccepted { vault_id: u64, asset: String },

        #[error("reunify needs the whole supply {total}, got {got}")]
        NotWholeSupply { total: String, got: String },

        #[error("nothing to claim")]
        NothingToClaim {},

        #[error("share token address missing from the instantiate reply")]
        NoShareAddress {},
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
