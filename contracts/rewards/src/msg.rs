use bithive_formulas::enode::EnodeInputs;
use bithive_formulas::rpatient::RpatientInputs;
use bithive_signed_attestation::{PubKey33, Signature64};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Decimal256, Uint128, Uint64};
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
    #[returns(crate::state::Config)]
    Config {},
    #[returns(crate::state::ComputePool)]
    ComputePool {},
    #[returns(NodeRewardsResponse)]
    NodeRewards { node: String },
    #[returns(crate::state::AppPool)]
    AppPool {},
    #[returns(DeveloperResponse)]
    Developer { developer: String },
    #[returns(crate::state::PatientPool)]
    PatientPool {},
    /// Block height at which the activity was rewarded, if it was.
    #[returns(Option<u64>)]
    Activity { activity_id: String },
    /// BTT paid to `patient` on `day` (days since the unix epoch; default today).
    #[returns(Uint128)]
    PatientDaily { patient: String, day: Option<u64> },
    #[returns(Option<crate::state::Verifier>)]
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
