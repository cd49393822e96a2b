use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Uint128};
use cw20::Cw20ReceiveMsg;
use cw721::receiver::Cw721ReceiveMsg;

pub use bithive_asset_shares::msg::ShareHookMsg;

use crate::state::{AssetInfo, Vault};

#[cw_serde]
pub struct InstantiateMsg {
    pub admin: Option<String>,
    /// Code id of `asset-shares`, instantiated once per locked asset.
    pub share_code_id: u64,
    /// cw721 contracts whose NFTs may be locked.
    pub nft_contracts: Vec<String>,
    /// cw20 tokens accepted for revenue and buyouts.
    pub cw20_allowlist: Vec<String>,
}

/// Attached to `send_nft` when locking an NFT.
#[cw_serde]
pub struct FractionalizeMsg {
    pub shares: Uint128,
    pub share_name: String,
    pub share_symbol: String,
    pub decimals: u8,
    /// Anyone paying at least this takes the NFT; shares then redeem the proceeds pro rata.
    pub reserve_price: Price,
}

#[cw_serde]
pub struct Price {
    pub asset: AssetInfo,
    pub amount: Uint128,
}

/// Attached to a cw20 `send` to this contract.
#[cw_serde]
pub enum ReceiveMsg {
    /// From an allowlisted cw20: revenue for the vault's share holders.
    DepositRevenue { vault_id: u64 },
    /// From the reserve-price cw20: buy the NFT.
    Buyout { vault_id: u64 },
    /// From a vault's share token, after a buyout: burn these shares for proceeds.
    Redeem {},
    /// From a vault's share token, with the whole supply: burn it and take the NFT back.
    Reunify {},
}

#[cw_serde]
pub enum ExecuteMsg {
    /// cw721 hook: lock the NFT (msg = `FractionalizeMsg`).
    ReceiveNft(Cw721ReceiveMsg),
    /// cw20 hook (msg = `ReceiveMsg`).
    Receive(Cw20ReceiveMsg),
    /// Balance-change notification from a vault's share token.
    ShareHook(ShareHookMsg),
    /// Native revenue (any bank denom, including `ibc/...`) attached as funds.
    DepositRevenue { vault_id: u64 },
    /// Native buyout payment attached as funds.
    Buyout { vault_id: u64 },
    /// Pay out the sender's accrued revenue of a vault, every denom.
    Claim { vault_id: u64 },
    UpdateConfig {
        admin: Option<String>,
        share_code_id: Option<u64>,
        add_nft_contracts: Vec<String>,
        remove_nft_contracts: Vec<String>,
        add_cw20: Vec<String>,
        remove_cw20: Vec<String>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(Vault)]
    Vault { vault_id: u64 },
    #[returns(VaultsResponse)]
    Vaults {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Vault)]
    VaultByShareToken { share_token: String },
    #[returns(PoolsResponse)]
    Pools { vault_id: u64 },
    /// Revenue the holder could claim now, per denom.
    #[returns(ClaimableResponse)]
    Claimable { vault_id: u64, holder: String },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub admin: Addr,
    pub share_code_id: u64,
    pub nft_contracts: Vec<Addr>,
    pub cw20_allowlist: Vec<Addr>,
}

#[cw_serde]
pub struct VaultsResponse {
    pub vaults: Vec<Vault>,
}

#[cw_serde]
pub struct PoolInfo {
    pub asset: AssetInfo,
    pub deposited: Uint128,
    pub claimed: Uint128,
}

#[cw_serde]
pub struct PoolsResponse {
    pub pools: Vec<PoolInfo>,
}

#[cw_serde]
pub struct ClaimableResponse {
    pub claimable: Vec<(AssetInfo, Uint128)>,
}
