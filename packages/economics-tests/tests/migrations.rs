//! Every economics contract migrates to its own (or a newer) version and refuses a downgrade or
//! another contract's code.

use bithive_economics_tests::{emission_code, rewards_code, staking_code, vesting_code, World};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::Executor;

fn check(w: &mut World, contract: Addr, name: &str, own_code: u64, other_code: u64) {
    let gov = w.gov.clone();
    w.app
        .migrate_contract(gov.clone(), contract.clone(), &Empty {}, own_code)
        .unwrap();
    let e = w
        .app
        .migrate_contract(gov.clone(), contract.clone(), &Empty {}, other_code)
        .unwrap_err();
    assert!(format!("{e:#}").contains("contract"), "{name}: {e:#}");
    let mut storage = w.app.contract_storage_mut(&contract);
    cw2::set_contract_version(storage.as_mut(), name, "99.0.0").unwrap();
    drop(storage);
    let e = w
        .app
        .migrate_contract(gov, contract, &Empty {}, own_code)
        .unwrap_err();
    assert!(format!("{e:#}").contains("99.0.0"), "{name}: {e:#}");
}

#[test]
fn migrations_refuse_downgrades_and_foreign_code() {
    let mut w = World::new(&[], 0);
    let codes = [
        w.app.store_code(emission_code()),
        w.app.store_code(vesting_code()),
        w.app.store_code(staking_code()),
        w.app.store_code(rewards_code()),
    ];
    let targets = [
        (w.emission.clone(), "crates.io:bithive-emission"),
        (w.vesting.clone(), "crates.io:bithive-vesting"),
        (w.staking.clone(), "crates.io:bithive-staking"),
        (w.rewards.clone(), "crates.io:bithive-rewards"),
    ];
    for (i, (addr, name)) in targets.into_iter().enumerate() {
        check(&mut w, addr, name, codes[i], codes[(i + 1) % 4]);
    }
}
