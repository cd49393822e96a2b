//! IBC: unordered channels of version `bithive-attestation-1` to the peer attestation contract.
//! Accepted attestations of a routed chain travel as [`AttestationPacket`]s; the receiver runs
//! them through its own rules in a self-call (atomic: all or nothing) and acknowledges with a
//! `StdAck`. Channels open only to pinned peers (connection, counterparty port), and packets are
//! accepted only on a channel that is a route and whose peer is still pinned. The sender keeps every packet as an outgoing record until a success ack; error acks
//! and timeouts leave it retryable (`RetryPacket`). An error ack also releases the sender's record
//! of the attestation (kept aside, restored if a retry is delivered while the job's key is free).

use bithive_interface::attestation::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, DepsMut, Env, Ibc3ChannelOpenResponse, IbcBasicResponse, IbcChannel,
    IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcChannelOpenResponse, IbcOrder,
    IbcPacket, IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcReceiveResponse,
    Never, StdAck, Storage, SubMsg, WasmMsg,
};

use crate::contract::REPLY_RECEIVE;
use crate::error::ContractError;
use crate::msg::{AttestationPacket, ExecuteMsg};
use crate::state::{
    is_record_only, record_key, ChannelInfo, Outgoing, PacketStatus, ACCEPTED, BY_SIGNER, CHANNELS,
    CONFIG, IBC_VERSION, OUTGOING, PENDING, RELEASED,
};

fn check_channel(
    storage: &dyn Storage,
    channel: &IbcChannel,
    counterparty_version: Option<&str>,
) -> Result<(), ContractError> {
    if channel.order != IbcOrder::Unordered {
        return Err(ContractError::BadOrder);
    }
    for v in [Some(channel.version.as_str()), counterparty_version]
        .into_iter()
        .flatten()
    {
        if v != IBC_VERSION {
            return Err(ContractError::BadVersion {
                expected: IBC_VERSION.into(),
                got: v.into(),
            });
        }
    }
    // Only to a pinned (light-client connection, counterparty port): any other port on any
    // connected chain could otherwise open a channel and send packets.
    crate::verify::ensure_peer(
        &CONFIG.load(storage)?,
        &channel.connection_id,
        &channel.counterparty_endpoint.port_id,
    )
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelOpenMsg,
) -> Result<IbcChannelOpenResponse, ContractError> {
    check_channel(deps.storage, msg.channel(), msg.counterparty_version())?;
    Ok(Some(Ibc3ChannelOpenResponse {
        version: IBC_VERSION.into(),
    }))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelConnectMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = msg.channel();
    check_channel(deps.storage, channel, msg.counterparty_version())?;
    let info = ChannelInfo {
        channel_id: channel.endpoint.channel_id.clone(),
        counterparty_port: channel.counterparty_endpoint.port_id.clone(),
        counterparty_channel: channel.counterparty_endpoint.channel_id.clone(),
        connection_id: channel.connection_id.clone(),
        open: true,
    };
    CHANNELS.save(deps.storage, &info.channel_id, &info)?;
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::CHANNEL_CONNECT)
        .add_attribute(ev::attr::CHANNEL_ID, info.channel_id))
}

/// A closed channel stays listed (closed): its outgoing records stay queryable and retryable over
/// a new route.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let id = msg.channel().endpoint.channel_id.clone();
    if let Some(mut c) = CHANNELS.may_load(deps.storage, &id)? {
        c.open = false;
        CHANNELS.save(deps.storage, &id, &c)?;
    }
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::CHANNEL_CLOSE)
        .add_attribute(ev::attr::CHANNEL_ID, id))
}

/// Never fails: undecodable data or an unknown channel is an error ack; a valid packet is
/// processed in a self-call whose failure (reverted) becomes an error ack in `reply`.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    match receive(deps, env, &msg.packet) {
        Ok(r) => Ok(r),
        Err(e) => Ok(
            IbcReceiveResponse::new(StdAck::error(e.to_string()).to_binary())
                .add_attribute(ev::ACTION, ev::RECEIVE_REFUSED)
                .add_attribute(ev::attr::ERROR, e.to_string()),
        ),
    }
}

fn receive(
    deps: DepsMut,
    env: Env,
    packet: &IbcPacket,
) -> Result<IbcReceiveResponse, ContractError> {
    let channel_id = packet.dest.channel_id.clone();
    crate::verify::receiving_channel(deps.storage, &CONFIG.load(deps.storage)?, &channel_id)?;
    let data: AttestationPacket = from_json(&packet.data)?;
    let process = WasmMsg::Execute {
        contract_addr: env.contract.address.into(),
        msg: to_json_binary(&ExecuteMsg::ProcessPacket {
            channel_id: channel_id.clone(),
            packet: data,
        })?,
        funds: vec![],
    };
    Ok(
        IbcReceiveResponse::new(StdAck::success(b"\x01").to_binary())
            .add_attribute(ev::ACTION, ev::RECEIVE)
            .add_attribute(ev::attr::CHANNEL_ID, channel_id)
            .add_submessage(SubMsg::reply_on_error(process, REPLY_RECEIVE)),
    )
}

fn original_id(packet: &IbcPacket) -> Result<u64, ContractError> {
    let p: AttestationPacket = from_json(&packet.data)?;
    Ok(p.id)
}

fn set_status(
    storage: &mut dyn Storage,
    id: u64,
    status: PacketStatus,
) -> Result<Outgoing, ContractError> {
    let mut out = OUTGOING
        .may_load(storage, id)?
        .ok_or(ContractError::UnknownPacket(id))?;
    if status == PacketStatus::Delivered {
        PENDING.remove(storage, id);
    }
    out.status = status;
    OUTGOING.save(storage, id, &out)?;
    Ok(out)
}

/// The record key of a forwarded attestation on this chain.
fn forwarded_key(out: &Outgoing) -> Result<Vec<u8>, ContractError> {
    let a = &out.packet.attestation;
    Ok(
        record_key(a, is_record_only(a, out.packet.payload.as_ref()))?
            .as_bytes()
            .to_vec(),
    )
}

/// A refused forward releases this chain's record of the attestation (issue #43): the receiving
/// chain ran it through its own rules and said no, so this chain no longer shows it as accepted,
/// and a corrected attestation of the job (a new nonce) can be accepted and forwarded. The
/// record is set aside with the packet; the packet stays retryable, and if a retry is delivered
/// while the job's key is still free, the record comes back. Only the record this packet made
/// is released (a newer one of the same job is left alone). Returns whether it released one.
fn release(storage: &mut dyn Storage, out: &Outgoing) -> Result<bool, ContractError> {
    let key = forwarded_key(out)?;
    match ACCEPTED.may_load(storage, &key)? {
        Some(acc) if acc.forwarded == Some(out.id) => {
            let signer = out.packet.attestation.signer.as_bytes().to_vec();
            ACCEPTED.remove(storage, &key);
            BY_SIGNER.remove(storage, (signer.as_slice(), key.as_slice()));
            RELEASED.save(storage, out.id, &acc)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// A delivered packet whose record was released brings it back, unless the job's key was taken
/// since (by a newer attestation, which then stands).
fn restore(storage: &mut dyn Storage, out: &Outgoing) -> Result<(), ContractError> {
    let Some(acc) = RELEASED.may_load(storage, out.id)? else {
        return Ok(());
    };
    RELEASED.remove(storage, out.id);
    let key = forwarded_key(out)?;
    if !ACCEPTED.has(storage, &key) {
        let signer = out.packet.attestation.signer.as_bytes().to_vec();
        BY_SIGNER.save(storage, (signer.as_slice(), key.as_slice()), &())?;
        ACCEPTED.save(storage, &key, &acc)?;
    }
    Ok(())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let id = original_id(&msg.original_packet)?;
    // An undecodable ack counts as an error ack: the record stays retryable.
    let status = match from_json::<StdAck>(&msg.acknowledgement.data) {
        Ok(StdAck::Success(_)) => PacketStatus::Delivered,
        Ok(StdAck::Error(error)) => PacketStatus::Refused { error },
        Err(e) => PacketStatus::Refused {
            error: format!("undecodable acknowledgement: {e}"),
        },
    };
    let outcome = match &status {
        PacketStatus::Delivered => "delivered".to_string(),
        PacketStatus::Refused { error } => format!("refused: {error}"),
        _ => String::new(),
    };
    let delivered = status == PacketStatus::Delivered;
    let out = set_status(deps.storage, id, status)?;
    let outcome = if delivered {
        restore(deps.storage, &out)?;
        outcome
    } else if release(deps.storage, &out)? {
        format!("{outcome} (record released)")
    } else {
        outcome
    };
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::PACKET_ACK)
        .add_attribute(ev::attr::PACKET_ID, id.to_string())
        .add_attribute(ev::attr::OUTCOME, outcome))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let id = original_id(&msg.packet)?;
    set_status(deps.storage, id, PacketStatus::TimedOut)?;
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::PACKET_TIMEOUT)
        .add_attribute(ev::attr::PACKET_ID, id.to_string()))
}
