use cosmwasm_std::{Addr, Empty};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::payfi_escrow::{
    Channel, Config, Escrow, EscrowStatus, Job, JobModel, JobStatus, Milestone, NodeOutcomes,
};

pub use bithive_cw_common::funds::{AssetInfo, CW20_ALLOWLIST};

pub const CONFIG: Item<Config> = Item::new("config");
pub const REPORTERS: Map<&Addr, Empty> = Map::new("reporters");
/// Jobs their bound node accepted (`claim_job`): only these count against it when they expire.
pub const ACCEPTED: Map<&str, Empty> = Map::new("job_accepted");
/// node -> its accepted jobs still open (not reported, not refunded): bounded by its capacity
/// (`OPEN_CLAIMS_PER_T` per T), so no node can hoard the unbound jobs.
pub const OPEN_CLAIMS: Map<&Addr, u32> = Map::new("open_claims");
/// job id -> present while the job holds one of its node's `OPEN_CLAIMS` slots: only a job
/// counted there gives one back (jobs accepted before the count never do).
pub const CLAIM_SLOTS: Map<&str, Empty> = Map::new("claim_slots");
/// Settled jobs by the node they were bound to (`NodeOutcomes`).
pub const NODE_OUTCOMES: Map<&Addr, NodeOutcomes> = Map::new("node_outcomes");

pub const ESCROW_SEQ: Item<u64> = Item::new("escrow_seq");
pub const ESCROWS: Map<u64, Escrow> = Map::new("escrows");
pub const ESCROWS_BY_PAYER: Map<(&Addr, u64), Empty> = Map::new("escrows_payer");
pub const ESCROWS_BY_PAYEE: Map<(&Addr, u64), Empty> = Map::new("escrows_payee");
pub const ESCROWS_BY_REF: Map<(&str, u64), Empty> = Map::new("escrows_ref");

pub const CHANNEL_SEQ: Item<u64> = Item::new("channel_seq");
pub const CHANNELS: Map<u64, Channel> = Map::new("channels");
/// The last channel opened before the escrow took the v2 voucher text (which names the payee
/// and the asset): channels up to it still redeem wallet vouchers of the v1 text, which their
/// payers may have signed already. 0 in an escrow instantiated with v2; set once, by the
/// migration from an escrow that had no v2.
pub const ADR36_V1_UNTIL: Item<u64> = Item::new("adr36_v1_until");

pub const JOBS: Map<&str, Job> = Map::new("jobs");
/// job id -> its registered model snapshot (jobs created with a model registry configured).
pub const JOB_MODELS: Map<&str, JobModel> = Map::new("job_models");
