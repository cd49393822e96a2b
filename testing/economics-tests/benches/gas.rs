//! Gas of the economics messages on the committed artifacts in cosmwasm-vm 3 (bithive-vm-host,
//! wasmd storage gas), with 10, 1,000 and 100,000 participants in contract state: nodes
//! registered, bonded and with reported work in staking and rewards, and as many vesting
//! schedules. Every participant is created by the contracts' own messages (a cw20 transfer, a
//! `register_node`, a bond, a `report_work` per node; vesting schedules in batches of 50).
//!
//! Each figure is printed beside two references measured in the same run: the same message with
//! 10 participants (the accumulator design must keep the ratio flat) and a plain cw20 transfer of
//! the BTK artifact. The last two rows add the jobs: the escrow's per-job `record_outcome`, and
//! the report of a node that served 100 paid jobs since its last (against the one-job report
//! above it). Gas is deterministic: one run per figure.
//!
//!     cargo bench -p bithive-economics-tests --bench gas
//!     BITHIVE_BENCH_SIZES=10,1000 cargo bench -p bithive-economics-tests --bench gas   # quicker

use std::time::Instant;

use bithive_deploy_plan::Artifact;
use bithive_economics_tests::{Ledger, Vm, World, BTK, DAY};
use bithive_rewards::msg::ExecuteMsg as RewardsMsg;
use bithive_rewards::msg::{JobOutcome, MeasuredWork};
use bithive_signed_attestation::signing::{public_key, sign_operator_pop, signing_key};
use bithive_staking::msg::{ExecuteMsg as StakingMsg, ReceiveMsg as Bond, Tier};
use bithive_vesting::curve::Curve;
use bithive_vesting::msg::{ExecuteMsg as VestingMsg, NewSchedule, ReceiveMsg as VestingHook};
use cosmwasm_std::{Decimal, Uint128};

/// Vesting's largest batch.
const BATCH: usize = 50;

fn measured() -> MeasuredWork {
    MeasuredWork {
        pcompute: Decimal::from_ratio(25u64, 1u64),
        penergy: Decimal::from_ratio(10u64, 1u64),
        availability: Decimal::percent(99),
        dfactor: Decimal::one(),
    }
}

/// Node `i`'s `register_node`: a distinct operator key per node, with its proof of possession
/// for `node` (registration checks both).
fn register(w: &World<Vm>, i: usize, node: &str, staking: &str) -> StakingMsg {
    let mut secret = [1u8; 32];
    secret[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    let key = signing_key(&secret).expect("operator key");
    StakingMsg::RegisterNode {
        capacity_t: 4,
        tier: Tier::T1,
        operator_key: public_key(&key),
        operator_signature: sign_operator_pop(&key, &w.ledger.chain_id(), staking, node)
            .expect("operator key proof"),
    }
}

/// Paid jobs one node serves between two reports in the "many jobs" row: its report reads the
/// same accumulators whatever the count, so its gas must match the one-job report's.
const JOBS: usize = 100;

const MESSAGES: [&str; 9] = [
    "cw20 transfer (reference)",
    "emission distribute",
    "vesting distribute (1 id)",
    "rewards report_work",
    "rewards claim_compute",
    "staking bond (cw20 send)",
    "staking register_node",
    "rewards record_outcome (1 job)",
    "rewards report_work (100 jobs)",
];

/// Gas of each of [`MESSAGES`] with `n` participants, and the setup time in seconds.
fn measure(n: usize) -> ([u64; 9], f64) {
    let started = Instant::now();
    let ledger = Vm::new();
    let faucet = ledger.addr("faucet");
    let nodes: Vec<String> = (0..n).map(|i| ledger.addr(&format!("node{i}"))).collect();
    let mut w = World::new(
        ledger,
        std::slice::from_ref(&faucet),
        (n as u128 + 1) * 1_000 * BTK,
    );
    let (btk, staking, rewards, vesting, emission) = (
        w.btk.clone(),
        w.staking.clone(),
        w.rewards.clone(),
        w.vesting.clone(),
        w.emission.clone(),
    );
    let (gov, reporter) = (w.gov.clone(), w.reporter.clone());
    let transfer = |to: &str, amount: u128| cw20::Cw20ExecuteMsg::Transfer {
        recipient: to.to_string(),
        amount: Uint128::new(amount),
    };

    // Day 0: every node gets BTK, registers (T1, 4 T) and bonds its 400 BTK pledge.
    for (i, node) in nodes.iter().enumerate() {
        exec(&mut w, &faucet, &btk, &transfer(node, 500 * BTK));
        let reg = register(&w, i, node, &staking);
        exec(&mut w, node, &staking, &reg);
        w.send(&btk, node, &staking, 400 * BTK, &Bond::Bond {})
            .expect("bond");
    }
    // One contributor schedule per node, funded by the faucet in batches.
    let start = w.now();
    for chunk in nodes.chunks(BATCH) {
        let schedules: Vec<NewSchedule> = chunk
            .iter()
            .map(|node| NewSchedule {
                beneficiary: node.clone(),
                revoker: None,
                amount: Uint128::new(BTK),
                curve: Curve::contributor(start, Uint128::new(BTK)),
            })
            .collect();
        let amount = BTK * chunk.len() as u128;
        w.send(
            &btk,
            &faucet,
            &vesting,
            amount,
            &VestingHook::Create { schedules },
        )
        .expect("create schedules");
    }
    // Day 1: emission funds the pools; every node's work is reported in epoch 1.
    w.advance(DAY);
    let distribute = bithive_emission::msg::ExecuteMsg::Distribute {};
    exec(&mut w, &gov, &emission, &distribute);
    // In the world the reporter also plays the escrow: a paid job, then the quorum's report.
    let served = |node: &str| RewardsMsg::RecordOutcome {
        node: node.to_string(),
        outcome: JobOutcome::Paid {
            units: Uint128::new(100),
            fee: Uint128::one(),
        },
    };
    let report = |node: &str| RewardsMsg::ReportWork {
        node: node.to_string(),
        measured: measured(),
    };
    for node in &nodes {
        exec(&mut w, &reporter, &rewards, &served(node));
        exec(&mut w, &reporter, &rewards, &report(node));
    }
    // Day 2: the first report closes epoch 1; then the measured messages.
    w.advance(DAY);
    exec(&mut w, &reporter, &rewards, &served(&nodes[0]));
    exec(&mut w, &reporter, &rewards, &report(&nodes[0]));
    exec(&mut w, &reporter, &rewards, &served(&nodes[n - 1]));
    // Another node serves many jobs before its report (the flat-in-jobs row).
    let busy = &nodes[n - 2];
    for _ in 0..JOBS - 1 {
        exec(&mut w, &reporter, &rewards, &served(busy));
    }
    let setup = started.elapsed().as_secs_f64();
    let mid = &nodes[n / 2];
    let late = w.ledger.addr("late-node");
    exec(&mut w, &faucet, &btk, &transfer(&late, 500 * BTK));
    let gas = [
        exec(&mut w, &faucet, &btk, &transfer(mid, BTK)),
        exec(&mut w, &gov, &emission, &distribute),
        // Schedule ids start at 1 in node order.
        exec(
            &mut w,
            &gov,
            &vesting,
            &VestingMsg::Distribute {
                ids: vec![n as u64 / 2 + 1],
            },
        ),
        exec(&mut w, &reporter, &rewards, &report(&nodes[n - 1])),
        exec(&mut w, mid, &rewards, &RewardsMsg::ClaimCompute {}),
        {
            w.send(&btk, mid, &staking, 10 * BTK, &Bond::Bond {})
                .expect("top up");
            w.ledger.last_gas
        },
        {
            let reg = register(&w, n + 1, &late, &staking);
            exec(&mut w, &late, &staking, &reg)
        },
        // The JOBS-th paid job of the busy node, then its report.
        exec(&mut w, &reporter, &rewards, &served(busy)),
        exec(&mut w, &reporter, &rewards, &report(busy)),
    ];
    (gas, setup)
}

/// Executes `msg` and returns its gas.
fn exec<M: serde::Serialize + std::fmt::Debug>(
    w: &mut World<Vm>,
    sender: &str,
    contract: &str,
    msg: &M,
) -> u64 {
    w.exec(sender, contract, msg)
        .unwrap_or_else(|e| panic!("{contract}: {e}"));
    w.ledger.last_gas
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BITHIVE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 1_000, 100_000]);
    assert!(
        sizes.first() == Some(&10),
        "the first size is the baseline: 10"
    );
    println!("wasm artifacts:");
    let economics = [
        Artifact::Token,
        Artifact::Emission,
        Artifact::Vesting,
        Artifact::Staking,
        Artifact::Rewards,
    ];
    for artifact in economics {
        let path = bithive_vm_host::plan::committed_artifacts_dir().join(artifact.file());
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("  {:<24} {:>8} bytes", artifact.file(), bytes);
    }
    println!(
        "\ncosmwasm gas (wasm + wasmd storage gas x{}); (x) = ratio to 10 participants, \
         [t] = ratio to a cw20 transfer in the same world",
        bithive_vm_host::SDK_TO_CW_GAS
    );
    let mut base = None;
    for &n in &sizes {
        let (gas, setup) = measure(n);
        let base = *base.get_or_insert(gas);
        println!("\n{n} participants (set up through the contracts in {setup:.1} s):");
        for (m, name) in MESSAGES.iter().enumerate() {
            println!(
                "  {name:<28} {:>12} ({:.3}x) [{:.2}t]",
                gas[m],
                gas[m] as f64 / base[m] as f64,
                gas[m] as f64 / gas[0] as f64
            );
        }
    }
}
