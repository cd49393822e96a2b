//! Test-only ICS-721 counterparty (`scripts/test.d/ibc.sh`, issue #48): it opens `ics721-1`
//! channels like any ICS-721 chain, sends the packet data it is handed byte for byte (malformed,
//! forged, replayed: whatever the test wants a real `ics721` contract to receive), and records
//! every acknowledgement and timeout so the test can read what the receiver answered. It refuses
//! every packet it receives.

use cosmwasm_schema::cw_serde;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Empty, Env, Ibc3ChannelOpenResponse, IbcBasicResponse,
    IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcChannelOpenResponse, IbcMsg,
    IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcReceiveResponse, IbcTimeout,
    MessageInfo, Never, Response, StdAck, StdResult,
};
use cw_storage_plus::Item;

pub const IBC_VERSION: &str = "ics721-1";

#[cw_serde]
pub enum ExecuteMsg {
    /// Sends `data` as it is over `channel_id`, timing out after `timeout_seconds` (600 if none).
    Send {
        channel_id: String,
        data: Binary,
        timeout_seconds: Option<u64>,
    },
}

#[cw_serde]
pub enum QueryMsg {
    /// Every acknowledgement (and timeout) so far, oldest first.
    Acks {},
}

#[cw_serde]
pub struct AckRecord {
    pub sequence: u64,
    /// The acknowledgement as text, or `timeout`.
    pub ack: String,
}

const ACKS: Item<Vec<AckRecord>> = Item::new("acks");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    ACKS.save(deps.storage, &vec![])?;
    Ok(Response::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(_: DepsMut, env: Env, _: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    let ExecuteMsg::Send {
        channel_id,
        data,
        timeout_seconds,
    } = msg;
    let timeout = env.block.time.plus_seconds(timeout_seconds.unwrap_or(600));
    Ok(Response::new().add_message(IbcMsg::SendPacket {
        channel_id,
        data,
        timeout: IbcTimeout::with_timestamp(timeout),
    }))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Acks {} => to_json_binary(&ACKS.load(deps.storage)?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    _: DepsMut,
    _: Env,
    _: IbcChannelOpenMsg,
) -> StdResult<IbcChannelOpenResponse> {
    Ok(Some(Ibc3ChannelOpenResponse {
        version: IBC_VERSION.into(),
    }))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    _: DepsMut,
    _: Env,
    _: IbcChannelConnectMsg,
) -> StdResult<IbcBasicResponse> {
    Ok(IbcBasicResponse::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(_: DepsMut, _: Env, _: IbcChannelCloseMsg) -> StdResult<IbcBasicResponse> {
    Ok(IbcBasicResponse::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    _: DepsMut,
    _: Env,
    _: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    Ok(IbcReceiveResponse::new(
        StdAck::error("the tester receives nothing").to_binary(),
    ))
}

fn record(deps: DepsMut, sequence: u64, ack: String) -> StdResult<IbcBasicResponse> {
    let mut all = ACKS.load(deps.storage)?;
    all.push(AckRecord { sequence, ack });
    ACKS.save(deps.storage, &all)?;
    Ok(IbcBasicResponse::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(deps: DepsMut, _: Env, msg: IbcPacketAckMsg) -> StdResult<IbcBasicResponse> {
    let ack = String::from_utf8_lossy(&msg.acknowledgement.data).into_owned();
    record(deps, msg.original_packet.sequence, ack)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _: Env,
    msg: IbcPacketTimeoutMsg,
) -> StdResult<IbcBasicResponse> {
    record(deps, msg.packet.sequence, "timeout".into())
}
