//! Storage. cw721's own `Cw721Config` (tokens, owner index, operators) holds ownership; the maps
//! here hold what the asset layer adds, keyed by token id.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Empty, HexBinary, Timestamp, Uint128};
use cw_storage_plus::{Item, Map};

use crate::msg::ValuationParams;

#[cw_serde]
pub enum AssetClass {
    MedicalEquipment,
    ComputeResource,
    DataAndIp,
    ServiceDeliveryRights,
}

#[cw_serde]
pub enum ComplianceMarker {
    /// Transfers (and mint) only to holders the compliance officer approved for the jurisdiction.
    ApprovedHoldersOnly,
    MedicalDeviceRegulated,
    DataProtectionRegulated,
    ExportControlled,
}

#[cw_serde]
pub struct Jurisdiction {
    /// Upper-case code, e.g. "US", "EU", "DE-BY" (2..=8 of A-Z, 0-9, '-').
    pub code: String,
    pub markers: Vec<ComplianceMarker>,
}

#[cw_serde]
pub struct Certification {
    /// e.g. "ISO13485", "CE-MDR" (1..=32 of A-Z a-z 0-9 '-' '.' '_').
    pub standard: String,
    pub issuer: String,
    pub certificate_id: String,
    pub expires_at: Timestamp,
}

#[cw_serde]
pub struct DigitalTwin {
    pub device_pubkey: Option<Binary>,
    pub state_hash: Option<HexBinary>,
    /// Last accepted nonce; the next update must carry `nonce + 1`.
    pub nonce: u64,
    pub updated_at: Option<Timestamp>,
}

#[cw_serde]
pub struct AssetMetadata {
    pub class: AssetClass,
    pub description_uri: String,
    pub content_hash: HexBinary,
    pub jurisdictions: Vec<Jurisdiction>,
    pub certifications: Vec<Certification>,
    pub twin: DigitalTwin,
}

#[cw_serde]
pub struct ValuationEntry {
    pub seq: u64,
    pub valuer: Addr,
    pub value: Uint128,
    pub submitted_at: Timestamp,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub compliance_officer: Addr,
    pub valuation: ValuationParams,
}

pub const CONFIG: Item<Config> = Item::new("asset_config");
pub const ASSETS: Map<&str, AssetMetadata> = Map::new("asset_meta");
/// Token ids ever minted; a burned id is never reused (its valuation history stays).
pub const USED_IDS: Map<&str, Empty> = Map::new("asset_used_ids");
pub const VALUERS: Map<&Addr, Empty> = Map::new("asset_valuers");
/// (jurisdiction code, holder) -> approved.
pub const APPROVED_HOLDERS: Map<(&str, &Addr), Empty> = Map::new("asset_holders");
/// (token id, seq) -> submission; seq grows per token.
pub const VALUATIONS: Map<(&str, u64), ValuationEntry> = Map::new("asset_valuations");
pub const VALUATION_SEQ: Map<&str, u64> = Map::new("asset_valuation_seq");
