//! Gas of the economics messages in cosmwasm-vm 3 (bithive-vm-host, wasmd storage gas) on the
//! committed artifacts, with 10 and 1,000 nodes in state (100,000 with BITHIVE_BENCH_FULL=1).
//! Each figure is printed beside the same message with 10 nodes, measured in the same run, as a
//! ratio: the accumulator design must keep it flat. Gas is deterministic: one run per figure.
//!
//!     cargo bench -p bithive-economics-tests --bench gas

#[path = "../tests/vm_common/mod.rs"]
mod vm_common;

use bithive_formulas::enode::EnodeInputs;
use bithive_rewards::msg::ExecuteMsg as RewardsMsg;
use bithive_staking::msg::{ExecuteMsg as StakingMsg, ReceiveMsg as Bond, Tier};
use cosmwasm_std::{Decimal, Uint128};
use vm_common::*;

fn inputs() -> EnodeInputs {
    EnodeInputs {
        pcompute: Decimal::from_ratio(25u64, 1u64),
        penergy: Decimal::from_ratio(10u64, 1u64),
        tasks_successful: 99,
        tasks_total: 100,
        availability: Decimal::percent(99),
        dfactor: Decimal::one(),
    }
}

struct Figures {
    distribute: u64,
    report: u64,
    claim: u64,
    bond: u64,
}

fn measure(n: usize) -> Figures {
    let probe = bithive_vm_host::Chain::new(bithive_vm_host::ChainConfig::default()).unwrap();
    let nodes: Vec<String> = (0..n).map(|i| probe.addr(&format!("node{i}"))).collect();
    let mut w = VmWorld::new(&nodes, 1_000 * BTK);
    for (i, node) in nodes.iter().enumerate() {
        let mut key = [2u8; 33];
        key[1..9].copy_from_slice(&(i as u64).to_be_bytes());
        let reg = StakingMsg::RegisterNode { capacity_t: 4, tier: Tier::T1, operator_key: bithive_attestation::PubKey33(key) };
        w.chain.execute(&w.staking, node, &reg, &[]).expect("register");
        let (btk, staking) = (w.btk.clone(), w.staking.clone());
        w.send(&btk, node, &staking, 400 * BTK, &Bond::Bond {});
    }
    w.chain.advance(DAY);
    w.chain.execute(&w.emission, &w.gov, &bithive_emission::msg::ExecuteMsg::Distribute {}, &[]).expect("warm");
    for node in &nodes {
        let m = RewardsMsg::ReportWork { node: node.clone(), units: Uint128::new(100), enode: inputs() };
        w.chain.execute(&w.rewards, &w.reporter, &m, &[]).expect("report");
    }
    // Next epoch: close epoch 1 with a first report, then measure steady-state messages.
    w.chain.advance(DAY);
    let m = RewardsMsg::ReportWork { node: nodes[0].clone(), units: Uint128::new(100), enode: inputs() };
    w.chain.execute(&w.rewards, &w.reporter, &m, &[]).expect("close epoch");
    let distribute = w
        .chain
        .execute(&w.emission, &w.gov, &bithive_emission::msg::ExecuteMsg::Distribute {}, &[])
        .expect("distribute")
        .gas_used;
    let m = RewardsMsg::ReportWork { node: nodes[n - 1].clone(), units: Uint128::new(100), enode: inputs() };
    let report = w.chain.execute(&w.rewards, &w.reporter, &m, &[]).expect("report").gas_used;
    let claim = w.chain.execute(&w.rewards, &nodes[n / 2], &RewardsMsg::ClaimCompute {}, &[]).expect("claim").gas_used;
    let (btk, staking) = (w.btk.clone(), w.staking.clone());
    let bond = w.send(&btk, &nodes[n / 2], &staking, 10 * BTK, &Bond::Bond {});
    Figures { distribute, report, claim, bond }
}

fn main() {
    let mut sizes = vec![10usize, 1_000];
    if std::env::var("BITHIVE_BENCH_FULL").is_ok() {
        sizes.push(100_000);
    }
    let reference = measure(10);
    println!("{:<28} {:>8} {:>12} {:>10}", "message (cosmwasm gas)", "nodes", "gas", "vs 10");
    for n in sizes {
        let f = if n == 10 { Figures { ..reference } } else { measure(n) };
        for (name, g, r) in [
            ("emission distribute", f.distribute, reference.distribute),
            ("rewards report_work", f.report, reference.report),
            ("rewards claim_compute", f.claim, reference.claim),
            ("staking bond (cw20 send)", f.bond, reference.bond),
        ] {
            println!("{:<28} {:>8} {:>12} {:>10.3}", name, n, g, g as f64 / r as f64);
        }
    }
}
