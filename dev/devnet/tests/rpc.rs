//! The devnet through its RPC: tendermint-rpc's HttpClient parses every response, txs execute
//! the real cw20 artifact, bad input gets the SDK's codes, and a restart keeps the state.

mod common;

use base64::Engine;
use common::*;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryContractInfoRequest, QueryContractInfoResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use serde_json::json;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::query::Query;
use tendermint_rpc::{Client, HttpClient};

fn client(url: &str) -> HttpClient {
    HttpClient::builder(url.parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap()
}

async fn query<Req: Message, Resp: Message + Default>(
    c: &HttpClient,
    path: &str,
    req: Req,
) -> Resp {
    let r = c
        .abci_query(Some(path.into()), req.encode_to_vec(), None, false)
        .await
        .unwrap();
    assert!(r.code.is_ok(), "{path}: {}", r.log);
    Resp::decode(r.value.as_slice()).unwrap()
}

async fn account(c: &HttpClient, addr: &str) -> BaseAccount {
    let r: QueryAccountResponse = query(
        c,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: addr.into(),
        },
    )
    .await;
    BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap()
}

async fn balance(c: &HttpClient, addr: &str, denom: &str) -> u128 {
    let r: QueryBalanceResponse = query(
        c,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest {
            address: addr.into(),
            denom: denom.into(),
        },
    )
    .await;
    r.balance.unwrap().amount.parse().unwrap()
}

/// Broadcasts (sync), produces a block, returns the committed result via `tx`.
async fn commit(
    h: &bithive_devnet::DevnetHandle,
    c: &HttpClient,
    tx: Vec<u8>,
) -> tendermint_rpc::endpoint::tx::Response {
    let r = c.broadcast_tx_sync(tx).await.unwrap();
    assert!(r.code.is_ok(), "check_tx: {}", r.log);
    h.produce_block().await.unwrap();
    c.tx(r.hash, false).await.unwrap()
}

/// How many txs `query` matches (`tx_search`'s total count).
async fn tx_count(c: &HttpClient, query: Query) -> u32 {
    c.tx_search(query, false, 1, 30, tendermint_rpc::Order::Ascending)
        .await
        .unwrap()
        .total_count
}

fn attr(events: &[tendermint::abci::Event], ty: &str, key: &str) -> Option<String> {
    events
        .iter()
        .filter(|e| e.kind == ty)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_str().ok() == Some(key))
        .and_then(|a| a.value_str().ok().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tendermint_rpc_client_drives_bank_and_cw20() {
    let alice = Key::new(1);
    let bob = Key::new(2);
    let h = start(&[&alice], None, 0).await;
    let c = client(&h.rpc_url());

    let status = c.status().await.unwrap();
    assert_eq!(status.node_info.network.as_str(), CHAIN_ID);
    assert_eq!(status.sync_info.latest_block_height.value(), 1);
    c.health().await.unwrap();
    let info = c.abci_info().await.unwrap();
    assert_eq!(info.last_block_height.value(), 1);

    let acc = account(&c, &alice.address).await;
    assert_eq!(acc.sequence, 0);
    assert!(acc.pub_key.is_none());

    // Bank send, native and ibc denoms in two messages of one tx.
    let ibc = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
    let tx = alice.sign(
        vec![
            send(&alice.address, &bob.address, 1234, DENOM),
            send(&alice.address, &bob.address, 7, ibc),
        ],
        acc.account_number,
        0,
        200_000,
        5_000,
    );
    let res = commit(&h, &c, tx).await;
    assert!(res.tx_result.code.is_ok(), "{}", res.tx_result.log);
    assert_eq!(res.height.value(), 2);
    assert!(res.tx_result.gas_used > 0 && res.tx_result.gas_used <= res.tx_result.gas_wanted);
    let ev = &res.tx_result.events;
    assert_eq!(
        attr(ev, "message", "action").as_deref(),
        Some("/cosmos.bank.v1beta1.MsgSend")
    );
    assert_eq!(
        attr(ev, "tx", "acc_seq"),
        Some(format!("{}/0", alice.address))
    );
    assert_eq!(attr(ev, "tx", "fee").as_deref(), Some("5000ubhive"));
    assert!(attr(ev, "coin_received", "receiver").is_some());
    assert_eq!(balance(&c, &bob.address, DENOM).await, 1234);
    assert_eq!(balance(&c, &bob.address, ibc).await, 7);
    assert_eq!(
        balance(&c, &alice.address, DENOM).await,
        1_000_000_000_000 - 1234 - 5000
    );
    let acc = account(&c, &alice.address).await;
    assert_eq!(acc.sequence, 1);
    assert!(acc.pub_key.is_some(), "pubkey is set by the first tx");

    let results = c.block_results(2u32).await.unwrap();
    assert_eq!(results.txs_results.unwrap().len(), 1);
    let block = c.block(2u32).await.unwrap();
    assert_eq!(block.block.data.len(), 1);
    let latest = c.latest_block().await.unwrap();
    assert_eq!(latest.block.header.height.value(), 2);

    // cw20: store, instantiate, execute, smart query.
    let tx = alice.sign(
        vec![store(&alice.address, artifact("bithive_token.wasm"))],
        acc.account_number,
        1,
        20_000_000,
        500_000,
    );
    let res = commit(&h, &c, tx).await;
    assert!(res.tx_result.code.is_ok(), "{}", res.tx_result.log);
    let code_id: u64 = attr(&res.tx_result.events, "store_code", "code_id")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(code_id, 1);

    let init = json!({
        "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
        "initial_balances": [{"address": alice.address, "amount": "1000000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    let tx = alice.sign(
        vec![instantiate(
            &alice.address,
            code_id,
            &init,
            "btk",
            &alice.address,
        )],
        acc.account_number,
        2,
        1_000_000,
        25_000,
    );
    let res = commit(&h, &c, tx).await;
    assert!(res.tx_result.code.is_ok(), "{}", res.tx_result.log);
    let token = attr(&res.tx_result.events, "instantiate", "_contract_address").unwrap();

    let transfer = json!({"transfer": {"recipient": bob.address, "amount": "250"}});
    let tx = alice.sign(
        vec![execute(&alice.address, &token, &transfer)],
        acc.account_number,
        3,
        1_000_000,
        25_000,
    );
    let res = commit(&h, &c, tx).await;
    assert!(res.tx_result.code.is_ok(), "{}", res.tx_result.log);
    let ev = &res.tx_result.events;
    assert_eq!(
        attr(ev, "execute", "_contract_address").as_deref(),
        Some(token.as_str())
    );
    assert_eq!(attr(ev, "wasm", "action").as_deref(), Some("transfer"));
    assert_eq!(attr(ev, "message", "module").as_deref(), Some("wasm"));

    let r: QuerySmartContractStateResponse = query(
        &c,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        QuerySmartContractStateRequest {
            address: token.clone(),
            query_data: serde_json::to_vec(&json!({"balance": {"address": bob.address}})).unwrap(),
        },
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
    assert_eq!(v["balance"], "250");
    let r: QueryContractInfoResponse = query(
        &c,
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        QueryContractInfoRequest {
            address: token.clone(),
        },
    )
    .await;
    let info = r.contract_info.unwrap();
    assert_eq!(
        (info.code_id, info.admin.as_str(), info.label.as_str()),
        (1, alice.address.as_str(), "btk")
    );

    // tx_search by contract address finds the instantiate and the execute.
    let by_contract = Query::eq("execute._contract_address", token.as_str());
    assert_eq!(tx_count(&c, by_contract).await, 1);
    assert_eq!(tx_count(&c, Query::eq("tx.height", 2u64)).await, 1);
    h.shutdown().await;
}

/// Issue #27: the `tx` method read a JSON-RPC (base64) hash starting with `0x` as hex, so 1 in
/// 4096 transactions could never be looked up (a relayer waiting for its attestation waited
/// forever). Base64 is read as base64; URI hashes are `0x` hex.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tx_hashes_are_read_in_their_documented_encoding() {
    use sha2::Digest;
    let alice = Key::new(6);
    let bob = Key::new(7);
    let h = start(&[&alice], None, 0).await;
    let url = h.rpc_url();
    let b64 = |t: &[u8]| base64::engine::general_purpose::STANDARD.encode(t);
    // A transfer whose hash's base64 starts with "0x" (vary the gas limit until it does).
    let (tx, hash) = (0..100_000u64)
        .map(|i| {
            let tx = alice.sign(
                vec![send(&alice.address, &bob.address, 1, DENOM)],
                1,
                0,
                200_000 + i,
                10_000,
            );
            let hash: [u8; 32] = sha2::Sha256::digest(&tx).into();
            (tx, hash)
        })
        .find(|(_, hash)| b64(hash).starts_with("0x"))
        .expect("a hash with base64 prefix 0x within 100,000 tries");
    let r = rpc(&url, "broadcast_tx_commit", json!({"tx": b64(&tx)})).await;
    assert_eq!(r["result"]["tx_result"]["code"], 0, "{r}");
    let r = rpc(&url, "tx", json!({"hash": b64(&hash)})).await;
    assert_eq!(r["result"]["hash"], hex::encode_upper(hash), "{r}");
    let r = raw_get(&url, &format!("/tx?hash=0x{}", hex::encode(hash))).await;
    assert_eq!(r["result"]["hash"], hex::encode_upper(hash), "{r}");
    let r = raw_get(&url, "/tx?hash=0xzz").await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_sdk_codes_and_jsonrpc_errors() {
    let alice = Key::new(3);
    let poor = Key::new(4);
    let bob = Key::new(5);
    let h = start(&[&alice], None, 0).await;
    let url = h.rpc_url();
    let b64 = |t: &[u8]| base64::engine::general_purpose::STANDARD.encode(t);
    // CheckTx's code and log for these tx bytes.
    let check_tx = async |tx: &[u8]| {
        let r = rpc(&url, "broadcast_tx_sync", json!({"tx": b64(tx)})).await;
        (
            r["result"]["code"].as_u64().unwrap(),
            r["result"]["log"].as_str().unwrap().to_string(),
        )
    };
    // Alice (account 1) sends bob 1 DENOM.
    let alice_sends = |sequence: u64, gas: u64, fee: u128| {
        alice.sign(
            vec![send(&alice.address, &bob.address, 1, DENOM)],
            1,
            sequence,
            gas,
            fee,
        )
    };
    // Malformed bytes.
    assert_eq!(check_tx(b"\xff\x00garbage").await.0, 2);
    // Clients cannot forge the built-in IBC relay's system transactions.
    let mut forged = bithive_devnet::app::IBC_TX_PREFIX.to_vec();
    forged.extend_from_slice(b"{}");
    let (code, log) = check_tx(&forged).await;
    assert_eq!(code, 4, "{log}");
    assert_eq!(h.node().app().mempool_len(), 0);
    // Wrong sequence, with the SDK's exact text.
    let (code, log) = check_tx(&alice_sends(5, 200_000, 5_000)).await;
    assert_eq!(code, 32);
    assert!(
        log.starts_with("account sequence mismatch, expected 0, got 5"),
        "{log}"
    );
    // Wrong chain id in the signed bytes: signature fails.
    let tx = alice.sign_with_fee(
        "other-chain",
        vec![send(&alice.address, &bob.address, 1, DENOM)],
        1,
        0,
        200_000,
        vec![ubhive(5_000)],
    );
    assert_eq!(check_tx(&tx).await.0, 4);
    // Fee below the minimum gas price (0.025 * 200000 = 5000).
    let (code, log) = check_tx(&alice_sends(0, 200_000, 4_999)).await;
    assert_eq!(code, 13, "{log}");
    // Issue #27: a fee listing the fee denom twice (or unsorted, or with a zero amount) is
    // refused at CheckTx like the SDK's coin validation, before any fee or sequence moves.
    let coin = |amount: u128, denom: &str| cosmrs::Coin {
        denom: denom.parse().unwrap(),
        amount,
    };
    for fee in [
        vec![coin(5_000, DENOM), coin(5_000, DENOM)],
        vec![coin(5_000, DENOM), coin(1, "uatom")],
        vec![coin(0, "uatom"), coin(5_000, DENOM)],
    ] {
        let tx = alice.sign_with_fee(
            CHAIN_ID,
            vec![send(&alice.address, &bob.address, 1, DENOM)],
            1,
            0,
            200_000,
            fee,
        );
        let (code, log) = check_tx(&tx).await;
        assert_eq!(code, 13, "{log}");
        assert!(log.starts_with("invalid fee amount"), "{log}");
    }
    assert_eq!(h.node().app().mempool_len(), 0);
    // Issue #27: a gas limit above the SDK's int64 maximum is refused before any fee check
    // (it made `block_results` unparseable for CometBFT clients, the relayer among them).
    let (code, log) = check_tx(&alice_sends(0, u64::MAX, 5_000)).await;
    assert_eq!(code, 18, "{log}");
    assert!(log.starts_with("invalid gas supplied"), "{log}");
    // Gas limit below the ante cost.
    assert_eq!(check_tx(&alice_sends(0, 1_000, 5_000)).await.0, 11);
    // Unknown account.
    let tx = poor.sign(
        vec![send(&poor.address, &bob.address, 1, DENOM)],
        0,
        0,
        200_000,
        5_000,
    );
    assert_eq!(check_tx(&tx).await.0, 9);
    // Fee larger than the balance.
    assert_eq!(
        check_tx(&alice_sends(0, 200_000, 10_000_000_000_000))
            .await
            .0,
        5
    );
    // Signer differs from the message sender.
    let tx = alice.sign(
        vec![send(&bob.address, &alice.address, 1, DENOM)],
        1,
        0,
        200_000,
        5_000,
    );
    assert_eq!(check_tx(&tx).await.0, 8);

    // A valid tx whose message fails at delivery: insufficient funds (code 5), fee still paid,
    // sequence still bumped.
    let tx = alice.sign(
        vec![send(
            &alice.address,
            &bob.address,
            10_000_000_000_000,
            DENOM,
        )],
        1,
        0,
        200_000,
        5_000,
    );
    let r = rpc(&url, "broadcast_tx_commit", json!({"tx": b64(&tx)})).await;
    assert_eq!(r["result"]["check_tx"]["code"], 0, "{r}");
    assert_eq!(r["result"]["tx_result"]["code"], 5, "{r}");
    assert!(r["result"]["tx_result"]["log"]
        .as_str()
        .unwrap()
        .contains("message index: 0"));
    assert_eq!(h.node().app().account(&alice.address).unwrap().sequence, 1);
    assert_eq!(
        h.node().app().chain().balance(&alice.address, DENOM),
        1_000_000_000_000 - 5_000
    );

    // JSON-RPC errors.
    let r = raw_post(&url, "{not json").await;
    assert_eq!(r["error"]["code"], -32700);
    let r = rpc(&url, "no_such_method", json!({})).await;
    assert_eq!(r["error"]["code"], -32601);
    let r = rpc(&url, "broadcast_tx_sync", json!({"tx": "***"})).await;
    assert_eq!(r["error"]["code"], -32602);
    let r = rpc(&url, "tx", json!({"hash": b64(&[0u8; 32])})).await;
    assert!(r["error"].is_object());
    // Issue #27: a huge page overflowed (a panic in the handler); it is out of range.
    let r = rpc(
        &url,
        "tx_search",
        json!({"query": "tx.height>0", "page": u64::MAX.to_string(), "per_page": "100"}),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["data"]
            .as_str()
            .unwrap_or_default()
            .starts_with("page should be within"),
        "{r}"
    );
    let r = rpc(
        &url,
        "abci_query",
        json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": "zz"}),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602);
    // An unknown account is NotFound (22); "abc" is no address at all, which wasmd v0.61.14
    // refuses as an invalid request (18, `decoding bech32 failed`; issue #21: it was 22).
    let unknown = "bithive1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5uk7h8g";
    let data = format!("0a{:02x}{}", unknown.len(), hex::encode(unknown));
    let r = rpc(
        &url,
        "abci_query",
        json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": data}),
    )
    .await;
    assert_eq!(r["result"]["response"]["code"], 22);
    assert!(r["result"]["response"]["log"]
        .as_str()
        .unwrap()
        .contains("rpc error: code = NotFound"));
    let r = rpc(
        &url,
        "abci_query",
        json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": "0a03616263"}),
    )
    .await;
    assert_eq!(r["result"]["response"]["code"], 18);
    assert!(r["result"]["response"]["log"]
        .as_str()
        .unwrap()
        .starts_with("decoding bech32 failed"));
    let r = rpc(&url, "tx_search", json!({"query": "garbage"})).await;
    assert_eq!(r["error"]["code"], -32602);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_replays_the_block_log() {
    let alice = Key::new(6);
    let bob = Key::new(7);
    let dir = tempfile::tempdir().unwrap();
    let h = start(&[&alice], Some(dir.path().to_path_buf()), 0).await;
    let c = client(&h.rpc_url());
    for seq in 0..3 {
        let tx = alice.sign(
            vec![send(&alice.address, &bob.address, 100, DENOM)],
            1,
            seq,
            200_000,
            5_000,
        );
        assert!(commit(&h, &c, tx).await.tx_result.code.is_ok());
    }
    let height = h.node().app().height();
    let app_hash = h.node().app().app_hash();
    h.shutdown().await;

    // A torn tail (crash mid-append) is dropped on restart.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("blocks.jsonl"))
        .unwrap();
    f.write_all(b"{\"height\":99,\"ti").unwrap();
    drop(f);

    let h = start(&[], Some(dir.path().to_path_buf()), 0).await;
    let c = client(&h.rpc_url());
    assert_eq!(h.node().app().height(), height);
    assert_eq!(h.node().app().app_hash(), app_hash);
    assert_eq!(balance(&c, &bob.address, DENOM).await, 300);
    assert_eq!(account(&c, &alice.address).await.sequence, 3);
    let tx = alice.sign(
        vec![send(&alice.address, &bob.address, 1, DENOM)],
        1,
        3,
        200_000,
        5_000,
    );
    assert!(commit(&h, &c, tx).await.tx_result.code.is_ok());
    // Websocket subscriptions match each new block on its own (issue #27: every block they
    // searched the whole history under the app lock): the same answers, block by block.
    {
        let app = h.node().app();
        use bithive_devnet::search::{search, search_block, TxQuery};
        let q = TxQuery::parse(&format!("message.sender='{}'", alice.address)).unwrap();
        let per_block: Vec<(u64, u32)> = app
            .blocks()
            .iter()
            .flat_map(|b| search_block(&q, b).into_iter().map(move |i| (b.height, i)))
            .collect();
        assert_eq!(per_block.len(), 4);
        assert_eq!(per_block, search(&q, &app));
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_produces_blocks_and_commit_waits_for_one() {
    let alice = Key::new(8);
    let h = start(&[&alice], None, 100).await;
    let url = h.rpc_url();
    let tx = alice.sign(
        vec![send(&alice.address, &Key::new(9).address, 5, DENOM)],
        1,
        0,
        200_000,
        5_000,
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tx);
    let r = rpc(&url, "broadcast_tx_commit", json!({"tx": b64})).await;
    assert_eq!(r["result"]["tx_result"]["code"], 0, "{r}");
    let height: u64 = r["result"]["height"].as_str().unwrap().parse().unwrap();
    assert!(height >= 2);
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let c = client(&url);
    let s = c.status().await.unwrap();
    assert!(s.sync_info.latest_block_height.value() > height);
    let t1 = c.block(height as u32).await.unwrap().block.header.time;
    let t2 = c.block(height as u32 + 1).await.unwrap().block.header.time;
    assert!(t2 >= t1);
    h.shutdown().await;
}

/// Issue #27: when the block log could not take a block (a full disk; here its quota), the
/// devnet went on serving that block, which a restart then lost without a word. Now the chain
/// halts: the block is never served, every request fails with the reason, and a restart resumes
/// from the last logged block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_cannot_be_logged_halts_the_chain() {
    let alice = Key::new(8);
    let bob = Key::new(9);
    let dir = tempfile::tempdir().unwrap();
    let home = Some(dir.path().to_path_buf());
    start(&[&alice], home.clone(), 0).await.shutdown().await;
    let log_len = std::fs::metadata(dir.path().join("blocks.jsonl"))
        .unwrap()
        .len();
    // Room for an empty block, not for one with a transaction.
    let mut cfg = config(&[&alice], home.clone(), 0);
    cfg.block_log_max_bytes = Some(log_len + 150);
    let h = bithive_devnet::Devnet::start(cfg).await.unwrap();
    let url = h.rpc_url();
    let logged = h.produce_block().await.unwrap();
    let tx = alice.sign(
        vec![send(&alice.address, &bob.address, 100, DENOM)],
        1,
        0,
        200_000,
        5_000,
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tx);
    let r = rpc(&url, "broadcast_tx_commit", json!({ "tx": b64 })).await;
    assert!(r["error"].is_object(), "{r}");
    for method in ["status", "health", "abci_info"] {
        let r = rpc(&url, method, json!({})).await;
        let data = r["error"]["data"].as_str().unwrap_or_default();
        assert!(data.starts_with("devnet halted"), "{method}: {r}");
    }
    assert!(matches!(
        h.produce_block().await,
        Err(bithive_devnet::DevnetError::Halted(_))
    ));
    h.shutdown().await;
    // Restarted with room: the last logged block, without the transaction.
    let h = start(&[], home, 0).await;
    let c = client(&h.rpc_url());
    assert_eq!(h.node().app().height(), logged);
    assert_eq!(balance(&c, &bob.address, DENOM).await, 0);
    assert_eq!(account(&c, &alice.address).await.sequence, 0);
}

/// Issue #27: a 468 KB batch produced a 507 MB answer. Batches hold at most
/// `max_batch_requests` (CometBFT's default 10) and answers stop at `max_response_bytes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_answers_are_bounded() {
    let mut cfg = config(&[], None, 0);
    cfg.max_response_bytes = 3_000;
    let h = bithive_devnet::Devnet::start(cfg).await.unwrap();
    let url = h.rpc_url();
    let batch = |n: usize, method: &str| {
        let reqs: Vec<_> = (0..n)
            .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": method, "params": {}}))
            .collect();
        serde_json::Value::Array(reqs).to_string()
    };
    let r = raw_post(&url, &batch(11, "health")).await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
    let r = raw_post(&url, &batch(10, "health")).await;
    assert_eq!(r.as_array().map(Vec::len), Some(10), "{r}");
    // `status` answers are about 1 KB: three fit in 3,000 bytes, the batch stops after.
    let r = raw_post(&url, &batch(10, "status")).await;
    let answers = r.as_array().unwrap();
    assert!(answers.len() < 10, "{r}");
    let last = answers.last().unwrap();
    assert!(
        last["error"]["data"]
            .as_str()
            .unwrap_or_default()
            .starts_with("response exceeds the maximum"),
        "{last}"
    );
    assert!(answers[0]["result"].is_object());
}

/// `bithive_advance_time` cannot push the clock past what clients can represent: u64::MAX
/// seconds once pinned block times in 2554 (also after a restart) and the next call panicked on
/// an overflow. Refused with a reason; the clock and the chain go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_cannot_be_advanced_past_year_2262() {
    let h = start(&[], None, 0).await;
    let url = h.rpc_url();
    for seconds in [
        serde_json::json!(u64::MAX),
        serde_json::json!("18446744073709551615"),
    ] {
        let r = rpc(
            &url,
            "bithive_advance_time",
            serde_json::json!({ "seconds": seconds }),
        )
        .await;
        let why = r["error"]["data"].as_str().unwrap_or_default().to_string()
            + r["error"]["message"].as_str().unwrap_or_default();
        assert!(why.contains("2262"), "{r}");
    }
    // A century is fine; two more are not; the refused call changed nothing.
    let century = 100 * 365 * 86_400u64;
    let r = rpc(
        &url,
        "bithive_advance_time",
        serde_json::json!({ "seconds": century }),
    )
    .await;
    let t1: u64 = r["result"]["time_unix"].as_str().unwrap().parse().unwrap();
    let r = rpc(
        &url,
        "bithive_advance_time",
        serde_json::json!({ "seconds": 2 * century }),
    )
    .await;
    assert!(r["error"].is_object(), "{r}");
    let r = rpc(
        &url,
        "bithive_advance_time",
        serde_json::json!({ "seconds": 1 }),
    )
    .await;
    let t2: u64 = r["result"]["time_unix"].as_str().unwrap().parse().unwrap();
    assert!(t2 > t1 && t2 < t1 + 60, "{t1} {t2}");
    h.shutdown().await;
}

/// CheckTx spends the fees of the txs already waiting, as the SDK's check state does: two txs
/// whose fees together exceed the balance cannot both be admitted (issue #43: 4 of 30 txs each
/// paying the whole balance were admitted and 3 went into a block unpaid).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checktx_spends_the_fees_of_pending_txs() {
    let alice = Key::new(31);
    let bob = Key::new(32);
    let h = start(&[&alice], None, 0).await;
    let c = client(&h.rpc_url());
    let acc = account(&c, &alice.address).await;
    let have = balance(&c, &alice.address, DENOM).await;
    let fee = have / 2 + 1;
    let tx = |seq| {
        alice.sign(
            vec![send(&alice.address, &bob.address, 1, DENOM)],
            acc.account_number,
            seq,
            200_000,
            fee,
        )
    };
    let first = c.broadcast_tx_sync(tx(0)).await.unwrap();
    assert!(first.code.is_ok(), "{}", first.log);
    let second = c.broadcast_tx_sync(tx(1)).await.unwrap();
    assert_eq!(second.code.value(), 5, "{}", second.log);
    assert!(second.log.contains("insufficient funds"), "{}", second.log);
    h.produce_block().await.unwrap();
    // One fee paid, one tx in the block; the sequence moved once.
    assert_eq!(balance(&c, &alice.address, DENOM).await, have - fee - 1);
    assert_eq!(account(&c, &alice.address).await.sequence, 1);
    // The next block's check state starts from the new balance.
    let third = c.broadcast_tx_sync(tx(1)).await.unwrap();
    assert_eq!(third.code.value(), 5, "{}", third.log);
    h.shutdown().await;
}
