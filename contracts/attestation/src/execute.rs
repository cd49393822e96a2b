use bithive_interface::attestation::events as ev;
use bithive_signed_attestation::{
    bls_pop_message, Attestation, AttestationKind, Signature64, SignedAttestation, BLS_POP_DST,
};
use cosmwasm_std::{
    to_json_binary, Binary, DepsMut, Env, HexBinary, IbcMsg, IbcTimeout, MessageInfo, Response,
    Storage, SubMsg, WasmMsg,
};

use crate::consumer::{advance_round, dispatch, Dispatch};
use crate::error::ContractError;
use crate::msg::{AttestationPacket, PacketProof, PeerEndpoint, QuorumProof, MAX_PEERS};
use crate::state::{
    is_record_only, record_key, Accepted, Config, Outgoing, PacketStatus, StoredProof, ACCEPTED,
    BLS_KEYS, BLS_KEY_OWNERS, BY_SIGNER, CONFIG, NONCES, OUTGOING, OUTGOING_SEQ, PENDING, ROUTED,
    ROUTES,
};
use crate::verify::{
    check_fresh, check_nonce, ensure_registered, expected_contract, kind_name, receiving_channel,
    target, usable_channel, verify_bls, verify_proof, NodeSource, Target,
};
use bithive_interface::staking::ExecuteMsg as StakingMsg;

pub type Res = Result<Response, ContractError>;

pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    validate_peers(&c.peers)?;
    if c.quorum_threshold == 0 || c.quorum_threshold > 100 {
        return Err(ContractError::InvalidConfig(
            "quorum_threshold must be 1..=100",
        ));
    }
    if c.quorum_kinds.len() > 6 {
        return Err(ContractError::InvalidConfig(
            "quorum_kinds lists at most the 6 kinds",
        ));
    }
    if c.max_age_seconds == 0 || c.max_age_seconds > 30 * 86_400 {
        return Err(ContractError::InvalidConfig(
            "max_age_seconds must be 1..=30 days",
        ));
    }
    if c.max_future_seconds > 3_600 {
        return Err(ContractError::InvalidConfig(
            "max_future_seconds must be <= 1 hour",
        ));
    }
    if c.ibc_timeout_seconds == 0 || c.ibc_timeout_seconds > 7 * 86_400 {
        return Err(ContractError::InvalidConfig(
            "ibc_timeout_seconds must be 1..=7 days",
        ));
    }
    Ok(())
}

/// Records the attestation as accepted (record, nonce, signer index) and dispatches it here or
/// forwards it. Nothing is written before every check passed; a failing consumer submessage
/// reverts the whole transaction, records included.
#[allow(clippy::too_many_arguments)]
fn accept(
    storage: &mut dyn Storage,
    env: &Env,
    config: &Config,
    a: Attestation,
    proof: StoredProof,
    packet_proof: PacketProof,
    d: Dispatch,
    payload: Option<Binary>,
    to: Target,
) -> Res {
    let key = record_key(&a, is_record_only(&a, payload.as_ref()))?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::ACCEPT)
        .add_attribute(ev::attr::KIND, kind_name(a.kind))
        .add_attribute(ev::attr::JOB_ID, a.job_id.clone())
        .add_attribute(ev::attr::CHAIN_ID, a.chain_id.clone())
        .add_attribute(ev::attr::SIGNER, a.signer.to_hex())
        .add_attribute(ev::attr::NONCE, a.nonce.to_string())
        .add_attribute(ev::attr::RECORD_KEY, key.to_hex())
        .add_attribute(ev::attr::NODE, d.node.clone().unwrap_or_default());
    let mut forwarded = None;
    let mut kept = None;
    match to {
        Target::Local => {
            if a.kind == AttestationKind::Inference {
                kept = payload;
            }
            if matches!(
                a.kind,
                AttestationKind::Valuation | AttestationKind::Evaluation
            ) {
                let round = advance_round(storage, &a)?;
                res = res.add_attribute(ev::attr::ROUND, round.to_string());
            }
            res = res.add_attribute(ev::attr::ROUTE, "local");
            if let Some(msg) = d.msg {
                res = res
                    .add_attribute(ev::attr::CONSUMER, a.contract.clone())
                    .add_submessage(SubMsg::new(msg));
            }
        }
        Target::Remote { channel_id } => {
            let id = OUTGOING_SEQ.may_load(storage)?.unwrap_or_default() + 1;
            OUTGOING_SEQ.save(storage, &id)?;
            let packet = AttestationPacket {
                id,
                attestation: a.clone(),
                proof: packet_proof,
                payload,
            };
            let out = Outgoing {
                id,
                chain_id: a.chain_id.clone(),
                channel_id: channel_id.clone(),
                packet,
                status: PacketStatus::InFlight,
                attempts: 1,
            };
            res = res
                .add_attribute(ev::attr::ROUTE, "ibc")
                .add_attribute(ev::attr::CHANNEL_ID, channel_id.clone())
                .add_attribute(ev::attr::PACKET_ID, id.to_string())
                .add_message(send_packet(env, config, &out)?);
            OUTGOING.save(storage, id, &out)?;
            PENDING.save(storage, id, &())?;
            forwarded = Some(id);
        }
    }
    NONCES.save(storage, (a.signer.as_bytes(), a.nonce), &env.block.height)?;
    BY_SIGNER.save(storage, (a.signer.as_bytes(), key.as_bytes()), &())?;
    ACCEPTED.save(
        storage,
        key.as_bytes(),
        &Accepted {
            attestation: a,
            proof,
            node: d.node,
            height: env.block.height,
            forwarded,
            payload: kept,
        },
    )?;
    Ok(res)
}

fn send_packet(env: &Env, config: &Config, out: &Outgoing) -> Result<IbcMsg, ContractError> {
    Ok(IbcMsg::SendPacket {
        channel_id: out.channel_id.clone(),
        data: to_json_binary(&out.packet)?,
        timeout: IbcTimeout::with_timestamp(
            env.block.time.plus_seconds(config.ibc_timeout_seconds),
        ),
    })
}

/// Common front checks: target (and its channel), freshness, digest.
fn front(
    deps: &DepsMut,
    env: &Env,
    config: &Config,
    a: &Attestation,
) -> Result<(Target, bithive_signed_attestation::Hash32), ContractError> {
    let digest = a.digest()?;
    let to = target(deps.storage, env, config, a)?;
    if let Target::Remote { channel_id } = &to {
        usable_channel(deps.storage, config, channel_id)?;
    }
    check_fresh(config, env, a)?;
    Ok((to, digest))
}

pub fn submit(
    deps: DepsMut,
    env: Env,
    a: Attestation,
    signature: Signature64,
    payload: Option<Binary>,
) -> Res {
    let config = CONFIG.load(deps.storage)?;
    let (to, digest) = front(&deps, &env, &config, &a)?;
    let proof = PacketProof::Single { signature };
    let (source, stored) = verify_proof(deps.as_ref(), &config, &a, &digest, &proof)?;
    let key = record_key(&a, is_record_only(&a, payload.as_ref()))?;
    if let Some(prev) = ACCEPTED.may_load(deps.storage, key.as_bytes())? {
        if let StoredProof::Single { signature: first } = prev.proof {
            if prev.attestation.conflicts_with(&a) {
                return evidence(&config, prev.attestation, first, a, signature);
            }
        }
        return Err(ContractError::AlreadyAttested {
            job_id: a.job_id,
            kind: kind_name(a.kind),
        });
    }
    check_nonce(deps.storage, &a)?;
    dispatch_and_accept(deps, &env, &config, a, (source, stored), proof, payload, to)
}

/// Dispatches a verified, new attestation and records it (shared by every path).
#[allow(clippy::too_many_arguments)]
fn dispatch_and_accept(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    a: Attestation,
    (source, stored): (NodeSource, StoredProof),
    packet_proof: PacketProof,
    payload: Option<Binary>,
    to: Target,
) -> Res {
    let d = dispatch(
        deps.as_ref(),
        config,
        &a,
        payload.as_ref(),
        source,
        matches!(to, Target::Local),
    )?;
    accept(
        deps.storage,
        env,
        config,
        a,
        stored,
        packet_proof,
        d,
        payload,
        to,
    )
}

/// Same operator key, same job and kind, different result: forwarded to staking as slashing
/// evidence (staking verifies both signatures again and makes the evidence single-use). The
/// conflicting attestation itself is not accepted.
fn evidence(
    config: &Config,
    first: Attestation,
    first_sig: Signature64,
    second: Attestation,
    second_sig: Signature64,
) -> Res {
    let job_id = second.job_id.clone();
    let signer = second.signer.to_hex();
    let msg = StakingMsg::SubmitEvidence {
        first: Box::new(SignedAttestation {
            attestation: first,
            signature: first_sig,
        }),
        second: Box::new(SignedAttestation {
            attestation: second,
            signature: second_sig,
        }),
    };
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::CONFLICT)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::SIGNER, signer)
        .add_message(WasmMsg::Execute {
            contract_addr: config.staking.to_string(),
            msg: to_json_binary(&msg)?,
            funds: vec![],
        }))
}

pub fn submit_quorum(
    deps: DepsMut,
    env: Env,
    a: Attestation,
    proof: QuorumProof,
    payload: Option<Binary>,
) -> Res {
    let config = CONFIG.load(deps.storage)?;
    if !a.is_quorum() {
        return Err(ContractError::SignerMismatch);
    }
    let (to, digest) = front(&deps, &env, &config, &a)?;
    let proof = PacketProof::from(proof);
    let verified = verify_proof(deps.as_ref(), &config, &a, &digest, &proof)?;
    ensure_new(deps.storage, &a, payload.as_ref())?;
    dispatch_and_accept(deps, &env, &config, a, verified, proof, payload, to)
}

/// A received packet, checked as if submitted here: this chain and the kind's consumer,
/// freshness, replay, and the proof against this chain's own registry (a single signer must be
/// a registered operator key here, a quorum members of this chain's attestor set with this
/// contract's K). Nothing in the packet is trusted for who signed or whom to pay; the channel
/// must still be a pinned peer's and a route.
pub fn process_packet(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    channel_id: String,
    packet: AttestationPacket,
) -> Res {
    if info.sender != env.contract.address {
        return Err(ContractError::Unauthorized);
    }
    let config = CONFIG.load(deps.storage)?;
    receiving_channel(deps.storage, &config, &channel_id)?;
    let a = packet.attestation;
    if a.chain_id != env.block.chain_id {
        return Err(ContractError::WrongChain(a.chain_id));
    }
    let expected = expected_contract(&config, &env, a.kind)?;
    if a.contract != expected.as_str() {
        return Err(ContractError::WrongContract {
            expected: expected.into(),
            got: a.contract,
        });
    }
    check_fresh(&config, &env, &a)?;
    let digest = a.digest()?;
    let (source, _) = verify_proof(deps.as_ref(), &config, &a, &digest, &packet.proof)?;
    ensure_new(deps.storage, &a, packet.payload.as_ref())?;
    let stored = StoredProof::Ibc {
        channel_id: channel_id.clone(),
        packet_id: packet.id,
    };
    let res = dispatch_and_accept(
        deps,
        &env,
        &config,
        a,
        (source, stored),
        packet.proof,
        packet.payload,
        Target::Local,
    )?;
    Ok(res
        .add_attribute(ev::attr::ORIGIN_CHANNEL, channel_id)
        .add_attribute(ev::attr::ORIGIN_PACKET, packet.id.to_string()))
}

/// Refuses an attestation already accepted for its job and kind, or whose nonce its signer has
/// used (the quorum and packet paths; the single-signer path also looks for a conflicting record).
fn ensure_new(
    storage: &dyn Storage,
    a: &Attestation,
    payload: Option<&Binary>,
) -> Result<(), ContractError> {
    if ACCEPTED.has(
        storage,
        record_key(a, is_record_only(a, payload))?.as_bytes(),
    ) {
        return Err(ContractError::AlreadyAttested {
            job_id: a.job_id.clone(),
            kind: kind_name(a.kind),
        });
    }
    check_nonce(storage, a)
}

pub fn register_bls_key(
    deps: DepsMut,
    info: MessageInfo,
    public_key: HexBinary,
    pop: HexBinary,
) -> Res {
    if public_key.len() != 48 || pop.len() != 96 {
        return Err(ContractError::BadBlsLength);
    }
    // The point at infinity (compression and infinity flags) would verify any "signature".
    if public_key.as_slice()[0] & 0x40 != 0 {
        return Err(ContractError::BadProofOfPossession);
    }
    let config = CONFIG.load(deps.storage)?;
    ensure_registered(&deps.querier, &config.staking, info.sender.as_str())?;
    if let Some(owner) = BLS_KEY_OWNERS.may_load(deps.storage, public_key.as_slice())? {
        if owner != info.sender {
            return Err(ContractError::BlsKeyTaken);
        }
    }
    let msg = bls_pop_message(public_key.as_slice(), info.sender.as_str());
    verify_bls(
        deps.api,
        public_key.as_slice(),
        &msg,
        BLS_POP_DST,
        pop.as_slice(),
    )
    .map_err(|_| ContractError::BadProofOfPossession)?;
    if let Some(old) = BLS_KEYS.may_load(deps.storage, &info.sender)? {
        BLS_KEY_OWNERS.remove(deps.storage, old.as_slice());
    }
    BLS_KEYS.save(deps.storage, &info.sender, &public_key)?;
    BLS_KEY_OWNERS.save(deps.storage, public_key.as_slice(), &info.sender)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REGISTER_BLS_KEY)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::PUBLIC_KEY, public_key.to_hex()))
}

pub fn set_route(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    chain_id: String,
    channel_id: Option<String>,
) -> Res {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.governance {
        return Err(ContractError::Unauthorized);
    }
    if chain_id.is_empty() || chain_id.len() > 64 || chain_id == env.block.chain_id {
        return Err(ContractError::InvalidConfig(
            "route chain_id must be 1..=64 bytes and not this chain",
        ));
    }
    if let Some(ch) = &channel_id {
        usable_channel(deps.storage, &config, ch)?;
        // A channel leads to one chain: it cannot be the route of two.
        if let Some(other) = ROUTED.may_load(deps.storage, ch)? {
            if other != chain_id {
                return Err(ContractError::ChannelRouted {
                    channel: ch.clone(),
                    chain: other,
                });
            }
        }
    }
    if let Some(old) = ROUTES.may_load(deps.storage, &chain_id)? {
        ROUTED.remove(deps.storage, &old);
    }
    match &channel_id {
        Some(ch) => {
            ROUTES.save(deps.storage, &chain_id, ch)?;
            ROUTED.save(deps.storage, ch, &chain_id)?;
        }
        None => ROUTES.remove(deps.storage, &chain_id),
    }
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_ROUTE)
        .add_attribute(ev::attr::CHAIN_ID, chain_id)
        .add_attribute(ev::attr::CHANNEL_ID, channel_id.unwrap_or_default()))
}

pub fn retry_packet(deps: DepsMut, env: Env, id: u64) -> Res {
    let config = CONFIG.load(deps.storage)?;
    let mut out = OUTGOING
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownPacket(id))?;
    if matches!(out.status, PacketStatus::InFlight | PacketStatus::Delivered) {
        return Err(ContractError::NotRetryable(id));
    }
    // The current route of the chain (governance may have moved it to a new channel).
    let channel_id = ROUTES
        .may_load(deps.storage, &out.chain_id)?
        .ok_or_else(|| ContractError::WrongChain(out.chain_id.clone()))?;
    usable_channel(deps.storage, &config, &channel_id)?;
    out.channel_id = channel_id;
    out.status = PacketStatus::InFlight;
    out.attempts = out.attempts.saturating_add(1);
    let msg = send_packet(&env, &config, &out)?;
    OUTGOING.save(deps.storage, id, &out)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::RETRY_PACKET)
        .add_attribute(ev::attr::PACKET_ID, id.to_string())
        .add_attribute(ev::attr::CHANNEL_ID, out.channel_id)
        .add_attribute(ev::attr::ATTEMPTS, out.attempts.to_string())
        .add_message(msg))
}

#[allow(clippy::too_many_arguments)]
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    escrow: Option<String>,
    rewards: Option<String>,
    asset_nft: Option<String>,
    model_registry: Option<String>,
    quorum_threshold: Option<u32>,
    quorum_kinds: Option<Vec<bithive_signed_attestation::AttestationKind>>,
    max_age_seconds: Option<u64>,
    max_future_seconds: Option<u64>,
    ibc_timeout_seconds: Option<u64>,
) -> Res {
    let mut c = CONFIG.load(deps.storage)?;
    if info.sender != c.governance {
        return Err(ContractError::Unauthorized);
    }
    let api = deps.api;
    if let Some(x) = escrow {
        c.escrow = Some(api.addr_validate(&x)?);
    }
    if let Some(x) = rewards {
        c.rewards = Some(api.addr_validate(&x)?);
    }
    if let Some(x) = asset_nft {
        c.asset_nft = Some(api.addr_validate(&x)?);
    }
    if let Some(x) = model_registry {
        c.model_registry = Some(api.addr_validate(&x)?);
    }
    if let Some(x) = quorum_threshold {
        c.quorum_threshold = x;
    }
    if let Some(mut x) = quorum_kinds {
        x.sort();
        x.dedup();
        c.quorum_kinds = x;
    }
    if let Some(x) = max_age_seconds {
        c.max_age_seconds = x;
    }
    if let Some(x) = max_future_seconds {
        c.max_future_seconds = x;
    }
    if let Some(x) = ibc_timeout_seconds {
        c.ibc_timeout_seconds = x;
    }
    validate_config(&c)?;
    CONFIG.save(deps.storage, &c)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CONFIG))
}

/// At most `MAX_PEERS`, each a plausible IBC identifier pair, no duplicates.
fn validate_peers(peers: &[PeerEndpoint]) -> Result<(), ContractError> {
    if peers.len() > MAX_PEERS {
        return Err(ContractError::InvalidConfig("at most 16 peers"));
    }
    let ident = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_+#[]<>".contains(&b))
    };
    for (i, p) in peers.iter().enumerate() {
        if !ident(&p.connection_id, 64) || !ident(&p.port_id, 128) {
            return Err(ContractError::InvalidConfig(
                "a peer is a connection id (1..=64) and a port id (1..=128) of IBC identifier characters",
            ));
        }
        if peers[..i].contains(p) {
            return Err(ContractError::InvalidConfig("a peer is listed twice"));
        }
    }
    Ok(())
}

/// Governance pins and unpins IBC peers. Unpinning one stops its channels at once: nothing is
/// sent or accepted over them until it is pinned again.
pub fn update_peers(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<PeerEndpoint>,
    remove: Vec<PeerEndpoint>,
) -> Res {
    let mut c = CONFIG.load(deps.storage)?;
    if info.sender != c.governance {
        return Err(ContractError::Unauthorized);
    }
    c.peers.retain(|p| !remove.contains(p));
    for p in add {
        if !c.peers.contains(&p) {
            c.peers.push(p);
        }
    }
    c.peers.sort();
    validate_config(&c)?;
    CONFIG.save(deps.storage, &c)?;
    let list: Vec<String> = c
        .peers
        .iter()
        .map(|p| format!("{}/{}", p.connection_id, p.port_id))
        .collect();
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_PEERS)
        .add_attribute(ev::attr::PEERS, list.join(",")))
}
