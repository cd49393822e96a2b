use bithive_formulas::enode::EnodeInputs;
use bithive_formulas::rpatient::RpatientInputs;
use bithive_signed_attestation::{PubKey33, Signature64};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal256, Uint128, Uint64};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

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
    /// Seconds a work report waits, disputable, before it counts (at most
    /// [`MAX_CHALLENGE_SECONDS`]); 0 or unset: credited at once.
    #[serde(default)]
    pub challenge_seconds: Option<u64>,
    /// The escrow whose paid jobs count as served work (`record_outcome`); unset: none yet
    /// (governance sets it, the escrow being deployed after rewards).
    #[serde(default)]
    pub escrow: Option<String>,
    /// Most BTK (base units) a node earns per base unit of escrow fee its served jobs paid, in
    /// an epoch (default [`DEFAULT_MAX_BTK_PER_FEE`]; ADR 007: wash trading cannot pay while
    /// it is below 1 / the price of one BTK in the fee's asset).
    #[serde(default)]
    pub max_btk_per_fee: Option<Decimal256>,
}

/// Default `max_btk_per_fee`: one BTK base unit per base unit of fee. With BTK and the fee asset
/// both at 6 decimals, self-dealing loses money while one BTK is worth less than one unit of the
/// fee's asset; governance lowers it when BTK is worth more.
pub const DEFAULT_MAX_BTK_PER_FEE: u128 = 1;

fn default_max_btk_per_fee() -> Decimal256 {
    Decimal256::from_ratio(DEFAULT_MAX_BTK_PER_FEE, 1u8)
}

/// Longest challenge window (7 days).
pub const MAX_CHALLENGE_SECONDS: u64 = 7 * 86_400;
/// Longest dispute reason, in bytes.
pub const MAX_REASON_LEN: usize = 256;

/// Default `max_units_per_t`: 10^6 units per T per epoch (a report carries a job's units; the
/// attestation contract reports on the order of 10^2 per job).
pub const DEFAULT_MAX_UNITS_PER_T: u128 = 1_000_000;

fn default_max_units_per_t() -> Uint128 {
    Uint128::new(DEFAULT_MAX_UNITS_PER_T)
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// cw20 hooks: `msg` is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// The escrow only (config `escrow`): a job bound to `node` settled with `outcome` (ADR
    /// 007). Counted in the node's [`ServedWork`].
    RecordOutcome { node: String, outcome: JobOutcome },
    /// Reporter (the attestors' quorum): what the attestors measured of `node` this epoch. The
    /// units are the node's served units not yet reported, Tsuccessful and Ttotal its jobs
    /// settled since its last report (both from [`ServedWork`], told by the escrow); refused for
    /// a node that served no units since (ADR 007).
    ReportWork {
        node: String,
        measured: MeasuredWork,
    },
    /// Anyone, once its challenge window has ended undisputed: the reported work counts in the
    /// epoch collecting now, and staking records it.
    FinalizeWork { id: u64 },
    /// A member of staking's attestor set (or governance), before the window ends: holds the
    /// report until governance resolves it.
    DisputeWork { id: u64, reason: String },
    /// Governance: a disputed (or pending) report counts (`valid`) or is dropped.
    ResolveWork { id: u64, valid: bool },
    /// Staking only (config `staking`), when a re-execution proof slashes `node` (ADR 007,
    /// decision 6): the node loses its weight of the epoch collecting now, and reports counted
    /// in it later this epoch credit nothing.
    ForfeitEpoch { node: String },
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
        reporter: Option<String>,
        patient_daily_cap: Option<Uint128>,
        #[serde(default)]
        max_units_per_t: Option<Uint128>,
        #[serde(default)]
        challenge_seconds: Option<u64>,
        /// The escrow whose paid jobs count as served work.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escrow: Option<String>,
        /// BTK per base unit of fee a node may earn in an epoch (positive).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_btk_per_fee: Option<Decimal256>,
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

pub use crate::MigrateMsg;

#[cw_ownable_query]
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
    /// What the escrow counted as served by `node` (zero for a node that served nothing).
    #[returns(ServedWork)]
    Served { node: String },
    /// A work report still in its challenge window or disputed.
    #[returns(Option<PendingWork>)]
    PendingWork { id: u64 },
    /// Open work reports by id (page of `bithive_cw_common::clamp_limit`).
    #[returns(Vec<PendingWork>)]
    PendingWorks {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

/// The Enode inputs the attestors measure (ADR 007): everything but the units and the task
/// counts, which rewards takes from the escrow's records.
#[cw_serde]
pub struct MeasuredWork {
    /// Processing capability, TFLOPS.
    pub pcompute: cosmwasm_std::Decimal,
    /// Energy consumption, watts (> 0).
    pub penergy: cosmwasm_std::Decimal,
    /// Share of the attestors' probes the node answered, in [0, 1].
    pub availability: cosmwasm_std::Decimal,
    /// Data locality factor in [0, 2].
    pub dfactor: cosmwasm_std::Decimal,
}

/// How a job bound to a node settled, as the escrow tells rewards (the jobs its `node_outcomes`
/// counts, ADR 007).
#[cw_serde]
pub enum JobOutcome {
    /// Paid the node and a fee to the treasury: `units` is the job's model's measured run cost
    /// (0 when never measured), `fee` the escrow's fee in the model registry's price asset.
    Paid { units: Uint128, fee: Uint128 },
    /// Accepted by the node (`claim_job`) and never reported: refunded at expiry.
    Expired {},
    /// Reported, disputed by its payer, and resolved against the node.
    DisputedLost {},
}

/// What the escrow told rewards of a node's jobs (ADR 007), counted as they settle. Each count
/// only grows and nothing but the escrow adds to them, so a node holds no units it was not paid
/// for: Tsuccessful / Ttotal and the units of its work reports come from here.
#[cw_serde]
#[derive(Default)]
pub struct ServedWork {
    /// Jobs paid with a fee.
    pub paid: u64,
    /// Work units: the sum of the paid jobs' measured run costs, while the node was pledged.
    pub units: Uint128,
    /// Escrow fees those jobs paid to the treasury (base units of the registry's price asset):
    /// what serving them cost a node that paid them itself.
    pub fees: Uint128,
    pub expired: u64,
    pub disputed_lost: u64,
    /// Units of jobs paid while the node was not eligible in staking (unregistered, or below
    /// its pledge outside a top-up grace): they never count (the pledge is the condition for
    /// mining), even once it pledges.
    #[serde(default)]
    pub unpledged_units: Uint128,
}

impl ServedWork {
    /// Ttotal: every settled job counted.
    pub fn total(&self) -> u64 {
        self.paid + self.expired + self.disputed_lost
    }
}

/// A work report waiting out its challenge window (or a governance decision).
#[cw_serde]
pub struct PendingWork {
    pub id: u64,
    pub node: Addr,
    /// Served units the report counts (within the node's capacity for the epoch).
    pub units: Uint128,
    /// The measured inputs with the task counts rewards took from the escrow.
    pub enode: EnodeInputs,
    /// `units x Enode`, fixed at report time.
    pub weight: Decimal256,
    /// Escrow fees of the served units: what bounds the epoch's reward (`max_btk_per_fee`).
    #[serde(default)]
    pub fees: Uint128,
    pub reported_at: u64,
    pub challenge_ends: u64,
    pub status: WorkStatus,
}

#[cw_serde]
pub enum WorkStatus {
    Pending,
    Disputed { by: Addr, reason: String },
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
    /// Seconds a work report stays disputable before it counts (0: credited at once; configs
    /// stored before it load with 0).
    #[serde(default)]
    pub challenge_seconds: u64,
    /// No longer read: over-capacity evidence, which judged by it, is gone with signed units
    /// (ADR 007). Kept so stored configs load.
    #[serde(default)]
    pub units_per_t_ceiling: Uint128,
    /// The escrow whose paid jobs count as served work (`None` in configs stored before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow: Option<Addr>,
    /// Most BTK a node earns per base unit of fee its counted jobs paid, per epoch.
    #[serde(default = "default_max_btk_per_fee")]
    pub max_btk_per_fee: Decimal256,
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

crate::helpers::events! {
    actions: [
        CLAIM_APP,
        CLAIM_COMPUTE,
        CLAIM_PATIENT,
        CREDIT_PATIENT,
        DISPUTE_WORK,
        FINALIZE_WORK,
        FORFEIT_EPOCH,
        FUND_APP_POOL,
        FUND_COMPUTE_POOL,
        FUND_PATIENT_POOL,
        INSTANTIATE,
        RECORD_OUTCOME,
        REPORT_WORK,
        RESOLVE_WORK,
        SET_DEVELOPER,
        SET_VERIFIER,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
    ],
    attributes: [
        ACTIVE,
        ACTIVITY,
        ACTIVITY_ID,
        AMOUNT,
        BY,
        CHALLENGE_ENDS,
        CREDITED,
        DEVELOPER,
        ENODE,
        EPOCH,
        FEE,
        FULL_RATE,
        INSTITUTION,
        NODE,
        OUTCOME,
        PAID_NOW,
        PATIENT,
        PENERGY,
        PUBKEY,
        REASON,
        REPORTER,
        TASKS,
        UNITS,
        UNITS_OVER_CAPACITY,
        VALID,
        VERIFIER,
        VESTING,
        WEIGHT,
        WORK_ID,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the rewards contract.
    RewardsContract,
    ExecuteMsg,
    QueryMsg
);

/// The statement a verifier signs for a patient's `claim_patient`, and how the contract rebuilds
/// it: one definition, so the contract, the signing CLI and the tests cannot drift apart.
pub mod patient_claim {
    use bithive_formulas::rpatient::RpatientInputs;
    use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33};
    use cosmwasm_std::Decimal;
    use sha2::{Digest, Sha256};

    /// Domain tag of the patient-activity payload.
    pub const PAYLOAD_DOMAIN: &[u8] = b"BITHIVE/PATIENT-ACTIVITY/v1\0";

    fn put_str(out: &mut Vec<u8>, s: &str) {
        // Strings longer than u16::MAX are cut at the length prefix's range, so the prefix
        // always states the bytes that follow (an activity id is at most 128 bytes anyway).
        let s = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    }

    fn put_dec(out: &mut Vec<u8>, d: Decimal) {
        out.extend_from_slice(&d.atomics().u128().to_be_bytes());
    }

    /// The attested result hash of a patient claim: sha256 of
    /// `domain || u16 len + patient || u16 len + activity_id || type code u8 || days u32 ||
    ///  avalue, cfactor, hconsistency, tmultiplier, padjustment (each the u128 atomics of the
    ///  18-decimal value, big-endian)`.
    pub fn payload_hash(patient: &str, activity_id: &str, a: &RpatientInputs) -> Hash32 {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(PAYLOAD_DOMAIN);
        put_str(&mut out, patient);
        put_str(&mut out, activity_id);
        out.push(a.activity.code());
        out.extend_from_slice(&a.days.to_be_bytes());
        for d in [
            a.avalue,
            a.cfactor,
            a.hconsistency,
            a.tmultiplier,
            a.padjustment,
        ] {
            put_dec(&mut out, d);
        }
        Hash32(Sha256::digest(out).into())
    }

    /// The attestation a verifier signs so that `patient` may claim `activity_id` from the
    /// rewards contract `contract` on `chain_id`: the patient, the activity and every formula
    /// input are bound by its result hash.
    #[allow(clippy::too_many_arguments)]
    pub fn statement(
        chain_id: &str,
        contract: &str,
        patient: &str,
        activity_id: &str,
        activity: &RpatientInputs,
        verifier: PubKey33,
        issued_at: u64,
        nonce: u64,
    ) -> Attestation {
        Attestation {
            chain_id: chain_id.to_string(),
            contract: contract.to_string(),
            job_id: activity_id.to_string(),
            kind: AttestationKind::PatientActivity,
            result_hash: payload_hash(patient, activity_id, activity),
            commitments: vec![],
            issued_at,
            nonce,
            signer: verifier,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use bithive_formulas::rpatient::ActivityType;

        #[test]
        fn payload_layout_is_stable() {
            let a = RpatientInputs {
                activity: ActivityType::Education,
                days: 1,
                avalue: Decimal::percent(150),
                cfactor: Decimal::one(),
                hconsistency: Decimal::zero(),
                tmultiplier: Decimal::one(),
                padjustment: Decimal::one(),
            };
            // The same bytes written out by hand.
            let mut bytes = b"BITHIVE/PATIENT-ACTIVITY/v1\0".to_vec();
            bytes.extend_from_slice(&[0, 3]);
            bytes.extend_from_slice(b"pat");
            bytes.extend_from_slice(&[0, 2]);
            bytes.extend_from_slice(b"a1");
            bytes.push(4);
            bytes.extend_from_slice(&[0, 0, 0, 1]);
            for atomics in [
                1_500_000_000_000_000_000u128,
                10u128.pow(18),
                0,
                10u128.pow(18),
                10u128.pow(18),
            ] {
                bytes.extend_from_slice(&atomics.to_be_bytes());
            }
            assert_eq!(bytes.len(), 28 + 5 + 4 + 1 + 4 + 80);
            let expected: [u8; 32] = Sha256::digest(&bytes).into();
            assert_eq!(payload_hash("pat", "a1", &a), Hash32(expected));
            // Any input changes the hash.
            let mut b = a.clone();
            b.padjustment = Decimal::percent(101);
            assert_ne!(payload_hash("pat", "a1", &b), payload_hash("pat", "a1", &a));
            assert_ne!(payload_hash("pau", "a1", &a), payload_hash("pat", "a1", &a));
        }
    }
}
