use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal256, Uint128};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::rewards::{
    AppPool, ComputePool, Config, PatientPool, PendingWork, ServedWork, Verifier, WorkStatus,
};

/// Patient attestations older than this are refused.
pub const MAX_ATTESTATION_AGE: u64 = 30 * 86_400;

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
    /// Units reported in `epoch` (bounded by capacity x `max_units_per_t`; records stored before
    /// it read 0).
    #[serde(default)]
    pub epoch_units: Uint128,
    /// Escrow fees of the work counted in `epoch`: the epoch's reward is at most
    /// `max_btk_per_fee` times this (ADR 007).
    #[serde(default)]
    pub epoch_fees: Uint128,
    /// Epochs of work the unit bound of `epoch` covers: set by the node's first report counted
    /// in `epoch` to the epochs since its previous report (a late close brings two epochs' jobs
    /// at once), at most `MAX_REPORT_SPAN`; later reports in `epoch` share that bound (0, in
    /// records stored before it, reads as 1).
    #[serde(default)]
    pub epoch_span: u64,
    /// The node's [`ServedWork`] as of its last report: the next report counts only what was
    /// served since.
    #[serde(default)]
    pub reported: ServedWork,
    /// The epoch whose weight a re-execution proof forfeited (ADR 007, decision 6): work
    /// counted in it credits nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forfeited: Option<u64>,
}

/// What a closed epoch still owes: its nodes' weight not yet settled and the credit reserved for
/// it. Each settlement takes its weight and its (floored) credit; when the weight reaches zero
/// the credit left is the rounding dust, which goes back to the pool's `remainder`.
#[cw_serde]
pub struct EpochClose {
    pub rate: Decimal256,
    pub weight_left: Decimal256,
    pub credit_left: Decimal256,
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
/// Rates of epochs closed before `EPOCH_CLOSE` existed (read only, for nodes not yet settled).
pub const EPOCH_RATE: Map<u64, Decimal256> = Map::new("epoch_rate");
/// A closed epoch with a non-zero rate, until every node with weight in it has settled.
pub const EPOCH_CLOSE: Map<u64, EpochClose> = Map::new("epoch_close");
pub const NODES: Map<&Addr, NodeAcc> = Map::new("nodes");
/// Last work report id.
pub const WORK_SEQ: Item<u64> = Item::new("work_seq");
/// Work reports in their challenge window or disputed (removed once they count or are dropped).
pub const PENDING_WORK: Map<u64, PendingWork> = Map::new("pending_work");
/// What the escrow counted as served, per node (ADR 007).
pub const SERVED: Map<&Addr, ServedWork> = Map::new("served");
pub const APP: Item<AppPool> = Item::new("app");
pub const DEVELOPERS: Map<&Addr, Developer> = Map::new("developers");
pub const VERIFIERS: Map<&[u8], Verifier> = Map::new("verifiers");
pub const PATIENT: Item<PatientPool> = Item::new("patient");
/// Rewarded activity ids -> block height.
pub const ACTIVITIES: Map<&str, u64> = Map::new("activities");
/// (patient, day) -> BTT paid that day.
pub const PATIENT_DAY: Map<(&Addr, u64), Uint128> = Map::new("patient_day");

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Storage;

    /// Pools stored before issue #20 (no `remainder`, integer `allocated`) still load after
    /// `migrate`, with a zero remainder.
    #[test]
    fn pools_stored_by_older_versions_load() {
        let mut store = MockStorage::new();
        store.set(
            b"compute",
            br#"{"epoch":3,"epoch_weight":"2.5","undistributed":"1","recycle":"0.5","funded":"10","allocated":"9","recycled":"0","paid":"9"}"#,
        );
        store.set(
            b"app",
            br#"{"total_weight":"3","acc":"3.333333333333333333","undistributed":"1","funded":"10","paid":"9"}"#,
        );
        let c = COMPUTE.load(&store).unwrap();
        assert_eq!(c.allocated, Decimal256::from_ratio(9u8, 1u8));
        assert_eq!(c.remainder, Decimal256::zero());
        let a = APP.load(&store).unwrap();
        assert_eq!(a.remainder, Decimal256::zero());
        assert_eq!(a.undistributed, Uint128::one());
    }

    /// Node records and configs stored before #20 (no `epoch_units`, no `max_units_per_t`) load
    /// with 0 units reported and the default bound.
    #[test]
    fn node_records_and_config_stored_before_the_units_bound_load() {
        let mut store = MockStorage::new();
        let node = Addr::unchecked("node");
        let key = NODES.key(&node);
        store.set(
            &key,
            br#"{"epoch":3,"w_full":"1","w_half":"0","pending":"0","claimed":"0"}"#,
        );
        let acc = NODES.load(&store, &node).unwrap();
        assert_eq!(acc.epoch_units, Uint128::zero());
        store.set(
            b"config",
            br#"{"governance":"g","btk":"b","btt":"t","staking":"s","vesting":"v","reporter":"r","genesis":0,"epoch_seconds":1,"patient_daily_cap":"1"}"#,
        );
        let c = CONFIG.load(&store).unwrap();
        assert_eq!(
            c.max_units_per_t,
            Uint128::new(bithive_interface::rewards::DEFAULT_MAX_UNITS_PER_T)
        );
    }
}
