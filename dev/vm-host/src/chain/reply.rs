//! A contract's response: its events as wasmd emits them, its submessages and their replies.

use std::collections::HashSet;

use cosmwasm_std::{
    Attribute, BankMsg, CosmosMsg, Empty, Event, MsgResponse, Reply, ReplyOn, Response,
    SubMsgResponse, SubMsgResult, WasmMsg,
};

use crate::error::HostError;
use crate::store::lock;

use super::gas::Meter;
use super::wasm::Entry;
use super::Chain;

/// wasmd's `EventCosts` (SDK gas) of a response's attributes and custom events: 10 per
/// attribute, 1 per byte of keys and values past a 100-byte free tier shared by all, and per
/// custom event 20 plus 1 per byte of its type.
fn event_costs(attrs: &[Attribute], events: &[Event]) -> u64 {
    fn attr_costs(attrs: &[Attribute], free: &mut u64) -> u64 {
        if attrs.is_empty() {
            return 0;
        }
        let bytes: u64 = attrs
            .iter()
            .map(|a| (a.key.len() + a.value.len()) as u64)
            .sum();
        let charged = bytes.saturating_sub(*free);
        *free = free.saturating_sub(bytes);
        charged.saturating_add(10 * attrs.len() as u64)
    }
    let mut free = 100;
    let mut gas = attr_costs(attrs, &mut free);
    for e in events {
        gas = gas
            .saturating_add(20 + e.ty.len() as u64)
            .saturating_add(attr_costs(&e.attributes, &mut free));
    }
    gas
}

impl Chain {
    /// Emits the response's events, runs its submessages (with replies), returns its data.
    pub(super) fn handle_response(
        &mut self,
        contract: &str,
        response: Response<Empty>,
        meter: &mut Meter,
        events: &mut Vec<Event>,
        depth: u32,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        meter.take(
            event_costs(&response.attributes, &response.events)
                .saturating_mul(crate::store::SDK_TO_CW_GAS),
        )?;
        // `Attribute::new` refuses `_` keys (reserved for the chain, which is what this is).
        let addr_attr = Attribute {
            key: "_contract_address".to_string(),
            value: contract.to_string(),
        };
        if !response.attributes.is_empty() {
            let mut e =
                Event::new("wasm").add_attribute(addr_attr.key.clone(), addr_attr.value.clone());
            e.attributes.extend(response.attributes.iter().cloned());
            events.push(e);
        }
        for ev in &response.events {
            let mut e = Event::new(format!("wasm-{}", ev.ty))
                .add_attribute(addr_attr.key.clone(), addr_attr.value.clone());
            e.attributes.extend(ev.attributes.iter().cloned());
            events.push(e);
        }
        let mut data = response.data;
        let mut reply_ids = HashSet::new();
        for sub in response.messages {
            let checkpoint = lock(&self.rt.shared).checkpoint();
            let mut sub_events = Vec::new();
            let type_url = match &sub.msg {
                CosmosMsg::Wasm(WasmMsg::Instantiate { .. }) => {
                    "/cosmwasm.wasm.v1.MsgInstantiateContractResponse"
                }
                CosmosMsg::Wasm(WasmMsg::Execute { .. }) => {
                    "/cosmwasm.wasm.v1.MsgExecuteContractResponse"
                }
                CosmosMsg::Wasm(WasmMsg::Migrate { .. }) => {
                    "/cosmwasm.wasm.v1.MsgMigrateContractResponse"
                }
                CosmosMsg::Bank(BankMsg::Send { .. }) => "/cosmos.bank.v1beta1.MsgSendResponse",
                _ => "",
            };
            let result = self.dispatch(contract, sub.msg, meter, &mut sub_events, depth + 1);
            let reply_result = match (result, &sub.reply_on) {
                (Ok(d), ReplyOn::Success | ReplyOn::Always) => {
                    events.extend(sub_events.iter().cloned());
                    #[allow(deprecated)]
                    SubMsgResult::Ok(SubMsgResponse {
                        events: sub_events,
                        data: d.clone(),
                        msg_responses: vec![MsgResponse {
                            type_url: type_url.to_string(),
                            value: d.unwrap_or_default(),
                        }],
                    })
                }
                (Ok(_), ReplyOn::Never | ReplyOn::Error) => {
                    events.extend(sub_events);
                    continue;
                }
                (Err(e), ReplyOn::Error | ReplyOn::Always) => {
                    lock(&self.rt.shared).revert_to(checkpoint);
                    SubMsgResult::Err(e.to_string())
                }
                (Err(e), ReplyOn::Never | ReplyOn::Success) => return Err(e),
            };
            reply_ids.insert(sub.id);
            let reply = Reply {
                id: sub.id,
                payload: sub.payload,
                gas_used: 0,
                result: reply_result,
            };
            let code_id = self.rt.code_of(contract)?;
            let entry = Entry::Reply(&reply);
            if let Some(d) =
                self.call_and_handle(contract, code_id, entry, meter, events, depth + 1)?
            {
                data = Some(d);
            }
        }
        Ok(data)
    }
}
