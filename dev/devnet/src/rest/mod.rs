//! The Cosmos SDK REST API (gRPC-gateway JSON) subset wallets (Keplr, Leap) and explorers call
//! (issue #21), on its own port. Each query endpoint encodes the gRPC request, runs the same
//! `abci_query` handler the RPC serves ([`crate::query::query`]) and writes the protobuf answer
//! as the gateway does ([`render`]); errors are the gateway's: HTTP status and
//! `{"code": <gRPC code>, "message": ..., "details": []}`. Served by the RPC's listener code
//! ([`crate::server::serve`]) with the same limits.

pub mod render;

pub use bithive_devnet_wire::rest::{parse, RestError};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QueryDenomMetadataRequest, QueryDenomMetadataResponse, QueryDenomsMetadataRequest,
    QueryDenomsMetadataResponse, QuerySpendableBalancesRequest, QuerySpendableBalancesResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryAllContractStateRequest, QueryAllContractStateResponse, QueryCodeRequest,
    QueryCodeResponse, QueryCodesRequest, QueryCodesResponse, QueryContractHistoryRequest,
    QueryContractHistoryResponse, QueryContractInfoRequest, QueryContractInfoResponse,
    QueryContractsByCodeRequest, QueryContractsByCodeResponse, QueryParamsRequest,
    QueryParamsResponse, QueryRawContractStateRequest, QueryRawContractStateResponse,
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use serde_json::{json, Value};

use crate::abci::ExecTxResult;
use crate::mempool::TxInCache;
use crate::node::SharedNode;
use crate::search::TxQuery;
use parse::Endpoint;
use render::J;

/// The REST router: every path goes through [`parse::route`].
pub fn router(node: SharedNode) -> Router {
    Router::new().fallback(handle).with_state(node)
}

async fn handle(State(node): State<SharedNode>, method: Method, uri: Uri, body: Bytes) -> Response {
    let endpoint = match parse::route(method.as_str(), uri.path(), uri.query().unwrap_or("")) {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    if let Some(why) = node.halted() {
        return RestError::new(503, 14, format!("devnet halted: {why}")).into_response();
    }
    let max = node.config().max_response_bytes;
    let n = node.clone();
    let answer = tokio::task::spawn_blocking(move || serve(&n, endpoint, &body))
        .await
        .unwrap_or_else(|e| Err(RestError::internal(e.to_string())));
    match answer {
        Ok(j) => {
            let text = serde_json::to_string(&j).unwrap_or_default();
            if text.len() > max {
                return RestError::internal(format!(
                    "response exceeds the maximum of {max} bytes (max_response_bytes); ask for less"
                ))
                .into_response();
            }
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(text))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(e) => e.into_response(),
    }
}

/// Runs `path` with request `req` through the `abci_query` handler; decodes the answer.
fn abci<Req: Message, Resp: Message + Default>(
    node: &SharedNode,
    path: &str,
    req: Req,
) -> Result<Resp, RestError> {
    let app = node.app_read();
    let bytes = crate::query::query(&app, path, &req.encode_to_vec(), node.config())
        .map_err(|e| RestError::from_abci(&e))?;
    Resp::decode(bytes.as_slice()).map_err(|e| RestError::internal(e.to_string()))
}

/// The body of a POST: JSON object, errors as the gateway's (400).
fn json_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, RestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(RestError::bad_request("request body must be a JSON object")),
        Err(e) => Err(RestError::bad_request(e.to_string())),
    }
}

/// `tx_bytes` of a simulate or broadcast body (base64).
fn tx_bytes(body: &serde_json::Map<String, Value>) -> Result<Vec<u8>, RestError> {
    match body.get("tx_bytes") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => parse::parse_bytes(s).map_err(RestError::bad_request),
        Some(_) => Err(RestError::bad_request("tx_bytes: a base64 string")),
    }
}

fn v(x: Value) -> J {
    J::V(x)
}

/// A list answer as the gateway writes it: the `items` under `key`, then the page.
fn listed(key: &str, items: impl serde::Serialize, pagination: Option<PageResponse>) -> J {
    v(json!({ key: items, "pagination": render::page(pagination.as_ref()) }))
}

fn serve(node: &SharedNode, endpoint: Endpoint, body: &[u8]) -> Result<J, RestError> {
    let prefix = node.config().bech32_prefix.clone();
    Ok(match endpoint {
        Endpoint::NodeInfo => {
            let status = crate::rpc::status(node);
            let ni = &status["node_info"];
            let channels =
                hex::decode(ni["channels"].as_str().unwrap_or_default()).unwrap_or_default();
            v(json!({
                "default_node_info": {
                    "protocol_version": ni["protocol_version"],
                    "default_node_id": ni["id"],
                    "listen_addr": ni["listen_addr"],
                    "network": ni["network"],
                    "version": ni["version"],
                    "channels": render::b64(&channels),
                    "moniker": ni["moniker"],
                    "other": ni["other"],
                },
                "application_version": {
                    "name": "bithive-devnet",
                    "app_name": "bithive-devnet",
                    "version": env!("CARGO_PKG_VERSION"),
                    "git_commit": "",
                    "build_tags": "",
                    "go_version": "",
                    "build_deps": [],
                    // The SDK whose behaviour the devnet follows (wasmd v0.61.14's).
                    "cosmos_sdk_version": "v0.53.6",
                },
            }))
        }
        Endpoint::Syncing => v(json!({ "syncing": false })),
        Endpoint::LatestBlock | Endpoint::Block(_) => {
            let app = node.app_read();
            let height = match endpoint {
                Endpoint::Block(h) => h,
                _ => app.height(),
            };
            let block = app.block(height).ok_or_else(|| {
                // The SDK's text, typo included.
                RestError::internal("requested block height is bigger then the chain length")
            })?;
            let prev = app.block(height.saturating_sub(1)).map_or(0, |b| b.time_ns);
            let rpc = crate::json::block(block, prev, app.chain_id(), &node.validator);
            let g = render::gateway_block(&rpc);
            let mut sdk_block = g["block"].clone();
            let valcons = bech32::Hrp::parse(&format!("{prefix}valcons"))
                .ok()
                .and_then(|hrp| bech32::encode::<bech32::Bech32>(hrp, &node.validator.address).ok())
                .unwrap_or_default();
            sdk_block["header"]["proposer_address"] = Value::String(valcons);
            v(json!({ "block_id": g["block_id"], "block": g["block"], "sdk_block": sdk_block }))
        }
        Endpoint::Account(address) => {
            let r: QueryAccountResponse = abci(
                node,
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest { address },
            )?;
            let any = r.account.unwrap_or_default();
            let acc = BaseAccount::decode(any.value.as_slice())
                .map_err(|e| RestError::internal(e.to_string()))?;
            v(json!({ "account": {
                "@type": any.type_url,
                "address": acc.address,
                "pub_key": render::pubkey(acc.pub_key.as_ref()),
                "account_number": acc.account_number.to_string(),
                "sequence": acc.sequence.to_string(),
            }}))
        }
        Endpoint::Balances { address, page } => {
            let r: QueryAllBalancesResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/AllBalances",
                QueryAllBalancesRequest {
                    address,
                    pagination: Some(page),
                    resolve_denom: false,
                },
            )?;
            listed("balances", render::coins(&r.balances), r.pagination)
        }
        Endpoint::SpendableBalances { address, page } => {
            let r: QuerySpendableBalancesResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/SpendableBalances",
                QuerySpendableBalancesRequest {
                    address,
                    pagination: Some(page),
                },
            )?;
            listed("balances", render::coins(&r.balances), r.pagination)
        }
        Endpoint::BalanceByDenom { address, denom } => {
            // The SDK checks the address first, then the denom.
            crate::query::lists::address_bytes(&address, &prefix)
                .map_err(|e| RestError::bad_request(format!("invalid address: {e}")))?;
            if !crate::tx::valid_denom(&denom) {
                return Err(RestError::bad_request(format!("invalid denom: {denom}")));
            }
            let r: QueryBalanceResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/Balance",
                QueryBalanceRequest { address, denom },
            )?;
            v(json!({ "balance": r.balance.as_ref().map_or(Value::Null, render::coin) }))
        }
        Endpoint::Supply { page } => {
            let r: QueryTotalSupplyResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/TotalSupply",
                QueryTotalSupplyRequest {
                    pagination: Some(page),
                },
            )?;
            listed("supply", render::coins(&r.supply), r.pagination)
        }
        Endpoint::SupplyOf { denom } => {
            let r: QuerySupplyOfResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                QuerySupplyOfRequest { denom },
            )?;
            v(json!({ "amount": r.amount.as_ref().map_or(Value::Null, render::coin) }))
        }
        Endpoint::DenomsMetadata { page } => {
            let r: QueryDenomsMetadataResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/DenomsMetadata",
                QueryDenomsMetadataRequest {
                    pagination: Some(page),
                },
            )?;
            let metadatas: Vec<_> = r.metadatas.iter().map(render::metadata).collect();
            listed("metadatas", metadatas, r.pagination)
        }
        Endpoint::DenomMetadata { denom } => {
            let r: QueryDenomMetadataResponse = abci(
                node,
                "/cosmos.bank.v1beta1.Query/DenomMetadata",
                QueryDenomMetadataRequest { denom },
            )?;
            v(json!({ "metadata": r.metadata.as_ref().map_or(Value::Null, render::metadata) }))
        }
        Endpoint::Simulate => {
            let body = json_body(body)?;
            let tx = tx_bytes(&body)?;
            if tx.is_empty() {
                return Err(RestError::bad_request("empty txBytes is not allowed"));
            }
            let req = SimulateRequest {
                tx_bytes: tx,
                ..Default::default()
            };
            let result = {
                let mut app = node.app();
                crate::query::simulate(&mut app, &req.encode_to_vec())
            };
            let bytes = result.map_err(|e| RestError::unknown(e.log))?;
            let r = SimulateResponse::decode(bytes.as_slice())
                .map_err(|e| RestError::internal(e.to_string()))?;
            let gas = r.gas_info.unwrap_or_default();
            let res = r.result.unwrap_or_default();
            let events: Vec<crate::abci::AbciEvent> = res
                .events
                .iter()
                .map(|e| crate::abci::AbciEvent {
                    kind: e.r#type.clone(),
                    attributes: e
                        .attributes
                        .iter()
                        .map(|a| crate::abci::AbciAttribute {
                            key: a.key.clone(),
                            value: a.value.clone(),
                            index: a.index,
                        })
                        .collect(),
                })
                .collect();
            #[allow(deprecated)]
            let data = res.data.clone();
            J::O(vec![
                (
                    "gas_info",
                    v(json!({
                        "gas_wanted": gas.gas_wanted.to_string(),
                        "gas_used": gas.gas_used.to_string(),
                    })),
                ),
                (
                    "result",
                    J::O(vec![
                        ("data", v(Value::String(render::b64(&data)))),
                        ("log", v(Value::String(res.log.clone()))),
                        ("events", v(render::events(&events))),
                        (
                            "msg_responses",
                            J::A(res.msg_responses.iter().map(render::msg_response).collect()),
                        ),
                    ]),
                ),
            ])
        }
        Endpoint::Broadcast => {
            let body = json_body(body)?;
            let tx = tx_bytes(&body)?;
            let sync = match body.get("mode") {
                Some(Value::String(m)) => match m.as_str() {
                    "BROADCAST_MODE_SYNC" => Some(true),
                    "BROADCAST_MODE_ASYNC" => Some(false),
                    "BROADCAST_MODE_UNSPECIFIED" | "BROADCAST_MODE_BLOCK" => None,
                    other => {
                        return Err(RestError::bad_request(format!(
                            "unknown value {other:?} for enum cosmos.tx.v1beta1.BroadcastMode"
                        )))
                    }
                },
                Some(Value::Number(n)) => match n.as_u64() {
                    Some(2) => Some(true),
                    Some(3) => Some(false),
                    _ => None,
                },
                _ => None,
            };
            let Some(sync) = sync else {
                return Err(RestError::unknown(
                    "unsupported return type unspecified; supported types: sync, async",
                ));
            };
            if tx.is_empty() {
                return Err(RestError::bad_request("invalid empty tx"));
            }
            let hash = crate::tx::tx_hash(&tx);
            let r = match node.app().broadcast(&tx) {
                // Async answers before CheckTx's verdict, as CometBFT's `broadcast_tx_async`.
                Ok(r) if sync => r,
                Ok(_) => ExecTxResult::default(),
                // The SDK's `CheckCometError`: a tx in CometBFT's mempool cache is answered in
                // both modes as `ErrTxInMempoolCache` (sdk 19), its hash, no log.
                Err(TxInCache) => ExecTxResult {
                    code: TxInCache::SDK_CODE,
                    codespace: crate::abci::SDK.into(),
                    ..ExecTxResult::default()
                },
            };
            v(render::broadcast_response(&r, &hash))
        }
        Endpoint::Tx(hash_hex) => {
            let bytes = hex::decode(&hash_hex)
                .map_err(|e| RestError::unknown(format!("encoding/hex: {e}")))?;
            let hash: [u8; 32] = bytes
                .try_into()
                .map_err(|_| RestError::not_found(format!("tx not found: {hash_hex}")))?;
            let app = node.app_read();
            let (height, index) = app
                .tx_location(&hash)
                .ok_or_else(|| RestError::not_found(format!("tx not found: {hash_hex}")))?;
            let block = app
                .block(height)
                .ok_or_else(|| RestError::internal("block pruned"))?;
            let tx = render::tx(
                block
                    .txs
                    .get(index as usize)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
            .map_or(J::V(Value::Null), J::O);
            J::O(vec![
                ("tx", tx),
                ("tx_response", render::tx_response(block, index)),
            ])
        }
        Endpoint::TxSearch {
            query,
            page,
            limit,
            desc,
        } => {
            if query.is_empty() {
                return Err(RestError::internal("query cannot be empty"));
            }
            let q = TxQuery::parse(&query)
                .map_err(|e| RestError::internal(format!("failed to search for txs: {e}")))?;
            // CometBFT's `tx_search` paging: page from 1, at most 100 per page.
            let page = page.max(1);
            let limit = if limit == 0 { 100 } else { limit.min(100) };
            let app = node.app_read();
            let mut hits = crate::search::search(&q, &app);
            if desc {
                hits.reverse();
            }
            let total = hits.len() as u64;
            let start = (page - 1).saturating_mul(limit);
            if start > 0 && start >= total {
                return Err(RestError::internal(format!(
                    "failed to search for txs: page should be within [1, {}] range, given {page}",
                    total.div_ceil(limit).max(1)
                )));
            }
            let mut txs = Vec::new();
            let mut responses = Vec::new();
            for (h, i) in hits
                .iter()
                .skip(usize::try_from(start).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
            {
                if let Some(b) = app.block(*h) {
                    let bytes = b
                        .txs
                        .get(*i as usize)
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    txs.push(render::tx(bytes).map_or(J::V(Value::Null), J::O));
                    responses.push(render::tx_response(b, *i));
                }
            }
            J::O(vec![
                ("txs", J::A(txs)),
                ("tx_responses", J::A(responses)),
                ("pagination", v(Value::Null)),
                ("total", v(Value::String(total.to_string()))),
            ])
        }
        Endpoint::Smart { address, query } => {
            // wasmd refuses a query that is not JSON before running anything.
            if serde_json::from_slice::<serde::de::IgnoredAny>(&query).is_err() {
                return Err(RestError::bad_request("invalid query data"));
            }
            let r: QuerySmartContractStateResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/SmartContractState",
                QuerySmartContractStateRequest {
                    address,
                    query_data: query,
                },
            )?;
            J::O(vec![("data", render::raw_json(&r.data))])
        }
        Endpoint::Raw { address, key } => {
            let r: QueryRawContractStateResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/RawContractState",
                QueryRawContractStateRequest {
                    address,
                    query_data: key,
                },
            )?;
            let data = if r.data.is_empty() {
                Value::Null
            } else {
                Value::String(render::b64(&r.data))
            };
            v(json!({ "data": data }))
        }
        Endpoint::Contract(address) => {
            let r: QueryContractInfoResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/ContractInfo",
                QueryContractInfoRequest { address },
            )?;
            let c = r.contract_info.unwrap_or_default();
            v(json!({
                "address": r.address,
                "contract_info": {
                    "code_id": c.code_id.to_string(),
                    "creator": c.creator,
                    "admin": c.admin,
                    "label": c.label,
                    "created": render::position(c.created.as_ref()),
                    "ibc_port_id": c.ibc_port_id,
                    "extension": Value::Null,
                    // wasmd v0.61 gives every contract an IBC v2 port: `wasm2` and the address
                    // without its bech32 prefix (`PortIDForContractV2`).
                    "ibc2_port_id": format!(
                        "wasm2{}",
                        r.address
                            .strip_prefix(node.config().bech32_prefix.as_str())
                            .unwrap_or(&r.address)
                    ),
                },
            }))
        }
        Endpoint::ContractHistory { address, page } => {
            let r: QueryContractHistoryResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/ContractHistory",
                QueryContractHistoryRequest {
                    address,
                    pagination: Some(page),
                },
            )?;
            let entries = r
                .entries
                .iter()
                .map(|e| {
                    let op = cosmrs::proto::cosmwasm::wasm::v1::ContractCodeHistoryOperationType::try_from(e.operation)
                        .map(|o| o.as_str_name())
                        .unwrap_or("CONTRACT_CODE_HISTORY_OPERATION_TYPE_UNSPECIFIED");
                    J::O(vec![
                        ("operation", v(Value::String(op.into()))),
                        ("code_id", v(Value::String(e.code_id.to_string()))),
                        ("updated", v(render::position(e.updated.as_ref()))),
                        ("msg", render::raw_json(&e.msg)),
                    ])
                })
                .collect();
            J::O(vec![
                ("entries", J::A(entries)),
                ("pagination", v(render::page(r.pagination.as_ref()))),
            ])
        }
        Endpoint::ContractState { address, page } => {
            let r: QueryAllContractStateResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/AllContractState",
                QueryAllContractStateRequest {
                    address,
                    pagination: Some(page),
                },
            )?;
            let models: Vec<_> = r
                .models
                .iter()
                .map(|m| {
                    // wasmd's `HexBytes` key, base64 value.
                    json!({ "key": hex::encode_upper(&m.key), "value": render::b64(&m.value) })
                })
                .collect();
            listed("models", models, r.pagination)
        }
        Endpoint::Codes { page } => {
            let r: QueryCodesResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/Codes",
                QueryCodesRequest {
                    pagination: Some(page),
                },
            )?;
            let code_infos: Vec<_> = r.code_infos.iter().map(render::code_info).collect();
            listed("code_infos", code_infos, r.pagination)
        }
        Endpoint::Code(code_id) => {
            // The code's info and its wasm, base64, as wasmd serves them (held to a live wasmd
            // by cli/tests/wasmd_diff.rs; up to 800 KiB of wasm, within `max_response_bytes`).
            let r: QueryCodeResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/Code",
                QueryCodeRequest { code_id },
            )?;
            let info = r.code_info.as_ref().map_or(Value::Null, render::code_info);
            v(json!({ "code_info": info, "data": render::b64(&r.data) }))
        }
        Endpoint::CodeContracts { code_id, page } => {
            let r: QueryContractsByCodeResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/ContractsByCode",
                QueryContractsByCodeRequest {
                    code_id,
                    pagination: Some(page),
                },
            )?;
            listed("contracts", r.contracts, r.pagination)
        }
        Endpoint::WasmParams => {
            let r: QueryParamsResponse = abci(
                node,
                "/cosmwasm.wasm.v1.Query/Params",
                QueryParamsRequest {},
            )?;
            let p = r.params.unwrap_or_default();
            v(json!({ "params": {
                "code_upload_access": render::access_config(p.code_upload_access.as_ref()),
                "instantiate_default_permission": render::access_type_name(p.instantiate_default_permission),
            }}))
        }
    })
}
