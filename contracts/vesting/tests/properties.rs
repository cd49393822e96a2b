//! Vesting invariants under random schedules and random claim/distribute/revoke times:
//! nothing is released before it vests, and claims plus returns never exceed the funding (the
//! contract's balance always equals funded - released - returned).

use bithive_vesting::contract::{execute, instantiate, query};
use bithive_vesting::curve::{Curve, Point};
use bithive_vesting::msg::{
    Asset, ExecuteMsg, InstantiateMsg, NewSchedule, QueryMsg, SchedulesResponse, TotalsResponse,
};
use cosmwasm_std::{coin, coins, Uint128};
use cw_multi_test::{AppBuilder, ContractWrapper, Executor};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Wait(u64),
    Claim(usize),
    Distribute(usize),
    Revoke(usize),
}

fn curve_strategy() -> impl Strategy<Value = (u128, u8, u64, u64, u64, u128)> {
    // amount, kind, cliff, period, steps, immediate percent
    (
        1_000u128..1_000_000,
        0u8..3,
        0u64..5_000,
        1u64..2_000,
        1u64..50,
        0u128..=100,
    )
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..20_000).prop_map(Op::Wait),
        (0usize..8).prop_map(Op::Claim),
        (0usize..8).prop_map(Op::Distribute),
        (0usize..8).prop_map(Op::Revoke),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn released_never_exceeds_vested_nor_funding(
        curves in proptest::collection::vec(curve_strategy(), 1..8),
        ops in proptest::collection::vec(op_strategy(), 1..40),
    ) {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let funder = app.api().addr_make("funder");
        let revoker = app.api().addr_make("revoker");
        let users: Vec<_> = (0..8).map(|i| app.api().addr_make(&format!("user{i}"))).collect();
        app.init_modules(|r, _, st| r.bank.init_balance(st, &funder, vec![coin(u128::MAX / 2, "ubtk")]).unwrap());
        let id = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
        let v = app
            .instantiate_contract(id, funder.clone(), &InstantiateMsg { owner: funder.to_string(), cw20_allowlist: vec![] }, &[], "v", None)
            .unwrap();
        let now = app.block_info().time.seconds();
        let mut schedules = vec![];
        let mut total = 0u128;
        for (i, (amount, kind, cliff, period, steps, pct)) in curves.iter().cloned().enumerate() {
            let curve = match kind {
                0 => Curve::Stepped { start: now, immediate: Uint128::new(amount * pct / 100), cliff, period, steps },
                1 => Curve::Piecewise { points: vec![
                    Point { at: now + cliff, amount: Uint128::zero() },
                    Point { at: now + cliff, amount: Uint128::new(amount * pct / 100) },
                    Point { at: now + cliff + period * steps, amount: Uint128::new(amount) },
                ] },
                _ => Curve::contributor(now + cliff, Uint128::new(amount)),
            };
            schedules.push(NewSchedule {
                beneficiary: users[i].to_string(),
                revoker: if i % 2 == 0 { Some(revoker.to_string()) } else { None },
                amount: Uint128::new(amount),
                curve,
            });
            total += amount;
        }
        let n = schedules.len();
        app.execute_contract(funder.clone(), v.clone(), &ExecuteMsg::Create { schedules }, &coins(total, "ubtk")).unwrap();
        for op in ops {
            match op {
                Op::Wait(s) => app.update_block(|b| b.time = b.time.plus_seconds(s)),
                Op::Claim(i) => { let _ = app.execute_contract(users[i % n].clone(), v.clone(), &ExecuteMsg::Claim { ids: vec![(i % n) as u64 + 1] }, &[]); }
                Op::Distribute(i) => { let _ = app.execute_contract(funder.clone(), v.clone(), &ExecuteMsg::Distribute { ids: vec![(i % n) as u64 + 1] }, &[]); }
                Op::Revoke(i) => { let _ = app.execute_contract(revoker.clone(), v.clone(), &ExecuteMsg::Revoke { id: (i % n) as u64 + 1 }, &[]); }
            }
            let all: SchedulesResponse = app.wrap().query_wasm_smart(&v, &QueryMsg::Schedules { start_after: None, limit: Some(100) }).unwrap();
            let mut received = 0u128;
            for (i, s) in all.schedules.iter().enumerate() {
                // Nothing released before it vests.
                prop_assert!(s.released <= s.vested_now);
                prop_assert!(s.vested_now <= s.cap && s.cap <= s.amount);
                // The beneficiary's balance is exactly what was released to it.
                let bal = app.wrap().query_balance(&users[i], "ubtk").unwrap().amount;
                prop_assert_eq!(bal, s.released);
                received += s.released.u128();
            }
            let t: TotalsResponse = app.wrap().query_wasm_smart(&v, &QueryMsg::Totals { asset: Asset::Native("ubtk".into()) }).unwrap();
            prop_assert_eq!(t.released.u128(), received);
            prop_assert!(t.released + t.returned <= t.funded);
            let held = app.wrap().query_balance(&v, "ubtk").unwrap().amount;
            prop_assert_eq!(held, t.funded - t.released - t.returned);
        }
    }
}
