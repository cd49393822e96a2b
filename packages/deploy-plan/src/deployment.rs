//! What a deployment produced, as `deployment.json`: the one `Deployment` and `Contracts` type
//! every driver, the relayer's config, the wallet files and the web app read.

use std::collections::BTreeMap;

use cosmwasm_schema::schemars::JsonSchema;
use cosmwasm_std::Decimal;
use serde::{Deserialize, Serialize};

/// What `bithive deploy` produced: written as `deployment.json`. Its JSON schema is
/// `schema/deployment.json` (`scripts/schema.sh`), from which the web app's type is generated.
// Unknown fields are kept out of the way, not refused: a newer deployment (more contracts) still
// reads in an older client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct Deployment {
    /// Chain id of the chain deployed to.
    pub chain_id: String,
    /// Address of the deploying account (wasm admin of every contract but BTK and BTT).
    pub deployer: String,
    /// Unix seconds of the block the plan started in (genesis of emission, staking, rewards).
    pub genesis: u64,
    /// Code id and sha256 of each artifact, by artifact kind ([`crate::Artifact::kind`]).
    pub codes: BTreeMap<String, StoredCode>,
    /// The address of every contract, by role.
    pub contracts: Contracts,
    /// The fee denom and gas prices the deployer paid with: what wallet files offer (#21).
    /// Absent in deployments written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<DeployFees>,
    /// The public RPC and REST URLs the wallet files were written with (`bithive deploy`,
    /// `bithive chain-info`), so writing them again keeps them. Absent in deployments written
    /// before, or whose wallet files were never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<PublicEndpoints>,
}

/// The URLs wallets reach the chain at (never one with credentials: they are published).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct PublicEndpoints {
    /// CometBFT RPC.
    pub rpc: String,
    /// REST (the Cosmos SDK's API server).
    pub rest: String,
}

/// The fee denom and gas prices the deployer paid with.
// Unknown fields are kept out of the way, not refused: a newer deployment (more contracts) still
// reads in an older client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct DeployFees {
    /// Denom the fees were paid in.
    pub denom: String,
    /// Gas price the chain accepted (per unit of gas, in `denom`).
    pub gas_price: Decimal,
    /// The most the client raises it to when the chain asks for more.
    pub max_gas_price: Decimal,
}

impl DeployFees {
    /// From a client's gas prices; None if a price is not a finite non-negative decimal.
    pub fn from_prices(denom: &str, gas_price: f64, max_gas_price: f64) -> Option<Self> {
        let dec = |v: f64| v.to_string().parse::<Decimal>().ok();
        Some(DeployFees {
            denom: denom.to_string(),
            gas_price: dec(gas_price)?,
            max_gas_price: dec(max_gas_price.max(gas_price))?,
        })
    }
}

/// One stored artifact.
// Unknown fields are kept out of the way, not refused: a newer deployment (more contracts) still
// reads in an older client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct StoredCode {
    /// Code id the chain gave it.
    pub code_id: u64,
    /// sha256 of its wasm (hex).
    pub checksum: String,
}

/// Every contract of a BitHive deployment, by role. The field names are the roles'
/// ([`Role::name`]) and the keys of `deployment.json`'s `contracts`.
// Unknown fields are kept out of the way, not refused: a newer deployment (more contracts) still
// reads in an older client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct Contracts {
    /// BTK (BitSpark Token), minted by emission only.
    pub btk: String,
    /// BTT (BitHive Token), fixed supply.
    pub btt: String,
    /// Vesting (foundation and operations shares of emission).
    pub vesting: String,
    /// Node staking.
    pub staking: String,
    /// Rewards (compute, app and patient pools).
    pub rewards: String,
    /// BTK emission.
    pub emission: String,
    /// Healthcare asset NFTs.
    pub asset_nft: String,
    /// Fractional ownership vault.
    pub fractional: String,
    /// PayFi escrow.
    pub payfi_escrow: String,
    /// Attestation contract.
    pub attestation: String,
    /// Absent in deployments written before #23.
    #[serde(default)]
    pub model_registry: String,
    /// Personal data vault. Absent in deployments written before it.
    #[serde(default)]
    pub data_vault: String,
    /// cw20-ics20 (#25): its IBC port is `wasm.<address>`. Absent in deployments written before.
    #[serde(default)]
    pub ics20: String,
    /// ICS-721 for asset NFTs (#48): its IBC port is `wasm.<address>`. Absent in deployments
    /// written before.
    #[serde(default)]
    pub ics721: String,
    /// The DAO that governs every other contract (dao-dao-core), when the deployment has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dao: String,
}

/// A contract's role in the deployment: one per [`Contracts`] field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// BTK, from [`crate::Artifact::Token`].
    Btk,
    /// BTT, from [`crate::Artifact::Token`].
    Btt,
    /// Vesting.
    Vesting,
    /// Node staking.
    Staking,
    /// Rewards.
    Rewards,
    /// BTK emission.
    Emission,
    /// Healthcare asset NFTs.
    AssetNft,
    /// Fractional ownership vault.
    Fractional,
    /// PayFi escrow.
    PayfiEscrow,
    /// Attestation contract.
    Attestation,
    /// Model registry.
    ModelRegistry,
    /// Personal data vault.
    DataVault,
    /// cw20-ics20.
    Ics20,
    /// ICS-721 (asset NFTs over IBC).
    Ics721,
    /// The DAO (dao-dao-core), when the config has one; not in [`Role::ALL`], which lists the
    /// contracts every deployment has.
    Dao,
}

impl Role {
    /// Every role, in the order the plan instantiates them.
    pub const ALL: [Role; 14] = [
        Role::Btk,
        Role::Btt,
        Role::Vesting,
        Role::Staking,
        Role::Rewards,
        Role::Emission,
        Role::AssetNft,
        Role::Fractional,
        Role::PayfiEscrow,
        Role::Attestation,
        Role::ModelRegistry,
        Role::DataVault,
        Role::Ics20,
        Role::Ics721,
    ];

    /// The role's key in `deployment.json` (and in the relayer's `[contracts]`).
    pub const fn name(self) -> &'static str {
        match self {
            Role::Btk => "btk",
            Role::Btt => "btt",
            Role::Vesting => "vesting",
            Role::Staking => "staking",
            Role::Rewards => "rewards",
            Role::Emission => "emission",
            Role::AssetNft => "asset_nft",
            Role::Fractional => "fractional",
            Role::PayfiEscrow => "payfi_escrow",
            Role::Attestation => "attestation",
            Role::ModelRegistry => "model_registry",
            Role::DataVault => "data_vault",
            Role::Ics20 => "ics20",
            Role::Ics721 => "ics721",
            Role::Dao => "dao",
        }
    }

    /// The label suffix of its contract (`<label_prefix>-<label>`).
    pub const fn label(self) -> &'static str {
        match self {
            Role::AssetNft => "asset-nft",
            Role::PayfiEscrow => "payfi-escrow",
            Role::ModelRegistry => "model-registry",
            Role::DataVault => "data-vault",
            other => other.name(),
        }
    }

    /// The artifact its code comes from.
    pub const fn artifact(self) -> crate::Artifact {
        use crate::Artifact as A;
        match self {
            Role::Btk | Role::Btt => A::Token,
            Role::Vesting => A::Vesting,
            Role::Staking => A::Staking,
            Role::Rewards => A::Rewards,
            Role::Emission => A::Emission,
            Role::AssetNft => A::AssetNft,
            Role::Fractional => A::Fractional,
            Role::PayfiEscrow => A::PayfiEscrow,
            Role::Attestation => A::Attestation,
            Role::ModelRegistry => A::ModelRegistry,
            Role::DataVault => A::DataVault,
            Role::Ics20 => A::Ics20,
            Role::Ics721 => A::Ics721,
            Role::Dao => A::DaoCore,
        }
    }
}

impl Contracts {
    /// The address of `role` ("" until the plan has instantiated it).
    pub fn get(&self, role: Role) -> &str {
        match role {
            Role::Btk => &self.btk,
            Role::Btt => &self.btt,
            Role::Vesting => &self.vesting,
            Role::Staking => &self.staking,
            Role::Rewards => &self.rewards,
            Role::Emission => &self.emission,
            Role::AssetNft => &self.asset_nft,
            Role::Fractional => &self.fractional,
            Role::PayfiEscrow => &self.payfi_escrow,
            Role::Attestation => &self.attestation,
            Role::ModelRegistry => &self.model_registry,
            Role::DataVault => &self.data_vault,
            Role::Ics20 => &self.ics20,
            Role::Ics721 => &self.ics721,
            Role::Dao => &self.dao,
        }
    }

    /// The contracts with each role's address from `address`.
    pub(crate) fn from_roles(mut address: impl FnMut(Role) -> String) -> Contracts {
        Contracts {
            btk: address(Role::Btk),
            btt: address(Role::Btt),
            vesting: address(Role::Vesting),
            staking: address(Role::Staking),
            rewards: address(Role::Rewards),
            emission: address(Role::Emission),
            asset_nft: address(Role::AssetNft),
            fractional: address(Role::Fractional),
            payfi_escrow: address(Role::PayfiEscrow),
            attestation: address(Role::Attestation),
            model_registry: address(Role::ModelRegistry),
            data_vault: address(Role::DataVault),
            ics20: address(Role::Ics20),
            ics721: address(Role::Ics721),
            dao: address(Role::Dao),
        }
    }

    /// Every role with its address, in [`Role::ALL`]'s order.
    pub fn all(&self) -> impl Iterator<Item = (Role, &str)> + '_ {
        Role::ALL.into_iter().map(|r| (r, self.get(r)))
    }
}
