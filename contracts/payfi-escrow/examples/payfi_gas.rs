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

use bithive_cw_test_fixtures::gas::{print_gas_row, sizes_from_args};
use bithive_payfi_escrow::msg::ExecuteMsg;
use bithive_payfi_voucher::VoucherSigner;
use cosmwasm_std::Uint128;
use cw20::{Cw20Coin, Cw20ExecuteMsg};
use vm_world::{artifact, World};

struct Gas {
    create: u64,
    release: u64,
    redeem: u64,
    job_create: u64,
    job_report: u64,
    cw20_base_transfer: u64,
}

fn measure(n: u64) -> Gas {
    let started = Instant::now();
    let mut w = World::new();
    let (payer, reporter, node) = (w.payer.clone(), w.reporter.clone(), w.node.clone());
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
        w.exec(
            &payer,
            &w.job_msg(&format!("job-{i}"), 600, b"synthetic"),
            100,
        )
        .expect("job");
        let report = ExecuteMsg::ReportJob {
            job_id: bithive_interface::payfi_escrow::job_id(payer.as_str(), &format!("job-{i}")),
            node: node.clone(),
            tscore: None,
        };
        w.exec(&reporter, &report, 0).expect("report");
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
    let report = ExecuteMsg::ReportJob {
        job_id: bithive_interface::payfi_escrow::job_id(payer.as_str(), "job-last"),
        node: node.clone(),
        tscore: None,
    };
    let job_report = w.exec(&reporter, &report, 0).expect("report").gas_used;
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
    eprintln!(
        "n = {n}: state built and measured in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Gas {
        create,
        release,
        redeem,
        job_create,
        job_report,
        cw20_base_transfer,
    }
}

fn main() {
    let (small, large): (u64, u64) = sizes_from_args("payment counts", (10, 10_000));
    let s = measure(small);
    let l = measure(large);
    println!(
        "| operation (CosmWasm gas) | after {small} payments | after {large} payments | ratio {large}/{small} | vs cw20-base transfer ({large}) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    let row = |name: &str, a: u64, b: u64| print_gas_row(name, a, b, l.cw20_base_transfer);
    row("escrow create (2 milestones, coded)", s.create, l.create);
    row("escrow milestone release (+ fee)", s.release, l.release);
    row(
        "voucher redeem (secp256k1 verify, + fee)",
        s.redeem,
        l.redeem,
    );
    row(
        "compute job create (256-byte input)",
        s.job_create,
        l.job_create,
    );
    row(
        "compute job report (pays node + fee)",
        s.job_report,
        l.job_report,
    );
    row(
        "reference: cw20-base 2.0 transfer",
        s.cw20_base_transfer,
        l.cw20_base_transfer,
    );
    println!(
        "\nSDK gas = CosmWasm gas / {} (wasmd v0.61's multiplier); wasmd's fixed per-call costs are not included.",
        bithive_vm_host::SDK_TO_CW_GAS
    );
}
