//! State shared by the chain and the queriers it hands to instances (module cache, code ids,
//! block, API), and the querier itself: queries from a contract to the chain (bank, other
//! contracts: smart, raw, contract info). They live together because each holds the other: the
//! runtime gives every instance a querier, and a querier runs its queries on the runtime.

use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    to_json_binary, Addr, BalanceResponse, BankQuery, Binary, BlockInfo, Checksum, Coin,
    ContractInfo as EnvContractInfo, ContractInfoResponse, ContractResult, Empty, Env,
    QueryRequest, SupplyResponse, SystemError, SystemResult, TransactionInfo, Uint256, WasmQuery,
};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{
    call_query_raw, Backend, BackendResult, Cache, GasInfo, Instance, InstanceOptions, Querier,
};

use crate::error::HostError;
use crate::store::{lock, ContractStorage, GasConfig, Shared};

pub(super) type HostCache = Cache<MockApi, ContractStorage, HostQuerier>;
pub(super) type HostInstance = Instance<MockApi, ContractStorage, HostQuerier>;

/// Shared by the chain and every querier it hands to an instance.
pub(crate) struct Runtime {
    pub(crate) shared: Shared,
    pub(super) cache: HostCache,
    /// Each code's checksum and the account that stored it ("" for codes stored outside a tx).
    pub(super) codes: Mutex<Vec<(Checksum, String)>>,
    /// Position of the running transaction in its block, as wasmd's `AbsoluteTxPosition`
    /// records it in contract history (the devnet sets it before each transaction).
    pub(super) tx_index: std::sync::atomic::AtomicU64,
    pub(super) api: MockApi,
    pub(super) gas: GasConfig,
    pub(super) block: Mutex<BlockInfo>,
    // Keeps the module cache directory alive as long as the chain.
    pub(super) _cache_dir: tempfile::TempDir,
}

impl Runtime {
    pub(super) fn block(&self) -> BlockInfo {
        self.block.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(super) fn env(&self, contract: &str) -> Env {
        Env {
            block: self.block(),
            transaction: Some(TransactionInfo::new(0, cosmwasm_std::Binary::default())),
            contract: EnvContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    pub(super) fn checksum(&self, code_id: u64) -> Result<Checksum, HostError> {
        let codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        code_id
            .checked_sub(1)
            .and_then(|i| codes.get(i as usize).map(|c| c.0))
            .ok_or(HostError::UnknownCode(code_id))
    }

    pub(super) fn instance(
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

    pub(super) fn code_of(&self, contract: &str) -> Result<u64, HostError> {
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

    pub(super) fn api_validate(&self, addr: &str) -> Result<(), HostError> {
        use cosmwasm_vm::BackendApi;
        self.api
            .addr_validate(addr)
            .0
            .map_err(|e| HostError::InvalidMessage(format!("invalid address {addr}: {e}")))
    }
}

/// Nested queries deeper than this fail (as wasmd's query stack limit does).
const MAX_QUERY_DEPTH: u32 = 10;

pub struct HostQuerier {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) depth: u32,
}

fn ok(value: Binary) -> SystemResult<ContractResult<Binary>> {
    SystemResult::Ok(ContractResult::Ok(value))
}

fn sys_err(e: SystemError) -> SystemResult<ContractResult<Binary>> {
    SystemResult::Err(e)
}

fn json<T: serde::Serialize>(v: &T) -> SystemResult<ContractResult<Binary>> {
    match to_json_binary(v) {
        Ok(b) => ok(b),
        Err(e) => SystemResult::Ok(ContractResult::Err(e.to_string())),
    }
}

impl Querier for HostQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let req: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Ok(sys_err(SystemError::InvalidRequest {
                        error: e.to_string(),
                        request: Binary::from(request),
                    })),
                    GasInfo::free(),
                )
            }
        };
        match req {
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => {
                let amount = lock(&self.runtime.shared).balance(&address, &denom);
                let resp = BalanceResponse::new(Coin::new(Uint256::from(amount), denom));
                (Ok(json(&resp)), GasInfo::free())
            }
            QueryRequest::Bank(BankQuery::Supply { denom }) => {
                let amount = lock(&self.runtime.shared)
                    .supply
                    .get(&denom)
                    .copied()
                    .unwrap_or(0);
                let resp = SupplyResponse::new(Coin::new(Uint256::from(amount), denom));
                (Ok(json(&resp)), GasInfo::free())
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                let state = lock(&self.runtime.shared);
                if !state.contracts.contains_key(&contract_addr) {
                    return (
                        Ok(sys_err(SystemError::NoSuchContract {
                            addr: contract_addr,
                        })),
                        GasInfo::free(),
                    );
                }
                let value = state
                    .kv
                    .get(&contract_addr)
                    .and_then(|m| m.get(key.as_slice()))
                    .cloned()
                    .unwrap_or_default();
                (Ok(ok(Binary::from(value))), GasInfo::free())
            }
            QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => {
                let meta = lock(&self.runtime.shared)
                    .contracts
                    .get(&contract_addr)
                    .cloned();
                match meta {
                    None => (
                        Ok(sys_err(SystemError::NoSuchContract {
                            addr: contract_addr,
                        })),
                        GasInfo::free(),
                    ),
                    Some(m) => {
                        let resp = ContractInfoResponse::new(
                            m.code_id,
                            cosmwasm_std::Addr::unchecked(m.creator),
                            m.admin.map(cosmwasm_std::Addr::unchecked),
                            false,
                            None,
                            None,
                        );
                        (Ok(json(&resp)), GasInfo::free())
                    }
                }
            }
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                if self.depth >= MAX_QUERY_DEPTH {
                    return (
                        Ok(sys_err(SystemError::UnsupportedRequest {
                            kind: "query nesting deeper than 10".into(),
                        })),
                        GasInfo::free(),
                    );
                }
                match self.runtime.query_smart(
                    &contract_addr,
                    msg.as_slice(),
                    gas_limit,
                    self.depth + 1,
                ) {
                    Ok((result, gas)) => (
                        Ok(SystemResult::Ok(result)),
                        GasInfo::with_externally_used(gas),
                    ),
                    Err(crate::HostError::UnknownContract(addr)) => (
                        Ok(sys_err(SystemError::NoSuchContract { addr })),
                        GasInfo::free(),
                    ),
                    Err(e) => (
                        Ok(SystemResult::Ok(ContractResult::Err(e.to_string()))),
                        GasInfo::free(),
                    ),
                }
            }
            other => (
                Ok(sys_err(SystemError::UnsupportedRequest {
                    kind: format!("{other:?}").chars().take(64).collect(),
                })),
                GasInfo::free(),
            ),
        }
    }
}
