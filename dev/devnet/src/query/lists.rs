//! The list and registry queries wallets and explorers use beside the basic ones of
//! [`crate::query`] (issue #21): wasm `Code`, `Codes`, `ContractsByCode`, `ContractHistory`,
//! `AllContractState`, `Params`; bank `SpendableBalances`, `TotalSupply`, `SupplyOf`,
//! `DenomMetadata`, `DenomsMetadata`. Answers and errors as wasmd v0.61.14 gives them through
//! `abci_query` (captured in `tests/fixtures/wasmd`), paginated by [`crate::page`].

use cosmrs::proto::cosmos::bank::v1beta1::{
    DenomUnit, Metadata, QueryAllBalancesRequest, QueryAllBalancesResponse,
    QueryDenomMetadataRequest, QueryDenomMetadataResponse, QueryDenomsMetadataRequest,
    QueryDenomsMetadataResponse, QuerySpendableBalancesRequest, QuerySpendableBalancesResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, AccessType, CodeInfoResponse, ContractCodeHistoryEntry,
    ContractCodeHistoryOperationType, Model, Params, QueryAllContractStateRequest,
    QueryAllContractStateResponse, QueryCodeRequest, QueryCodeResponse, QueryCodesRequest,
    QueryCodesResponse, QueryContractHistoryRequest, QueryContractHistoryResponse,
    QueryContractsByCodeRequest, QueryContractsByCodeResponse, QueryParamsRequest,
    QueryParamsResponse,
};
use cosmrs::proto::prost::Message;

use bithive_vm_host::{HistoryEntry, HistoryOp, HostError};

use crate::abci::{query_error, AbciError};
use crate::app::App;
use crate::config::DevnetConfig;
use crate::page::{invalid_argument, paginate, Rules};

type Answer = Result<Vec<u8>, AbciError>;

/// Decodes the request `data`, lets `f` answer it and encodes the answer.
fn answer<Req: Message + Default, Resp: Message>(
    data: &[u8],
    f: impl FnOnce(Req) -> Result<Resp, AbciError>,
) -> Answer {
    let req = Req::decode(data).map_err(|e| AbciError::invalid_request(e.to_string()))?;
    f(req).map(|r| r.encode_to_vec())
}

/// A gRPC `NotFound` as `abci_query` reports it (sdk 22).
pub fn not_found(msg: impl std::fmt::Display) -> AbciError {
    AbciError::key_not_found(format!("rpc error: code = NotFound desc = {msg}"))
}

/// Checks a bech32 account or contract address of this chain; returns its bytes. The error reads
/// as the SDK's (`decoding bech32 failed: ...`, `invalid Bech32 prefix; ...`).
pub fn address_bytes(address: &str, prefix: &str) -> Result<Vec<u8>, String> {
    if address.trim().is_empty() {
        return Err("empty address string is not allowed".into());
    }
    let (hrp, data) = bech32::decode(address).map_err(|e| {
        let why = go_bech32_error(address).unwrap_or_else(|| e.to_string());
        format!("decoding bech32 failed: {why}")
    })?;
    if hrp.as_str() != prefix {
        return Err(format!(
            "invalid Bech32 prefix; expected {prefix}, got {}",
            hrp.as_str()
        ));
    }
    if data.is_empty() || data.len() > 255 {
        return Err(format!("address length {} is invalid", data.len()));
    }
    Ok(data)
}

/// Why Go's bech32 (`btcutil/bech32.DecodeNoLimit`, which the SDK's address parsing calls)
/// refuses `s`, in its words and in its order of checks: length, characters, case, separator,
/// charset. `None` for a string those checks pass (a bad checksum: the caller's text stands).
fn go_bech32_error(s: &str) -> Option<String> {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let b = s.as_bytes();
    if b.len() < 8 {
        return Some(format!("invalid bech32 string length {}", b.len()));
    }
    if let Some(&c) = b.iter().find(|&&c| !(33..=126).contains(&c)) {
        return Some(format!("invalid character in string: '{}'", c as char));
    }
    if b.iter().any(u8::is_ascii_lowercase) && b.iter().any(u8::is_ascii_uppercase) {
        return Some("string not all lowercase or all uppercase".into());
    }
    let lower = s.to_ascii_lowercase();
    let one = lower.rfind('1').map_or(-1, |i| i as i64);
    if one < 1 || one + 7 > b.len() as i64 {
        return Some(format!("invalid separator index {one}"));
    }
    lower.as_bytes()[one as usize + 1..]
        .iter()
        .find(|c| !CHARSET.contains(c))
        .map(|&c| format!("invalid character not part of charset: {c}"))
}

/// A wasm query's address check: wasmd answers a bad address as an invalid request (sdk 18).
fn wasm_address(address: &str, prefix: &str) -> Result<Vec<u8>, AbciError> {
    address_bytes(address, prefix).map_err(AbciError::invalid_request)
}

/// A bank query's address check: `InvalidArgument`, `invalid address: ...`.
pub fn bank_address(address: &str, prefix: &str) -> Result<Vec<u8>, AbciError> {
    address_bytes(address, prefix).map_err(|e| invalid_argument(format!("invalid address: {e}")))
}

fn everybody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Everybody as i32,
        addresses: Vec::new(),
    }
}

fn code_info(app: &App, code_id: u64) -> Result<CodeInfoResponse, AbciError> {
    let checksum = app
        .chain()
        .code_checksum(code_id)
        .map_err(|_| AbciError::unknown_request(format!("code id {code_id}: no such code")))?;
    Ok(CodeInfoResponse {
        code_id,
        creator: app.chain().code_creator(code_id).unwrap_or_default(),
        data_hash: checksum.as_slice().to_vec(),
        instantiate_permission: Some(everybody()),
    })
}

/// wasmd's `AbsoluteTxPosition` of a history entry.
fn position(e: &HistoryEntry) -> AbsoluteTxPosition {
    AbsoluteTxPosition {
        block_height: e.height,
        tx_index: e.tx_index,
    }
}

/// Where a contract was created (its first history entry).
pub fn created(app: &App, address: &str) -> Option<AbsoluteTxPosition> {
    app.chain()
        .contract_history(address)
        .and_then(|h| h.first().map(position))
}

fn proto_coins(coins: Vec<bithive_vm_host::Coin>) -> Vec<(Vec<u8>, ProtoCoin)> {
    coins
        .into_iter()
        .map(|c| {
            (
                c.denom.as_bytes().to_vec(),
                ProtoCoin {
                    amount: c.amount.to_string(),
                    denom: c.denom,
                },
            )
        })
        .collect()
}

/// A page of the balances of `address` (a bank address of this chain).
fn balances(
    app: &App,
    address: &str,
    pagination: Option<&PageRequest>,
) -> Result<(Vec<ProtoCoin>, PageResponse), AbciError> {
    bank_address(address, app.prefix())?;
    let all = proto_coins(app.chain().all_balances(address));
    paginate(all, pagination, Rules::Sdk)
}

/// The metadata of the chain's own denom (`ubhive`: base `ubhive`, display `bhive` with 6
/// decimals), the one denom the devnet describes.
pub fn denom_metadata(config: &DevnetConfig) -> Metadata {
    let base = config.denom.clone();
    let micro = base.strip_prefix('u').filter(|d| !d.is_empty());
    let mut denom_units = vec![DenomUnit {
        denom: base.clone(),
        exponent: 0,
        aliases: Vec::new(),
    }];
    let display = match micro {
        Some(d) => {
            denom_units.push(DenomUnit {
                denom: d.to_string(),
                exponent: 6,
                aliases: Vec::new(),
            });
            d.to_string()
        }
        None => base.clone(),
    };
    Metadata {
        description: format!("The native token of {}", config.chain_id),
        denom_units,
        base,
        name: display.to_uppercase(),
        symbol: display.to_uppercase(),
        display,
        uri: String::new(),
        uri_hash: String::new(),
    }
}

/// The answer to `path`, or `None` when this module does not serve it.
pub fn query(app: &App, path: &str, data: &[u8], config: &DevnetConfig) -> Option<Answer> {
    let prefix = app.prefix();
    let r = match path {
        "/cosmwasm.wasm.v1.Query/Code" => answer(data, |req: QueryCodeRequest| {
            if req.code_id == 0 {
                return Err(AbciError::unknown_request("code id: invalid".into()));
            }
            let info = code_info(app, req.code_id)?;
            let wasm = app
                .chain()
                .code_wasm(req.code_id)
                .map_err(|e| AbciError::unknown_request(e.to_string()))?;
            Ok(QueryCodeResponse {
                code_info: Some(info),
                data: wasm,
            })
        }),
        "/cosmwasm.wasm.v1.Query/Codes" => answer(data, |req: QueryCodesRequest| {
            let all = (1..=app.chain().code_count())
                .map(|id| code_info(app, id).map(|c| (id.to_be_bytes().to_vec(), c)))
                .collect::<Result<Vec<_>, AbciError>>()?;
            let (code_infos, page) = paginate(all, req.pagination.as_ref(), Rules::Wasmd)?;
            Ok(QueryCodesResponse {
                code_infos,
                pagination: Some(page),
            })
        }),
        "/cosmwasm.wasm.v1.Query/ContractsByCode" => {
            answer(data, |req: QueryContractsByCodeRequest| {
                // wasmd's secondary index: code id, then the position the contract got this code
                // at (instantiation or migration), then the address.
                let mut all = Vec::new();
                for c in app.chain().contracts() {
                    if c.code_id != req.code_id {
                        continue;
                    }
                    let last = app
                        .chain()
                        .contract_history(&c.address)
                        .and_then(|h| h.last().cloned());
                    let (height, index) = last.map_or((0, 0), |e| (e.height, e.tx_index));
                    let mut key = height.to_be_bytes().to_vec();
                    key.extend(index.to_be_bytes());
                    key.extend(address_bytes(&c.address, prefix).unwrap_or_default());
                    all.push((key, c.address));
                }
                all.sort();
                let (contracts, page) = paginate(all, req.pagination.as_ref(), Rules::Wasmd)?;
                Ok(QueryContractsByCodeResponse {
                    contracts,
                    pagination: Some(page),
                })
            })
        }
        "/cosmwasm.wasm.v1.Query/ContractHistory" => {
            answer(data, |req: QueryContractHistoryRequest| {
                wasm_address(&req.address, prefix)?;
                // An unknown contract has an empty history (wasmd answers so too).
                let all = app
                    .chain()
                    .contract_history(&req.address)
                    .unwrap_or_default()
                    .into_iter()
                    .zip(1u64..)
                    .map(|(e, seq)| {
                        let operation = match e.operation {
                            HistoryOp::Init => ContractCodeHistoryOperationType::Init,
                            HistoryOp::Migrate => ContractCodeHistoryOperationType::Migrate,
                        };
                        let entry = ContractCodeHistoryEntry {
                            operation: operation as i32,
                            code_id: e.code_id,
                            updated: Some(position(&e)),
                            msg: e.msg,
                        };
                        (seq.to_be_bytes().to_vec(), entry)
                    })
                    .collect();
                let (entries, page) = paginate(all, req.pagination.as_ref(), Rules::Wasmd)?;
                Ok(QueryContractHistoryResponse {
                    entries,
                    pagination: Some(page),
                })
            })
        }
        "/cosmwasm.wasm.v1.Query/AllContractState" => {
            answer(data, |req: QueryAllContractStateRequest| {
                wasm_address(&req.address, prefix)?;
                if app.chain().contract_info(&req.address).is_none() {
                    let e = HostError::UnknownContract(req.address.clone());
                    return Err(query_error(&e));
                }
                let all = app
                    .chain()
                    .raw_range(&req.address, None, usize::MAX)
                    .into_iter()
                    .map(|(key, value)| (key.clone(), Model { key, value }))
                    .collect();
                let (models, page) = paginate(all, req.pagination.as_ref(), Rules::Wasmd)?;
                Ok(QueryAllContractStateResponse {
                    models,
                    pagination: Some(page),
                })
            })
        }
        "/cosmwasm.wasm.v1.Query/Params" => answer(data, |_: QueryParamsRequest| {
            Ok(QueryParamsResponse {
                params: Some(Params {
                    code_upload_access: Some(everybody()),
                    instantiate_default_permission: AccessType::Everybody as i32,
                }),
            })
        }),
        "/cosmos.bank.v1beta1.Query/AllBalances" => answer(data, |req: QueryAllBalancesRequest| {
            let (balances, page) = balances(app, &req.address, req.pagination.as_ref())?;
            Ok(QueryAllBalancesResponse {
                balances,
                pagination: Some(page),
            })
        }),
        // No vesting or locks on the devnet: everything held is spendable.
        "/cosmos.bank.v1beta1.Query/SpendableBalances" => {
            answer(data, |req: QuerySpendableBalancesRequest| {
                let (balances, page) = balances(app, &req.address, req.pagination.as_ref())?;
                Ok(QuerySpendableBalancesResponse {
                    balances,
                    pagination: Some(page),
                })
            })
        }
        "/cosmos.bank.v1beta1.Query/TotalSupply" => answer(data, |req: QueryTotalSupplyRequest| {
            let all = app
                .chain()
                .supplies()
                .into_iter()
                .map(|(denom, amount)| {
                    let coin = ProtoCoin {
                        amount: amount.to_string(),
                        denom: denom.clone(),
                    };
                    (denom.into_bytes(), coin)
                })
                .collect();
            let (supply, page) = paginate(all, req.pagination.as_ref(), Rules::Sdk)?;
            Ok(QueryTotalSupplyResponse {
                supply,
                pagination: Some(page),
            })
        }),
        "/cosmos.bank.v1beta1.Query/SupplyOf" => answer(data, |req: QuerySupplyOfRequest| {
            if !crate::tx::valid_denom(&req.denom) {
                return Err(invalid_argument(format!("invalid denom: {}", req.denom)));
            }
            let amount = app.chain().supply(&req.denom);
            Ok(QuerySupplyOfResponse {
                amount: Some(ProtoCoin {
                    denom: req.denom,
                    amount: amount.to_string(),
                }),
            })
        }),
        "/cosmos.bank.v1beta1.Query/DenomMetadata" => {
            answer(data, |req: QueryDenomMetadataRequest| {
                if req.denom != config.denom {
                    return Err(not_found(format!(
                        "client metadata for denom {}",
                        req.denom
                    )));
                }
                Ok(QueryDenomMetadataResponse {
                    metadata: Some(denom_metadata(config)),
                })
            })
        }
        "/cosmos.bank.v1beta1.Query/DenomsMetadata" => {
            answer(data, |req: QueryDenomsMetadataRequest| {
                let all = vec![(config.denom.as_bytes().to_vec(), denom_metadata(config))];
                let (metadatas, page) = paginate(all, req.pagination.as_ref(), Rules::Sdk)?;
                Ok(QueryDenomsMetadataResponse {
                    metadatas,
                    pagination: Some(page),
                })
            })
        }
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        let good = "bithive1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5uk7h8g";
        assert_eq!(address_bytes(good, "bithive").unwrap().len(), 20);
        assert!(address_bytes("", "bithive").unwrap_err().contains("empty"));
        assert!(address_bytes("xyz", "bithive")
            .unwrap_err()
            .starts_with("decoding bech32 failed"));
        // A wrong checksum.
        let bad = "bithive1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5uk7h8h";
        assert!(address_bytes(bad, "bithive").is_err());
        assert!(address_bytes(good, "cosmos")
            .unwrap_err()
            .contains("expected cosmos, got bithive"));
    }

    /// The SDK's texts for a bad address are Go's bech32 errors (issue #26: the REST
    /// differential against wasmd found "parsing failed" where wasmd says "invalid separator
    /// index -1"); each check in Go's order.
    #[test]
    fn bad_addresses_read_as_go_bech32_errors() {
        let why = |a: &str| address_bytes(a, "bithive").unwrap_err();
        assert_eq!(
            why("notanaddress"),
            "decoding bech32 failed: invalid separator index -1"
        );
        assert_eq!(
            why("xyz"),
            "decoding bech32 failed: invalid bech32 string length 3"
        );
        assert_eq!(
            why("bithive1 qypqxpq9"),
            "decoding bech32 failed: invalid character in string: ' '"
        );
        assert_eq!(
            why("bithive1Qypqxpq9qcrsszg2"),
            "decoding bech32 failed: string not all lowercase or all uppercase"
        );
        assert_eq!(
            why("bithive1qypq"),
            "decoding bech32 failed: invalid separator index 7"
        );
        assert_eq!(
            why("bithive1qypqbxpq9qcrs"),
            "decoding bech32 failed: invalid character not part of charset: 98"
        );
    }

    #[test]
    fn metadata_of_a_micro_denom() {
        let m = denom_metadata(&DevnetConfig::default());
        assert_eq!((m.base.as_str(), m.display.as_str()), ("ubhive", "bhive"));
        assert_eq!(m.denom_units[1].exponent, 6);
    }
}
