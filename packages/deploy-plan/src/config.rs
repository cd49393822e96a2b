//! `deploy.toml`: what a chain team may choose, every field with a default, and the launch
//! constants that are not theirs to choose (each with its source).

use cosmwasm_std::{Decimal, Decimal256, Uint128};
use serde::{Deserialize, Serialize};

use bithive_interface::attestation::PeerEndpoint;
use bithive_interface::rewards;
use bithive_signed_attestation::AttestationKind;

use crate::PlanError;

/// Base-unit decimals of BTK and BTT: emission mints in units of 10^6
/// (`bithive_formulas::emission::UNIT`) and patient rewards pay in 10^6 (`rpatient::BTT_UNIT`),
/// so the tokens must count the same way.
pub const DECIMALS: u8 = 6;
/// BTK's cap: 2.1 billion BTK, all of it minted by emission over time (`docs/glossary.md`,
/// "Emission"; `bithive_formulas::emission::CAP`).
pub const BTK_CAP: Uint128 = Uint128::new(bithive_formulas::emission::CAP);
/// The token names and symbols (see `docs/seeds.md`).
pub const BTK_NAME: &str = "BitSpark Token";
/// BTK's symbol.
pub const BTK_SYMBOL: &str = "BTK";
/// BTT's token name.
pub const BTT_NAME: &str = "BitHive Token";
/// BTT's symbol.
pub const BTT_SYMBOL: &str = "BTT";
/// The healthcare asset NFT collection and its valuation rules: values in USDC base units, the
/// median of the last 5 valuations, stale after 30 days, one valuer (the attestation contract,
/// whose `valuation` kind needs a quorum of attestors).
pub const ASSET_NFT_NAME: &str = "BitHive Healthcare Assets";
/// Symbol of the healthcare asset NFT collection.
pub const ASSET_NFT_SYMBOL: &str = "BHA";
/// Unit of every valuation: USDC base units (informational for the contract).
pub const VALUATION_UNIT: &str = "uusdc";
/// How many of the latest valuations enter the median.
pub const VALUATION_WINDOW: u32 = 5;
/// Age in seconds after which a valuation is ignored: 30 days.
pub const VALUATION_FRESHNESS_SECONDS: u64 = 30 * 86_400;
/// The personal data vault's record collection; a grant lasts at most a year.
pub const DATA_VAULT_NAME: &str = "BitHive Personal Data";
/// Symbol of the personal data vault's record collection.
pub const DATA_VAULT_SYMBOL: &str = "BHPD";
/// Longest grant or dataset consent, in seconds: one year.
pub const MAX_GRANT_SECONDS: u64 = 365 * 86_400;

/// `deploy.toml`. Every field has a default, so an empty file deploys a working platform.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeployConfig {
    /// Directory with the `.wasm` files and `checksums.txt` (read by the driver, not the plan).
    pub artifacts: std::path::PathBuf,
    /// Label prefix of every contract.
    pub label_prefix: String,
    /// Base-unit decimals of BTK and BTT: must be [`DECIMALS`] (kept in the file so an old
    /// config that states it still parses; any other value is refused).
    pub decimals: u8,
    /// BTT minted to the deployer at instantiation (base units): the whole BTT supply for good
    /// (the cap equals it and nobody can mint). Must be > 0.
    pub btt_supply: Uint128,
    /// BTT put into the rewards patient pool.
    pub btt_patient_pool: Uint128,
    /// `[staking]`: the staking contract's parameters.
    pub staking: StakingParams,
    /// Length of a rewards epoch in seconds (the compute pool is accounted per epoch, counted
    /// from the genesis).
    pub rewards_epoch_seconds: u64,
    /// Seconds a compute-work report stays disputable by the attestor set before it counts
    /// (issue #20); at most 7 days, 0 credits at once.
    pub work_challenge_seconds: u64,
    /// Most BTK (base units) a node earns in an epoch per base unit of escrow fee (in BTT, the
    /// model registry's price asset) its served jobs paid (ADR 007). Paying one's own jobs
    /// loses money while one BTK is worth less than `1 / max_btk_per_fee` BTT; what the cap holds
    /// back stays in the compute pool. Positive.
    pub max_btk_per_fee: Decimal256,
    /// Most BTT (base units) one patient may receive in rewards per day.
    pub patient_daily_cap: Uint128,
    /// Escrow fee in basis points of each payout, paid to the treasury (the contract allows at
    /// most 1,000: 10 %).
    pub escrow_fee_bps: u16,
    /// Seconds a reported escrow job waits before it pays, during which its payer may dispute
    /// the result (issue #20); at most 30 days, 0 pays at the report.
    pub job_dispute_seconds: u64,
    /// `[attestation]`: the attestation contract's parameters.
    pub attestation: AttestationParams,
    /// Receives escrow fees, slashed pledges, and the foundation and operations vesting unless
    /// those are set; the deployer when unset.
    pub treasury: Option<String>,
    /// Beneficiary of emission's science-foundation share (vested); the treasury when unset.
    pub foundation: Option<String>,
    /// Beneficiary of emission's operations share (vested); the treasury when unset.
    pub operations: Option<String>,
    /// ICS-20 for BTT and BTK (cw20-ics20, issue #25).
    pub ics20: Ics20Params,
    /// ICS-721 for asset NFTs (issue #48).
    pub ics721: Ics721Params,
    /// Wasm admin of BTK and BTT: the only account that may migrate their code (a governance
    /// contract). Unset: nobody, the token code is immutable. Never the deployer by default: a
    /// migration can change minting.
    pub token_admin: Option<String>,
    /// Unix seconds emission counts from; unset: the deployment's genesis. An announced launch
    /// time before the deployment makes the first crank mint what was due since then.
    pub emission_genesis: Option<u64>,
    /// The DAO that governs the deployment (`[dao]`, ADR 009). Set: the plan installs DAO DAO
    /// with these members, makes it the governance, owner, admin and compliance of every
    /// contract, the wasm admin of every contract that may migrate, and the treasury, foundation
    /// and operations account unless those are named; the deployer keeps nothing. Unset: the
    /// deployer keeps those powers (a single key: for tests and local runs only).
    pub dao: Option<DaoParams>,
    /// Test worlds only: BTK minted at BTK's instantiation (a genesis allocation, so test nodes
    /// can pledge without waiting for emission). Never read from `deploy.toml` and never written:
    /// on a real chain every BTK comes from emission.
    #[serde(skip)]
    pub test_btk_allocations: Vec<cw20::Cw20Coin>,
}

/// `[staking]`: the staking contract's parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StakingParams {
    /// Length of a staking epoch in seconds (the attestor set is recomputed once per epoch).
    pub epoch_seconds: u64,
    /// Attestors chosen per epoch: the top K nodes by Vscore (the contract allows 1 to 100).
    pub attestor_set_size: u32,
    /// Completed epochs in the sliding window over which Vscore's compute share is measured
    /// (the contract allows 1 to 16).
    pub window_epochs: u32,
    /// Pledge lock; the contract's default (540 days) when unset.
    pub lock_seconds: Option<u64>,
    /// Seconds an unbonded amount waits before it can be claimed.
    pub unbonding_seconds: u64,
    /// Most unbonding claims a node may have pending at once (the contract allows 1 to 32).
    pub max_claims: u32,
    /// Fraction of a node's stake (bonded and unbonding) slashed on fraud evidence (conflicting
    /// attestations, an over-capacity work report), in (0, 1].
    pub fraud_slash: Decimal,
}

/// `[ics20]`: the cw20-ics20 contract that sends BTT and BTK over IBC.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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

/// `[ics721]`: the ICS-721 contract that sends asset NFTs over IBC.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Ics721Params {
    /// Packet timeout when a send names none (seconds).
    pub default_timeout_seconds: u64,
    /// IBC counterparties (connection on this chain, counterparty port) and the account that
    /// approves holders of the vouchers arriving from each; none by default (no channel opens
    /// until governance pins one).
    pub ibc_peers: Vec<bithive_interface::ics721::Peer>,
}

impl Default for Ics721Params {
    fn default() -> Self {
        Ics721Params {
            default_timeout_seconds: 600,
            ibc_peers: vec![],
        }
    }
}

/// `[attestation]`: the attestation contract's parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AttestationParams {
    /// Signatures of attestor-set members (K) a quorum attestation needs.
    pub quorum_threshold: u32,
    /// Oldest accepted `issued_at`, in seconds before the block time.
    pub max_age_seconds: u64,
    /// Latest accepted `issued_at`, in seconds after the block time (clock skew).
    pub max_future_seconds: u64,
    /// Timeout of the IBC packets the attestation contract sends, in seconds (the contract
    /// allows 1 second to 7 days).
    pub ibc_timeout_seconds: u64,
    /// Kinds a single signer may not attest (they need K of the attestor set), stated
    /// explicitly; by default every kind that pays from a pool or sets a price: `valuation`,
    /// `compute_work` and `patient_activity` (issue #20). `inference` and `matching` are signed
    /// by the job's bound node, whose conflicting statements are slashable.
    pub quorum_kinds: Vec<AttestationKind>,
    /// IBC counterparties (connection on this chain, counterparty port) the attestation
    /// contract pins; none by default (no channel opens until governance pins one).
    pub ibc_peers: Vec<PeerEndpoint>,
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

impl Default for AttestationParams {
    fn default() -> Self {
        AttestationParams {
            quorum_threshold: 3,
            max_age_seconds: 3_600,
            max_future_seconds: 120,
            ibc_timeout_seconds: 600,
            quorum_kinds: vec![
                AttestationKind::ComputeWork,
                AttestationKind::Valuation,
                AttestationKind::PatientActivity,
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
            artifacts: std::path::PathBuf::from("artifacts"),
            label_prefix: "bithive".into(),
            decimals: DECIMALS,
            // 1 billion BTT.
            btt_supply: Uint128::new(1_000_000_000 * 10u128.pow(DECIMALS as u32)),
            // 100 million BTT for patient rewards.
            btt_patient_pool: Uint128::new(100_000_000 * 10u128.pow(DECIMALS as u32)),
            staking: StakingParams::default(),
            rewards_epoch_seconds: 86_400,
            work_challenge_seconds: 3_600,
            max_btk_per_fee: Decimal256::from_ratio(rewards::DEFAULT_MAX_BTK_PER_FEE, 1u8),
            // 5,000 BTT a patient a day.
            patient_daily_cap: Uint128::new(5_000 * 10u128.pow(DECIMALS as u32)),
            escrow_fee_bps: 50,
            job_dispute_seconds: 3_600,
            attestation: AttestationParams::default(),
            ics20: Ics20Params::default(),
            ics721: Ics721Params::default(),
            treasury: None,
            foundation: None,
            operations: None,
            token_admin: None,
            emission_genesis: None,
            dao: None,
            test_btk_allocations: vec![],
        }
    }
}

/// The DAO a deployment installs (DAO DAO: dao-dao-core, dao-voting-cw4 over a cw4-group,
/// dao-proposal-single behind dao-pre-propose-single): members and weights, the passing rule and
/// the voting period.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DaoParams {
    /// The DAO's name (DAO DAO's UIs show it).
    pub name: String,
    /// What it governs.
    pub description: String,
    /// The members and their voting weights (the cw4 group).
    pub members: Vec<DaoMember>,
    /// Share of the total weight whose yes votes pass a proposal, in (0, 1]; unset: more than
    /// half of the total weight.
    pub pass_percent: Option<Decimal>,
    /// How long a proposal is open for votes.
    pub voting_period_seconds: u64,
}

/// One member of the DAO.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DaoMember {
    /// The member's account.
    pub addr: String,
    /// Its voting weight (> 0).
    pub weight: u64,
}

impl Default for DaoParams {
    fn default() -> Self {
        DaoParams {
            name: "BitHive DAO".into(),
            description: "Governs the BitHive contracts: parameters, registries, compliance, \
                          migrations and the treasury"
                .into(),
            members: vec![],
            pass_percent: None,
            voting_period_seconds: 7 * 86_400,
        }
    }
}

impl DaoParams {
    /// Parses a DAO file (the `[dao]` table on its own: `name`, `members`, ...).
    pub fn from_toml(text: &str) -> Result<Self, PlanError> {
        let dao: DaoParams = toml::from_str(text).map_err(|e| PlanError::Config(e.to_string()))?;
        dao.validate()?;
        Ok(dao)
    }

    /// What no DAO may be installed with.
    pub fn validate(&self) -> Result<(), PlanError> {
        let err = |m: String| Err(PlanError::Config(format!("dao: {m}")));
        if self.members.is_empty() {
            return err(
                "members is empty: a DAO without members could never pass a proposal, \
                        and every contract would be governed by nobody"
                    .into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut total: u64 = 0;
        for m in &self.members {
            if m.addr.trim().is_empty() {
                return err("a member has an empty address".into());
            }
            if m.weight == 0 {
                return err(format!(
                    "member {} has weight 0: a member without voting power is not a member",
                    m.addr
                ));
            }
            if !seen.insert(m.addr.as_str()) {
                return err(format!("member {} is listed twice", m.addr));
            }
            total = match total.checked_add(m.weight) {
                Some(t) => t,
                None => return err("the members' weights add up past 2^64".into()),
            };
        }
        if let Some(p) = self.pass_percent {
            if p.is_zero() || p > Decimal::one() {
                return err(format!("pass_percent = {p}: must be in (0, 1]"));
            }
        }
        if self.voting_period_seconds == 0 {
            return err("voting_period_seconds must be > 0".into());
        }
        Ok(())
    }
}

impl DeployConfig {
    /// Parses `deploy.toml`; unknown fields are errors, not silently ignored.
    pub fn from_toml(text: &str) -> Result<Self, PlanError> {
        let config: DeployConfig =
            toml::from_str(text).map_err(|e| PlanError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// What no deployment may be started with.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.decimals != DECIMALS {
            return Err(PlanError::Config(format!(
                "decimals = {}: BTK and BTT count in 10^{DECIMALS} base units (emission mints and \
                 patient rewards pay in them), so decimals must be {DECIMALS}",
                self.decimals
            )));
        }
        if self.btt_supply.is_zero() {
            return Err(PlanError::Config(
                "btt_supply must be > 0: it is the whole BTT supply".into(),
            ));
        }
        if self.btt_patient_pool > self.btt_supply {
            return Err(PlanError::Config(format!(
                "btt_patient_pool {} exceeds btt_supply {}",
                self.btt_patient_pool, self.btt_supply
            )));
        }
        if self.max_btk_per_fee.is_zero() {
            return Err(PlanError::Config(
                "max_btk_per_fee must be > 0: at 0 no served work could ever earn".into(),
            ));
        }
        if self.ics721.default_timeout_seconds == 0 {
            return Err(PlanError::Config(
                "ics721.default_timeout_seconds must be > 0: a token sent without a timeout \
                 could be held in escrow forever"
                    .into(),
            ));
        }
        if self.ics20.default_timeout_seconds == 0 {
            return Err(PlanError::Config(
                "ics20.default_timeout_seconds must be > 0: a packet without a timeout could \
                 never be refunded"
                    .into(),
            ));
        }
        if let Some(dao) = &self.dao {
            dao.validate()?;
        }
        let allocated: u128 = self
            .test_btk_allocations
            .iter()
            .map(|c| c.amount.u128())
            .sum();
        if allocated > BTK_CAP.u128() {
            return Err(PlanError::Config(
                "test BTK allocations exceed the BTK cap".into(),
            ));
        }
        Ok(())
    }
}
