//! Every economics contract migrates to its own (or a newer) version and refuses a downgrade or
//! another contract's code.

use bithive_deploy_plan::Artifact;
use bithive_economics_tests::{multi_test, MultiTest, World};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::Executor;

fn check(w: &mut World<MultiTest>, contract: &str, name: &str, own_code: u64, other_code: u64) {
    let (gov, contract) = (Addr::unchecked(&w.gov), Addr::unchecked(contract));
    let app = &mut w.ledger.app;
    app.migrate_contract(gov.clone(), contract.clone(), &Empty {}, own_code)
        .unwrap();
    let e = app
        .migrate_contract(gov.clone(), contract.clone(), &Empty {}, other_code)
        .unwrap_err();
    assert!(format!("{e:#}").contains("contract"), "{name}: {e:#}");
    let mut storage = app.contract_storage_mut(&contract);
    cw2::set_contract_version(storage.as_mut(), name, "99.0.0").unwrap();
    drop(storage);
    let e = app
        .migrate_contract(gov, contract, &Empty {}, own_code)
        .unwrap_err();
    assert!(format!("{e:#}").contains("99.0.0"), "{name}: {e:#}");
}

#[test]
fn migrations_refuse_downgrades_and_foreign_code() {
    let mut w = World::new(MultiTest::new(), &[], 0);
    let codes = [
        Artifact::Emission,
        Artifact::Vesting,
        Artifact::Staking,
        Artifact::Rewards,
    ]
    .map(|a| w.ledger.app.store_code(multi_test(a)));
    let targets = [
        (w.emission.clone(), "crates.io:bithive-emission"),
        (w.vesting.clone(), "crates.io:bithive-vesting"),
        (w.staking.clone(), "crates.io:bithive-staking"),
        (w.rewards.clone(), "crates.io:bithive-rewards"),
    ];
    for (i, (addr, name)) in targets.into_iter().enumerate() {
        check(&mut w, &addr, name, codes[i], codes[(i + 1) % 4]);
    }
}
