//! SIGN_MODE_LEGACY_AMINO_JSON: the sign bytes a Ledger (and Keplr's and Leap's own screens)
//! sign, rebuilt from the protobuf transaction as the SDK's `legacytx.StdSignBytes` and CosmJS's
//! `serializeSignDoc` build them (issue #45: the devnet refused every amino-signed tx, wasmd
//! takes them).
//!
//! The document is `{"account_number","chain_id","fee":{"amount","gas"[,"granter"][,"payer"]},
//! "memo","msgs","sequence"[,"timeout_height"]}`, every object's keys sorted, no spaces, numbers
//! of 64 bits as strings, `&`, `<`, `>` (and U+2028, U+2029, as Go's encoder does) escaped as
//! `\uXXXX`. Messages are `{"type": <amino name>, "value": {...}}` with the field names and
//! omissions of the SDK's and wasmd's amino registrations; a contract message is inline JSON.

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::{Fee, TxBody};
use cosmrs::proto::cosmwasm::wasm::v1::{
    AccessConfig, MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgMigrateContract,
    MsgStoreCode, MsgUpdateAdmin,
};
use cosmrs::proto::prost::Message;
use cosmrs::proto::Any;
use serde_json::{json, Value};

use crate::abci::AbciError;

/// `SIGN_MODE_LEGACY_AMINO_JSON` in `cosmos.tx.signing.v1beta1.SignMode`.
pub const SIGN_MODE_LEGACY_AMINO_JSON: i32 = 127;

fn coins(list: &[ProtoCoin]) -> Value {
    Value::Array(
        list.iter()
            .map(|c| json!({"amount": c.amount, "denom": c.denom}))
            .collect(),
    )
}

/// A contract message as inline JSON (it must be JSON: wasmd refuses anything else).
fn inline(msg: &[u8]) -> Result<Value, AbciError> {
    serde_json::from_slice(msg)
        .map_err(|e| AbciError::invalid_request(format!("contract message is not JSON: {e}")))
}

fn decode<M: Message + Default>(any: &Any) -> Result<M, AbciError> {
    M::decode(any.value.as_slice())
        .map_err(|e| AbciError::tx_decode(format!("{}: {e}", any.type_url)))
}

/// wasmd's `AccessType` names as amino JSON writes them.
fn access_config(c: &AccessConfig) -> Value {
    let permission = match c.permission {
        1 => "Nobody",
        3 => "Everybody",
        4 => "AnyOfAddresses",
        _ => "Unspecified",
    };
    let mut v = json!({ "permission": permission });
    if !c.addresses.is_empty() {
        v["addresses"] = json!(c.addresses);
    }
    v
}

/// One message in amino JSON.
fn amino_msg(any: &Any) -> Result<Value, AbciError> {
    let (kind, value) = match any.type_url.as_str() {
        "/cosmos.bank.v1beta1.MsgSend" => {
            let m: MsgSend = decode(any)?;
            (
                "cosmos-sdk/MsgSend",
                json!({"amount": coins(&m.amount), "from_address": m.from_address, "to_address": m.to_address}),
            )
        }
        "/cosmwasm.wasm.v1.MsgStoreCode" => {
            let m: MsgStoreCode = decode(any)?;
            use base64::Engine as _;
            let mut v = json!({
                "sender": m.sender,
                "wasm_byte_code": base64::engine::general_purpose::STANDARD.encode(&m.wasm_byte_code),
            });
            if let Some(p) = &m.instantiate_permission {
                v["instantiate_permission"] = access_config(p);
            }
            ("wasm/MsgStoreCode", v)
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            let m: MsgInstantiateContract = decode(any)?;
            let mut v = json!({
                "code_id": m.code_id.to_string(),
                "funds": coins(&m.funds),
                "label": m.label,
                "msg": inline(&m.msg)?,
                "sender": m.sender,
            });
            if !m.admin.is_empty() {
                v["admin"] = json!(m.admin);
            }
            ("wasm/MsgInstantiateContract", v)
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => {
            let m: MsgExecuteContract = decode(any)?;
            (
                "wasm/MsgExecuteContract",
                json!({"contract": m.contract, "funds": coins(&m.funds), "msg": inline(&m.msg)?, "sender": m.sender}),
            )
        }
        "/cosmwasm.wasm.v1.MsgMigrateContract" => {
            let m: MsgMigrateContract = decode(any)?;
            (
                "wasm/MsgMigrateContract",
                json!({"code_id": m.code_id.to_string(), "contract": m.contract, "msg": inline(&m.msg)?, "sender": m.sender}),
            )
        }
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => {
            let m: MsgUpdateAdmin = decode(any)?;
            (
                "wasm/MsgUpdateAdmin",
                json!({"contract": m.contract, "new_admin": m.new_admin, "sender": m.sender}),
            )
        }
        "/cosmwasm.wasm.v1.MsgClearAdmin" => {
            let m: MsgClearAdmin = decode(any)?;
            (
                "wasm/MsgClearAdmin",
                json!({"contract": m.contract, "sender": m.sender}),
            )
        }
        other => {
            return Err(AbciError::unknown_request(format!(
                "unrecognized message type: {other}"
            )))
        }
    };
    Ok(json!({"type": kind, "value": value}))
}

/// The bytes an amino-JSON signer signed for this transaction.
pub fn sign_bytes(
    chain_id: &str,
    account_number: u64,
    sequence: u64,
    fee: &Fee,
    body: &TxBody,
) -> Result<Vec<u8>, AbciError> {
    let mut fee_doc = json!({"amount": coins(&fee.amount), "gas": fee.gas_limit.to_string()});
    if !fee.granter.is_empty() {
        fee_doc["granter"] = json!(fee.granter);
    }
    if !fee.payer.is_empty() {
        fee_doc["payer"] = json!(fee.payer);
    }
    let msgs = body
        .messages
        .iter()
        .map(amino_msg)
        .collect::<Result<Vec<_>, _>>()?;
    let mut doc = json!({
        "account_number": account_number.to_string(),
        "chain_id": chain_id,
        "fee": fee_doc,
        "memo": body.memo,
        "msgs": msgs,
        "sequence": sequence.to_string(),
    });
    if body.timeout_height != 0 {
        doc["timeout_height"] = json!(body.timeout_height.to_string());
    }
    let mut out = String::new();
    write_sorted(&doc, &mut out);
    Ok(out.into_bytes())
}

/// Compact JSON with every object's keys sorted (whatever order `serde_json::Map` keeps) and
/// Go's HTML-safe escapes.
fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_sorted(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(x, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    let quoted = Value::String(s.to_string()).to_string();
    for c in quoted.chars() {
        match c {
            '&' => out.push_str("\\u0026"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any<M: Message>(url: &str, m: &M) -> Any {
        Any {
            type_url: url.into(),
            value: m.encode_to_vec(),
        }
    }

    /// The document CosmJS 0.32's `serializeSignDoc(makeSignDoc(...))` gives for a send and a
    /// contract execution (computed with @cosmjs/amino in Node and pasted here).
    #[test]
    fn matches_cosmjs_for_a_send_and_an_execute() {
        let body = TxBody {
            messages: vec![
                any(
                    "/cosmos.bank.v1beta1.MsgSend",
                    &MsgSend {
                        from_address: "bithive1a".into(),
                        to_address: "bithive1b".into(),
                        amount: vec![ProtoCoin {
                            denom: "ubhive".into(),
                            amount: "777".into(),
                        }],
                    },
                ),
                any(
                    "/cosmwasm.wasm.v1.MsgExecuteContract",
                    &MsgExecuteContract {
                        sender: "bithive1a".into(),
                        contract: "bithive1c".into(),
                        msg: br#"{"transfer":{"recipient":"bithive1b","amount":"250"}}"#.to_vec(),
                        funds: vec![],
                    },
                ),
            ],
            memo: "a <b> & c".into(),
            ..Default::default()
        };
        let fee = Fee {
            amount: vec![ProtoCoin {
                denom: "ubhive".into(),
                amount: "5000".into(),
            }],
            gas_limit: 200_000,
            ..Default::default()
        };
        let got = String::from_utf8(sign_bytes("bithive-1", 7, 3, &fee, &body).unwrap()).unwrap();
        assert_eq!(got, COSMJS);
    }

    const COSMJS: &str = r#"{"account_number":"7","chain_id":"bithive-1","fee":{"amount":[{"amount":"5000","denom":"ubhive"}],"gas":"200000"},"memo":"a \u003cb\u003e \u0026 c","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"777","denom":"ubhive"}],"from_address":"bithive1a","to_address":"bithive1b"}},{"type":"wasm/MsgExecuteContract","value":{"contract":"bithive1c","funds":[],"msg":{"transfer":{"amount":"250","recipient":"bithive1b"}},"sender":"bithive1a"}}],"sequence":"3"}"#;

    #[test]
    fn a_message_the_devnet_does_not_run_or_a_non_json_contract_message_is_refused() {
        let mut body = TxBody {
            messages: vec![Any {
                type_url: "/cosmos.gov.v1.MsgVote".into(),
                value: vec![],
            }],
            ..Default::default()
        };
        assert!(sign_bytes("c", 1, 1, &Fee::default(), &body).is_err());
        body.messages = vec![any(
            "/cosmwasm.wasm.v1.MsgExecuteContract",
            &MsgExecuteContract {
                msg: b"not json".to_vec(),
                ..Default::default()
            },
        )];
        assert!(sign_bytes("c", 1, 1, &Fee::default(), &body).is_err());
    }
}
