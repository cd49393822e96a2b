//! Governance by a DAO (issue #44, ADR 009), on the committed artifacts: BitHive's contracts and
//! DAO DAO's (dao-dao-core, dao-voting-cw4, cw4-group, dao-proposal-single,
//! dao-pre-propose-single), deployed by the plan `bithive deploy` runs with a `[dao]` of three
//! members. Checked:
//! - after the deploy the DAO holds every power (controller, compliance, wasm admin, treasury,
//!   its own admin) and the deployer none: every governance message of the deployer's is refused;
//! - a proposal's life: only members propose and vote, once each; it executes only after it
//!   passed, once, before nothing else; an expired one never;
//! - the treasury is spent only by proposal.

use bithive_adversarial_tests::{refused, Plan, World, BTK, DAO_VOTING_PERIOD};
use bithive_interface::dao::{self, proposal_single::Status, proposal_single::Vote};
use bithive_vm_host::TxResponse;
use cosmwasm_std::{to_json_binary, CosmosMsg, Decimal, WasmMsg};
use cw_ownable::{Action, Ownership};
use serde_json::{json, Value};

/// Errors of the contracts met here, as they word them.
const NOT_OWNER: &str = "Caller is not the contract's current owner";
const UNAUTHORIZED: &str = "unauthorized";
const COMPLIANCE_ONLY: &str = "unauthorized: compliance officer only";
/// cw-controllers' admin (cw20-ics20's admin, cw4-group's admin).
const NOT_ADMIN: &str = "Caller is not admin";
const DAO_UNAUTHORIZED: &str = "Unauthorized.";
const NOT_A_PROPOSER: &str = "You are not allowed to submit proposals";
const NOT_A_VOTER: &str = "not registered to vote";
const ALREADY_VOTED: &str = "already voted";
const NOT_PASSED: &str = "proposal is not in 'passed' state";
const EXPIRED: &str = "is expired";
const GOVERNANCE_ONLY: &str = "unauthorized: governance only";

/// The DAO's contracts, found from the core as any client would.
struct Dao {
    core: String,
    proposals: String,
    pre_propose: String,
    voting: String,
    group: String,
}

fn dao_world() -> (World, Dao) {
    let mut w = World::deploy(Plan {
        dao_members: 3,
        pledged: 0,
        ..Plan::default()
    });
    // Voting power counts at the start of a proposal's block (cw4 snapshots): the members added
    // by the deploy vote from the next block on, as on a chain.
    w.advance(5);
    let core = w.c.dao.clone();
    assert!(!core.is_empty(), "the deployment names its DAO");
    let voting: String = w.query(&core, &dao::core::QueryMsg::VotingModule {});
    let modules: Vec<dao::core::ProposalModule> = w.query(
        &core,
        &dao::core::QueryMsg::ProposalModules {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(modules.len(), 1, "one proposal module");
    let proposals = modules[0].address.clone();
    let policy: dao::proposal_single::ProposalCreationPolicy = w.query(
        &proposals,
        &dao::proposal_single::QueryMsg::ProposalCreationPolicy {},
    );
    let dao::proposal_single::ProposalCreationPolicy::Module { addr: pre_propose } = policy else {
        panic!("proposals must go through the members-only pre-propose module: {policy:?}");
    };
    let group: String = w.query(&voting, &dao::voting_cw4::QueryMsg::GroupContract {});
    let d = Dao {
        core,
        proposals,
        pre_propose,
        voting,
        group,
    };
    (w, d)
}

fn member(w: &World, i: usize) -> String {
    w.addr(&format!("member{i}"))
}

/// `msg` sent to `contract` by the DAO.
fn call(contract: &str, msg: &impl serde::Serialize) -> CosmosMsg {
    WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg).unwrap(),
        funds: vec![],
    }
    .into()
}

fn propose(w: &mut World, d: &Dao, who: &str, msgs: Vec<CosmosMsg>) -> Result<u64, String> {
    let msg = dao::pre_propose_single::ExecuteMsg::Propose {
        msg: dao::pre_propose_single::ProposeMessage::Propose {
            title: "Raise the fraud slash".into(),
            description: "Test proposal".into(),
            msgs,
            vote: None,
        },
    };
    match w.exec(who, &d.pre_propose, &msg) {
        Ok(tx) => Ok(proposal_id(&tx)),
        Err(e) => Err(e.to_string()),
    }
}

fn proposal_id(tx: &TxResponse) -> u64 {
    tx.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "proposal_id")
        .and_then(|a| a.value.parse().ok())
        .expect("a proposal_id attribute")
}

fn vote(w: &mut World, d: &Dao, who: &str, id: u64, v: Vote) -> Result<TxResponse, String> {
    let msg = dao::proposal_single::ExecuteMsg::Vote {
        proposal_id: id,
        vote: v,
        rationale: None,
    };
    w.exec(who, &d.proposals, &msg).map_err(|e| e.to_string())
}

fn execute(w: &mut World, d: &Dao, who: &str, id: u64) -> Result<TxResponse, String> {
    let msg = dao::proposal_single::ExecuteMsg::Execute { proposal_id: id };
    w.exec(who, &d.proposals, &msg).map_err(|e| e.to_string())
}

fn status(w: &World, d: &Dao, id: u64) -> Status {
    let r: dao::proposal_single::ProposalResponse = w.query(
        &d.proposals,
        &dao::proposal_single::QueryMsg::Proposal { proposal_id: id },
    );
    r.proposal.status
}

#[track_caller]
fn refused_with(r: Result<impl std::fmt::Debug, String>, expected: &str) {
    match r {
        Ok(ok) => panic!("the attack succeeded: {ok:?}"),
        Err(e) => assert!(
            e.contains(expected),
            "refused, but not for the expected reason:\n  expected: {expected}\n  got: {e}"
        ),
    }
}

/// ICS-721: pin a peer whose vouchers `officer` approves holders of.
fn pin_peer(officer: &str) -> Value {
    json!({ "update_peers": { "add": [{ "connection_id": "connection-0",
        "port_id": "wasm.wasm1peerics721", "compliance_officer": officer }], "remove": [] } })
}

fn fraud_slash(w: &World) -> Decimal {
    let config: Value = w.query(&w.c.staking, &json!({ "config": {} }));
    serde_json::from_value(config["fraud_slash"].clone()).unwrap()
}

fn raise_fraud_slash() -> Value {
    json!({ "update_config": {
        "compliance": null, "slash_recipient": null, "work_reporter": null,
        "fraud_slash": "0.2", "attestor_set_size": null
    } })
}

#[test]
fn after_deploy_the_dao_holds_every_power_and_the_deployer_none() {
    let (mut w, d) = dao_world();
    let c = w.c.clone();
    // Every governed contract: the DAO is its controller (ownership and config), nothing pending.
    for (name, addr, field) in bithive_adversarial_tests::governed(&w) {
        let o: Ownership<String> = w.query(&addr, &json!({ "ownership": {} }));
        assert_eq!(o.owner.as_deref(), Some(d.core.as_str()), "{name} owner");
        assert!(
            o.pending_owner.is_none(),
            "{name}: a hand-over left pending"
        );
        let config: Value = w.query(&addr, &json!({ "config": {} }));
        assert_eq!(config[field], json!(d.core), "{name} config {field}");
    }
    // The compliance roles, the ICS-20 admin and the accounts paid to.
    let staking: Value = w.query(&c.staking, &json!({ "config": {} }));
    assert_eq!(staking["compliance"], json!(d.core));
    assert_eq!(staking["slash_recipient"], json!(d.core));
    let nft: Value = w.query(&c.asset_nft, &json!({ "config": {} }));
    assert_eq!(nft["compliance_officer"], json!(d.core));
    let escrow: Value = w.query(&c.payfi_escrow, &json!({ "config": {} }));
    assert_eq!(escrow["fee_collector"], json!(d.core));
    let emission: Value = w.query(&c.emission, &json!({ "config": {} }));
    assert_eq!(
        emission["foundation"],
        json!(d.core),
        "the foundation share"
    );
    let ics20: Value = w.query(&c.ics20, &json!({ "admin": {} }));
    assert_eq!(ics20["admin"], json!(d.core));
    // Wasm admins: the DAO for every contract that may migrate, the DAO's own included; nobody
    // for the tokens.
    for (role, addr) in c.all() {
        let admin = w.chain.contract_info(addr).unwrap().admin;
        let want = match role {
            bithive_deploy_plan::Role::Btk | bithive_deploy_plan::Role::Btt => None,
            _ => Some(d.core.clone()),
        };
        assert_eq!(admin, want, "{role:?} wasm admin");
    }
    for module in [&d.core, &d.proposals, &d.pre_propose, &d.voting, &d.group] {
        let admin = w.chain.contract_info(module).unwrap().admin;
        assert_eq!(
            admin.as_deref(),
            Some(d.core.as_str()),
            "{module} wasm admin"
        );
    }
    // The tokens: ownership renounced.
    for token in [&c.btk, &c.btt] {
        let o: Ownership<String> = w.query(token, &json!({ "ownership": {} }));
        assert!(o.owner.is_none() && o.pending_owner.is_none());
    }
    // The DAO is its own admin, nobody nominated; the members are the configured ones and only
    // the DAO may change them.
    let admin: String = w.query(&d.core, &dao::core::QueryMsg::Admin {});
    assert_eq!(admin, d.core);
    let nomination: dao::core::AdminNominationResponse =
        w.query(&d.core, &dao::core::QueryMsg::AdminNomination {});
    assert!(nomination.nomination.is_none());
    let group_admin: dao::cw4_group::AdminResponse =
        w.query(&d.group, &dao::cw4_group::QueryMsg::Admin {});
    assert_eq!(group_admin.admin.as_deref(), Some(d.core.as_str()));
    let members: dao::cw4_group::MemberListResponse = w.query(
        &d.group,
        &dao::cw4_group::QueryMsg::ListMembers {
            start_after: None,
            limit: None,
        },
    );
    let mut got: Vec<String> = members.members.into_iter().map(|m| m.addr).collect();
    let mut want: Vec<String> = (0..3).map(|i| member(&w, i)).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // The deployer, every governance message: refused, and nothing changes.
    let deployer = w.deployer.clone();
    let accounts = [deployer.as_str()];
    let before = w.snapshot(&accounts);
    for (_, addr, _) in bithive_adversarial_tests::governed(&w) {
        let take = json!({ "update_ownership": Action::TransferOwnership {
            new_owner: deployer.clone(), expiry: None } });
        refused(w.exec(&deployer, &addr, &take), NOT_OWNER);
    }
    refused(
        w.exec(&deployer, &c.staking, &raise_fraud_slash()),
        UNAUTHORIZED,
    );
    let officer = json!({ "approve_holder": { "jurisdiction": "EU", "holder": deployer } });
    refused(w.exec(&deployer, &c.asset_nft, &officer), COMPLIANCE_ONLY);
    let slash = json!({ "slash": { "node": deployer, "fraction": "1", "reason": "mine" } });
    refused(w.exec(&deployer, &c.staking, &slash), UNAUTHORIZED);
    let compliance = json!({ "set_compliance": { "node": deployer, "level": "1" } });
    refused(w.exec(&deployer, &c.staking, &compliance), UNAUTHORIZED);
    let ics20 = json!({ "update_admin": { "admin": deployer } });
    refused(w.exec(&deployer, &c.ics20, &ics20), NOT_ADMIN);
    refused(
        w.exec(&deployer, &c.ics721, &pin_peer(&deployer)),
        GOVERNANCE_ONLY,
    );
    let as_dao = dao::core::ExecuteMsg::ExecuteAdminMsgs {
        msgs: vec![call(&c.staking, &raise_fraud_slash())],
    };
    refused(w.exec(&deployer, &d.core, &as_dao), DAO_UNAUTHORIZED);
    let nominate = dao::core::ExecuteMsg::NominateAdmin {
        admin: Some(deployer.clone()),
    };
    refused(w.exec(&deployer, &d.core, &nominate), DAO_UNAUTHORIZED);
    let join =
        json!({ "update_members": { "add": [{ "addr": deployer, "weight": 100 }], "remove": [] } });
    refused(w.exec(&deployer, &d.group, &join), NOT_ADMIN);
    refused_with(propose(&mut w, &d, &deployer, vec![]), NOT_A_PROPOSER);
    for (role, addr) in c
        .all()
        .chain([(bithive_deploy_plan::Role::Dao, d.core.as_str())])
    {
        let code = w.chain.contract_info(addr).unwrap().code_id;
        match w.chain.migrate(addr, &deployer, code, &json!({})) {
            Err(bithive_vm_host::HostError::Unauthorized(m)) => {
                assert!(m.contains("is not the admin"), "{role:?}: {m}")
            }
            other => panic!("the deployer's migration of {role:?}: {other:?}"),
        }
    }
    w.assert_unchanged(&before, &accounts);
}

#[test]
fn a_proposal_passes_by_the_members_votes_and_executes_once() {
    let (mut w, d) = dao_world();
    let (m0, m1, m2) = (member(&w, 0), member(&w, 1), member(&w, 2));
    let before = fraud_slash(&w);
    let raise = call(&w.c.staking, &raise_fraud_slash());
    let id = propose(&mut w, &d, &m0, vec![raise]).unwrap();
    assert_eq!(status(&w, &d, id), Status::Open);
    // One yes of three: not passed, cannot execute.
    vote(&mut w, &d, &m0, id, Vote::Yes).unwrap();
    refused_with(execute(&mut w, &d, &m0, id), NOT_PASSED);
    // Nobody votes twice; nobody outside the group votes at all.
    refused_with(vote(&mut w, &d, &m0, id, Vote::Yes), ALREADY_VOTED);
    let stranger = w.addr("stranger");
    refused_with(vote(&mut w, &d, &stranger, id, Vote::Yes), NOT_A_VOTER);
    assert_eq!(fraud_slash(&w), before);
    // A second yes: more than half of the total weight; passed.
    vote(&mut w, &d, &m1, id, Vote::Yes).unwrap();
    assert_eq!(status(&w, &d, id), Status::Passed);
    // Only members execute (the DAO's setting).
    refused_with(execute(&mut w, &d, &stranger, id), "unauthorized");
    execute(&mut w, &d, &m2, id).unwrap();
    assert_eq!(status(&w, &d, id), Status::Executed);
    assert_eq!(fraud_slash(&w), Decimal::percent(20));
    refused_with(execute(&mut w, &d, &m2, id), NOT_PASSED);
}

#[test]
fn strangers_cannot_propose_and_an_expired_proposal_never_executes() {
    let (mut w, d) = dao_world();
    let (m0, m1) = (member(&w, 0), member(&w, 1));
    let stranger = w.addr("stranger");
    let raise = call(&w.c.staking, &raise_fraud_slash());
    refused_with(
        propose(&mut w, &d, &stranger, vec![raise.clone()]),
        NOT_A_PROPOSER,
    );
    let id = propose(&mut w, &d, &m0, vec![raise]).unwrap();
    vote(&mut w, &d, &m0, id, Vote::Yes).unwrap();
    w.advance(DAO_VOTING_PERIOD + 1);
    refused_with(vote(&mut w, &d, &m1, id, Vote::Yes), EXPIRED);
    assert_eq!(status(&w, &d, id), Status::Rejected);
    refused_with(execute(&mut w, &d, &m0, id), NOT_PASSED);
    assert_eq!(fraud_slash(&w), Decimal::percent(10));
}

#[test]
fn the_treasury_is_spent_only_by_proposal() {
    let (mut w, d) = dao_world();
    let (m0, m1) = (member(&w, 0), member(&w, 1));
    let btt = w.c.btt.clone();
    let deployer = w.deployer.clone();
    let to_dao = cw20::Cw20ExecuteMsg::Transfer {
        recipient: d.core.clone(),
        amount: (5 * BTK).into(),
    };
    w.ok(&deployer, &btt, &to_dao);
    let grantee = w.addr("grantee");
    let pay = cw20::Cw20ExecuteMsg::Transfer {
        recipient: grantee.clone(),
        amount: (2 * BTK).into(),
    };
    // Nobody moves it directly: not the deployer, not a member.
    for who in [&deployer, &m0] {
        let as_dao = dao::core::ExecuteMsg::ExecuteAdminMsgs {
            msgs: vec![call(&btt, &pay)],
        };
        refused(w.exec(who, &d.core, &as_dao), DAO_UNAUTHORIZED);
    }
    let id = propose(&mut w, &d, &m0, vec![call(&btt, &pay)]).unwrap();
    vote(&mut w, &d, &m0, id, Vote::Yes).unwrap();
    vote(&mut w, &d, &m1, id, Vote::Yes).unwrap();
    execute(&mut w, &d, &m1, id).unwrap();
    assert_eq!(w.cw20_balance(&btt, &grantee), 2 * BTK);
    assert_eq!(w.cw20_balance(&btt, &d.core), 3 * BTK);
}

/// Issue #48: assets across chains are the DAO's to open. An asset's share token (a cw20 from
/// the fractional vault's code) leaves over cw20-ics20 once a proposal allows it, and the
/// ICS-721 contract's peers are pinned by proposal; the deployer can do neither.
#[test]
fn the_dao_lets_share_tokens_leave_over_ics20_and_pins_ics721_peers() {
    let (mut w, d) = dao_world();
    let c = w.c.clone();
    let (m0, m1) = (member(&w, 0), member(&w, 1));
    let fractional: Value = w.query(&c.fractional, &json!({ "config": {} }));
    let share_code = fractional["share_code_id"].as_u64().expect("share_code_id");
    let (shares, _) = w
        .chain
        .instantiate(
            share_code,
            &c.fractional,
            &bithive_interface::asset_shares::InstantiateMsg {
                name: "MRI scanner shares".into(),
                symbol: "MRIS".into(),
                decimals: 6,
                minter: c.fractional.clone(),
                hook: None,
            },
            &[],
            "shares",
            None,
        )
        .unwrap();
    let allowed = |w: &World| -> bool {
        let r: Value = w.query(&c.ics20, &json!({ "allowed": { "contract": shares } }));
        r["is_allowed"].as_bool().unwrap()
    };
    let allow = json!({ "allow": { "contract": shares, "gas_limit": null } });
    let deployer = w.deployer.clone();
    refused(w.exec(&deployer, &c.ics20, &allow), NOT_ADMIN);
    assert!(!allowed(&w));
    let id = propose(
        &mut w,
        &d,
        &m0,
        vec![call(&c.ics20, &allow), call(&c.ics721, &pin_peer(&m0))],
    )
    .unwrap();
    vote(&mut w, &d, &m0, id, Vote::Yes).unwrap();
    vote(&mut w, &d, &m1, id, Vote::Yes).unwrap();
    execute(&mut w, &d, &m0, id).unwrap();
    assert!(allowed(&w), "the share token may leave over cw20-ics20");
    let config: Value = w.query(&c.ics721, &json!({ "config": {} }));
    assert_eq!(
        config["peers"],
        json!([{ "connection_id": "connection-0", "port_id": "wasm.wasm1peerics721",
            "compliance_officer": m0 }])
    );
}
