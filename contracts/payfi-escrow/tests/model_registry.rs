//! payfi-escrow with the model registry (issue #23): jobs name a registered, non-deprecated
//! model, funded in the registry's price asset with at least its price after the fee; a paid job
//! pays the model's owner its price exactly once, a refund pays it nothing; the registry records
//! every paid job. Attacks first, then the proptest of the payout books.

mod escrow_registry;

use bithive_cw_test_fixtures::suite::model_publish;
use bithive_cw_test_fixtures::{self as fixtures, addrs, contract_err};
use bithive_interface::attestation::MATCHING_MODEL;
use bithive_interface::model_registry as reg;
use bithive_payfi_escrow::msg::*;
use bithive_payfi_escrow::state::{Job, JobStatus};
use bithive_payfi_escrow::ContractError;
use cosmwasm_std::{coin, coins, Addr, Binary, Coin, Decimal, Timestamp, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use escrow_registry::{
    dispute_job, escrow_contract, escrow_init, finalize_job, link_registry, refund_job,
    registry_contract, registry_init, resolve_job_dispute, BTT, FEE_BPS, PRICE,
};
use proptest::prelude::*;

struct T {
    app: App,
    pay: Addr,
    reg: Addr,
    admin: Addr,
    payer: Addr,
    owner: Addr,
    rival: Addr,
    reporter: Addr,
    node: Addr,
    collector: Addr,
}

fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    contract_err(r)
}

fn publish(name: &str, version: u32, price: u128) -> reg::ExecuteMsg {
    reg::ExecuteMsg::Publish(model_publish(name, version, price))
}

/// Escrow (fee 1 %, dispute window `window` s) wired both ways to a registry with
/// `retina-cnn` v1 at [`PRICE`] published by `owner` (model id 1).
fn setup_with(window: u64, fee_bps: u16, price: u128) -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n); admin, payer, owner, rival, reporter, node, collector);
    let payer_funds = vec![coin(1_000_000_000, BTT), coin(1_000_000, "uusd")];
    fixtures::fund(&mut app, &payer, payer_funds);
    let pay_code = app.store_code(escrow_contract());
    let reg_code = app.store_code(registry_contract());
    let init = escrow_init(fee_bps, &collector, &reporter, window);
    let pay = app
        .instantiate_contract(pay_code, admin.clone(), &init, &[], "payfi", None)
        .unwrap();
    let init = registry_init(&pay, BTT);
    let reg = app
        .instantiate_contract(reg_code, admin.clone(), &init, &[], "models", None)
        .unwrap();
    let mut t = T {
        app,
        pay,
        reg,
        admin,
        payer,
        owner,
        rival,
        reporter,
        node,
        collector,
    };
    t.set_registry();
    let owner = t.owner.clone();
    t.reg_exec(&owner, publish("retina-cnn", 1, price)).unwrap();
    t
}

fn setup() -> T {
    setup_with(0, FEE_BPS, PRICE)
}

impl T {
    fn set_registry(&mut self) {
        let (admin, msg) = (self.admin.clone(), link_registry(&self.reg));
        self.exec(&admin, msg, &[]).unwrap();
    }
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg, funds: &[Coin]) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.pay.clone(), &msg, funds)
    }
    fn reg_exec(&mut self, who: &Addr, msg: reg::ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.reg.clone(), &msg, &[])
    }
    fn expiry(&self) -> Timestamp {
        self.app.block_info().time.plus_seconds(600)
    }
    fn create(
        &mut self,
        id: &str,
        model: &str,
        funds: &[cosmwasm_std::Coin],
    ) -> anyhow::Result<AppResponse> {
        let msg = ExecuteMsg::CreateJob(self.job_msg(id, model));
        let payer = self.payer.clone();
        self.exec(&payer, msg, funds)
    }
    fn job_msg(&self, id: &str, model: &str) -> CreateJobMsg {
        CreateJobMsg {
            job_id: id.into(),
            expires_at: self.expiry(),
            model: model.into(),
            input: Binary::from(b"synthetic features".as_slice()),
            node: Some(self.node.to_string()),
        }
    }
    fn full_id(&self, id: &str) -> String {
        job_id(self.payer.as_str(), id)
    }
    fn report(&mut self, id: &str) -> anyhow::Result<AppResponse> {
        self.report_scored(id, None)
    }
    fn report_scored(&mut self, id: &str, tscore: Option<&str>) -> anyhow::Result<AppResponse> {
        let msg = ExecuteMsg::ReportJob {
            job_id: self.full_id(id),
            node: self.node.to_string(),
            tscore: tscore.map(|t| t.parse().unwrap()),
        };
        let r = self.reporter.clone();
        self.exec(&r, msg, &[])
    }
    fn job(&self, id: &str) -> Job {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.pay,
                &QueryMsg::Job {
                    job_id: self.full_id(id),
                },
            )
            .unwrap()
    }
    fn snapshot(&self, id: &str) -> Option<JobModel> {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.pay,
                &QueryMsg::JobModel {
                    job_id: self.full_id(id),
                },
            )
            .unwrap()
    }
    fn model(&self, model_id: u64) -> reg::ModelResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.reg, &reg::QueryMsg::Model { model_id })
            .unwrap()
    }
    fn bal(&self, who: &Addr) -> u128 {
        fixtures::bank_balance(&self.app, who, BTT)
    }
}

fn attr<'a>(r: &'a AppResponse, key: &str) -> Option<&'a str> {
    r.events
        .iter()
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

#[test]
fn attack_a_job_for_an_unknown_model_is_refused() {
    let mut t = setup();
    for model in ["ghost-model", "retina-cnn@2"] {
        assert_eq!(
            err(t.create("j1", model, &coins(1_000, BTT))),
            ContractError::UnknownModel {
                model: model.into()
            }
        );
    }
}

#[test]
fn a_research_request_is_no_registry_model_and_pays_its_node_alone() {
    let mut t = setup();
    // Research requests are matched by the matching node, not run as a model: with the registry
    // linked they are still taken, priced by the payer, and pay no model owner.
    let owner0 = t.bal(&t.owner);
    let node0 = t.bal(&t.node);
    let r = t
        .create("research-1", MATCHING_MODEL, &coins(1_000, BTT))
        .unwrap();
    assert!(attr(&r, "model_id").is_none());
    assert_eq!(t.snapshot("research-1"), None);
    let r = t.report("research-1").unwrap();
    assert_eq!(attr(&r, "paid"), Some("990"));
    assert!(attr(&r, "owner_paid").is_none());
    assert_eq!((t.bal(&t.owner), t.bal(&t.node)), (owner0, node0 + 990));
    assert_eq!(t.model(1).model.jobs_served, 0);
    // Only that exact name: anything else is still looked up in the registry.
    for model in [
        format!("{MATCHING_MODEL}@1"),
        MATCHING_MODEL.to_uppercase(),
        format!("{MATCHING_MODEL} "),
    ] {
        assert!(
            matches!(
                err(t.create("r2", &model, &coins(1_000, BTT))),
                ContractError::UnknownModel { .. } | ContractError::Invalid { .. }
            ),
            "{model}"
        );
    }
}

#[test]
fn attack_a_job_for_a_deprecated_model_is_refused() {
    let mut t = setup();
    let owner = t.owner.clone();
    t.reg_exec(&owner, reg::ExecuteMsg::Deprecate { model_id: 1 })
        .unwrap();
    for model in ["retina-cnn", "retina-cnn@1"] {
        assert_eq!(
            err(t.create("j1", model, &coins(1_000, BTT))),
            ContractError::ModelDeprecated {
                model: model.into(),
                model_id: 1
            }
        );
    }
}

#[test]
fn attack_an_underfunded_job_is_refused() {
    let mut t = setup();
    // 251 less the 1 % fee (2) is 249 < 250.
    for amount in [1, 249, 250, 251] {
        assert!(
            matches!(
                err(t.create("j1", "retina-cnn", &coins(amount, BTT))),
                ContractError::Underfunded { .. }
            ),
            "{amount}"
        );
    }
    // 253 less 2 covers the price: the node gets 1.
    t.create("j1", "retina-cnn", &coins(253, BTT)).unwrap();
    // Prices are in BTT: another denom cannot be compared with them.
    assert_eq!(
        err(t.create("j2", "retina-cnn", &coins(1_000, "uusd"))),
        ContractError::WrongAsset {
            expected: "native:ubtt".into()
        }
    );
}

#[test]
fn a_paid_job_pays_the_owner_its_price_and_the_node_the_rest_then_records_it() {
    let mut t = setup();
    let before = (t.bal(&t.owner), t.bal(&t.node), t.bal(&t.collector));
    let r = t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    assert_eq!(attr(&r, "model_id"), Some("1"));
    assert_eq!(attr(&r, "model_owner"), Some(t.owner.as_str()));
    assert_eq!(attr(&r, "model_price"), Some("250"));
    let snap = t.snapshot("j1").unwrap();
    assert_eq!(
        (
            snap.model_id,
            snap.owner.clone(),
            snap.price,
            snap.registry.clone()
        ),
        (1, t.owner.clone(), Uint128::new(PRICE), t.reg.clone())
    );
    let r = t.report("j1").unwrap();
    // Fee 1 % of 1,000 = 10; owner 250; node 740.
    assert_eq!(attr(&r, "owner_paid"), Some("250"));
    assert_eq!(attr(&r, "paid"), Some("740"));
    assert_eq!(attr(&r, "fee"), Some("10"));
    assert_eq!(
        (t.bal(&t.owner), t.bal(&t.node), t.bal(&t.collector)),
        (before.0 + 250, before.1 + 740, before.2 + 10)
    );
    let m = t.model(1);
    assert_eq!(m.model.jobs_served, 1);
    assert!(attr(&r, "model_record_failed").is_none());
}

/// Issue #23: every attested result feeds the model's record. The report's Tscore (from the
/// inference attestation's payload) is kept with the job's snapshot and recorded when the job
/// pays, so the registry's mean Tscore is the mean over paid, scored jobs; a job reported
/// without one counts as served only. A Tscore above 1 is refused and nothing is paid.
#[test]
fn reported_tscores_feed_the_models_mean_tscore_when_jobs_pay() {
    let mut t = setup();
    for id in ["j1", "j2", "j3", "j4"] {
        t.create(id, "retina-cnn", &coins(1_000, BTT)).unwrap();
    }
    let before = t.bal(&t.node);
    assert!(matches!(
        err(t.report_scored("j1", Some("1.5"))),
        ContractError::Invalid {
            field: "tscore",
            ..
        }
    ));
    assert_eq!(t.bal(&t.node), before, "nothing paid on a refused report");
    let r = t.report_scored("j1", Some("0.8")).unwrap();
    assert_eq!(attr(&r, "tscore"), Some("0.8"));
    t.report_scored("j2", Some("0.6")).unwrap();
    t.report("j3").unwrap();
    let m = t.model(1);
    assert_eq!(m.model.jobs_served, 3);
    assert_eq!(m.model.tscore_count, 2);
    assert_eq!(m.mean_tscore, Some("0.7".parse().unwrap()));
    // With a dispute window the Tscore waits with the job and is recorded when it pays.
    let mut t = setup_with(3_600, 100, PRICE);
    t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    t.report_scored("j1", Some("0.9")).unwrap();
    assert_eq!(
        t.snapshot("j1").unwrap().tscore,
        Some("0.9".parse().unwrap())
    );
    assert_eq!(t.model(1).mean_tscore, None, "not before the job pays");
    t.app.update_block(|b| b.time = b.time.plus_seconds(3_601));
    let job = t.full_id("j1");
    let anyone = t.owner.clone();
    t.exec(&anyone, finalize_job(&job), &[]).unwrap();
    assert_eq!(t.model(1).mean_tscore, Some("0.9".parse().unwrap()));
}

#[test]
fn attack_someone_other_than_the_escrow_cannot_record_jobs() {
    let mut t = setup();
    let (owner, rival, payer) = (t.owner.clone(), t.rival.clone(), t.payer.clone());
    for who in [&owner, &rival, &payer] {
        let e: bithive_model_registry::ContractError = contract_err(t.reg_exec(
            who,
            reg::ExecuteMsg::RecordJob {
                model_id: 1,
                job_id: "x/y".into(),
                tscore: Some(Decimal::one()),
            },
        ));
        assert_eq!(
            e,
            bithive_model_registry::ContractError::Unauthorized { role: "escrow" }
        );
    }
    assert_eq!(t.model(1).model.jobs_served, 0);
}

#[test]
fn attack_the_owner_cannot_set_its_own_accuracy() {
    let mut t = setup();
    let (owner, admin) = (t.owner.clone(), t.admin.clone());
    let set = reg::ExecuteMsg::SetAccuracy {
        model_id: 1,
        accuracy: Decimal::one(),
        evaluation: "self-assessed".into(),
        run_cost: None,
    };
    // No evaluator configured yet: nobody may.
    let e: bithive_model_registry::ContractError = contract_err(t.reg_exec(&owner, set.clone()));
    assert_eq!(
        e,
        bithive_model_registry::ContractError::NotConfigured { role: "evaluator" }
    );
    let evaluator = t.app.api().addr_make("attestation");
    t.reg_exec(
        &admin,
        reg::ExecuteMsg::UpdateConfig {
            evaluator: Some(evaluator.to_string()),
            escrow: None,
        },
    )
    .unwrap();
    for who in [&owner, &admin] {
        let e: bithive_model_registry::ContractError = contract_err(t.reg_exec(who, set.clone()));
        assert_eq!(
            e,
            bithive_model_registry::ContractError::Unauthorized { role: "evaluator" }
        );
    }
    t.reg_exec(&evaluator, set).unwrap();
    assert_eq!(t.model(1).model.accuracy, Some(Decimal::one()));
}

/// A one-hour dispute window, job `j1` created and reported; the owner's balance before.
fn reported_in_a_window() -> (T, u128) {
    let mut t = setup_with(3_600, FEE_BPS, PRICE);
    let owner0 = t.bal(&t.owner);
    t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    t.report("j1").unwrap();
    (t, owner0)
}

/// The job is settled (`fin`alizing it again is refused), its owner was paid its price once
/// (from `owner0`) and the registry recorded it once.
#[track_caller]
fn assert_paid_once(t: &mut T, fin: ExecuteMsg, owner0: u128) {
    let payer = t.payer.clone();
    assert!(matches!(
        err(t.exec(&payer, fin, &[])),
        ContractError::JobNotReported { .. }
    ));
    assert_eq!(t.bal(&t.owner), owner0 + PRICE);
    assert_eq!(t.model(1).model.jobs_served, 1);
}

#[test]
fn attack_the_owner_is_paid_once_finalize_twice() {
    let (mut t, owner0) = reported_in_a_window();
    assert_eq!(
        t.bal(&t.owner),
        owner0,
        "a report inside a window pays nobody"
    );
    fixtures::advance(&mut t.app, 3_600);
    let fin = finalize_job(&t.full_id("j1"));
    let payer = t.payer.clone();
    t.exec(&payer, fin.clone(), &[]).unwrap();
    assert_paid_once(&mut t, fin, owner0);
}

#[test]
fn attack_the_owner_is_paid_once_dispute_then_finalize() {
    let (mut t, owner0) = reported_in_a_window();
    let (payer, admin) = (t.payer.clone(), t.admin.clone());
    let id = t.full_id("j1");
    t.exec(&payer, dispute_job(&id, "wrong class"), &[])
        .unwrap();
    fixtures::advance(&mut t.app, 3_600);
    let fin = finalize_job(&id);
    assert!(matches!(
        err(t.exec(&payer, fin.clone(), &[])),
        ContractError::JobNotReported { .. }
    ));
    let resolve = resolve_job_dispute(&id, true);
    t.exec(&admin, resolve.clone(), &[]).unwrap();
    assert!(matches!(
        err(t.exec(&admin, resolve, &[])),
        ContractError::JobNotDisputed { .. }
    ));
    assert_paid_once(&mut t, fin, owner0);
}

#[test]
fn refunds_pay_the_owner_nothing() {
    let mut t = setup_with(3_600, FEE_BPS, PRICE);
    let (owner0, payer0) = (t.bal(&t.owner), t.bal(&t.payer));
    let (payer, admin) = (t.payer.clone(), t.admin.clone());
    // A disputed job the admin refunds.
    t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    t.report("j1").unwrap();
    let id = t.full_id("j1");
    t.exec(&payer, dispute_job(&id, "no result"), &[]).unwrap();
    t.exec(&admin, resolve_job_dispute(&id, false), &[])
        .unwrap();
    // A job never reported, refunded at expiry.
    t.create("j2", "retina-cnn", &coins(1_000, BTT)).unwrap();
    fixtures::advance(&mut t.app, 600);
    t.exec(&payer, refund_job(&t.full_id("j2")), &[]).unwrap();
    assert_eq!(t.bal(&t.owner), owner0);
    assert_eq!(t.bal(&t.payer), payer0);
    assert_eq!(t.job("j2").status, JobStatus::Refunded);
    assert_eq!(t.model(1).model.jobs_served, 0);
}

#[test]
fn a_job_keeps_its_snapshot_when_the_model_changes() {
    let mut t = setup_with(3_600, FEE_BPS, PRICE);
    let owner = t.owner.clone();
    let owner0 = t.bal(&owner);
    t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    // Pinned to version 1 while it is still the latest.
    t.create("j2", "retina-cnn@1", &coins(1_000, BTT)).unwrap();
    // The owner publishes a dearer version and deprecates the one the jobs were created on.
    t.reg_exec(&owner, publish("retina-cnn", 2, 900)).unwrap();
    t.reg_exec(&owner, reg::ExecuteMsg::Deprecate { model_id: 1 })
        .unwrap();
    for id in ["j1", "j2"] {
        t.report(id).unwrap();
    }
    fixtures::advance(&mut t.app, 3_600);
    let payer = t.payer.clone();
    for id in ["j1", "j2"] {
        t.exec(&payer, finalize_job(&t.full_id(id)), &[]).unwrap();
    }
    assert_eq!(t.bal(&owner), owner0 + 2 * PRICE);
    assert_eq!(t.model(1).model.jobs_served, 2);
    assert_eq!(t.model(2).model.jobs_served, 0);
    // New jobs by name get version 2 and its price; 1,000 less 10 covers 900.
    let r = t.create("j3", "retina-cnn", &coins(1_000, BTT)).unwrap();
    assert_eq!(attr(&r, "model_id"), Some("2"));
    assert_eq!(t.snapshot("j3").unwrap().price, Uint128::new(900));
}

#[test]
fn a_failing_record_never_blocks_the_payment() {
    let mut t = setup();
    // The registry is rewired to another escrow: this escrow's record is refused.
    let (admin, rival) = (t.admin.clone(), t.rival.clone());
    t.reg_exec(
        &admin,
        reg::ExecuteMsg::UpdateConfig {
            evaluator: None,
            escrow: Some(rival.to_string()),
        },
    )
    .unwrap();
    let owner0 = t.bal(&t.owner);
    t.create("j1", "retina-cnn", &coins(1_000, BTT)).unwrap();
    let r = t.report("j1").unwrap();
    assert!(attr(&r, "model_record_failed").is_some());
    assert_eq!(t.bal(&t.owner), owner0 + PRICE);
    assert!(matches!(t.job("j1").status, JobStatus::Paid { .. }));
    assert_eq!(t.model(1).model.jobs_served, 0);
}

#[test]
fn without_a_registry_jobs_are_unchanged() {
    let mut t = setup();
    // A fresh escrow with no registry configured takes any well-formed model and pays the node.
    let code = t.app.store_code(escrow_contract());
    let admin = t.admin.clone();
    t.pay = t
        .app
        .instantiate_contract(
            code,
            admin,
            &escrow_init(FEE_BPS, &t.collector, &t.reporter, 0),
            &[],
            "payfi",
            None,
        )
        .unwrap();
    let node0 = t.bal(&t.node);
    t.create("j1", "anything-local", &coins(1_000, "uusd"))
        .unwrap();
    assert_eq!(t.snapshot("j1"), None);
    let r = t.report("j1").unwrap();
    assert_eq!(attr(&r, "paid"), Some("990"));
    assert!(attr(&r, "owner_paid").is_none());
    assert_eq!(t.bal(&t.node), node0);
    assert_eq!(fixtures::bank_balance(&t.app, &t.node, "uusd"), 990);
}

/// How a job ends in the proptest.
#[derive(Clone, Copy, Debug)]
enum End {
    /// Reported with no window: paid at once.
    PaidAtReport,
    /// Reported, window waited out, finalized.
    Finalized,
    /// Disputed, resolved for the node.
    DisputePaid,
    /// Disputed, resolved for the payer.
    DisputeRefunded,
    /// Never reported, refunded at expiry.
    Expired,
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        Just(End::PaidAtReport),
        Just(End::Finalized),
        Just(End::DisputePaid),
        Just(End::DisputeRefunded),
        Just(End::Expired),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The owner is paid exactly its price once per paid job and nothing on a refund, whatever
    /// is retried afterwards; node + owner + fee never exceeds the deposit (equals it when paid).
    #[test]
    fn the_owner_is_paid_exactly_once_per_paid_job(
        fee_bps in 0u16..=1_000,
        price in 0u128..5_000,
        extra in 0u128..5_000,
        end in end(),
    ) {
        let window = if matches!(end, End::PaidAtReport) { 0 } else { 3_600 };
        let mut t = setup_with(window, fee_bps, price);
        // The smallest deposit that covers price + fee(deposit), plus `extra`.
        let mut amount = price.max(1);
        while amount - amount * u128::from(fee_bps) / 10_000 < price {
            amount += 1;
        }
        amount += extra;
        let (owner, node, collector, payer, admin) =
            (t.owner.clone(), t.node.clone(), t.collector.clone(), t.payer.clone(), t.admin.clone());
        let before = [t.bal(&owner), t.bal(&node), t.bal(&collector), t.bal(&payer)];
        t.create("j", "retina-cnn", &coins(amount, BTT)).unwrap();
        let id = t.full_id("j");
        let (fin, dispute, refund) = (finalize_job(&id), dispute_job(&id, "r"), refund_job(&id));
        let resolve = |pay_node| resolve_job_dispute(&id, pay_node);
        match end {
            End::PaidAtReport => { t.report("j").unwrap(); }
            End::Finalized => {
                t.report("j").unwrap();
                fixtures::advance(&mut t.app, 3_600);
                t.exec(&payer, fin.clone(), &[]).unwrap();
            }
            End::DisputePaid | End::DisputeRefunded => {
                t.report("j").unwrap();
                t.exec(&payer, dispute.clone(), &[]).unwrap();
                t.exec(&admin, resolve(matches!(end, End::DisputePaid)), &[]).unwrap();
            }
            End::Expired => {
                fixtures::advance(&mut t.app, 600);
                t.exec(&payer, refund.clone(), &[]).unwrap();
            }
        }
        // Every retry of every settling message fails once the job is settled.
        fixtures::advance(&mut t.app, 7_200);
        prop_assert!(t.report("j").is_err());
        for m in [fin, dispute, resolve(true), resolve(false), refund] {
            let who = if matches!(m, ExecuteMsg::ResolveJobDispute { .. }) { &admin } else { &payer };
            prop_assert!(t.exec(who, m, &[]).is_err());
        }
        let after = [t.bal(&owner), t.bal(&node), t.bal(&collector), t.bal(&payer)];
        let gained: Vec<u128> = (0..3).map(|i| after[i] - before[i]).collect();
        let paid = !matches!(end, End::DisputeRefunded | End::Expired);
        let fee = amount * u128::from(fee_bps) / 10_000;
        if paid {
            prop_assert_eq!(gained[0], price);
            prop_assert_eq!(gained[2], fee);
            prop_assert_eq!(gained[1], amount - fee - price);
            prop_assert_eq!(t.model(1).model.jobs_served, 1);
            prop_assert_eq!(after[3], before[3] - amount);
        } else {
            prop_assert_eq!(&gained, &vec![0, 0, 0]);
            prop_assert_eq!(after[3], before[3]);
            prop_assert_eq!(t.model(1).model.jobs_served, 0);
        }
        prop_assert!(gained.iter().sum::<u128>() <= amount);
    }
}

#[test]
fn migrate_reads_a_config_stored_before_the_registry_field_as_unset() {
    use cosmwasm_std::testing::{mock_dependencies, mock_env};
    let mut deps = mock_dependencies();
    cw2::set_contract_version(
        deps.as_mut().storage,
        bithive_payfi_escrow::contract::CONTRACT_NAME,
        "0.0.1",
    )
    .unwrap();
    let admin = deps.api.addr_make("admin");
    // The config as the previous code stored it: no `model_registry` key.
    let old = format!(
        r#"{{"admin":"{admin}","fee_bps":100,"fee_collector":"{admin}","staking":null,"job_dispute_seconds":3600}}"#
    );
    deps.as_mut().storage.set(b"config", old.as_bytes());
    bithive_payfi_escrow::contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    let c: Config = cosmwasm_std::from_json(deps.as_ref().storage.get(b"config").unwrap()).unwrap();
    assert_eq!(c.model_registry, None);
    assert_eq!(c.job_dispute_seconds, 3_600);
    // An old `update_config` without the field still parses.
    let m: ExecuteMsg = cosmwasm_std::from_json(
        br#"{"update_config":{"admin":null,"fee_bps":50,"fee_collector":null}}"#,
    )
    .unwrap();
    assert!(matches!(
        m,
        ExecuteMsg::UpdateConfig {
            model_registry: None,
            ..
        }
    ));
}

/// The deployment prices models in the BTT cw20: a job funded by a cw20 `send` pays the owner in
/// BTT; another allowlisted cw20 is refused.
#[test]
fn cw20_btt_jobs_pay_the_owner_in_btt() {
    let mut t = setup();
    let cw20 = fixtures::cw20_base_code(&mut t.app);
    let (admin, payer, owner) = (t.admin.clone(), t.payer.clone(), t.owner.clone());
    let btt = fixtures::new_cw20(&mut t.app, cw20, &admin, &payer, "BTT", 1_000_000);
    let usdc = fixtures::new_cw20(&mut t.app, cw20, &admin, &payer, "USDC", 1_000_000);
    // A registry priced in the BTT cw20, wired to this escrow.
    let reg_code = t.app.store_code(registry_contract());
    let init = reg::InstantiateMsg {
        price_asset: reg::AssetInfo::Cw20(btt.clone()),
        ..registry_init(&t.pay, BTT)
    };
    t.reg = t
        .app
        .instantiate_contract(reg_code, admin.clone(), &init, &[], "models-btt", None)
        .unwrap();
    t.set_registry();
    t.reg_exec(&owner, publish("retina-cnn", 1, PRICE)).unwrap();
    let allow = ExecuteMsg::UpdateCw20Allowlist {
        add: vec![btt.to_string(), usdc.to_string()],
        remove: vec![],
    };
    t.exec(&admin, allow, &[]).unwrap();
    let send = |t: &mut T, token: &Addr, id: &str| {
        let job = ReceiveMsg::CreateJob(t.job_msg(id, "retina-cnn"));
        fixtures::suite::cw20_send(&mut t.app, &payer, token, &t.pay.clone(), 1_000, &job)
    };
    let e: ContractError = contract_err(send(&mut t, &usdc, "j0"));
    assert_eq!(
        e,
        ContractError::WrongAsset {
            expected: format!("cw20:{btt}")
        }
    );
    send(&mut t, &btt, "j1").unwrap();
    t.report("j1").unwrap();
    assert_eq!(fixtures::cw20_balance(&t.app, &btt, &owner), PRICE);
    assert_eq!(fixtures::cw20_balance(&t.app, &btt, &t.node), 740);
    assert_eq!(fixtures::cw20_balance(&t.app, &btt, &t.collector), 10);
    assert_eq!(t.model(1).model.jobs_served, 1);
}
