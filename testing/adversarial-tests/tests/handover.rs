//! The controller's hand-over, attacked on the committed artifacts of a whole deployment. Every
//! governed contract (governance, admin or owner) changes hands in two steps, in cw-ownable's
//! protocol (the tokens' own): the controller proposes, the proposed account accepts. So:
//! - a mistyped or unsignable address takes nothing: until someone accepts, the old controller
//!   keeps every power and can correct the proposal;
//! - a stranger can neither propose nor accept, and an attempt leaves every storage unchanged;
//! - nobody can leave a contract without a controller (`renounce_ownership` is refused).
//!
//! Before this, `update_config { governance | admin }`, `update_admin` and `update_owner` handed
//! the contract over at once to whatever address was sent.

use bithive_adversarial_tests::{governed, refused, Plan, World};
use bithive_interface::staking;
use cw_ownable::{Action, Ownership};
use serde_json::{json, Value};

/// cw-ownable's errors, which the contracts return unchanged.
const NOT_OWNER: &str = "Caller is not the contract's current owner";
const NOT_PENDING: &str = "Caller is not the contract's pending owner";
const NO_TRANSFER: &str = "There isn't a pending ownership transfer";

fn handover(action: Action) -> Value {
    json!({ "update_ownership": action })
}

fn transfer(to: &str) -> Value {
    handover(Action::TransferOwnership {
        new_owner: to.into(),
        expiry: None,
    })
}

fn ownership(w: &World, contract: &str) -> Ownership<String> {
    w.query(contract, &json!({ "ownership": {} }))
}

fn controller(w: &World, contract: &str, field: &str) -> String {
    let config: Value = w.query(contract, &json!({ "config": {} }));
    config[field]
        .as_str()
        .unwrap_or_else(|| panic!("{contract}: config has no {field}: {config}"))
        .to_string()
}

#[test]
fn a_stranger_can_neither_propose_nor_accept() {
    let mut w = World::deploy(Plan::default());
    let stranger = w.addr("stranger");
    let deployer = w.deployer.clone();
    let accounts = [stranger.as_str(), deployer.as_str()];
    let before = w.snapshot(&accounts);
    for (_, addr, _) in governed(&w) {
        let r = w.exec(&stranger, &addr, &transfer(&stranger));
        refused(r, NOT_OWNER);
        let r = w.exec(&stranger, &addr, &handover(Action::AcceptOwnership));
        refused(r, NO_TRANSFER);
        let r = w.exec(&stranger, &addr, &handover(Action::RenounceOwnership));
        refused(r, NOT_OWNER);
    }
    w.assert_unchanged(&before, &accounts);
}

#[test]
fn a_mistyped_hand_over_takes_no_contract() {
    let mut w = World::deploy(Plan::default());
    let gov = w.deployer.clone();
    // An address nobody in this test ever signs for: a typo's stand-in.
    let typo = w.addr("typo");
    let dao = w.addr("dao");
    let stranger = w.addr("stranger");
    for (name, addr, field) in governed(&w) {
        assert_eq!(
            controller(&w, &addr, field),
            gov,
            "{name} starts with the deployer"
        );

        // The fat finger: the contract does not change hands, the proposal only waits.
        w.ok(&gov, &addr, &transfer(&typo));
        assert_eq!(
            controller(&w, &addr, field),
            gov,
            "{name}: a proposal hands nothing"
        );
        let o = ownership(&w, &addr);
        assert_eq!(o.owner.as_deref(), Some(gov.as_str()), "{name}");
        assert_eq!(o.pending_owner.as_deref(), Some(typo.as_str()), "{name}");
        // Nobody else can accept in the typo's place, the old controller included.
        for who in [&stranger, &dao, &gov] {
            let r = w.exec(who, &addr, &handover(Action::AcceptOwnership));
            refused(r, NOT_PENDING);
        }

        // The controller corrects it: the replaced proposal is gone (the typo's account, were
        // someone to hold it, can no longer accept); only the intended account completes it.
        w.ok(&gov, &addr, &transfer(&dao));
        let r = w.exec(&typo, &addr, &handover(Action::AcceptOwnership));
        refused(r, NOT_PENDING);
        w.ok(&dao, &addr, &handover(Action::AcceptOwnership));
        let r = w.exec(&typo, &addr, &handover(Action::AcceptOwnership));
        refused(r, NO_TRANSFER);
        assert_eq!(controller(&w, &addr, field), dao, "{name} is the DAO's");
        let o = ownership(&w, &addr);
        assert_eq!(
            (o.owner.as_deref(), o.pending_owner),
            (Some(dao.as_str()), None)
        );

        // The old controller is now a stranger to it, and the new one cannot renounce.
        let r = w.exec(&gov, &addr, &transfer(&gov));
        refused(r, NOT_OWNER);
        let r = w.exec(&dao, &addr, &handover(Action::RenounceOwnership));
        refused(r, "cannot be left without a controller");
    }

    // The powers moved with the role: staking's governance messages answer to the DAO only.
    let set_size = staking::ExecuteMsg::UpdateConfig {
        compliance: None,
        slash_recipient: None,
        work_reporter: None,
        fraud_slash: None,
        attestor_set_size: Some(5),
        min_bond: None,
        topup_grace_seconds: None,
    };
    let staking_addr = w.c.staking.clone();
    refused(w.exec(&gov, &staking_addr, &set_size), "unauthorized");
    w.ok(&dao, &staking_addr, &set_size);
}
