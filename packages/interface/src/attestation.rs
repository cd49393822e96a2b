use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33, Signature64};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, HexBinary, Uint128};
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

#[cw_serde]
pub struct InstantiateMsg {
    pub governance: String,
    /// The staking contract: operator keys and the attestor set.
    pub staking: String,
    /// payfi-escrow (inference jobs), rewards (compute work), asset-nft (valuations).
    pub escrow: Option<String>,
    pub rewards: Option<String>,
    pub asset_nft: Option<String>,
    /// The model registry (evaluations set a model's held-out accuracy).
    #[serde(default)]
    pub model_registry: Option<String>,
    /// K: signatures a quorum attestation needs (1..=100).
    pub quorum_threshold: u32,
    /// Kinds a single signer may not attest (they need a quorum).
    pub quorum_kinds: Vec<AttestationKind>,
    /// Oldest accepted `issued_at`, seconds before the block time.
    pub max_age_seconds: u64,
    /// Latest accepted `issued_at`, seconds after the block time (clock skew).
    pub max_future_seconds: u64,
    /// Timeout of forwarded packets.
    pub ibc_timeout_seconds: u64,
    /// The IBC counterparties a channel may open with (at most [`MAX_PEERS`]); empty: none.
    pub peers: Vec<PeerEndpoint>,
}

/// Most IBC peers one contract pins.
pub const MAX_PEERS: usize = 16;

/// An IBC counterparty this contract trusts to carry attestations: the light-client connection
/// on this chain and the counterparty's port (`wasm.<peer attestation contract>`). A channel
/// opens only to a pinned peer, and packets are refused once its peer is unpinned.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord)]
pub struct PeerEndpoint {
    pub connection_id: String,
    pub port_id: String,
}

/// One attestor's secp256k1 signature in a quorum.
#[cw_serde]
pub struct KeySignature {
    pub key: PubKey33,
    pub signature: Signature64,
}

#[cw_serde]
pub enum QuorumProof {
    /// K signatures by operator keys of attestor-set members.
    Secp256k1 { signatures: Vec<KeySignature> },
    /// One BLS12-381 aggregate (G2, 96 bytes) by the registered BLS keys of `signers` (nodes).
    Bls {
        signers: Vec<String>,
        signature: HexBinary,
    },
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// A single-signer attestation by the operator key of a registered node. `payload`: the typed
    /// consumer data (see README) bound by `payload_hash(kind, payload)` = `result_hash` or a
    /// commitment.
    Submit {
        attestation: Attestation,
        signature: Signature64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<Binary>,
    },
    /// A quorum attestation (`signer` = the all-zero quorum key) signed by K attestors.
    SubmitQuorum {
        attestation: Attestation,
        proof: QuorumProof,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<Binary>,
    },
    /// A registered node registers its BLS12-381 key (G1, 48 bytes) with a proof of possession
    /// (G2, 96 bytes) over `bls_pop_message(public_key, sender)`.
    RegisterBlsKey {
        public_key: HexBinary,
        proof_of_possession: HexBinary,
    },
    /// Governance: pin (`add`) or unpin (`remove`) IBC peers.
    UpdatePeers {
        add: Vec<PeerEndpoint>,
        remove: Vec<PeerEndpoint>,
    },
    /// Governance: attestations of `chain_id` are forwarded over `channel_id` (None removes), and
    /// packets are accepted over a channel only while it is the route of some chain.
    SetRoute {
        chain_id: String,
        channel_id: Option<String>,
    },
    /// Permissionless: re-send a forwarded attestation whose packet timed out or was refused.
    RetryPacket { id: u64 },
    /// Internal: the contract processes a received packet in a submessage to itself, so a
    /// failure reverts everything it did and becomes an error acknowledgement.
    ProcessPacket {
        channel_id: String,
        packet: AttestationPacket,
    },
    /// Governance.
    UpdateConfig {
        escrow: Option<String>,
        rewards: Option<String>,
        asset_nft: Option<String>,
        #[serde(default)]
        model_registry: Option<String>,
        quorum_threshold: Option<u32>,
        quorum_kinds: Option<Vec<AttestationKind>>,
        max_age_seconds: Option<u64>,
        max_future_seconds: Option<u64>,
        ibc_timeout_seconds: Option<u64>,
    },
}

/// Consumer payloads (JSON bytes, hashed with `payload_hash`).
#[cw_serde]
pub struct InferencePayload {
    /// Node that ran the job (required for quorum attestations; a single signer's own node).
    pub node: Option<String>,
    /// The result's Tscore in [0, 1] (the engine's, committed in the result hash), which feeds
    /// the model's record in the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tscore: Option<Decimal>,
    /// The result's class probabilities in their canonical quantized form
    /// (`bithive_formulas::quantized`, 10^-6 quanta): what the attestors compare their re-run
    /// with when they sample the job (ADR 007, decision 6). A signed output that a quorum's
    /// re-runs disagree with is slashable evidence (`staking::ExecuteMsg::SubmitReexecution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<u32>>,
    /// sha256 (lowercase hex) of the ONNX file the node ran: for a job on an unregistered
    /// model name, attestors re-run it only with a file of the same hash (a node serving
    /// another file of that name is not cheating; such a job earns no compute-pool units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
}

/// Payload of a `patient_activity` attestation: the rewards contract pays `patient` the
/// Rpatient reward of `activity` (the attestation's `job_id` is the activity id).
#[cw_serde]
pub struct PatientPayload {
    pub patient: String,
    pub activity: bithive_formulas::rpatient::RpatientInputs,
}

/// Payload of a `compute_work` attestation: what the attestors measured of a node this epoch.
/// Units and task counts are not in it: rewards takes them from the escrow (ADR 007).
#[cw_serde]
pub struct WorkPayload {
    pub node: Option<String>,
    pub measured: crate::rewards::MeasuredWork,
}

/// The escrow model of a research request: a paid `matching` attestation may name only a job of
/// this model, and an `inference` attestation never one.
pub const MATCHING_MODEL: &str = "bithive-matching-v1";

/// Payload of a paid `matching` attestation: the research request was paid as a compute job
/// of payfi-escrow (`model = "bithive-matching-v1"`); on acceptance the escrow pays the
/// attesting node. Without a payload a matching attestation is only recorded.
#[cw_serde]
pub struct MatchingPayload {
    pub escrow_job_id: String,
    /// Node that ran the matching (required for quorum attestations; a single signer's own).
    pub node: Option<String>,
}

/// Payload of a `valuation` attestation. Its `job_id` is [`valuation_job_id`]`(token id, round)`.
#[cw_serde]
pub struct ValuationPayload {
    pub value: Uint128,
}

/// Separates the token id from the round in a valuation attestation's `job_id`.
pub const VALUATION_ROUND_SEPARATOR: char = '#';

/// `job_id` of the valuation of `token_id` in `round` (`"<token id>#<round>"`, round >= 1 in
/// decimal). The attestation contract accepts each (token, round) once and only rounds above the
/// token's last accepted round, so an asset is re-valued every round while a replay (or an older
/// round held back) is refused.
pub fn valuation_job_id(token_id: &str, round: u64) -> String {
    format!("{token_id}{VALUATION_ROUND_SEPARATOR}{round}")
}

/// The (token id, round) of a valuation `job_id`; `None` unless it is exactly what
/// [`valuation_job_id`] builds (non-empty token id, canonical decimal round >= 1).
pub fn parse_valuation_job_id(job_id: &str) -> Option<(&str, u64)> {
    let (token_id, round) = job_id.rsplit_once(VALUATION_ROUND_SEPARATOR)?;
    let canonical =
        !round.is_empty() && !round.starts_with('0') && round.bytes().all(|b| b.is_ascii_digit());
    if token_id.is_empty() || !canonical {
        return None;
    }
    Some((token_id, round.parse().ok()?))
}

/// Payload of an `evaluation` attestation (always a quorum): the attestors scored the model on
/// a held-out set and the attestation contract sets the result as the model's accuracy in the
/// registry. Its `job_id` is [`evaluation_job_id`]`(model id, round)`; its `result_hash` commits
/// to the evaluation report (model, held-out set, every prediction) and becomes the model's
/// `evaluation` reference.
#[cw_serde]
pub struct EvaluationPayload {
    /// Held-out accuracy in [0, 1] (balanced accuracy for classifiers).
    pub accuracy: Decimal,
    /// sha256 (hex) of the held-out set.
    pub dataset: String,
    /// Rows scored.
    pub samples: u32,
    /// The model's measured cost of one run, in work units, when the evaluation measured it:
    /// set in the registry beside the accuracy (ADR 007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_cost: Option<cosmwasm_std::Uint128>,
}

/// `job_id` of the `round`-th evaluation of registry model `model_id` (`"<model id>#<round>"`,
/// as [`valuation_job_id`]): each round is accepted once and only above the model's last
/// accepted round, so a model is re-scored when its held-out set changes and never rolled back.
pub fn evaluation_job_id(model_id: u64, round: u64) -> String {
    valuation_job_id(&model_id.to_string(), round)
}

/// The (model id, round) of an evaluation `job_id`; `None` unless it is exactly what
/// [`evaluation_job_id`] builds (canonical decimal model id and round >= 1).
pub fn parse_evaluation_job_id(job_id: &str) -> Option<(u64, u64)> {
    let (model, round) = parse_valuation_job_id(job_id)?;
    let canonical =
        (model == "0" || !model.starts_with('0')) && model.bytes().all(|b| b.is_ascii_digit());
    if !canonical {
        return None;
    }
    Some((model.parse().ok()?, round))
}

/// How a forwarded attestation proves itself to the receiving chain.
#[cw_serde]
pub enum PacketProof {
    Single {
        signature: Signature64,
    },
    Secp256k1 {
        signatures: Vec<KeySignature>,
    },
    /// BLS aggregate by `signers` (nodes): the receiver aggregates their keys from its own
    /// registry and attestor set, never from the packet.
    Bls {
        signers: Vec<String>,
        signature: HexBinary,
    },
}

/// IBC packet data (JSON).
#[cw_serde]
pub struct AttestationPacket {
    /// Outgoing record id on the sending chain.
    pub id: u64,
    pub attestation: Attestation,
    pub proof: PacketProof,
    pub payload: Option<Binary>,
}

impl From<QuorumProof> for PacketProof {
    fn from(p: QuorumProof) -> Self {
        match p {
            QuorumProof::Secp256k1 { signatures } => PacketProof::Secp256k1 { signatures },
            QuorumProof::Bls { signers, signature } => PacketProof::Bls { signers, signature },
        }
    }
}

pub use crate::MigrateMsg;

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    /// The accepted attestation of (job, kind); `contract` defaults to the kind's consumer,
    /// `chain_id` to this chain.
    #[returns(Option<Accepted>)]
    Attestation {
        job_id: String,
        kind: AttestationKind,
        contract: Option<String>,
        chain_id: Option<String>,
    },
    /// Attestations by one signer (the quorum key for quorum attestations), by record key.
    #[returns(AttestationsResponse)]
    BySigner {
        signer: PubKey33,
        start_after: Option<Hash32>,
        limit: Option<u32>,
    },
    #[returns(bool)]
    NonceUsed { signer: PubKey33, nonce: u64 },
    #[returns(Option<HexBinary>)]
    BlsKey { node: String },
    #[returns(Option<String>)]
    Route { chain_id: String },
    #[returns(ChannelsResponse)]
    Channels {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Forwarded attestations not yet acknowledged with success.
    #[returns(PacketsResponse)]
    PendingPackets {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Option<Outgoing>)]
    Packet { id: u64 },
    /// Last accepted valuation round of `token_id` on the configured asset-nft contract (0: none
    /// yet); the next valuation attestation names a higher round.
    #[returns(u64)]
    ValuationRound { token_id: String },
    /// Last accepted evaluation round of registry model `model_id` on the configured model
    /// registry (0: none yet); the next evaluation attestation names a higher round.
    #[returns(u64)]
    EvaluationRound { model_id: u64 },
}

#[cw_serde]
pub struct AttestationsResponse {
    pub attestations: Vec<(Hash32, Accepted)>,
}

#[cw_serde]
pub struct ChannelsResponse {
    pub channels: Vec<ChannelInfo>,
}

#[cw_serde]
pub struct PacketsResponse {
    pub packets: Vec<Outgoing>,
}

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub staking: Addr,
    pub escrow: Option<Addr>,
    pub rewards: Option<Addr>,
    pub asset_nft: Option<Addr>,
    /// Consumer of `evaluation` attestations (absent in configs stored before it existed).
    #[serde(default)]
    pub model_registry: Option<Addr>,
    pub quorum_threshold: u32,
    pub quorum_kinds: Vec<AttestationKind>,
    pub max_age_seconds: u64,
    pub max_future_seconds: u64,
    pub ibc_timeout_seconds: u64,
    pub peers: Vec<PeerEndpoint>,
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
    /// The payload of an inference attestation dispatched here: its quantized outputs are what
    /// the attestors' sampled re-runs are compared with (ADR 007, decision 6), and it is the
    /// evidence's `payload` should they disagree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Binary>,
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

crate::helpers::events! {
    actions: [
        ACCEPT,
        CHANNEL_CLOSE,
        CHANNEL_CONNECT,
        CONFLICT,
        INSTANTIATE,
        PACKET_ACK,
        PACKET_TIMEOUT,
        RECEIVE,
        RECEIVE_REFUSED,
        REGISTER_BLS_KEY,
        RETRY_PACKET,
        SET_ROUTE,
        UPDATE_CONFIG,
        UPDATE_OWNERSHIP,
        UPDATE_PEERS,
    ],
    attributes: [
        ATTEMPTS,
        CHAIN_ID,
        CHANNEL_ID,
        CONSUMER,
        ERROR,
        JOB_ID,
        KIND,
        NODE,
        NONCE,
        ORIGIN_CHANNEL,
        ORIGIN_PACKET,
        OUTCOME,
        PACKET_ID,
        /// `connection/port` of every pinned peer after the change, comma-separated.
        PEERS,
        PUBLIC_KEY,
        RECORD_KEY,
        ROUND,
        ROUTE,
        SIGNER,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the attestation contract.
    AttestationContract,
    ExecuteMsg,
    QueryMsg
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_job_ids_round_trip_and_refuse_non_canonical_forms() {
        assert_eq!(evaluation_job_id(7, 1), "7#1");
        assert_eq!(parse_evaluation_job_id("7#1"), Some((7, 1)));
        assert_eq!(parse_evaluation_job_id("0#3"), Some((0, 3)));
        for bad in [
            "07#1", "7#0", "7#01", "x#1", "#1", "7", "7#", "-7#1", "7#1#2", " 7#1",
        ] {
            assert_eq!(parse_evaluation_job_id(bad), None, "{bad}");
        }
    }
}
