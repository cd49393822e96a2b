use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;

use crate::coding::PaymentCoding;
use crate::state::Escrow;

#[cw_serde]
pub struct InstantiateMsg {
    pub admin: Option<String>,
    pub fee_bps: u16,
    pub fee_collector: String,
    pub cw20_allowlist: Vec<String>,
    /// Accounts allowed to report compute-job completion (stand-in for the attestation contract).
    pub reporters: Vec<String>,
}

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

/// A compute job: what the node must run, and the deposit that pays it.
#[cw_serde]
pub struct CreateJobMsg {
    pub job_id: String,
    pub expires_at: Timestamp,
    /// Model the node runs: 1 to 64 of `a-z 0-9 . _ -` (for example `retina-cnn-v2`).
    pub model: String,
    /// Model input, at most 4096 bytes: synthetic features or features encrypted to the node,
    /// never raw patient data (the chain is public). Its sha256 is the job-creation event's
    /// `input_hash`.
    pub input: Binary,
}

/// Attached to a cw20 `send` from an allowlisted token.
#[cw_serde]
pub enum ReceiveMsg {
    CreateEscrow(CreateEscrowMsg),
    OpenChannel(OpenChannelMsg),
    TopUpChannel { channel_id: u64 },
    CreateJob(CreateJobMsg),
}

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
    /// Reporter names the node that ran the job (before expiry); it is paid.
    ReportJob {
        job_id: String,
        node: String,
    },
    /// After expiry, an unreported job's deposit returns to the payer.
    RefundJob {
        job_id: String,
    },
    // ---- admin ----
    UpdateConfig {
        admin: Option<String>,
        fee_bps: Option<u16>,
        fee_collector: Option<String>,
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

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(crate::state::Config)]
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
    #[returns(crate::state::Channel)]
    Channel { channel_id: u64 },
    #[returns(crate::state::Job)]
    Job { job_id: String },
    #[returns(bool)]
    IsReporter { address: String },
    #[returns(bool)]
    IsCw20Allowed { address: String },
}

#[cw_serde]
pub struct EscrowsResponse {
    pub escrows: Vec<Escrow>,
}

#[cw_serde]
pub struct MigrateMsg {}
