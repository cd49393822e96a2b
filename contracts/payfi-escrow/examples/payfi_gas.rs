//! Gas of the PayFi flows in cosmwasm-vm 3 (wasmd storage gas) after 10 and after 10,000
//! payments, all state created by the contract's own messages: N escrows created and released
//! (payer -> payee), N vouchers redeemed on one channel (each signed off chain with k256 and
//! verified in the VM), N compute jobs created and reported; then one of each operation
//! measured. References from the same run: the 10-payment figure (flat means a ratio of about 1)
//! and a cw20-base 2.0 transfer on the same chain. Gas is deterministic: one run suffices.
//!
//!     cargo run -p payfi-escrow --example payfi_gas            # 10 and 10,000
//!     cargo run -p payfi-escrow --example payfi_gas -- 10 1000 # other sizes

#[path = "../tests/vm_world/mod.rs"]
mod vm_world;

use std::time::Instant;

use bithive_cw_test_fixtures::gas::sizes_from_args;
use bithive_cw_test_fixtures::suite::{log_elapsed, print_gas_table, print_sdk_gas_note};
use bithive_payfi_escrow::msg::ExecuteMsg;
use bithive_payfi_voucher::VoucherSigner;
use cosmwasm_std::Uint128;
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use vm_world::{artifact, World};

/// Each operation's gas after `n` payments; the last is the cw20-base reference.
fn measure(n: u64) -> Vec<(&'static str, u64)> {
    let started = Instant::now();
    let mut w = World::new();
    let (payer, reporter, node) = (w.payer.clone(), w.reporter.clone(), w.node.clone());
    let report = |id: &str| ExecuteMsg::ReportJob {
        job_id: bithive_interface::payfi_escrow::job_id(payer.as_str(), id),
        node: node.clone(),
        tscore: None,
    };
    for _ in 0..n {
        let (id, _) = w.create_escrow(&[1_000], false);
        w.release(&payer, id, 0).expect("release");
    }
    let signer = VoucherSigner::from_secret(&[42u8; 32]).expect("key");
    let ch = w.open_channel(&signer, 1_000_000_000, 3_600);
    for i in 1..=n {
        w.redeem(&signer, ch, u128::from(i) * 10).expect("redeem");
    }
    for i in 0..n {
        let job = format!("job-{i}");
        w.exec(&payer, &w.job_msg(&job, 600, b"synthetic"), 100)
            .expect("job");
        w.exec(&reporter, &report(&job), 0).expect("report");
    }
    let (id, create) = w.create_escrow(&[1_000, 1_000], false);
    let release = w.release(&payer, id, 0).expect("release");
    let redeem = w
        .redeem(&signer, ch, u128::from(n + 1) * 10)
        .expect("redeem");
    let job_create = w
        .exec(&payer, &w.job_msg("job-last", 600, &[7u8; 256]), 100)
        .expect("job")
        .gas_used;
    let job_report = w
        .exec(&reporter, &report("job-last"), 0)
        .expect("report")
        .gas_used;
    // Reference: cw20-base 2.0 transfer between two existing accounts on the same chain.
    let code = w
        .chain
        .store_code(&artifact("reference/cw20_base_ref.wasm"))
        .expect("cw20-base");
    let init = cw20_base::msg::InstantiateMsg {
        name: "USD Coin".into(),
        symbol: "USDC".into(),
        decimals: 6,
        initial_balances: vec![Cw20Coin {
            address: payer.clone(),
            amount: Uint128::new(1_000_000),
        }],
        mint: None,
        marketing: None,
    };
    let (usdc, _) = w
        .chain
        .instantiate(code, &payer, &init, &[], "usdc", None)
        .expect("instantiate cw20-base");
    let transfer = Cw20ExecuteMsg::Transfer {
        recipient: w.payee.clone(),
        amount: Uint128::new(10),
    };
    w.chain
        .execute(&usdc, &payer, &transfer, &[])
        .expect("warm");
    let cw20_base_transfer = w
        .chain
        .execute(&usdc, &payer, &transfer, &[])
        .expect("cw20 transfer")
        .gas_used;
    log_elapsed(n, started);
    vec![
        ("escrow create (2 milestones, coded)", create),
        ("escrow milestone release (+ fee)", release),
        ("voucher redeem (secp256k1 verify, + fee)", redeem),
        ("compute job create (256-byte input)", job_create),
        ("compute job report (pays node + fee)", job_report),
        ("reference: cw20-base 2.0 transfer", cw20_base_transfer),
    ]
}

fn main() {
    let sizes = sizes_from_args("payment counts", (10, 10_000));
    let (s, l) = (measure(sizes.0), measure(sizes.1));
    let label = |n: u64| format!("after {n} payments");
    print_gas_table(sizes, label, &s, &l);
    print_sdk_gas_note(bithive_vm_host::SDK_TO_CW_GAS);
}
