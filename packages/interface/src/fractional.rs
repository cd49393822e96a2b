use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Uint128};
use cw20::Cw20ReceiveMsg;
use cw721::receiver::Cw721ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

pub use crate::asset_shares::ShareHookMsg;

pub use bithive_cw_common::funds::AssetInfo;

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
    /// The assets this vault accepts as revenue, fixed here for the vault's life (at most 8,
    /// distinct; native denoms valid, cw20s allowlisted). Empty: the reserve-price asset only.
    /// Deposits of any other asset are refused (`RevenueAssetNotAccepted`), so nobody can fill
    /// the vault's asset slots with junk denoms.
    #[serde(default)]
    pub revenue_assets: Vec<AssetInfo>,
}

#[cw_serde]
pub struct Price {
    pub asset: AssetInfo,
    pub amount: Uint128,
}

/// Attached to a cw20 `send` to this contract.
#[cw_serde]
pub enum ReceiveMsg {
    /// From an allowlisted cw20 that is one of the vault's revenue assets: revenue for the
    /// vault's share holders.
    DepositRevenue { vault_id: u64 },
    /// From the reserve-price cw20: buy the NFT.
    Buyout { vault_id: u64 },
    /// From a vault's share token, after a buyout: burn these shares for proceeds.
    Redeem {},
    /// From a vault's share token, with the whole supply: burn it and take the NFT back.
    Reunify {},
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// cw721 hook: lock the NFT (msg = `FractionalizeMsg`).
    ReceiveNft(Cw721ReceiveMsg),
    /// cw20 hook (msg = `ReceiveMsg`).
    Receive(Cw20ReceiveMsg),
    /// Balance-change notification from a vault's share token.
    ShareHook(ShareHookMsg),
    /// Native revenue attached as funds: only the vault's revenue assets (fixed at lock).
    DepositRevenue { vault_id: u64 },
    /// Native buyout payment attached as funds.
    Buyout { vault_id: u64 },
    /// Pay out the sender's accrued revenue of a vault, every denom.
    Claim { vault_id: u64 },
    UpdateConfig {
        share_code_id: Option<u64>,
        add_nft_contracts: Vec<String>,
        remove_nft_contracts: Vec<String>,
        add_cw20: Vec<String>,
        remove_cw20: Vec<String>,
    },
}

#[cw_ownable_query]
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

pub use crate::MigrateMsg;

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
    /// Revenue assets accepted by this vault, fixed at lock (at most 8).
    pub revenue_assets: Vec<AssetInfo>,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub share_code_id: u64,
}

crate::helpers::events! {
    actions: [
        BUYOUT,
        CLAIM,
        DEPOSIT_REVENUE,
        FRACTIONALIZE,
        INSTANTIATE,
        REDEEM,
        REUNIFY,
        SHARE_HOOK,
        SHARE_TOKEN_CREATED,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
    ],
    attributes: [
        ADMIN,
        AMOUNT,
        ASSET,
        BUYER,
        DEPOSITOR,
        HOLDER,
        NFT_CONTRACT,
        PAYOUT,
        PRICE,
        SHARE_TOKEN,
        SHARES,
        TOKEN_ID,
        VAULT_ID,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the fractional vault contract.
    FractionalContract,
    ExecuteMsg,
    QueryMsg
);
