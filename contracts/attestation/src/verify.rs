//! The acceptance rules shared by local submissions and received packets: target (chain and
//! contract), freshness, signatures and quorums, replay, payload binding.

use bithive_interface::staking::StakingContract;
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, PubKey33, Signature64, BLS_SIGNATURE_DST,
};
use cosmwasm_std::{
    from_json, Addr, Api, Binary, Deps, Env, HashFunction, QuerierWrapper, Storage,
    BLS12_381_G1_GENERATOR,
};

use crate::error::ContractError;
use crate::msg::{KeySignature, PacketProof};
use crate::state::{
    Config, StoredProof, BLS_KEYS, CHANNELS, MAX_QUORUM_SIGNERS, NONCES, ROUTED, ROUTES,
    STAKING_OPERATOR_KEYS,
};

/// Who signed: the node of a single signer, or the nodes of a quorum's members.
pub enum NodeSource {
    /// A single signer: its own node (a payload may repeat it, never change it).
    Signer(Addr),
    /// A quorum, by these member nodes: the payload names the job's node; it must be registered.
    Quorum(Vec<Addr>),
}

impl NodeSource {
    pub(crate) fn signed_by(&self, node: &str) -> bool {
        match self {
            NodeSource::Signer(n) => n.as_str() == node,
            NodeSource::Quorum(members) => members.iter().any(|m| m.as_str() == node),
        }
    }
}

pub fn kind_name(k: AttestationKind) -> &'static str {
    match k {
        AttestationKind::Inference => "inference",
        AttestationKind::Matching => "matching",
        AttestationKind::ComputeWork => "compute_work",
        AttestationKind::Valuation => "valuation",
        AttestationKind::PatientActivity => "patient_activity",
        AttestationKind::Evaluation => "evaluation",
    }
}

/// Kinds a single signer may never attest, whatever the config says: what pays from a pool
/// rather than from a payer who chose the node (`compute_work` pays the compute pool,
/// `patient_activity` the patient pool, `valuation` moves an asset's price), and `evaluation` (a
/// model's accuracy sets its standing; one node, perhaps its owner, must not decide it). Behind
/// each there must be a quorum of the bonded attestor set, enforced here, not by a deploy default.
pub const ALWAYS_QUORUM: [AttestationKind; 4] = [
    AttestationKind::ComputeWork,
    AttestationKind::Valuation,
    AttestationKind::PatientActivity,
    AttestationKind::Evaluation,
];

/// Kinds a single signer may not attest: [`ALWAYS_QUORUM`] and the configured ones.
pub fn needs_quorum(config: &Config, kind: AttestationKind) -> bool {
    ALWAYS_QUORUM.contains(&kind) || config.quorum_kinds.contains(&kind)
}

/// Where an accepted attestation goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Dispatched here (to the kind's consumer, or only recorded).
    Local,
    /// Forwarded over this channel.
    Remote { channel_id: String },
}

/// The contract an attestation of `kind` on this chain must name: its consumer, or this contract
/// for the record-only kind (matching).
pub fn expected_contract(
    config: &Config,
    env: &Env,
    kind: AttestationKind,
) -> Result<Addr, ContractError> {
    let c = match kind {
        AttestationKind::Inference => config.escrow.clone(),
        AttestationKind::ComputeWork | AttestationKind::PatientActivity => config.rewards.clone(),
        AttestationKind::Valuation => config.asset_nft.clone(),
        AttestationKind::Evaluation => config.model_registry.clone(),
        AttestationKind::Matching => Some(env.contract.address.clone()),
    };
    c.ok_or(ContractError::NoConsumer(kind_name(kind)))
}

/// This chain: the contract must be the kind's consumer. A routed chain: forwarded (its
/// receiver checks the contract). Any other chain id: rejected.
pub fn target(
    storage: &dyn Storage,
    env: &Env,
    config: &Config,
    a: &Attestation,
) -> Result<Target, ContractError> {
    if a.chain_id == env.block.chain_id {
        let expected = expected_contract(config, env, a.kind)?;
        if a.contract != expected.as_str() {
            return Err(ContractError::WrongContract {
                expected: expected.into(),
                got: a.contract.clone(),
            });
        }
        return Ok(Target::Local);
    }
    let channel_id = ROUTES
        .may_load(storage, &a.chain_id)?
        .ok_or_else(|| ContractError::WrongChain(a.chain_id.clone()))?;
    Ok(Target::Remote { channel_id })
}

/// Fails unless (connection, counterparty port) is a pinned peer.
pub fn ensure_peer(
    config: &Config,
    connection_id: &str,
    port_id: &str,
) -> Result<(), ContractError> {
    if config
        .peers
        .iter()
        .any(|p| p.connection_id == connection_id && p.port_id == port_id)
    {
        Ok(())
    } else {
        Err(ContractError::BadCounterparty(format!(
            "{connection_id}/{port_id}"
        )))
    }
}

/// A channel attestations may travel over: known, open, and to a peer that is still pinned.
pub fn usable_channel(
    storage: &dyn Storage,
    config: &Config,
    channel_id: &str,
) -> Result<(), ContractError> {
    match CHANNELS.may_load(storage, channel_id)? {
        Some(c) if c.open => ensure_peer(config, &c.connection_id, &c.counterparty_port),
        _ => Err(ContractError::ChannelClosed(channel_id.to_string())),
    }
}

/// A channel packets may arrive on: usable, and the route of some chain (governance chose it).
pub fn receiving_channel(
    storage: &dyn Storage,
    config: &Config,
    channel_id: &str,
) -> Result<(), ContractError> {
    usable_channel(storage, config, channel_id)?;
    if !ROUTED.has(storage, channel_id) {
        return Err(ContractError::UnroutedChannel(channel_id.to_string()));
    }
    Ok(())
}

pub fn check_fresh(config: &Config, env: &Env, a: &Attestation) -> Result<(), ContractError> {
    let now = env.block.time.seconds();
    let oldest = now.saturating_sub(config.max_age_seconds);
    let newest = now.saturating_add(config.max_future_seconds);
    if a.issued_at < oldest || a.issued_at > newest {
        return Err(ContractError::NotFresh {
            issued_at: a.issued_at,
            now,
        });
    }
    Ok(())
}

pub fn check_nonce(storage: &dyn Storage, a: &Attestation) -> Result<(), ContractError> {
    if NONCES.has(storage, (a.signer.as_bytes(), a.nonce)) {
        return Err(ContractError::NonceUsed(a.nonce));
    }
    Ok(())
}

pub fn verify_secp(
    api: &dyn Api,
    digest: &Hash32,
    signature: &Signature64,
    key: &PubKey33,
) -> Result<(), ContractError> {
    match api.secp256k1_verify(&digest.0, &signature.0, &key.0) {
        Ok(true) => Ok(()),
        // A malformed key or signature is a bad signature for the submitter.
        Ok(false) | Err(_) => Err(ContractError::BadSignature),
    }
}

/// The node whose operator key is `key` (raw read of staking's index).
pub fn operator_node(
    querier: &QuerierWrapper,
    staking: &Addr,
    key: &PubKey33,
) -> Result<Addr, ContractError> {
    STAKING_OPERATOR_KEYS
        .query(querier, staking.clone(), key.as_bytes())?
        .ok_or(ContractError::UnknownOperator)
}

/// Members of staking's current attestor set.
pub fn attestor_set(querier: &QuerierWrapper, staking: &Addr) -> Result<Vec<Addr>, ContractError> {
    let set = StakingContract(staking.clone()).attestor_set(querier)?;
    if set.epoch.is_none() || set.members.is_empty() {
        return Err(ContractError::NoAttestorSet);
    }
    Ok(set.members.into_iter().map(|m| m.node).collect())
}

pub fn ensure_registered(
    querier: &QuerierWrapper,
    staking: &Addr,
    node: &str,
) -> Result<(), ContractError> {
    let s = StakingContract(staking.clone()).pledge_status(querier, node)?;
    if !s.registered {
        return Err(ContractError::NotRegistered(node.to_string()));
    }
    Ok(())
}

fn ensure_count(got: usize, need: u32) -> Result<(), ContractError> {
    if got > MAX_QUORUM_SIGNERS {
        return Err(ContractError::TooManySigners(MAX_QUORUM_SIGNERS));
    }
    if (got as u64) < need as u64 {
        return Err(ContractError::QuorumNotMet {
            got: got as u32,
            need,
        });
    }
    Ok(())
}

/// K secp256k1 signatures over `digest` by distinct keys, each the operator key of a distinct
/// attestor-set member. Returns the keys and their nodes.
pub fn verify_secp_quorum(
    deps: Deps,
    config: &Config,
    digest: &Hash32,
    signatures: &[KeySignature],
    members: &[Addr],
) -> Result<(Vec<PubKey33>, Vec<Addr>), ContractError> {
    ensure_count(signatures.len(), config.quorum_threshold)?;
    let mut keys: Vec<PubKey33> = Vec::with_capacity(signatures.len());
    let mut nodes: Vec<Addr> = Vec::with_capacity(signatures.len());
    for ks in signatures {
        if keys.contains(&ks.key) {
            return Err(ContractError::DuplicateSigner(ks.key.to_hex()));
        }
        let node = operator_node(&deps.querier, &config.staking, &ks.key)?;
        if !members.contains(&node) {
            return Err(ContractError::NotAttestor(node.into()));
        }
        if nodes.contains(&node) {
            return Err(ContractError::DuplicateSigner(node.into()));
        }
        verify_secp(deps.api, digest, &ks.signature, &ks.key)?;
        nodes.push(node);
        keys.push(ks.key);
    }
    Ok((keys, nodes))
}

/// Aggregate key of distinct attestor-set members with registered BLS keys, and those members.
pub fn bls_aggregate_key(
    deps: Deps,
    config: &Config,
    signers: &[String],
    members: &[Addr],
) -> Result<([u8; 48], Vec<Addr>), ContractError> {
    ensure_count(signers.len(), config.quorum_threshold)?;
    let mut seen: Vec<Addr> = Vec::with_capacity(signers.len());
    let mut keys = Vec::with_capacity(48 * signers.len());
    for s in signers {
        let node = deps.api.addr_validate(s)?;
        if seen.contains(&node) {
            return Err(ContractError::DuplicateSigner(node.into()));
        }
        if !members.contains(&node) {
            return Err(ContractError::NotAttestor(node.into()));
        }
        let key = BLS_KEYS
            .may_load(deps.storage, &node)?
            .ok_or_else(|| ContractError::NoBlsKey(node.to_string()))?;
        keys.extend_from_slice(key.as_slice());
        seen.push(node);
    }
    Ok((deps.api.bls12_381_aggregate_g1(&keys)?, seen))
}

/// The one proof check of every path (`submit`, `submit_quorum`, a received packet), against
/// this chain's registry only: a single signer must be a registered operator key and its kind
/// must not need a quorum; a quorum must be K members of this chain's attestor set. Returns who
/// signed and what is stored as the record's proof.
pub fn verify_proof(
    deps: Deps,
    config: &Config,
    a: &Attestation,
    digest: &Hash32,
    proof: &PacketProof,
) -> Result<(NodeSource, StoredProof), ContractError> {
    if a.is_quorum() != !matches!(proof, PacketProof::Single { .. }) {
        return Err(ContractError::SignerMismatch);
    }
    match proof {
        PacketProof::Single { signature } => {
            if needs_quorum(config, a.kind) {
                return Err(ContractError::QuorumRequired(kind_name(a.kind)));
            }
            let node = operator_node(&deps.querier, &config.staking, &a.signer)?;
            verify_secp(deps.api, digest, signature, &a.signer)?;
            Ok((
                NodeSource::Signer(node),
                StoredProof::Single {
                    signature: *signature,
                },
            ))
        }
        PacketProof::Secp256k1 { signatures } => {
            let members = attestor_set(&deps.querier, &config.staking)?;
            let (keys, nodes) = verify_secp_quorum(deps, config, digest, signatures, &members)?;
            Ok((
                NodeSource::Quorum(nodes),
                StoredProof::Secp256k1 { signers: keys },
            ))
        }
        PacketProof::Bls { signers, signature } => {
            let members = attestor_set(&deps.querier, &config.staking)?;
            let (apk, nodes) = bls_aggregate_key(deps, config, signers, &members)?;
            verify_bls_digest(deps.api, &apk, digest, signature.as_slice())?;
            Ok((
                NodeSource::Quorum(nodes),
                StoredProof::Bls {
                    signers: signers.clone(),
                },
            ))
        }
    }
}

/// `e(G1, signature) == e(aggregate key, H(digest))` with the host functions.
pub fn verify_bls(
    api: &dyn Api,
    aggregate_key: &[u8],
    msg: &[u8],
    dst: &[u8],
    signature: &[u8],
) -> Result<(), ContractError> {
    if aggregate_key.len() != 48 || signature.len() != 96 {
        return Err(ContractError::BadBlsLength);
    }
    let h = api.bls12_381_hash_to_g2(HashFunction::Sha256, msg, dst)?;
    match api.bls12_381_pairing_equality(&BLS12_381_G1_GENERATOR, signature, aggregate_key, &h) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(ContractError::BadSignature),
    }
}

pub fn verify_bls_digest(
    api: &dyn Api,
    aggregate_key: &[u8],
    digest: &Hash32,
    signature: &[u8],
) -> Result<(), ContractError> {
    verify_bls(api, aggregate_key, &digest.0, BLS_SIGNATURE_DST, signature)
}

/// The payload must hash (with the kind) to the result hash or to one of the commitments.
pub fn payload_bound(a: &Attestation, payload: &Binary) -> Result<(), ContractError> {
    let h = payload_hash(a.kind, payload.as_slice());
    if a.result_hash == h || a.commitments.contains(&h) {
        Ok(())
    } else {
        Err(ContractError::PayloadNotBound)
    }
}

pub fn parse<T: serde::de::DeserializeOwned>(payload: &Binary) -> Result<T, ContractError> {
    from_json(payload).map_err(|e| ContractError::BadPayload(e.to_string()))
}
