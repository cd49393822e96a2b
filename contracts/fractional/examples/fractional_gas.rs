//! Gas of the asset flows in cosmwasm-vm 3 (wasmd storage gas) with 10 and 10,000 holders, all
//! state created by the contracts' own messages: N asset NFTs minted, N share holders made by
//! share transfers (each one hooked into the vault), revenue deposited, then one of each
//! operation measured. References from the same run: the 10-holder figure (flat means a ratio of
//! about 1) and a cw20-base 2.0 transfer on the same chain. Gas is deterministic, so one run of
//! each suffices and the dev profile is enough.
//!
//!     cargo run -p bithive-fractional --example fractional_gas            # 10 and 10,000
//!     cargo run -p bithive-fractional --example fractional_gas -- 10 1000 # other sizes

#[path = "../tests/vm_world/mod.rs"]
mod vm_world;

use std::time::Instant;

use bithive_cw_test_fixtures::gas::sizes_from_args;
use bithive_cw_test_fixtures::suite::{log_elapsed, print_gas_table, print_sdk_gas_note};
use vm_world::{artifact, World};

/// Each operation's gas with `n` holders and assets; the last is the cw20-base reference.
fn measure(n: usize) -> Vec<(&'static str, u64)> {
    let started = Instant::now();
    let mut w = World::new();
    let alice = w.alice.clone();
    for i in 0..n {
        w.mint(&format!("asset-{i}"), &alice);
    }
    w.mint("scanner", &alice);
    let (vault, shares) = w.lock(&alice, "scanner", 1_000_000_000, 1_000_000);
    let holders: Vec<String> = (0..n)
        .map(|i| w.chain.addr(&format!("holder-{i}")))
        .collect();
    for h in &holders {
        w.share_transfer(&shares, &alice, h, 1_000)
            .expect("share transfer");
    }
    // Revenue accrues to all N holders; a first deposit creates the pool.
    w.deposit_native(vault, 1_000_000).expect("deposit");
    let deposit = w
        .deposit_native(vault, 1_000_000)
        .expect("deposit")
        .gas_used;
    let claim = w.claim(&holders[0], vault).expect("claim").gas_used;
    // Both holders exist: a steady-state balance update on each side (plus the vault hook).
    let share_transfer = w
        .share_transfer(&shares, &holders[1], &holders[2], 1)
        .expect("share transfer")
        .gas_used;
    let mint = w.mint("new-asset", &alice);
    let bob = w.chain.addr("bob");
    w.approve(&bob);
    let nft_transfer = w
        .transfer_nft(&alice, &bob, "asset-0")
        .expect("nft transfer")
        .gas_used;
    // Reference: a plain cw20-base transfer between two existing accounts, same chain.
    let (usdc, clinic) = (w.usdc.clone(), w.clinic.clone());
    w.share_transfer(&usdc, &clinic, &bob, 10)
        .expect("warm cw20");
    let cw20_base_transfer = w
        .share_transfer(&usdc, &clinic, &bob, 10)
        .expect("cw20 transfer")
        .gas_used;
    log_elapsed(n, started);
    vec![
        ("asset NFT mint", mint),
        ("asset NFT transfer (compliance-gated)", nft_transfer),
        ("share transfer (incl. vault hook)", share_transfer),
        ("revenue deposit (ibc/ denom)", deposit),
        ("revenue claim", claim),
        ("reference: cw20-base 2.0 transfer", cw20_base_transfer),
    ]
}

fn main() {
    let (small, large): (usize, usize) = sizes_from_args("holder counts", (10, 10_000));
    assert!(small >= 3, "at least 3 holders");
    let (s, l) = (measure(small), measure(large));
    let label = |n: u64| format!("{n} holders/assets");
    let sizes = (small as u64, large as u64);
    print_gas_table(sizes, label, &s, &l);
    println!();
    println!("| artifact | bytes | vs wasmd 800 KiB limit |");
    println!("| --- | ---: | ---: |");
    for name in ["asset_nft", "asset_shares", "fractional", "payfi_escrow"] {
        let bytes = artifact(&format!("bithive_{name}.wasm")).len();
        println!(
            "| bithive_{name}.wasm | {bytes} | {:.3} |",
            bytes as f64 / 819_200.0
        );
    }
    println!(
        "| reference/cw20_base_ref.wasm | {} | {:.3} |",
        artifact("reference/cw20_base_ref.wasm").len(),
        artifact("reference/cw20_base_ref.wasm").len() as f64 / 819_200.0
    );
    print_sdk_gas_note(bithive_vm_host::SDK_TO_CW_GAS);
}
