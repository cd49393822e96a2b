//! End to end: the relayers' `bithive-chain-client` (tendermint-rpc `HttpClient`, simulate, fee,
//! sign, broadcast_tx_sync, poll `tx`) against a running devnet with a block timer, on the real
//! cw20 artifact.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::{
    ChainClient, ChainError, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint, OperatorKey,
};
use common::{artifact, start, Key, CHAIN_ID, DENOM};
use serde_json::json;

fn client(url: &str, seed: u8) -> ChainClient {
    let rpc = HttpEndpoint::new(url, CompatVersion::V038, Duration::from_secs(10)).unwrap();
    let key = OperatorKey::from_signing_key(
        k256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap(),
        "bithive",
    )
    .unwrap();
    let gas = GasConfig {
        gas_price: 0.025,
        gas_adjustment: 1.3,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 20_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(30),
    };
    ChainClient::new(Arc::new(rpc), CHAIN_ID, key, gas, confirm).unwrap()
}

/// One cw20 `transfer` call of `token` to `recipient` for each amount.
fn transfer_calls(
    token: &str,
    recipient: &str,
    amounts: &[&str],
) -> Vec<(String, serde_json::Value)> {
    amounts
        .iter()
        .map(|amount| {
            (
                token.to_string(),
                json!({"transfer": {"recipient": recipient, "amount": amount}}),
            )
        })
        .collect()
}

async fn cw20_balance(c: &ChainClient, token: &str, addr: &str) -> u128 {
    let raw = c
        .query_smart(token, &json!({"balance": {"address": addr}}))
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_client_stores_instantiates_executes_and_queries() {
    let alice = Key::new(21);
    let bob = Key::new(22);
    let h = start(&[&alice], None, 100).await;
    let c = client(&h.rpc_url(), 21);
    assert_eq!(c.address(), alice.address, "same key, same address");
    let fee_before = c.fee_balance().await.unwrap();
    assert_eq!(fee_before, 1_000_000_000_000);

    let (code_id, stored) = c.store_code(artifact("bithive_token.wasm")).await.unwrap();
    assert_eq!(code_id, 1);
    assert!(stored.gas_used > 0 && stored.gas_used <= stored.gas_wanted);

    let init = json!({
        "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
        "initial_balances": [{"address": alice.address, "amount": "1000000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    let (token, _) = c
        .instantiate(code_id, &init, "btk", Some(&alice.address))
        .await
        .unwrap();
    assert!(token.starts_with("bithive1"));

    // Two executions in one tx.
    let calls = transfer_calls(&token, &bob.address, &["250", "100"]);
    let out = c.execute_batch(&calls).await.unwrap();
    let transfers = out
        .events
        .iter()
        .filter(|e| e.kind == "wasm" && e.attr("action") == Some("transfer"))
        .count();
    assert_eq!(transfers, 2, "{:?}", out.events);
    assert_eq!(cw20_balance(&c, &token, &bob.address).await, 350);
    assert_eq!(cw20_balance(&c, &token, &alice.address).await, 999_650);

    // A batch whose second call fails is refused as a whole (simulation), and nothing moves.
    let bad = transfer_calls(&token, &bob.address, &["1", "9999999"]);
    let err = c.execute_batch(&bad).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Simulate(_) | ChainError::TxFailed { .. }),
        "{err}"
    );
    assert_eq!(cw20_balance(&c, &token, &bob.address).await, 350);

    // The local sequence is still right after the refusal.
    c.execute_batch(&calls[..1]).await.unwrap();
    assert_eq!(cw20_balance(&c, &token, &bob.address).await, 600);

    let fee_after = c.fee_balance().await.unwrap();
    assert!(fee_after < fee_before, "fees were paid");

    // A query error from the contract comes back as an error, not a panic.
    assert!(c
        .query_smart(&token, &json!({"no_such_query": {}}))
        .await
        .is_err());
    h.shutdown().await;
}
