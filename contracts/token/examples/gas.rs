//! Token figures against cw20-base 2.0 built by the same pipeline, measured in one run:
//! wasm size, and the gas of transfer, send (to a receiver contract) and transfer_from in
//! cosmwasm-vm 3 with wasmd's storage gas. Gas is deterministic (independent of the host build
//! profile and machine load), so one run per figure suffices and the dev profile is enough.
//!
//!     cargo run -p bithive-token --example gas

use bithive_cw_test_fixtures::artifact;
use bithive_vm_host::{Chain, ChainConfig};
use serde_json::{json, Value};

struct Figures {
    size: usize,
    transfer: u64,
    send: u64,
    transfer_from: u64,
}

fn measure(wasm: &[u8], instantiate: impl Fn(&str, &str) -> Value) -> Figures {
    let mut chain = Chain::new(ChainConfig::default()).expect("chain");
    let code = chain.store_code(wasm).expect("store token");
    let recv = chain
        .store_code(&artifact("reference/cw20_receiver_probe.wasm"))
        .expect("store receiver");
    let (alice, bob, carol) = (chain.addr("alice"), chain.addr("bob"), chain.addr("carol"));
    let (token, _) = chain
        .instantiate(code, &alice, &instantiate(&alice, &bob), &[], "t", None)
        .expect("instantiate token");
    let (receiver, _) = chain
        .instantiate(recv, &alice, &json!({}), &[], "r", None)
        .expect("instantiate receiver");
    let mut run = |sender: &str, msg: Value| {
        chain
            .execute(&token, sender, &msg, &[])
            .expect("execute")
            .gas_used
    };
    // Warm both accounts so every figure is a steady-state update, not a first write.
    run(
        &alice,
        json!({"transfer": {"recipient": bob, "amount": "1"}}),
    );
    run(
        &alice,
        json!({"increase_allowance": {"spender": bob, "amount": "1000"}}),
    );
    run(
        &bob,
        json!({"transfer_from": {"owner": alice, "recipient": carol, "amount": "1"}}),
    );
    Figures {
        size: wasm.len(),
        transfer: run(
            &alice,
            json!({"transfer": {"recipient": bob, "amount": "10"}}),
        ),
        send: run(
            &alice,
            json!({"send": {"contract": receiver, "amount": "10", "msg": ""}}),
        ),
        transfer_from: run(
            &bob,
            json!({"transfer_from": {"owner": alice, "recipient": carol, "amount": "10"}}),
        ),
    }
}

fn main() {
    let ours = measure(&artifact("bithive_token.wasm"), |alice, minter| {
        json!({"name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
               "initial_balances": [{"address": alice, "amount": "1000000000"}],
               "owner": null, "cap": "2100000000000000",
               "minters": [{"minter": minter, "allowance": "1000"}], "marketing": null})
    });
    let base = measure(
        &artifact("reference/cw20_base_ref.wasm"),
        |alice, minter| {
            json!({"name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
               "initial_balances": [{"address": alice, "amount": "1000000000"}],
               "mint": {"minter": minter, "cap": "2100000000000000"}, "marketing": null})
        },
    );
    println!("| figure | bithive-token | cw20-base 2.0 | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |name: &str, a: u64, b: u64| {
        println!("| {name} | {a} | {b} | {:.3} |", a as f64 / b as f64);
    };
    row("wasm size (bytes)", ours.size as u64, base.size as u64);
    row("transfer gas (CosmWasm gas)", ours.transfer, base.transfer);
    row("send gas (to receiver, CosmWasm gas)", ours.send, base.send);
    row(
        "transfer_from gas (CosmWasm gas)",
        ours.transfer_from,
        base.transfer_from,
    );
    println!(
        "\nSDK gas = CosmWasm gas / {} (wasmd v0.61's multiplier); wasmd adds fixed per-call costs that are the same for both.",
        bithive_vm_host::SDK_TO_CW_GAS
    );
}
