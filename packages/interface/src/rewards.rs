use bithive_formulas::enode::EnodeInputs;
use bithive_formulas::rpatient::RpatientInputs;
use bithive_signed_attestation::{PubKey33, Signature64};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal256, Uint128, Uint64};
use cw20::Cw20ReceiveMsg;

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    pub btk: String,
    pub btt: String,
    pub staking: String,
    pub vesting: String,
    /// Reports verified work (until the attestation contract takes the role).
    pub reporter: String,
    pub genesis: u64,
    pub epoch_seconds: u64,
    /// Most BTT (base units) one patient may receive per day.
    pub patient_daily_cap: Uint128,
    /// Most work units a node may report per T of registered capacity per epoch (default
    /// [`DEFAULT_MAX_UNITS_PER_T`]; nonzero).
    #[serde(default)]
    pub max_units_per_t: Option<Uint128>,
}

/// Default `max_units_per_t`: 10^6 units per T per epoch (a report carries a job's units; the
/// attestation contract reports on the order of 10^2 per job).
pub const DEFAULT_MAX_UNITS_PER_T: u128 = 1_000_000;

fn default_max_units_per_t() -> Uint128 {
    Uint128::new(DEFAULT_MAX_UNITS_PER_T)
}

#[cw_serde]
pub enum ExecuteMsg {
    /// cw20 hooks: `msg` is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Reporter: verified work of a node in the current epoch with its Enode inputs.
    ReportWork {
        node: String,
        units: Uint128,
        enode: EnodeInputs,
    },
    /// Node owner: claim compute rewards (20 % now, the rest vesting 1/180 a day).
    ClaimCompute {},
    /// Governance: set a dApp developer's weight (0 removes).
    SetDeveloper { developer: String, weight: Uint128 },
    /// Developer: claim app rewards (20 % now, the rest vesting 1/180 a day).
    ClaimApp {},
    /// Governance: register or (de)activate a healthcare institution's verifier key.
    SetVerifier {
        pubkey: PubKey33,
        institution: String,
        active: bool,
    },
    /// Patient: claim the BTT reward of one activity confirmed by a registered verifier
    /// (see [`PatientClaim`]).
    ClaimPatient { claim: Box<PatientClaim> },
    /// Reporter (the attestation contract): credit the BTT reward of an activity attested on
    /// chain (kind `patient_activity`), under the same rules as `claim_patient`.
    CreditPatient {
        patient: String,
        activity_id: String,
        activity: RpatientInputs,
    },
    /// Governance.
    UpdateConfig {
        governance: Option<String>,
        reporter: Option<String>,
        patient_daily_cap: Option<Uint128>,
        #[serde(default)]
        max_units_per_t: Option<Uint128>,
    },
}

/// A patient's claim. The verifier signed the canonical [`bithive_signed_attestation::Attestation`]
/// the contract rebuilds from it: this chain and contract, `job_id = activity_id`, kind
/// `patient_activity`, `result_hash = payload_hash(patient, activity_id, activity)`, no
/// commitments, `issued_at`, `nonce`, `signer = verifier`.
#[cw_serde]
pub struct PatientClaim {
    pub activity_id: String,
    pub activity: RpatientInputs,
    pub verifier: PubKey33,
    pub issued_at: u64,
    pub nonce: Uint64,
    pub signature: Signature64,
}

#[cw_serde]
pub enum ReceiveMsg {
    /// BTK into the compute pool (75 % share of the emission).
    FundComputePool {},
    /// BTK into the app pool (15 % share).
    FundAppPool {},
    /// BTT into the patient incentive pool.
    FundPatientPool {},
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(ComputePool)]
    ComputePool {},
    #[returns(NodeRewardsResponse)]
    NodeRewards { node: String },
    #[returns(AppPool)]
    AppPool {},
    #[returns(DeveloperResponse)]
    Developer { developer: String },
    #[returns(PatientPool)]
    PatientPool {},
    /// Block height at which the activity was rewarded, if it was.
    #[returns(Option<u64>)]
    Activity { activity_id: String },
    /// BTT paid to `patient` on `day` (days since the unix epoch; default today).
    #[returns(Uint128)]
    PatientDaily { patient: String, day: Option<u64> },
    #[returns(Option<Verifier>)]
    Verifier { pubkey: PubKey33 },
}

#[cw_serde]
pub struct NodeRewardsResponse {
    /// Claimable now (whole base units).
    pub claimable: Uint128,
    /// Weight in the open epoch (paid after it closes).
    pub open_weight: Decimal256,
    pub claimed: Uint128,
}

#[cw_serde]
pub struct DeveloperResponse {
    pub weight: Uint128,
    pub claimable: Uint128,
    pub claimed: Uint128,
}

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub btk: Addr,
    pub btt: Addr,
    pub staking: Addr,
    pub vesting: Addr,
    pub reporter: Addr,
    pub genesis: u64,
    pub epoch_seconds: u64,
    pub patient_daily_cap: Uint128,
    /// Most work units per T of the node's registered capacity per epoch (stored configs from
    /// before it load with [`DEFAULT_MAX_UNITS_PER_T`]).
    #[serde(default = "default_max_units_per_t")]
    pub max_units_per_t: Uint128,
}

/// Compute pool: funds of epoch `e` are shared at its close pro rata to the weighted work of `e`.
#[cw_serde]
#[derive(Default)]
pub struct ComputePool {
    /// Epoch currently collecting work.
    pub epoch: u64,
    pub epoch_weight: Decimal256,
    /// Funds not yet allocated to a closed epoch (whole base units).
    pub undistributed: Uint128,
    /// Withheld halves of under-pledged nodes, below one base unit (whole units go back to
    /// `undistributed`).
    pub recycle: Decimal256,
    pub funded: Uint128,
    /// Credited to closed epochs so far (exactly `rate x weight` of each epoch).
    pub allocated: Decimal256,
    pub recycled: Uint128,
    pub paid: Uint128,
    /// Fraction of a base unit left over by the last epoch's division (and the rounding dust of
    /// fully settled epochs), carried into the next epoch: funds that were not credited to
    /// anyone, so never credited twice and never lost.
    /// Invariant: `funded - paid = undistributed + remainder + recycle + unclaimed`.
    #[serde(default)]
    pub remainder: Decimal256,
}

/// App pool: `acc` is the reward per unit of developer weight since genesis.
#[cw_serde]
#[derive(Default)]
pub struct AppPool {
    pub total_weight: Uint128,
    pub acc: Decimal256,
    /// Funds not yet spread over weights (whole base units).
    pub undistributed: Uint128,
    pub funded: Uint128,
    pub paid: Uint128,
    /// Fraction of a base unit the floored per-weight rate could not spread, carried into the
    /// next spread (never credited twice, never lost).
    /// Invariant: `funded - paid = undistributed + remainder + unclaimed`.
    #[serde(default)]
    pub remainder: Decimal256,
}

#[cw_serde]
pub struct Verifier {
    pub institution: String,
    pub active: bool,
}

#[cw_serde]
#[derive(Default)]
pub struct PatientPool {
    pub balance: Uint128,
    pub funded: Uint128,
    pub paid: Uint128,
}

/// The `wasm` event attributes this contract emits: the `action` values and the attribute keys.
/// Contracts emit them with these constants and readers match on the same ones; the contract
/// README's "Events" section lists them (checked by `tests/readme_events.rs`).
pub mod events {
    pub use crate::ACTION;

    pub const CLAIM_APP: &str = "claim_app";
    pub const CLAIM_COMPUTE: &str = "claim_compute";
    pub const CLAIM_PATIENT: &str = "claim_patient";
    pub const CREDIT_PATIENT: &str = "credit_patient";
    pub const FUND_APP_POOL: &str = "fund_app_pool";
    pub const FUND_COMPUTE_POOL: &str = "fund_compute_pool";
    pub const FUND_PATIENT_POOL: &str = "fund_patient_pool";
    pub const INSTANTIATE: &str = "instantiate";
    pub const MIGRATE: &str = "migrate";
    pub const REPORT_WORK: &str = "report_work";
    pub const SET_DEVELOPER: &str = "set_developer";
    pub const SET_VERIFIER: &str = "set_verifier";
    pub const UPDATE_CONFIG: &str = "update_config";

    /// Every `action` value above.
    pub const ACTIONS: &[&str] = &[
        CLAIM_APP,
        CLAIM_COMPUTE,
        CLAIM_PATIENT,
        CREDIT_PATIENT,
        FUND_APP_POOL,
        FUND_COMPUTE_POOL,
        FUND_PATIENT_POOL,
        INSTANTIATE,
        MIGRATE,
        REPORT_WORK,
        SET_DEVELOPER,
        SET_VERIFIER,
        UPDATE_CONFIG,
    ];

    /// Attribute keys.
    pub mod attr {
        pub const ACTIVE: &str = "active";
        pub const ACTIVITY: &str = "activity";
        pub const ACTIVITY_ID: &str = "activity_id";
        pub const AMOUNT: &str = "amount";
        pub const DEVELOPER: &str = "developer";
        pub const ENODE: &str = "enode";
        pub const EPOCH: &str = "epoch";
        pub const FROM: &str = "from";
        pub const FULL_RATE: &str = "full_rate";
        pub const INSTITUTION: &str = "institution";
        pub const NODE: &str = "node";
        pub const PAID_NOW: &str = "paid_now";
        pub const PATIENT: &str = "patient";
        pub const PUBKEY: &str = "pubkey";
        pub const REPORTER: &str = "reporter";
        pub const UNITS: &str = "units";
        pub const VERIFIER: &str = "verifier";
        pub const VERSION: &str = "version";
        pub const VESTING: &str = "vesting";
        pub const WEIGHT: &str = "weight";

        /// Every attribute key above.
        pub const ATTRIBUTES: &[&str] = &[
            ACTIVE,
            ACTIVITY,
            ACTIVITY_ID,
            AMOUNT,
            DEVELOPER,
            ENODE,
            EPOCH,
            FROM,
            FULL_RATE,
            INSTITUTION,
            NODE,
            PAID_NOW,
            PATIENT,
            PUBKEY,
            REPORTER,
            UNITS,
            VERIFIER,
            VERSION,
            VESTING,
            WEIGHT,
        ];
    }
}

crate::helpers::contract_helper!(
    /// Address of the rewards contract.
    RewardsContract,
    ExecuteMsg,
    QueryMsg
);
