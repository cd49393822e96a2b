//! Queries from a contract to the chain: bank, other contracts (smart, raw, contract info).

use std::sync::Arc;

use cosmwasm_std::{
    to_json_binary, BalanceResponse, BankQuery, Binary, Coin, ContractInfoResponse, ContractResult,
    Empty, QueryRequest, SupplyResponse, SystemError, SystemResult, Uint256, WasmQuery,
};
use cosmwasm_vm::{BackendResult, GasInfo, Querier};

use crate::chain::Runtime;
use crate::store::lock;

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
