//! Storage. cw721's own `Cw721Config` (tokens, owner index, operators) holds ownership; the maps
//! here hold what the asset layer adds, keyed by token id.

use cosmwasm_std::{Addr, Empty};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::asset_nft::{
    AssetClass, AssetMetadata, Certification, ComplianceMarker, Config, DigitalTwin, Jurisdiction,
    ValuationEntry,
};

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
/// (token id, valuer) -> seq of the valuer's latest submission for the token: the median reads
/// one entry per valuer, however many one valuer submits (issue #43). Tokens valued before it
/// existed are indexed at their next submission.
pub const LATEST_VALUATIONS: Map<(&str, &Addr), u64> = Map::new("asset_valuation_latest");
