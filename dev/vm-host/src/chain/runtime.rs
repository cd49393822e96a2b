//! State shared by the chain and the queriers it hands to instances: module cache, code ids,
//! block, API.

use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    Addr, BlockInfo, Checksum, ContractInfo as EnvContractInfo, ContractResult, Env,
    TransactionInfo,
};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{call_query_raw, Backend, Cache, Instance, InstanceOptions};

use crate::error::HostError;
use crate::querier::HostQuerier;
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
