//! A real multi-validator chain (#42 item 7): four wasmd validators in their own processes
//! (`scripts/wasmd-net.sh start HOME --validators 4`), one client over all four RPC endpoints
//! (`FailoverRpc`). Transfers go on while the validator whose RPC the client uses is killed and
//! later restarted: the chain keeps making blocks with three of four, the client moves to another
//! endpoint by itself, and every transfer lands exactly once (none lost, none repeated).
//!
//!     WASMD_NET_ENV=HOME/wasmd-net.env cargo test -p bithive-cli --test wasmd_validators -- --ignored
//!
//! `scripts/test.d/wasmd-networks.sh` runs it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_chain_client::{
    ChainClient, CompatVersion, ConfirmConfig, FailoverRpc, GasConfig, HttpEndpoint, OperatorKey,
    RpcEndpoint,
};

mod common;

async fn height(rpc: &str) -> Option<u64> {
    let ep = HttpEndpoint::new(rpc, CompatVersion::V038, Duration::from_secs(2)).ok()?;
    ep.latest_height().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a running multi-validator wasmd net: WASMD_NET_ENV=HOME/wasmd-net.env (scripts/test.d/wasmd-networks.sh)"]
async fn transfers_survive_a_validator_killed_and_restarted() {
    let env = common::wasmd_env_file(
        &std::env::var("WASMD_NET_ENV").expect("WASMD_NET_ENV: the wasmd-net.env of a running net"),
    );
    let rpcs = common::wasmd_rpcs(&env);
    assert!(
        rpcs.len() >= 4,
        "a network of at least 4 validators: {rpcs:?}"
    );
    let home = env["WASMD_NET_HOME"].clone();
    let (chain_id, prefix, denom) = (
        &env["WASMD_CHAIN_ID"],
        &env["WASMD_PREFIX"],
        &env["WASMD_DENOM"],
    );
    let mnemonic = std::fs::read_to_string(&env["WASMD_DEPLOYER_MNEMONIC_FILE"]).unwrap();
    let key = OperatorKey::from_mnemonic(mnemonic.trim(), prefix).unwrap();

    let endpoints: Vec<Arc<dyn RpcEndpoint>> = rpcs
        .iter()
        .map(|u| {
            Arc::new(HttpEndpoint::new(u, CompatVersion::V038, Duration::from_secs(3)).unwrap())
                as Arc<dyn RpcEndpoint>
        })
        .collect();
    let failover = Arc::new(FailoverRpc::new(endpoints).unwrap());
    let gas_price: f64 = env["WASMD_MIN_GAS_PRICE"].parse().unwrap();
    let gas = GasConfig {
        gas_price,
        gas_adjustment: 1.5,
        max_gas_price: 4.0 * gas_price,
        fee_denom: denom.clone(),
        max_gas: 10_000_000,
    };
    let confirm = ConfirmConfig {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
    };
    let c = ChainClient::new(failover.clone(), chain_id, key, gas.clone(), confirm).unwrap();
    let recipient = OperatorKey::from_mnemonic(
        &bithive_cli::demo::platform::new_mnemonic().unwrap(),
        prefix,
    )
    .unwrap()
    .address()
    .to_string();

    let started = Instant::now();
    let mut sent = 0u128;
    let mut send = async |amount: u128| {
        common::bank_send(&c, &recipient, amount, denom).await;
        sent += amount;
    };
    // Three transfers with every validator up, through validator 0's RPC.
    for i in 1..=3 {
        send(i).await;
    }
    assert_eq!(failover.failovers(), 0);
    // Validator 0 (the client's endpoint) dies: the other three go on, the client moves.
    common::wasmd_net(&["stop-node", &home, "0"]);
    let stopped_at = height(&rpcs[1]).await.unwrap();
    for i in 4..=8 {
        send(i).await;
    }
    assert!(
        failover.failovers() >= 1,
        "the client moved off the dead endpoint"
    );
    assert!(
        height(&rpcs[1]).await.unwrap() > stopped_at,
        "three of four validators made blocks"
    );
    // It comes back and catches up; the transfers go on.
    common::wasmd_net(&["start-node", &home, "0"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (h0, h1) = (height(&rpcs[0]).await, height(&rpcs[1]).await);
        if matches!((h0, h1), (Some(a), Some(b)) if a + 1 >= b) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "validator 0 did not catch up: {h0:?} vs {h1:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for i in 9..=10 {
        send(i).await;
    }
    // Every transfer landed once: the recipient holds exactly their sum, on every validator.
    for rpc in &rpcs {
        let ep =
            Arc::new(HttpEndpoint::new(rpc, CompatVersion::V038, Duration::from_secs(3)).unwrap());
        let reader = ChainClient::new(
            ep,
            chain_id,
            OperatorKey::from_mnemonic(mnemonic.trim(), prefix).unwrap(),
            gas.clone(),
            ConfirmConfig::default(),
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = bithive_cli::demo::platform::native_balance_of(&reader, &recipient, denom)
                .await
                .unwrap();
            if got == sent {
                break;
            }
            assert!(got < sent, "{rpc}: {got} > {sent}: a transfer was repeated");
            assert!(
                Instant::now() < deadline,
                "{rpc}: {got} of {sent}: a transfer was lost"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    println!(
        "4 validators: 10 transfers ({sent} {denom}) in {:.1} s across a validator's death and restart; {} failover(s)",
        started.elapsed().as_secs_f64(),
        failover.failovers()
    );
}
