//! IBC: unordered `ics721-1` channels to pinned peers only. A received packet is planned (and
//! refused with a readable error acknowledgement when it must be), then carried out in a
//! self-call whose failure reverts it and becomes the error acknowledgement. On an error
//! acknowledgement or a timeout every token goes back to its sender; a success leaves a home
//! token escrowed until it comes back, and parks a voucher that went home.

use bithive_interface::ics721::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, DepsMut, Env, Ibc3ChannelOpenResponse, IbcBasicResponse,
    IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcChannelOpenResponse, IbcOrder, IbcPacket, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg, IbcReceiveResponse, Never, Storage, SubMsg, WasmMsg,
};

use crate::contract::{REPLY_RECEIVE, REPLY_REFUND};
use crate::error::ContractError;
use crate::execute::transfer_msg;
use crate::msg::{ExecuteMsg, NonFungibleTokenPacketData};
use crate::packet;
use crate::plan;
use crate::state::{
    pinned_peer, ChannelInfo, CHANNELS, CONFIG, IBC_VERSION, OUTGOING, VOUCHER_CLASSES,
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
    let port = &channel.counterparty_endpoint.port_id;
    if pinned_peer(&CONFIG.load(storage)?, &channel.connection_id, port).is_none() {
        return Err(ContractError::BadCounterparty(format!(
            "{}/{port}",
            channel.connection_id
        )));
    }
    Ok(())
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
        connection_id: channel.connection_id.clone(),
        counterparty_port: channel.counterparty_endpoint.port_id.clone(),
        counterparty_channel: channel.counterparty_endpoint.channel_id.clone(),
        open: true,
    };
    CHANNELS.save(deps.storage, &info.channel_id, &info)?;
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::CHANNEL_CONNECT)
        .add_attribute(ev::attr::CHANNEL_ID, info.channel_id))
}

/// This end never closes a channel (tokens escrowed for it could not come back); a close the
/// counterparty forced is recorded, and the channel carries nothing more.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    if let IbcChannelCloseMsg::CloseInit { .. } = msg {
        return Err(ContractError::NoClose);
    }
    let id = msg.channel().endpoint.channel_id.clone();
    if let Some(mut c) = CHANNELS.may_load(deps.storage, &id)? {
        c.open = false;
        CHANNELS.save(deps.storage, &id, &c)?;
    }
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::CHANNEL_CLOSE)
        .add_attribute(ev::attr::CHANNEL_ID, id))
}

/// Never fails: a packet that must be refused gets an error acknowledgement and moves nothing.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    match receive(deps, env, &msg.packet) {
        Ok(r) => Ok(r),
        Err(e) => Ok(IbcReceiveResponse::new(packet::ack_error(e.to_string()))
            .add_attribute(ev::ACTION, ev::RECEIVE_REFUSED)
            .add_attribute(ev::attr::CHANNEL_ID, &msg.packet.dest.channel_id)
            .add_attribute(ev::attr::ERROR, e.to_string())),
    }
}

fn receive(deps: DepsMut, env: Env, p: &IbcPacket) -> Result<IbcReceiveResponse, ContractError> {
    let data: NonFungibleTokenPacketData =
        from_json(&p.data).map_err(|e| ContractError::packet(format!("undecodable data: {e}")))?;
    let (dest, src) = (&p.dest, &p.src);
    plan::plan(
        deps.as_ref(),
        &env,
        (&dest.port_id, &dest.channel_id),
        (&src.port_id, &src.channel_id),
        &data,
    )?;
    let process = WasmMsg::Execute {
        contract_addr: env.contract.address.into(),
        msg: to_json_binary(&ExecuteMsg::ProcessPacket {
            channel_id: dest.channel_id.clone(),
            counterparty_port: src.port_id.clone(),
            counterparty_channel: src.channel_id.clone(),
            packet: data,
        })?,
        funds: vec![],
    };
    Ok(IbcReceiveResponse::new(packet::ack_success())
        .add_submessage(SubMsg::reply_on_error(process, REPLY_RECEIVE)))
}

/// The collection on this chain of a packet this contract sent.
fn collection_of(
    storage: &dyn Storage,
    data: &NonFungibleTokenPacketData,
) -> Result<(Addr, bool), ContractError> {
    Ok(match VOUCHER_CLASSES.may_load(storage, &data.class_id)? {
        Some(class) => (class.collection, true),
        None => (Addr::unchecked(&data.class_id), false),
    })
}

/// Every token of a failed packet goes back to its sender. A refund the collection refuses (the
/// sender's approval revoked meanwhile) does not fail the acknowledgement: the token is held
/// here for the sender (`ReturnHeld`), see `reply`.
fn refund(
    deps: DepsMut,
    data: &NonFungibleTokenPacketData,
    action: &str,
    outcome: String,
) -> Result<IbcBasicResponse, ContractError> {
    let (collection, _) = collection_of(deps.storage, data)?;
    let mut res = IbcBasicResponse::new()
        .add_attribute(ev::ACTION, action)
        .add_attribute(ev::attr::CLASS_ID, &data.class_id)
        .add_attribute(ev::attr::TOKEN_IDS, data.token_ids.join(","))
        .add_attribute(ev::attr::OUTCOME, outcome);
    for id in &data.token_ids {
        let Some(out) = OUTGOING.may_load(deps.storage, (&collection, id))? else {
            continue;
        };
        OUTGOING.remove(deps.storage, (&collection, id));
        let payload = to_json_binary(&(collection.to_string(), id, out.sender.to_string()))?;
        res = res.add_submessage(
            SubMsg::reply_on_error(transfer_msg(&collection, id, &out.sender)?, REPLY_REFUND)
                .with_payload(payload),
        );
    }
    Ok(res)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let data: NonFungibleTokenPacketData = from_json(&msg.original_packet.data)?;
    let ack = &msg.acknowledgement.data;
    if !packet::ack_is_success(ack) {
        let outcome = format!("refused: {}", String::from_utf8_lossy(ack));
        return refund(deps, &data, ev::REFUND, outcome);
    }
    // Delivered. A voucher that went home over its own channel is parked here (no longer out);
    // a home token stays escrowed, recorded as out, until it comes back.
    let (collection, voucher) = collection_of(deps.storage, &data)?;
    if voucher {
        let class = VOUCHER_CLASSES.load(deps.storage, &data.class_id)?;
        if class.channel_id == msg.original_packet.src.channel_id {
            for id in &data.token_ids {
                OUTGOING.remove(deps.storage, (&collection, id));
            }
        }
    }
    Ok(IbcBasicResponse::new()
        .add_attribute(ev::ACTION, ev::PACKET_ACK)
        .add_attribute(ev::attr::CLASS_ID, &data.class_id)
        .add_attribute(ev::attr::TOKEN_IDS, data.token_ids.join(","))
        .add_attribute(ev::attr::OUTCOME, "delivered"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let data: NonFungibleTokenPacketData = from_json(&msg.packet.data)?;
    refund(deps, &data, ev::PACKET_TIMEOUT, "timed out".into())
}
