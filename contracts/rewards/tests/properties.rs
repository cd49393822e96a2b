//! Sum of compute-pool claims never exceeds its funding, under random funding, reports (full and
//! half rate nodes), claims and epoch changes; the contract always holds funded - paid.

mod common;

use bithive_rewards::msg::{ExecuteMsg, ReceiveMsg};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Fund(u128),
    Report(usize, u128),
    Claim(usize),
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u128..10_000_000).prop_map(Op::Fund),
        (0usize..3, 1u128..1_000).prop_map(|(i, u)| Op::Report(i, u)),
        (0usize..3).prop_map(Op::Claim),
        (1u64..3).prop_map(|d| Op::Wait(d * DAY / 2)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn claims_never_exceed_funding(ops in proptest::collection::vec(op(), 1..40)) {
        let mut s = suite(3);
        s.join(0, 400 * BTK);
        s.join(1, 100 * BTK);
        s.join(2, 400 * BTK);
        let mut claimed = 0u128;
        for o in ops {
            match o {
                Op::Fund(a) => s.fund(ReceiveMsg::FundComputePool {}, a).unwrap(),
                Op::Report(i, u) => s.report(i, u).unwrap(),
                Op::Claim(i) => {
                    let n = s.nodes[i].clone();
                    let before = s.balance(&s.btk.clone(), &n) + s.balance(&s.btk.clone(), &s.vesting.clone());
                    if s.exec(&n, &ExecuteMsg::ClaimCompute {}).is_ok() {
                        claimed += s.balance(&s.btk.clone(), &n) + s.balance(&s.btk.clone(), &s.vesting.clone()) - before;
                    }
                }
                Op::Wait(d) => s.advance(d),
            }
            let p = s.pool();
            prop_assert_eq!(p.paid.u128(), claimed);
            prop_assert!(p.paid <= p.funded);
            // Recycled halves are allocated a second time, never more.
            prop_assert!(p.allocated <= p.funded + p.recycled);
            prop_assert_eq!(s.balance(&s.btk.clone(), &s.rewards.clone()), p.funded.u128() - p.paid.u128());
        }
    }
}
