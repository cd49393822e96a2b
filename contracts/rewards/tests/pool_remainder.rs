//! Issue #20: the remainder of each epoch's (or funding's) division was credited again at the
//! next one, so a pool paid more than it was funded. These attacks must now pay at most what was
//! funded, with the remainder carried.

mod common;

use bithive_rewards::msg::{AppPool, ExecuteMsg, QueryMsg, ReceiveMsg};
use common::*;
use cosmwasm_std::{Addr, Uint128};

/// Three equal nodes, 10 base units funded once, work in every following epoch: before the fix
/// the unallocated unit was shared again each epoch and the nodes were paid 21 of 10.
#[test]
fn compute_pool_never_pays_more_than_funded() {
    let mut s = suite(3);
    for i in 0..3 {
        s.join(i, 400 * BTK);
    }
    // Other BTK held by the contract (the app pool) that the compute pool must not reach.
    s.fund(ReceiveMsg::FundAppPool {}, 1_000).unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 10).unwrap();
    for _ in 0..13 {
        for i in 0..3 {
            s.report(i, 1).unwrap();
        }
        s.advance(DAY);
    }
    let mut paid = 0;
    for i in 0..3 {
        let n = s.nodes[i].clone();
        let before = s.balance(&s.btk.clone(), &n);
        let _ = s.exec(&n, &ExecuteMsg::ClaimCompute {});
        paid += s.balance(&s.btk.clone(), &n) - before;
    }
    let p = s.pool();
    assert_eq!(p.funded.u128(), 10);
    assert!(paid <= 10, "compute pool funded 10, paid {paid}");
    assert_eq!(p.paid.u128(), paid);
}

/// Three equal developers, 10 base units funded; every `set_developer` by governance spread the
/// floored-away unit again: before the fix the developers were paid 15 of 10.
#[test]
fn app_pool_never_pays_more_than_funded() {
    let mut s = suite(3);
    let gov = s.gov.clone();
    let devs: Vec<Addr> = s.nodes.clone();
    let set = |d: &Addr| ExecuteMsg::SetDeveloper {
        developer: d.to_string(),
        weight: Uint128::one(),
    };
    for d in &devs {
        s.exec(&gov, &set(d)).unwrap();
    }
    // Other BTK held by the contract (the compute pool, no work yet) that the app pool must not reach.
    s.fund(ReceiveMsg::FundComputePool {}, 1_000).unwrap();
    s.fund(ReceiveMsg::FundAppPool {}, 10).unwrap();
    for _ in 0..6 {
        s.exec(&gov, &set(&devs[0])).unwrap();
    }
    let mut paid = 0;
    for d in &devs {
        let before = s.balance(&s.btk.clone(), d);
        let _ = s.exec(d, &ExecuteMsg::ClaimApp {});
        paid += s.balance(&s.btk.clone(), d) - before;
    }
    let p: AppPool = s
        .app
        .wrap()
        .query_wasm_smart(&s.rewards, &QueryMsg::AppPool {})
        .unwrap();
    assert_eq!(p.funded.u128(), 10);
    assert!(paid <= 10, "app pool funded 10, paid {paid}");
    assert_eq!(p.paid.u128(), paid);
}
