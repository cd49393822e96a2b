//! The signing client against the in-memory chain: batching, sequence recovery, failover, fee
//! rules with an `ibc/...` denom.
use std::sync::Arc;
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::mock::{ExecCtx, MockChain, MockContract};
use bithive_chain_client::{
    ChainClient, ChainError, Event, FailoverRpc, GasConfig, OperatorKey, RpcEndpoint,
};

const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const IBC: &str = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
fn counter_addr() -> String {
    bithive_chain_client::mock::address("bithive", "counter")
}

#[derive(Clone, Default)]
struct Counter {
    n: u64,
}

impl MockContract for Counter {
    fn execute(&mut self, _ctx: &ExecCtx, msg: &[u8]) -> Result<Vec<Event>, String> {
        let v: serde_json::Value = serde_json::from_slice(msg).map_err(|e| e.to_string())?;
        if v.get("fail").is_some() {
            return Err("asked to fail".into());
        }
        self.n += 1;
        Ok(vec![Event {
            kind: "wasm-incremented".into(),
            attributes: vec![("n".into(), self.n.to_string())],
        }])
    }
    fn query(&self, _msg: &[u8]) -> Result<Vec<u8>, String> {
        Ok(serde_json::json!({ "n": self.n }).to_string().into_bytes())
    }
    fn box_clone(&self) -> Box<dyn MockContract> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn gas(price: f64, max: f64) -> GasConfig {
    GasConfig {
        gas_price: price,
        gas_adjustment: 1.2,
        max_gas_price: max,
        fee_denom: IBC.into(),
        max_gas: 5_000_000,
    }
}

fn setup(min_price: f64) -> (MockChain, OperatorKey) {
    let chain = MockChain::new("bithive-test-1", "bithive", IBC, min_price);
    let key = OperatorKey::from_mnemonic(MNEMONIC, "bithive").unwrap();
    chain.fund(key.address(), IBC, 1_000_000_000);
    chain.add_contract(&counter_addr(), Box::new(Counter::default()));
    (chain, key)
}

fn client(rpc: Arc<dyn RpcEndpoint>, key: OperatorKey, g: GasConfig) -> ChainClient {
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
    };
    ChainClient::new(rpc, "bithive-test-1", key, g, confirm).unwrap()
}

fn counter(chain: &MockChain) -> u64 {
    chain
        .with_contract::<Counter, _>(&counter_addr(), |c| c.n)
        .unwrap()
}

#[tokio::test]
async fn batch_of_executes_in_one_tx_pays_fee_in_ibc_denom() {
    let (chain, key) = setup(0.01);
    let producer = chain.spawn_block_producer(Duration::from_millis(10));
    let c = client(Arc::new(chain.endpoint("a")), key.clone(), gas(0.02, 0.1));
    let before = chain.balance(key.address(), IBC);
    let calls: Vec<_> = (0..3)
        .map(|_| (counter_addr(), serde_json::json!({ "inc": {} })))
        .collect();
    let out = c.execute_batch(&calls).await.unwrap();
    assert_eq!(counter(&chain), 3);
    assert_eq!(
        out.attr("wasm-incremented", "_contract_address"),
        Some(counter_addr().as_str())
    );
    let paid = before - chain.balance(key.address(), IBC);
    // fee = ceil(gas_wanted * 0.02)
    assert_eq!(paid, (out.gas_wanted as f64 * 0.02).ceil() as u128);
    assert!(out.gas_used <= out.gas_wanted);
    // The smart query goes through abci_query as well.
    let q = c
        .query_smart(&counter_addr(), &serde_json::json!({ "get": {} }))
        .await
        .unwrap();
    assert_eq!(q, br#"{"n":3}"#);
    assert_eq!(
        c.fee_balance().await.unwrap(),
        chain.balance(key.address(), IBC)
    );
    producer.abort();
}

#[tokio::test]
async fn failed_execution_reverts_and_reports() {
    let (chain, key) = setup(0.0);
    let producer = chain.spawn_block_producer(Duration::from_millis(10));
    let c = client(Arc::new(chain.endpoint("a")), key, gas(0.0, 0.1));
    let calls = vec![
        (counter_addr(), serde_json::json!({ "inc": {} })),
        (counter_addr(), serde_json::json!({ "fail": {} })),
    ];
    let e = c.execute_batch(&calls).await.unwrap_err();
    assert!(matches!(e, ChainError::TxFailed { code: 5, .. }), "{e}");
    assert_eq!(
        counter(&chain),
        0,
        "first message of the failed tx reverted"
    );
    // The sequence was consumed by the failed tx; the next submission still works.
    c.execute_batch(&calls[..1]).await.unwrap();
    assert_eq!(counter(&chain), 1);
    producer.abort();
}

#[tokio::test]
async fn recovers_from_account_sequence_mismatch() {
    let (chain, key) = setup(0.0);
    let producer = chain.spawn_block_producer(Duration::from_millis(10));
    let c = client(Arc::new(chain.endpoint("a")), key.clone(), gas(0.0, 0.1));
    let inc = vec![(counter_addr(), serde_json::json!({ "inc": {} }))];
    c.execute_batch(&inc).await.unwrap();
    // Another process signs with the same key: the chain's sequence moves ahead of ours.
    chain.bump_sequence(key.address(), 7);
    c.execute_batch(&inc).await.unwrap();
    c.execute_batch(&inc).await.unwrap();
    assert_eq!(counter(&chain), 3);
    assert_eq!(
        c.stats
            .sequence_recoveries
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    producer.abort();
}

#[tokio::test]
async fn several_broadcasts_in_one_block_use_consecutive_sequences() {
    let (chain, key) = setup(0.0);
    let c = client(Arc::new(chain.endpoint("a")), key, gas(0.0, 0.1));
    let inc = vec![c
        .execute_msg(&counter_addr(), &serde_json::json!({ "inc": {} }))
        .unwrap()];
    let a = c.broadcast(inc.clone(), "").await.unwrap();
    let b = c.broadcast(inc.clone(), "").await.unwrap();
    assert_eq!(b.sequence, a.sequence + 1);
    assert_eq!(chain.mempool_len(), 2);
    chain.produce_block();
    c.confirm(&a.hash).await.unwrap();
    c.confirm(&b.hash).await.unwrap();
    assert_eq!(counter(&chain), 2);
}

#[tokio::test]
async fn fails_over_to_the_second_endpoint() {
    let (chain, key) = setup(0.0);
    let producer = chain.spawn_block_producer(Duration::from_millis(10));
    let a = chain.endpoint("a");
    let b = chain.endpoint("b");
    let rpc = Arc::new(FailoverRpc::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]).unwrap());
    let c = client(rpc.clone(), key, gas(0.0, 0.1));
    let inc = vec![(counter_addr(), serde_json::json!({ "inc": {} }))];
    c.execute_batch(&inc).await.unwrap();
    assert_eq!(rpc.failovers(), 0);
    a.set_down(true);
    c.execute_batch(&inc).await.unwrap();
    assert_eq!(rpc.failovers(), 1);
    assert_eq!(rpc.active_name(), "b");
    b.set_down(true);
    a.set_down(false);
    c.execute_batch(&inc).await.unwrap();
    assert_eq!(rpc.failovers(), 2);
    a.set_down(true);
    let e = rpc.latest_height().await.unwrap_err();
    assert!(matches!(e, ChainError::AllEndpointsFailed(2, _)), "{e}");
    assert_eq!(counter(&chain), 3);
    producer.abort();
}

#[tokio::test]
async fn fee_spike_within_max_is_paid_above_max_is_refused() {
    let (chain, key) = setup(0.01);
    let producer = chain.spawn_block_producer(Duration::from_millis(10));
    let c = client(Arc::new(chain.endpoint("a")), key, gas(0.01, 0.05));
    let inc = vec![(counter_addr(), serde_json::json!({ "inc": {} }))];
    c.execute_batch(&inc).await.unwrap();
    chain.set_min_gas_price(0.04);
    c.execute_batch(&inc).await.unwrap();
    chain.set_min_gas_price(0.5);
    let e = c.execute_batch(&inc).await.unwrap_err();
    assert!(matches!(e, ChainError::GasPriceAboveMax { .. }), "{e}");
    assert!(e.to_string().starts_with("ALERT"));
    assert_eq!(counter(&chain), 2);
    producer.abort();
}

#[tokio::test]
async fn unfunded_account_is_reported() {
    let chain = MockChain::new("bithive-test-1", "bithive", IBC, 0.0);
    chain.add_contract(&counter_addr(), Box::new(Counter::default()));
    let key = OperatorKey::from_mnemonic(MNEMONIC, "bithive").unwrap();
    let c = client(Arc::new(chain.endpoint("a")), key, gas(0.0, 0.1));
    let e = c
        .execute_batch(&[(counter_addr(), serde_json::json!({}))])
        .await
        .unwrap_err();
    assert!(matches!(e, ChainError::AccountNotFound(_)), "{e}");
}
