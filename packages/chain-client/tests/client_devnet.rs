//! The signing client against the in-process devnet (real CometBFT RPC, the committed cw20
//! artifact in cosmwasm-vm): batching, fees in an `ibc/...` denom, reverts, sequence recovery,
//! several txs per block, failover (through `FaultyEndpoint`), fee spikes, unfunded accounts.
use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::testing::FaultyEndpoint;
use bithive_chain_client::{
    ChainClient, ChainError, CompatVersion, FailoverRpc, GasConfig, HttpEndpoint, OperatorKey,
    RpcEndpoint,
};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use serde_json::json;

const CHAIN: &str = "bithive-test-1";
const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

/// Receives one cw20 unit per "increment": its balance is the counter.
fn counter_addr() -> String {
    let sk = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    OperatorKey::from_signing_key(sk, "bithive")
        .unwrap()
        .address()
        .to_string()
}

fn gas(price: f64, max: f64) -> GasConfig {
    GasConfig {
        gas_price: price,
        gas_adjustment: 1.3,
        max_gas_price: max,
        fee_denom: IBC.into(),
        max_gas: 20_000_000,
    }
}

fn key() -> OperatorKey {
    OperatorKey::from_mnemonic(MNEMONIC, "bithive").unwrap()
}

/// A devnet whose fee denom is the IBC denom; `block_time_ms` 0 makes blocks on demand only.
async fn devnet(min_price: &str, block_time_ms: u64, funded: bool) -> DevnetHandle {
    let cfg = DevnetConfig {
        chain_id: CHAIN.into(),
        denom: IBC.into(),
        min_gas_price: min_price.into(),
        block_time_ms,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        home: None,
        genesis_accounts: if funded {
            vec![GenesisAccount {
                address: key().address().to_string(),
                coins: format!("1000000000000{IBC}"),
            }]
        } else {
            vec![]
        },
        ..DevnetConfig::default()
    };
    Devnet::start(cfg).await.unwrap()
}

fn http(d: &DevnetHandle) -> HttpEndpoint {
    HttpEndpoint::new(&d.rpc_url(), CompatVersion::V038, Duration::from_secs(10)).unwrap()
}

fn client(rpc: Arc<dyn RpcEndpoint>, key: OperatorKey, g: GasConfig) -> ChainClient {
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(10),
        timeout: Duration::from_secs(30),
    };
    ChainClient::new(rpc, CHAIN, key, g, confirm).unwrap()
}

fn artifact(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Stores and instantiates the cw20 artifact with the whole supply on `c`'s account.
async fn token(c: &ChainClient) -> String {
    let (code, _) = c.store_code(artifact("bithive_token.wasm")).await.unwrap();
    let init = json!({
        "name": "Counter Token", "symbol": "CNT", "decimals": 0,
        "initial_balances": [{"address": c.address(), "amount": "1000000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    c.instantiate(code, &init, "counter", None).await.unwrap().0
}

fn inc(token: &str) -> (String, serde_json::Value) {
    (
        token.to_string(),
        json!({"transfer": {"recipient": counter_addr(), "amount": "1"}}),
    )
}

async fn counter(c: &ChainClient, token: &str) -> u64 {
    let raw = c
        .query_smart(token, &json!({"balance": {"address": counter_addr()}}))
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_of_executes_in_one_tx_pays_fee_in_ibc_denom() {
    let d = devnet("0.01", 20, true).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.02, 0.1));
    let t = token(&c).await;
    let before = c.fee_balance().await.unwrap();
    let calls: Vec<_> = (0..3).map(|_| inc(&t)).collect();
    let out = c.execute_batch(&calls).await.unwrap();
    assert_eq!(counter(&c, &t).await, 3);
    assert_eq!(out.attr("wasm", "_contract_address"), Some(t.as_str()));
    let paid = before - c.fee_balance().await.unwrap();
    // fee = ceil(gas_wanted * 0.02)
    assert_eq!(paid, (out.gas_wanted as f64 * 0.02).ceil() as u128);
    assert!(out.gas_used <= out.gas_wanted);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_execution_reverts_and_reports() {
    let d = devnet("0", 20, true).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.0, 0.1));
    let t = token(&c).await;
    let calls = vec![
        inc(&t),
        (
            t.clone(),
            json!({"transfer": {"recipient": counter_addr(), "amount": "99999999"}}),
        ),
    ];
    let e = c.execute_batch(&calls).await.unwrap_err();
    // A real node refuses it at simulation already; either way nothing of it is applied.
    assert!(
        matches!(e, ChainError::Simulate(_) | ChainError::TxFailed { .. }),
        "{e}"
    );
    assert_eq!(
        counter(&c, &t).await,
        0,
        "first message of the failed tx reverted"
    );
    // The local sequence is still right; the next submission works.
    c.execute_batch(&calls[..1]).await.unwrap();
    assert_eq!(counter(&c, &t).await, 1);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_account_sequence_mismatch() {
    let d = devnet("0", 20, true).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.0, 0.1));
    let t = token(&c).await;
    c.execute_batch(&[inc(&t)]).await.unwrap();
    // Another process signs with the same key: the chain's sequence moves ahead of ours.
    let other = client(Arc::new(http(&d)), key(), gas(0.0, 0.1));
    for _ in 0..3 {
        other.execute_batch(&[inc(&t)]).await.unwrap();
    }
    c.execute_batch(&[inc(&t)]).await.unwrap();
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(counter(&c, &t).await, 6);
    assert_eq!(
        c.stats
            .sequence_recoveries
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_broadcasts_in_one_block_use_consecutive_sequences() {
    let d = devnet("0", 0, true).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.0, 0.1));
    // Setup txs need blocks: a short-lived producer until the token exists.
    let stop = tokio::sync::watch::channel(false);
    let producer = {
        let node = d.node().clone();
        let mut rx = stop.1.clone();
        tokio::spawn(async move {
            while !*rx.borrow() {
                let n = node.clone();
                tokio::task::spawn_blocking(move || n.produce_block())
                    .await
                    .unwrap()
                    .unwrap();
                let _ = tokio::time::timeout(Duration::from_millis(20), rx.changed()).await;
            }
        })
    };
    let t = token(&c).await;
    stop.0.send(true).unwrap();
    producer.await.unwrap();

    let msg = vec![c.execute_msg(&t, &inc(&t).1).unwrap()];
    let a = c.broadcast(msg.clone(), "").await.unwrap();
    let b = c.broadcast(msg.clone(), "").await.unwrap();
    assert_eq!(b.sequence, a.sequence + 1);
    assert_eq!(d.node().app().mempool_len(), 2);
    d.produce_block().await.unwrap();
    let (ra, rb) = (
        c.confirm(&a.hash).await.unwrap(),
        c.confirm(&b.hash).await.unwrap(),
    );
    assert_eq!(ra.height, rb.height, "both in one block");
    assert_eq!(counter(&c, &t).await, 2);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_the_second_endpoint() {
    let d = devnet("0", 20, true).await;
    let a = FaultyEndpoint::new(http(&d), "a");
    let b = FaultyEndpoint::new(http(&d), "b");
    let rpc = Arc::new(FailoverRpc::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]).unwrap());
    let c = client(rpc.clone(), key(), gas(0.0, 0.1));
    let t = token(&c).await;
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(rpc.failovers(), 0);
    a.set_down(true);
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(rpc.failovers(), 1);
    assert_eq!(rpc.active_name(), "b");
    b.set_down(true);
    a.set_down(false);
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(rpc.failovers(), 2);
    a.set_down(true);
    let e = rpc.latest_height().await.unwrap_err();
    assert!(matches!(e, ChainError::AllEndpointsFailed(2, _)), "{e}");
    a.set_down(false);
    assert_eq!(counter(&c, &t).await, 3);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_broadcast_is_retried_on_the_other_endpoint() {
    let d = devnet("0", 20, true).await;
    let a = FaultyEndpoint::new(http(&d), "a");
    let b = FaultyEndpoint::new(http(&d), "b");
    let rpc = Arc::new(FailoverRpc::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]).unwrap());
    let c = client(rpc.clone(), key(), gas(0.0, 0.1));
    let t = token(&c).await;
    let (through_a, through_b) = (a.broadcasts(), b.broadcasts());
    a.set_fail_broadcast(true);
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(rpc.active_name(), "b");
    assert_eq!(
        a.broadcasts(),
        through_a,
        "the refused broadcast never reached the node"
    );
    assert_eq!(b.broadcasts(), through_b + 1);
    // A slow endpoint still answers.
    b.set_delay(Duration::from_millis(50));
    c.execute_batch(&[inc(&t)]).await.unwrap();
    assert_eq!(counter(&c, &t).await, 2);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_spike_within_max_is_paid_above_max_is_refused() {
    let d = devnet("0.01", 20, true).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.01, 0.05));
    let t = token(&c).await;
    c.execute_batch(&[inc(&t)]).await.unwrap();
    d.node().app().set_min_gas_price("0.04").unwrap();
    c.execute_batch(&[inc(&t)]).await.unwrap();
    d.node().app().set_min_gas_price("0.5").unwrap();
    let e = c.execute_batch(&[inc(&t)]).await.unwrap_err();
    assert!(matches!(e, ChainError::GasPriceAboveMax { .. }), "{e}");
    assert!(e.to_string().starts_with("ALERT"));
    assert_eq!(counter(&c, &t).await, 2);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfunded_account_is_reported() {
    let d = devnet("0", 20, false).await;
    let c = client(Arc::new(http(&d)), key(), gas(0.0, 0.1));
    let e = c
        .execute_batch(&[(counter_addr(), json!({}))])
        .await
        .unwrap_err();
    assert!(matches!(e, ChainError::AccountNotFound(_)), "{e}");
    d.shutdown().await;
}
