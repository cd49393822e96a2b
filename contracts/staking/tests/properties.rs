//! Total staked equals the sum of the pledges (bonded lots and unbonding claims of every node)
//! and the token balance of the contract, under random bonds, unbonds, claims, slashes and time.

mod common;

use bithive_staking::msg::{ExecuteMsg, Tier};
use common::*;
use cosmwasm_std::{Decimal, Uint128};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Bond(usize, u128),
    Unbond(usize, u128),
    Claim(usize),
    Slash(usize, u64),
    Evidence(usize, u8),
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 1u128..500).prop_map(|(i, a)| Op::Bond(i, a * BTK)),
        (0usize..3, 1u128..300).prop_map(|(i, a)| Op::Unbond(i, a * BTK)),
        (0usize..3).prop_map(Op::Claim),
        (0usize..3, 1u64..60).prop_map(|(i, p)| Op::Slash(i, p)),
        (0usize..3, 0u8..4).prop_map(|(i, j)| Op::Evidence(i, j)),
        (1u64..200).prop_map(|d| Op::Wait(d * DAY)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn total_staked_is_sum_of_pledges(ops in proptest::collection::vec(op(), 1..40)) {
        let mut s = suite(3);
        for i in 0..3 {
            s.register(i, 4, Tier::T1).unwrap();
        }
        let gov = s.gov.clone();
        for o in ops {
            let _ = match o {
                Op::Bond(i, a) => s.bond(i, a),
                Op::Unbond(i, a) => { let n = s.nodes[i].clone(); s.exec(&n, &ExecuteMsg::Unbond { amount: Uint128::new(a) }) }
                Op::Claim(i) => { let n = s.nodes[i].clone(); s.exec(&n, &ExecuteMsg::ClaimUnbonded {}) }
                Op::Slash(i, p) => {
                    let msg = ExecuteMsg::Slash { node: s.nodes[i].to_string(), fraction: Decimal::percent(p), reason: "test".into() };
                    s.exec(&gov, &msg)
                }
                Op::Evidence(i, j) => {
                    let job = format!("job-{j}");
                    let msg = ExecuteMsg::SubmitEvidence { first: Box::new(attest(i as u8, &job, "a", 1)), second: Box::new(attest(i as u8, &job, "b", 2)) };
                    s.exec(&gov, &msg)
                }
                Op::Wait(d) => { s.advance(d); Ok(()) }
            };
            let t = s.totals();
            let (mut bonded, mut unbonding) = (0u128, 0u128);
            for i in 0..3 {
                let n = s.node(i);
                prop_assert_eq!(n.bonded, n.lots.iter().map(|l| l.amount).sum::<Uint128>());
                bonded += n.bonded.u128();
                unbonding += n.unbonding.u128();
            }
            prop_assert_eq!(t.bonded.u128(), bonded);
            prop_assert_eq!(t.unbonding.u128(), unbonding);
            prop_assert_eq!(s.balance(&s.staking.clone()), bonded + unbonding);
            prop_assert_eq!(s.balance(&s.treasury.clone()), t.slashed.u128());
        }
    }
}
