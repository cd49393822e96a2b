//! The deployer as attacker: after the platform is wired as `bithive deploy` wires it, nobody
//! (the deployer included) can add a BTK minter, raise an allowance or mint BTT. BTK is issued
//! only by emission, within the cap; BTT's supply is fixed at instantiation.

use bithive_economics_tests::{Ledger, MultiTest, World, BTK};
use bithive_token::msg::{
    ExecuteMsg, MintInfoResponse, MinterAllowance, MintersResponse, QueryMsg,
};
use cosmwasm_std::Uint128;

fn supply(w: &World<MultiTest>, token: &str) -> u128 {
    let info: cw20::TokenInfoResponse = w.query(token, &QueryMsg::TokenInfo {});
    info.total_supply.u128()
}

#[test]
fn deployer_cannot_issue_beyond_emission() {
    let ledger = MultiTest::new();
    let op = ledger.addr("operator");
    let mut w = World::new(ledger, std::slice::from_ref(&op), 1_000 * BTK);
    let (gov, btk, btt, emission) = (
        w.gov.clone(),
        w.btk.clone(),
        w.btt.clone(),
        w.emission.clone(),
    );
    let (btk_before, btt_before) = (supply(&w, &btk), supply(&w, &btt));

    // BTK: emission is the only minter, and nobody owns the token.
    let minters: MintersResponse = w.query(
        &btk,
        &QueryMsg::Minters {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(minters.minters.len(), 1);
    assert_eq!(minters.minters[0].minter, emission);
    let owner: cw_ownable::Ownership<String> = w.query(&btk, &QueryMsg::Ownership {});
    assert_eq!(owner.owner, None);

    for token in [&btk, &btt] {
        // The deployer appoints itself minter, or raises emission's allowance: refused.
        for minter in [gov.clone(), emission.clone()] {
            let e = w.exec(
                &gov,
                token,
                &ExecuteMsg::SetMinter {
                    minter,
                    allowance: Uint128::new(1_000_000 * BTK),
                },
            );
            assert!(e.is_err(), "set_minter on {token} must fail");
        }
        // It mints directly, or takes ownership back: refused.
        let e = w.exec(
            &gov,
            token,
            &ExecuteMsg::Mint {
                recipient: gov.clone(),
                amount: Uint128::new(BTK),
            },
        );
        assert!(e.is_err(), "mint on {token} must fail");
        let e = w.exec(
            &gov,
            token,
            &ExecuteMsg::UpdateOwnership(cw_ownable::Action::TransferOwnership {
                new_owner: gov.clone(),
                expiry: None,
            }),
        );
        assert!(e.is_err(), "ownership of {token} must be gone");
    }
    // BTT: no minter and nothing left under its cap.
    let btt_minters: MintersResponse = w.query(
        &btt,
        &QueryMsg::Minters {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(btt_minters.minters, Vec::<MinterAllowance>::new());
    let info: MintInfoResponse = w.query(&btt, &QueryMsg::MintInfo {});
    assert_eq!(info.remaining, Some(Uint128::zero()));
    // No balance moved.
    assert_eq!(supply(&w, &btk), btk_before);
    assert_eq!(supply(&w, &btt), btt_before);
}
