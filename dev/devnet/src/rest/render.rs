//! Protobuf to JSON as the Cosmos SDK's gRPC-gateway writes it (gogoproto jsonpb, original
//! field names, defaults emitted): 64-bit integers as strings, enums by name, bytes in base64,
//! `Any` as `{"@type": url, ...fields}`, contract messages (`RawContractMessage`) as the JSON
//! they are. Shapes held to wasmd v0.61.14's answers (`tests/fixtures/wasmd`).

use base64::Engine;
use cosmrs::proto::cosmos::bank::v1beta1::{Metadata, MsgSend};
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, AccessType, CodeInfoResponse, MsgClearAdmin,
    MsgExecuteContract, MsgExecuteContractResponse, MsgInstantiateContract,
    MsgInstantiateContractResponse, MsgMigrateContract, MsgMigrateContractResponse, MsgStoreCode,
    MsgStoreCodeResponse, MsgUpdateAdmin,
};
use cosmrs::proto::prost::Message;
use cosmrs::proto::Any;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::abci::{AbciEvent, ExecTxResult};
use crate::app::Block;

/// A JSON tree that can hold raw JSON verbatim (a contract's message or answer: re-parsing it
/// into a `Value` would round integers past 2^64).
#[derive(Debug)]
pub enum J {
    V(Value),
    Raw(Box<RawValue>),
    O(Vec<(&'static str, J)>),
    A(Vec<J>),
}

impl From<Value> for J {
    fn from(v: Value) -> Self {
        J::V(v)
    }
}

impl serde::Serialize for J {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::V(v) => v.serialize(s),
            J::Raw(r) => r.serialize(s),
            J::O(fields) => {
                let mut m = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            J::A(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes as jsonpb writes them: base64, `null` when empty.
fn b64_or_null(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        Value::Null
    } else {
        Value::String(b64(bytes))
    }
}

/// A contract message or answer: its JSON as it is, or base64 if it is not JSON (wasmd's
/// `RawContractMessage` never holds such bytes; a devnet shows them rather than fail).
pub fn raw_json(bytes: &[u8]) -> J {
    match std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| RawValue::from_string(s.trim().to_string()).ok())
    {
        Some(raw) => J::Raw(raw),
        None => J::V(Value::String(b64(bytes))),
    }
}

pub fn coin(c: &Coin) -> Value {
    json!({ "denom": c.denom, "amount": c.amount })
}

pub fn coins(cs: &[Coin]) -> Value {
    Value::Array(cs.iter().map(coin).collect())
}

pub fn page(p: Option<&PageResponse>) -> Value {
    match p {
        Some(p) => json!({ "next_key": b64_or_null(&p.next_key), "total": p.total.to_string() }),
        None => Value::Null,
    }
}

/// wasmd writes `AccessType` by its short name.
fn access_type(t: i32) -> &'static str {
    match AccessType::try_from(t) {
        Ok(AccessType::Nobody) => "Nobody",
        Ok(AccessType::Everybody) => "Everybody",
        Ok(AccessType::AnyOfAddresses) => "AnyOfAddresses",
        _ => "Unspecified",
    }
}

pub fn access_config(a: Option<&AccessConfig>) -> Value {
    match a {
        Some(a) => json!({ "permission": access_type(a.permission), "addresses": a.addresses }),
        None => Value::Null,
    }
}

pub fn access_type_name(t: i32) -> Value {
    Value::String(access_type(t).to_string())
}

pub fn code_info(c: &CodeInfoResponse) -> Value {
    json!({
        "code_id": c.code_id.to_string(),
        "creator": c.creator,
        // wasmd's `HexBytes`: upper-case hex.
        "data_hash": hex::encode_upper(&c.data_hash),
        "instantiate_permission": access_config(c.instantiate_permission.as_ref()),
    })
}

pub fn position(p: Option<&AbsoluteTxPosition>) -> Value {
    match p {
        Some(p) => {
            json!({ "block_height": p.block_height.to_string(), "tx_index": p.tx_index.to_string() })
        }
        None => Value::Null,
    }
}

pub fn metadata(m: &Metadata) -> Value {
    json!({
        "description": m.description,
        "denom_units": m.denom_units.iter().map(|u| json!({
            "denom": u.denom, "exponent": u.exponent, "aliases": u.aliases,
        })).collect::<Vec<_>>(),
        "base": m.base,
        "display": m.display,
        "name": m.name,
        "symbol": m.symbol,
        "uri": m.uri,
        "uri_hash": m.uri_hash,
    })
}

/// A public key `Any` (secp256k1 decoded; any other as its raw value).
pub fn pubkey(any: Option<&Any>) -> Value {
    match any {
        None => Value::Null,
        Some(a) if a.type_url == crate::tx::SECP256K1_PUBKEY_URL => {
            let key = PubKey::decode(a.value.as_slice())
                .map(|k| k.key)
                .unwrap_or_default();
            json!({ "@type": a.type_url, "key": b64(&key) })
        }
        Some(a) => json!({ "@type": a.type_url, "value": b64(&a.value) }),
    }
}

/// An `Any` with fields: `{"@type": url, ...}`.
fn typed(url: &str, mut fields: Vec<(&'static str, J)>) -> J {
    fields.insert(0, ("@type", J::V(Value::String(url.to_string()))));
    J::O(fields)
}

fn v(x: Value) -> J {
    J::V(x)
}

fn s(x: &str) -> J {
    J::V(Value::String(x.to_string()))
}

/// A transaction message, for the messages the devnet runs; any other as its raw bytes.
pub fn msg(any: &Any) -> J {
    let b = any.value.as_slice();
    let url = any.type_url.as_str();
    let fields: Option<Vec<(&'static str, J)>> = match url {
        "/cosmos.bank.v1beta1.MsgSend" => MsgSend::decode(b).ok().map(|m| {
            vec![
                ("from_address", s(&m.from_address)),
                ("to_address", s(&m.to_address)),
                ("amount", v(coins(&m.amount))),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgStoreCode" => MsgStoreCode::decode(b).ok().map(|m| {
            vec![
                ("sender", s(&m.sender)),
                ("wasm_byte_code", v(b64_or_null(&m.wasm_byte_code))),
                (
                    "instantiate_permission",
                    v(access_config(m.instantiate_permission.as_ref())),
                ),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            MsgInstantiateContract::decode(b).ok().map(|m| {
                vec![
                    ("sender", s(&m.sender)),
                    ("admin", s(&m.admin)),
                    ("code_id", s(&m.code_id.to_string())),
                    ("label", s(&m.label)),
                    ("msg", raw_json(&m.msg)),
                    ("funds", v(coins(&m.funds))),
                ]
            })
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => MsgExecuteContract::decode(b).ok().map(|m| {
            vec![
                ("sender", s(&m.sender)),
                ("contract", s(&m.contract)),
                ("msg", raw_json(&m.msg)),
                ("funds", v(coins(&m.funds))),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgMigrateContract" => MsgMigrateContract::decode(b).ok().map(|m| {
            vec![
                ("sender", s(&m.sender)),
                ("contract", s(&m.contract)),
                ("code_id", s(&m.code_id.to_string())),
                ("msg", raw_json(&m.msg)),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => MsgUpdateAdmin::decode(b).ok().map(|m| {
            vec![
                ("sender", s(&m.sender)),
                ("new_admin", s(&m.new_admin)),
                ("contract", s(&m.contract)),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgClearAdmin" => MsgClearAdmin::decode(b)
            .ok()
            .map(|m| vec![("sender", s(&m.sender)), ("contract", s(&m.contract))]),
        _ => None,
    };
    typed(
        url,
        fields.unwrap_or_else(|| vec![("value", v(Value::String(b64(b))))]),
    )
}

/// A message's response (`TxMsgData.msg_responses`).
pub fn msg_response(any: &Any) -> J {
    let b = any.value.as_slice();
    let url = any.type_url.as_str();
    let fields = match url {
        "/cosmwasm.wasm.v1.MsgStoreCodeResponse" => MsgStoreCodeResponse::decode(b).ok().map(|m| {
            vec![
                ("code_id", s(&m.code_id.to_string())),
                ("checksum", v(b64_or_null(&m.checksum))),
            ]
        }),
        "/cosmwasm.wasm.v1.MsgInstantiateContractResponse" => {
            MsgInstantiateContractResponse::decode(b).ok().map(|m| {
                vec![
                    ("address", s(&m.address)),
                    ("data", v(b64_or_null(&m.data))),
                ]
            })
        }
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse" => MsgExecuteContractResponse::decode(b)
            .ok()
            .map(|m| vec![("data", v(b64_or_null(&m.data)))]),
        "/cosmwasm.wasm.v1.MsgMigrateContractResponse" => MsgMigrateContractResponse::decode(b)
            .ok()
            .map(|m| vec![("data", v(b64_or_null(&m.data)))]),
        // MsgSend, MsgUpdateAdmin, MsgClearAdmin responses have no fields.
        _ if b.is_empty() => Some(Vec::new()),
        _ => None,
    };
    typed(
        url,
        fields.unwrap_or_else(|| vec![("value", v(Value::String(b64(b))))]),
    )
}

pub fn events(es: &[AbciEvent]) -> Value {
    Value::Array(
        es.iter()
            .map(|e| {
                json!({
                    "type": e.kind,
                    "attributes": e.attributes.iter().map(|a| json!({
                        "key": a.key, "value": a.value, "index": a.index,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// A `cosmos.tx.v1beta1.Tx` from its raw bytes, or `None` for bytes that are not one (the
/// devnet's IBC system transactions).
pub fn tx(bytes: &[u8]) -> Option<Vec<(&'static str, J)>> {
    let raw = TxRaw::decode(bytes).ok()?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).ok()?;
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok()?;
    let any_list = |xs: &[Any]| {
        J::A(
            xs.iter()
                .map(|a| v(json!({ "@type": a.type_url, "value": b64(&a.value) })))
                .collect(),
        )
    };
    let body = J::O(vec![
        ("messages", J::A(body.messages.iter().map(msg).collect())),
        ("memo", s(&body.memo)),
        ("timeout_height", s(&body.timeout_height.to_string())),
        // SDK 0.53 fields the devnet does not support (unordered txs): their defaults.
        ("unordered", v(Value::Bool(false))),
        ("timeout_timestamp", v(Value::Null)),
        ("extension_options", any_list(&body.extension_options)),
        (
            "non_critical_extension_options",
            any_list(&body.non_critical_extension_options),
        ),
    ]);
    let signer_infos = auth
        .signer_infos
        .iter()
        .map(|si| {
            let mode = match si.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
                Some(mode_info::Sum::Single(single)) => {
                    let name = SignMode::try_from(single.mode)
                        .map(|m| m.as_str_name())
                        .unwrap_or("SIGN_MODE_UNSPECIFIED");
                    json!({ "single": { "mode": name } })
                }
                _ => Value::Null,
            };
            json!({
                "public_key": pubkey(si.public_key.as_ref()),
                "mode_info": mode,
                "sequence": si.sequence.to_string(),
            })
        })
        .collect::<Vec<_>>();
    let fee = auth.fee.as_ref().map_or(Value::Null, |f| {
        json!({
            "amount": coins(&f.amount),
            "gas_limit": f.gas_limit.to_string(),
            "payer": f.payer,
            "granter": f.granter,
        })
    });
    let auth_info = json!({ "signer_infos": signer_infos, "fee": fee, "tip": Value::Null });
    let signatures = raw.signatures.iter().map(|s| b64(s)).collect::<Vec<_>>();
    Some(vec![
        ("body", body),
        ("auth_info", v(auth_info)),
        ("signatures", v(json!(signatures))),
    ])
}

/// RFC 3339 to the second, as the SDK stamps a `TxResponse` (`2026-11-25T06:44:32Z`).
fn rfc3339_seconds(time_ns: u64) -> String {
    let full = crate::json::rfc3339(time_ns);
    match full.split_once('.') {
        Some((secs, _)) => format!("{secs}Z"),
        None => full,
    }
}

/// `cosmos.base.abci.v1beta1.TxResponse` of transaction `index` of `block`.
pub fn tx_response(block: &Block, index: u32) -> J {
    let i = index as usize;
    let bytes = block.txs.get(i).map(Vec::as_slice).unwrap_or_default();
    let r = block.results.get(i).cloned().unwrap_or_default();
    let tx_json = match tx(bytes) {
        Some(fields) => typed("/cosmos.tx.v1beta1.Tx", fields),
        None => J::V(Value::Null),
    };
    J::O(vec![
        ("height", s(&block.height.to_string())),
        ("txhash", s(&hex::encode_upper(crate::tx::tx_hash(bytes)))),
        ("codespace", s(&r.codespace)),
        ("code", v(json!(r.code))),
        // `TxResponse.data` is hex (upper case).
        ("data", s(&hex::encode_upper(&r.data))),
        ("raw_log", s(&r.log)),
        ("logs", v(json!([]))),
        ("info", s("")),
        ("gas_wanted", s(&r.gas_wanted.to_string())),
        ("gas_used", s(&r.gas_used.to_string())),
        ("tx", tx_json),
        ("timestamp", s(&rfc3339_seconds(block.time_ns))),
        ("events", v(events(&r.events))),
    ])
}

/// The `TxResponse` of a broadcast (CheckTx only: no height, gas or events, as the SDK answers).
pub fn broadcast_response(r: &ExecTxResult, hash: &[u8; 32]) -> Value {
    json!({ "tx_response": {
        "height": "0",
        "txhash": hex::encode_upper(hash),
        "codespace": r.codespace,
        "code": r.code,
        "data": "",
        "raw_log": r.log,
        "logs": [],
        "info": "",
        "gas_wanted": "0",
        "gas_used": "0",
        "tx": Value::Null,
        "timestamp": "",
        "events": [],
    }})
}

/// Header fields CometBFT writes in hex that the gateway writes in base64.
const HASH_FIELDS: &[&str] = &[
    "hash",
    "last_commit_hash",
    "data_hash",
    "validators_hash",
    "next_validators_hash",
    "consensus_hash",
    "app_hash",
    "last_results_hash",
    "evidence_hash",
    "proposer_address",
    "validator_address",
];

/// A CometBFT RPC JSON block (`crate::json::block`) as the gateway writes it: hashes base64,
/// `parts` named `part_set_header`, `block_id_flag` by name.
pub fn gateway_block(rpc: &Value) -> Value {
    match rpc {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, val)| {
                    let key = if k == "parts" {
                        "part_set_header".to_string()
                    } else {
                        k.clone()
                    };
                    let val = match (k.as_str(), val) {
                        (k, Value::String(h)) if HASH_FIELDS.contains(&k) => {
                            Value::String(hex::decode(h).map(|b| b64(&b)).unwrap_or_default())
                        }
                        ("block_id_flag", Value::Number(n)) => Value::String(
                            match n.as_u64() {
                                Some(1) => "BLOCK_ID_FLAG_ABSENT",
                                Some(2) => "BLOCK_ID_FLAG_COMMIT",
                                Some(3) => "BLOCK_ID_FLAG_NIL",
                                _ => "BLOCK_ID_FLAG_UNKNOWN",
                            }
                            .into(),
                        ),
                        _ => gateway_block(val),
                    };
                    (key, val)
                })
                .collect(),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(gateway_block).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_is_kept_verbatim() {
        let big = br#"{"n":123456789012345678901234567890}"#;
        let out = serde_json::to_string(&J::O(vec![("msg", raw_json(big))])).unwrap();
        assert_eq!(out, r#"{"msg":{"n":123456789012345678901234567890}}"#);
        let out = serde_json::to_string(&raw_json(b"\xff not json")).unwrap();
        assert!(out.starts_with('"'));
    }

    #[test]
    fn blocks_in_gateway_form() {
        let rpc = json!({"block_id": {"hash": "0A0B", "parts": {"total": 1, "hash": ""}},
            "signatures": [{"block_id_flag": 2, "validator_address": "FF"}]});
        let g = gateway_block(&rpc);
        assert_eq!(g["block_id"]["hash"], "Cgs=");
        assert_eq!(g["block_id"]["part_set_header"]["total"], 1);
        assert_eq!(g["signatures"][0]["block_id_flag"], "BLOCK_ID_FLAG_COMMIT");
        assert_eq!(g["signatures"][0]["validator_address"], "/w==");
    }

    #[test]
    fn seconds_only_timestamps() {
        assert_eq!(
            rfc3339_seconds(1_500_000_000_123_456_789),
            "2017-07-14T02:40:00Z"
        );
    }
}
