//! The integration flow on the committed artifacts in cosmwasm-vm 3: emission over a few days,
//! nodes bonding and working, a claim through vesting, a fraud slash with host-verified
//! secp256k1 signatures, and the balance invariants.

mod vm_common;

use bithive_attestation::signing::{public_key, sign, signing_key};
use bithive_attestation::{Attestation, AttestationKind, Hash32};
use bithive_formulas::emission::{due, Split};
use bithive_formulas::enode::EnodeInputs;
use bithive_rewards::msg::{ExecuteMsg as RewardsMsg, NodeRewardsResponse, QueryMsg as RewardsQuery};
use bithive_staking::msg::{ExecuteMsg as StakingMsg, QueryMsg as StakingQuery, ReceiveMsg as Bond, Tier};
use bithive_staking::state::Totals;
use bithive_vesting::msg::{ExecuteMsg as VestingMsg, QueryMsg as VestingQuery, SchedulesResponse};
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

#[test]
fn economics_flow_on_artifacts() {
    let probe = bithive_vm_host::Chain::new(bithive_vm_host::ChainConfig::default()).unwrap();
    let chain_names: Vec<String> = (0..3).map(|i| probe.addr(&format!("operator{i}"))).collect();
    let mut w = VmWorld::new(&chain_names, 2_000 * BTK);
    let genesis = w.chain.block().time.seconds();
    let keys: Vec<_> = (0..3u8).map(|i| signing_key(&[i + 40; 32]).unwrap()).collect();
    for (i, op) in chain_names.iter().enumerate() {
        let reg = StakingMsg::RegisterNode { capacity_t: 4, tier: Tier::T1, operator_key: public_key(&keys[i]) };
        w.chain.execute(&w.staking, op, &reg, &[]).unwrap();
        let (btk, staking) = (w.btk.clone(), w.staking.clone());
        w.send(&btk, op, &staking, 400 * BTK, &Bond::Bond {});
    }
    for _ in 0..3 {
        w.chain.advance(DAY);
        w.chain.execute(&w.emission, &w.gov, &bithive_emission::msg::ExecuteMsg::Distribute {}, &[]).unwrap();
        for op in &chain_names {
            let m = RewardsMsg::ReportWork { node: op.clone(), units: Uint128::new(100), enode: inputs() };
            w.chain.execute(&w.rewards, &w.reporter, &m, &[]).unwrap();
        }
    }
    w.chain.advance(DAY);
    let r: NodeRewardsResponse = w
        .chain
        .query(&w.rewards, &RewardsQuery::NodeRewards { node: chain_names[0].clone() })
        .unwrap();
    // Three equal nodes share the compute pool of the three closed epochs (days 1-3 funding).
    let compute = Split::of_cumulative(due(3 * DAY)).compute.u128();
    let third = compute / 3;
    assert!(r.claimable.u128() <= third && third - r.claimable.u128() <= 3, "{} vs {third}", r.claimable);
    let before = w.balance(&w.btk, &chain_names[0]);
    w.chain.execute(&w.rewards, &chain_names[0], &RewardsMsg::ClaimCompute {}, &[]).unwrap();
    let paid_now = w.balance(&w.btk, &chain_names[0]) - before;
    assert_eq!(paid_now, r.claimable.u128() / 5);
    let sched: SchedulesResponse = w
        .chain
        .query(
            &w.vesting,
            &VestingQuery::SchedulesByBeneficiary { beneficiary: chain_names[0].clone(), start_after: None, limit: None },
        )
        .unwrap();
    assert_eq!(sched.schedules[0].amount.u128(), r.claimable.u128() - paid_now);
    w.chain.advance(DAY);
    w.chain.execute(&w.vesting, &chain_names[0], &VestingMsg::Claim { ids: vec![sched.schedules[0].id] }, &[]).unwrap();
    assert_eq!(w.balance(&w.btk, &chain_names[0]) - before, paid_now + sched.schedules[0].amount.u128() / 180);

    // Fraud evidence, verified by the host's secp256k1.
    let att = |result: u8| {
        let a = Attestation {
            chain_id: "bithive-local-1".into(),
            contract: w.rewards.clone(),
            job_id: "job-1".into(),
            kind: AttestationKind::ComputeWork,
            result_hash: Hash32([result; 32]),
            commitments: vec![],
            issued_at: genesis,
            nonce: result as u64,
            signer: public_key(&keys[1]),
        };
        Box::new(sign(a, &keys[1]).unwrap())
    };
    let ev = StakingMsg::SubmitEvidence { first: att(1), second: att(2) };
    w.chain.execute(&w.staking, &chain_names[2], &ev, &[]).unwrap();
    assert!(w.chain.execute(&w.staking, &chain_names[2], &ev, &[]).is_err(), "replayed evidence");
    let totals: Totals = w.chain.query(&w.staking, &StakingQuery::Totals {}).unwrap();
    assert_eq!(totals.slashed.u128(), 80 * BTK);
    assert_eq!(w.balance(&w.btk, &w.treasury), 80 * BTK);
    assert_eq!(w.balance(&w.btk, &w.staking), (totals.bonded + totals.unbonding).u128());

    // Emission minted exactly the carried split of due(now).
    let st: bithive_emission::msg::StatusResponse =
        w.chain.query(&w.emission, &bithive_emission::msg::QueryMsg::Status {}).unwrap();
    assert_eq!(st.minted, Split::of_cumulative(due(3 * DAY)).total());
}
