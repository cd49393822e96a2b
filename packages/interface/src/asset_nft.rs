//! Messages. The cw721 part keeps the cw721 0.22 JSON names so wallets and marketplaces work
//! unchanged; the asset part adds metadata, compliance, digital twin and valuation.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, HexBinary, Timestamp, Uint128};
use cw721::Expiration;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    /// Mints, manages valuers, device keys and certifications. Defaults to the sender.
    pub admin: Option<String>,
    /// Approves holders per jurisdiction.
    pub compliance_officer: String,
    pub valuation: ValuationParams,
    /// May hold any token whatever its markers: the ICS-721 contract that made this voucher
    /// collection, which escrows vouchers on their way home (#48). None for a home collection:
    /// there its compliance officer approves the bridge like any other holder.
    #[serde(default)]
    pub custodian: Option<String>,
}

#[cw_serde]
pub struct ValuationParams {
    /// Unit of every submitted value (e.g. "USD-cents"); informational.
    pub unit: String,
    /// How many of the latest submissions (distinct valuers) enter the median (1..=32).
    pub window: u32,
    /// Submissions older than this many seconds are ignored.
    pub freshness_secs: u64,
    /// Minimum fresh submissions from distinct valuers for a valuation (1..=window).
    pub quorum: u32,
}

/// Metadata given at mint. The device key is a compressed secp256k1 public key (33 bytes).
#[cw_serde]
pub struct AssetMetadataMsg {
    pub class: AssetClass,
    pub description_uri: String,
    /// sha256 of the document at `description_uri` (32 bytes).
    pub content_hash: HexBinary,
    pub jurisdictions: Vec<Jurisdiction>,
    pub certifications: Vec<Certification>,
    pub device_pubkey: Option<Binary>,
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    // ---- cw721 ----
    TransferNft {
        recipient: String,
        token_id: String,
    },
    SendNft {
        contract: String,
        token_id: String,
        msg: Binary,
    },
    Approve {
        spender: String,
        token_id: String,
        expires: Option<Expiration>,
    },
    Revoke {
        spender: String,
        token_id: String,
    },
    ApproveAll {
        operator: String,
        expires: Option<Expiration>,
    },
    RevokeAll {
        operator: String,
    },
    Mint {
        token_id: String,
        owner: String,
        token_uri: Option<String>,
        extension: AssetMetadataMsg,
    },
    Burn {
        token_id: String,
    },
    // ---- administration ----
    UpdateComplianceOfficer {
        officer: String,
    },
    UpdateValuationParams {
        params: ValuationParams,
    },
    AddValuer {
        valuer: String,
    },
    RemoveValuer {
        valuer: String,
    },
    SetDeviceKey {
        token_id: String,
        device_pubkey: Option<Binary>,
    },
    SetCertifications {
        token_id: String,
        certifications: Vec<Certification>,
    },
    // ---- compliance officer ----
    ApproveHolder {
        jurisdiction: String,
        holder: String,
    },
    RevokeHolder {
        jurisdiction: String,
        holder: String,
    },
    // ---- device ----
    /// Signed by the token's device key over `twin_update_digest` (see README); anyone may relay.
    UpdateTwin {
        token_id: String,
        state_hash: HexBinary,
        nonce: u64,
        signature: Binary,
    },
    // ---- valuers ----
    SubmitValuation {
        token_id: String,
        value: Uint128,
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
    #[returns(cw721::msg::ApprovalResponse)]
    Approval {
        token_id: String,
        spender: String,
        include_expired: Option<bool>,
    },
    #[returns(cw721::msg::ApprovalsResponse)]
    Approvals {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(cw721::msg::OperatorResponse)]
    Operator {
        owner: String,
        operator: String,
        include_expired: Option<bool>,
    },
    #[returns(cw721::msg::OperatorsResponse)]
    AllOperators {
        owner: String,
        include_expired: Option<bool>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(cw721::msg::NumTokensResponse)]
    NumTokens {},
    #[returns(cw721::msg::CollectionInfoAndExtensionResponse<Option<cosmwasm_std::Empty>>)]
    ContractInfo {},
    #[returns(cw721::msg::MinterResponse)]
    Minter {},
    #[returns(cw721::msg::NftInfoResponse<AssetMetadata>)]
    NftInfo { token_id: String },
    #[returns(cw721::msg::AllNftInfoResponse<AssetMetadata>)]
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
    // ---- asset ----
    #[returns(ConfigResponse)]
    Config {},
    #[returns(CertificationsResponse)]
    Certifications { token_id: String },
    #[returns(ValuationResponse)]
    Valuation { token_id: String },
    #[returns(ValuationHistoryResponse)]
    ValuationHistory {
        token_id: String,
        /// Sequence number to start after (descending: newest first).
        start_before: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(AddressesResponse)]
    Valuers {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(bool)]
    HolderApproved {
        jurisdiction: String,
        holder: String,
    },
    #[returns(AddressesResponse)]
    ApprovedHolders {
        jurisdiction: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

pub use crate::MigrateMsg;

#[cw_serde]
pub struct ConfigResponse {
    pub admin: String,
    pub compliance_officer: String,
    pub valuation: ValuationParams,
    #[serde(default)]
    pub custodian: Option<String>,
}

#[cw_serde]
pub struct CertificationStatus {
    pub certification: Certification,
    pub valid: bool,
}

#[cw_serde]
pub struct CertificationsResponse {
    pub certifications: Vec<CertificationStatus>,
}

#[cw_serde]
pub struct ValuationResponse {
    /// Median of the fresh submissions, present only when `quorum_met`.
    pub value: Option<Uint128>,
    pub unit: String,
    /// Fresh submissions (distinct valuers, at most `window`) used.
    pub submissions: u32,
    pub quorum: u32,
    pub quorum_met: bool,
    /// Oldest submission time that entered the median.
    pub oldest: Option<Timestamp>,
}

#[cw_serde]
pub struct ValuationHistoryResponse {
    pub entries: Vec<ValuationEntry>,
}

#[cw_serde]
pub struct AddressesResponse {
    pub addresses: Vec<String>,
}

#[cw_serde]
pub enum AssetClass {
    MedicalEquipment,
    ComputeResource,
    DataAndIp,
    ServiceDeliveryRights,
}

#[cw_serde]
pub enum ComplianceMarker {
    /// Transfers (and mint) only to holders the compliance officer approved for the jurisdiction.
    ApprovedHoldersOnly,
    MedicalDeviceRegulated,
    DataProtectionRegulated,
    ExportControlled,
}

impl AssetClass {
    /// The class in plain words (`bithive asset`, governance proposals).
    pub fn words(&self) -> &'static str {
        match self {
            AssetClass::MedicalEquipment => "medical equipment",
            AssetClass::ComputeResource => "compute resource",
            AssetClass::DataAndIp => "data and IP",
            AssetClass::ServiceDeliveryRights => "service delivery rights",
        }
    }
}

impl ComplianceMarker {
    /// The marker in plain words.
    pub fn words(&self) -> &'static str {
        match self {
            ComplianceMarker::ApprovedHoldersOnly => "approved holders only",
            ComplianceMarker::MedicalDeviceRegulated => "medical device regulated",
            ComplianceMarker::DataProtectionRegulated => "data protection regulated",
            ComplianceMarker::ExportControlled => "export controlled",
        }
    }
}

impl Jurisdiction {
    /// `EU (approved holders only, medical device regulated)`, or the bare code.
    pub fn words(&self) -> String {
        if self.markers.is_empty() {
            return self.code.clone();
        }
        let markers: Vec<_> = self.markers.iter().map(ComplianceMarker::words).collect();
        format!("{} ({})", self.code, markers.join(", "))
    }
}

#[cw_serde]
pub struct Jurisdiction {
    /// Upper-case code, e.g. "US", "EU", "DE-BY" (2..=8 of A-Z, 0-9, '-').
    pub code: String,
    pub markers: Vec<ComplianceMarker>,
}

#[cw_serde]
pub struct Certification {
    /// e.g. "ISO13485", "CE-MDR" (1..=32 of A-Z a-z 0-9 '-' '.' '_').
    pub standard: String,
    pub issuer: String,
    pub certificate_id: String,
    pub expires_at: Timestamp,
}

#[cw_serde]
pub struct DigitalTwin {
    pub device_pubkey: Option<Binary>,
    pub state_hash: Option<HexBinary>,
    /// Last accepted nonce; the next update must carry `nonce + 1`.
    pub nonce: u64,
    pub updated_at: Option<Timestamp>,
}

#[cw_serde]
pub struct AssetMetadata {
    pub class: AssetClass,
    pub description_uri: String,
    pub content_hash: HexBinary,
    pub jurisdictions: Vec<Jurisdiction>,
    pub certifications: Vec<Certification>,
    pub twin: DigitalTwin,
}

#[cw_serde]
pub struct ValuationEntry {
    pub seq: u64,
    pub valuer: Addr,
    pub value: Uint128,
    pub submitted_at: Timestamp,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub compliance_officer: Addr,
    pub valuation: ValuationParams,
    /// Absent in configs stored before it existed.
    #[serde(default)]
    pub custodian: Option<Addr>,
}

crate::helpers::events! {
    actions: [
        ADD_VALUER,
        APPROVE_HOLDER,
        INSTANTIATE,
        MINT,
        REMOVE_VALUER,
        REVOKE_HOLDER,
        SET_CERTIFICATIONS,
        SET_DEVICE_KEY,
        SUBMIT_VALUATION,
        TRANSFER_NFT,
        UPDATE_COMPLIANCE_OFFICER,
        UPDATE_OWNERSHIP,
        UPDATE_TWIN,
        UPDATE_VALUATION_PARAMS,

        // Emitted by cw721-base for the standard cw721 messages this contract forwards to it.
        SEND_NFT,
        APPROVE,
        REVOKE,
        APPROVE_ALL,
        REVOKE_ALL,
        BURN,
    ],
    attributes: [
        ADMIN,
        COMPLIANCE_OFFICER,
        HOLDER,
        JURISDICTION,
        MINTER,
        NONCE,
        OFFICER,
        OWNER,
        RECIPIENT,
        SENDER,
        SEQ,
        STATE_HASH,
        TOKEN_ID,
        VALUE,
        VALUER,
        PENDING_EXPIRY,
        PENDING_OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the asset NFT contract.
    AssetNftContract,
    ExecuteMsg,
    QueryMsg
);

/// What the asset contract checks in its messages, here so that a client (`bithive asset`, a
/// governance member's `bithive gov show`) refuses or objects to exactly what the contract would
/// refuse, before it is signed or voted on: bounded lengths and restricted charsets, so no free
/// text (and no patient data) can be stored through metadata fields.
pub mod validate {
    use cosmwasm_std::{Binary, HexBinary};

    use super::{AssetMetadataMsg, Certification, Jurisdiction, ValuationParams};

    /// A field the contract refuses, and why (the contract's `InvalidField` error).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct InvalidField {
        pub field: &'static str,
        pub reason: &'static str,
    }

    impl std::fmt::Display for InvalidField {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "invalid {}: {}", self.field, self.reason)
        }
    }

    /// Everything `mint` checks before storage: the token id, the metadata and the token URI (an
    /// empty one is none).
    pub fn mint(
        token_id: &str,
        token_uri: Option<&str>,
        extension: &AssetMetadataMsg,
    ) -> Result<(), InvalidField> {
        self::token_id(token_id)?;
        metadata(extension)?;
        match token_uri {
            Some(uri) if !uri.is_empty() => description_uri(uri),
            _ => Ok(()),
        }
    }

    pub const MAX_JURISDICTIONS: usize = 16;
    pub const MAX_MARKERS: usize = 4;
    pub const MAX_CERTIFICATIONS: usize = 16;
    pub const MAX_WINDOW: u32 = 32;

    fn invalid(field: &'static str, reason: &'static str) -> InvalidField {
        InvalidField { field, reason }
    }

    fn check_charset(
        field: &'static str,
        value: &str,
        min: usize,
        max: usize,
        allowed: fn(u8) -> bool,
    ) -> Result<(), InvalidField> {
        if value.len() < min || value.len() > max {
            return Err(invalid(field, "length out of range"));
        }
        if !value.bytes().all(allowed) {
            return Err(invalid(field, "character not allowed"));
        }
        Ok(())
    }

    fn ident_char(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
    }

    pub fn token_id(id: &str) -> Result<(), InvalidField> {
        check_charset("token_id", id, 1, 64, ident_char)
    }

    pub fn jurisdiction_code(code: &str) -> Result<(), InvalidField> {
        check_charset("jurisdiction", code, 2, 8, |b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'
        })
    }

    pub fn description_uri(uri: &str) -> Result<(), InvalidField> {
        check_charset("description_uri", uri, 8, 256, |b| b.is_ascii_graphic())?;
        if !["ipfs://", "https://", "ar://"]
            .iter()
            .any(|p| uri.starts_with(p))
        {
            return Err(invalid(
                "description_uri",
                "scheme must be ipfs, https or ar",
            ));
        }
        Ok(())
    }

    pub fn hash32(field: &'static str, hash: &HexBinary) -> Result<(), InvalidField> {
        if hash.len() != 32 {
            return Err(invalid(field, "must be 32 bytes"));
        }
        Ok(())
    }

    pub fn device_pubkey(key: &Binary) -> Result<(), InvalidField> {
        if key.len() != 33 || !matches!(key[0], 0x02 | 0x03) {
            return Err(invalid(
                "device_pubkey",
                "must be a 33-byte compressed secp256k1 key",
            ));
        }
        Ok(())
    }

    pub fn jurisdictions(list: &[Jurisdiction]) -> Result<(), InvalidField> {
        if list.is_empty() || list.len() > MAX_JURISDICTIONS {
            return Err(invalid("jurisdictions", "1 to 16 entries"));
        }
        for (i, j) in list.iter().enumerate() {
            jurisdiction_code(&j.code)?;
            if list[..i].iter().any(|o| o.code == j.code) {
                return Err(invalid("jurisdictions", "duplicate code"));
            }
            if j.markers.len() > MAX_MARKERS {
                return Err(invalid("markers", "at most 4 per jurisdiction"));
            }
            for (k, m) in j.markers.iter().enumerate() {
                if j.markers[..k].contains(m) {
                    return Err(invalid("markers", "duplicate marker"));
                }
            }
        }
        Ok(())
    }

    pub fn certifications(list: &[Certification]) -> Result<(), InvalidField> {
        if list.len() > MAX_CERTIFICATIONS {
            return Err(invalid("certifications", "at most 16 entries"));
        }
        for c in list {
            check_charset("certification.standard", &c.standard, 1, 32, ident_char)?;
            check_charset("certification.issuer", &c.issuer, 1, 64, ident_char)?;
            check_charset(
                "certification.certificate_id",
                &c.certificate_id,
                1,
                64,
                ident_char,
            )?;
        }
        Ok(())
    }

    pub fn metadata(m: &AssetMetadataMsg) -> Result<(), InvalidField> {
        description_uri(&m.description_uri)?;
        hash32("content_hash", &m.content_hash)?;
        jurisdictions(&m.jurisdictions)?;
        certifications(&m.certifications)?;
        if let Some(key) = &m.device_pubkey {
            device_pubkey(key)?;
        }
        Ok(())
    }

    pub fn valuation_params(p: &ValuationParams) -> Result<(), InvalidField> {
        check_charset("valuation.unit", &p.unit, 1, 16, ident_char)?;
        if p.window == 0 || p.window > MAX_WINDOW {
            return Err(invalid("valuation.window", "1 to 32"));
        }
        if p.quorum == 0 || p.quorum > p.window {
            return Err(invalid("valuation.quorum", "1 to window"));
        }
        if p.freshness_secs == 0 {
            return Err(invalid("valuation.freshness_secs", "must be positive"));
        }
        Ok(())
    }
}
