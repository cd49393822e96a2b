//! `bithive deploy`: stores every artifact, instantiates and wires all contracts from one config
//! file, and returns a [`Deployment`] (written as JSON by the CLI). It signs real Cosmos SDK
//! transactions with [`ChainClient`], so the same plan runs against the devnet and a public
//! testnet.
//!
//! Wiring (who may call whom):
//! - BTK's only minter is the emission contract (allowance = the whole cap). BTT has a fixed
//!   supply: `btt_supply` minted to the deployer at instantiation, cap = that supply, no minter.
//! - Last step: the deployer renounces ownership of BTK and BTT, so nobody can add a minter or
//!   raise an allowance ever again (no issuance beyond emission). Their wasm admin (who may
//!   migrate the code) is `token_admin`, or nobody.
//! - Emission pays the rewards compute and app pools and puts the foundation and operations
//!   shares into vesting.
//! - The attestation contract holds every reporter role: rewards `reporter`, escrow
//!   `reporters`, asset-nft valuer. Staking takes work reports from rewards only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cosmwasm_std::{Decimal, Uint128};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use bithive_chain_client::{ChainClient, ChainError};

/// One artifact per contract kind; file names as `scripts/build-wasm.sh` writes them.
pub const ARTIFACTS: &[(&str, &str)] = &[
    ("token", "bithive_token.wasm"),
    ("emission", "bithive_emission.wasm"),
    ("vesting", "bithive_vesting.wasm"),
    ("staking", "bithive_staking.wasm"),
    ("rewards", "bithive_rewards.wasm"),
    ("asset_nft", "bithive_asset_nft.wasm"),
    ("asset_shares", "bithive_asset_shares.wasm"),
    ("fractional", "bithive_fractional.wasm"),
    ("payfi_escrow", "bithive_payfi_escrow.wasm"),
    ("attestation", "bithive_attestation.wasm"),
    ("model_registry", "bithive_model_registry.wasm"),
    ("data_vault", "bithive_data_vault.wasm"),
    ("ics20", "bithive_ics20.wasm"),
];

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: checksum {actual} does not match checksums.txt ({expected}); rebuild with scripts/build-wasm.sh")]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{0} is not listed in checksums.txt")]
    Unlisted(String),
    #[error("config: {0}")]
    Config(String),
    #[error("{step}: {source}")]
    Chain {
        step: String,
        #[source]
        source: ChainError,
    },
}

/// `deploy.toml`. Every field has a default, so an empty file deploys a working platform.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployConfig {
    /// Directory with the `.wasm` files and `checksums.txt`.
    pub artifacts: PathBuf,
    /// Label prefix of every contract.
    pub label_prefix: String,
    pub decimals: u8,
    /// BTT minted to the deployer at instantiation (base units): the whole BTT supply for good
    /// (the cap equals it and nobody can mint). Must be > 0.
    pub btt_supply: Uint128,
    /// BTT put into the rewards patient pool.
    pub btt_patient_pool: Uint128,
    pub staking: StakingParams,
    pub rewards_epoch_seconds: u64,
    /// Seconds a compute-work report stays disputable by the attestor set before it counts
    /// (issue #20); at most 7 days, 0 credits at once.
    pub work_challenge_seconds: u64,
    pub patient_daily_cap: Uint128,
    pub escrow_fee_bps: u16,
    /// Seconds a reported escrow job waits before it pays, during which its payer may dispute
    /// the result (issue #20); at most 30 days, 0 pays at the report.
    pub job_dispute_seconds: u64,
    pub attestation: AttestationParams,
    /// Receives escrow fees, slashed pledges, foundation and operations vesting; the deployer when
    /// unset.
    pub treasury: Option<String>,
    /// ICS-20 for BTT and BTK (cw20-ics20, issue #25).
    pub ics20: Ics20Params,
    /// Wasm admin of BTK and BTT: the only account that may migrate their code (a governance
    /// contract). Unset: nobody, the token code is immutable. Never the deployer by default: a
    /// migration can change minting.
    pub token_admin: Option<String>,
    /// Unix seconds emission counts from; unset: the deployment's genesis. An announced launch
    /// time before the deployment makes the first crank mint what was due since then.
    pub emission_genesis: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StakingParams {
    pub epoch_seconds: u64,
    pub attestor_set_size: u32,
    pub window_epochs: u32,
    /// Pledge lock; the contract's default (540 days) when unset.
    pub lock_seconds: Option<u64>,
    pub unbonding_seconds: u64,
    pub max_claims: u32,
    pub fraud_slash: Decimal,
}

/// `[ics20]`: the cw20-ics20 contract that sends BTT and BTK over IBC.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ics20Params {
    /// Packet timeout when a transfer names none (seconds).
    pub default_timeout_seconds: u64,
    /// Its governance: the only account that may allow another cw20 token or change the
    /// admin. The deployer when unset.
    pub admin: Option<String>,
    /// Gas limit of the cw20 transfer that pays a returning token out (None: no limit; BTT
    /// and BTK are BitHive's own code, so they run unlimited like a native transfer).
    pub gas_limit: Option<u64>,
}

impl Default for Ics20Params {
    fn default() -> Self {
        Ics20Params {
            default_timeout_seconds: 600,
            admin: None,
            gas_limit: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttestationParams {
    pub quorum_threshold: u32,
    pub max_age_seconds: u64,
    pub max_future_seconds: u64,
    pub ibc_timeout_seconds: u64,
    /// Kinds a single signer may not attest (they need K of the attestor set), stated
    /// explicitly; by default every kind that pays from a pool or sets a price: `valuation`,
    /// `compute_work` and `patient_activity` (issue #20). `inference` and `matching` are signed
    /// by the job's bound node, whose conflicting statements are slashable.
    pub quorum_kinds: Vec<bithive_signed_attestation::AttestationKind>,
    /// IBC counterparties (connection on this chain, counterparty port) the attestation
    /// contract pins; none by default (no channel opens until governance pins one).
    #[serde(default)]
    pub ibc_peers: Vec<bithive_interface::attestation::PeerEndpoint>,
}

impl Default for AttestationParams {
    fn default() -> Self {
        AttestationParams {
            quorum_threshold: 3,
            max_age_seconds: 3_600,
            max_future_seconds: 120,
            ibc_timeout_seconds: 600,
            quorum_kinds: vec![
                bithive_signed_attestation::AttestationKind::ComputeWork,
                bithive_signed_attestation::AttestationKind::Valuation,
                bithive_signed_attestation::AttestationKind::PatientActivity,
            ],
            ibc_peers: vec![],
        }
    }
}

impl Default for StakingParams {
    fn default() -> Self {
        StakingParams {
            epoch_seconds: 86_400,
            attestor_set_size: 5,
            window_epochs: 7,
            lock_seconds: None,
            unbonding_seconds: 21 * 86_400,
            max_claims: 8,
            fraud_slash: Decimal::percent(10),
        }
    }
}

impl Default for DeployConfig {
    fn default() -> Self {
        DeployConfig {
            artifacts: PathBuf::from("artifacts"),
            label_prefix: "bithive".into(),
            decimals: 6,
            btt_supply: Uint128::new(1_000_000_000_000_000),
            btt_patient_pool: Uint128::new(100_000_000_000_000),
            staking: StakingParams::default(),
            rewards_epoch_seconds: 86_400,
            work_challenge_seconds: 3_600,
            patient_daily_cap: Uint128::new(5_000_000_000),
            escrow_fee_bps: 50,
            job_dispute_seconds: 3_600,
            attestation: AttestationParams::default(),
            ics20: Ics20Params::default(),
            treasury: None,
            token_admin: None,
            emission_genesis: None,
        }
    }
}

impl DeployConfig {
    pub fn from_toml(text: &str) -> Result<Self, DeployError> {
        toml::from_str(text).map_err(|e| DeployError::Config(e.to_string()))
    }
}

/// What `deploy` produced: written as `deployment.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    pub chain_id: String,
    pub deployer: String,
    /// Unix seconds of the block the plan started in (genesis of emission, staking, rewards).
    pub genesis: u64,
    /// Code id and sha256 of each artifact.
    pub codes: BTreeMap<String, StoredCode>,
    pub contracts: Contracts,
    /// The fee denom and gas prices the deployer paid with: what wallet files offer (#21).
    /// Absent in deployments written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<DeployFees>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeployFees {
    pub denom: String,
    /// Gas price the chain accepted (per unit of gas, in `denom`).
    pub gas_price: Decimal,
    /// The most the client raises it to when the chain asks for more.
    pub max_gas_price: Decimal,
}

impl DeployFees {
    /// From the client's gas config; None if a price is not a finite non-negative decimal.
    pub fn from_gas(gas: &bithive_chain_client::GasConfig) -> Option<Self> {
        let dec = |v: f64| v.to_string().parse::<Decimal>().ok();
        Some(DeployFees {
            denom: gas.fee_denom.clone(),
            gas_price: dec(gas.gas_price)?,
            max_gas_price: dec(gas.max_gas_price.max(gas.gas_price))?,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredCode {
    pub code_id: u64,
    pub checksum: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Contracts {
    pub btk: String,
    pub btt: String,
    pub vesting: String,
    pub staking: String,
    pub rewards: String,
    pub emission: String,
    pub asset_nft: String,
    pub fractional: String,
    pub payfi_escrow: String,
    pub attestation: String,
    /// Absent in deployments written before #23.
    #[serde(default)]
    pub model_registry: String,
    #[serde(default)]
    pub data_vault: String,
    /// cw20-ics20 (#25): its IBC port is `wasm.<address>`. Absent in deployments written before.
    #[serde(default)]
    pub ics20: String,
}

/// Reads the artifacts and checks each against `checksums.txt` before anything is uploaded.
pub fn load_artifacts(dir: &Path) -> Result<BTreeMap<String, (Vec<u8>, String)>, DeployError> {
    let sums_path = dir.join("checksums.txt");
    let sums = std::fs::read_to_string(&sums_path).map_err(|source| DeployError::Io {
        path: sums_path,
        source,
    })?;
    let expected: BTreeMap<&str, &str> = sums
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(sum, file)| (file.trim(), sum.trim()))
        .collect();
    let mut out = BTreeMap::new();
    for (kind, file) in ARTIFACTS {
        let path = dir.join(file);
        let wasm = std::fs::read(&path).map_err(|source| DeployError::Io { path, source })?;
        let actual = hex::encode(Sha256::digest(&wasm));
        let want = expected
            .get(file)
            .ok_or_else(|| DeployError::Unlisted(file.to_string()))?;
        if *want != actual {
            return Err(DeployError::Checksum {
                file: file.to_string(),
                expected: want.to_string(),
                actual,
            });
        }
        out.insert(kind.to_string(), (wasm, actual));
    }
    Ok(out)
}

/// Signs the plan's transactions and reports progress.
struct Plan<'a> {
    client: &'a ChainClient,
    progress: &'a mut dyn FnMut(&str),
}

impl Plan<'_> {
    /// Instantiates with the deployer as wasm admin.
    async fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        msg: &M,
        label: &str,
    ) -> Result<String, DeployError> {
        let admin = self.client.address().to_string();
        self.instantiate_with_admin(code_id, msg, label, Some(&admin))
            .await
    }

    async fn instantiate_with_admin<M: Serialize>(
        &mut self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
    ) -> Result<String, DeployError> {
        let msg = serde_json::to_value(msg).map_err(|e| DeployError::Config(e.to_string()))?;
        let (addr, _) = self
            .client
            .instantiate(code_id, &msg, label, admin)
            .await
            .map_err(step(&format!("instantiate {label}")))?;
        (self.progress)(&format!("instantiated {label:<22} {addr}"));
        Ok(addr)
    }

    async fn execute(
        &mut self,
        what: &str,
        contract: &str,
        msg: serde_json::Value,
    ) -> Result<(), DeployError> {
        self.client
            .execute_batch(&[(contract.to_string(), msg)])
            .await
            .map_err(step(what))?;
        (self.progress)(what);
        Ok(())
    }
}

/// Runs the whole plan with `client`'s account as deployer (admin of every contract, governance
/// and owner until handed over), reporting each step through `progress`.
pub async fn deploy(
    client: &ChainClient,
    config: &DeployConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployment, DeployError> {
    if config.btt_supply.is_zero() {
        return Err(DeployError::Config(
            "btt_supply must be > 0: it is the whole BTT supply".into(),
        ));
    }
    if config.ics20.default_timeout_seconds == 0 {
        return Err(DeployError::Config(
            "ics20.default_timeout_seconds must be > 0: a packet without a timeout could \
             never be refunded"
                .into(),
        ));
    }
    let artifacts = load_artifacts(&config.artifacts)?;
    let me = client.address().to_string();
    let treasury = config.treasury.clone().unwrap_or_else(|| me.clone());
    let genesis = client
        .rpc()
        .latest_block_time()
        .await
        .map_err(step("latest block time"))?;
    let mut d = Deployment {
        chain_id: client.chain_id().to_string(),
        deployer: me.clone(),
        genesis,
        fees: DeployFees::from_gas(client.gas()),
        ..Default::default()
    };
    let mut p = Plan { client, progress };

    for (kind, (wasm, checksum)) in &artifacts {
        let (code_id, _) = client
            .store_code(wasm.clone())
            .await
            .map_err(step(&format!("store {kind}")))?;
        (p.progress)(&format!(
            "stored {kind:<13} code {code_id:>3}  {:>4} KiB",
            wasm.len() / 1024
        ));
        d.codes.insert(
            kind.clone(),
            StoredCode {
                code_id,
                checksum: checksum.clone(),
            },
        );
    }
    let codes = d.codes.clone();
    let code = |kind: &str| codes.get(kind).map_or(0, |c| c.code_id);
    let label = |name: &str| format!("{}-{name}", config.label_prefix);

    // Tokens. BTK starts with no minter: emission becomes its only minter below. The deployer
    // owns both only until the last step, which renounces ownership.
    let token_msg = |name: &str, symbol: &str, initial: Vec<cw20::Cw20Coin>| {
        bithive_interface::token::InstantiateMsg {
            name: name.into(),
            symbol: symbol.into(),
            decimals: config.decimals,
            initial_balances: initial,
            owner: Some(me.clone()),
            cap: None,
            minters: vec![],
            marketing: None,
        }
    };
    let btk_cap = Uint128::new(2_100_000_000u128 * 10u128.pow(u32::from(config.decimals)));
    let mut btk_msg = token_msg("BitSpark Token", "BTK", vec![]);
    btk_msg.cap = Some(btk_cap);
    let token_admin = config.token_admin.as_deref();
    d.contracts.btk = p
        .instantiate_with_admin(code("token"), &btk_msg, &label("btk"), token_admin)
        .await?;
    let mut btt_msg = token_msg(
        "BitHive Token",
        "BTT",
        vec![cw20::Cw20Coin {
            address: me.clone(),
            amount: config.btt_supply,
        }],
    );
    // Fixed supply: everything there will ever be is minted here.
    btt_msg.cap = Some(config.btt_supply);
    d.contracts.btt = p
        .instantiate_with_admin(code("token"), &btt_msg, &label("btt"), token_admin)
        .await?;

    d.contracts.vesting = p
        .instantiate(
            code("vesting"),
            &bithive_interface::vesting::InstantiateMsg {
                owner: me.clone(),
                cw20_allowlist: vec![d.contracts.btk.clone(), d.contracts.btt.clone()],
            },
            &label("vesting"),
        )
        .await?;

    let s = &config.staking;
    d.contracts.staking = p
        .instantiate(
            code("staking"),
            &bithive_interface::staking::InstantiateMsg {
                governance: me.clone(),
                compliance: me.clone(),
                token: d.contracts.btk.clone(),
                slash_recipient: treasury.clone(),
                work_reporter: None,
                genesis,
                epoch_seconds: s.epoch_seconds,
                attestor_set_size: s.attestor_set_size,
                window_epochs: s.window_epochs,
                lock_seconds: s.lock_seconds,
                unbonding_seconds: s.unbonding_seconds,
                max_claims: s.max_claims,
                fraud_slash: s.fraud_slash,
                min_bond: None,
                topup_grace_seconds: None,
            },
            &label("staking"),
        )
        .await?;

    d.contracts.rewards = p
        .instantiate(
            code("rewards"),
            &bithive_interface::rewards::InstantiateMsg {
                governance: me.clone(),
                btk: d.contracts.btk.clone(),
                btt: d.contracts.btt.clone(),
                staking: d.contracts.staking.clone(),
                vesting: d.contracts.vesting.clone(),
                reporter: me.clone(),
                genesis,
                epoch_seconds: config.rewards_epoch_seconds,
                patient_daily_cap: config.patient_daily_cap,
                max_units_per_t: None,
                challenge_seconds: Some(config.work_challenge_seconds),
            },
            &label("rewards"),
        )
        .await?;

    d.contracts.emission = p
        .instantiate(
            code("emission"),
            &bithive_interface::emission::InstantiateMsg {
                owner: me.clone(),
                token: d.contracts.btk.clone(),
                genesis: Some(config.emission_genesis.unwrap_or(genesis)),
                compute_pool: d.contracts.rewards.clone(),
                app_pool: d.contracts.rewards.clone(),
                vesting: d.contracts.vesting.clone(),
                foundation: treasury.clone(),
                operations: treasury.clone(),
            },
            &label("emission"),
        )
        .await?;
    let set_minter = to_value(&bithive_interface::token::ExecuteMsg::SetMinter {
        minter: d.contracts.emission.clone(),
        allowance: btk_cap,
    })?;
    p.execute("emission is the BTK minter", &d.contracts.btk, set_minter)
        .await?;

    if !config.btt_patient_pool.is_zero() {
        let hook = cosmwasm_std::to_json_binary(
            &bithive_interface::rewards::ReceiveMsg::FundPatientPool {},
        )
        .map_err(|e| DeployError::Config(e.to_string()))?;
        let send = to_value(&bithive_interface::token::ExecuteMsg::Send {
            contract: d.contracts.rewards.clone(),
            amount: config.btt_patient_pool,
            msg: hook,
        })?;
        p.execute("BTT patient pool funded", &d.contracts.btt, send)
            .await?;
    }

    d.contracts.asset_nft = p
        .instantiate(
            code("asset_nft"),
            &bithive_interface::asset_nft::InstantiateMsg {
                name: "BitHive Healthcare Assets".into(),
                symbol: "BHA".into(),
                admin: Some(me.clone()),
                compliance_officer: me.clone(),
                valuation: bithive_interface::asset_nft::ValuationParams {
                    unit: "uusdc".into(),
                    window: 5,
                    freshness_secs: 30 * 86_400,
                    quorum: 1,
                },
            },
            &label("asset-nft"),
        )
        .await?;
    d.contracts.fractional = p
        .instantiate(
            code("fractional"),
            &bithive_interface::fractional::InstantiateMsg {
                admin: Some(me.clone()),
                share_code_id: code("asset_shares"),
                nft_contracts: vec![d.contracts.asset_nft.clone()],
                cw20_allowlist: vec![d.contracts.btt.clone()],
            },
            &label("fractional"),
        )
        .await?;
    d.contracts.payfi_escrow = p
        .instantiate(
            code("payfi_escrow"),
            &bithive_interface::payfi_escrow::InstantiateMsg {
                admin: Some(me.clone()),
                fee_bps: config.escrow_fee_bps,
                fee_collector: treasury.clone(),
                cw20_allowlist: vec![d.contracts.btt.clone(), d.contracts.btk.clone()],
                reporters: vec![],
                // Claims of unbound jobs are for nodes staking says may earn.
                staking: Some(d.contracts.staking.clone()),
                job_dispute_seconds: config.job_dispute_seconds,
            },
            &label("payfi-escrow"),
        )
        .await?;

    let a = &config.attestation;
    d.contracts.attestation = p
        .instantiate(
            code("attestation"),
            &bithive_interface::attestation::InstantiateMsg {
                governance: me.clone(),
                staking: d.contracts.staking.clone(),
                escrow: Some(d.contracts.payfi_escrow.clone()),
                rewards: Some(d.contracts.rewards.clone()),
                asset_nft: Some(d.contracts.asset_nft.clone()),
                model_registry: None,
                quorum_threshold: a.quorum_threshold,
                quorum_kinds: a.quorum_kinds.clone(),
                max_age_seconds: a.max_age_seconds,
                max_future_seconds: a.max_future_seconds,
                ibc_timeout_seconds: a.ibc_timeout_seconds,
                peers: config.attestation.ibc_peers.clone(),
            },
            &label("attestation"),
        )
        .await?;

    // The model registry (#23): the escrow records served jobs, the attestation contract sets
    // accuracy; prices in BTT. The escrow is not told about it here, so jobs need not name a
    // registered model until governance sets the escrow's `model_registry`.
    d.contracts.model_registry = p
        .instantiate(
            code("model_registry"),
            &bithive_interface::model_registry::InstantiateMsg {
                admin: Some(me.clone()),
                evaluator: Some(d.contracts.attestation.clone()),
                escrow: Some(d.contracts.payfi_escrow.clone()),
                price_asset: bithive_interface::model_registry::AssetInfo::Cw20(
                    cosmwasm_std::Addr::unchecked(d.contracts.btt.clone()),
                ),
            },
            &label("model-registry"),
        )
        .await?;
    d.contracts.data_vault = p
        .instantiate(
            code("data_vault"),
            &bithive_interface::data_vault::InstantiateMsg {
                name: "BitHive Personal Data".into(),
                symbol: "BHPD".into(),
                admin: Some(me.clone()),
                max_grant_seconds: 365 * 86_400,
                curators: vec![],
                answerers: vec![],
                cw20_allowlist: vec![d.contracts.btt.clone()],
            },
            &label("data-vault"),
        )
        .await?;

    // ICS-20 (#25): BTT and BTK, and no other cw20, may leave over IBC; new tokens only by
    // the configured admin.
    let ics20_admin = config.ics20.admin.clone().unwrap_or_else(|| me.clone());
    d.contracts.ics20 = p
        .instantiate(
            code("ics20"),
            &bithive_interface::ics20::InitMsg {
                default_timeout: config.ics20.default_timeout_seconds,
                gov_contract: ics20_admin,
                allowlist: [&d.contracts.btt, &d.contracts.btk]
                    .into_iter()
                    .map(|t| bithive_interface::ics20::AllowMsg {
                        contract: t.clone(),
                        gas_limit: config.ics20.gas_limit,
                    })
                    .collect(),
                default_gas_limit: None,
            },
            &label("ics20"),
        )
        .await?;

    // The attestation contract takes every reporter role; staking hears about work from rewards.
    let attest = d.contracts.attestation.clone();
    let wiring = [
        (
            "staking takes work reports from rewards",
            &d.contracts.staking,
            to_value(&bithive_interface::staking::ExecuteMsg::UpdateConfig {
                governance: None,
                compliance: None,
                slash_recipient: None,
                work_reporter: Some(d.contracts.rewards.clone()),
                fraud_slash: None,
                attestor_set_size: None,
                min_bond: None,
                topup_grace_seconds: None,
            })?,
        ),
        (
            "rewards takes reports from the attestation contract",
            &d.contracts.rewards,
            to_value(&bithive_interface::rewards::ExecuteMsg::UpdateConfig {
                governance: None,
                reporter: Some(attest.clone()),
                patient_daily_cap: None,
                max_units_per_t: None,
                challenge_seconds: None,
            })?,
        ),
        (
            "escrow takes job reports from the attestation contract",
            &d.contracts.payfi_escrow,
            to_value(
                &bithive_interface::payfi_escrow::ExecuteMsg::UpdateReporters {
                    add: vec![attest.clone()],
                    remove: vec![],
                },
            )?,
        ),
        (
            "asset-nft takes valuations from the attestation contract",
            &d.contracts.asset_nft,
            to_value(&bithive_interface::asset_nft::ExecuteMsg::AddValuer {
                valuer: attest.clone(),
            })?,
        ),
        (
            "the attestation contract sets model accuracies (quorum evaluations) in the registry",
            &d.contracts.attestation,
            to_value(&bithive_interface::attestation::ExecuteMsg::UpdateConfig {
                governance: None,
                escrow: None,
                rewards: None,
                asset_nft: None,
                model_registry: Some(d.contracts.model_registry.clone()),
                quorum_threshold: None,
                quorum_kinds: None,
                max_age_seconds: None,
                max_future_seconds: None,
                ibc_timeout_seconds: None,
            })?,
        ),
    ];
    for (what, contract, msg) in wiring {
        p.execute(what, contract, msg).await?;
    }

    // Last: nobody may change the minters of BTK (emission only) or BTT (none) again.
    let renounce = to_value(&bithive_interface::token::ExecuteMsg::UpdateOwnership(
        cw_ownable::Action::RenounceOwnership,
    ))?;
    for (what, token) in [
        (
            "BTK ownership renounced: emission is its only minter",
            &d.contracts.btk,
        ),
        ("BTT ownership renounced: fixed supply", &d.contracts.btt),
    ] {
        p.execute(what, token, renounce.clone()).await?;
    }
    Ok(d)
}

fn to_value<M: Serialize>(msg: &M) -> Result<serde_json::Value, DeployError> {
    serde_json::to_value(msg).map_err(|e| DeployError::Config(e.to_string()))
}

fn step(name: &str) -> impl Fn(ChainError) -> DeployError + '_ {
    move |source| DeployError::Chain {
        step: name.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_signed_attestation::AttestationKind;

    #[test]
    fn quorum_kinds_and_ibc_peers_come_from_the_plan() {
        // Issue #20: by default every kind paid from a pool or setting a price needs a quorum.
        let empty = DeployConfig::from_toml("").unwrap();
        assert_eq!(
            empty.attestation.quorum_kinds,
            vec![
                AttestationKind::ComputeWork,
                AttestationKind::Valuation,
                AttestationKind::PatientActivity
            ]
        );
        assert!(empty.attestation.ibc_peers.is_empty());
        let plan = DeployConfig::from_toml(
            r#"
            [attestation]
            quorum_kinds = ["valuation", "compute_work", "patient_activity"]
            ibc_peers = [{ connection_id = "connection-0", port_id = "wasm.peer" }]
            "#,
        )
        .unwrap();
        assert_eq!(
            plan.attestation.quorum_kinds,
            vec![
                AttestationKind::Valuation,
                AttestationKind::ComputeWork,
                AttestationKind::PatientActivity
            ]
        );
        assert_eq!(plan.attestation.ibc_peers[0].port_id, "wasm.peer");
        // A typo is an error, not a silently ignored field.
        assert!(DeployConfig::from_toml("[attestation]\nquorum_kind = []").is_err());
        assert!(DeployConfig::from_toml("[attestation]\nquorum_kinds = [\"bogus\"]").is_err());
    }
}
