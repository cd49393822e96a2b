use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, QuerierWrapper, StdResult, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

pub use bithive_cw_common::funds::AssetInfo;

#[cw_serde]
pub struct InstantiateMsg {
    pub admin: Option<String>,
    pub fee_bps: u16,
    pub fee_collector: String,
    pub cw20_allowlist: Vec<String>,
    /// Accounts allowed to report compute-job completion (stand-in for the attestation contract).
    pub reporters: Vec<String>,
    /// Staking contract asked whether a node may `claim_job` (eligible to earn); without it,
    /// only jobs the payer bound to a node at creation can be reported.
    #[serde(default)]
    pub staking: Option<String>,
    /// Seconds a reported job waits before it pays, during which its payer may dispute the
    /// result (0: paid at the report, no dispute). At most [`MAX_JOB_DISPUTE_SECONDS`].
    #[serde(default)]
    pub job_dispute_seconds: u64,
}

/// Jobs a node may hold claimed and unreported at once, per T of its registered capacity
/// (issue #43: one eligible node could claim every unbound job and let them all expire).
pub const OPEN_CLAIMS_PER_T: u32 = 16;

/// Longest job dispute window (30 days).
pub const MAX_JOB_DISPUTE_SECONDS: u64 = 30 * 86_400;
/// Longest dispute reason, bytes.
pub const MAX_DISPUTE_REASON_LEN: usize = 256;

#[cw_serde]
pub struct CreateEscrowMsg {
    pub payee: String,
    pub arbiter: Option<String>,
    /// Amounts per milestone; they must sum to the deposit.
    pub milestones: Vec<Uint128>,
    pub expires_at: Timestamp,
    pub coding: PaymentCoding,
}

#[cw_serde]
pub struct OpenChannelMsg {
    pub payee: String,
    /// Compressed secp256k1 public key (33 bytes) that signs the payer's vouchers.
    pub pubkey: Binary,
    pub challenge_period_secs: u64,
}

/// Longest full job id: what an attestation can name (`bithive-signed-attestation`).
pub const MAX_JOB_ID_LEN: usize = 128;

/// The id of the job `payer` creates with `CreateJobMsg { job_id: client_id, .. }`:
/// `<payer>/<client_id>`. This is the id in the `create_job` event, the `job` query, `report_job`,
/// `refund_job` and attestations; scoped to the payer, so nobody else can create it first.
pub fn job_id(payer: &str, client_id: &str) -> String {
    format!("{payer}/{client_id}")
}

/// A compute job: what the node must run, and the deposit that pays it.
#[cw_serde]
pub struct CreateJobMsg {
    /// The payer's own id for the job: 1 to 64 of `A-Z a-z 0-9 - _ . :`. The job's id is
    /// [`job_id`]`(payer, this)` (at most [`MAX_JOB_ID_LEN`] bytes), read from the `create_job`
    /// event.
    pub job_id: String,
    pub expires_at: Timestamp,
    /// Model the node runs: 1 to 64 of `a-z 0-9 . _ - @` (for example `retina-cnn-v2`). With a
    /// model registry configured it names a registered model: `<name>` (its latest version at
    /// creation) or `<name>@<version>` (that version), not deprecated; see
    /// `bithive_interface::model_registry::ModelRef`.
    pub model: String,
    /// Model input, at most 4096 bytes: synthetic features or features encrypted to the node,
    /// never raw patient data (the chain is public). Its sha256 is the job-creation event's
    /// `input_hash`.
    pub input: Binary,
    /// The node that may report the job, chosen by the payer. Without one, the job must be
    /// claimed (`claim_job`) by an eligible staking node before it can be reported.
    #[serde(default)]
    pub node: Option<String>,
}

/// Attached to a cw20 `send` from an allowlisted token.
#[cw_serde]
pub enum ReceiveMsg {
    CreateEscrow(CreateEscrowMsg),
    OpenChannel(OpenChannelMsg),
    TopUpChannel { channel_id: u64 },
    CreateJob(CreateJobMsg),
}

/// What a channel voucher's signature is over (`bithive_payfi_voucher`, ADR 011).
#[cw_serde]
#[derive(Copy, Default)]
pub enum VoucherForm {
    /// The digest of the canonical voucher message, signed with the channel's key.
    #[default]
    Raw,
    /// The ADR-36 sign doc of the voucher text, signed by the channel's payer (a browser
    /// wallet's `signArbitrary`): the channel's key must be the payer's account key.
    Adr36,
}

impl VoucherForm {
    /// Event value.
    pub fn as_str(&self) -> &'static str {
        match self {
            VoucherForm::Raw => "raw",
            VoucherForm::Adr36 => "adr36",
        }
    }
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    Receive(Cw20ReceiveMsg),
    // ---- escrow (native deposit attached) ----
    CreateEscrow(CreateEscrowMsg),
    /// Payer or arbiter releases one milestone to the payee.
    ReleaseMilestone {
        escrow_id: u64,
        milestone: u32,
    },
    /// After expiry, returns everything unreleased to the payer (not while disputed).
    Refund {
        escrow_id: u64,
    },
    /// Payer or payee freezes the escrow until the arbiter resolves it.
    Dispute {
        escrow_id: u64,
    },
    /// Arbiter splits what is left: `payee_amount` to the payee, the rest back to the payer.
    Resolve {
        escrow_id: u64,
        payee_amount: Uint128,
    },
    // ---- payment channels ----
    OpenChannel(OpenChannelMsg),
    TopUpChannel {
        channel_id: u64,
    },
    /// Payee redeems the payer's cumulative voucher; pays the difference to what was redeemed.
    RedeemVoucher {
        channel_id: u64,
        cumulative: Uint128,
        signature: Binary,
        /// What the signature is over (ADR 011): `raw` (the default) or `adr36`, a browser
        /// wallet's `signArbitrary` of the voucher text by the channel's payer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        form: Option<VoucherForm>,
    },
    /// Payer starts the challenge period.
    RequestClose {
        channel_id: u64,
    },
    /// Payer, after the challenge period: the unredeemed deposit returns to the payer.
    FinalizeClose {
        channel_id: u64,
    },
    /// Payee closes at once; the unredeemed deposit returns to the payer.
    PayeeClose {
        channel_id: u64,
    },
    // ---- compute jobs ----
    CreateJob(CreateJobMsg),
    /// An eligible staking node binds an open job that no node was chosen for to itself, or
    /// accepts an open job its payer bound to it, before it works on it (first claim wins;
    /// before expiry). Only an accepted job that expires unreported counts against the node in
    /// `node_outcomes`.
    ClaimJob {
        job_id: String,
    },
    /// Reporter names the node that ran the job (before expiry): it must be the job's bound
    /// node. It is paid at once without a dispute window, else the job is `Reported` until
    /// the window ends.
    ReportJob {
        job_id: String,
        node: String,
        /// The result's attested Tscore in [0, 1], when the attestation carried one: kept with
        /// a registered model's snapshot and told to the registry when the job pays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tscore: Option<Decimal>,
    },
    /// Anyone, once a reported job's dispute window has ended undisputed: pays the node.
    FinalizeJob {
        job_id: String,
    },
    /// The job's payer, inside the dispute window: the result is wrong. The payment is held
    /// until the admin resolves it.
    DisputeJob {
        job_id: String,
        reason: String,
    },
    /// Admin (governance): a disputed job pays its node (`pay_node`) or refunds its payer. A
    /// node found to have reported a wrong result is slashed in staking (`slash`).
    ResolveJobDispute {
        job_id: String,
        pay_node: bool,
    },
    /// After expiry, an unreported job's deposit returns to the payer.
    RefundJob {
        job_id: String,
    },
    // ---- admin ----
    UpdateConfig {
        fee_bps: Option<u16>,
        fee_collector: Option<String>,
        #[serde(default)]
        staking: Option<String>,
        #[serde(default)]
        job_dispute_seconds: Option<u64>,
        /// Model registry jobs must name (set only: it cannot be unset). Omitted when `None`, so
        /// the message still parses in escrows built before the field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model_registry: Option<String>,
        /// Rewards contract told the served units of every paid job on a measured model (set
        /// only). Omitted when `None`, as `model_registry`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rewards: Option<String>,
    },
    UpdateCw20Allowlist {
        add: Vec<String>,
        remove: Vec<String>,
    },
    UpdateReporters {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(Escrow)]
    Escrow { escrow_id: u64 },
    #[returns(EscrowsResponse)]
    EscrowsByPayer {
        payer: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(EscrowsResponse)]
    EscrowsByPayee {
        payee: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(EscrowsResponse)]
    EscrowsByReference {
        invoice_ref: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Channel)]
    Channel { channel_id: u64 },
    #[returns(Job)]
    Job { job_id: String },
    /// The registered model snapshot of a job; `None` for a job created without a registry.
    #[returns(Option<JobModel>)]
    JobModel { job_id: String },
    #[returns(bool)]
    IsReporter { address: String },
    /// What became of the jobs bound to `node` (zero for a node with none).
    #[returns(NodeOutcomes)]
    NodeOutcomes { node: String },
    #[returns(bool)]
    IsCw20Allowed { address: String },
}

#[cw_serde]
pub struct EscrowsResponse {
    pub escrows: Vec<Escrow>,
}

pub use crate::MigrateMsg;

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    /// Platform fee in basis points, taken from every payout to a payee or node.
    pub fee_bps: u16,
    pub fee_collector: Addr,
    /// Asked whether a node may `claim_job` (None: claims are refused).
    #[serde(default)]
    pub staking: Option<Addr>,
    /// Dispute window of reported jobs (0: paid at the report).
    #[serde(default)]
    pub job_dispute_seconds: u64,
    /// When set, every new job names a registered, non-deprecated model whose owner it pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_registry: Option<Addr>,
    /// When set, each paid job on a model with a measured `run_cost` tells rewards its node
    /// served that many work units (`record_served`, ADR 007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewards: Option<Addr>,
}

#[cw_serde]
pub struct Milestone {
    pub amount: Uint128,
    pub released: bool,
}

#[cw_serde]
pub enum EscrowStatus {
    Open,
    /// Frozen until the arbiter resolves it.
    Disputed,
    Closed,
}

#[cw_serde]
pub struct Escrow {
    pub id: u64,
    pub payer: Addr,
    pub payee: Addr,
    pub arbiter: Option<Addr>,
    pub asset: AssetInfo,
    pub total: Uint128,
    pub milestones: Vec<Milestone>,
    pub expires_at: Timestamp,
    /// Fee rate fixed at creation, so a later config change cannot touch existing escrows.
    pub fee_bps: u16,
    pub status: EscrowStatus,
    pub paid_to_payee: Uint128,
    pub fees_paid: Uint128,
    pub refunded: Uint128,
    pub coding: PaymentCoding,
    pub created_at: Timestamp,
}

#[cw_serde]
pub struct Channel {
    pub id: u64,
    pub payer: Addr,
    pub payee: Addr,
    /// Compressed secp256k1 key that signs vouchers.
    pub pubkey: Binary,
    pub asset: AssetInfo,
    pub deposit: Uint128,
    /// Highest cumulative voucher amount redeemed so far (gross, fee included).
    pub redeemed: Uint128,
    pub fee_bps: u16,
    pub challenge_period_secs: u64,
    pub close_requested_at: Option<Timestamp>,
    pub closed: bool,
    pub paid_to_payee: Uint128,
    pub fees_paid: Uint128,
    pub refunded: Uint128,
}

#[cw_serde]
pub enum JobStatus {
    Open,
    /// Reported for `node`; pays when `disputable_until` has passed undisputed.
    Reported {
        node: Addr,
        disputable_until: Timestamp,
    },
    /// Disputed by the payer; held until the admin resolves it.
    Disputed {
        node: Addr,
        reason: String,
    },
    Paid {
        node: Addr,
    },
    Refunded,
}

#[cw_serde]
pub struct Job {
    /// `<payer>/<payer's id>` (see [`job_id`]), or a bare id for jobs created before ids were
    /// scoped to the payer.
    pub job_id: String,
    /// The job spec the node executes (see `CreateJobMsg`).
    pub model: String,
    pub input: Binary,
    /// sha256 of `input`, lowercase hex (the `input_hash` event attribute).
    pub input_hash: String,
    pub payer: Addr,
    pub asset: AssetInfo,
    pub amount: Uint128,
    pub fee_bps: u16,
    pub expires_at: Timestamp,
    pub status: JobStatus,
    /// The only node a report may pay: chosen by the payer, or the node that claimed it.
    #[serde(default)]
    pub node: Option<Addr>,
}

/// What became of the jobs bound to one node, counted by the escrow as they settle (ADR 007:
/// the Tsuccessful / Ttotal of Enode come from these, never from a report). Each count only
/// grows; a job counts once, when it settles.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct NodeOutcomes {
    /// Jobs that paid the node and a fee to the treasury (a job too small to pay a fee costs a
    /// self-dealer nothing and does not count): undisputed, or a dispute resolved for it.
    pub paid: u64,
    /// Jobs the node accepted (`claim_job`) that expired unreported and went back to their
    /// payer. A job bound to it that it never accepted does not count: anyone can bind a job to
    /// any node.
    pub expired: u64,
    /// Jobs the node reported whose payer disputed and won.
    pub disputed_lost: u64,
}

impl NodeOutcomes {
    /// Ttotal: every settled job bound to the node.
    pub fn total(&self) -> u64 {
        self.paid + self.expired + self.disputed_lost
    }
}

/// A job's snapshot of its registered model, taken at creation (with a model registry
/// configured): what the job pays the model's owner, fixed for the job's life. Kept beside the
/// job (`job_model` query) so the `Job` record and its readers are unchanged.
#[cw_serde]
pub struct JobModel {
    /// The registry the model was resolved in (told when the job is paid).
    pub registry: Addr,
    pub model_id: u64,
    /// Paid `price` when the job pays; nothing on a refund.
    pub owner: Addr,
    pub price: Uint128,
    /// The Tscore the job's report carried (registry's mean Tscore); set at the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tscore: Option<Decimal>,
    /// Work units the job earns its node when it pays: the model's `run_cost` at creation (0
    /// when it was not measured, and in snapshots taken before it existed).
    #[serde(default)]
    pub units: Uint128,
}

#[cw_serde]
pub enum PaymentType {
    Consultation,
    Procedure,
    Diagnostic,
    Pharmacy,
    Hospitalization,
    Telehealth,
    InsuranceClaim,
    ComputeService,
}

#[cw_serde]
pub struct PaymentCoding {
    pub payment_type: PaymentType,
    /// Procedure codes (CPT "99213", HCPCS "G0008", ICD-10-PCS "0DTJ4ZZ"): 3..=10 of A-Z 0-9 '.'.
    pub procedure_codes: Vec<String>,
    /// Diagnosis codes (ICD-10 "E11.9"): 3..=8 of A-Z 0-9 '.', starting with a letter.
    pub diagnosis_codes: Vec<String>,
    /// Invoice reference: 1..=40 of A-Z a-z 0-9 '-' '_' '/' '.'.
    pub invoice_ref: String,
}

crate::helpers::events! {
    actions: [
        CREATE_ESCROW,
        CLAIM_JOB,
        CREATE_JOB,
        DISPUTE_ESCROW,
        DISPUTE_JOB,
        FINALIZE_CLOSE,
        FINALIZE_JOB,
        INSTANTIATE,
        OPEN_CHANNEL,
        PAYEE_CLOSE,
        REDEEM_VOUCHER,
        REFUND_ESCROW,
        REFUND_JOB,
        RELEASE_MILESTONE,
        REPORT_JOB,
        REQUEST_CLOSE,
        RESOLVE_ESCROW,
        RESOLVE_JOB_DISPUTE,
        TOP_UP_CHANNEL,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
        UPDATE_CW20_ALLOWLIST,
        UPDATE_REPORTERS,
    ],
    attributes: [
        ADMIN,
        AMOUNT,
        BY,
        CHALLENGE_ENDS,
        CHANNEL_ID,
        CUMULATIVE,
        DEPOSIT,
        DISPUTABLE_UNTIL,
        ESCROW_ID,
        FEE,
        FEE_BPS,
        FORM,
        INPUT_HASH,
        INVOICE_REF,
        JOB_ID,
        MILESTONE,
        MODEL,
        MODEL_ID,
        MODEL_OWNER,
        MODEL_PRICE,
        MODEL_RECORD_FAILED,
        MODEL_REGISTRY,
        NODE,
        OWNER_PAID,
        PAID,
        PAYEE,
        PAYER,
        REASON,
        REFUNDED,
        REWARDS,
        REWARDS_RECORD_FAILED,
        SERVED_UNITS,
        TSCORE,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the PayFi escrow contract.
    EscrowContract,
    ExecuteMsg,
    QueryMsg
);

impl EscrowContract {
    pub fn job(&self, querier: &QuerierWrapper, job_id: impl Into<String>) -> StdResult<Job> {
        self.query(
            querier,
            &QueryMsg::Job {
                job_id: job_id.into(),
            },
        )
    }

    /// The registered model snapshot of a job (`None` for a job on a bare model name).
    pub fn job_model(
        &self,
        querier: &QuerierWrapper,
        job_id: impl Into<String>,
    ) -> StdResult<Option<JobModel>> {
        self.query(
            querier,
            &QueryMsg::JobModel {
                job_id: job_id.into(),
            },
        )
    }
}

/// The `create_job` event, typed: what a compute node or the relayer needs to pick up a job.
#[cw_serde]
pub struct CreateJobEvent {
    pub job_id: String,
    pub payer: String,
    pub amount: Uint128,
    pub model: String,
    /// sha256 of the job input, lowercase hex.
    pub input_hash: String,
}

impl CreateJobEvent {
    /// The `wasm` event the contract emits (same attributes, same order).
    pub fn into_event(self) -> cosmwasm_std::Event {
        cosmwasm_std::Event::new(crate::WASM_EVENT)
            .add_attribute(events::ACTION, events::CREATE_JOB)
            .add_attribute(events::attr::JOB_ID, self.job_id)
            .add_attribute(events::attr::PAYER, self.payer)
            .add_attribute(events::attr::AMOUNT, self.amount)
            .add_attribute(events::attr::MODEL, self.model)
            .add_attribute(events::attr::INPUT_HASH, self.input_hash)
    }

    /// Reads a `create_job` event from its attributes (any event source: cosmwasm `Event`,
    /// CometBFT event JSON); `None` for another action or a missing or malformed attribute.
    pub fn from_attributes<'a>(
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Self> {
        let attrs = crate::Attributes::of_action(attrs, events::CREATE_JOB)?;
        Some(Self {
            job_id: attrs.get(events::attr::JOB_ID)?.to_string(),
            payer: attrs.get(events::attr::PAYER)?.to_string(),
            amount: attrs.parse(events::attr::AMOUNT)?,
            model: attrs.get(events::attr::MODEL)?.to_string(),
            input_hash: attrs.get(events::attr::INPUT_HASH)?.to_string(),
        })
    }

    pub fn from_event(event: &cosmwasm_std::Event) -> Option<Self> {
        if event.ty != crate::WASM_EVENT {
            return None;
        }
        Self::from_attributes(
            event
                .attributes
                .iter()
                .map(|a| (a.key.as_str(), a.value.as_str())),
        )
    }
}
