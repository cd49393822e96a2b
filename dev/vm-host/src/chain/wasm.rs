//! Message dispatch and the wasm module: instantiate, execute, migrate, admin changes, code
//! uploads, and the one call sequence into a contract's entry points.

use cosmwasm_std::{
    Addr, BankMsg, ContractResult, CosmosMsg, Empty, Event, IbcMsg, MessageInfo, Reply, Response,
    WasmMsg,
};
use cosmwasm_vm::{call_execute, call_instantiate, call_migrate, call_reply};

use crate::address::contract_address;
use crate::error::HostError;
use crate::store::{lock, ContractMeta, HistoryEntry, HistoryOp};

use super::gas::Meter;
use super::proto::{proto_bytes, proto_varint};
use super::Chain;

/// Submessages nested deeper than this fail.
const MAX_CALL_DEPTH: u32 = 20;

/// One call into a contract: which entry point, with its arguments.
pub(super) enum Entry<'a> {
    Instantiate(&'a MessageInfo, &'a [u8]),
    Execute(&'a MessageInfo, &'a [u8]),
    Migrate(&'a [u8]),
    Reply(&'a Reply),
}

/// The info of an instantiate or execute: who sends it, with which funds.
fn message_info(sender: &str, funds: Vec<cosmwasm_std::Coin>) -> MessageInfo {
    MessageInfo {
        sender: Addr::unchecked(sender),
        funds,
    }
}

pub(super) fn contract_result<T>(r: ContractResult<T>) -> Result<T, HostError> {
    match r {
        ContractResult::Ok(v) => Ok(v),
        ContractResult::Err(e) => Err(HostError::Contract(e)),
    }
}

impl Chain {
    /// Dispatches one message from `sender`; returns its data (wasmd's msg response data).
    pub(super) fn dispatch(
        &mut self,
        sender: &str,
        msg: CosmosMsg,
        meter: &mut Meter,
        events: &mut Vec<Event>,
        depth: u32,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        if depth > MAX_CALL_DEPTH {
            return Err(HostError::Unsupported(
                "submessage depth limit exceeded".into(),
            ));
        }
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                self.rt.api_validate(&to_address)?;
                self.transfer(sender, &to_address, &amount, events)?;
                Ok(None)
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                self.burn(sender, &amount)?;
                Ok(None)
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                meter.take(self.config.lookup_cost)?;
                let code_id = self.rt.code_of(&contract_addr)?;
                self.transfer(sender, &contract_addr, &funds, events)?;
                events
                    .push(Event::new("execute").add_attribute("_contract_address", &contract_addr));
                let info = message_info(sender, funds);
                let entry = Entry::Execute(&info, msg.as_slice());
                let data =
                    self.call_and_handle(&contract_addr, code_id, entry, meter, events, depth)?;
                let mut out = Vec::new();
                if let Some(d) = &data {
                    proto_bytes(1, d.as_slice(), &mut out);
                }
                Ok(data.map(|_| out.into()))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            }) => {
                self.rt.checksum(code_id)?;
                if let Some(a) = &admin {
                    self.rt.api_validate(a)?;
                }
                // wasmd writes the message to the history, label, admin and (for a code with IBC
                // entry points) its port id `wasm.ADDR` to the contract info.
                let checksum = self.rt.checksum(code_id)?;
                let ibc = self
                    .rt
                    .cache
                    .analyze(&checksum)
                    .is_ok_and(|r| r.has_ibc_entry_points);
                let port = if ibc { "wasm.".len() + 2 } else { 0 };
                let addr_len = if ibc {
                    contract_address(&self.config.bech32_prefix, code_id, self.instance_seq + 1)
                        .len()
                } else {
                    0
                };
                let bytes = (msg.len()
                    + label.len()
                    + admin.as_ref().map_or(0, String::len)
                    + port
                    + addr_len) as u64;
                meter.take(
                    self.config.instantiate_cost.saturating_add(
                        bytes.saturating_mul(self.config.instantiate_cost_per_byte),
                    ),
                )?;
                self.instance_seq += 1;
                let addr = contract_address(&self.config.bech32_prefix, code_id, self.instance_seq);
                let history = vec![self.history_entry(HistoryOp::Init, code_id, &msg)];
                lock(&self.rt.shared).set_meta(
                    &addr,
                    ContractMeta {
                        code_id,
                        creator: sender.to_string(),
                        admin,
                        label,
                        history,
                    },
                );
                self.transfer(sender, &addr, &funds, events)?;
                events.push(
                    Event::new("instantiate")
                        .add_attribute("_contract_address", &addr)
                        .add_attribute("code_id", code_id.to_string()),
                );
                let info = message_info(sender, funds);
                let entry = Entry::Instantiate(&info, msg.as_slice());
                let data = self.call_and_handle(&addr, code_id, entry, meter, events, depth)?;
                let mut out = Vec::new();
                proto_bytes(1, addr.as_bytes(), &mut out);
                if let Some(d) = &data {
                    proto_bytes(2, d.as_slice(), &mut out);
                }
                Ok(Some(out.into()))
            }
            CosmosMsg::Wasm(WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            }) => {
                let mut meta = lock(&self.rt.shared)
                    .contracts
                    .get(&contract_addr)
                    .cloned()
                    .ok_or_else(|| HostError::UnknownContract(contract_addr.clone()))?;
                if meta.admin.as_deref() != Some(sender) {
                    return Err(HostError::Unauthorized(format!(
                        "{sender} is not the admin of {contract_addr}"
                    )));
                }
                self.rt.checksum(new_code_id)?;
                meta.code_id = new_code_id;
                meta.history
                    .push(self.history_entry(HistoryOp::Migrate, new_code_id, &msg));
                lock(&self.rt.shared).set_meta(&contract_addr, meta);
                events.push(
                    Event::new("migrate")
                        .add_attribute("_contract_address", &contract_addr)
                        .add_attribute("code_id", new_code_id.to_string()),
                );
                let entry = Entry::Migrate(msg.as_slice());
                self.call_and_handle(&contract_addr, new_code_id, entry, meter, events, depth)
            }
            CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            }) => {
                self.rt.api_validate(&admin)?;
                self.set_admin(sender, &contract_addr, Some(admin), events)
            }
            CosmosMsg::Wasm(WasmMsg::ClearAdmin { contract_addr }) => {
                self.set_admin(sender, &contract_addr, None, events)
            }
            CosmosMsg::Ibc(IbcMsg::SendPacket {
                channel_id,
                data,
                timeout,
            }) => {
                self.send_packet(sender, channel_id, &data, &timeout, events)?;
                Ok(None)
            }
            other => Err(HostError::Unsupported(
                format!("{other:?}").chars().take(80).collect(),
            )),
        }
    }

    /// `MsgStoreCode` inside a transaction: wasmd's compile cost, the `store_code` event and a
    /// `MsgStoreCodeResponse` as data.
    pub(super) fn store_code_msg(
        &mut self,
        sender: &str,
        wasm: &[u8],
        persist: bool,
        meter: &mut Meter,
        events: &mut Vec<Event>,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        let cost = (wasm.len() as u64)
            .saturating_mul(self.config.compile_cost_per_byte)
            .saturating_mul(crate::store::SDK_TO_CW_GAS);
        meter.take(cost)?;
        let code_id = self.store_code_with(wasm, persist, sender)?;
        let checksum = self.code_checksum(code_id)?;
        events.push(
            Event::new("store_code")
                .add_attribute("code_checksum", checksum.to_hex())
                .add_attribute("code_id", code_id.to_string()),
        );
        let mut out = Vec::new();
        proto_varint(1, code_id, &mut out);
        proto_bytes(2, checksum.as_slice(), &mut out);
        Ok(Some(out.into()))
    }

    /// One entry point called, then the messages of its response dispatched.
    pub(super) fn call_and_handle(
        &mut self,
        contract: &str,
        code_id: u64,
        entry: Entry<'_>,
        meter: &mut Meter,
        events: &mut Vec<Event>,
        depth: u32,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        let response = self.call_contract(contract, code_id, entry, meter)?;
        self.handle_response(contract, response, meter, events, depth)
    }

    /// The one call sequence of every entry point: env, instance, call, meter charge, result.
    pub(super) fn call_contract(
        &self,
        contract: &str,
        code_id: u64,
        entry: Entry<'_>,
        meter: &mut Meter,
    ) -> Result<Response<Empty>, HostError> {
        let first_load = meter.loaded.insert(code_id);
        let location = match entry {
            Entry::Instantiate(..) => "Loading CosmWasm module: instantiate",
            Entry::Execute(..) => "Loading CosmWasm module: execute",
            Entry::Migrate(..) => "Loading CosmWasm module: migrate",
            Entry::Reply(..) => "Loading CosmWasm module: reply",
        };
        meter.take_at(
            if first_load {
                self.config.call_cost
            } else {
                self.config.call_cost_discount.min(self.config.call_cost)
            },
            location,
        )?;
        let env = self.rt.env(contract);
        let limit = meter.left;
        let mut instance = self.rt.instance(contract, code_id, limit, 0)?;
        let result = match entry {
            Entry::Instantiate(info, msg) => {
                call_instantiate::<_, _, _, Empty>(&mut instance, &env, info, msg)
            }
            Entry::Execute(info, msg) => {
                call_execute::<_, _, _, Empty>(&mut instance, &env, info, msg)
            }
            Entry::Migrate(msg) => call_migrate::<_, _, _, Empty>(&mut instance, &env, msg),
            Entry::Reply(reply) => call_reply::<_, _, _, Empty>(&mut instance, &env, reply),
        };
        meter.charge(&mut instance, limit);
        let result = result?;
        // wasmd's `costJSONDeserialization` of the result the contract returned.
        if self.config.result_cost_per_byte > 0 {
            let len = serde_json::to_vec(&result).map_or(0, |v| v.len()) as u64;
            meter.take(len.saturating_mul(self.config.result_cost_per_byte))?;
        }
        contract_result(result)
    }

    /// A code history entry at the current block and transaction.
    fn history_entry(&self, operation: HistoryOp, code_id: u64, msg: &[u8]) -> HistoryEntry {
        HistoryEntry {
            operation,
            code_id,
            height: self.rt.block().height,
            tx_index: self.rt.tx_index.load(std::sync::atomic::Ordering::SeqCst),
            msg: msg.to_vec(),
        }
    }

    fn set_admin(
        &mut self,
        sender: &str,
        contract: &str,
        admin: Option<String>,
        events: &mut Vec<Event>,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        let mut s = lock(&self.rt.shared);
        let mut meta = s
            .contracts
            .get(contract)
            .cloned()
            .ok_or_else(|| HostError::UnknownContract(contract.to_string()))?;
        if meta.admin.as_deref() != Some(sender) {
            return Err(HostError::Unauthorized(format!(
                "{sender} is not the admin of {contract}"
            )));
        }
        // wasmd: `update_contract_admin` with the new admin ("" once cleared).
        events.push(
            Event::new("update_contract_admin")
                .add_attribute("_contract_address", contract)
                .add_attribute("new_admin_address", admin.clone().unwrap_or_default()),
        );
        meta.admin = admin;
        s.set_meta(contract, meta);
        Ok(None)
    }
}
