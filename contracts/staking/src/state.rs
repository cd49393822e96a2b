use bithive_signed_attestation::PubKey33;
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::staking::{Claim, Config, Lot, Member, Totals, PLEDGE_PER_T};

use crate::msg::Tier;

/// Bond lots kept per node; a top-up beyond this merges into the newest lot (re-locking it).
pub const MAX_LOTS: usize = 16;
/// Largest attestor set.
pub const MAX_ATTESTORS: u32 = 100;
/// Largest sliding window, in epochs (bounds the reads per node in a scan).
pub const MAX_WINDOW: u32 = 16;
/// Most nodes one `advance_attestor_set` call scans.
pub const MAX_SCAN: u32 = 200;

#[cw_serde]
pub struct Node {
    pub capacity_t: u32,
    pub tier: Tier,
    pub operator_key: PubKey33,
    pub lots: Vec<Lot>,
    pub claims: Vec<Claim>,
    pub compliance: Decimal,
    pub registered_at: u64,
    pub slashed: Uint128,
}

impl Node {
    pub fn bonded(&self) -> Uint128 {
        self.lots.iter().map(|l| l.amount).sum()
    }

    pub fn unbonding(&self) -> Uint128 {
        self.claims.iter().map(|c| c.amount).sum()
    }
}

#[cw_serde]
pub struct AttestorSet {
    pub epoch: u64,
    pub members: Vec<Member>,
}

/// An attestor-set computation in progress (spread over several bounded calls).
#[cw_serde]
pub struct Scan {
    pub epoch: u64,
    pub cursor: Option<Addr>,
    pub top: Vec<Member>,
    pub scanned: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// Where each node answers availability probes (`set_endpoint`); apart from `Node`, so nodes
/// stored before it need no migration.
pub const ENDPOINTS: Map<&Addr, String> = Map::new("endpoints");
pub const NODES: Map<&Addr, Node> = Map::new("nodes");
/// Exactly the nodes whose bonded amount was at least `min_bond` at their last bond change: the
/// only nodes the attestor crank scans, so free registrations cannot slow it down.
pub const BONDED: Map<&Addr, ()> = Map::new("bonded");
pub const OPERATOR_KEYS: Map<&[u8], Addr> = Map::new("operator_keys");
pub const TOTALS: Item<Totals> = Item::new("totals");
/// Set once the bonded-node index has been built (at instantiation since #20, by `migrate` for
/// older contracts): `migrate` walks the registrations only when it is missing, so no number
/// of free registrations can make an upgrade run out of gas (issue #43).
pub const INDEX_BUILT: Item<cosmwasm_std::Empty> = Item::new("bonded_index_built");
pub const NODE_WORK: Map<(&Addr, u64), Uint128> = Map::new("node_work");
pub const EPOCH_WORK: Map<u64, Uint128> = Map::new("epoch_work");
/// Job keys of fraud evidence already used -> block height.
pub const USED_EVIDENCE: Map<&[u8], u64> = Map::new("used_evidence");
pub const SCAN: Item<Scan> = Item::new("scan");
pub const ATTESTORS: Item<AttestorSet> = Item::new("attestors");
