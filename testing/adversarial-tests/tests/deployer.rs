//! The deployer: after the deploy's final steps (`bithive deploy` renounces the ownership of
//! both tokens last, `packages/deploy-plan`) the deploying account cannot mint BTK or BTT, make
//! itself or anyone a minter, raise emission's allowance, take ownership back or migrate the
//! token code. The same messages as `testing/economics-tests/tests/issuance.rs`, replayed on
//! the committed artifacts.

use bithive_adversarial_tests::{contract_error, renounce_ownership, Plan, World, BTK};
use bithive_interface::token::{ExecuteMsg, MintInfoResponse, MintersResponse, QueryMsg};
use bithive_vm_host::HostError;
use cosmwasm_std::Uint128;

/// cw-ownable's `OwnershipError::NoOwner`.
const NO_OWNER: &str = "Contract ownership has been renounced";

#[test]
fn the_deployer_cannot_issue_after_the_deploy() {
    let mut w = World::deploy(Plan::default());
    let me = w.deployer.clone();
    let c = w.c.clone();
    let accounts = [me.as_str()];
    let before = w.snapshot(&accounts);
    let (btk_supply, btt_supply) = (w.supply(&c.btk), w.supply(&c.btt));
    let (btk_mine, btt_mine) = (w.btk(&me), w.btt(&me));

    // BTK: emission is the only minter; nobody owns either token.
    let minters: MintersResponse = w.query(
        &c.btk,
        &QueryMsg::Minters {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(minters.minters.len(), 1);
    assert_eq!(minters.minters[0].minter, c.emission);
    for token in [&c.btk, &c.btt] {
        let owner: cw_ownable::Ownership<String> = w.query(token, &QueryMsg::Ownership {});
        assert_eq!(owner.owner, None, "{token} has no owner");
        assert_eq!(
            w.chain.contract_info(token).expect("token").admin,
            None,
            "nobody may migrate the token code"
        );
    }

    for token in [&c.btk, &c.btt] {
        // It makes itself a minter, or raises emission's allowance.
        for minter in [me.clone(), c.emission.clone()] {
            let e = w.exec(
                &me,
                token,
                &ExecuteMsg::SetMinter {
                    minter,
                    allowance: Uint128::new(1_000_000 * BTK),
                },
            );
            assert_eq!(contract_error(e), NO_OWNER);
        }
        let e = w.exec(
            &me,
            token,
            &ExecuteMsg::RemoveMinter {
                minter: c.emission.clone(),
            },
        );
        assert_eq!(contract_error(e), NO_OWNER);
        // It mints directly.
        let e = w.exec(
            &me,
            token,
            &ExecuteMsg::Mint {
                recipient: me.clone(),
                amount: Uint128::new(BTK),
            },
        );
        assert_eq!(contract_error(e), format!("{me} is not a minter"));
        // It takes ownership back, or renounces again.
        let e = w.exec(
            &me,
            token,
            &ExecuteMsg::UpdateOwnership(cw_ownable::Action::TransferOwnership {
                new_owner: me.clone(),
                expiry: None,
            }),
        );
        assert_eq!(contract_error(e), NO_OWNER);
        let e = w.exec(&me, token, &renounce_ownership());
        assert_eq!(contract_error(e), NO_OWNER);
        // It migrates the token to code it controls (here: the token code itself).
        let code_id = w.chain.contract_info(token).expect("token").code_id;
        let e = w.chain.migrate(
            token,
            &me,
            code_id,
            &bithive_interface::token::MigrateMsg {},
        );
        assert!(
            matches!(e, Err(HostError::Unauthorized(_))),
            "migration of {token} must be refused: {e:?}"
        );
    }

    // BTT: no minter and nothing left under its cap.
    let btt_minters: MintersResponse = w.query(
        &c.btt,
        &QueryMsg::Minters {
            start_after: None,
            limit: None,
        },
    );
    assert!(btt_minters.minters.is_empty());
    let info: MintInfoResponse = w.query(&c.btt, &QueryMsg::MintInfo {});
    assert_eq!(info.remaining, Some(Uint128::zero()));

    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.supply(&c.btk), btk_supply);
    assert_eq!(w.supply(&c.btt), btt_supply);
    assert_eq!(w.btk(&me), btk_mine);
    assert_eq!(w.btt(&me), btt_mine);
}
