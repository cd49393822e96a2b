use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33, Signature64};
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, HexBinary};
use cw_storage_plus::{Item, Map};

use crate::msg::AttestationPacket;

/// Most signatures or signers one quorum proof may carry (the staking attestor set is <= 100).
pub const MAX_QUORUM_SIGNERS: usize = 100;
pub const IBC_VERSION: &str = "bithive-attestation-1";

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub staking: Addr,
    pub escrow: Option<Addr>,
    pub rewards: Option<Addr>,
    pub asset_nft: Option<Addr>,
    pub quorum_threshold: u32,
    pub quorum_kinds: Vec<AttestationKind>,
    pub max_age_seconds: u64,
    pub max_future_seconds: u64,
    pub ibc_timeout_seconds: u64,
    pub peer_port: Option<String>,
}

/// How an accepted attestation was proven.
#[cw_serde]
pub enum StoredProof {
    Single {
        signature: Signature64,
    },
    Secp256k1 {
        signers: Vec<PubKey33>,
    },
    Bls {
        signers: Vec<String>,
    },
    /// Received over IBC (verified against the packet's proof and this contract's rules).
    Ibc {
        channel_id: String,
        packet_id: u64,
    },
}

#[cw_serde]
pub struct Accepted {
    pub attestation: Attestation,
    pub proof: StoredProof,
    /// Node paid or credited (if the kind has one).
    pub node: Option<String>,
    pub height: u64,
    /// Outgoing packet id when forwarded instead of dispatched here.
    pub forwarded: Option<u64>,
}

#[cw_serde]
pub struct ChannelInfo {
    pub channel_id: String,
    pub counterparty_port: String,
    pub counterparty_channel: String,
    pub connection_id: String,
    pub open: bool,
}

#[cw_serde]
pub enum PacketStatus {
    InFlight,
    Delivered,
    /// The receiver refused it (error acknowledgement).
    Refused {
        error: String,
    },
    TimedOut,
}

#[cw_serde]
pub struct Outgoing {
    pub id: u64,
    pub chain_id: String,
    pub channel_id: String,
    pub packet: AttestationPacket,
    pub status: PacketStatus,
    pub attempts: u32,
}

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
pub const OUTGOING: Map<u64, Outgoing> = Map::new("outgoing");
/// Ids of outgoing packets not yet delivered (bounded pending query).
pub const PENDING: Map<u64, ()> = Map::new("pending");
pub const OUTGOING_SEQ: Item<u64> = Item::new("outgoing_seq");

/// The staking contract's operator key index (`Map<&[u8], Addr>` "operator_keys"), read with a
/// raw query: staking has no smart query by operator key.
pub const STAKING_OPERATOR_KEYS: Map<&[u8], Addr> = Map::new("operator_keys");

/// Key of "(job, kind) on this contract of this chain": the attestation's job key with the
/// quorum signer, i.e. independent of who signed.
pub fn record_key(a: &Attestation) -> Result<Hash32, bithive_signed_attestation::AttestationError> {
    let mut anon = a.clone();
    anon.signer = bithive_signed_attestation::QUORUM_SIGNER;
    anon.job_key()
}
