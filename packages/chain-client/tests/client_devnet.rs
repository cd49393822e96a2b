//! The signing client against the in-process devnet (a real chain: the committed cw20 artifact
//! in cosmwasm-vm behind CometBFT RPC) with fees in an `ibc/...` denom: batching, a failed
//! delivery, sequence recovery, failover between endpoints, fee spikes, an unfunded account.
//! Faults come from [`FaultyEndpoint`] around the real endpoint. (Before issue #41 these ran on a
//! hand-written in-memory chain; now the chain is the one the product runs on.)
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{
    ChainClient, ChainError, CompatVersion, FailoverRpc, Fault, FaultyEndpoint, GasConfig,
    HttpEndpoint, Method, OperatorKey, RpcEndpoint,
};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use serde_json::json;

const CHAIN: &str = "bithive-test-1";
const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

fn key(seed: u8) -> OperatorKey {
    let sk = k256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    OperatorKey::from_signing_key(sk, "bithive").unwrap()
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

/// A devnet funding `funded` in the `ibc/...` fee denom at `min_gas_price`; `block_ms` 0: blocks
/// only on demand.
async fn devnet(funded: &[&OperatorKey], min_gas_price: &str, block_ms: u64) -> DevnetHandle {
    let config = DevnetConfig {
        chain_id: CHAIN.into(),
        denom: IBC.into(),
        min_gas_price: min_gas_price.into(),
        block_time_ms: block_ms,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        genesis_accounts: funded
            .iter()
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("1000000000000{IBC}"),
            })
            .collect(),
        ..DevnetConfig::default()
    };
    Devnet::start(config).await.unwrap()
}

fn http(h: &DevnetHandle) -> Arc<dyn RpcEndpoint> {
    Arc::new(HttpEndpoint::new(&h.rpc_url(), CompatVersion::V038, Duration::from_secs(10)).unwrap())
}

/// Two faulty endpoints `a` and `b` around the devnet, behind failover (`a` first).
fn two_endpoints(h: &DevnetHandle) -> (FaultyEndpoint, FaultyEndpoint, Arc<FailoverRpc>) {
    let a = FaultyEndpoint::new(http(h), "a");
    let b = FaultyEndpoint::new(http(h), "b");
    let both: Vec<Arc<dyn RpcEndpoint>> = vec![Arc::new(a.clone()), Arc::new(b.clone())];
    (a, b, Arc::new(FailoverRpc::new(both).unwrap()))
}

/// A block every 10 ms until the handle is aborted (for devnets with blocks on demand).
fn spawn_producer(h: &DevnetHandle) -> tokio::task::JoinHandle<()> {
    let node = h.node().clone();
    tokio::spawn(async move {
        loop {
            let n = node.clone();
            let _ = tokio::task::spawn_blocking(move || n.produce_block()).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

fn client(rpc: Arc<dyn RpcEndpoint>, key: OperatorKey, g: GasConfig) -> ChainClient {
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(10),
        timeout: Duration::from_secs(20),
    };
    ChainClient::new(rpc, CHAIN, key, g, confirm).unwrap()
}

fn artifact() -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/bithive_token.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A cw20 token with `supply` for `c`'s account; its address.
async fn token(c: &ChainClient, supply: u128) -> String {
    let (code, _) = c.store_code(artifact()).await.unwrap();
    let init = json!({
        "name": "Test Token", "symbol": "TST", "decimals": 6,
        "initial_balances": [{"address": c.address(), "amount": supply.to_string()}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    c.instantiate(code, &init, "tst", None).await.unwrap().0
}

fn transfer(token: &str, to: &str, amount: u128) -> (String, serde_json::Value) {
    (
        token.to_string(),
        json!({"transfer": {"recipient": to, "amount": amount.to_string()}}),
    )
}

/// `c` sends 1 of `token` to `to`, committed.
async fn send_one(c: &ChainClient, token: &str, to: &OperatorKey) {
    c.execute_batch(&[transfer(token, to.address(), 1)])
        .await
        .unwrap();
}

async fn balance(c: &ChainClient, token: &str, who: &str) -> u128 {
    let v: serde_json::Value = serde_json::from_slice(
        &c.query_smart(token, &json!({"balance": {"address": who}}))
            .await
            .unwrap(),
    )
    .unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_of_executes_in_one_tx_pays_fee_in_ibc_denom() {
    let (alice, bob) = (key(41), key(42));
    let h = devnet(&[&alice], "0.01", 20).await;
    let c = client(http(&h), alice, gas(0.02, 0.1));
    let t = token(&c, 1_000).await;
    let before = c.fee_balance().await.unwrap();
    let calls: Vec<_> = (0..3).map(|_| transfer(&t, bob.address(), 1)).collect();
    let out = c.execute_batch(&calls).await.unwrap();
    assert_eq!(balance(&c, &t, bob.address()).await, 3);
    assert_eq!(out.attr("wasm", "_contract_address"), Some(t.as_str()));
    let paid = before - c.fee_balance().await.unwrap();
    // fee = ceil(gas_wanted * 0.02), in the ibc/ denom
    assert_eq!(paid, (out.gas_wanted as f64 * 0.02).ceil() as u128);
    assert!(out.gas_used <= out.gas_wanted);
    h.shutdown().await;
}

/// A tx that passes simulation and fails at delivery (another tx in the same block spent what
/// it needed): reported as failed, its first message reverted, its sequence used up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_delivery_reverts_and_reports() {
    let (alice, bob, carol) = (key(43), key(44), key(45));
    let h = devnet(&[&alice, &carol], "0.01", 0).await;
    let a = client(http(&h), alice, gas(0.01, 0.1));
    let producer = spawn_producer(&h);
    let t = token(&a, 1_000).await;
    a.execute_batch(&[(
        t.clone(),
        json!({"increase_allowance": {"spender": carol.address(), "amount": "500"}}),
    )])
    .await
    .unwrap();
    producer.abort();
    let _ = producer.await;
    // Carol's transfer_from waits in the mempool; alice's batch is simulated on the committed
    // state (where it fits) and lands after it in the same block.
    let c = client(http(&h), carol, gas(0.01, 0.1));
    let spend = c
        .execute_msg(&t, &json!({"transfer_from": {"owner": a.address(), "recipient": c.address(), "amount": "500"}}))
        .unwrap();
    c.broadcast(vec![spend], "").await.unwrap();
    let batch = vec![
        transfer(&t, bob.address(), 1),
        transfer(&t, bob.address(), 999),
    ];
    let a = Arc::new(a);
    let run = tokio::spawn({
        let a = a.clone();
        async move { a.execute_batch(&batch).await }
    });
    while h.node().app_read().mempool_len() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.produce_block().await.unwrap();
    let e = run.await.unwrap().unwrap_err();
    assert!(matches!(e, ChainError::TxFailed { code: 5, .. }), "{e}");
    assert_eq!(
        balance(&a, &t, bob.address()).await,
        0,
        "first message reverted"
    );
    assert_eq!(balance(&a, &t, a.address()).await, 500);
    // The failed tx used its sequence; the next one goes through.
    let next = tokio::spawn({
        let (a, t, bob) = (a.clone(), t.clone(), bob.address().to_string());
        async move { a.execute_batch(&[transfer(&t, &bob, 1)]).await }
    });
    while !next.is_finished() {
        h.produce_block().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    next.await.unwrap().unwrap();
    assert_eq!(balance(&a, &t, bob.address()).await, 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_account_sequence_mismatch() {
    let (alice, bob) = (key(46), key(47));
    let h = devnet(&[&alice], "0.01", 20).await;
    let c = client(http(&h), alice.clone(), gas(0.01, 0.1));
    let t = token(&c, 1_000).await;
    send_one(&c, &t, &bob).await;
    // Another process signs with the same key: the chain's sequence moves ahead of ours.
    let other = client(http(&h), alice, gas(0.01, 0.1));
    for _ in 0..3 {
        other
            .execute_batch(&[transfer(&t, bob.address(), 1)])
            .await
            .unwrap();
    }
    send_one(&c, &t, &bob).await;
    send_one(&c, &t, &bob).await;
    assert_eq!(balance(&c, &t, bob.address()).await, 6);
    assert_eq!(c.stats.sequence_recoveries.load(Ordering::Relaxed), 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_to_the_second_endpoint() {
    let (alice, bob) = (key(48), key(49));
    let h = devnet(&[&alice], "0.01", 20).await;
    let (a, b, rpc) = two_endpoints(&h);
    let c = client(rpc.clone(), alice, gas(0.01, 0.1));
    let t = token(&c, 1_000).await;
    let send = [transfer(&t, bob.address(), 1)];
    c.execute_batch(&send).await.unwrap();
    assert_eq!(rpc.failovers(), 0);
    a.set_down(true);
    c.execute_batch(&send).await.unwrap();
    assert_eq!(rpc.failovers(), 1);
    assert_eq!(rpc.active_name(), "b");
    b.set_down(true);
    a.set_down(false);
    c.execute_batch(&send).await.unwrap();
    assert_eq!(rpc.failovers(), 2);
    a.set_down(true);
    let e = rpc.latest_height().await.unwrap_err();
    assert!(matches!(e, ChainError::AllEndpointsFailed(2, _)), "{e}");
    a.set_down(false);
    assert_eq!(balance(&c, &t, bob.address()).await, 3);
    h.shutdown().await;
}

/// Seen on four wasmd validators: one is a block behind the others, or its tip's results are
/// not stored yet. That node is alive: the next endpoint answers the call and the active one
/// stays (no failover counted); a height nobody has yet says so, for the caller to wait. A node
/// behind call after call (`BEHIND_LIMIT`) is left for the one that answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_height_yet_is_asked_past_not_failed_over_from() {
    use bithive_chain_client::failover::BEHIND_LIMIT;
    let alice = key(60);
    // Blocks only on demand: the tips stay where the test puts them.
    let h = devnet(&[&alice], "0.01", 0).await;
    for _ in 0..5 {
        h.produce_block().await.unwrap();
    }
    let (a, b, rpc) = two_endpoints(&h);
    a.set_results_lag(true);
    let tip = a.latest_height().await.unwrap();
    assert!(a
        .block_results(tip)
        .await
        .unwrap_err()
        .is_height_not_there_yet());
    assert_eq!(rpc.block_results(tip).await.unwrap().height, tip);
    let e = rpc.block_results(tip + 1_000).await.unwrap_err();
    assert!(e.is_height_not_there_yet(), "{e}");
    assert_eq!(rpc.failovers(), 0);
    assert_eq!(rpc.active_name(), "a");
    // An answer from the active endpoint itself ends the streak.
    rpc.block_results(tip - 1).await.unwrap();
    a.set_results_lag(false);
    a.set_behind(2);
    for _ in 1..BEHIND_LIMIT {
        assert_eq!(rpc.block_results(tip).await.unwrap().height, tip);
    }
    assert_eq!((rpc.failovers(), rpc.active_name()), (0, "a".to_string()));
    rpc.block_results(tip).await.unwrap();
    assert_eq!((rpc.failovers(), rpc.active_name()), (1, "b".to_string()));
    drop(b);
    h.shutdown().await;
}

/// A broadcast whose answer is lost after the node took the tx, and a confirmation poll that
/// times out: the tx lands once, and the client's next tx still has the right sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_broadcast_answer_and_a_timed_out_poll_land_the_tx_once() {
    let (alice, bob) = (key(50), key(51));
    let h = devnet(&[&alice], "0.01", 20).await;
    let ep = FaultyEndpoint::new(http(&h), "a");
    let c = client(Arc::new(ep.clone()), alice, gas(0.01, 0.1));
    let t = token(&c, 1_000).await;
    ep.inject(Method::Broadcast, 0, Fault::DropAnswer);
    let e = c
        .execute_batch(&[transfer(&t, bob.address(), 1)])
        .await
        .unwrap_err();
    assert!(e.is_transport(), "{e}");
    assert_eq!(
        ep.broadcasts_ok(),
        3,
        "store, instantiate and the lost one reached the node"
    );
    // The tx was in the mempool: it lands although its sender heard nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while balance(&c, &t, bob.address()).await != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the lost broadcast never landed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A timed-out poll, then the next tx: the client recovers its sequence and nothing repeats.
    ep.inject(Method::Tx, 0, Fault::Timeout(Duration::from_millis(50)));
    send_one(&c, &t, &bob).await;
    send_one(&c, &t, &bob).await;
    assert_eq!(balance(&c, &t, bob.address()).await, 3);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_spike_within_max_is_paid_above_max_is_refused() {
    let (alice, bob) = (key(52), key(53));
    let h = devnet(&[&alice], "0.01", 20).await;
    let c = client(http(&h), alice, gas(0.01, 0.05));
    let t = token(&c, 1_000).await;
    let send = [transfer(&t, bob.address(), 1)];
    c.execute_batch(&send).await.unwrap();
    h.node().app().set_min_gas_price("0.04").unwrap();
    c.execute_batch(&send).await.unwrap();
    h.node().app().set_min_gas_price("0.5").unwrap();
    let e = c.execute_batch(&send).await.unwrap_err();
    assert!(matches!(e, ChainError::GasPriceAboveMax { .. }), "{e}");
    assert!(e.to_string().starts_with("ALERT"));
    assert_eq!(balance(&c, &t, bob.address()).await, 2);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfunded_account_is_reported() {
    let (alice, nobody) = (key(54), key(55));
    let h = devnet(&[&alice], "0.01", 20).await;
    let c = client(http(&h), nobody, gas(0.01, 0.1));
    let e = c
        .execute_batch(&[(alice.address().to_string(), json!({}))])
        .await
        .unwrap_err();
    assert!(matches!(e, ChainError::AccountNotFound(_)), "{e}");
    h.shutdown().await;
}

/// A lost answer with two endpoints: failover re-sends the same bytes, the node answers as
/// CometBFT does ("tx already exists in cache"), and the client takes that as sent: one tx,
/// confirmed, no sequence error, no second tx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_tx_is_known_by_its_hash_not_sent_twice() {
    let (alice, bob) = (key(56), key(57));
    let h = devnet(&[&alice], "0.01", 20).await;
    let (a, b, rpc) = two_endpoints(&h);
    let c = client(rpc.clone(), alice, gas(0.01, 0.1));
    let t = token(&c, 1_000).await;
    a.inject(Method::Broadcast, 0, Fault::DropAnswer);
    send_one(&c, &t, &bob).await;
    assert_eq!(rpc.failovers(), 1);
    assert_eq!(
        b.rejection_logs(),
        vec!["tx already exists in cache".to_string()]
    );
    assert_eq!(c.stats.sequence_recoveries.load(Ordering::Relaxed), 0);
    assert_eq!(
        a.broadcasts_ok() + b.broadcasts_ok(),
        3,
        "store, instantiate, the transfer"
    );
    send_one(&c, &t, &bob).await;
    assert_eq!(balance(&c, &t, bob.address()).await, 2);
    h.shutdown().await;
}

/// Two txs from one account before the next block: the second is simulated and checked at the
/// sequence after the first (wasmd simulates on its check state); both wait in the mempool and
/// land in one block, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_broadcasts_in_one_block_use_consecutive_sequences() {
    let (alice, bob) = (key(58), key(59));
    let h = devnet(&[&alice], "0.01", 0).await;
    let c = client(http(&h), alice, gas(0.01, 0.1));
    let producer = spawn_producer(&h);
    let t = token(&c, 1_000).await;
    producer.abort();
    let _ = producer.await;
    let call = |amount: u128| {
        let (contract, msg) = transfer(&t, bob.address(), amount);
        c.execute_msg(&contract, &msg).unwrap()
    };
    let a = c.broadcast(vec![call(1)], "").await.unwrap();
    let b = c.broadcast(vec![call(2)], "").await.unwrap();
    assert_eq!(b.sequence, a.sequence + 1);
    assert_eq!(h.node().app_read().mempool_len(), 2);
    h.produce_block().await.unwrap();
    c.confirm(&a.hash).await.unwrap();
    c.confirm(&b.hash).await.unwrap();
    assert_eq!(balance(&c, &t, bob.address()).await, 3);
    h.shutdown().await;
}
