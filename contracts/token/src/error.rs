use cosmwasm_std::Uint128;
use cw_ownable::OwnershipError;

bithive_cw_common::contract_error! {
    pub enum ContractError {
        standard { Std, Migrate, Overflow }

        /// Errors of the cw20-base logic this contract reuses (allowances, expirations, logo...).
        #[error("{0}")]
        Base(#[from] cw20_base::ContractError),

        #[error("{0}")]
        Ownership(#[from] OwnershipError),

        #[error("amount must be greater than zero")]
        ZeroAmount {},

        #[error("initial balance for {address} is zero")]
        ZeroInitialBalance { address: String },

        #[error("duplicate initial balance for {address}")]
        DuplicateInitialBalance { address: String },

        #[error("duplicate minter {minter}")]
        DuplicateMinter { minter: String },

        #[error("initial supply {supply} exceeds the cap {cap}")]
        InitialSupplyOverCap { supply: Uint128, cap: Uint128 },

        #[error("cap must be greater than zero")]
        ZeroCap {},

        #[error("{sender} is not a minter")]
        NotMinter { sender: String },

        #[error("mint of {amount} exceeds the remaining mint allowance {allowance} of {minter}")]
        MintAllowanceExceeded {
            minter: String,
            allowance: Uint128,
            amount: Uint128,
        },

        #[error("mint of {amount} would take cumulative minting from {minted} past the cap {cap}")]
        CapExceeded {
            cap: Uint128,
            minted: Uint128,
            amount: Uint128,
        },

        #[error("allowance of {spender} would overflow")]
        AllowanceOverflow { spender: String },
    }
}

/// What entry points and handlers return.
pub type ContractResult<T = cosmwasm_std::Response> = Result<T, ContractError>;
