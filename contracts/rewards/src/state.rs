use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal256, Uint128};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::rewards::{AppPool, ComputePool, Config, PatientPool, Verifier};

/// Patient attestations older than this are refused.
pub const MAX_ATTESTATION_AGE: u64 = 30 * 86_400;
/// Largest units of work in one report (keeps weights far from Decimal256 limits).
pub const MAX_UNITS: u128 = 1_000_000_000_000;

#[cw_serde]
#[derive(Default)]
pub struct NodeAcc {
    /// Epoch of `w_full`/`w_half`.
    pub epoch: u64,
    pub w_full: Decimal256,
    /// Weight earned below the pledge requirement (paid at 50 %).
    pub w_half: Decimal256,
    /// Earned, not claimed (fractions carried).
    pub pending: Decimal256,
    pub claimed: Uint128,
}

#[cw_serde]
#[derive(Default)]
pub struct Developer {
    pub weight: Uint128,
    pub snapshot: Decimal256,
    pub pending: Decimal256,
    pub claimed: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const COMPUTE: Item<ComputePool> = Item::new("compute");
pub const EPOCH_RATE: Map<u64, Decimal256> = Map::new("epoch_rate");
pub const NODES: Map<&Addr, NodeAcc> = Map::new("nodes");
pub const APP: Item<AppPool> = Item::new("app");
pub const DEVELOPERS: Map<&Addr, Developer> = Map::new("developers");
pub const VERIFIERS: Map<&[u8], Verifier> = Map::new("verifiers");
pub const PATIENT: Item<PatientPool> = Item::new("patient");
/// Rewarded activity ids -> block height.
pub const ACTIVITIES: Map<&str, u64> = Map::new("activities");
/// (patient, day) -> BTT paid that day.
pub const PATIENT_DAY: Map<(&Addr, u64), Uint128> = Map::new("patient_day");
