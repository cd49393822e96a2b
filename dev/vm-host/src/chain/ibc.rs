//! IBC: `IbcMsg::SendPacket`, the channel and packet entry points a relayer drives, and the
//! core checks ibc-go makes around them (channel ids, receipts, commitments).

use cosmwasm_std::{
    Binary, Empty, Event, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcPacketAckMsg,
    IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcTimeout, Response,
};
use cosmwasm_vm::{
    call_ibc_channel_connect, call_ibc_channel_open, call_ibc_packet_ack, call_ibc_packet_receive,
    call_ibc_packet_timeout,
};
use serde::Serialize;

use crate::error::HostError;
use crate::store::lock;

use super::gas::Meter;
use super::wasm::contract_result;
use super::Chain;

/// Host-side key space (never a contract address) for IBC packet sequences.
pub(super) const IBC_NS: &str = "\0ibc";

/// An IBC entry point call: what a relayer's `MsgChannelOpenInit/Try`, `MsgChannelOpenAck/
/// Confirm`, `MsgRecvPacket`, `MsgAcknowledgement` and `MsgTimeout` make wasmd call.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IbcCall {
    ChannelOpen(IbcChannelOpenMsg),
    ChannelConnect(IbcChannelConnectMsg),
    PacketReceive(IbcPacketReceiveMsg),
    PacketAck(IbcPacketAckMsg),
    PacketTimeout(IbcPacketTimeoutMsg),
}

/// A committed IBC call: its events, the acknowledgement a receive wrote, gas used.
#[derive(Clone, Debug)]
pub struct IbcOutcome {
    pub events: Vec<Event>,
    pub acknowledgement: Option<cosmwasm_std::Binary>,
    pub gas_used: u64,
}

impl Chain {
    /// `IbcMsg::SendPacket` from contract `sender`.
    pub(super) fn send_packet(
        &self,
        sender: &str,
        channel_id: String,
        data: &Binary,
        timeout: &IbcTimeout,
        events: &mut Vec<Event>,
    ) -> Result<(), HostError> {
        // ibc-go's `send_packet` event; the relayer (the devnet's built-in one) reads
        // the packet from it. The sequence lives in the journaled store, so a reverted
        // transaction gives its sequence back.
        let port = format!("wasm.{sender}");
        let seq = {
            let mut s = lock(&self.rt.shared);
            let key = ibc_key("seq", &port, &channel_id, None);
            let seq = ibc_get(&s, &key)
                .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                .map_or(0, u64::from_be_bytes)
                + 1;
            s.kv_set(IBC_NS, &key, Some(seq.to_be_bytes().to_vec()));
            // ibc-go's packet commitment: present until an ack or a timeout clears it.
            let commit = ibc_key("commit", &port, &channel_id, Some(seq));
            s.kv_set(IBC_NS, &commit, Some(vec![1]));
            seq
        };
        let ts = timeout.timestamp().map_or(0, |t| t.nanos());
        let height = timeout.block().map_or(0, |b| b.height);
        events.push(
            Event::new("send_packet")
                .add_attribute("packet_src_port", port)
                .add_attribute("packet_src_channel", channel_id)
                .add_attribute("packet_sequence", seq.to_string())
                .add_attribute("packet_data_hex", hex::encode(data.as_slice()))
                .add_attribute("packet_timeout_timestamp", ts.to_string())
                .add_attribute("packet_timeout_height", format!("0-{height}")),
        );
        Ok(())
    }

    pub(super) fn ibc_call_inner(
        &mut self,
        contract: &str,
        call: &IbcCall,
        meter: &mut Meter,
        events: &mut Vec<Event>,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        let code_id = self.rt.code_of(contract)?;
        let port = format!("wasm.{contract}");
        // One env per call: the timeout check sees the block the contract sees.
        let env = self.rt.env(contract);
        // The core IBC checks ibc-go makes before calling the contract: channel identifiers
        // allocated in order, each packet received once, acked or timed out once.
        match call {
            IbcCall::ChannelOpen(m) => {
                let expected = self.ibc_next_channel_id();
                let got = &m.channel().endpoint;
                if got.channel_id != expected || got.port_id != port {
                    return Err(HostError::Ibc(format!(
                        "channel open on {}/{}: this chain allocates {port}/{expected} next",
                        got.port_id, got.channel_id
                    )));
                }
            }
            IbcCall::ChannelConnect(m) => {
                if m.channel().endpoint.port_id != port {
                    return Err(HostError::Ibc("channel connect on a foreign port".into()));
                }
            }
            IbcCall::PacketReceive(m) => {
                let d = &m.packet.dest;
                if d.port_id != port {
                    return Err(HostError::Ibc("packet for a foreign port".into()));
                }
                let block = &env.block;
                let timeout = &m.packet.timeout;
                let by_time = timeout.timestamp().is_some_and(|t| block.time >= t);
                let by_height = timeout
                    .block()
                    .is_some_and(|b| b.height > 0 && block.height >= b.height);
                if by_time || by_height {
                    return Err(HostError::Ibc(format!(
                        "packet {} on {} timed out",
                        m.packet.sequence, d.channel_id
                    )));
                }
                let key = ibc_key(
                    "receipt",
                    &d.port_id,
                    &d.channel_id,
                    Some(m.packet.sequence),
                );
                if ibc_get(&lock(&self.rt.shared), &key).is_some() {
                    return Err(HostError::Ibc(format!(
                        "packet {} on {} already received",
                        m.packet.sequence, d.channel_id
                    )));
                }
            }
            IbcCall::PacketAck(IbcPacketAckMsg {
                original_packet: p, ..
            })
            | IbcCall::PacketTimeout(IbcPacketTimeoutMsg { packet: p, .. }) => {
                let key = commitment_key(p);
                if p.src.port_id != port || ibc_get(&lock(&self.rt.shared), &key).is_none() {
                    return Err(HostError::Ibc(format!(
                        "no commitment for packet {} on {} (already acknowledged or timed out)",
                        p.sequence, p.src.channel_id
                    )));
                }
            }
        }
        meter.take(self.config.call_cost)?;
        let limit = meter.left;
        let (response, ack) = {
            let mut instance = self.rt.instance(contract, code_id, limit, 0)?;
            let i = &mut instance;
            let out = match call {
                IbcCall::ChannelOpen(m) => call_ibc_channel_open(i, &env, m)
                    .map(|r| contract_result(r).map(|_| (Response::new(), None))),
                IbcCall::ChannelConnect(m) => {
                    call_ibc_channel_connect::<_, _, _, Empty>(i, &env, m)
                        .map(|r| contract_result(r).map(|b| (basic(b), None)))
                }
                IbcCall::PacketReceive(m) => call_ibc_packet_receive::<_, _, _, Empty>(i, &env, m)
                    .map(|r| {
                        contract_result(r).map(|b| {
                            let ack = b.acknowledgement.clone();
                            let resp = Response::new()
                                .add_submessages(b.messages)
                                .add_attributes(b.attributes)
                                .add_events(b.events);
                            (resp, ack)
                        })
                    }),
                IbcCall::PacketAck(m) => call_ibc_packet_ack::<_, _, _, Empty>(i, &env, m)
                    .map(|r| contract_result(r).map(|b| (basic(b), None))),
                IbcCall::PacketTimeout(m) => call_ibc_packet_timeout::<_, _, _, Empty>(i, &env, m)
                    .map(|r| contract_result(r).map(|b| (basic(b), None))),
            };
            meter.charge(&mut instance, limit);
            out??
        };
        // As in wasmd, data a reply sets overrides the acknowledgement.
        let data = self.handle_response(contract, response, meter, events, 0)?;
        let ack = match call {
            IbcCall::PacketReceive(_) => data.or(ack),
            _ => ack,
        };
        let mut s = lock(&self.rt.shared);
        match call {
            IbcCall::ChannelOpen(_) => {
                let n = ibc_counter(&s);
                s.kv_set(IBC_NS, b"nextchan", Some((n + 1).to_be_bytes().to_vec()));
            }
            IbcCall::PacketReceive(m) => {
                let d = &m.packet.dest;
                let key = ibc_key(
                    "receipt",
                    &d.port_id,
                    &d.channel_id,
                    Some(m.packet.sequence),
                );
                let stored = ack.as_ref().map_or_else(Vec::new, |a| a.to_vec());
                s.kv_set(IBC_NS, &key, Some(stored));
            }
            IbcCall::PacketAck(IbcPacketAckMsg {
                original_packet: p, ..
            })
            | IbcCall::PacketTimeout(IbcPacketTimeoutMsg { packet: p, .. }) => {
                s.kv_set(IBC_NS, &commitment_key(p), None);
            }
            IbcCall::ChannelConnect(_) => {}
        }
        Ok(ack)
    }
}

pub(super) fn ibc_key(what: &str, port: &str, channel: &str, sequence: Option<u64>) -> Vec<u8> {
    match sequence {
        Some(seq) => format!("{what}/{port}/{channel}/{seq}").into_bytes(),
        None => format!("{what}/{port}/{channel}").into_bytes(),
    }
}

/// Where the host keeps a sent packet's commitment until its ack or timeout.
pub(super) fn commitment_key(p: &cosmwasm_std::IbcPacket) -> Vec<u8> {
    ibc_key(
        "commit",
        &p.src.port_id,
        &p.src.channel_id,
        Some(p.sequence),
    )
}

pub(super) fn ibc_get(state: &crate::store::State, key: &[u8]) -> Option<Vec<u8>> {
    state.kv.get(IBC_NS).and_then(|m| m.get(key)).cloned()
}

pub(super) fn ibc_counter(state: &crate::store::State) -> u64 {
    ibc_get(state, b"nextchan")
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map_or(0, u64::from_be_bytes)
}

fn basic(b: cosmwasm_std::IbcBasicResponse<Empty>) -> Response<Empty> {
    Response::new()
        .add_submessages(b.messages)
        .add_attributes(b.attributes)
        .add_events(b.events)
}
