//! Chain state shared by every VM instance of one chain: contract key-value stores, bank,
//! contract registry, and an undo journal that gives nested transactions (a failed submessage
//! reverts exactly its own writes).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};

/// CosmWasm gas per SDK gas: wasmd v0.61's `DefaultGasMultiplier` (140 000 since CosmWasm 2.0
/// cut the VM's costs by 1000; it was 140 before, which priced wasm execution 1000x too high).
pub const SDK_TO_CW_GAS: u64 = 140_000;

/// The SDK's `KVGasConfig` (in SDK gas), which wasmd charges for every storage access.
#[derive(Clone, Copy, Debug)]
pub struct GasConfig {
    pub has_cost: u64,
    pub delete_cost: u64,
    pub read_cost_flat: u64,
    pub read_cost_per_byte: u64,
    pub write_cost_flat: u64,
    pub write_cost_per_byte: u64,
    pub iter_next_cost_flat: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        GasConfig {
            has_cost: 1000,
            delete_cost: 1000,
            read_cost_flat: 1000,
            read_cost_per_byte: 3,
            write_cost_flat: 2000,
            write_cost_per_byte: 30,
            iter_next_cost_flat: 30,
        }
    }
}

fn cw(sdk_gas: u64) -> GasInfo {
    GasInfo::with_externally_used(sdk_gas.saturating_mul(SDK_TO_CW_GAS))
}

#[derive(Clone, Debug)]
pub(crate) struct ContractMeta {
    pub code_id: u64,
    pub creator: String,
    pub admin: Option<String>,
    pub label: String,
    /// wasmd's contract code history: the instantiation, then each migration.
    pub history: Vec<HistoryEntry>,
}

/// What changed a contract's code (wasmd's `ContractCodeHistoryOperationType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryOp {
    Init,
    Migrate,
}

/// One entry of a contract's code history (wasmd's `ContractCodeHistoryEntry`): the message
/// and where it ran (`AbsoluteTxPosition`: block height, transaction index in the block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub operation: HistoryOp,
    pub code_id: u64,
    pub height: u64,
    pub tx_index: u64,
    pub msg: Vec<u8>,
}

enum Undo {
    Kv {
        contract: String,
        key: Vec<u8>,
        old: Option<Vec<u8>>,
    },
    Bank {
        address: String,
        denom: String,
        old: u128,
    },
    Supply {
        denom: String,
        old: u128,
    },
    Meta {
        address: String,
        old: Option<ContractMeta>,
    },
}

#[derive(Default)]
pub(crate) struct State {
    pub kv: HashMap<String, BTreeMap<Vec<u8>, Vec<u8>>>,
    pub bank: BTreeMap<(String, String), u128>,
    pub supply: BTreeMap<String, u128>,
    pub contracts: BTreeMap<String, ContractMeta>,
    journal: Vec<Undo>,
}

impl State {
    pub fn checkpoint(&self) -> usize {
        self.journal.len()
    }

    /// Undo every change made after `checkpoint`.
    pub fn revert_to(&mut self, checkpoint: usize) {
        while self.journal.len() > checkpoint {
            match self.journal.pop() {
                Some(Undo::Kv { contract, key, old }) => {
                    let map = self.kv.entry(contract).or_default();
                    match old {
                        Some(v) => map.insert(key, v),
                        None => map.remove(&key),
                    };
                }
                Some(Undo::Bank {
                    address,
                    denom,
                    old,
                }) => {
                    self.bank.insert((address, denom), old);
                }
                Some(Undo::Supply { denom, old }) => {
                    self.supply.insert(denom, old);
                }
                Some(Undo::Meta { address, old }) => match old {
                    Some(m) => {
                        self.contracts.insert(address, m);
                    }
                    None => {
                        self.contracts.remove(&address);
                    }
                },
                None => break,
            }
        }
    }

    /// Forget the undo history (a top-level transaction committed).
    pub fn commit(&mut self) {
        self.journal.clear();
    }

    pub fn kv_set(&mut self, contract: &str, key: &[u8], value: Option<Vec<u8>>) {
        let map = self.kv.entry(contract.to_string()).or_default();
        let old = match value {
            Some(v) => map.insert(key.to_vec(), v),
            None => map.remove(key),
        };
        self.journal.push(Undo::Kv {
            contract: contract.to_string(),
            key: key.to_vec(),
            old,
        });
    }

    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        self.bank
            .get(&(address.to_string(), denom.to_string()))
            .copied()
            .unwrap_or(0)
    }

    pub fn set_balance(&mut self, address: &str, denom: &str, amount: u128) {
        let key = (address.to_string(), denom.to_string());
        let old = self.bank.insert(key, amount).unwrap_or(0);
        self.journal.push(Undo::Bank {
            address: address.to_string(),
            denom: denom.to_string(),
            old,
        });
    }

    pub fn set_supply(&mut self, denom: &str, amount: u128) {
        let old = self.supply.insert(denom.to_string(), amount).unwrap_or(0);
        self.journal.push(Undo::Supply {
            denom: denom.to_string(),
            old,
        });
    }

    pub fn set_meta(&mut self, address: &str, meta: ContractMeta) {
        let old = self.contracts.insert(address.to_string(), meta);
        self.journal.push(Undo::Meta {
            address: address.to_string(),
            old,
        });
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panic while holding the lock can only come from a bug in this crate; the state itself
    // stays consistent (every mutation is a single map operation), so keep going.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

struct Iter {
    records: Vec<Record>,
    position: usize,
}

/// The `Storage` backend of one contract instance: a view on its key-value map in the shared
/// state, charging wasmd's storage gas.
pub struct ContractStorage {
    shared: Shared,
    contract: String,
    gas: GasConfig,
    /// Bytes wasmd's store prefix adds to every key the SDK's gas meter sees (0x03 || the
    /// contract's address bytes): the per-byte costs count them.
    prefix_len: u64,
    iterators: HashMap<u32, Iter>,
    next_iterator: u32,
}

impl ContractStorage {
    pub(crate) fn new(shared: Shared, contract: String, gas: GasConfig) -> Self {
        let prefix_len = 1 + bech32::decode(&contract).map_or(32, |(_, b)| b.len()) as u64;
        ContractStorage {
            shared,
            contract,
            gas,
            prefix_len,
            iterators: HashMap::new(),
            next_iterator: 1,
        }
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let state = lock(&self.shared);
        let value = state
            .kv
            .get(&self.contract)
            .and_then(|m| m.get(key))
            .cloned();
        let bytes = self.prefix_len + (key.len() + value.as_ref().map_or(0, Vec::len)) as u64;
        let gas = self.gas.read_cost_flat + self.gas.read_cost_per_byte * bytes;
        (Ok(value), cw(gas))
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let empty = matches!((start, end), (Some(s), Some(e)) if s >= e);
        let mut records: Vec<Record> = if empty {
            Vec::new()
        } else {
            let state = lock(&self.shared);
            state
                .kv
                .get(&self.contract)
                .map(|m| {
                    m.range((lower, upper))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        if order == Order::Descending {
            records.reverse();
        }
        let id = self.next_iterator;
        self.next_iterator = self.next_iterator.wrapping_add(1);
        self.iterators.insert(
            id,
            Iter {
                records,
                position: 0,
            },
        );
        (Ok(id), cw(0))
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(it) = self.iterators.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let record = it.records.get(it.position).cloned();
        if record.is_some() {
            it.position += 1;
        }
        let bytes = record
            .as_ref()
            .map_or(0, |(k, v)| self.prefix_len + (k.len() + v.len()) as u64);
        let gas = self.gas.iter_next_cost_flat + self.gas.read_cost_per_byte * bytes;
        (Ok(record), cw(gas))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        lock(&self.shared).kv_set(&self.contract, key, Some(value.to_vec()));
        let bytes = self.prefix_len + (key.len() + value.len()) as u64;
        (
            Ok(()),
            cw(self.gas.write_cost_flat + self.gas.write_cost_per_byte * bytes),
        )
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        lock(&self.shared).kv_set(&self.contract, key, None);
        (Ok(()), cw(self.gas.delete_cost))
    }
}
