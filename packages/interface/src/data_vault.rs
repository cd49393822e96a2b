//! Data vault (issue #23, the AIM data storage chain): personal data NFTs (cw721 0.22) whose
//! extension names an encrypted, content-addressed record; consent grants per (record, grantee,
//! purpose) with an expiry and the record key wrapped to the grantee; an on-chain access log; and
//! differential-privacy datasets whose epsilon budget the contract keeps while researchers pay for
//! aggregate queries that a registered answerer answers.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, HexBinary, SignedDecimal, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

pub use bithive_cw_common::funds::AssetInfo;

/// Longest content id accepted (a CIDv1 sha2-256 in base32 is 59 characters).
pub const MAX_CONTENT_ID_LEN: usize = 128;
/// Shortest content id accepted.
pub const MIN_CONTENT_ID_LEN: usize = 12;
/// Longest wrapped record key a grant may carry (opaque to the contract).
pub const MAX_WRAPPED_KEY_LEN: usize = 512;
/// Length of a reading key: an X25519 public key.
pub const READING_KEY_LEN: usize = 32;
/// Hard ceiling of `Config::max_grant_seconds`: 5 years.
pub const MAX_GRANT_SECONDS_CAP: u64 = 5 * 365 * 24 * 3600;
/// Hard ceiling of a dataset's `query_ttl_seconds`: 30 days.
pub const MAX_QUERY_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// Cap on any dataset's `max_members`.
pub const MAX_DATASET_MEMBERS: u32 = 100_000;
/// Most histogram bins a query may ask for.
pub const MAX_HISTOGRAM_BINS: u16 = 64;
/// Most issuers a dataset's admission rule may name.
pub const MAX_DATASET_ISSUERS: usize = 16;

#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    /// Manages curators, answerers, the cw20 allowlist and the config. Defaults to the sender.
    pub admin: Option<String>,
    /// Longest grant or dataset consent, in seconds (1..=`MAX_GRANT_SECONDS_CAP`).
    pub max_grant_seconds: u64,
    /// May create datasets (besides the admin).
    pub curators: Vec<String>,
    /// May answer differential-privacy queries (the relayer's attestor keys, see README).
    pub answerers: Vec<String>,
    /// cw20 tokens (BTT) accepted as query payment.
    pub cw20_allowlist: Vec<String>,
}

/// What a record holds.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord)]
pub enum RecordType {
    DicomStudy,
    LabPanel,
    WearableSeries,
    Other,
}

impl RecordType {
    /// Event value.
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordType::DicomStudy => "dicom_study",
            RecordType::LabPanel => "lab_panel",
            RecordType::WearableSeries => "wearable_series",
            RecordType::Other => "other",
        }
    }
}

/// Why a grantee may access a record.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord)]
pub enum Purpose {
    Treatment,
    Research,
    PublicHealth,
    Education,
}

impl Purpose {
    /// Storage key and event value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Purpose::Treatment => "treatment",
            Purpose::Research => "research",
            Purpose::PublicHealth => "public_health",
            Purpose::Education => "education",
        }
    }
}

/// A record as minted: everything is about the ciphertext, nothing about its content.
#[cw_serde]
pub struct RecordMsg {
    /// IPFS CIDv1, multibase `b` (lowercase base32), e.g. `bafkrei...`.
    pub content_id: String,
    pub record_type: RecordType,
    /// Ciphertext size in bytes (positive).
    pub size: u64,
    /// sha256 of the ciphertext (32 bytes).
    pub ciphertext_sha256: HexBinary,
}

/// The NFT extension (returned by `nft_info`).
#[cw_serde]
pub struct Record {
    pub content_id: String,
    pub record_type: RecordType,
    pub size: u64,
    pub ciphertext_sha256: HexBinary,
    pub minted_at: Timestamp,
}

/// An aggregate query. Bounds clamp each value (differential privacy needs bounded sensitivity).
#[cw_serde]
pub enum QueryKind {
    Count {},
    Mean {
        field: String,
        lower: i64,
        upper: i64,
    },
    Histogram {
        field: String,
        lower: i64,
        upper: i64,
        bins: u16,
    },
}

/// A noisy answer; its variant must match the query's kind (histogram: one count per bin).
#[cw_serde]
pub enum DpAnswer {
    Count { value: SignedDecimal },
    Mean { value: SignedDecimal },
    Histogram { counts: Vec<SignedDecimal> },
}

/// Which records may join a dataset. Fabricated records are free to mint, so a dataset that
/// answers for real patients admits only records an issuer it trusts has endorsed.
#[cw_serde]
pub enum Admission {
    /// Any record of the dataset's type: self-reported data. The curator removes what it must
    /// (`remove_member`); nothing stops an account from filling the places with its own records.
    Open {},
    /// Only records endorsed (`endorse_record`) by one of these accounts: the institutions that
    /// produced the data (1..=`MAX_DATASET_ISSUERS`). A record whose endorsement is withdrawn
    /// stops counting (its membership is no longer live).
    Issuers { issuers: Vec<String> },
}

impl Default for Admission {
    /// Datasets created before admission rules existed were open.
    fn default() -> Self {
        Admission::Open {}
    }
}

#[cw_serde]
pub struct CreateDatasetMsg {
    /// 1 to 64 of `a-z 0-9 - _ .`, informational.
    pub name: String,
    pub record_type: RecordType,
    /// Total privacy budget (positive).
    pub total_epsilon: Decimal,
    /// Largest epsilon one query may spend (positive, at most `total_epsilon`).
    pub max_query_epsilon: Decimal,
    /// Asset queries are paid in: a native denom or an allowlisted cw20.
    pub price_asset: AssetInfo,
    /// Price of an epsilon of 1 (positive: a free dataset's budget is anyone's to exhaust); a
    /// query pays at least `ceil(price_per_epsilon * epsilon)`.
    pub price_per_epsilon: Uint128,
    /// Most epsilon one researcher account may spend on the dataset in all (positive, at most
    /// `total_epsilon`), so no single querier exhausts the budget for everyone else.
    pub max_querier_epsilon: Decimal,
    /// An unanswered query is refundable this many seconds after submission (1..=30 days).
    pub query_ttl_seconds: u64,
    /// Most records that may join (1..=`MAX_DATASET_MEMBERS`).
    pub max_members: u32,
    pub admission: Admission,
}

#[cw_serde]
pub struct SubmitQueryMsg {
    pub dataset_id: u64,
    pub kind: QueryKind,
    pub epsilon: Decimal,
}

/// cw20 `Receive` payloads.
#[cw_serde]
pub enum ReceiveMsg {
    SubmitQuery(SubmitQueryMsg),
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    // ---- cw721 (owner only; approvals are refused) ----
    TransferNft {
        recipient: String,
        token_id: String,
    },
    SendNft {
        contract: String,
        token_id: String,
        msg: Binary,
    },
    /// Refused: a record moves only on its owner's own transaction.
    Approve {
        spender: String,
        token_id: String,
        expires: Option<cw721::Expiration>,
    },
    /// Refused (no approvals exist).
    Revoke {
        spender: String,
        token_id: String,
    },
    /// Refused: no operator may move a person's records.
    ApproveAll {
        operator: String,
        expires: Option<cw721::Expiration>,
    },
    /// Refused (no operators exist).
    RevokeAll {
        operator: String,
    },
    /// The sender mints a record for itself; the token id is assigned (`mint` event, data).
    Mint {
        record: RecordMsg,
    },
    Burn {
        token_id: String,
    },
    // ---- consent (record owner) ----
    GrantAccess {
        token_id: String,
        grantee: String,
        purpose: Purpose,
        expires_at: Timestamp,
        /// The record key encrypted to the grantee (1..=`MAX_WRAPPED_KEY_LEN` bytes).
        wrapped_key: Binary,
    },
    RevokeAccess {
        token_id: String,
        grantee: String,
        purpose: Purpose,
    },
    // ---- reading keys (any account, for itself; ADR 017) ----
    /// The sender publishes its reading key: the X25519 public key (`READING_KEY_LEN` bytes, not
    /// of small order) a record's owner seals a share to. An owner reads it by address
    /// (`reading_key`), so no one who relays a key between them can swap it. Replaces the
    /// sender's previous key; grants sealed to that one stay as they were.
    SetReadingKey {
        public_key: HexBinary,
    },
    /// The sender withdraws its reading key: owners can no longer look it up.
    RemoveReadingKey {},
    // ---- access log (grantee) ----
    LogAccess {
        token_id: String,
        purpose: Purpose,
    },
    // ---- datasets ----
    /// Admin or curator.
    CreateDataset(CreateDatasetMsg),
    /// Admin or the dataset's curator: no further queries.
    CloseDataset {
        dataset_id: u64,
    },
    /// Record owner: consent to research use of the record by the dataset's answerers.
    JoinDataset {
        dataset_id: u64,
        token_id: String,
        expires_at: Timestamp,
        /// The record key encrypted to the answerers' key.
        wrapped_key: Binary,
    },
    /// Record owner withdraws the record; anyone may remove a consent that is no longer live
    /// (expired, the record changed hands or was burned, or its issuer's endorsement withdrawn),
    /// freeing its place.
    LeaveDataset {
        dataset_id: u64,
        token_id: String,
    },
    /// Admin or the dataset's curator: takes a wrongly admitted record out of the dataset; it
    /// may not join that dataset again.
    RemoveMember {
        dataset_id: u64,
        token_id: String,
    },
    // ---- provenance ----
    /// Any account (an issuer: a hospital, a lab) vouches that it produced or verified the
    /// record's ciphertext; `ciphertext_sha256` must be the record's, so the endorsement names
    /// the content it was given for.
    EndorseRecord {
        token_id: String,
        ciphertext_sha256: HexBinary,
    },
    /// The endorser takes its endorsement back.
    WithdrawEndorsement {
        token_id: String,
    },
    // ---- differential-privacy queries ----
    /// Researcher, native payment attached (cw20: `Receive` with `ReceiveMsg::SubmitQuery`).
    SubmitQuery(SubmitQueryMsg),
    Receive(Cw20ReceiveMsg),
    /// Registered answerer, strictly before the query's expiry: pays the answerer.
    SubmitAnswer {
        query_id: u64,
        answer: DpAnswer,
    },
    /// Anyone, from the query's expiry on, if unanswered: refunds the researcher once.
    RefundQuery {
        query_id: u64,
    },
    // ---- admin ----
    UpdateConfig {
        max_grant_seconds: Option<u64>,
    },
    UpdateCurators {
        add: Vec<String>,
        remove: Vec<String>,
    },
    UpdateAnswerers {
        add: Vec<String>,
        remove: Vec<String>,
    },
    UpdateCw20Allowlist {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    // ---- cw721 ----
    #[returns(cw721::msg::OwnerOfResponse)]
    OwnerOf {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(cw721::msg::NumTokensResponse)]
    NumTokens {},
    #[returns(cw721::msg::CollectionInfoAndExtensionResponse<Option<cosmwasm_std::Empty>>)]
    ContractInfo {},
    #[returns(cw721::msg::NftInfoResponse<Record>)]
    NftInfo { token_id: String },
    #[returns(cw721::msg::AllNftInfoResponse<Record>)]
    AllNftInfo {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(cw721::msg::TokensResponse)]
    Tokens {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw721::msg::TokensResponse)]
    AllTokens {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    // ---- vault ----
    #[returns(Config)]
    Config {},
    #[returns(GrantResponse)]
    Grant {
        token_id: String,
        grantee: String,
        purpose: Purpose,
    },
    /// The grants of a record, by (grantee, purpose).
    #[returns(GrantsResponse)]
    Grants {
        token_id: String,
        start_after: Option<(String, Purpose)>,
        limit: Option<u32>,
    },
    /// The reading key an account published (`None` if it has not, or withdrew it).
    #[returns(ReadingKeyResponse)]
    ReadingKey { account: String },
    /// The grants naming a grantee, by (token id, purpose).
    #[returns(GrantsResponse)]
    GrantsOf {
        grantee: String,
        start_after: Option<(String, Purpose)>,
        limit: Option<u32>,
    },
    #[returns(Dataset)]
    Dataset { dataset_id: u64 },
    #[returns(DatasetsResponse)]
    Datasets {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The records in a dataset, with whether each consent is live now.
    #[returns(MembersResponse)]
    Members {
        dataset_id: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The accounts that endorsed a record, by address.
    #[returns(EndorsementsResponse)]
    Endorsements {
        token_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// What one researcher has spent of a dataset's budget and may still spend.
    #[returns(QuerierBudgetResponse)]
    QuerierBudget { dataset_id: u64, querier: String },
    #[returns(DpQuery)]
    DpQuery { query_id: u64 },
    #[returns(DpQueriesResponse)]
    DpQueries {
        dataset_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(AddressesResponse)]
    Curators {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(AddressesResponse)]
    Answerers {
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

pub use crate::MigrateMsg;

/// `mint`'s response data.
#[cw_serde]
pub struct MintResponse {
    pub token_id: String,
}

/// `submit_query`'s response data.
#[cw_serde]
pub struct SubmitQueryResponse {
    pub query_id: u64,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub max_grant_seconds: u64,
}

/// A consent grant. It is void once the record changes hands (`epoch` no longer the record's).
#[cw_serde]
pub struct Grant {
    pub token_id: String,
    pub grantee: Addr,
    pub purpose: Purpose,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
    pub wrapped_key: Binary,
    /// The record's transfer epoch when granted.
    pub epoch: u64,
    pub revoked_at: Option<Timestamp>,
}

#[cw_serde]
pub struct GrantResponse {
    pub grant: Option<Grant>,
    /// Not revoked, not expired, and the record has not changed hands since.
    pub live: bool,
}

/// An account's published reading key.
#[cw_serde]
pub struct ReadingKey {
    pub public_key: HexBinary,
    pub set_at: Timestamp,
}

#[cw_serde]
pub struct ReadingKeyResponse {
    pub account: Addr,
    pub reading_key: Option<ReadingKey>,
}

#[cw_serde]
pub struct GrantsResponse {
    pub grants: Vec<GrantResponse>,
}

#[cw_serde]
pub struct Dataset {
    pub id: u64,
    pub name: String,
    pub curator: Addr,
    pub record_type: RecordType,
    pub total_epsilon: Decimal,
    /// Epsilon of every accepted query (answered, pending or refunded: never given back).
    pub spent_epsilon: Decimal,
    pub max_query_epsilon: Decimal,
    pub price_asset: AssetInfo,
    pub price_per_epsilon: Uint128,
    /// `None` only on datasets created before per-querier budgets existed (no per-querier cap).
    #[serde(default)]
    pub max_querier_epsilon: Option<Decimal>,
    pub query_ttl_seconds: u64,
    pub max_members: u32,
    pub members: u32,
    pub closed: bool,
    #[serde(default)]
    pub admission: Admission,
}

/// An issuer's endorsement of a record.
#[cw_serde]
pub struct Endorsement {
    pub endorser: Addr,
    pub at: Timestamp,
}

#[cw_serde]
pub struct EndorsementsResponse {
    pub endorsements: Vec<Endorsement>,
}

#[cw_serde]
pub struct QuerierBudgetResponse {
    pub spent: Decimal,
    /// What the querier may still spend: the lesser of its own cap's rest and the dataset's.
    pub remaining: Decimal,
}

#[cw_serde]
pub struct DatasetsResponse {
    pub datasets: Vec<Dataset>,
}

/// A record's consent to a dataset.
#[cw_serde]
pub struct Membership {
    pub token_id: String,
    pub owner: Addr,
    pub joined_at: Timestamp,
    pub expires_at: Timestamp,
    pub wrapped_key: Binary,
    pub epoch: u64,
}

#[cw_serde]
pub struct MemberResponse {
    pub membership: Membership,
    pub live: bool,
}

#[cw_serde]
pub struct MembersResponse {
    pub members: Vec<MemberResponse>,
}

#[cw_serde]
pub enum DpQueryStatus {
    Pending,
    Answered {
        answerer: Addr,
        answer: DpAnswer,
        at: Timestamp,
    },
    Refunded,
}

#[cw_serde]
pub struct DpQuery {
    pub id: u64,
    pub dataset_id: u64,
    pub researcher: Addr,
    pub kind: QueryKind,
    pub epsilon: Decimal,
    pub asset: AssetInfo,
    /// Held until answered (to the answerer) or refunded (to the researcher).
    pub amount: Uint128,
    pub submitted_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: DpQueryStatus,
}

#[cw_serde]
pub struct DpQueriesResponse {
    pub queries: Vec<DpQuery>,
}

#[cw_serde]
pub struct AddressesResponse {
    pub addresses: Vec<String>,
}

/// The `log_access` event, typed: the audit trail a record owner reads.
#[cw_serde]
pub struct AccessEvent {
    pub token_id: String,
    pub grantee: String,
    pub purpose: String,
    /// Block time, seconds.
    pub time: u64,
    /// Per-record access sequence number (1, 2, ...).
    pub seq: u64,
}

impl AccessEvent {
    pub fn into_event(self) -> cosmwasm_std::Event {
        cosmwasm_std::Event::new(crate::WASM_EVENT)
            .add_attribute(events::ACTION, events::LOG_ACCESS)
            .add_attribute(events::attr::TOKEN_ID, self.token_id)
            .add_attribute(events::attr::GRANTEE, self.grantee)
            .add_attribute(events::attr::PURPOSE, self.purpose)
            .add_attribute(events::attr::TIME, self.time.to_string())
            .add_attribute(events::attr::SEQ, self.seq.to_string())
    }

    /// Reads a `log_access` event from its attributes; `None` for another action or a missing or
    /// malformed attribute.
    pub fn from_attributes<'a>(
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Self> {
        let attrs = crate::Attributes::of_action(attrs, events::LOG_ACCESS)?;
        Some(Self {
            token_id: attrs.get(events::attr::TOKEN_ID)?.to_string(),
            grantee: attrs.get(events::attr::GRANTEE)?.to_string(),
            purpose: attrs.get(events::attr::PURPOSE)?.to_string(),
            time: attrs.parse(events::attr::TIME)?,
            seq: attrs.parse(events::attr::SEQ)?,
        })
    }
}

crate::helpers::events! {
    actions: [
        INSTANTIATE,
        MINT,
        TRANSFER_NFT,
        /// Emitted by cw721 for `send_nft`.
        SEND_NFT,
        /// Emitted by cw721 for `burn`.
        BURN,
        GRANT_ACCESS,
        REVOKE_ACCESS,
        LOG_ACCESS,
        SET_READING_KEY,
        REMOVE_READING_KEY,
        CREATE_DATASET,
        CLOSE_DATASET,
        JOIN_DATASET,
        LEAVE_DATASET,
        REMOVE_MEMBER,
        ENDORSE_RECORD,
        WITHDRAW_ENDORSEMENT,
        SUBMIT_QUERY,
        ANSWER_QUERY,
        REFUND_QUERY,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
        UPDATE_CURATORS,
        UPDATE_ANSWERERS,
        UPDATE_CW20_ALLOWLIST,
    ],
    attributes: [
        ACCOUNT,
        ADMIN,
        AMOUNT,
        ANSWER,
        ANSWERER,
        CONTENT_ID,
        DATASET_ID,
        ENDORSER,
        EPOCH,
        EPSILON,
        EXPIRES_AT,
        GRANTEE,
        OWNER,
        PUBLIC_KEY,
        PURPOSE,
        QUERY_ID,
        RECIPIENT,
        RECORD_TYPE,
        REMAINING_EPSILON,
        RESEARCHER,
        SENDER,
        SEQ,
        TIME,
        TOKEN_ID,
        PENDING_EXPIRY,
        PENDING_OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the data vault contract.
    DataVaultContract,
    ExecuteMsg,
    QueryMsg
);
