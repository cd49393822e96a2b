use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// The BTK cw20; this contract must be one of its minters.
    pub token: String,
    /// Unix seconds of emission start; default: the instantiation block time.
    pub genesis: Option<u64>,
    /// Rewards contract receiving the 75 % compute share (cw20 Send hook `fund_compute_pool`).
    pub compute_pool: String,
    /// Rewards contract receiving the 15 % application share (hook `fund_app_pool`).
    pub app_pool: String,
    /// Vesting contract holding the foundation and operations shares.
    pub vesting: String,
    /// Beneficiary of the 5 % science foundation share.
    pub foundation: String,
    /// Beneficiary of the 5 % operations share.
    pub operations: String,
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Permissionless: mint what is due since the last call and hand it out.
    Distribute {},
    /// Owner: change where the shares go.
    UpdateConfig {
        compute_pool: Option<String>,
        app_pool: Option<String>,
        vesting: Option<String>,
        foundation: Option<String>,
        operations: Option<String>,
    },
}

/// cw20 Send hooks of the rewards contract (same JSON as `bithive_rewards::msg::ReceiveMsg`).
#[cw_serde]
pub enum PoolHook {
    FundComputePool {},
    FundAppPool {},
}

pub use crate::MigrateMsg;

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(StatusResponse)]
    Status {},
    /// Cumulative emission due `elapsed` seconds after genesis.
    #[returns(Uint128)]
    DueAt { elapsed: u64 },
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: String,
    pub token: String,
    pub genesis: u64,
    pub compute_pool: String,
    pub app_pool: String,
    pub vesting: String,
    pub foundation: String,
    pub operations: String,
}

#[cw_serde]
pub struct StatusResponse {
    pub now: u64,
    pub halvings: u64,
    /// Base units per day at `now`.
    pub daily_rate: Uint128,
    /// Cumulative emission due at `now`.
    pub due_now: Uint128,
    /// Cumulative due amount accounted at the last distribution.
    pub accounted: Uint128,
    /// Everything minted so far (never above the cap).
    pub minted: Uint128,
    /// Foundation and operations shares minted but not yet put into vesting (flushed daily).
    pub pending_foundation: Uint128,
    pub pending_operations: Uint128,
    pub cap: Uint128,
}

crate::helpers::events! {
    actions: [
        DISTRIBUTE,
        INSTANTIATE,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
    ],
    attributes: [
        APP,
        COMPUTE,
        DUE,
        FOUNDATION,
        GENESIS,
        MINTED,
        OPERATIONS,
        OWNER,
        VESTED,
        PENDING_EXPIRY,
        PENDING_OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the emission contract.
    EmissionContract,
    ExecuteMsg,
    QueryMsg
);
