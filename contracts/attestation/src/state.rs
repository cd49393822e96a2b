use bithive_signed_attestation::{Attestation, Hash32};
use cosmwasm_std::{Addr, HexBinary};
use cw_storage_plus::{Item, Map};

// Stored as-is and returned by queries, so they live with the messages.
pub use bithive_interface::attestation::{
    Accepted, ChannelInfo, Config, Outgoing, PacketStatus, StoredProof,
};

/// Most signatures or signers one quorum proof may carry (the staking attestor set is <= 100).
pub const MAX_QUORUM_SIGNERS: usize = 100;
pub const IBC_VERSION: &str = "bithive-attestation-1";

pub const CONFIG: Item<Config> = Item::new("config");
/// Record key (see `record_key`) -> accepted attestation: (job, kind) accepted once.
pub const ACCEPTED: Map<&[u8], Accepted> = Map::new("accepted");
/// (signer, nonce) -> height: accepted once.
pub const NONCES: Map<(&[u8], u64), u64> = Map::new("nonces");
/// (signer, record key): index of attestations by signer.
pub const BY_SIGNER: Map<(&[u8], &[u8]), ()> = Map::new("by_signer");
/// Node -> BLS public key (48 bytes), and the reverse (one key per node, one node per key).
pub const BLS_KEYS: Map<&Addr, HexBinary> = Map::new("bls_keys");
pub const BLS_KEY_OWNERS: Map<&[u8], Addr> = Map::new("bls_key_owners");
pub const CHANNELS: Map<&str, ChannelInfo> = Map::new("channels");
/// Remote chain id -> channel its attestations are forwarded over.
pub const ROUTES: Map<&str, String> = Map::new("routes");
/// Channel -> the chain routed over it (the reverse of `ROUTES`): packets are accepted only on
/// a channel governance routed.
pub const ROUTED: Map<&str, String> = Map::new("routed");
pub const OUTGOING: Map<u64, Outgoing> = Map::new("outgoing");
/// Ids of outgoing packets not yet delivered (bounded pending query).
pub const PENDING: Map<u64, ()> = Map::new("pending");
pub const OUTGOING_SEQ: Item<u64> = Item::new("outgoing_seq");
/// Outgoing packet id -> the record an error ack released (restored if a retry is delivered).
pub const RELEASED: Map<u64, Accepted> = Map::new("released");
/// (consumer contract, subject) -> last accepted round of a round kind: valuations per
/// (asset-nft, token id), evaluations per (model registry, model id). Rounds only go up. (The
/// storage key predates evaluations.)
pub const ROUNDS: Map<(&str, &str), u64> = Map::new("valuation_rounds");

/// The staking contract's operator key index (`Map<&[u8], Addr>` "operator_keys"), read with a
/// raw query: staking has no smart query by operator key.
pub const STAKING_OPERATOR_KEYS: Map<&[u8], Addr> = Map::new("operator_keys");

/// Key of "(job, kind) on this contract of this chain": the attestation's job key with the
/// quorum signer, i.e. independent of who signed. A record-only matching attestation (free to
/// anyone registered) has its own key space, per signer (issue #43): it can never take the key
/// of the paid attestation of the same research job (whose node's real one would then be
/// refused as "already attested"), nor another signer's record.
pub fn record_key(
    a: &Attestation,
    record_only: bool,
) -> Result<Hash32, bithive_signed_attestation::AttestationError> {
    if record_only {
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut h, RECORD_ONLY_DOMAIN);
        sha2::Digest::update(&mut h, a.job_key()?.0);
        return Ok(Hash32(sha2::Digest::finalize(h).into()));
    }
    let mut anon = a.clone();
    anon.signer = bithive_signed_attestation::QUORUM_SIGNER;
    anon.job_key()
}

/// Domain of the record keys of record-only matching attestations.
const RECORD_ONLY_DOMAIN: &[u8] = b"BITHIVE/RECORD-ONLY/v1";

/// A matching attestation without a payload: recorded, never paid.
pub fn is_record_only(a: &Attestation, payload: Option<&cosmwasm_std::Binary>) -> bool {
    a.kind == bithive_signed_attestation::AttestationKind::Matching && payload.is_none()
}

/// The config as stored by 0.1 (`peer_port`, no pinned peers): read once by `migrate`.
#[cosmwasm_schema::cw_serde]
pub struct ConfigV1 {
    pub governance: Addr,
    pub staking: Addr,
    pub escrow: Option<Addr>,
    pub rewards: Option<Addr>,
    pub asset_nft: Option<Addr>,
    pub quorum_threshold: u32,
    pub quorum_kinds: Vec<bithive_signed_attestation::AttestationKind>,
    pub max_age_seconds: u64,
    pub max_future_seconds: u64,
    pub ibc_timeout_seconds: u64,
    pub peer_port: Option<String>,
}

impl ConfigV1 {
    /// No peer is pinned: a port alone names no light client, so governance pins
    /// (connection, port) pairs with `UpdatePeers` before packets flow again.
    pub fn upgrade(self) -> Config {
        Config {
            governance: self.governance,
            staking: self.staking,
            escrow: self.escrow,
            rewards: self.rewards,
            asset_nft: self.asset_nft,
            model_registry: None,
            quorum_threshold: self.quorum_threshold,
            quorum_kinds: self.quorum_kinds,
            max_age_seconds: self.max_age_seconds,
            max_future_seconds: self.max_future_seconds,
            ibc_timeout_seconds: self.ibc_timeout_seconds,
            peers: vec![],
        }
    }
}
