use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Uint128, Uint256};
use cw_storage_plus::{Item, Map};

pub use bithive_cw_common::funds::{AssetInfo, CW20_ALLOWLIST};

#[cw_serde]
pub enum VaultStatus {
    /// Share token being instantiated (within the locking transaction only).
    Pending,
    Active,
    BoughtOut {
        buyer: Addr,
    },
    Reunified {
        holder: Addr,
    },
}

#[cw_serde]
pub struct Vault {
    pub id: u64,
    pub nft_contract: Addr,
    pub token_id: String,
    pub depositor: Addr,
    pub share_token: Option<Addr>,
    pub total_shares: Uint128,
    pub reserve_asset: AssetInfo,
    pub reserve_amount: Uint128,
    pub status: VaultStatus,
    /// Buyout proceeds not yet redeemed, and the shares still able to redeem them.
    pub proceeds_remaining: Uint128,
    pub shares_outstanding: Uint128,
    /// Revenue assets seen so far (bounded by `MAX_REVENUE_ASSETS`).
    pub revenue_assets: Vec<AssetInfo>,
}

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

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub share_code_id: u64,
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
