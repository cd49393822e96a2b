use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::Item;

/// Foundation and operations shares go into vesting at most once per this period, so that calling
/// `distribute` every block does not create a schedule every block.
pub const VESTING_FLUSH_SECONDS: u64 = 86_400;

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub token: Addr,
    pub genesis: u64,
    pub compute_pool: Addr,
    pub app_pool: Addr,
    pub vesting: Addr,
    pub foundation: Addr,
    pub operations: Addr,
}

#[cw_serde]
#[derive(Default)]
pub struct State {
    /// due(t) of the last distribution: the next one hands out the split of due(now) minus this.
    pub accounted: Uint128,
    pub minted: Uint128,
    pub pending_foundation: Uint128,
    pub pending_operations: Uint128,
    pub last_flush: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const STATE: Item<State> = Item::new("state");
