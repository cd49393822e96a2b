//! `abci_query` paths: the gRPC query services clients reach through CometBFT RPC.

pub mod lists;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    ContractInfo, QueryContractInfoRequest, QueryContractInfoResponse,
    QueryRawContractStateRequest, QueryRawContractStateResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::proto::tendermint::abci::{Event as ProtoEvent, EventAttribute};
use cosmrs::proto::Any;

use bithive_vm_host::HostError;

use crate::abci::{query_error, AbciError};
use crate::app::App;
use crate::config::DevnetConfig;
use crate::tx::SECP256K1_PUBKEY_URL;

fn decode<M: Message + Default>(data: &[u8]) -> Result<M, AbciError> {
    M::decode(data).map_err(|e| AbciError::tx_decode(format!("invalid request: {e}")))
}

fn not_found(what: String) -> AbciError {
    AbciError::key_not_found(format!("rpc error: code = NotFound desc = {what}"))
}

fn proto_coin(amount: u128, denom: &str) -> ProtoCoin {
    ProtoCoin {
        denom: denom.to_string(),
        amount: amount.to_string(),
    }
}

/// The `abci_query` path of `Simulate` (the one query that runs a transaction).
pub const SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// Answers one read-only `abci_query` (every path but [`SIMULATE`]); the value is the protobuf
/// response of the gRPC method `path`.
pub fn query(
    app: &App,
    path: &str,
    data: &[u8],
    config: &DevnetConfig,
) -> Result<Vec<u8>, AbciError> {
    match path {
        "/cosmos.auth.v1beta1.Query/Account" => {
            let req: QueryAccountRequest = decode(data)?;
            crate::query::lists::address_bytes(&req.address, app.prefix())
                .map_err(AbciError::invalid_request)?;
            let acc = app
                .account(&req.address)
                .ok_or_else(|| not_found(format!("account {} not found", req.address)))?;
            let pub_key = acc.pubkey.as_ref().map(|k| Any {
                type_url: SECP256K1_PUBKEY_URL.into(),
                value: PubKey { key: k.clone() }.encode_to_vec(),
            });
            let base = BaseAccount {
                address: req.address,
                pub_key,
                account_number: acc.number,
                sequence: acc.sequence,
            };
            Ok(QueryAccountResponse {
                account: Some(Any {
                    type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                    value: base.encode_to_vec(),
                }),
            }
            .encode_to_vec())
        }
        "/cosmos.bank.v1beta1.Query/Balance" => {
            let req: QueryBalanceRequest = decode(data)?;
            crate::query::lists::bank_address(&req.address, app.prefix())?;
            if !crate::tx::valid_denom(&req.denom) {
                return Err(AbciError::invalid_coins(format!(
                    "invalid denom {}",
                    req.denom
                )));
            }
            let amount = app.chain().balance(&req.address, &req.denom);
            Ok(QueryBalanceResponse {
                balance: Some(proto_coin(amount, &req.denom)),
            }
            .encode_to_vec())
        }
        "/cosmwasm.wasm.v1.Query/SmartContractState" => {
            let req: QuerySmartContractStateRequest = decode(data)?;
            crate::query::lists::address_bytes(&req.address, app.prefix())
                .map_err(AbciError::invalid_request)?;
            // wasmd refuses a query that is not JSON before looking the contract up.
            if serde_json::from_slice::<serde::de::IgnoredAny>(&req.query_data).is_err() {
                return Err(crate::page::invalid_argument("invalid query data"));
            }
            if app.chain().contract_info(&req.address).is_none() {
                let e = HostError::UnknownContract(req.address.clone());
                return Err(query_error(&e));
            }
            // wasmd's `smart_query_gas_limit` (3 000 000 SDK gas by default), in CosmWasm gas
            // at wasmd's DefaultGasMultiplier (SDK_TO_CW_GAS = 140 000, issue #26). Issue #27:
            // queries ran on 10^12 gas.
            let sdk_limit = config.smart_query_gas_limit;
            let cw_limit = sdk_limit.saturating_mul(bithive_vm_host::SDK_TO_CW_GAS);
            let data = app
                .chain()
                .query_raw_with(&req.address, &req.query_data, cw_limit)
                .map_err(|e| {
                    if e.is_out_of_gas() {
                        AbciError::out_of_gas("wasm query", sdk_limit, sdk_limit)
                    } else {
                        query_error(&e)
                    }
                })?;
            Ok(QuerySmartContractStateResponse {
                data: data.to_vec(),
            }
            .encode_to_vec())
        }
        "/cosmwasm.wasm.v1.Query/RawContractState" => {
            let req: QueryRawContractStateRequest = decode(data)?;
            crate::query::lists::address_bytes(&req.address, app.prefix())
                .map_err(AbciError::invalid_request)?;
            // wasmd: an unknown contract is `address X: no such contract` (sdk 6).
            if app.chain().contract_info(&req.address).is_none() {
                let e = HostError::UnknownContract(req.address.clone());
                return Err(query_error(&e));
            }
            let data = app
                .chain()
                .raw(&req.address, &req.query_data)
                .unwrap_or_default();
            Ok(QueryRawContractStateResponse { data }.encode_to_vec())
        }
        "/cosmwasm.wasm.v1.Query/ContractInfo" => {
            let req: QueryContractInfoRequest = decode(data)?;
            crate::query::lists::address_bytes(&req.address, app.prefix())
                .map_err(AbciError::invalid_request)?;
            let info = app
                .chain()
                .contract_info(&req.address)
                .ok_or_else(|| query_error(&HostError::UnknownContract(req.address.clone())))?;
            let created = crate::query::lists::created(app, &info.address);
            Ok(QueryContractInfoResponse {
                address: info.address,
                contract_info: Some(ContractInfo {
                    code_id: info.code_id,
                    creator: info.creator,
                    admin: info.admin.unwrap_or_default(),
                    label: info.label,
                    created,
                    ibc_port_id: String::new(),
                    extension: None,
                }),
            }
            .encode_to_vec())
        }
        other => crate::query::lists::query(app, other, data, config).unwrap_or_else(|| {
            Err(AbciError::unknown_request(format!(
                "no query path registered for {other}"
            )))
        }),
    }
}

/// `Simulate`: runs the transaction on the current state and keeps nothing (no block, no log
/// line, no mempool entry).
pub fn simulate(app: &mut App, data: &[u8]) -> Result<Vec<u8>, AbciError> {
    let req: SimulateRequest = decode(data)?;
    let (gas_used, (events, data, msg_responses)) = app.simulate(&req.tx_bytes)?;
    let events = events
        .into_iter()
        .map(|e| ProtoEvent {
            r#type: e.kind,
            attributes: e
                .attributes
                .into_iter()
                .map(|a| EventAttribute {
                    key: a.key,
                    value: a.value,
                    index: a.index,
                })
                .collect(),
        })
        .collect();
    #[allow(deprecated)]
    let result = AbciResult {
        data,
        log: String::new(),
        events,
        msg_responses,
    };
    Ok(SimulateResponse {
        gas_info: Some(GasInfo {
            // wasmd reports a simulation's gas limit: none (`u64::MAX`).
            gas_wanted: u64::MAX,
            gas_used,
        }),
        result: Some(result),
    }
    .encode_to_vec())
}
