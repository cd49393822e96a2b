//! The Cosmos chain registry's `chain.json` and `assetlist.json` (github.com/cosmos/chain-registry,
//! `chain.schema.json` and `assetlist.schema.json`): the subset a CosmWasm chain with cw20
//! tokens fills. Field names are the schemas'; every optional field left empty is left out.
use serde::{Deserialize, Serialize};

/// `$schema` of a `chain.json` placed at `<registry>/<chain_name>/chain.json`.
pub const CHAIN_SCHEMA: &str = "../chain.schema.json";
/// `$schema` of an `assetlist.json` placed beside it.
pub const ASSETLIST_SCHEMA: &str = "../assetlist.schema.json";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Live,
    Upcoming,
    Killed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkType {
    Mainnet,
    Testnet,
    Devnet,
}

impl std::str::FromStr for NetworkType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mainnet" => Ok(NetworkType::Mainnet),
            "testnet" => Ok(NetworkType::Testnet),
            "devnet" => Ok(NetworkType::Devnet),
            _ => Err(format!("{s:?}: expected mainnet, testnet or devnet")),
        }
    }
}

impl std::fmt::Display for NetworkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NetworkType::Mainnet => "mainnet",
            NetworkType::Testnet => "testnet",
            NetworkType::Devnet => "devnet",
        })
    }
}

/// `chain.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    #[serde(rename = "$schema")]
    pub schema: String,
    /// The registry's key for the chain (its directory name): lower-case letters and digits.
    pub chain_name: String,
    pub status: Status,
    pub network_type: NetworkType,
    pub pretty_name: String,
    /// CAIP-2 namespace: `cosmos`.
    pub chain_type: String,
    pub chain_id: String,
    /// Account address prefix.
    pub bech32_prefix: String,
    pub key_algos: Vec<String>,
    /// SLIP-44 coin type (118).
    pub slip44: u32,
    pub fees: Fees,
    /// Absent on a chain without x/staking (the devnet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staking: Option<Staking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codebase: Option<Codebase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apis: Option<Apis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fees {
    pub fee_tokens: Vec<FeeToken>,
}

/// A fee denom and its gas prices (per unit of gas, in the base denom).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeToken {
    pub denom: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_min_gas_price: Option<f64>,
    pub low_gas_price: f64,
    pub average_gas_price: f64,
    pub high_gas_price: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staking {
    pub staking_tokens: Vec<StakingToken>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingToken {
    pub denom: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Codebase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosmwasm: Option<Cosmwasm>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosmwasm {
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apis {
    pub rpc: Vec<Endpoint>,
    pub rest: Vec<Endpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// `assetlist.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetList {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub chain_name: String,
    pub assets: Vec<Asset>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeAsset {
    /// A bank coin.
    #[serde(rename = "sdk.coin")]
    SdkCoin,
    /// A cw20 contract token (`address` required).
    #[serde(rename = "cw20")]
    Cw20,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Base unit first (exponent 0), then the display unit.
    pub denom_units: Vec<DenomUnit>,
    pub type_asset: TypeAsset,
    /// The cw20 contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `ubhive`, or `cw20:<address>` for a cw20.
    pub base: String,
    pub name: String,
    /// The human unit (a `denom_units` denom).
    pub display: String,
    pub symbol: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenomUnit {
    pub denom: String,
    pub exponent: u8,
}
