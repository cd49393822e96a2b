use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Empty, Timestamp, Uint128};
use cw_storage_plus::{Item, Map};

use crate::coding::PaymentCoding;

pub use bithive_cw_common::funds::{AssetInfo, CW20_ALLOWLIST};

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    /// Platform fee in basis points, taken from every payout to a payee or node.
    pub fee_bps: u16,
    pub fee_collector: Addr,
}

#[cw_serde]
pub struct Milestone {
    pub amount: Uint128,
    pub released: bool,
}

#[cw_serde]
pub enum EscrowStatus {
    Open,
    /// Frozen until the arbiter resolves it.
    Disputed,
    Closed,
}

#[cw_serde]
pub struct Escrow {
    pub id: u64,
    pub payer: Addr,
    pub payee: Addr,
    pub arbiter: Option<Addr>,
    pub asset: AssetInfo,
    pub total: Uint128,
    pub milestones: Vec<Milestone>,
    pub expires_at: Timestamp,
    /// Fee rate fixed at creation, so a later config change cannot touch existing escrows.
    pub fee_bps: u16,
    pub status: EscrowStatus,
    pub paid_to_payee: Uint128,
    pub fees_paid: Uint128,
    pub refunded: Uint128,
    pub coding: PaymentCoding,
    pub created_at: Timestamp,
}

#[cw_serde]
pub struct Channel {
    pub id: u64,
    pub payer: Addr,
    pub payee: Addr,
    /// Compressed secp256k1 key that signs vouchers.
    pub pubkey: Binary,
    pub asset: AssetInfo,
    pub deposit: Uint128,
    /// Highest cumulative voucher amount redeemed so far (gross, fee included).
    pub redeemed: Uint128,
    pub fee_bps: u16,
    pub challenge_period_secs: u64,
    pub close_requested_at: Option<Timestamp>,
    pub closed: bool,
    pub paid_to_payee: Uint128,
    pub fees_paid: Uint128,
    pub refunded: Uint128,
}

#[cw_serde]
pub enum JobStatus {
    Open,
    Paid { node: Addr },
    Refunded,
}

#[cw_serde]
pub struct Job {
    pub job_id: String,
    /// The job spec the node executes (see `CreateJobMsg`).
    pub model: String,
    pub input: Binary,
    /// sha256 of `input`, lowercase hex (the `input_hash` event attribute).
    pub input_hash: String,
    pub payer: Addr,
    pub asset: AssetInfo,
    pub amount: Uint128,
    pub fee_bps: u16,
    pub expires_at: Timestamp,
    pub status: JobStatus,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const REPORTERS: Map<&Addr, Empty> = Map::new("reporters");

pub const ESCROW_SEQ: Item<u64> = Item::new("escrow_seq");
pub const ESCROWS: Map<u64, Escrow> = Map::new("escrows");
pub const ESCROWS_BY_PAYER: Map<(&Addr, u64), Empty> = Map::new("escrows_payer");
pub const ESCROWS_BY_PAYEE: Map<(&Addr, u64), Empty> = Map::new("escrows_payee");
pub const ESCROWS_BY_REF: Map<(&str, u64), Empty> = Map::new("escrows_ref");

pub const CHANNEL_SEQ: Item<u64> = Item::new("channel_seq");
pub const CHANNELS: Map<u64, Channel> = Map::new("channels");

pub const JOBS: Map<&str, Job> = Map::new("jobs");
