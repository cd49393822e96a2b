//! cw-multi-test suite of the model registry: publishing, versions, deprecation, who may set
//! accuracy and record jobs, field validation, pagination and migration.

mod common;

use bithive_cw_test_fixtures::suite::instantiate_migratable;
use bithive_cw_test_fixtures::{addrs, assert_migrate_refusals, cloned, contract, contract_err};
use bithive_model_registry::msg::*;
use bithive_model_registry::ContractError;
use common::{publish, registry_contract, registry_init, CID};
use cosmwasm_std::{Addr, Decimal, Empty, Uint128};
use cw_multi_test::{App, AppResponse, Contract, Executor};

struct T {
    app: App,
    reg: Addr,
    admin: Addr,
    owner: Addr,
    rival: Addr,
    evaluator: Addr,
    escrow: Addr,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    contract_err(r)
}

/// Whether an event of `r` has the attribute `key` = `value`.
fn has_attr(r: &AppResponse, key: &str, value: &str) -> bool {
    r.events
        .iter()
        .flat_map(|e| &e.attributes)
        .any(|a| a.key == key && a.value == value)
}

/// The registry with its migrate entry point.
fn migratable_registry() -> Box<dyn Contract<Empty>> {
    contract!(bithive_model_registry, migrate)
}

fn setup() -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n); admin, owner, rival, evaluator, escrow);
    let code = app.store_code(migratable_registry());
    let init = registry_init(&evaluator, &escrow);
    let reg = instantiate_migratable(&mut app, code, &admin, &init, "models");
    T {
        app,
        reg,
        admin,
        owner,
        rival,
        evaluator,
        escrow,
    }
}

/// [`setup`], then the owner publishes `retina-cnn` v1 (model 1).
fn with_model() -> T {
    let mut t = setup();
    let owner = t.owner.clone();
    t.publish(&owner, publish("retina-cnn", 1)).unwrap();
    t
}

impl T {
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.reg.clone(), &msg, &[])
    }
    fn publish(&mut self, who: &Addr, m: PublishMsg) -> anyhow::Result<AppResponse> {
        let who = who.clone();
        self.exec(&who, ExecuteMsg::Publish(m))
    }
    fn q<R: serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> R {
        self.app.wrap().query_wasm_smart(&self.reg, &msg).unwrap()
    }
    fn model(&self, model_id: u64) -> ModelResponse {
        self.q(QueryMsg::Model { model_id })
    }
    fn resolve(&self, model: &str) -> Option<ModelResponse> {
        self.q(QueryMsg::Resolve {
            model: model.into(),
        })
    }
}

#[test]
fn publish_then_query_by_id_name_version_and_reference() {
    let mut t = setup();
    let owner = t.owner.clone();
    let r = t.publish(&owner, publish("retina-cnn", 1)).unwrap();
    assert!(has_attr(&r, "action", "publish_model"));
    let m = t.model(1);
    assert_eq!(m.model.owner, t.owner);
    assert_eq!(m.model.price, Uint128::new(250));
    assert_eq!(m.model.jobs_served, 0);
    assert_eq!(m.mean_tscore, None);
    assert_eq!(m.price_asset, AssetInfo::Native("ubtt".into()));
    let latest: ModelResponse = t.q(QueryMsg::Latest {
        name: "retina-cnn".into(),
    });
    assert_eq!(latest.model.id, 1);
    assert_eq!(t.resolve("retina-cnn").unwrap().model.id, 1);
    assert_eq!(t.resolve("retina-cnn@1").unwrap().model.id, 1);
    assert_eq!(t.resolve("retina-cnn@2"), None);
    assert_eq!(t.resolve("unknown"), None);
    assert_eq!(t.resolve("retina-cnn@x"), None);
    let missing = t
        .app
        .wrap()
        .query_wasm_smart::<ModelResponse>(&t.reg, &QueryMsg::Model { model_id: 9 });
    assert!(missing.is_err());
}

#[test]
fn a_new_version_supersedes_the_old_which_stays_queryable() {
    let mut t = with_model();
    let r = t
        .publish(&t.owner.clone(), publish("retina-cnn", 3))
        .unwrap();
    assert!(has_attr(&r, "supersedes", "1"));
    let old = t.model(1);
    assert_eq!(old.model.superseded_by, Some(2));
    assert!(!old.model.deprecated);
    assert_eq!(t.resolve("retina-cnn").unwrap().model.id, 2);
    assert_eq!(t.resolve("retina-cnn@1").unwrap().model.id, 1);
    let versions: ModelsResponse = t.q(QueryMsg::Versions {
        name: "retina-cnn".into(),
        start_after: None,
        limit: None,
    });
    let v: Vec<u32> = versions.models.iter().map(|m| m.model.version).collect();
    assert_eq!(v, vec![1, 3]);
}

#[test]
fn attack_a_rival_cannot_publish_under_anothers_name() {
    let mut t = with_model();
    let (owner, rival) = (t.owner.clone(), t.rival.clone());
    // A higher version from someone else would hijack every job naming the model.
    assert_eq!(
        err(t.publish(&rival, publish("retina-cnn", 2))),
        ContractError::NameTaken {
            name: "retina-cnn".into(),
            owner: owner.to_string()
        }
    );
    assert_eq!(t.resolve("retina-cnn").unwrap().model.owner, owner);
}

#[test]
fn a_new_version_must_be_strictly_higher() {
    let mut t = setup();
    let owner = t.owner.clone();
    t.publish(&owner, publish("retina-cnn", 5)).unwrap();
    for v in [5, 4, 0] {
        assert_eq!(
            err(t.publish(&owner, publish("retina-cnn", v))),
            ContractError::VersionNotHigher {
                name: "retina-cnn".into(),
                latest: 5,
                version: v
            }
        );
    }
}

#[test]
fn only_the_owner_deprecates_once_and_a_deprecated_model_stays_queryable() {
    let mut t = with_model();
    let (owner, rival) = (t.owner.clone(), t.rival.clone());
    assert_eq!(
        err(t.exec(&rival, ExecuteMsg::Deprecate { model_id: 1 })),
        ContractError::Unauthorized {
            role: "model owner"
        }
    );
    t.exec(&owner, ExecuteMsg::Deprecate { model_id: 1 })
        .unwrap();
    assert!(t.model(1).model.deprecated);
    assert!(t.resolve("retina-cnn").unwrap().model.deprecated);
    assert_eq!(
        err(t.exec(&owner, ExecuteMsg::Deprecate { model_id: 1 })),
        ContractError::AlreadyDeprecated { model_id: 1 }
    );
    assert_eq!(
        err(t.exec(&owner, ExecuteMsg::Deprecate { model_id: 7 })),
        ContractError::ModelNotFound { model_id: 7 }
    );
    // A new version after deprecation is a fresh, usable latest.
    t.publish(&owner, publish("retina-cnn", 2)).unwrap();
    assert!(!t.resolve("retina-cnn").unwrap().model.deprecated);
}

fn rekey(model_id: u64, content_id: &str) -> ExecuteMsg {
    ExecuteMsg::Rekey {
        model_id,
        content_id: content_id.into(),
        size_bytes: 1_300_000,
    }
}

/// Issue #23: when the set of nodes allowed to run a model changes, its owner seals it again and
/// points the record at the new file. Only the owner, never to the same or a malformed content
/// id, never for a deprecated model; the hash, price and history stay.
#[test]
fn attack_only_the_owner_rekeys_and_only_to_a_new_content_id() {
    const NEW_CID: &str = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    let mut t = with_model();
    let (owner, rival) = (t.owner.clone(), t.rival.clone());
    let before = t.model(1).model;
    assert_eq!(
        err(t.exec(&rival, rekey(1, NEW_CID))),
        ContractError::Unauthorized {
            role: "model owner"
        }
    );
    assert!(matches!(
        err(t.exec(&owner, rekey(1, CID))),
        ContractError::Invalid {
            field: "content_id",
            ..
        }
    ));
    assert!(matches!(
        err(t.exec(&owner, rekey(1, "not-a-cid"))),
        ContractError::Invalid {
            field: "content_id",
            ..
        }
    ));
    assert!(matches!(
        err(t.exec(
            &owner,
            ExecuteMsg::Rekey {
                model_id: 1,
                content_id: NEW_CID.into(),
                size_bytes: 0
            }
        )),
        ContractError::Invalid {
            field: "size_bytes",
            ..
        }
    ));
    assert_eq!(
        err(t.exec(&owner, rekey(9, NEW_CID))),
        ContractError::ModelNotFound { model_id: 9 }
    );
    assert_eq!(t.model(1).model, before, "nothing changed");

    let r = t.exec(&owner, rekey(1, NEW_CID)).unwrap();
    let attr = |k: &str| {
        r.events
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr("action").as_deref(), Some("rekey_model"));
    assert_eq!(attr("content_id").as_deref(), Some(NEW_CID));
    assert_eq!(attr("previous_content_id").as_deref(), Some(CID));
    let after = t.model(1).model;
    assert_eq!(after.content_id, NEW_CID);
    assert_eq!(after.size_bytes, 1_300_000);
    assert_eq!(
        (
            after.onnx_sha256,
            after.price,
            after.version,
            after.jobs_served
        ),
        (
            before.onnx_sha256,
            before.price,
            before.version,
            before.jobs_served
        )
    );

    t.exec(&owner, ExecuteMsg::Deprecate { model_id: 1 })
        .unwrap();
    assert_eq!(
        err(t.exec(&owner, rekey(1, CID))),
        ContractError::AlreadyDeprecated { model_id: 1 }
    );
}

fn set_accuracy(model_id: u64, pct: u64) -> ExecuteMsg {
    ExecuteMsg::SetAccuracy {
        model_id,
        accuracy: Decimal::percent(pct),
        evaluation: "attestation:eval-42".into(),
        run_cost: None,
    }
}

#[test]
fn attack_only_the_evaluator_sets_accuracy_never_the_owner() {
    let mut t = with_model();
    let (owner, rival, evaluator) = (t.owner.clone(), t.rival.clone(), t.evaluator.clone());
    for who in [&owner, &rival, &t.admin.clone(), &t.escrow.clone()] {
        assert_eq!(
            err(t.exec(who, set_accuracy(1, 99))),
            ContractError::Unauthorized { role: "evaluator" }
        );
    }
    assert_eq!(t.model(1).model.accuracy, None);
    assert!(matches!(
        err(t.exec(&evaluator, set_accuracy(1, 101))),
        ContractError::Invalid {
            field: "accuracy",
            ..
        }
    ));
    t.exec(&evaluator, set_accuracy(1, 91)).unwrap();
    let m = t.model(1).model;
    assert_eq!(m.accuracy, Some(Decimal::percent(91)));
    assert_eq!(m.evaluation.as_deref(), Some("attestation:eval-42"));
    assert_eq!(
        err(t.exec(&evaluator, set_accuracy(8, 50))),
        ContractError::ModelNotFound { model_id: 8 }
    );
}

fn record(model_id: u64, job: &str, tscore: Option<u64>) -> ExecuteMsg {
    ExecuteMsg::RecordJob {
        model_id,
        job_id: job.into(),
        tscore: tscore.map(Decimal::percent),
    }
}

#[test]
fn attack_only_the_escrow_records_jobs() {
    let mut t = with_model();
    cloned!(t => owner, rival, escrow, evaluator);
    // An owner inflating its own track record, or anyone else.
    for who in [&owner, &rival, &evaluator] {
        assert_eq!(
            err(t.exec(who, record(1, "p/j1", Some(100)))),
            ContractError::Unauthorized { role: "escrow" }
        );
    }
    t.exec(&escrow, record(1, "p/j1", Some(80))).unwrap();
    t.exec(&escrow, record(1, "p/j2", None)).unwrap();
    t.exec(&escrow, record(1, "p/j3", Some(90))).unwrap();
    let m = t.model(1);
    assert_eq!(m.model.jobs_served, 3);
    assert_eq!(m.model.tscore_count, 2);
    assert_eq!(m.mean_tscore, Some(Decimal::percent(85)));
    assert!(matches!(
        err(t.exec(&escrow, record(1, "p/j4", Some(101)))),
        ContractError::Invalid {
            field: "tscore",
            ..
        }
    ));
    assert!(matches!(
        err(t.exec(&escrow, record(1, "", None))),
        ContractError::Invalid {
            field: "job_id",
            ..
        }
    ));
    // A deprecated model still records jobs it served before deprecation.
    t.exec(&owner, ExecuteMsg::Deprecate { model_id: 1 })
        .unwrap();
    t.exec(&escrow, record(1, "p/j5", None)).unwrap();
    assert_eq!(t.model(1).model.jobs_served, 4);
}

#[test]
fn unconfigured_roles_refuse() {
    let mut app = App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(registry_contract());
    let init = InstantiateMsg {
        admin: None,
        evaluator: None,
        escrow: None,
        price_asset: AssetInfo::Native("ubtt".into()),
    };
    let reg = app
        .instantiate_contract(code, admin.clone(), &init, &[], "models", None)
        .unwrap();
    let m = ExecuteMsg::Publish(publish("m", 1));
    app.execute_contract(admin.clone(), reg.clone(), &m, &[])
        .unwrap();
    assert_eq!(
        err(app.execute_contract(admin.clone(), reg.clone(), &set_accuracy(1, 50), &[])),
        ContractError::NotConfigured { role: "evaluator" }
    );
    assert_eq!(
        err(app.execute_contract(admin.clone(), reg.clone(), &record(1, "j", None), &[])),
        ContractError::NotConfigured { role: "escrow" }
    );
    // The admin wires them later (the escrow is deployed first or after, either way).
    let e = app.api().addr_make("escrow");
    let upd = ExecuteMsg::UpdateConfig {
        evaluator: None,
        escrow: Some(e.to_string()),
    };
    let stranger = app.api().addr_make("stranger");
    assert_eq!(
        err(app.execute_contract(stranger, reg.clone(), &upd, &[])),
        ContractError::Unauthorized { role: "admin" }
    );
    app.execute_contract(admin, reg.clone(), &upd, &[]).unwrap();
    app.execute_contract(e, reg, &record(1, "j", None), &[])
        .unwrap();
}

#[test]
fn fields_are_bounded_and_shaped() {
    let mut t = setup();
    let owner = t.owner.clone();
    type Mutation = Box<dyn Fn(&mut PublishMsg)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("name", Box::new(|m| m.name = "Retina".into())),
        ("name", Box::new(|m| m.name = "retina@2".into())),
        ("name", Box::new(|m| m.name = "r".repeat(65))),
        ("specialty", Box::new(|m| m.specialty = "".into())),
        ("specialty", Box::new(|m| m.specialty = "s".repeat(33))),
        ("input_spec", Box::new(|m| m.input_spec = "x".repeat(257))),
        (
            "output_spec",
            Box::new(|m| m.output_spec = "tab\there".into()),
        ),
        ("onnx_sha256", Box::new(|m| m.onnx_sha256 = "AB".repeat(32))),
        ("onnx_sha256", Box::new(|m| m.onnx_sha256 = "ab".repeat(33))),
        (
            "content_id",
            Box::new(|m| m.content_id = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o".into()),
        ),
        (
            "content_id",
            Box::new(|m| m.content_id = CID.to_uppercase()),
        ),
        (
            "content_id",
            Box::new(|m| m.content_id = format!("b{}", "a".repeat(200))),
        ),
        ("licence", Box::new(|m| m.licence = "".into())),
        ("size_bytes", Box::new(|m| m.size_bytes = 0)),
    ];
    for (field, mutate) in cases {
        let mut m = publish("retina-cnn", 1);
        mutate(&mut m);
        match err(t.publish(&owner, m)) {
            ContractError::Invalid { field: f, .. } => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // At the bounds.
    let mut m = publish(&"r".repeat(64), u32::MAX);
    m.specialty = "s".repeat(32);
    m.input_spec = "x".repeat(256);
    m.licence = "l".repeat(64);
    m.price = Uint128::zero(); // a free model is allowed
    t.publish(&owner, m).unwrap();
}

#[test]
fn listings_are_paginated_and_bounded() {
    let mut t = setup();
    let (owner, rival) = (t.owner.clone(), t.rival.clone());
    for i in 0..40 {
        let who = if i % 4 == 0 { &rival } else { &owner };
        t.publish(who, publish(&format!("m{i}"), 1)).unwrap();
    }
    let all: ModelsResponse = t.q(QueryMsg::Models {
        start_after: None,
        limit: Some(1_000),
    });
    assert_eq!(all.models.len(), 30);
    let next: ModelsResponse = t.q(QueryMsg::Models {
        start_after: Some(30),
        limit: None,
    });
    assert_eq!(
        next.models.iter().map(|m| m.model.id).collect::<Vec<_>>(),
        (31..=40).collect::<Vec<_>>()
    );
    let rivals: ModelsResponse = t.q(QueryMsg::ModelsByOwner {
        owner: rival.to_string(),
        start_after: None,
        limit: Some(30),
    });
    assert_eq!(rivals.models.len(), 10);
    assert!(rivals.models.iter().all(|m| m.model.owner == rival));
    let after: ModelsResponse = t.q(QueryMsg::ModelsByOwner {
        owner: rival.to_string(),
        start_after: Some(rivals.models[8].model.id),
        limit: None,
    });
    assert_eq!(after.models.len(), 1);
}

#[test]
fn migrate_keeps_state_and_refuses_downgrade_and_other_contracts() {
    let mut t = with_model();
    let code = t.app.store_code(migratable_registry());
    t.app
        .migrate_contract(t.admin.clone(), t.reg.clone(), &MigrateMsg {}, code)
        .unwrap();
    assert_eq!(t.model(1).model.name, "retina-cnn");
    use bithive_model_registry::contract;
    assert_migrate_refusals!(contract, MigrateMsg {}, "9.0.0", "other");
}
