//! The chain: code store, contract calls, message dispatch and events.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    Addr, Attribute, BankMsg, BlockInfo, Checksum, Coin, ContractInfo as EnvContractInfo,
    ContractResult, CosmosMsg, Empty, Env, Event, MessageInfo, MsgResponse, Reply, ReplyOn,
    Response, SubMsgResponse, SubMsgResult, Timestamp, TransactionInfo, Uint256, WasmMsg,
};
use cosmwasm_std::{
    IbcChannelConnectMsg, IbcChannelOpenMsg, IbcMsg, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg,
};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{
    call_execute, call_ibc_channel_connect, call_ibc_channel_open, call_ibc_packet_ack,
    call_ibc_packet_receive, call_ibc_packet_timeout, call_instantiate, call_migrate,
    call_query_raw, call_reply, capabilities_from_csv, Backend, Cache, CacheOptions, Instance,
    InstanceOptions, Size,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::address::{contract_address, make_addr, valid_prefix};
use crate::error::HostError;
use crate::querier::HostQuerier;
use crate::store::{lock, ContractMeta, ContractStorage, GasConfig, Shared, State};

type HostCache = Cache<MockApi, ContractStorage, HostQuerier>;
type HostInstance = Instance<MockApi, ContractStorage, HostQuerier>;

/// Default gas limit of one transaction, in CosmWasm gas (= 1e12 / 140 ≈ 7.1e9 SDK gas).
const DEFAULT_TX_GAS: u64 = 1_000_000_000_000;
/// Submessages nested deeper than this fail.
const MAX_CALL_DEPTH: u32 = 20;

#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub chain_id: String,
    pub bech32_prefix: String,
    pub gas: GasConfig,
    /// Gas limit of one transaction, in CosmWasm gas.
    pub tx_gas_limit: u64,
    /// Block time at genesis.
    pub genesis_time: Timestamp,
    /// Fixed CosmWasm gas charged before every contract call (wasmd's `DefaultInstanceCost`,
    /// 60 000 SDK gas, is `60_000 * SDK_TO_CW_GAS`). 0 keeps `gas_used` to the contract's own
    /// execution and storage, which is what per-contract gas figures compare.
    pub call_cost: u64,
    /// SDK gas per wasm byte charged by a `MsgStoreCode` (wasmd's `DefaultCompileCost` = 3).
    pub compile_cost_per_byte: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            chain_id: "bithive-local-1".into(),
            bech32_prefix: "bithive".into(),
            gas: GasConfig::default(),
            tx_gas_limit: DEFAULT_TX_GAS,
            genesis_time: Timestamp::from_seconds(1_767_225_600), // 2026-01-01T00:00:00Z
            call_cost: 0,
            compile_cost_per_byte: 3,
        }
    }
}

/// What a transaction produced.
#[derive(Clone, Debug, Default)]
pub struct TxResponse {
    pub events: Vec<Event>,
    pub data: Option<cosmwasm_std::Binary>,
    /// CosmWasm gas used: wasm execution plus wasmd's storage gas (x140). Excludes wasmd's fixed
    /// per-call and per-event charges, identical for any contract.
    pub gas_used: u64,
    /// Where each message's events start in `events` (one entry per message, in order).
    pub msg_event_starts: Vec<usize>,
    /// Each message's response data (protobuf `Msg...Response`), in order.
    pub msg_data: Vec<Option<cosmwasm_std::Binary>>,
}

impl TxResponse {
    /// Value of the first attribute `key` in events of type `ty`.
    pub fn attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    pub address: String,
    pub code_id: u64,
    pub creator: String,
    pub admin: Option<String>,
    pub label: String,
}

/// Shared by the chain and every querier it hands to an instance.
pub(crate) struct Runtime {
    pub(crate) shared: Shared,
    cache: HostCache,
    codes: Mutex<Vec<Checksum>>,
    api: MockApi,
    gas: GasConfig,
    block: Mutex<BlockInfo>,
    // Keeps the module cache directory alive as long as the chain.
    _cache_dir: tempfile::TempDir,
}

impl Runtime {
    fn block(&self) -> BlockInfo {
        self.block.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn env(&self, contract: &str) -> Env {
        Env {
            block: self.block(),
            transaction: Some(TransactionInfo::new(0, cosmwasm_std::Binary::default())),
            contract: EnvContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    fn checksum(&self, code_id: u64) -> Result<Checksum, HostError> {
        let codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        code_id
            .checked_sub(1)
            .and_then(|i| codes.get(i as usize).copied())
            .ok_or(HostError::UnknownCode(code_id))
    }

    fn instance(
        self: &Arc<Self>,
        contract: &str,
        code_id: u64,
        gas_limit: u64,
        depth: u32,
    ) -> Result<HostInstance, HostError> {
        let checksum = self.checksum(code_id)?;
        let backend = Backend {
            api: self.api,
            storage: ContractStorage::new(self.shared.clone(), contract.to_string(), self.gas),
            querier: HostQuerier {
                runtime: self.clone(),
                depth,
            },
        };
        let options = InstanceOptions { gas_limit };
        Ok(self.cache.get_instance(&checksum, backend, options)?)
    }

    fn code_of(&self, contract: &str) -> Result<u64, HostError> {
        lock(&self.shared)
            .contracts
            .get(contract)
            .map(|m| m.code_id)
            .ok_or_else(|| HostError::UnknownContract(contract.to_string()))
    }

    /// Runs a smart query; returns the contract's result and the gas it used.
    pub(crate) fn query_smart(
        self: &Arc<Self>,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
        depth: u32,
    ) -> Result<(ContractResult<cosmwasm_std::Binary>, u64), HostError> {
        let code_id = self.code_of(contract)?;
        let mut instance = self.instance(contract, code_id, gas_limit, depth)?;
        let env = self.env(contract);
        let result = call_query_raw(&mut instance, &cosmwasm_vm::to_vec(&env)?, msg)?;
        let gas = gas_limit.saturating_sub(instance.get_gas_left());
        let result: ContractResult<cosmwasm_std::Binary> =
            cosmwasm_vm::from_slice(&result, usize::MAX)?;
        Ok((result, gas))
    }
}

/// Gas left in the current transaction.
struct Meter {
    left: u64,
}

impl Meter {
    fn charge(&mut self, instance: &mut HostInstance, limit: u64) {
        let used = limit.saturating_sub(instance.get_gas_left());
        self.left = self.left.saturating_sub(used);
    }

    /// Takes a fixed cost; fails (leaving nothing) when it does not fit.
    fn take(&mut self, cost: u64) -> Result<(), HostError> {
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.left = 0;
                Err(HostError::OutOfGas)
            }
        }
    }
}

/// One call into a contract: which entry point, with its arguments.
enum Entry<'a> {
    Instantiate(&'a MessageInfo, &'a [u8]),
    Execute(&'a MessageInfo, &'a [u8]),
    Migrate(&'a [u8]),
    Reply(&'a Reply),
}

/// Host-side key space (never a contract address) for IBC packet sequences.
const IBC_NS: &str = "\0ibc";

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

/// One message of a transaction: a CosmWasm message, or a wasm upload (`MsgStoreCode`).
#[derive(Clone, Debug)]
pub enum TxMsg {
    Cosmos(CosmosMsg),
    StoreCode(Vec<u8>),
}

impl From<CosmosMsg> for TxMsg {
    fn from(msg: CosmosMsg) -> Self {
        TxMsg::Cosmos(msg)
    }
}

/// What a transaction with an explicit gas limit produced: gas is reported on failure too.
#[derive(Debug)]
pub struct TxOutcome {
    pub result: Result<TxResponse, HostError>,
    /// CosmWasm gas used (of the limit given), whether the transaction succeeded or not.
    pub gas_used: u64,
    /// Index of the message that failed, when one did.
    pub failed_msg: Option<usize>,
}

pub struct Chain {
    rt: Arc<Runtime>,
    config: ChainConfig,
    instance_seq: u64,
}

fn contract_result<T>(r: ContractResult<T>) -> Result<T, HostError> {
    match r {
        ContractResult::Ok(v) => Ok(v),
        ContractResult::Err(e) => Err(HostError::Contract(e)),
    }
}

fn u128_amount(c: &Coin) -> Result<u128, HostError> {
    cosmwasm_std::Uint128::try_from(c.amount)
        .map(|a| a.u128())
        .map_err(|_| HostError::InvalidMessage(format!("amount too large: {c}")))
}

/// Minimal protobuf: field `n` as a varint.
fn proto_varint(field: u32, mut v: u64, out: &mut Vec<u8>) {
    if v == 0 {
        return;
    }
    out.push((field << 3) as u8);
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
}

/// Minimal protobuf: field `n` as length-delimited bytes.
fn proto_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    out.push(((field << 3) | 2) as u8);
    let mut len = bytes.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(bytes);
}

impl Chain {
    pub fn new(config: ChainConfig) -> Result<Self, HostError> {
        if !valid_prefix(&config.bech32_prefix) {
            return Err(HostError::InvalidMessage(format!(
                "invalid bech32 prefix {:?}",
                config.bech32_prefix
            )));
        }
        let dir = tempfile::tempdir()
            .map_err(|e| HostError::Unsupported(format!("cannot create module cache dir: {e}")))?;
        let capabilities = capabilities_from_csv(
            "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2",
        );
        let options = CacheOptions::new(dir.path(), capabilities, Size::mebi(200), Size::mebi(32));
        // SAFETY: the cache directory is a fresh temporary directory owned by this chain, so
        // nothing else can have written (or tamper with) the compiled modules in it.
        let cache: HostCache = unsafe { Cache::new(options)? };
        // The prefix must outlive every instance: leak one small string per chain.
        let prefix: &'static str = Box::leak(config.bech32_prefix.clone().into_boxed_str());
        let rt = Runtime {
            shared: Arc::new(Mutex::new(State::default())),
            cache,
            codes: Mutex::new(Vec::new()),
            api: MockApi::default().with_prefix(prefix),
            gas: config.gas,
            block: Mutex::new(BlockInfo {
                height: 1,
                time: config.genesis_time,
                chain_id: config.chain_id.clone(),
            }),
            _cache_dir: dir,
        };
        Ok(Chain {
            rt: Arc::new(rt),
            config,
            instance_seq: 0,
        })
    }

    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// A deterministic account address for `name`.
    pub fn addr(&self, name: &str) -> String {
        make_addr(&self.config.bech32_prefix, name)
    }

    pub fn block(&self) -> BlockInfo {
        self.rt.block()
    }

    /// Move to the next block, `seconds` later.
    pub fn advance(&mut self, seconds: u64) {
        let mut b = self.rt.block.lock().unwrap_or_else(|e| e.into_inner());
        b.height += 1;
        b.time = b.time.plus_seconds(seconds);
    }

    /// Stores (and statically checks) a wasm module; returns its code id.
    pub fn store_code(&mut self, wasm: &[u8]) -> Result<u64, HostError> {
        let checksum = self.rt.cache.store_code(wasm, true, true)?;
        let mut codes = self.rt.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.push(checksum);
        Ok(codes.len() as u64)
    }

    pub fn code_checksum(&self, code_id: u64) -> Result<Checksum, HostError> {
        self.rt.checksum(code_id)
    }

    /// Credits `coins` to `address` out of thin air (genesis funding).
    pub fn mint_native(&mut self, address: &str, coins: &[Coin]) -> Result<(), HostError> {
        let mut s = lock(&self.rt.shared);
        for c in coins {
            let amount = u128_amount(c)?;
            let bal = s.balance(address, &c.denom);
            let supply = s.supply.get(&c.denom).copied().unwrap_or(0);
            let (Some(nb), Some(ns)) = (bal.checked_add(amount), supply.checked_add(amount)) else {
                return Err(HostError::InvalidMessage("balance overflow".into()));
            };
            s.set_balance(address, &c.denom, nb);
            s.set_supply(&c.denom, ns);
        }
        s.commit();
        Ok(())
    }

    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        lock(&self.rt.shared).balance(address, denom)
    }

    pub fn contract_info(&self, address: &str) -> Option<ContractInfo> {
        lock(&self.rt.shared)
            .contracts
            .get(address)
            .map(|m| ContractInfo {
                address: address.to_string(),
                code_id: m.code_id,
                creator: m.creator.clone(),
                admin: m.admin.clone(),
                label: m.label.clone(),
            })
    }

    /// Reads one raw storage key of a contract.
    pub fn raw(&self, contract: &str, key: &[u8]) -> Option<Vec<u8>> {
        lock(&self.rt.shared)
            .kv
            .get(contract)
            .and_then(|m| m.get(key))
            .cloned()
    }

    pub fn instantiate<M: Serialize>(
        &mut self,
        code_id: u64,
        sender: &str,
        msg: &M,
        funds: &[Coin],
        label: &str,
        admin: Option<&str>,
    ) -> Result<(String, TxResponse), HostError> {
        let msg = serde_json::to_vec(msg).map_err(|e| HostError::InvalidMessage(e.to_string()))?;
        let wasm = WasmMsg::Instantiate {
            admin: admin.map(str::to_string),
            code_id,
            msg: msg.into(),
            funds: funds.to_vec(),
            label: label.to_string(),
        };
        let tx = self.run_tx(sender, CosmosMsg::Wasm(wasm))?;
        let addr = tx
            .attr("instantiate", "_contract_address")
            .map(str::to_string)
            .ok_or_else(|| HostError::InvalidMessage("no instantiate event".into()))?;
        Ok((addr, tx))
    }

    pub fn execute<M: Serialize>(
        &mut self,
        contract: &str,
        sender: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<TxResponse, HostError> {
        let msg = serde_json::to_vec(msg).map_err(|e| HostError::InvalidMessage(e.to_string()))?;
        self.execute_raw(contract, sender, &msg, funds)
    }

    /// Executes with the message bytes exactly as given (for fuzzing).
    pub fn execute_raw(
        &mut self,
        contract: &str,
        sender: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<TxResponse, HostError> {
        let wasm = WasmMsg::Execute {
            contract_addr: contract.to_string(),
            msg: msg.to_vec().into(),
            funds: funds.to_vec(),
        };
        self.run_tx(sender, CosmosMsg::Wasm(wasm))
    }

    pub fn migrate<M: Serialize>(
        &mut self,
        contract: &str,
        sender: &str,
        new_code_id: u64,
        msg: &M,
    ) -> Result<TxResponse, HostError> {
        let msg = serde_json::to_vec(msg).map_err(|e| HostError::InvalidMessage(e.to_string()))?;
        let wasm = WasmMsg::Migrate {
            contract_addr: contract.to_string(),
            new_code_id,
            msg: msg.into(),
        };
        self.run_tx(sender, CosmosMsg::Wasm(wasm))
    }

    /// Sends native coins (a bank `MsgSend`).
    pub fn send(
        &mut self,
        sender: &str,
        to: &str,
        amount: &[Coin],
    ) -> Result<TxResponse, HostError> {
        self.run_tx(
            sender,
            CosmosMsg::Bank(BankMsg::Send {
                to_address: to.to_string(),
                amount: amount.to_vec(),
            }),
        )
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<T, HostError> {
        let msg = serde_json::to_vec(msg).map_err(|e| HostError::InvalidMessage(e.to_string()))?;
        let bin = self.query_raw(contract, &msg)?;
        serde_json::from_slice(bin.as_slice()).map_err(|e| HostError::InvalidMessage(e.to_string()))
    }

    /// Smart query with the raw message bytes; returns the raw response.
    pub fn query_raw(&self, contract: &str, msg: &[u8]) -> Result<cosmwasm_std::Binary, HostError> {
        let (result, _gas) = self
            .rt
            .query_smart(contract, msg, self.config.tx_gas_limit, 0)?;
        contract_result(result)
    }

    /// One transaction: runs `msg`, commits on success, reverts everything on failure.
    pub fn run_tx(&mut self, sender: &str, msg: CosmosMsg) -> Result<TxResponse, HostError> {
        let limit = self.config.tx_gas_limit;
        self.run_tx_with(sender, vec![msg.into()], limit).result
    }

    /// Runs `msgs` in order as one atomic transaction within `gas_limit` (CosmWasm gas): commits
    /// when all succeed, reverts every change otherwise. Each message's events are returned in
    /// order; gas used is reported either way.
    pub fn run_tx_with(&mut self, sender: &str, msgs: Vec<TxMsg>, gas_limit: u64) -> TxOutcome {
        self.run_msgs(sender, msgs, gas_limit, false)
    }

    /// Runs `msgs` exactly as [`Chain::run_tx_with`] would, then reverts everything (simulation).
    pub fn simulate(&mut self, sender: &str, msgs: Vec<TxMsg>, gas_limit: u64) -> TxOutcome {
        self.run_msgs(sender, msgs, gas_limit, true)
    }

    fn run_msgs(
        &mut self,
        sender: &str,
        msgs: Vec<TxMsg>,
        gas_limit: u64,
        always_revert: bool,
    ) -> TxOutcome {
        let checkpoint = lock(&self.rt.shared).checkpoint();
        let instance_seq = self.instance_seq;
        let code_count = self.code_count();
        let mut meter = Meter { left: gas_limit };
        let mut events = Vec::new();
        let mut data = None;
        let mut msg_event_starts = Vec::new();
        let mut msg_data = Vec::new();
        let mut result = Ok(());
        let mut failed_msg = None;
        for (index, msg) in msgs.into_iter().enumerate() {
            msg_event_starts.push(events.len());
            let r = match msg {
                TxMsg::Cosmos(msg) => self.dispatch(sender, msg, &mut meter, &mut events, 0),
                TxMsg::StoreCode(wasm) => self.store_code_msg(&wasm, &mut meter, &mut events),
            };
            match r {
                Ok(d) => {
                    msg_data.push(d.clone());
                    data = d;
                }
                Err(e) => {
                    result = Err(e);
                    failed_msg = Some(index);
                    break;
                }
            }
        }
        let gas_used = gas_limit.saturating_sub(meter.left);
        // Running out of gas surfaces as whichever error the VM or host raised at that point.
        let result = result.map_err(|e| {
            if meter.left == 0 {
                HostError::OutOfGas
            } else {
                e
            }
        });
        let mut state = lock(&self.rt.shared);
        if result.is_err() || always_revert {
            state.revert_to(checkpoint);
            self.instance_seq = instance_seq;
            drop(state);
            self.truncate_codes(code_count);
            state = lock(&self.rt.shared);
        }
        state.commit();
        TxOutcome {
            result: result.map(|()| TxResponse {
                events,
                data,
                gas_used,
                msg_event_starts,
                msg_data,
            }),
            gas_used,
            failed_msg,
        }
    }

    /// `MsgStoreCode` inside a transaction: wasmd's compile cost, the `store_code` event and a
    /// `MsgStoreCodeResponse` as data.
    fn store_code_msg(
        &mut self,
        wasm: &[u8],
        meter: &mut Meter,
        events: &mut Vec<Event>,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
        let cost = (wasm.len() as u64)
            .saturating_mul(self.config.compile_cost_per_byte)
            .saturating_mul(crate::store::SDK_TO_CW_GAS);
        meter.take(cost)?;
        let code_id = self.store_code(wasm)?;
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

    /// Sets the current block (the devnet's block producer drives this).
    pub fn set_block(&mut self, height: u64, time: Timestamp) {
        let mut b = self.rt.block.lock().unwrap_or_else(|e| e.into_inner());
        b.height = height;
        b.time = time;
    }

    /// Number of stored codes (the last code id).
    pub fn code_count(&self) -> u64 {
        self.rt
            .codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len() as u64
    }

    /// Forgets codes stored after `count` (a transaction that stored code then failed).
    pub fn truncate_codes(&mut self, count: u64) {
        let mut codes = self.rt.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.truncate(count as usize);
    }

    /// Every contract address with its info, in address order.
    pub fn contracts(&self) -> Vec<ContractInfo> {
        let s = lock(&self.rt.shared);
        s.contracts
            .iter()
            .map(|(address, m)| ContractInfo {
                address: address.clone(),
                code_id: m.code_id,
                creator: m.creator.clone(),
                admin: m.admin.clone(),
                label: m.label.clone(),
            })
            .collect()
    }

    /// Every non-zero native balance of `address`, by denom.
    pub fn all_balances(&self, address: &str) -> Vec<Coin> {
        let s = lock(&self.rt.shared);
        s.bank
            .range((address.to_string(), String::new())..)
            .take_while(|((a, _), _)| a == address)
            .filter(|(_, amount)| **amount > 0)
            .map(|((_, denom), amount)| Coin::new(Uint256::from(*amount), denom.clone()))
            .collect()
    }

    /// Total supply of a native denom.
    pub fn supply(&self, denom: &str) -> u128 {
        lock(&self.rt.shared)
            .supply
            .get(denom)
            .copied()
            .unwrap_or(0)
    }

    /// Raw storage of a contract in key order, starting after `start` (exclusive), at most `limit`.
    pub fn raw_range(
        &self,
        contract: &str,
        start: Option<&[u8]>,
        limit: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let s = lock(&self.rt.shared);
        let Some(map) = s.kv.get(contract) else {
            return Vec::new();
        };
        let lower = start.map_or(std::ops::Bound::Unbounded, |k| {
            std::ops::Bound::Excluded(k.to_vec())
        });
        map.range((lower, std::ops::Bound::Unbounded))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn transfer(
        &self,
        from: &str,
        to: &str,
        coins: &[Coin],
        events: &mut Vec<Event>,
    ) -> Result<(), HostError> {
        if coins.is_empty() {
            return Ok(());
        }
        let mut s = lock(&self.rt.shared);
        for c in coins {
            let amount = u128_amount(c)?;
            let have = s.balance(from, &c.denom);
            let Some(left) = have.checked_sub(amount) else {
                return Err(HostError::InsufficientFunds {
                    address: from.to_string(),
                    denom: c.denom.clone(),
                    available: have,
                    needed: amount,
                });
            };
            s.set_balance(from, &c.denom, left);
            let to_bal = s.balance(to, &c.denom);
            let new = to_bal
                .checked_add(amount)
                .ok_or_else(|| HostError::InvalidMessage("balance overflow".into()))?;
            s.set_balance(to, &c.denom, new);
        }
        let amount = coins
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // The SDK bank keeper: coin_spent, coin_received, transfer, message{sender}.
        events.push(
            Event::new("coin_spent")
                .add_attribute("spender", from)
                .add_attribute("amount", &amount),
        );
        events.push(
            Event::new("coin_received")
                .add_attribute("receiver", to)
                .add_attribute("amount", &amount),
        );
        events.push(
            Event::new("transfer")
                .add_attribute("recipient", to)
                .add_attribute("sender", from)
                .add_attribute("amount", amount),
        );
        events.push(Event::new("message").add_attribute("sender", from));
        Ok(())
    }

    /// Dispatches one message from `sender`; returns its data (wasmd's msg response data).
    fn dispatch(
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
                let mut s = lock(&self.rt.shared);
                for c in &amount {
                    let a = u128_amount(c)?;
                    let have = s.balance(sender, &c.denom);
                    let left = have
                        .checked_sub(a)
                        .ok_or_else(|| HostError::InsufficientFunds {
                            address: sender.to_string(),
                            denom: c.denom.clone(),
                            available: have,
                            needed: a,
                        })?;
                    s.set_balance(sender, &c.denom, left);
                    let supply = s.supply.get(&c.denom).copied().unwrap_or(0);
                    s.set_supply(&c.denom, supply.saturating_sub(a));
                }
                Ok(None)
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                let code_id = self.rt.code_of(&contract_addr)?;
                self.transfer(sender, &contract_addr, &funds, events)?;
                events
                    .push(Event::new("execute").add_attribute("_contract_address", &contract_addr));
                let info = MessageInfo {
                    sender: Addr::unchecked(sender),
                    funds,
                };
                let entry = Entry::Execute(&info, msg.as_slice());
                let response = self.call_contract(&contract_addr, code_id, entry, meter)?;
                let data = self.handle_response(&contract_addr, response, meter, events, depth)?;
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
                self.instance_seq += 1;
                let addr = contract_address(&self.config.bech32_prefix, code_id, self.instance_seq);
                lock(&self.rt.shared).set_meta(
                    &addr,
                    ContractMeta {
                        code_id,
                        creator: sender.to_string(),
                        admin,
                        label,
                    },
                );
                self.transfer(sender, &addr, &funds, events)?;
                events.push(
                    Event::new("instantiate")
                        .add_attribute("_contract_address", &addr)
                        .add_attribute("code_id", code_id.to_string()),
                );
                let info = MessageInfo {
                    sender: Addr::unchecked(sender),
                    funds,
                };
                let entry = Entry::Instantiate(&info, msg.as_slice());
                let response = self.call_contract(&addr, code_id, entry, meter)?;
                let data = self.handle_response(&addr, response, meter, events, depth)?;
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
                lock(&self.rt.shared).set_meta(&contract_addr, meta);
                events.push(
                    Event::new("migrate")
                        .add_attribute("_contract_address", &contract_addr)
                        .add_attribute("code_id", new_code_id.to_string()),
                );
                let entry = Entry::Migrate(msg.as_slice());
                let response = self.call_contract(&contract_addr, new_code_id, entry, meter)?;
                self.handle_response(&contract_addr, response, meter, events, depth)
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
                Ok(None)
            }
            other => Err(HostError::Unsupported(
                format!("{other:?}").chars().take(80).collect(),
            )),
        }
    }

    /// Runs one IBC entry point of `contract` as its own atomic transaction (as wasmd does for
    /// a relayer's IBC message): messages it returns are dispatched, everything reverts on
    /// error. A receive's acknowledgement is returned.
    pub fn ibc_call(
        &mut self,
        contract: &str,
        call: &IbcCall,
        gas_limit: u64,
    ) -> Result<IbcOutcome, HostError> {
        let checkpoint = lock(&self.rt.shared).checkpoint();
        let instance_seq = self.instance_seq;
        let mut meter = Meter { left: gas_limit };
        let mut events = Vec::new();
        let result = self.ibc_call_inner(contract, call, &mut meter, &mut events);
        let gas_used = gas_limit.saturating_sub(meter.left);
        let mut state = lock(&self.rt.shared);
        if result.is_err() {
            state.revert_to(checkpoint);
            self.instance_seq = instance_seq;
        }
        state.commit();
        drop(state);
        result.map(|acknowledgement| IbcOutcome {
            events,
            acknowledgement,
            gas_used,
        })
    }

    fn ibc_call_inner(
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

    /// The identifier the next channel opened on this chain gets (`channel-N`).
    pub fn ibc_next_channel_id(&self) -> String {
        format!("channel-{}", ibc_counter(&lock(&self.rt.shared)))
    }

    /// Whether a sent packet still awaits its acknowledgement or timeout.
    pub fn ibc_packet_pending(&self, port: &str, channel: &str, sequence: u64) -> bool {
        let key = ibc_key("commit", port, channel, Some(sequence));
        ibc_get(&lock(&self.rt.shared), &key).is_some()
    }

    /// The acknowledgement written when this chain received the packet (`None`: not received).
    pub fn ibc_acknowledgement(&self, port: &str, channel: &str, sequence: u64) -> Option<Vec<u8>> {
        let key = ibc_key("receipt", port, channel, Some(sequence));
        ibc_get(&lock(&self.rt.shared), &key)
    }

    /// The one call sequence of every entry point: env, instance, call, meter charge, result.
    fn call_contract(
        &self,
        contract: &str,
        code_id: u64,
        entry: Entry<'_>,
        meter: &mut Meter,
    ) -> Result<Response<Empty>, HostError> {
        meter.take(self.config.call_cost)?;
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
        contract_result(result?)
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

    /// Emits the response's events, runs its submessages (with replies), returns its data.
    fn handle_response(
        &mut self,
        contract: &str,
        response: Response<Empty>,
        meter: &mut Meter,
        events: &mut Vec<Event>,
        depth: u32,
    ) -> Result<Option<cosmwasm_std::Binary>, HostError> {
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
            let response = self.call_contract(contract, code_id, Entry::Reply(&reply), meter)?;
            if let Some(d) = self.handle_response(contract, response, meter, events, depth + 1)? {
                data = Some(d);
            }
        }
        Ok(data)
    }
}

impl Runtime {
    fn api_validate(&self, addr: &str) -> Result<(), HostError> {
        use cosmwasm_vm::BackendApi;
        self.api
            .addr_validate(addr)
            .0
            .map_err(|e| HostError::InvalidMessage(format!("invalid address {addr}: {e}")))
    }
}

fn ibc_key(what: &str, port: &str, channel: &str, sequence: Option<u64>) -> Vec<u8> {
    match sequence {
        Some(seq) => format!("{what}/{port}/{channel}/{seq}").into_bytes(),
        None => format!("{what}/{port}/{channel}").into_bytes(),
    }
}

/// Where the host keeps a sent packet's commitment until its ack or timeout.
fn commitment_key(p: &cosmwasm_std::IbcPacket) -> Vec<u8> {
    ibc_key(
        "commit",
        &p.src.port_id,
        &p.src.channel_id,
        Some(p.sequence),
    )
}

fn ibc_get(state: &crate::store::State, key: &[u8]) -> Option<Vec<u8>> {
    state.kv.get(IBC_NS).and_then(|m| m.get(key)).cloned()
}

fn ibc_counter(state: &crate::store::State) -> u64 {
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

/// Convenience: a native coin.
pub fn coin(amount: u128, denom: &str) -> Coin {
    Coin::new(Uint256::from(amount), denom)
}
