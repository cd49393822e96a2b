//! The chain: code store, transactions, contract calls and queries. Each role lives in its own
//! module; this one holds the [`Chain`] type and its public API.

mod bank;
mod config;
mod gas;
mod ibc;
mod proto;
mod reply;
mod runtime;
mod wasm;

use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    BankMsg, BlockInfo, Checksum, Coin, CosmosMsg, Event, Timestamp, Uint256, WasmMsg,
};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{capabilities_from_csv, Cache, CacheOptions, Size};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::address::{make_addr, valid_prefix};
use crate::error::HostError;
use crate::store::{lock, HistoryEntry, State};

use bank::u128_amount;
pub use config::ChainConfig;
use gas::Meter;
use ibc::{ibc_counter, ibc_get, ibc_key};
pub use ibc::{IbcCall, IbcOutcome};
use runtime::HostCache;
pub(crate) use runtime::Runtime;
use wasm::contract_result;

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
    /// Out of gas at a fixed charge: by how much (CosmWasm gas) it overran the limit, and the
    /// charge's name in wasmd's gas meter. `None` for any other outcome.
    pub overrun: Option<(u64, &'static str)>,
}

pub struct Chain {
    rt: Arc<Runtime>,
    config: ChainConfig,
    instance_seq: u64,
}

/// Module-cache directories are `<temp>/bithive-vm-<pid>-<random>`.
pub const CACHE_DIR_PREFIX: &str = "bithive-vm-";

/// Removes the module-cache directories of processes that no longer exist (issue #27: a chain
/// killed with SIGKILL never drops its `TempDir`, so each kill leaked its compiled modules).
/// Linux only (`/proc` tells which pids are alive); elsewhere nothing is removed.
pub fn sweep_stale_cache_dirs(base: &std::path::Path) {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(CACHE_DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

impl Chain {
    pub fn new(config: ChainConfig) -> Result<Self, HostError> {
        if !valid_prefix(&config.bech32_prefix) {
            return Err(HostError::InvalidMessage(format!(
                "invalid bech32 prefix {:?}",
                config.bech32_prefix
            )));
        }
        let base = std::env::temp_dir();
        sweep_stale_cache_dirs(&base);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{CACHE_DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(&base)
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
            tx_index: std::sync::atomic::AtomicU64::new(0),
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
        self.store_code_with(wasm, true, "")
    }

    /// Checks and compiles `wasm`; `persist` writes it and its module to the cache directory
    /// (a simulation passes false: it writes nothing to disk, issue #27; the code cannot then be
    /// instantiated within the same simulated transaction).
    fn store_code_with(
        &mut self,
        wasm: &[u8],
        persist: bool,
        creator: &str,
    ) -> Result<u64, HostError> {
        let checksum = self.rt.cache.store_code(wasm, true, persist)?;
        let mut codes = self.rt.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.push((checksum, creator.to_string()));
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
        self.query_raw_with(contract, msg, self.config.tx_gas_limit)
    }

    /// Smart query within `gas_limit` (CosmWasm gas, nested queries included): a contract that
    /// loops fails with [`HostError::OutOfGas`] (a node serves queries with a cap, as wasmd's
    /// `smart_query_gas_limit`).
    pub fn query_raw_with(
        &self,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
    ) -> Result<cosmwasm_std::Binary, HostError> {
        let (result, _gas) = self
            .rt
            .query_smart(contract, msg, gas_limit, 0)
            .map_err(|e| {
                if e.is_out_of_gas() {
                    HostError::OutOfGas
                } else {
                    e
                }
            })?;
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
        let mut meter = Meter::new(gas_limit);
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
                TxMsg::StoreCode(wasm) => {
                    self.store_code_msg(sender, &wasm, !always_revert, &mut meter, &mut events)
                }
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
            overrun: if meter.left == 0 { meter.overrun } else { None },
        }
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

    /// The account that stored code `code_id` ("" when stored outside a transaction).
    pub fn code_creator(&self, code_id: u64) -> Option<String> {
        let codes = self.rt.codes.lock().unwrap_or_else(|e| e.into_inner());
        let i = usize::try_from(code_id.checked_sub(1)?).ok()?;
        codes.get(i).map(|c| c.1.clone())
    }

    /// The wasm bytes of code `code_id`, as stored (read back from the module cache).
    pub fn code_wasm(&self, code_id: u64) -> Result<Vec<u8>, HostError> {
        let checksum = self.rt.checksum(code_id)?;
        Ok(self.rt.cache.load_wasm(&checksum)?)
    }

    /// Sets the position of the next transaction in its block (wasmd's tx counter), recorded
    /// in the history of contracts it instantiates or migrates.
    pub fn set_tx_index(&mut self, index: u64) {
        self.rt
            .tx_index
            .store(index, std::sync::atomic::Ordering::SeqCst);
    }

    /// A contract's code history (instantiation, then each migration), oldest first.
    pub fn contract_history(&self, address: &str) -> Option<Vec<HistoryEntry>> {
        lock(&self.rt.shared)
            .contracts
            .get(address)
            .map(|m| m.history.clone())
    }

    /// Every native denom with its total supply, by denom.
    pub fn supplies(&self) -> Vec<(String, u128)> {
        lock(&self.rt.shared)
            .supply
            .iter()
            .filter(|(_, a)| **a > 0)
            .map(|(d, a)| (d.clone(), *a))
            .collect()
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
        let mut meter = Meter::new(gas_limit);
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
}

/// Convenience: a native coin.
pub fn coin(amount: u128, denom: &str) -> Coin {
    Coin::new(Uint256::from(amount), denom)
}
