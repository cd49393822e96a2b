//! `bithive gov` on a devnet deployment governed by a DAO of three members: typed actions become
//! the messages the contracts take, proposals are shown in plain words, the members' votes pass
//! them and the DAO executes them; what a member's client refuses (issue #44's attacks): a
//! parameter the contract does not have, a migration to a code the deployment never stored, a
//! yes vote on a proposal that calls a contract outside the deployment. An asset mint, the DAO
//! being the asset contract's admin, proposed by a member in words and checked before the vote.

mod common;

use bithive_cli::asset::propose_mint;
use bithive_cli::gov::{check_yes, describe, Action, Asset, Dao, GovError, Target};
use bithive_deploy_plan::gov::explain;
use bithive_deploy_plan::Deployment;
use bithive_interface::asset_nft::{
    AssetClass, AssetMetadataMsg, ComplianceMarker, ExecuteMsg as NftMsg, Jurisdiction,
};
use bithive_interface::dao::proposal_single::{Status, Vote};
use cosmwasm_std::{Decimal, HexBinary, Uint128};
use serde_json::{json, Value};

use common::deployed_devnet_with_dao;

fn refused(r: Result<impl std::fmt::Debug, GovError>, expected: &str) {
    match r {
        Err(GovError::Refused(m)) => assert!(m.contains(expected), "{m}"),
        other => panic!("expected a refusal containing {expected:?}, got {other:?}"),
    }
}

/// A transaction the chain refused, for `expected`.
fn chain_refused(r: Result<impl std::fmt::Debug, GovError>, expected: &str) {
    match r {
        Err(GovError::Chain { source, .. }) => {
            assert!(source.to_string().contains(expected), "{source}")
        }
        other => panic!("expected the chain to refuse ({expected}), got {other:?}"),
    }
}

fn deployment_with_codes() -> Deployment {
    let mut d = Deployment::default();
    d.contracts.staking = "bithive1staking".into();
    d.contracts.payfi_escrow = "bithive1escrow".into();
    d.contracts.model_registry = "bithive1registry".into();
    d.contracts.btt = "bithive1btt".into();
    d.contracts.dao = "bithive1dao".into();
    d.codes.insert(
        "staking".into(),
        bithive_deploy_plan::StoredCode {
            code_id: 4,
            checksum: "00".into(),
        },
    );
    d
}

#[test]
fn typed_actions_become_the_contracts_messages_and_strays_are_refused() {
    let mut d = deployment_with_codes();
    let set = |param: &str, value: &str| Action::SetParam {
        contract: Target::Staking,
        param: param.into(),
        value: value.into(),
    };
    let msg = set("fraud_slash", "0.2").to_msg(&d).unwrap();
    let e = explain(&msg, &d);
    assert_eq!(e.words, r#"staking: update_config {"fraud_slash":"0.2"}"#);
    assert!(e.objection.is_none());
    // A field staking does not have, or a value of the wrong type: refused before any vote.
    refused(set("fraud_slahs", "0.2").to_msg(&d), "no field fraud_slahs");
    refused(set("attestor_set_size", "\"many\"").to_msg(&d), "no field");
    // A migration to a code id the deployment did not store.
    let migrate = |code_id| Action::Migrate {
        contract: Target::Staking,
        code_id,
        msg: "{}".into(),
    };
    refused(
        migrate(99).to_msg(&d),
        "not one of the deployment's stored codes",
    );
    d.codes.insert(
        "rewards".into(),
        bithive_deploy_plan::StoredCode {
            code_id: 5,
            checksum: "01".into(),
        },
    );
    refused(migrate(5).to_msg(&d), "not staking's own code");
    let ok = migrate(4).to_msg(&d).unwrap();
    assert_eq!(
        explain(&ok, &d).words,
        "migrate staking to code 4 (the deployment's staking)"
    );
    // The registry link, a payment in plain words.
    let link = Action::LinkRegistry.to_msg(&d).unwrap();
    assert_eq!(
        explain(&link, &d).words,
        r#"payfi-escrow: update_config {"model_registry":"bithive1registry"}"#
    );
    let pay = Action::Spend {
        to: "bithive1grantee".into(),
        amount: Uint128::new(5),
        asset: "btt".parse::<Asset>().unwrap(),
    };
    assert_eq!(
        explain(&pay.to_msg(&d).unwrap(), &d).words,
        "pay 5 base units of BTT from the treasury to bithive1grantee"
    );
    refused(
        Action::SetCompliance {
            node: "n".into(),
            level: Decimal::percent(150),
        }
        .to_msg(&d),
        "[0, 1]",
    );
    // A message crafted by hand: outside the deployment, or a migration to an unknown code.
    let outside: cosmwasm_std::CosmosMsg = cosmwasm_std::WasmMsg::Execute {
        contract_addr: "bithive1elsewhere".into(),
        msg: cosmwasm_std::to_json_binary(&json!({ "drain": {} })).unwrap(),
        funds: vec![],
    }
    .into();
    assert!(explain(&outside, &d)
        .objection
        .unwrap()
        .contains("not a contract of this deployment"));
    let unknown_code: cosmwasm_std::CosmosMsg = cosmwasm_std::WasmMsg::Migrate {
        contract_addr: "bithive1staking".into(),
        new_code_id: 77,
        msg: cosmwasm_std::to_json_binary(&json!({})).unwrap(),
    }
    .into();
    assert!(explain(&unknown_code, &d)
        .objection
        .unwrap()
        .contains("not one of the deployment's stored codes"));
    // Wrapped or sideways: a message to the DAO itself (its admin, modules, admin messages), a
    // token message other than a treasury transfer, funds sent along, a migration to another
    // contract's code.
    let call = |to: &str, m: Value, funds: Vec<cosmwasm_std::Coin>| -> cosmwasm_std::CosmosMsg {
        cosmwasm_std::WasmMsg::Execute {
            contract_addr: to.into(),
            msg: cosmwasm_std::to_json_binary(&m).unwrap(),
            funds,
        }
        .into()
    };
    let cases = [
        (
            call(
                "bithive1dao",
                json!({ "nominate_admin": { "admin": "bithive1x" } }),
                vec![],
            ),
            "the DAO itself",
        ),
        (
            call(
                "bithive1dao",
                json!({ "execute_admin_msgs": { "msgs": [] } }),
                vec![],
            ),
            "the DAO itself",
        ),
        (
            call(
                "bithive1btt",
                json!({ "send": { "contract": "bithive1x", "amount": "1", "msg": "" } }),
                vec![],
            ),
            "other than a treasury transfer",
        ),
        (
            call(
                "bithive1btt",
                json!({ "increase_allowance": { "spender": "bithive1x", "amount": "1" } }),
                vec![],
            ),
            "other than a treasury transfer",
        ),
        (
            call(
                "bithive1staking",
                json!({ "update_config": { "fraud_slash": "0.2" } }),
                vec![cosmwasm_std::Coin::new(5u128, "ubhive")],
            ),
            "sends funds",
        ),
        (
            cosmwasm_std::WasmMsg::Migrate {
                contract_addr: "bithive1staking".into(),
                new_code_id: 5,
                msg: cosmwasm_std::to_json_binary(&json!({})).unwrap(),
            }
            .into(),
            "not staking's own code",
        ),
    ];
    for (m, why) in cases {
        let e = explain(&m, &d);
        assert!(
            e.objection.as_deref().is_some_and(|o| o.contains(why)),
            "{m:?}: {e:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_govern_a_devnet_deployment_through_proposals() {
    let (devnet, deployer, members, d) = deployed_devnet_with_dao("bithive-gov-test-1", 3).await;
    let dao = Dao::of(&deployer, &d).await.unwrap();
    let (m0, m1, m2) = (&members[0], &members[1], &members[2]);

    // A parameter: proposed, two of three vote yes, executed by the DAO.
    let raise = Action::SetParam {
        contract: Target::Staking,
        param: "fraud_slash".into(),
        value: "\"0.2\"".into(),
    }
    .to_msg(&d)
    .unwrap();
    let id = dao
        .propose(m0, "Raise the fraud slash", "20 %", vec![raise])
        .await
        .unwrap();
    let p = dao.proposal(&deployer, id).await.unwrap();
    assert_eq!(p.proposal.status, Status::Open);
    let words = describe(&p, &d);
    assert!(
        words.contains(r#"staking: update_config {"fraud_slash":"0.2"}"#),
        "{words}"
    );
    // The deployer is no member: it can neither propose nor vote.
    chain_refused(
        dao.propose(&deployer, "mine", "mine", vec![]).await,
        "not allowed to submit proposals",
    );
    chain_refused(
        dao.vote(&deployer, id, Vote::Yes).await,
        "not registered to vote",
    );
    dao.vote(m0, id, Vote::Yes).await.unwrap();
    chain_refused(dao.execute(m0, id).await, "not in 'passed' state");
    dao.vote(m1, id, Vote::Yes).await.unwrap();
    dao.execute(m2, id).await.unwrap();
    chain_refused(dao.execute(m2, id).await, "not in 'passed' state");
    let config: Value = deployer
        .query_typed(&d.contracts.staking, &json!({ "config": {} }))
        .await
        .unwrap();
    assert_eq!(config["fraud_slash"], "0.2");
    let listed = dao.newest(&deployer, 10).await.unwrap();
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].proposal.status, Status::Executed);

    // An asset: the asset contract's admin is the DAO, so a member's mint is a proposal, which
    // reads as the mint in words; passed and executed, the asset is its owner's. Refused before
    // any vote: an owner the compliance officer never approved for an approved-holders-only
    // jurisdiction, an id that exists.
    let mint = |jurisdiction: &str, markers: Vec<ComplianceMarker>| NftMsg::Mint {
        token_id: "mri-1".into(),
        owner: m2.address().to_string(),
        token_uri: None,
        extension: AssetMetadataMsg {
            class: AssetClass::MedicalEquipment,
            description_uri: "ipfs://scanner-manual".into(),
            content_hash: HexBinary::from(vec![7u8; 32]),
            jurisdictions: vec![Jurisdiction {
                code: jurisdiction.into(),
                markers,
            }],
            certifications: vec![],
            device_pubkey: None,
        },
    };
    let proposals = dao.newest(&deployer, 50).await.unwrap().len();
    let err = propose_mint(
        m0,
        &d,
        &mint("EU", vec![ComplianceMarker::ApprovedHoldersOnly]),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("is not approved to hold assets of jurisdiction EU"),
        "{err:#}"
    );
    assert_eq!(dao.newest(&deployer, 50).await.unwrap().len(), proposals);
    let regulated = mint("US", vec![ComplianceMarker::MedicalDeviceRegulated]);
    let minting = propose_mint(m0, &d, &regulated).await.unwrap();
    let p = dao.proposal(&deployer, minting).await.unwrap();
    let words = describe(&p, &d);
    assert!(
        words.contains(&format!(
            "mint asset mri-1 (medical equipment) to {}: document ipfs://scanner-manual (sha256 {}); jurisdictions US (medical device regulated)",
            m2.address(),
            "07".repeat(32)
        )) && !words.contains("WARNING"),
        "{words}"
    );
    check_yes(&p, &d, false).unwrap();
    dao.vote(m0, minting, Vote::Yes).await.unwrap();
    dao.vote(m1, minting, Vote::Yes).await.unwrap();
    dao.execute(m1, minting).await.unwrap();
    let owner: Value = deployer
        .query_typed(
            &d.contracts.asset_nft,
            &json!({ "owner_of": { "token_id": "mri-1" } }),
        )
        .await
        .unwrap();
    assert_eq!(owner["owner"], m2.address());
    let err = propose_mint(m0, &d, &regulated).await.unwrap_err();
    assert!(format!("{err:#}").contains("exists already"), "{err:#}");

    // A proposal a member crafted to call outside the deployment: the others' clients refuse a
    // yes; they vote no and it is rejected.
    let outside: cosmwasm_std::CosmosMsg = cosmwasm_std::WasmMsg::Execute {
        contract_addr: deployer.address().to_string(),
        msg: cosmwasm_std::to_json_binary(&json!({ "drain": {} })).unwrap(),
        funds: vec![],
    }
    .into();
    let bad = dao
        .propose(m2, "Harmless", "trust me", vec![outside])
        .await
        .unwrap();
    let p = dao.proposal(&deployer, bad).await.unwrap();
    assert!(describe(&p, &d).contains("WARNING"));
    refused(
        check_yes(&p, &d, false),
        "not a contract of this deployment",
    );
    dao.vote(m0, bad, Vote::No).await.unwrap();
    dao.vote(m1, bad, Vote::No).await.unwrap();
    let p = dao.proposal(&deployer, bad).await.unwrap();
    assert_eq!(p.proposal.status, Status::Rejected);

    // A message kind this client's cosmwasm-std does not read (DAO DAO 1.5's form of a gov
    // vote), proposed straight through the pre-propose module: the proposals still list and
    // show, the message raw with a warning, and a yes is refused.
    let gov_vote = json!({ "propose": { "msg": { "propose": {
        "title": "Vote on the chain's proposal 1", "description": "a gov vote", "vote": null,
        "msgs": [{ "gov": { "vote": { "proposal_id": 1, "vote": "yes" } } }] } } } });
    m2.execute_batch(&[(dao.pre_propose.clone(), gov_vote)])
        .await
        .unwrap();
    let listed = dao.newest(&deployer, 10).await.unwrap();
    let unread = listed[0].id;
    assert!(unread > bad, "{listed:?}");
    let p = dao.proposal(&deployer, unread).await.unwrap();
    let shown = describe(&p, &d);
    assert!(
        shown.contains("a message this client cannot read") && shown.contains("WARNING"),
        "{shown}"
    );
    refused(check_yes(&p, &d, false), "cannot read");

    // The command line reads the same proposals.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployment.json");
    std::fs::write(&file, serde_json::to_string(&d).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bithive"))
        .args(["gov", "show", &id.to_string(), "--rpc", &devnet.rpc_url()])
        .arg("--deployment")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("status: executed"), "{stdout}");
    assert!(
        stdout.contains("votes: yes 2 / no 0 / abstain 0 of 3"),
        "{stdout}"
    );
    devnet.shutdown().await;
}
