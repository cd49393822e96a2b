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
pub const OUTGOING: Map<u64, Outgoing> = Map::new("outgoing");
/// Ids of outgoing packets not yet delivered (bounded pending query).
pub const PENDING: Map<u64, ()> = Map::new("pending");
pub const OUTGOING_SEQ: Item<u64> = Item::new("outgoing_seq");
/// (asset-nft contract, token id) -> last accepted valuation round: rounds only go up.
pub const VALUATION_ROUNDS: Map<(&str, &str), u64> = Map::new("valuation_rounds");

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
