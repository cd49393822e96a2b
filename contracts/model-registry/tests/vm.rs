//! The committed `artifacts/bithive_model_registry.wasm` (checked against
//! `artifacts/checksums.txt`) executed in cosmwasm-vm 3 through bithive-vm-host, on the
//! adversarial suite's `World` and helpers: publish, a new version supersedes the latest, resolve
//! `name` and `name@version`, only the owner deprecates, only the evaluator sets accuracy, only
//! the escrow records jobs (an account, then the committed payfi-escrow artifact paying a job),
//! pages of at most 30, cw2 and migration. Messages are `bithive_interface::model_registry`'s;
//! every refusal is the text of the contract's own `ContractError` and leaves every contract's
//! storage and every balance exactly as it was.

mod common;

use bithive_adversarial_tests::deployed::Deployed;
use bithive_adversarial_tests::deref_to_deployed;
use bithive_adversarial_tests::{artifacts, contract_error, World};
use bithive_cw_test_fixtures::{addrs, cloned};
use bithive_interface::model_registry::{
    events as ev, AssetInfo, Config, ExecuteMsg, InstantiateMsg, MigrateMsg, ModelResponse,
    ModelsResponse, PublishMsg, QueryMsg,
};
use bithive_interface::{payfi_escrow, WASM_EVENT};
use bithive_model_registry::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use bithive_model_registry::ContractError;
use bithive_vm_host::{coin, HostError, TxResponse};
use common::{publish, CID};
use cosmwasm_std::{Binary, Decimal, Timestamp, Uint128};

/// What prices are in (BTT as a bank denom).
const BTT: &str = "ubtt";
const NAME: &str = "retina-cnn";
const PRICE: u128 = 250;

/// The registry (`vm.ok`, `vm.refused`, `vm.q`, the snapshots: [`Deployed`]) and its accounts.
struct Vm {
    d: Deployed,
    reg: String,
    owner: String,
    rival: String,
    evaluator: String,
    escrow: String,
    /// The deployer.
    admin: String,
}

deref_to_deployed!(Vm, d);

/// The registry artifact, instantiated by the deployer (admin) with an evaluator and an escrow
/// account, prices in [`BTT`].
fn setup() -> Vm {
    let w = World::bare();
    addrs!(|n| w.addr(n); owner, rival, evaluator, escrow);
    let init = InstantiateMsg {
        admin: None,
        evaluator: Some(evaluator.clone()),
        escrow: Some(escrow.clone()),
        price_asset: AssetInfo::Native(BTT.into()),
    };
    let accounts = [&owner, &rival, &evaluator, &escrow].map(String::as_str);
    let artifact = "bithive_model_registry.wasm";
    let d = Deployed::deploy(w, artifact, "bithive-model-registry", &init, &accounts);
    let (reg, admin) = (d.addr.clone(), d.w.deployer.clone());
    Vm {
        d,
        reg,
        owner,
        rival,
        evaluator,
        escrow,
        admin,
    }
}

/// [`setup`], then the owner publishes [`NAME`] v1: the registry and the model id.
fn published() -> (Vm, u64) {
    let mut vm = setup();
    let owner = vm.owner.clone();
    let id = vm.publish(&owner, publish(NAME, 1));
    (vm, id)
}

fn set_accuracy(model_id: u64, pct: u64) -> ExecuteMsg {
    ExecuteMsg::SetAccuracy {
        model_id,
        accuracy: Decimal::percent(pct),
        evaluation: "attestation:eval-42".into(),
        run_cost: None,
    }
}

fn record(model_id: u64, job: &str, tscore: Option<u64>) -> ExecuteMsg {
    ExecuteMsg::RecordJob {
        model_id,
        job_id: job.into(),
        tscore: tscore.map(Decimal::percent),
    }
}

/// The contract error of a query.
fn query_error(r: Result<ModelResponse, HostError>) -> String {
    match r {
        Err(HostError::Contract(m)) => m,
        other => panic!("expected a contract error, got {other:?}"),
    }
}

/// Value of `key` in the `wasm` event of `contract` (a transaction may run several contracts).
fn wasm_attr<'a>(tx: &'a TxResponse, contract: &str, key: &str) -> Option<&'a str> {
    tx.events
        .iter()
        .filter(|e| e.ty == WASM_EVENT)
        .find(|e| {
            e.attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == contract)
        })?
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

impl Vm {
    /// Publishes as `sender`; returns the new model id (from the event).
    #[track_caller]
    fn publish(&mut self, sender: &str, m: PublishMsg) -> u64 {
        let tx = self.ok(sender, &ExecuteMsg::Publish(m));
        assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::PUBLISH_MODEL));
        tx.attr(WASM_EVENT, ev::attr::MODEL_ID)
            .expect("model_id attribute")
            .parse()
            .expect("numeric model id")
    }

    fn model(&self, model_id: u64) -> ModelResponse {
        self.q(&QueryMsg::Model { model_id })
    }

    fn resolve(&self, model: &str) -> Option<ModelResponse> {
        self.q(&QueryMsg::Resolve {
            model: model.into(),
        })
    }

    fn ids(&self, msg: &QueryMsg) -> Vec<u64> {
        let page: ModelsResponse = self.q(msg);
        page.models.iter().map(|m| m.model.id).collect()
    }
}

#[test]
fn publish_supersede_and_resolve_name_and_pinned_version() {
    let mut vm = setup();
    let owner = vm.owner.clone();
    let tx = vm.ok(&owner, &ExecuteMsg::Publish(publish(NAME, 1)));
    for (key, value) in [
        (ev::ACTION, ev::PUBLISH_MODEL),
        (ev::attr::MODEL_ID, "1"),
        (ev::attr::NAME, NAME),
        (ev::attr::VERSION, "1"),
        (ev::attr::OWNER, owner.as_str()),
        (ev::attr::PRICE, "250"),
        (ev::attr::CONTENT_ID, CID),
    ] {
        assert_eq!(tx.attr(WASM_EVENT, key), Some(value), "{key}");
    }
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::SUPERSEDES), None);
    let m = vm.model(1);
    assert_eq!(m.model.owner.as_str(), owner);
    assert_eq!(m.model.price, Uint128::new(PRICE));
    assert_eq!(m.model.published_at, Timestamp::from_seconds(vm.w.now()));
    assert_eq!((m.model.jobs_served, m.model.superseded_by), (0, None));
    assert_eq!((m.mean_tscore, m.model.accuracy), (None, None));
    assert_eq!(m.price_asset, AssetInfo::Native(BTT.into()));

    // Version 3 supersedes 1, which stays queryable and resolvable when pinned.
    vm.w.advance(60);
    let tx = vm.ok(&owner, &ExecuteMsg::Publish(publish(NAME, 3)));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::MODEL_ID), Some("2"));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::SUPERSEDES), Some("1"));
    assert_eq!(vm.model(1).model.superseded_by, Some(2));
    assert_eq!(vm.model(2).model.superseded_by, None);
    let latest: ModelResponse = vm.q(&QueryMsg::Latest { name: NAME.into() });
    assert_eq!((latest.model.id, latest.model.version), (2, 3));
    let v1: ModelResponse = vm.q(&QueryMsg::Version {
        name: NAME.into(),
        version: 1,
    });
    assert_eq!(v1, vm.model(1));
    assert_eq!(vm.resolve(NAME), Some(vm.model(2)));
    assert_eq!(vm.resolve(&format!("{NAME}@1")), Some(vm.model(1)));
    assert_eq!(vm.resolve(&format!("{NAME}@3")), Some(vm.model(2)));
    for nothing in ["retina-cnn@2", "ghost", "retina-cnn@x", "retina-cnn@"] {
        assert_eq!(vm.resolve(nothing), None, "{nothing}");
    }
    let versions = vm.ids(&QueryMsg::Versions {
        name: NAME.into(),
        start_after: None,
        limit: None,
    });
    assert_eq!(versions, vec![1, 2]);

    // Absent models are the contract's errors.
    let missing = vm.w.chain.query(&vm.reg, &QueryMsg::Model { model_id: 9 });
    assert_eq!(
        query_error(missing),
        ContractError::ModelNotFound { model_id: 9 }.to_string()
    );
    let missing = vm.w.chain.query(
        &vm.reg,
        &QueryMsg::Latest {
            name: "ghost".into(),
        },
    );
    assert_eq!(
        query_error(missing),
        ContractError::NameNotFound {
            name: "ghost".into()
        }
        .to_string()
    );
    let missing = vm.w.chain.query(
        &vm.reg,
        &QueryMsg::Version {
            name: NAME.into(),
            version: 2,
        },
    );
    assert_eq!(
        query_error(missing),
        ContractError::VersionNotFound {
            name: NAME.into(),
            version: 2
        }
        .to_string()
    );
}

#[test]
fn a_name_is_its_first_publishers_and_versions_only_grow() {
    let mut vm = setup();
    let (owner, rival) = (vm.owner.clone(), vm.rival.clone());
    vm.publish(&owner, publish(NAME, 5));
    // A rival's higher version would hijack every job naming the model.
    vm.refused(
        &rival,
        &ExecuteMsg::Publish(publish(NAME, 6)),
        ContractError::NameTaken {
            name: NAME.into(),
            owner: owner.clone(),
        },
    );
    for v in [5, 4, 0] {
        vm.refused(
            &owner,
            &ExecuteMsg::Publish(publish(NAME, v)),
            ContractError::VersionNotHigher {
                name: NAME.into(),
                latest: 5,
                version: v,
            },
        );
    }
    // Malformed fields are refused before anything is written.
    vm.refused(
        &owner,
        &ExecuteMsg::Publish(publish("retina@2", 6)),
        ContractError::Invalid {
            field: "name",
            reason: "1 to 64 of a-z 0-9 . _ -, starting with a-z 0-9",
        },
    );
    let mut cid_v0 = publish("other", 1);
    cid_v0.content_id = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o".into();
    vm.refused(
        &owner,
        &ExecuteMsg::Publish(cid_v0),
        ContractError::Invalid {
            field: "content_id",
            reason: "an IPFS CIDv1: multibase 'b' base32 lowercase, 8 to 128 characters, version 1, codec, multihash",
        },
    );
    let mut empty = publish("other", 1);
    empty.size_bytes = 0;
    vm.refused(
        &owner,
        &ExecuteMsg::Publish(empty),
        ContractError::Invalid {
            field: "size_bytes",
            reason: "must be positive",
        },
    );
    // The owner's next version and the rival's own name are accepted.
    assert_eq!(vm.publish(&owner, publish(NAME, 6)), 2);
    assert_eq!(vm.publish(&rival, publish("rival-net", 1)), 3);
    assert_eq!(vm.resolve(NAME).unwrap().model.owner.as_str(), owner);
}

#[test]
fn only_the_owner_deprecates_once() {
    let (mut vm, id) = published();
    cloned!(vm => owner, rival, evaluator, escrow, admin);
    // Not a rival, the evaluator, the escrow, nor the registry's admin.
    let deprecate = ExecuteMsg::Deprecate { model_id: id };
    let not_owner = ContractError::Unauthorized {
        role: "model owner",
    };
    vm.refused_by(
        &[&rival, &evaluator, &escrow, &admin],
        &deprecate,
        not_owner,
    );
    assert!(!vm.model(id).model.deprecated);
    let tx = vm.ok(&owner, &ExecuteMsg::Deprecate { model_id: id });
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::DEPRECATE_MODEL));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::MODEL_ID), Some("1"));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::NAME), Some(NAME));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::VERSION), Some("1"));
    // Still queryable and resolvable (jobs decide what to do with a deprecated model).
    assert!(vm.model(id).model.deprecated);
    assert!(vm.resolve(NAME).unwrap().model.deprecated);
    vm.refused(
        &owner,
        &ExecuteMsg::Deprecate { model_id: id },
        ContractError::AlreadyDeprecated { model_id: id },
    );
    vm.refused(
        &owner,
        &ExecuteMsg::Deprecate { model_id: 7 },
        ContractError::ModelNotFound { model_id: 7 },
    );
    // A deprecated name takes a new version, which is a usable latest.
    let next = vm.publish(&owner, publish(NAME, 2));
    let latest = vm.resolve(NAME).unwrap();
    assert_eq!((latest.model.id, latest.model.deprecated), (next, false));
}

#[test]
fn only_the_evaluator_sets_accuracy_never_the_owner() {
    let (mut vm, id) = published();
    cloned!(vm => owner, rival, evaluator, escrow, admin);
    // The owner grading its own model is the conflict of interest the registry removes.
    let not_evaluator = ContractError::Unauthorized { role: "evaluator" };
    let grade = set_accuracy(id, 99);
    vm.refused_by(&[&owner, &rival, &escrow, &admin], &grade, not_evaluator);
    vm.refused(
        &evaluator,
        &set_accuracy(id, 101),
        ContractError::Invalid {
            field: "accuracy",
            reason: "must be in [0, 1]",
        },
    );
    vm.refused(
        &evaluator,
        &set_accuracy(8, 50),
        ContractError::ModelNotFound { model_id: 8 },
    );
    assert_eq!(vm.model(id).model.accuracy, None);
    let tx = vm.ok(&evaluator, &set_accuracy(id, 91));
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::SET_ACCURACY));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::ACCURACY), Some("0.91"));
    assert_eq!(
        tx.attr(WASM_EVENT, ev::attr::EVALUATION),
        Some("attestation:eval-42")
    );
    let m = vm.model(id).model;
    assert_eq!(m.accuracy, Some(Decimal::percent(91)));
    assert_eq!(m.evaluation.as_deref(), Some("attestation:eval-42"));

    // Only the admin moves the evaluator role; the former evaluator is then refused.
    let new_evaluator = vm.w.addr("attestation");
    let move_role = ExecuteMsg::UpdateConfig {
        evaluator: Some(new_evaluator.clone()),
        escrow: None,
    };
    vm.refused(
        &owner,
        &move_role,
        ContractError::Unauthorized { role: "admin" },
    );
    let tx = vm.ok(&admin, &move_role);
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::UPDATE_CONFIG));
    assert_eq!(
        tx.attr(WASM_EVENT, ev::attr::EVALUATOR),
        Some(new_evaluator.as_str())
    );
    let config: Config = vm.q(&QueryMsg::Config {});
    assert_eq!(
        config.evaluator.as_ref().map(|a| a.as_str()),
        Some(new_evaluator.as_str())
    );
    vm.refused(
        &evaluator,
        &set_accuracy(id, 50),
        ContractError::Unauthorized { role: "evaluator" },
    );
    vm.ok(&new_evaluator, &set_accuracy(id, 88));
    assert_eq!(vm.model(id).model.accuracy, Some(Decimal::percent(88)));

    // A registry with no evaluator configured refuses everyone.
    let unconfigured = InstantiateMsg {
        admin: None,
        evaluator: None,
        escrow: None,
        price_asset: AssetInfo::Native(BTT.into()),
    };
    let bare = vm.instantiate(&unconfigured, "bithive-model-registry");
    vm.w.ok(&owner, &bare, &ExecuteMsg::Publish(publish(NAME, 1)));
    let before = vm.snapshot();
    let r = vm.w.exec(&evaluator, &bare, &set_accuracy(1, 50));
    assert_eq!(
        contract_error(r),
        ContractError::NotConfigured { role: "evaluator" }.to_string()
    );
    vm.assert_unchanged(&before);
}

#[test]
fn only_the_escrow_records_jobs() {
    let (mut vm, id) = published();
    cloned!(vm => owner, rival, evaluator, escrow, admin);
    // An owner inflating its own track record, or anyone else but the escrow.
    let inflate = record(id, "payer/j1", Some(100));
    let not_escrow = ContractError::Unauthorized { role: "escrow" };
    vm.refused_by(&[&owner, &rival, &evaluator, &admin], &inflate, not_escrow);
    let tx = vm.ok(&escrow, &record(id, "payer/j1", Some(80)));
    assert_eq!(tx.attr(WASM_EVENT, ev::ACTION), Some(ev::RECORD_JOB));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::JOB_ID), Some("payer/j1"));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::JOBS_SERVED), Some("1"));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::TSCORE), Some("0.8"));
    let tx = vm.ok(&escrow, &record(id, "payer/j2", None));
    assert_eq!(tx.attr(WASM_EVENT, ev::attr::TSCORE), None);
    vm.ok(&escrow, &record(id, "payer/j3", Some(90)));
    let m = vm.model(id);
    assert_eq!((m.model.jobs_served, m.model.tscore_count), (3, 2));
    assert_eq!(m.mean_tscore, Some(Decimal::percent(85)));
    vm.refused(
        &escrow,
        &record(id, "payer/j4", Some(101)),
        ContractError::Invalid {
            field: "tscore",
            reason: "must be in [0, 1]",
        },
    );
    vm.refused(
        &escrow,
        &record(id, "", None),
        ContractError::Invalid {
            field: "job_id",
            reason: "1 to 128 printable ASCII characters",
        },
    );
    vm.refused(
        &escrow,
        &record(42, "payer/j4", None),
        ContractError::ModelNotFound { model_id: 42 },
    );
    // A deprecated model still records the jobs it served.
    vm.ok(&owner, &ExecuteMsg::Deprecate { model_id: id });
    vm.ok(&escrow, &record(id, "payer/j5", None));
    assert_eq!(vm.model(id).model.jobs_served, 4);
}

#[test]
fn a_job_paid_by_the_escrow_artifact_pays_the_owner_and_records_on_the_registry() {
    let mut vm = setup();
    cloned!(vm => owner, admin);
    let [payer, node, reporter] = ["payer", "node", "reporter"].map(|n| vm.w.addr(n));
    let escrow_code =
        vm.w.chain
            .store_code(&artifacts()["bithive_payfi_escrow.wasm"])
            .expect("store bithive_payfi_escrow.wasm");
    let init = payfi_escrow::InstantiateMsg {
        admin: None,
        fee_bps: 100,
        fee_collector: admin.clone(),
        cw20_allowlist: vec![],
        reporters: vec![reporter.clone()],
        staking: None,
        job_dispute_seconds: 0,
    };
    let (pay, _) =
        vm.w.chain
            .instantiate(
                escrow_code,
                &admin,
                &init,
                &[],
                "bithive-payfi-escrow",
                None,
            )
            .expect("instantiate payfi-escrow");
    // Wired both ways: the registry names the escrow, the escrow names the registry.
    vm.ok(
        &admin,
        &ExecuteMsg::UpdateConfig {
            evaluator: None,
            escrow: Some(pay.clone()),
        },
    );
    let link = payfi_escrow::ExecuteMsg::UpdateConfig {
        fee_bps: None,
        fee_collector: None,
        staking: None,
        job_dispute_seconds: None,
        model_registry: Some(vm.reg.clone()),
        rewards: None,
    };
    vm.w.ok(&admin, &pay, &link);
    let id = vm.publish(&owner, publish(NAME, 1));
    // The former escrow account may no longer record.
    let former = vm.escrow.clone();
    vm.refused(
        &former,
        &record(id, "payer/j0", None),
        ContractError::Unauthorized { role: "escrow" },
    );

    vm.w.chain
        .mint_native(&payer, &[coin(1_000, BTT)])
        .expect("fund payer");
    let create = payfi_escrow::ExecuteMsg::CreateJob(payfi_escrow::CreateJobMsg {
        job_id: "j1".into(),
        expires_at: Timestamp::from_seconds(vm.w.now() + 600),
        model: NAME.into(),
        input: Binary::from(b"synthetic features".as_slice()),
        node: Some(node.clone()),
    });
    vm.w.chain
        .execute(&pay, &payer, &create, &[coin(1_000, BTT)])
        .expect("create job");
    let report = payfi_escrow::ExecuteMsg::ReportJob {
        job_id: payfi_escrow::job_id(&payer, "j1"),
        node: node.clone(),
        tscore: None,
    };
    let tx = vm.w.ok(&reporter, &pay, &report);
    // Fee 1 % of 1,000 = 10; the owner its price; the node the rest.
    let paid = payfi_escrow::events::attr::OWNER_PAID;
    assert_eq!(wasm_attr(&tx, &pay, paid), Some("250"));
    let failed = payfi_escrow::events::attr::MODEL_RECORD_FAILED;
    assert_eq!(wasm_attr(&tx, &pay, failed), None);
    assert_eq!(
        (
            vm.w.chain.balance(&owner, BTT),
            vm.w.chain.balance(&node, BTT)
        ),
        (250, 740)
    );
    // The registry ran, called by the escrow contract.
    assert_eq!(
        wasm_attr(&tx, &vm.reg, ev::ACTION),
        Some(ev::RECORD_JOB),
        "{:?}",
        tx.events
    );
    assert_eq!(
        wasm_attr(&tx, &vm.reg, ev::attr::JOB_ID),
        Some(payfi_escrow::job_id(&payer, "j1").as_str())
    );
    assert_eq!(vm.model(id).model.jobs_served, 1);
}

#[test]
fn listings_are_paginated_at_most_30_a_page() {
    let mut vm = setup();
    let (owner, rival) = (vm.owner.clone(), vm.rival.clone());
    // 32 versions of one name by the owner (ids 1..=32), then one model of the rival (33).
    for v in 1..=32 {
        vm.publish(&owner, publish(NAME, v));
    }
    assert_eq!(vm.publish(&rival, publish("rival-net", 1)), 33);
    let models = |start_after, limit| QueryMsg::Models { start_after, limit };
    assert_eq!(
        vm.ids(&models(None, Some(1_000))),
        (1..=30).collect::<Vec<_>>()
    );
    assert_eq!(vm.ids(&models(None, None)), (1..=10).collect::<Vec<_>>());
    assert_eq!(vm.ids(&models(Some(30), Some(30))), vec![31, 32, 33]);
    let versions = |start_after, limit| QueryMsg::Versions {
        name: NAME.into(),
        start_after,
        limit,
    };
    let page = vm.ids(&versions(None, Some(u32::MAX)));
    assert_eq!(page, (1..=30).collect::<Vec<_>>());
    assert_eq!(vm.ids(&versions(Some(30), None)), vec![31, 32]);
    let by_owner = |owner: &str, start_after, limit| QueryMsg::ModelsByOwner {
        owner: owner.into(),
        start_after,
        limit,
    };
    assert_eq!(vm.ids(&by_owner(&owner, None, Some(31))).len(), 30);
    assert_eq!(vm.ids(&by_owner(&owner, Some(30), None)), vec![31, 32]);
    assert_eq!(vm.ids(&by_owner(&rival, None, None)), vec![33]);
    // Only the latest version is the name's.
    assert_eq!(vm.resolve(NAME).unwrap().model.version, 32);
}

#[test]
fn cw2_and_migration_onto_the_same_artifact() {
    let mut vm = setup();
    cloned!(vm => owner, rival);
    let id = vm.publish(&owner, publish(NAME, 1));
    let here = (CONTRACT_NAME, CONTRACT_VERSION);
    let vault = ("bithive_data_vault.wasm", "crates.io:bithive-data-vault");
    vm.assert_migrations(here, &rival, vault, &MigrateMsg {});
    // The registry's state is kept.
    assert_eq!(vm.model(id).model.owner.as_str(), owner);
}
