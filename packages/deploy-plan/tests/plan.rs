//! The plan driven by a driver that only hands out addresses: order, messages, admins and
//! wiring as the deployment must have them, and a driver that strays refused.

use std::collections::BTreeMap;

use bithive_deploy_plan::{
    Artifact, DaoMember, DaoParams, DeployConfig, DeployPlan, Deployment, Driver, Execute,
    Instantiate, Outcome, PlanError, Role, Step, UpdateAdmin, Wiring, DAO_GOVERNED,
};
use bithive_interface::{
    asset_nft, attestation, dao, data_vault, emission, fractional, ics20, ics721, model_registry,
    payfi_escrow, rewards, staking, token, vesting,
};
use bithive_signed_attestation::AttestationKind;
use cosmwasm_std::{Decimal, Uint128};
use proptest::prelude::*;
use serde::de::DeserializeOwned;

const DEPLOYER: &str = "deployer";

/// Everything a driver was asked to do, and the deployment.
#[derive(Default)]
struct Run {
    stored: Vec<Artifact>,
    instantiated: Vec<Instantiate>,
    executed: Vec<Execute>,
    admins: Vec<UpdateAdmin>,
    deployment: Deployment,
}

impl Driver for Run {
    type Error = PlanError;
    fn run(&mut self, step: &Step) -> Result<Outcome, PlanError> {
        Ok(match step {
            Step::Store(artifact) => {
                self.stored.push(*artifact);
                let code_id = self.stored.len() as u64;
                let checksum = format!("sum{code_id}");
                Outcome::Stored { code_id, checksum }
            }
            Step::Instantiate(i) => {
                self.instantiated.push(i.clone());
                Outcome::Instantiated(format!("contract{}", self.instantiated.len()))
            }
            Step::Execute(e) => {
                self.executed.push(e.clone());
                Outcome::Executed
            }
            Step::UpdateAdmin(u) => {
                self.admins.push(u.clone());
                Outcome::Executed
            }
        })
    }
}

/// Drives `config` to the end: code ids 1.., addresses `contract<n>`.
fn drive(config: DeployConfig) -> Run {
    let plan = DeployPlan::new(config, "test-1", DEPLOYER, 1_700_000_000).unwrap();
    let mut run = Run::default();
    run.deployment = plan.drive(&mut run).unwrap();
    run
}

fn msg<T: DeserializeOwned>(run: &Run, role: Role) -> T {
    let i = run
        .instantiated
        .iter()
        .find(|i| i.role == role)
        .unwrap_or_else(|| panic!("{role:?} not instantiated"));
    serde_json::from_value(i.msg.clone()).unwrap_or_else(|e| panic!("{role:?}: {e}"))
}

fn wiring<T: DeserializeOwned>(run: &Run, w: Wiring) -> (String, T) {
    let e = run
        .executed
        .iter()
        .find(|e| e.wiring == w)
        .unwrap_or_else(|| panic!("{w:?} not executed"));
    (
        e.contract.clone(),
        serde_json::from_value(e.msg.clone()).unwrap(),
    )
}

#[test]
fn the_default_plan_deploys_all_fourteen_contracts_once_each_wired_as_documented() {
    let run = drive(DeployConfig::default());
    let d = &run.deployment;
    let c = &d.contracts;
    // Every artifact stored once, every role instantiated once, with its own artifact's code.
    assert_eq!(run.stored, Artifact::ALL.to_vec());
    let roles: Vec<Role> = run.instantiated.iter().map(|i| i.role).collect();
    assert_eq!(roles, Role::ALL.to_vec());
    for i in &run.instantiated {
        let role = i.role;
        assert_eq!(
            i.code_id,
            d.codes[role.artifact().kind()].code_id,
            "{role:?}"
        );
        assert_eq!(i.label, format!("bithive-{}", role.label()));
        let want = match role {
            // Nobody may migrate the tokens unless a token admin is configured.
            Role::Btk | Role::Btt => None,
            _ => Some(DEPLOYER.to_string()),
        };
        assert_eq!(i.admin, want, "{role:?} wasm admin");
    }
    assert!(c.all().all(|(_, a)| !a.is_empty()));
    assert_eq!(d.codes.len(), 14);

    // BTK: capped at emission's whole supply, no balance, owned by the deployer until renounced.
    let btk: token::InstantiateMsg = msg(&run, Role::Btk);
    assert_eq!(btk.cap, Some(Uint128::new(bithive_formulas::emission::CAP)));
    assert!(btk.initial_balances.is_empty() && btk.minters.is_empty());
    assert_eq!((btk.symbol.as_str(), btk.decimals), ("BTK", 6));
    // BTT: the whole supply to the deployer, cap = supply.
    let btt: token::InstantiateMsg = msg(&run, Role::Btt);
    let supply = DeployConfig::default().btt_supply;
    assert_eq!(btt.cap, Some(supply));
    assert_eq!(btt.initial_balances.len(), 1);
    assert_eq!(btt.initial_balances[0].amount, supply);

    let v: vesting::InstantiateMsg = msg(&run, Role::Vesting);
    assert_eq!(v.cw20_allowlist, vec![c.btk.clone(), c.btt.clone()]);
    let s: staking::InstantiateMsg = msg(&run, Role::Staking);
    assert_eq!((s.token.as_str(), s.genesis), (c.btk.as_str(), d.genesis));
    let r: rewards::InstantiateMsg = msg(&run, Role::Rewards);
    assert_eq!(
        (
            r.btk.as_str(),
            r.btt.as_str(),
            r.staking.as_str(),
            r.vesting.as_str()
        ),
        (
            c.btk.as_str(),
            c.btt.as_str(),
            c.staking.as_str(),
            c.vesting.as_str()
        )
    );
    let e: emission::InstantiateMsg = msg(&run, Role::Emission);
    assert_eq!(e.token, c.btk);
    assert_eq!(
        (e.compute_pool.as_str(), e.app_pool.as_str()),
        (c.rewards.as_str(), c.rewards.as_str())
    );
    assert_eq!(e.vesting, c.vesting);
    assert_eq!(e.genesis, Some(d.genesis));
    let f: fractional::InstantiateMsg = msg(&run, Role::Fractional);
    assert_eq!(f.share_code_id, d.codes["asset_shares"].code_id);
    assert_eq!(f.nft_contracts, vec![c.asset_nft.clone()]);
    let _: asset_nft::InstantiateMsg = msg(&run, Role::AssetNft);
    let p: payfi_escrow::InstantiateMsg = msg(&run, Role::PayfiEscrow);
    assert_eq!(p.staking, Some(c.staking.clone()));
    assert!(p.reporters.is_empty(), "reporters only through the wiring");
    let a: attestation::InstantiateMsg = msg(&run, Role::Attestation);
    assert_eq!(a.escrow, Some(c.payfi_escrow.clone()));
    assert_eq!(a.rewards, Some(c.rewards.clone()));
    assert_eq!(a.asset_nft, Some(c.asset_nft.clone()));
    assert_eq!(a.quorum_threshold, 3);
    let m: model_registry::InstantiateMsg = msg(&run, Role::ModelRegistry);
    assert_eq!(m.evaluator, Some(c.attestation.clone()));
    assert_eq!(m.escrow, Some(c.payfi_escrow.clone()));
    let _: data_vault::InstantiateMsg = msg(&run, Role::DataVault);
    let i: ics20::InitMsg = msg(&run, Role::Ics20);
    let allowed: Vec<_> = i.allowlist.iter().map(|a| a.contract.clone()).collect();
    assert_eq!(allowed, vec![c.btt.clone(), c.btk.clone()]);
    assert_eq!(i.gov_contract, DEPLOYER);
    let n: ics721::InstantiateMsg = msg(&run, Role::Ics721);
    assert_eq!(n.governance, DEPLOYER);
    assert_eq!(n.asset_nft_code_id, d.codes["asset_nft"].code_id);
    assert!(n.peers.is_empty(), "no IBC peer until governance pins one");
    assert_eq!(n.default_timeout_seconds, 600);

    // Wiring, in order, each to the contract it names.
    let order: Vec<Wiring> = run.executed.iter().map(|e| e.wiring).collect();
    assert_eq!(
        order,
        vec![
            Wiring::EmissionMintsBtk,
            Wiring::FundPatientPool,
            Wiring::StakingWorkReporter,
            Wiring::RewardsReporter,
            Wiring::EscrowReporter,
            Wiring::RewardsServedByEscrow,
            Wiring::EscrowTellsRewards,
            Wiring::AssetNftValuer,
            Wiring::AttestationModelRegistry,
            Wiring::RenounceBtk,
            Wiring::RenounceBtt,
        ]
    );
    for e in &run.executed {
        assert_eq!(e.contract, c.get(e.wiring.contract()), "{:?}", e.wiring);
    }
    let (_, set_minter): (_, token::ExecuteMsg) = wiring(&run, Wiring::EmissionMintsBtk);
    match set_minter {
        token::ExecuteMsg::SetMinter { minter, allowance } => {
            assert_eq!(minter, c.emission);
            assert_eq!(allowance, btk.cap.unwrap(), "allowance = the whole cap");
        }
        other => panic!("{other:?}"),
    }
    let (_, reporters): (_, payfi_escrow::ExecuteMsg) = wiring(&run, Wiring::EscrowReporter);
    assert!(
        matches!(reporters, payfi_escrow::ExecuteMsg::UpdateReporters { add, .. } if add == vec![c.attestation.clone()])
    );
    // ADR 007: rewards counts the escrow's outcomes, and the escrow tells rewards.
    let (_, served): (_, rewards::ExecuteMsg) = wiring(&run, Wiring::RewardsServedByEscrow);
    assert!(
        matches!(served, rewards::ExecuteMsg::UpdateConfig { escrow: Some(e), reporter: None, .. } if e == c.payfi_escrow)
    );
    let (_, tells): (_, payfi_escrow::ExecuteMsg) = wiring(&run, Wiring::EscrowTellsRewards);
    assert!(
        matches!(tells, payfi_escrow::ExecuteMsg::UpdateConfig { rewards: Some(r), model_registry: None, .. } if r == c.rewards)
    );
    let (_, renounce): (_, token::ExecuteMsg) = wiring(&run, Wiring::RenounceBtt);
    assert_eq!(renounce, bithive_deploy_plan::renounce_ownership());
}

#[test]
fn configured_admins_and_treasury_reach_every_message_that_names_them() {
    let mut config = DeployConfig {
        token_admin: Some("dao".into()),
        treasury: Some("treasury".into()),
        emission_genesis: Some(1_600_000_000),
        btt_patient_pool: Uint128::zero(),
        ..DeployConfig::default()
    };
    config.ics20.admin = Some("ibc-gov".into());
    let run = drive(config);
    for i in &run.instantiated {
        if matches!(i.role, Role::Btk | Role::Btt) {
            assert_eq!(i.admin.as_deref(), Some("dao"));
        }
    }
    let e: emission::InstantiateMsg = msg(&run, Role::Emission);
    assert_eq!(
        (e.foundation.as_str(), e.operations.as_str()),
        ("treasury", "treasury")
    );
    assert_eq!(e.genesis, Some(1_600_000_000));
    let s: staking::InstantiateMsg = msg(&run, Role::Staking);
    assert_eq!(s.slash_recipient, "treasury");
    let p: payfi_escrow::InstantiateMsg = msg(&run, Role::PayfiEscrow);
    assert_eq!(p.fee_collector, "treasury");
    let i: ics20::InitMsg = msg(&run, Role::Ics20);
    assert_eq!(i.gov_contract, "ibc-gov");
    // No patient pool: no funding step.
    assert!(run
        .executed
        .iter()
        .all(|e| e.wiring != Wiring::FundPatientPool));
}

fn with_dao() -> DeployConfig {
    DeployConfig {
        dao: Some(DaoParams {
            members: vec![
                DaoMember {
                    addr: "alice".into(),
                    weight: 2,
                },
                DaoMember {
                    addr: "bob".into(),
                    weight: 1,
                },
            ],
            pass_percent: Some(Decimal::percent(60)),
            ..DaoParams::default()
        }),
        ..DeployConfig::default()
    }
}

#[test]
fn with_a_dao_the_deployer_hands_every_power_over_and_keeps_none() {
    let run = drive(with_dao());
    let dao = run.deployment.contracts.dao.clone();
    // The DAO's five codes after BitHive's fourteen; the DAO instantiated first.
    let mut stored = Artifact::ALL.to_vec();
    stored.extend(Artifact::DAO);
    assert_eq!(run.stored, stored);
    assert_eq!(run.instantiated[0].role, Role::Dao);
    assert_eq!(dao, "contract1");
    let core: dao::core::InstantiateMsg = msg(&run, Role::Dao);
    assert_eq!(core.admin.as_deref(), Some(DEPLOYER), "bootstrap admin");
    let voting: dao::voting_cw4::InstantiateMsg =
        serde_json::from_slice(core.voting_module_instantiate_info.msg.as_slice()).unwrap();
    let dao::voting_cw4::GroupContract::New {
        initial_members, ..
    } = voting.group_contract
    else {
        panic!("a new group");
    };
    assert_eq!(
        initial_members
            .iter()
            .map(|m| (m.addr.as_str(), m.weight))
            .collect::<Vec<_>>(),
        [("alice", 2), ("bob", 1)]
    );
    let proposals: dao::proposal_single::InstantiateMsg =
        serde_json::from_slice(core.proposal_modules_instantiate_info[0].msg.as_slice()).unwrap();
    assert_eq!(
        proposals.threshold,
        dao::proposal_single::Threshold::AbsolutePercentage {
            percentage: dao::proposal_single::PercentageThreshold::Percent(Decimal::percent(60))
        }
    );
    assert!(proposals.only_members_execute);
    assert!(matches!(
        proposals.pre_propose_info,
        dao::proposal_single::PreProposeInfo::ModuleMayPropose { .. }
    ));
    // Every contract that may migrate has the DAO as wasm admin from its instantiation.
    for i in &run.instantiated {
        let want = match i.role {
            Role::Btk | Role::Btt => None,
            Role::Dao => Some(DEPLOYER),
            _ => Some(dao.as_str()),
        };
        assert_eq!(i.admin.as_deref(), want, "{:?} wasm admin", i.role);
    }
    // The DAO is compliance, ICS-20 admin, treasury and foundation.
    let s: staking::InstantiateMsg = msg(&run, Role::Staking);
    assert_eq!(
        (s.compliance.as_str(), s.slash_recipient.as_str()),
        (dao.as_str(), dao.as_str())
    );
    let n: asset_nft::InstantiateMsg = msg(&run, Role::AssetNft);
    assert_eq!(n.compliance_officer, dao);
    let e: emission::InstantiateMsg = msg(&run, Role::Emission);
    assert_eq!(
        (e.foundation.as_str(), e.operations.as_str()),
        (dao.as_str(), dao.as_str())
    );
    let p: payfi_escrow::InstantiateMsg = msg(&run, Role::PayfiEscrow);
    assert_eq!(p.fee_collector, dao);
    let i: ics20::InitMsg = msg(&run, Role::Ics20);
    assert_eq!(i.gov_contract, dao);
    let n: ics721::InstantiateMsg = msg(&run, Role::Ics721);
    assert_eq!(n.governance, dao, "the DAO pins ICS-721 peers");
    // Each governed contract proposed to the DAO, then accepted by the DAO in one call.
    for role in DAO_GOVERNED {
        let (to, m): (_, serde_json::Value) = wiring(&run, Wiring::HandOver(role));
        assert_eq!(to, run.deployment.contracts.get(role));
        assert_eq!(
            m,
            serde_json::json!({ "update_ownership": { "transfer_ownership": {
                "new_owner": dao, "expiry": null } } })
        );
    }
    let (to, accept): (_, serde_json::Value) = wiring(&run, Wiring::DaoAcceptsControl);
    assert_eq!(to, dao);
    let msgs = accept["execute_admin_msgs"]["msgs"].as_array().unwrap();
    assert_eq!(msgs.len(), DAO_GOVERNED.len());
    // Then the DAO becomes its own admin and its own wasm admin, before the tokens are renounced.
    let (_, own): (_, serde_json::Value) = wiring(&run, Wiring::DaoGovernsItself);
    assert_eq!(
        own,
        serde_json::json!({ "nominate_admin": { "admin": null } })
    );
    assert_eq!(run.admins.len(), 1);
    assert_eq!(
        (
            run.admins[0].role,
            run.admins[0].contract.as_str(),
            run.admins[0].new_admin.as_str()
        ),
        (Role::Dao, dao.as_str(), dao.as_str())
    );
    let last: Vec<Wiring> = run
        .executed
        .iter()
        .rev()
        .take(2)
        .map(|e| e.wiring)
        .collect();
    assert_eq!(last, [Wiring::RenounceBtt, Wiring::RenounceBtk]);
}

#[test]
fn a_dao_no_one_could_run_is_refused() {
    let refused = |f: &dyn Fn(&mut DaoParams)| {
        let mut c = with_dao();
        f(c.dao.as_mut().unwrap());
        DeployPlan::new(c, "c", DEPLOYER, 1)
            .unwrap_err()
            .to_string()
    };
    assert!(refused(&|d| d.members.clear()).contains("members is empty"));
    assert!(refused(&|d| d.members[1].weight = 0).contains("weight 0"));
    assert!(refused(&|d| d.members[1].addr = "alice".into()).contains("listed twice"));
    assert!(refused(&|d| d.members[1].addr = " ".into()).contains("empty address"));
    assert!(refused(&|d| d.pass_percent = Some(Decimal::zero())).contains("pass_percent"));
    assert!(refused(&|d| d.pass_percent = Some(Decimal::percent(101))).contains("pass_percent"));
    assert!(refused(&|d| d.voting_period_seconds = 0).contains("voting_period_seconds"));
    assert!(refused(&|d| {
        d.members[0].weight = u64::MAX;
    })
    .contains("2^64"));
    // The deployer may not keep the tokens' or ICS-20's admin beside a DAO.
    let keeps = |f: &dyn Fn(&mut DeployConfig)| {
        let mut c = with_dao();
        f(&mut c);
        DeployPlan::new(c, "c", DEPLOYER, 1)
            .unwrap_err()
            .to_string()
    };
    assert!(keeps(&|c| c.token_admin = Some(DEPLOYER.into())).contains("must not be the deployer"));
    assert!(keeps(&|c| c.ics20.admin = Some(DEPLOYER.into())).contains("must not be the deployer"));
    // A DAO file parses on its own and refuses typos.
    let file = "name = \"Council\"\nvoting_period_seconds = 60\n\
                [[members]]\naddr = \"alice\"\nweight = 1\n";
    let dao = DaoParams::from_toml(file).unwrap();
    assert_eq!((dao.name.as_str(), dao.members.len()), ("Council", 1));
    assert!(DaoParams::from_toml(&file.replace("weight", "wieght")).is_err());
}

#[test]
fn a_driver_that_strays_from_the_plan_is_refused() {
    let mut plan = DeployPlan::new(DeployConfig::default(), "c", DEPLOYER, 1).unwrap();
    let first = plan.poll().unwrap().unwrap();
    assert_eq!(first, Step::Store(Artifact::Token));
    // An answer of the wrong kind.
    assert!(matches!(
        plan.report(&first, Outcome::Executed),
        Err(PlanError::Driver(_))
    ));
    // Asking again before reporting.
    assert!(matches!(plan.poll(), Err(PlanError::NotReported(_))));
    // Reporting another artifact, or an instantiation.
    assert!(matches!(
        plan.stored(Artifact::Emission, 1, "x"),
        Err(PlanError::OutOfOrder { .. })
    ));
    assert!(matches!(
        plan.instantiated(Role::Btk, "a"),
        Err(PlanError::OutOfOrder { .. })
    ));
    // The right report goes through after the wrong ones.
    plan.stored(Artifact::Token, 1, "x").unwrap();
    assert!(matches!(
        plan.executed(Wiring::RenounceBtk),
        Err(PlanError::OutOfOrder { .. })
    ));
    // Finishing early.
    assert!(matches!(plan.finish(), Err(PlanError::Unfinished(_))));
}

#[test]
fn an_empty_address_is_not_an_instantiation() {
    let mut plan = DeployPlan::new(DeployConfig::default(), "c", DEPLOYER, 1).unwrap();
    while let Some(Step::Store(artifact)) = plan.poll().unwrap() {
        plan.stored(artifact, 1, "x").unwrap();
    }
    assert!(matches!(
        plan.instantiated(Role::Btk, ""),
        Err(PlanError::Driver(_))
    ));
}

#[test]
fn configs_no_deployment_may_use_are_refused_before_any_step() {
    let refused = |c: DeployConfig| DeployPlan::new(c, "c", DEPLOYER, 1).unwrap_err();
    let d = DeployConfig::default;
    assert!(refused(DeployConfig { decimals: 8, ..d() })
        .to_string()
        .contains("decimals must be 6"));
    assert!(refused(DeployConfig {
        btt_supply: Uint128::zero(),
        ..d()
    })
    .to_string()
    .contains("btt_supply"));
    assert!(refused(DeployConfig {
        btt_patient_pool: Uint128::new(2),
        btt_supply: Uint128::new(1),
        ..d()
    })
    .to_string()
    .contains("exceeds"));
    let mut c = d();
    c.ics20.default_timeout_seconds = 0;
    assert!(refused(c).to_string().contains("timeout"));
}

#[test]
fn deploy_toml_sets_what_it_names_and_refuses_typos() {
    // Issue #20: by default every kind paid from a pool or setting a price needs a quorum.
    let empty = DeployConfig::from_toml("").unwrap();
    assert_eq!(empty, DeployConfig::default());
    assert_eq!(
        empty.attestation.quorum_kinds,
        vec![
            AttestationKind::ComputeWork,
            AttestationKind::Valuation,
            AttestationKind::PatientActivity
        ]
    );
    assert!(empty.attestation.ibc_peers.is_empty());
    let plan = DeployConfig::from_toml(
        r#"
        [attestation]
        quorum_kinds = ["valuation", "compute_work", "patient_activity"]
        ibc_peers = [{ connection_id = "connection-0", port_id = "wasm.peer" }]
        "#,
    )
    .unwrap();
    assert_eq!(
        plan.attestation.quorum_kinds,
        vec![
            AttestationKind::Valuation,
            AttestationKind::ComputeWork,
            AttestationKind::PatientActivity
        ]
    );
    assert_eq!(plan.attestation.ibc_peers[0].port_id, "wasm.peer");
    // A typo is an error, not a silently ignored field.
    assert!(DeployConfig::from_toml("[attestation]\nquorum_kind = []").is_err());
    assert!(DeployConfig::from_toml("[attestation]\nquorum_kinds = [\"bogus\"]").is_err());
    // A genesis BTK allocation is for test worlds: deploy.toml cannot ask for one.
    assert!(DeployConfig::from_toml(
        "test_btk_allocations = [{ address = \"me\", amount = \"1\" }]"
    )
    .is_err());
    assert!(DeployConfig::from_toml("decimals = 18").is_err());
}

#[test]
fn the_deployment_json_keeps_its_format_and_reads_older_and_newer_files() {
    let run = drive(DeployConfig::default());
    let json = serde_json::to_value(&run.deployment).unwrap();
    let keys: Vec<&str> = json["contracts"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
    names.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, names, "contracts are keyed by role name");
    assert!(
        json.get("fees").is_none(),
        "fees only when the driver knows them"
    );
    // A file from before #23/#25 (no registry, vault, ics20) and one with a contract this
    // version does not know both read.
    let mut old = json.clone();
    for k in ["model_registry", "data_vault", "ics20"] {
        old["contracts"].as_object_mut().unwrap().remove(k);
    }
    let back: Deployment = serde_json::from_value(old).unwrap();
    assert_eq!(back.contracts.ics20, "");
    let mut newer = json;
    newer["contracts"]["dao_core"] = "dao".into();
    newer["governance"] = serde_json::json!({"dao": "dao"});
    let back: Deployment = serde_json::from_value(newer).unwrap();
    assert_eq!(back.contracts.btk, run.deployment.contracts.btk);
}

proptest! {
    /// Whatever a chain team configures, every address a message names is the deployer, a
    /// configured account or a contract the plan made before that message.
    #[test]
    fn messages_name_only_accounts_the_plan_knows(
        pool in 0u64..1_000,
        treasury in proptest::option::of("[a-z]{3,8}"),
        token_admin in proptest::option::of("[a-z]{3,8}"),
        ics20_admin in proptest::option::of("[a-z]{3,8}"),
    ) {
        let mut config = DeployConfig {
            btt_patient_pool: Uint128::from(pool),
            treasury: treasury.clone(),
            token_admin: token_admin.clone(),
            ..DeployConfig::default()
        };
        config.ics20.admin = ics20_admin.clone();
        let run = drive(config);
        let mut known: BTreeMap<String, ()> = [DEPLOYER.to_string()]
            .into_iter()
            .chain(treasury)
            .chain(token_admin)
            .chain(ics20_admin)
            .map(|a| (a, ()))
            .collect();
        // The driver's addresses are `contract<n>`: each one a message names must exist.
        fn named(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if s.starts_with("contract") => out.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|x| named(x, out)),
                serde_json::Value::Object(o) => o.values().for_each(|x| named(x, out)),
                _ => {}
            }
        }
        let check = |m: &serde_json::Value, known: &BTreeMap<String, ()>| {
            let mut found = vec![];
            named(m, &mut found);
            for s in found {
                prop_assert!(known.contains_key(&s), "{} named before it exists", s);
            }
            Ok(())
        };
        for (n, i) in run.instantiated.iter().enumerate() {
            check(&i.msg, &known)?;
            known.insert(format!("contract{}", n + 1), ());
        }
        for e in &run.executed {
            prop_assert!(known.contains_key(&e.contract));
            check(&e.msg, &known)?;
        }
    }
}
