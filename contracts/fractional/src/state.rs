use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Uint128, Uint256};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::fractional::{Config, Vault, VaultStatus};

pub use bithive_cw_common::funds::{AssetInfo, CW20_ALLOWLIST};

/// Per vault and revenue asset: the accumulator (revenue per share, scaled by `SCALE`).
#[cw_serde]
#[derive(Default)]
pub struct Pool {
    pub acc_per_share: Uint256,
    /// Scaled revenue not yet spread (the remainder of integer division), spread next deposit.
    pub carry: Uint256,
    pub deposited: Uint128,
    pub claimed: Uint128,
}

/// Per vault, asset and holder: accumulator value at the last settlement and the scaled
/// revenue earned but not yet claimed.
#[cw_serde]
#[derive(Default)]
pub struct HolderAccrual {
    pub acc_snapshot: Uint256,
    pub pending: Uint256,
}

pub const SCALE: u128 = 1_000_000_000_000_000_000;
pub const MAX_REVENUE_ASSETS: usize = 8;

pub const CONFIG: Item<Config> = Item::new("config");
pub const NFT_CONTRACTS: Map<&Addr, Empty> = Map::new("nft_contracts");
pub const VAULT_SEQ: Item<u64> = Item::new("vault_seq");
pub const VAULTS: Map<u64, Vault> = Map::new("vaults");
pub const SHARE_TOKENS: Map<&Addr, u64> = Map::new("share_tokens");
pub const POOLS: Map<(u64, &str), Pool> = Map::new("pools");
pub const ACCRUALS: Map<(u64, &str, &Addr), HolderAccrual> = Map::new("accruals");
