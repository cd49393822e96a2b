//! The Cosmos SDK REST API (issue #21) against a running devnet: every endpoint's status and
//! shape, held to real wasmd v0.61.14 answers (`tests/fixtures/wasmd`: same keys and JSON types;
//! errors with the same HTTP status, gRPC code and, where the text is the devnet's to choose,
//! message), bad input, pagination bounds, CORS on REST and RPC; and the new `abci_query` paths.

mod common;

use base64::Engine;
use common::*;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgMigrateContract, QueryCodesRequest, QueryCodesResponse, QueryContractHistoryRequest,
    QueryContractHistoryResponse, QueryContractsByCodeRequest, QueryContractsByCodeResponse,
};
use cosmrs::proto::prost::Message;
use serde_json::{json, Value};

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

struct Answer {
    status: u16,
    headers: String,
    body: Value,
}

/// One HTTP/1.1 request over a raw socket; the answer's status, headers and JSON body.
async fn http(addr: &str, method: &str, path: &str, body: &str, extra: &str) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
    };
    Answer {
        status,
        headers: head.to_ascii_lowercase(),
        body,
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/wasmd/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `got` differs in shape from `want` (keys, JSON types; arrays by their first items).
/// A `null` matches anything at the paths in `nullable` (an empty `next_key`, an unset key).
fn shape_diff(want: &Value, got: &Value, path: &str, nullable: &[&str], out: &mut Vec<String>) {
    if (want.is_null() || got.is_null()) && nullable.iter().any(|n| path.ends_with(n)) {
        return;
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for k in w.keys().filter(|k| !g.contains_key(*k)) {
                out.push(format!("{path}.{k}: missing"));
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}.{k}: not in wasmd's answer"));
            }
            for (k, wv) in w {
                if let Some(gv) = g.get(k) {
                    shape_diff(wv, gv, &format!("{path}.{k}"), nullable, out);
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(wv), Some(gv)) = (w.first(), g.first()) {
                shape_diff(wv, gv, &format!("{path}[0]"), nullable, out);
            }
        }
        (w, g) if kind(w) != kind(g) => {
            out.push(format!("{path}: wasmd {} vs devnet {}", kind(w), kind(g)));
        }
        _ => {}
    }
}

/// Asserts the devnet's answer has wasmd's shape (and, for an error, its status and code).
fn same_shape(name: &str, got: &Answer, want_status: u16, nullable: &[&str]) {
    let want = fixture(name);
    assert_eq!(got.status, want_status, "{name}: status; body {}", got.body);
    let mut diffs = Vec::new();
    shape_diff(&want, &got.body, "", nullable, &mut diffs);
    assert!(diffs.is_empty(), "{name}: {diffs:#?}\n{}", got.body);
    if let Some(code) = want.get("code").filter(|_| want_status != 200) {
        assert_eq!(&got.body["code"], code, "{name}: gRPC code; {}", got.body);
    }
}

/// An error answer with exactly wasmd's status, code and message.
fn same_error(name: &str, got: &Answer, want_status: u16) {
    same_shape(name, got, want_status, &[]);
    assert_eq!(got.body["message"], fixture(name)["message"], "{name}");
}

const NULLABLE: &[&str] = &[
    "next_key",
    "pub_key",
    "admin",
    "extension",
    "timeout_timestamp",
];

async fn abci(url: &str, path: &str, data: Vec<u8>) -> Vec<u8> {
    let r = rpc(
        url,
        "abci_query",
        json!({"path": path, "data": hex::encode(data)}),
    )
    .await;
    let resp = &r["result"]["response"];
    assert_eq!(resp["code"], 0, "{path}: {r}");
    base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap_or_default())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_answers_as_wasmd() {
    let alice = Key::new(7);
    let h = start(&[&alice], None, 0).await;
    let rest = h.rest_addr().to_string();
    let url = h.rpc_url();
    assert_ne!(h.rest_addr(), h.rpc_addr());
    let get = |p: String| {
        let rest = rest.clone();
        async move { http(&rest, "GET", &p, "", "").await }
    };
    let post = |p: &'static str, body: Value| {
        let rest = rest.clone();
        async move { http(&rest, "POST", p, &body.to_string(), "").await }
    };
    let a = alice.address.clone();
    let nobody = "bithive1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5uk7h8g";

    same_shape(
        "node_info",
        &get("/cosmos/base/tendermint/v1beta1/node_info".into()).await,
        200,
        &[],
    );
    let ni = get("/cosmos/base/tendermint/v1beta1/node_info".into()).await;
    assert_eq!(ni.body["default_node_info"]["network"], CHAIN_ID);
    same_shape(
        "latest_block",
        &get("/cosmos/base/tendermint/v1beta1/blocks/latest".into()).await,
        200,
        &[],
    );
    let b1 = get("/cosmos/base/tendermint/v1beta1/blocks/1".into()).await;
    assert_eq!(b1.status, 200);
    assert_eq!(b1.body["block"]["header"]["height"], "1");
    assert!(b1.body["sdk_block"]["header"]["proposer_address"]
        .as_str()
        .unwrap()
        .starts_with("bithivevalcons1"));
    let far = get("/cosmos/base/tendermint/v1beta1/blocks/99999".into()).await;
    assert_eq!(far.status, 500);

    // Accounts: no pubkey until the first tx; unknown and bad addresses as wasmd.
    let acc = get(format!("/cosmos/auth/v1beta1/accounts/{a}")).await;
    assert_eq!(acc.status, 200, "{}", acc.body);
    assert_eq!(
        acc.body["account"]["@type"],
        "/cosmos.auth.v1beta1.BaseAccount"
    );
    assert_eq!(acc.body["account"]["pub_key"], Value::Null);
    let missing = get(format!("/cosmos/auth/v1beta1/accounts/{nobody}")).await;
    same_error("account_missing", &missing, 404);
    let bad = get("/cosmos/auth/v1beta1/accounts/notanaddress".into()).await;
    same_shape("account_bad", &bad, 500, &[]);
    assert!(bad.body["message"]
        .as_str()
        .unwrap()
        .starts_with("decoding bech32 failed"));

    // Bank.
    same_shape(
        "balances",
        &get(format!("/cosmos/bank/v1beta1/balances/{a}")).await,
        200,
        NULLABLE,
    );
    same_shape(
        "balances_empty",
        &get(format!("/cosmos/bank/v1beta1/balances/{nobody}")).await,
        200,
        NULLABLE,
    );
    let bad = get("/cosmos/bank/v1beta1/balances/xyz".into()).await;
    same_shape("balances_bad", &bad, 400, &[]);
    assert!(bad.body["message"]
        .as_str()
        .unwrap()
        .starts_with("invalid address: decoding bech32 failed"));
    same_shape(
        "spendable",
        &get(format!("/cosmos/bank/v1beta1/spendable_balances/{a}")).await,
        200,
        NULLABLE,
    );
    let by = get(format!(
        "/cosmos/bank/v1beta1/balances/{a}/by_denom?denom=ubhive"
    ))
    .await;
    same_shape("by_denom", &by, 200, &[]);
    assert_eq!(by.body["balance"]["amount"], "1000000000000");
    same_error(
        "by_denom_bad",
        &get(format!(
            "/cosmos/bank/v1beta1/balances/{a}/by_denom?denom=1x"
        ))
        .await,
        400,
    );
    let supply = get("/cosmos/bank/v1beta1/supply".into()).await;
    same_shape("supply", &supply, 200, NULLABLE);
    assert_eq!(supply.body["pagination"]["total"], "2");
    same_shape(
        "supply_by",
        &get("/cosmos/bank/v1beta1/supply/by_denom?denom=ubhive".into()).await,
        200,
        &[],
    );
    // wasmd's chain sets no metadata; the devnet describes its own denom.
    let md = get("/cosmos/bank/v1beta1/denoms_metadata".into()).await;
    same_shape("denoms_metadata", &md, 200, NULLABLE);
    assert_eq!(md.body["metadatas"][0]["display"], "bhive");
    let one = get("/cosmos/bank/v1beta1/denoms_metadata/ubhive".into()).await;
    assert_eq!(one.body["metadata"]["denom_units"][1]["exponent"], 6);
    let none = get("/cosmos/bank/v1beta1/denoms_metadata/uatom".into()).await;
    assert_eq!((none.status, &none.body["code"]), (404, &json!(5)));
    assert_eq!(none.body["message"], "client metadata for denom uatom");

    // Simulate a bank send (wasmd's fixture is one), then broadcast a store and an instantiate.
    let send0 = alice.sign(vec![send(&a, nobody, 5, DENOM)], 1, 0, 200_000, 5_000);
    let sim = post(
        "/cosmos/tx/v1beta1/simulate",
        json!({ "tx_bytes": b64(&send0) }),
    )
    .await;
    same_shape("simulate", &sim, 200, &[]);
    assert_eq!(sim.body["gas_info"]["gas_wanted"], u64::MAX.to_string());
    let store_tx = alice.sign(
        vec![store(&a, artifact("bithive_token.wasm"))],
        1,
        0,
        20_000_000,
        500_000,
    );
    let sim = post(
        "/cosmos/tx/v1beta1/simulate",
        json!({ "tx_bytes": b64(&store_tx) }),
    )
    .await;
    assert_eq!(sim.status, 200, "{}", sim.body);
    assert_eq!(
        sim.body["result"]["msg_responses"][0]["@type"],
        "/cosmwasm.wasm.v1.MsgStoreCodeResponse"
    );
    same_error(
        "simulate_empty",
        &post("/cosmos/tx/v1beta1/simulate", json!({})).await,
        400,
    );
    same_error(
        "simulate_badb64",
        &post("/cosmos/tx/v1beta1/simulate", json!({"tx_bytes": "!!"})).await,
        400,
    );
    let badjson = http(&rest, "POST", "/cosmos/tx/v1beta1/simulate", "{nojson", "").await;
    same_shape("simulate_badjson", &badjson, 400, &[]);
    same_error(
        "broadcast_nomode",
        &post(
            "/cosmos/tx/v1beta1/txs",
            json!({ "tx_bytes": b64(&store_tx) }),
        )
        .await,
        500,
    );
    same_error(
        "broadcast_badmode",
        &post(
            "/cosmos/tx/v1beta1/txs",
            json!({ "tx_bytes": b64(&store_tx), "mode": "NOPE" }),
        )
        .await,
        400,
    );
    let garbage = post(
        "/cosmos/tx/v1beta1/txs",
        json!({ "tx_bytes": "AAAA", "mode": "BROADCAST_MODE_SYNC" }),
    )
    .await;
    same_shape("broadcast_garbage", &garbage, 200, &[]);
    assert_eq!(garbage.body["tx_response"]["code"], 2);
    let sent = post(
        "/cosmos/tx/v1beta1/txs",
        json!({ "tx_bytes": b64(&store_tx), "mode": "BROADCAST_MODE_SYNC" }),
    )
    .await;
    same_shape("broadcast", &sent, 200, &[]);
    assert_eq!(sent.body["tx_response"]["code"], 0, "{}", sent.body);
    h.produce_block().await.unwrap();
    same_shape(
        "account",
        &get(format!("/cosmos/auth/v1beta1/accounts/{a}")).await,
        200,
        &[],
    );
    let store_hash = sent.body["tx_response"]["txhash"]
        .as_str()
        .unwrap()
        .to_string();

    let init = json!({
        "name": "BitHive Token", "symbol": "BTT", "decimals": 6,
        "initial_balances": [{"address": a, "amount": "1000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null,
    });
    let inst = alice.sign(
        vec![instantiate(&a, 1, &init, "btt", &a)],
        1,
        1,
        2_000_000,
        50_000,
    );
    let r = post(
        "/cosmos/tx/v1beta1/txs",
        json!({ "tx_bytes": b64(&inst), "mode": "BROADCAST_MODE_ASYNC" }),
    )
    .await;
    assert_eq!(r.status, 200);
    // A bank send in the same block: its position in the block is recorded in history.
    let send_tx = alice.sign(vec![send(&a, nobody, 5, DENOM)], 1, 2, 200_000, 5_000);
    let r = post(
        "/cosmos/tx/v1beta1/txs",
        json!({ "tx_bytes": b64(&send_tx), "mode": 2 }),
    )
    .await;
    assert_eq!(r.body["tx_response"]["code"], 0, "{}", r.body);
    let send_hash = r.body["tx_response"]["txhash"]
        .as_str()
        .unwrap()
        .to_string();
    h.produce_block().await.unwrap();

    // Transactions by hash and by events.
    let tx = get(format!("/cosmos/tx/v1beta1/txs/{send_hash}")).await;
    same_shape("tx_send", &tx, 200, NULLABLE);
    assert_eq!(
        tx.body["tx"]["body"]["messages"][0]["amount"][0]["amount"],
        "5"
    );
    assert_eq!(
        tx.body["tx_response"]["tx"]["auth_info"]["signer_infos"][0]["mode_info"]["single"]["mode"],
        "SIGN_MODE_DIRECT"
    );
    let lower = get(format!(
        "/cosmos/tx/v1beta1/txs/{}",
        send_hash.to_lowercase()
    ))
    .await;
    assert_eq!(lower.status, 200);
    let st = get(format!("/cosmos/tx/v1beta1/txs/{store_hash}")).await;
    assert_eq!(st.body["tx_response"]["code"], 0);
    let missing_hash = format!("{}00", &send_hash[..62]);
    let m = get(format!("/cosmos/tx/v1beta1/txs/{missing_hash}")).await;
    assert_eq!((m.status, &m.body["code"]), (404, &json!(5)));
    assert_eq!(m.body["message"], format!("tx not found: {missing_hash}"));
    let bad = get("/cosmos/tx/v1beta1/txs/zz".into()).await;
    assert_eq!((bad.status, &bad.body["code"]), (500, &json!(2)));
    let q = format!("/cosmos/tx/v1beta1/txs?query=transfer.recipient%3D%27{nobody}%27");
    let found = get(q).await;
    same_shape("txs_send", &found, 200, NULLABLE);
    assert_eq!(found.body["total"], "1");
    // SDK 0.47's `events=` (a devnet extension on 0.50+'s `query=`).
    let ev = get(format!(
        "/cosmos/tx/v1beta1/txs?events=transfer.recipient%3D%27{nobody}%27"
    ))
    .await;
    assert_eq!(ev.body["total"], "1");
    let none = get("/cosmos/tx/v1beta1/txs".into()).await;
    assert_eq!((none.status, &none.body["code"]), (500, &json!(13)));
    assert_eq!(none.body["message"], "query cannot be empty");
    let page = get(format!(
        "/cosmos/tx/v1beta1/txs?query=message.sender%3D%27{a}%27&page=5&limit=1"
    ))
    .await;
    same_shape("txs_page2", &page, 500, &[]);
    assert_eq!(
        page.body["message"],
        "failed to search for txs: page should be within [1, 3] range, given 5"
    );
    let desc = get(format!(
        "/cosmos/tx/v1beta1/txs?query=message.sender%3D%27{a}%27&order_by=ORDER_BY_DESC&limit=1"
    ))
    .await;
    assert_eq!(desc.body["tx_responses"][0]["txhash"], send_hash.as_str());

    // Wasm.
    let codes = get("/cosmwasm/wasm/v1/code".into()).await;
    same_shape("codes", &codes, 200, NULLABLE);
    assert_eq!(codes.body["code_infos"][0]["creator"], a.as_str());
    let code = get("/cosmwasm/wasm/v1/code/1".into()).await;
    same_shape("code", &code, 200, &["data"]);
    same_error(
        "code_missing",
        &get("/cosmwasm/wasm/v1/code/99".into()).await,
        500,
    );
    same_error(
        "code_badid",
        &get("/cosmwasm/wasm/v1/code/abc".into()).await,
        400,
    );
    same_error(
        "codes_badlim",
        &get("/cosmwasm/wasm/v1/code?pagination.limit=abc".into()).await,
        400,
    );
    same_error(
        "codes_cnt",
        &get("/cosmwasm/wasm/v1/code?pagination.count_total=true".into()).await,
        400,
    );
    let contracts = get("/cosmwasm/wasm/v1/code/1/contracts".into()).await;
    same_shape("code_contracts", &contracts, 200, NULLABLE);
    let c = contracts.body["contracts"][0].as_str().unwrap().to_string();
    same_shape(
        "code_contracts_none",
        &get("/cosmwasm/wasm/v1/code/99/contracts".into()).await,
        200,
        NULLABLE,
    );
    let info = get(format!("/cosmwasm/wasm/v1/contract/{c}")).await;
    same_shape("contract", &info, 200, NULLABLE);
    let height = st.body["tx_response"]["height"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        + 1;
    assert_eq!(
        info.body["contract_info"]["created"],
        json!({"block_height": height.to_string(), "tx_index": "0"})
    );
    let cm = get(format!("/cosmwasm/wasm/v1/contract/{nobody}")).await;
    same_shape("contract_missing", &cm, 500, &[]);
    assert_eq!(
        cm.body["message"],
        format!("codespace wasm code 22: no such contract: address {nobody}")
    );
    let hist = get(format!("/cosmwasm/wasm/v1/contract/{c}/history")).await;
    same_shape("history", &hist, 200, NULLABLE);
    assert_eq!(hist.body["entries"][0]["msg"], init);
    same_shape(
        "history_missing",
        &get(format!("/cosmwasm/wasm/v1/contract/{nobody}/history")).await,
        200,
        NULLABLE,
    );
    let state = get(format!(
        "/cosmwasm/wasm/v1/contract/{c}/state?pagination.limit=2"
    ))
    .await;
    same_shape("state", &state, 200, NULLABLE);
    assert_eq!(state.body["models"].as_array().unwrap().len(), 2);
    let next = state.body["pagination"]["next_key"].as_str().unwrap();
    let next = urlencode(next);
    let state2 = get(format!(
        "/cosmwasm/wasm/v1/contract/{c}/state?pagination.limit=2&pagination.key={next}"
    ))
    .await;
    assert_ne!(state2.body["models"][0], state.body["models"][0]);
    let query = b64(format!(r#"{{"balance":{{"address":"{a}"}}}}"#).as_bytes());
    let smart = get(format!(
        "/cosmwasm/wasm/v1/contract/{c}/smart/{}",
        urlencode(&query)
    ))
    .await;
    same_shape("smart", &smart, 200, &[]);
    assert_eq!(smart.body["data"]["balance"], "1000");
    same_error(
        "smart_badb64",
        &get(format!("/cosmwasm/wasm/v1/contract/{c}/smart/!!!")).await,
        400,
    );
    same_error(
        "smart_badjson",
        &get(format!(
            "/cosmwasm/wasm/v1/contract/{c}/smart/{}",
            b64(b"nojson")
        ))
        .await,
        400,
    );
    let unknown = get(format!(
        "/cosmwasm/wasm/v1/contract/{c}/smart/{}",
        b64(br#"{"nope":{}}"#)
    ))
    .await;
    same_shape("smart_unknown_msg", &unknown, 500, &[]);
    assert!(unknown.body["message"]
        .as_str()
        .unwrap()
        .ends_with(": query wasm contract failed"));
    let sm = get(format!("/cosmwasm/wasm/v1/contract/{nobody}/smart/e30=")).await;
    same_shape("smart_missing", &sm, 500, &[]);
    assert_eq!(sm.body["message"], cm.body["message"]);
    let raw = get(format!(
        "/cosmwasm/wasm/v1/contract/{c}/raw/{}",
        b64(b"token_info")
    ))
    .await;
    same_shape("raw", &raw, 200, &[]);
    same_shape(
        "raw_missing",
        &get(format!(
            "/cosmwasm/wasm/v1/contract/{c}/raw/{}",
            b64(b"nokey")
        ))
        .await,
        200,
        &[],
    );
    same_shape(
        "wasm_params",
        &get("/cosmwasm/wasm/v1/codes/params".into()).await,
        200,
        &[],
    );

    // Unknown paths and methods: 501, as the gateway.
    same_error("unknown", &get("/cosmos/nothing/here".into()).await, 501);
    same_error(
        "get_on_post",
        &get("/cosmos/tx/v1beta1/simulate".into()).await,
        501,
    );
    // No staking module: its endpoints are not implemented (a chain without x/staking).
    let staking = get("/cosmos/staking/v1beta1/params".into()).await;
    assert_eq!(staking.status, 501);

    // A page never holds more than 100 items, whatever the limit asked.
    let huge = get("/cosmwasm/wasm/v1/code?pagination.limit=18446744073709551615".into()).await;
    assert_eq!(huge.status, 200);
    let huge = get(format!(
        "/cosmos/bank/v1beta1/balances/{a}?pagination.offset=18446744073709551615"
    ))
    .await;
    assert_eq!(
        (huge.status, huge.body["balances"].as_array().unwrap().len()),
        (200, 0)
    );
    let both = get(format!(
        "/cosmos/bank/v1beta1/balances/{a}?pagination.offset=1&pagination.key=AA%3D%3D"
    ))
    .await;
    assert_eq!(both.status, 500, "{}", both.body);

    // The same queries over abci_query, as CosmJS makes them.
    let codes = QueryCodesResponse::decode(
        abci(
            &url,
            "/cosmwasm.wasm.v1.Query/Codes",
            QueryCodesRequest { pagination: None }.encode_to_vec(),
        )
        .await
        .as_slice(),
    )
    .unwrap();
    assert_eq!(codes.code_infos.len(), 1);
    assert_eq!(codes.code_infos[0].creator, a);

    // A migration (to the same code) adds a history entry at its block and position.
    let mig = common::any(
        "/cosmwasm.wasm.v1.MsgMigrateContract",
        &MsgMigrateContract {
            sender: a.clone(),
            contract: c.clone(),
            code_id: 1,
            msg: b"{}".to_vec(),
        },
    );
    let mig = alice.sign(vec![mig], 1, 3, 2_000_000, 50_000);
    let r = post(
        "/cosmos/tx/v1beta1/txs",
        json!({ "tx_bytes": b64(&mig), "mode": "BROADCAST_MODE_SYNC" }),
    )
    .await;
    assert_eq!(r.body["tx_response"]["code"], 0, "{}", r.body);
    let mig_height = h.produce_block().await.unwrap();
    let res = get(format!(
        "/cosmos/tx/v1beta1/txs/{}",
        r.body["tx_response"]["txhash"].as_str().unwrap()
    ))
    .await;
    assert_eq!(
        res.body["tx_response"]["code"], 0,
        "{}",
        res.body["tx_response"]["raw_log"]
    );
    let hist = QueryContractHistoryResponse::decode(
        abci(
            &url,
            "/cosmwasm.wasm.v1.Query/ContractHistory",
            QueryContractHistoryRequest {
                address: c.clone(),
                pagination: None,
            }
            .encode_to_vec(),
        )
        .await
        .as_slice(),
    )
    .unwrap();
    assert_eq!(hist.entries.len(), 2);
    assert_eq!(hist.entries[1].operation, 2);
    assert_eq!(
        hist.entries[1].updated.as_ref().unwrap().block_height,
        mig_height
    );
    let by_code = QueryContractsByCodeResponse::decode(
        abci(
            &url,
            "/cosmwasm.wasm.v1.Query/ContractsByCode",
            QueryContractsByCodeRequest {
                code_id: 1,
                pagination: Some(PageRequest {
                    limit: 1,
                    ..Default::default()
                }),
            }
            .encode_to_vec(),
        )
        .await
        .as_slice(),
    )
    .unwrap();
    assert_eq!(by_code.contracts, vec![c.clone()]);
    assert!(by_code.pagination.unwrap().next_key.is_empty());
    h.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_on_rest_and_rpc() {
    let alice = Key::new(8);
    let h = start(&[&alice], None, 0).await;
    let origin = "Origin: http://app.example\r\n";
    // REST's broadcast path; the RPC's JSON-RPC POST path.
    for (addr, path) in [
        (h.rest_addr().to_string(), "/cosmos/tx/v1beta1/txs"),
        (h.rpc_addr().to_string(), "/"),
    ] {
        let pre = http(
            &addr,
            "OPTIONS",
            path,
            "",
            &format!("{origin}Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n"),
        )
        .await;
        assert_eq!(pre.status, 204, "{addr}");
        assert!(
            pre.headers.contains("access-control-allow-origin: *"),
            "{}",
            pre.headers
        );
        assert!(pre
            .headers
            .contains("access-control-allow-methods: get, post, options"));
        assert!(pre
            .headers
            .contains("access-control-allow-headers: content-type"));
    }
    let r = http(
        &h.rest_addr().to_string(),
        "GET",
        "/cosmos/base/tendermint/v1beta1/node_info",
        "",
        origin,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("access-control-allow-origin: *"));
    let r = http(&h.rpc_addr().to_string(), "GET", "/status", "", origin).await;
    assert!(r.headers.contains("access-control-allow-origin: *"));
    h.shutdown().await;

    // An allow-list: only the listed origin gets the header.
    let mut config = common::config(&[&alice], None, 0);
    config.cors_allowed_origins = vec!["http://app.example".into()];
    let h = bithive_devnet::Devnet::start(config).await.unwrap();
    let rest = h.rest_addr().to_string();
    let ok = http(
        &rest,
        "GET",
        "/cosmos/base/tendermint/v1beta1/syncing",
        "",
        origin,
    )
    .await;
    assert!(ok
        .headers
        .contains("access-control-allow-origin: http://app.example"));
    let evil = http(
        &rest,
        "OPTIONS",
        "/cosmos/base/tendermint/v1beta1/syncing",
        "",
        "Origin: http://evil.example\r\nAccess-Control-Request-Method: GET\r\n",
    )
    .await;
    assert!(
        !evil.headers.contains("access-control-allow-origin"),
        "{}",
        evil.headers
    );
    let evil = http(
        &h.rpc_addr().to_string(),
        "GET",
        "/health",
        "",
        "Origin: http://evil.example\r\n",
    )
    .await;
    assert!(!evil.headers.contains("access-control-allow-origin"));
    h.shutdown().await;

    // No origins: no CORS at all.
    let mut config = common::config(&[&alice], None, 0);
    config.cors_allowed_origins = vec![];
    let h = bithive_devnet::Devnet::start(config).await.unwrap();
    let r = http(
        &h.rest_addr().to_string(),
        "GET",
        "/cosmos/base/tendermint/v1beta1/syncing",
        "",
        origin,
    )
    .await;
    assert!(!r.headers.contains("access-control-allow-origin"));
    h.shutdown().await;
}

/// The request body cap and the connection limits are the RPC's: a body over 2 MiB is 413.
#[tokio::test(flavor = "multi_thread")]
async fn rest_body_is_capped() {
    let alice = Key::new(9);
    let h = start(&[&alice], None, 0).await;
    let big = format!("{{\"tx_bytes\":\"{}\"}}", "A".repeat(3 << 20));
    let r = http(
        &h.rest_addr().to_string(),
        "POST",
        "/cosmos/tx/v1beta1/simulate",
        &big,
        "",
    )
    .await;
    assert_eq!(r.status, 413);
    h.shutdown().await;
}

/// The REST server has the RPC's limits (issue #21 reuses them, #27 set them): the smart-query
/// gas limit stops a looping contract query, `max_connections` refuses one connection more with
/// a 503, the header timeout closes a silent connection, `max_response_bytes` caps an answer.
#[tokio::test(flavor = "multi_thread")]
async fn rest_has_the_rpc_limits() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncReadExt;
    let alice = Key::new(10);
    let mut cfg = common::config(&[&alice], None, 0);
    cfg.max_connections = 2;
    cfg.rpc_header_timeout_ms = 3000;
    cfg.smart_query_gas_limit = 300_000;
    cfg.max_response_bytes = 3_000;
    let h = bithive_devnet::Devnet::start(cfg).await.unwrap();
    let rest = h.rest_addr().to_string();
    let a = alice.address.clone();
    let broadcast = |tx: Vec<u8>| {
        let rest = rest.clone();
        async move {
            let body = json!({ "tx_bytes": b64(&tx), "mode": "BROADCAST_MODE_SYNC" }).to_string();
            http(&rest, "POST", "/cosmos/tx/v1beta1/txs", &body, "").await
        }
    };
    let r = broadcast(alice.sign(
        vec![store(&a, looping_query_contract())],
        1,
        0,
        5_000_000,
        200_000,
    ))
    .await;
    assert_eq!(r.body["tx_response"]["code"], 0, "{}", r.body);
    let store_hash = r.body["tx_response"]["txhash"]
        .as_str()
        .unwrap()
        .to_string();
    h.produce_block().await.unwrap();
    let r = broadcast(alice.sign(
        vec![instantiate(&a, 1, &json!({}), "loop", "")],
        1,
        1,
        5_000_000,
        200_000,
    ))
    .await;
    assert_eq!(r.body["tx_response"]["code"], 0, "{}", r.body);
    h.produce_block().await.unwrap();
    let c = http(&rest, "GET", "/cosmwasm/wasm/v1/code/1/contracts", "", "")
        .await
        .body["contracts"][0]
        .as_str()
        .unwrap()
        .to_string();

    let t = Instant::now();
    let r = http(
        &rest,
        "GET",
        &format!("/cosmwasm/wasm/v1/contract/{c}/smart/e30="),
        "",
        "",
    )
    .await;
    assert_eq!((r.status, &r.body["code"]), (500, &json!(2)), "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("out of gas"),
        "{}",
        r.body
    );
    assert!(t.elapsed() < Duration::from_secs(30));

    // An answer over max_response_bytes (a tx carrying a wasm upload): refused, not sent.
    let r = http(
        &rest,
        "GET",
        &format!("/cosmos/tx/v1beta1/txs/{store_hash}"),
        "",
        "",
    )
    .await;
    assert_eq!((r.status, &r.body["code"]), (500, &json!(13)), "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("max_response_bytes"));

    // Two silent connections fill the cap: the next client gets a 503 at once.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(&rest).await.unwrap());
    }
    // Once the server has accepted both (on a loaded machine that can take a while: nothing
    // tells the client), every new client gets a 503 without waiting. Ask until it does.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            http(
                &rest,
                "GET",
                "/cosmos/base/tendermint/v1beta1/syncing",
                "",
                "",
            ),
        )
        .await
        .unwrap();
        if r.status == 503 || Instant::now() > deadline {
            break r.status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        status, 503,
        "two held connections did not fill the cap of 2"
    );
    // The header timeout closes them; then a client is served.
    for s in &mut held {
        let mut out = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
        assert!(closed.is_ok(), "a silent REST connection stayed open");
    }
    let r = http(
        &rest,
        "GET",
        "/cosmos/base/tendermint/v1beta1/syncing",
        "",
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    h.shutdown().await;
}

/// CometBFT's mempool cache on every broadcast path: the same signed bytes sent again, while in
/// the mempool or after their block, are refused before CheckTx. RPC sync and async answer
/// CometBFT's error "tx already exists in cache", commit "error on broadcastTxCommit: tx already
/// exists in cache"; REST answers as the SDK's `CheckCometError` does (code 19, codespace `sdk`,
/// the tx's hash), in sync and async mode. The tx runs once. A tx that failed in its block is not
/// kept in the cache.
#[tokio::test(flavor = "multi_thread")]
async fn a_resent_tx_is_refused_by_the_mempool_cache_on_every_path() {
    let alice = Key::new(41);
    let bob = Key::new(42);
    let h = start(&[&alice], None, 0).await;
    let (url, rest) = (h.rpc_url(), h.rest_addr().to_string());
    let tx = alice.sign(
        vec![send(&alice.address, &bob.address, 7, DENOM)],
        1,
        0,
        200_000,
        5_000,
    );
    let hash = hex::encode_upper(bithive_devnet::tx::tx_hash(&tx));
    let first = rpc(&url, "broadcast_tx_sync", json!({"tx": b64(&tx)})).await;
    assert_eq!(first["result"]["code"], 0, "{first}");
    let refused_everywhere = async || {
        for method in ["broadcast_tx_sync", "broadcast_tx_async"] {
            let r = rpc(&url, method, json!({"tx": b64(&tx)})).await;
            assert!(
                r["error"]
                    .to_string()
                    .contains("tx already exists in cache"),
                "{method}: {r}"
            );
        }
        let r = rpc(&url, "broadcast_tx_commit", json!({"tx": b64(&tx)})).await;
        assert!(
            r["error"]
                .to_string()
                .contains("error on broadcastTxCommit: tx already exists in cache"),
            "{r}"
        );
        for mode in ["BROADCAST_MODE_SYNC", "BROADCAST_MODE_ASYNC"] {
            let body = json!({ "tx_bytes": b64(&tx), "mode": mode }).to_string();
            let a = http(&rest, "POST", "/cosmos/tx/v1beta1/txs", &body, "").await;
            assert_eq!(a.status, 200, "{mode}: {}", a.body);
            let r = &a.body["tx_response"];
            assert_eq!(
                (&r["code"], &r["codespace"]),
                (&json!(19), &json!("sdk")),
                "{r}"
            );
            assert_eq!(r["txhash"], hash.as_str(), "{r}");
        }
    };
    // In the mempool.
    refused_everywhere().await;
    assert_eq!(h.node().app().mempool_len(), 1);
    // Committed.
    h.produce_block().await.unwrap();
    refused_everywhere().await;
    h.produce_block().await.unwrap();
    let balance = raw_get(
        &url,
        &format!(
            "/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}",
            hex::encode(
                cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceRequest {
                    address: bob.address.clone(),
                    denom: DENOM.into(),
                }
                .encode_to_vec()
            )
        ),
    )
    .await;
    let value = balance["result"]["response"]["value"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .unwrap();
    let coin = cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(bytes.as_slice())
        .unwrap()
        .balance
        .unwrap();
    assert_eq!(coin.amount, "7", "the tx ran once");
    // A tx that failed in its block leaves the cache (CometBFT's default
    // keep-invalid-txs-in-cache = false): sent again, it reaches CheckTx, which refuses its
    // spent sequence (as wasmd answers), not "already exists in cache".
    let failing = alice.sign(
        vec![send(&alice.address, &bob.address, 10u128.pow(30), DENOM)],
        1,
        1,
        200_000,
        5_000,
    );
    let r = rpc(&url, "broadcast_tx_sync", json!({"tx": b64(&failing)})).await;
    assert_eq!(r["result"]["code"], 0, "CheckTx takes it: {r}");
    h.produce_block().await.unwrap();
    let r = rpc(&url, "broadcast_tx_sync", json!({"tx": b64(&failing)})).await;
    assert_eq!(r["result"]["code"], 32, "{r}");
}
