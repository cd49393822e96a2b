use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Uint128};
use cw20::{Cw20Coin, Expiration, Logo};
pub use cw20_base::msg::InstantiateMarketingInfo;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

/// A minter and how much it may mint (its mint allowance).
#[cw_serde]
pub struct MinterAllowance {
    pub minter: String,
    pub allowance: Uint128,
}

#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub initial_balances: Vec<Cw20Coin>,
    /// Manages minters and allowances; two-step transfer. Defaults to the instantiator.
    pub owner: Option<String>,
    /// Bound on cumulative minting, initial balances included. `None`: uncapped.
    pub cap: Option<Uint128>,
    pub minters: Vec<MinterAllowance>,
    pub marketing: Option<InstantiateMarketingInfo>,
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Move tokens to another account.
    Transfer {
        recipient: String,
        amount: Uint128,
    },
    /// Destroy tokens of the sender. Does not free cap.
    Burn {
        amount: Uint128,
    },
    /// Move tokens to a contract and call its `Receive(Cw20ReceiveMsg)` hook.
    Send {
        contract: String,
        amount: Uint128,
        msg: Binary,
    },
    IncreaseAllowance {
        spender: String,
        amount: Uint128,
        expires: Option<Expiration>,
    },
    DecreaseAllowance {
        spender: String,
        amount: Uint128,
        expires: Option<Expiration>,
    },
    TransferFrom {
        owner: String,
        recipient: String,
        amount: Uint128,
    },
    SendFrom {
        owner: String,
        contract: String,
        amount: Uint128,
        msg: Binary,
    },
    BurnFrom {
        owner: String,
        amount: Uint128,
    },
    /// Mint new tokens: sender must be a minter with enough allowance, within the cap.
    Mint {
        recipient: String,
        amount: Uint128,
    },
    /// Owner only: register a minter or replace its allowance.
    SetMinter {
        minter: String,
        allowance: Uint128,
    },
    /// Owner only: deregister a minter.
    RemoveMinter {
        minter: String,
    },
    UpdateMarketing {
        project: Option<String>,
        description: Option<String>,
        marketing: Option<String>,
    },
    UploadLogo(Logo),
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(cw20::BalanceResponse)]
    Balance { address: String },
    #[returns(cw20::TokenInfoResponse)]
    TokenInfo {},
    /// cw20 compatibility: the minting authority (the owner) and the cap. `None` once the owner
    /// renounced ownership.
    #[returns(Option<cw20::MinterResponse>)]
    Minter {},
    #[returns(cw20::AllowanceResponse)]
    Allowance { owner: String, spender: String },
    #[returns(cw20::AllAllowancesResponse)]
    AllAllowances {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::AllSpenderAllowancesResponse)]
    AllSpenderAllowances {
        spender: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::AllAccountsResponse)]
    AllAccounts {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw20::MarketingInfoResponse)]
    MarketingInfo {},
    #[returns(cw20::DownloadLogoResponse)]
    DownloadLogo {},
    /// Cap, cumulative minted and what remains mintable.
    #[returns(MintInfoResponse)]
    MintInfo {},
    #[returns(MinterAllowance)]
    MinterAllowance { minter: String },
    #[returns(MintersResponse)]
    Minters {
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct MintInfoResponse {
    pub cap: Option<Uint128>,
    pub minted: Uint128,
    /// `cap - minted`, or `None` when uncapped.
    pub remaining: Option<Uint128>,
}

#[cw_serde]
pub struct MintersResponse {
    pub minters: Vec<MinterAllowance>,
}

pub use crate::MigrateMsg;

/// The `wasm` event attributes this contract emits: the `action` values and the attribute keys.
/// Contracts emit them with these constants and readers match on the same ones; the contract
/// README's "Events" section lists them (checked by `tests/readme_events.rs`).
pub mod events {
    pub use crate::ACTION;
    pub use bithive_cw_common::migrate::event::MIGRATE;

    crate::helpers::event_names! {
        /// Every `action` value in this module, `MIGRATE` included.
        ACTIONS = [MIGRATE];
        INSTANTIATE,
        MINT,
        REMOVE_MINTER,
        SET_MINTER,
        UPDATE_OWNERSHIP,

        // Emitted by cw20-base for the standard cw20 messages this token forwards to it.
        BURN,
        BURN_FROM,
        DECREASE_ALLOWANCE,
        INCREASE_ALLOWANCE,
        SEND,
        SEND_FROM,
        TRANSFER,
        TRANSFER_FROM,
    }

    /// Attribute keys.
    pub mod attr {
        crate::helpers::event_names! {
            /// Every attribute key in this module.
            ATTRIBUTES = [];
            ALLOWANCE,
            AMOUNT,
            CAP,
            FROM_VERSION,
            INITIAL_SUPPLY,
            MINTER,
            MINTER_ALLOWANCE,
            MINTERS,
            OWNER,
            TO,
            TO_VERSION,

            // Emitted by cw20-base (standard cw20 messages) and cw-ownable (`update_ownership`).
            BY,
            FROM,
            PENDING_EXPIRY,
            PENDING_OWNER,
            SPENDER,
        }
    }
}

crate::helpers::contract_helper!(
    /// Address of the BTK/BTT cw20 (cw20 messages plus minter management).
    TokenContract,
    ExecuteMsg,
    QueryMsg
);
