use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};

use crate::curve::Curve;
use crate::msg::Asset;

/// Largest batch of schedules created, claimed or distributed in one message.
pub const MAX_BATCH: usize = 50;
/// Largest cw20 allowlist.
pub const MAX_ALLOWLIST: usize = 32;

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub cw20_allowlist: Vec<Addr>,
}

#[cw_serde]
pub struct Schedule {
    pub beneficiary: Addr,
    pub revoker: Option<Addr>,
    pub asset: Asset,
    pub amount: Uint128,
    pub cap: Uint128,
    pub released: Uint128,
    pub curve: Curve,
    pub revoked_at: Option<u64>,
}

impl Schedule {
    pub fn vested(&self, t: u64) -> Uint128 {
        self.curve.vested(self.amount, t).min(self.cap)
    }

    pub fn claimable(&self, t: u64) -> Uint128 {
        self.vested(t).saturating_sub(self.released)
    }
}

#[cw_serde]
#[derive(Default)]
pub struct Totals {
    pub funded: Uint128,
    pub released: Uint128,
    pub returned: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const NEXT_ID: Item<u64> = Item::new("next_id");
pub const SCHEDULES: Map<u64, Schedule> = Map::new("schedules");
pub const BY_BENEFICIARY: Map<(&Addr, u64), ()> = Map::new("by_beneficiary");
pub const TOTALS: Map<&str, Totals> = Map::new("totals");
