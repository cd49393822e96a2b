//! Devnet throughput: signed bank sends and cw20 transfers broadcast over JSON-RPC
//! (`broadcast_tx_sync`) and committed in a block, beside the same messages applied directly
//! through bithive-vm-host (no RPC, no signatures, no ante) in the same run.
//!
//! `cargo run --release -p bithive-devnet --example bench [-- N]` (or without `--release`:
//! the dev profile builds dependencies, the VM included, at opt-level 2)

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use bithive_vm_host::{coin, Chain, ChainConfig};
use common::*;
use serde_json::json;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::{Client, HttpClient};

async fn commit_one(
    h: &bithive_devnet::DevnetHandle,
    c: &HttpClient,
    tx: Vec<u8>,
) -> tendermint_rpc::endpoint::tx::Response {
    let r = c.broadcast_tx_sync(tx).await.unwrap();
    assert!(r.code.is_ok(), "{}", r.log);
    h.produce_block().await.unwrap();
    c.tx(r.hash, false).await.unwrap()
}

/// Broadcasts every tx, then commits them in one block; returns txs per second.
async fn devnet_rate(h: &bithive_devnet::DevnetHandle, c: &HttpClient, txs: Vec<Vec<u8>>) -> f64 {
    let n = txs.len();
    let start = Instant::now();
    for tx in txs {
        let r = c.broadcast_tx_sync(tx).await.unwrap();
        assert!(r.code.is_ok(), "{}", r.log);
    }
    let height = h.produce_block().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let block = h
        .node()
        .app()
        .block(height)
        .map(|b| b.results.iter().filter(|r| r.code == 0).count());
    assert_eq!(block, Some(n), "every tx committed successfully");
    n as f64 / secs
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let alice = Key::new(11);
    let bob = Key::new(12);
    let h = start(&[&alice], None, 0).await;
    let c = HttpClient::builder(h.rpc_url().parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap();
    let wasm = artifact("bithive_token.wasm");
    let init = json!({
        "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
        "initial_balances": [{"address": alice.address, "amount": "1000000000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    let res = commit_one(
        &h,
        &c,
        alice.sign(
            vec![store(&alice.address, wasm.clone())],
            1,
            0,
            20_000_000,
            500_000,
        ),
    )
    .await;
    assert!(res.tx_result.code.is_ok());
    let res = commit_one(
        &h,
        &c,
        alice.sign(
            vec![instantiate(&alice.address, 1, &init, "btk", "")],
            1,
            1,
            1_000_000,
            25_000,
        ),
    )
    .await;
    let token = res
        .tx_result
        .events
        .iter()
        .filter(|e| e.kind == "instantiate")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_str().ok() == Some("_contract_address"))
        .and_then(|a| a.value_str().ok().map(str::to_string))
        .unwrap();

    let mut seq = 2;
    let sends: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            seq += 1;
            alice.sign(
                vec![send(&alice.address, &bob.address, 1 + i as u128, DENOM)],
                1,
                seq - 1,
                200_000,
                5_000,
            )
        })
        .collect();
    let transfer = json!({"transfer": {"recipient": bob.address, "amount": "1"}});
    let transfers: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            seq += 1;
            alice.sign(
                vec![execute(&alice.address, &token, &transfer)],
                1,
                seq - 1,
                400_000,
                10_000,
            )
        })
        .collect();
    let send_rate = devnet_rate(&h, &c, sends).await;
    let cw20_rate = devnet_rate(&h, &c, transfers).await;
    h.shutdown().await;

    // Reference: the same messages straight through the host (what the devnet is built on).
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    chain
        .mint_native(&alice.address, &[coin(1_000_000_000_000, DENOM)])
        .unwrap();
    let code = chain.store_code(&wasm).unwrap();
    let (token, _) = chain
        .instantiate(code, &alice.address, &init, &[], "btk", None)
        .unwrap();
    let start = Instant::now();
    for i in 0..n {
        chain
            .send(&alice.address, &bob.address, &[coin(1 + i as u128, DENOM)])
            .unwrap();
    }
    let ref_send = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..n {
        chain
            .execute(&token, &alice.address, &transfer, &[])
            .unwrap();
    }
    let ref_cw20 = n as f64 / start.elapsed().as_secs_f64();

    println!("devnet throughput, {n} txs per kind, one block each (broadcast_tx_sync over HTTP, then commit)");
    println!("| workload | devnet tx/s | vm-host direct msg/s | devnet / direct |");
    println!("|---|---|---|---|");
    println!(
        "| bank send | {send_rate:.0} | {ref_send:.0} | {:.4} |",
        send_rate / ref_send
    );
    println!(
        "| cw20 transfer | {cw20_rate:.0} | {ref_cw20:.0} | {:.4} |",
        cw20_rate / ref_cw20
    );
}
