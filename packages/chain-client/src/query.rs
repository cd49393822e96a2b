//! gRPC-free queries: the protobuf request goes through CometBFT `abci_query` with the gRPC
//! method name as path, exactly what a gRPC gateway would call.
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryContractInfoRequest, QueryContractInfoResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;

use crate::error::ChainError;
use crate::rpc::RpcEndpoint;

pub const PATH_ACCOUNT: &str = "/cosmos.auth.v1beta1.Query/Account";
pub const PATH_BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";
pub const PATH_WASM_SMART: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";
pub const PATH_WASM_CONTRACT_INFO: &str = "/cosmwasm.wasm.v1.Query/ContractInfo";
pub const PATH_SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

/// Account number and next sequence of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_number: u64,
    pub sequence: u64,
}

fn decode<M: Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M, ChainError> {
    M::decode(bytes).map_err(|e| ChainError::Decode {
        what,
        message: e.to_string(),
    })
}

/// `req` at `path`, its answer decoded as `M` (`what` names it in errors).
pub(crate) async fn query_decoded<M: Message + Default>(
    rpc: &dyn RpcEndpoint,
    path: &str,
    req: impl Message,
    what: &'static str,
) -> Result<M, ChainError> {
    decode(what, &query_raw(rpc, path, req).await?)
}

async fn query_raw(
    rpc: &dyn RpcEndpoint,
    path: &str,
    req: impl Message,
) -> Result<Vec<u8>, ChainError> {
    let r = rpc.abci_query(path, req.encode_to_vec()).await?;
    if r.code != 0 {
        return Err(ChainError::Query {
            path: path.to_string(),
            code: r.code,
            log: r.log,
        });
    }
    Ok(r.value)
}

pub async fn account(rpc: &dyn RpcEndpoint, address: &str) -> Result<AccountInfo, ChainError> {
    let req = QueryAccountRequest {
        address: address.to_string(),
    };
    let value = match query_raw(rpc, PATH_ACCOUNT, req).await {
        Err(ChainError::Query { log, .. }) if log.contains("not found") => {
            return Err(ChainError::AccountNotFound(address.to_string()))
        }
        other => other?,
    };
    let resp: QueryAccountResponse = decode("QueryAccountResponse", &value)?;
    let any = resp
        .account
        .ok_or_else(|| ChainError::AccountNotFound(address.to_string()))?;
    if any.type_url != BASE_ACCOUNT_TYPE_URL {
        return Err(ChainError::Decode {
            what: "account",
            message: format!("unsupported account type {}", any.type_url),
        });
    }
    let base: BaseAccount = decode("BaseAccount", &any.value)?;
    Ok(AccountInfo {
        account_number: base.account_number,
        sequence: base.sequence,
    })
}

/// Balance of `denom` (native or `ibc/...`); 0 when the account holds none.
pub async fn balance(
    rpc: &dyn RpcEndpoint,
    address: &str,
    denom: &str,
) -> Result<u128, ChainError> {
    let req = QueryBalanceRequest {
        address: address.to_string(),
        denom: denom.to_string(),
    };
    let value = query_raw(rpc, PATH_BALANCE, req).await?;
    let resp: QueryBalanceResponse = decode("QueryBalanceResponse", &value)?;
    match resp.balance {
        None => Ok(0),
        Some(c) => c.amount.parse().map_err(|_| ChainError::Decode {
            what: "balance amount",
            message: c.amount,
        }),
    }
}

/// Smart query of a CosmWasm contract; returns the contract's JSON answer.
pub async fn wasm_smart(
    rpc: &dyn RpcEndpoint,
    contract: &str,
    query_json: &[u8],
) -> Result<Vec<u8>, ChainError> {
    let req = QuerySmartContractStateRequest {
        address: contract.to_string(),
        query_data: query_json.to_vec(),
    };
    let value = query_raw(rpc, PATH_WASM_SMART, req).await?;
    let resp: QuerySmartContractStateResponse = decode("QuerySmartContractStateResponse", &value)?;
    Ok(resp.data)
}

/// What x/wasm records of a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    /// Its code id.
    pub code_id: u64,
    /// Who instantiated it.
    pub creator: String,
    /// Who may migrate it; None: nobody.
    pub admin: Option<String>,
    /// Its label.
    pub label: String,
}

/// x/wasm's record of `contract`.
pub async fn wasm_contract_info(
    rpc: &dyn RpcEndpoint,
    contract: &str,
) -> Result<ContractInfo, ChainError> {
    let req = QueryContractInfoRequest {
        address: contract.to_string(),
    };
    let value = query_raw(rpc, PATH_WASM_CONTRACT_INFO, req).await?;
    let resp: QueryContractInfoResponse = decode("QueryContractInfoResponse", &value)?;
    let info = resp.contract_info.ok_or_else(|| ChainError::Decode {
        what: "QueryContractInfoResponse",
        message: "no contract_info".into(),
    })?;
    Ok(ContractInfo {
        code_id: info.code_id,
        creator: info.creator,
        admin: Some(info.admin).filter(|a| !a.is_empty()),
        label: info.label,
    })
}

/// Simulates signed tx bytes; returns the gas used.
pub async fn simulate(rpc: &dyn RpcEndpoint, tx_bytes: Vec<u8>) -> Result<u64, ChainError> {
    #[allow(deprecated)]
    let req = SimulateRequest { tx: None, tx_bytes };
    let value = match query_raw(rpc, PATH_SIMULATE, req).await {
        Err(ChainError::Query { log, .. }) => return Err(ChainError::Simulate(log)),
        other => other?,
    };
    let resp: SimulateResponse = decode("SimulateResponse", &value)?;
    resp.gas_info
        .map(|g| g.gas_used)
        .ok_or_else(|| ChainError::Simulate("no gas info in simulate response".into()))
}
