//! CometBFT 0.38 JSON shapes (as in tendermint-rs's recorded kvstore fixtures).

use base64::Engine;
use serde_json::{json, Value};

use crate::abci::{AbciError, ExecTxResult};
use crate::app::Block;

pub const COMETBFT_VERSION: &str = "0.38.17";
/// sha256 of nothing: the hash of an empty list in CometBFT headers.
const EMPTY_HASH: &str = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn upper_hex(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// Serde helper: bytes as base64 (empty as `null`, as CometBFT prints empty `data`).
pub mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if v.is_empty() {
            s.serialize_none()
        } else {
            s.serialize_str(&super::b64(v))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(Vec::new()),
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// RFC 3339 with nanoseconds, UTC (`2023-05-17T14:12:53.088875124Z`).
pub fn rfc3339(time_ns: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(time_ns as i128)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

pub fn exec_tx_result(r: &ExecTxResult) -> Value {
    json!({
        "code": r.code,
        "data": if r.data.is_empty() { Value::Null } else { Value::String(b64(&r.data)) },
        "log": r.log,
        "info": "",
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": serde_json::to_value(&r.events).unwrap_or(Value::Array(vec![])),
        "codespace": r.codespace,
    })
}

pub fn abci_query(result: &Result<Vec<u8>, AbciError>, height: u64) -> Value {
    let (code, log, codespace, value) = match result {
        Ok(v) => (0, String::new(), "", Value::String(b64(v))),
        Err(e) => (e.code, e.log.clone(), e.codespace, Value::Null),
    };
    json!({ "response": {
        "code": code,
        "log": log,
        "info": "",
        "index": "0",
        "key": Value::Null,
        "value": value,
        "proofOps": Value::Null,
        "height": height.to_string(),
        "codespace": codespace,
    }})
}

/// A deterministic stand-in validator (address, ed25519 public key) for headers and status.
pub struct Validator {
    pub address: [u8; 20],
    pub pub_key: [u8; 32],
}

impl Validator {
    pub fn for_chain(chain_id: &str) -> Self {
        use sha2::{Digest, Sha256};
        let pk: [u8; 32] = Sha256::digest(format!("bithive-devnet-validator/{chain_id}")).into();
        let addr = Sha256::digest(pk);
        let mut address = [0; 20];
        address.copy_from_slice(&addr[..20]);
        Validator {
            address,
            pub_key: pk,
        }
    }
}

fn block_id(hash: &[u8; 32]) -> Value {
    json!({ "hash": upper_hex(hash), "parts": { "total": 1, "hash": upper_hex(hash) } })
}

fn empty_block_id() -> Value {
    json!({ "hash": "", "parts": { "total": 0, "hash": "" } })
}

fn validators_hash(v: &Validator) -> String {
    use sha2::{Digest, Sha256};
    upper_hex(&Sha256::digest(v.pub_key))
}

pub fn header(b: &Block, chain_id: &str, v: &Validator) -> Value {
    use sha2::{Digest, Sha256};
    let data_hash = if b.txs.is_empty() {
        EMPTY_HASH.to_string()
    } else {
        let mut h = Sha256::new();
        for t in &b.txs {
            h.update(Sha256::digest(t));
        }
        upper_hex(&h.finalize())
    };
    let last_block_id = if b.height <= 1 {
        empty_block_id()
    } else {
        block_id(&b.last_hash)
    };
    json!({
        "version": { "block": "11", "app": "1" },
        "chain_id": chain_id,
        "height": b.height.to_string(),
        "time": rfc3339(b.time_ns),
        "last_block_id": last_block_id,
        "last_commit_hash": if b.height <= 1 { EMPTY_HASH.to_string() } else { upper_hex(&Sha256::digest(b.last_hash)) },
        "data_hash": data_hash,
        "validators_hash": validators_hash(v),
        "next_validators_hash": validators_hash(v),
        "consensus_hash": EMPTY_HASH,
        "app_hash": upper_hex(&b.app_hash),
        "last_results_hash": EMPTY_HASH,
        "evidence_hash": EMPTY_HASH,
        "proposer_address": upper_hex(&v.address),
    })
}

/// `block`: the block with a one-validator last commit (signature bytes are a placeholder:
/// a devnet has no consensus to prove).
pub fn block(b: &Block, prev_time_ns: u64, chain_id: &str, v: &Validator) -> Value {
    let last_commit = if b.height <= 1 {
        json!({ "height": "0", "round": 0, "block_id": empty_block_id(), "signatures": [] })
    } else {
        json!({
            "height": (b.height - 1).to_string(),
            "round": 0,
            "block_id": block_id(&b.last_hash),
            "signatures": [{
                "block_id_flag": 2,
                "validator_address": upper_hex(&v.address),
                "timestamp": rfc3339(prev_time_ns),
                "signature": b64(&[0u8; 64]),
            }],
        })
    };
    json!({
        "block_id": block_id(&b.hash),
        "block": {
            "header": header(b, chain_id, v),
            "data": { "txs": b.txs.iter().map(|t| b64(t)).collect::<Vec<_>>() },
            "evidence": { "evidence": [] },
            "last_commit": last_commit,
        }
    })
}

pub fn block_results(b: &Block) -> Value {
    json!({
        "height": b.height.to_string(),
        "txs_results": if b.results.is_empty() { Value::Null } else { Value::Array(b.results.iter().map(exec_tx_result).collect()) },
        "finalize_block_events": [],
        "validator_updates": Value::Null,
        "consensus_param_updates": Value::Null,
        "app_hash": b64(&b.app_hash),
    })
}

pub fn tx(b: &Block, index: u32) -> Value {
    use sha2::{Digest, Sha256};
    let i = index as usize;
    let bytes = b.txs.get(i).map(Vec::as_slice).unwrap_or_default();
    let result = b.results.get(i).cloned().unwrap_or_default();
    json!({
        "hash": upper_hex(&Sha256::digest(bytes)),
        "height": b.height.to_string(),
        "index": index,
        "tx_result": exec_tx_result(&result),
        "tx": b64(bytes),
    })
}
