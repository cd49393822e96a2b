//! Served work (ADR 007, issue #42 items 1 and 2): every job bound to a node tells rewards, in the
//! transaction that settles it, how it settled; a paid one carries its model's measured run
//! cost in units and its fee. Rewards takes outcomes from the escrow only. Attacks first: a node
//! (or anyone) recording its own units, a fee-less job, a refunded or lost job, a job created
//! before the cost was measured; then the books over many jobs against `node_outcomes`.

mod escrow_registry;

use bithive_cw_test_fixtures::contracts::rewards_instantiate;
use bithive_cw_test_fixtures::suite::model_publish;
use bithive_cw_test_fixtures::{self as fixtures, addrs, contract_err};
use bithive_interface::model_registry as reg;
use bithive_interface::rewards::{self, JobOutcome, ServedWork};
use bithive_payfi_escrow::msg::*;
use cosmwasm_std::{coin, coins, Addr, Binary, Decimal, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use escrow_registry::{
    dispute_job, escrow_contract, escrow_init, refund_job, registry_contract, report_job,
    resolve_job_dispute, rewards_contract, ConfigChange, BTT, FEE_BPS, PRICE,
};

/// The measured cost of one run of `retina-cnn` v1, in work units.
const RUN_COST: u128 = 3_200;
const DEPOSIT: u128 = 10_000;

/// The contracts and the node; everyone else by name (`T::addr`).
struct T {
    app: App,
    pay: Addr,
    reg: Addr,
    rewards: Addr,
    node: Addr,
}

fn setup(window: u64) -> T {
    let mut app = App::default();
    let api = app.api();
    addrs!(|n| api.addr_make(n);
        admin, evaluator, owner, payer, reporter, node, collector, btt, vesting);
    fixtures::fund(&mut app, &payer, vec![coin(1_000_000_000, BTT)]);
    // Staking, with `node` registered and pledged: rewards counts units only of pledged nodes.
    let cw20 = fixtures::cw20_base_code(&mut app);
    let btk_init = fixtures::cw20_minted_by(
        "BitSpark",
        "BTK",
        &admin,
        std::slice::from_ref(&node),
        1_000_000_000,
    );
    let btk = fixtures::contracts::instantiate(&mut app, cw20, &admin, &btk_init, "btk");
    let staking_code = app.store_code(fixtures::contract!(bithive_staking));
    let genesis = app.block_info().time.seconds();
    let staking_init = fixtures::contracts::staking_instantiate(&admin, &btk, genesis);
    let staking =
        fixtures::contracts::instantiate(&mut app, staking_code, &admin, &staking_init, "staking");
    pledge(&mut app, &staking, &btk, &node);
    let (pay_code, reg_code, rw_code) = (
        app.store_code(escrow_contract()),
        app.store_code(registry_contract()),
        app.store_code(rewards_contract()),
    );
    let init = escrow_init(FEE_BPS, &collector, &reporter, window);
    let pay = app
        .instantiate_contract(pay_code, admin.clone(), &init, &[], "payfi", None)
        .unwrap();
    let init = reg::InstantiateMsg {
        admin: None,
        evaluator: Some(evaluator.to_string()),
        escrow: Some(pay.to_string()),
        price_asset: reg::AssetInfo::Native(BTT.into()),
    };
    let reg = app
        .instantiate_contract(reg_code, admin.clone(), &init, &[], "models", None)
        .unwrap();
    let mut init = rewards_instantiate(&admin, &btk, &btt, &staking, &vesting, 0);
    init.escrow = Some(pay.to_string());
    let rewards = app
        .instantiate_contract(rw_code, admin.clone(), &init, &[], "rewards", None)
        .unwrap();
    let link = ConfigChange {
        model_registry: Some(reg.to_string()),
        rewards: Some(rewards.to_string()),
        ..ConfigChange::default()
    }
    .msg();
    app.execute_contract(admin.clone(), pay.clone(), &link, &[])
        .unwrap();
    let publish = reg::ExecuteMsg::Publish(model_publish("retina-cnn", 1, PRICE));
    app.execute_contract(owner, reg.clone(), &publish, &[])
        .unwrap();
    T {
        app,
        pay,
        reg,
        rewards,
        node,
    }
}

/// `node` registers 4 T in staking (its operator key with a proof of possession) and bonds the
/// 400 BTK that requires.
fn pledge(app: &mut App, staking: &Addr, btk: &Addr, node: &Addr) {
    use bithive_signed_attestation::signing::{public_key, sign_operator_pop, signing_key};
    use bithive_staking::msg::{ExecuteMsg as StakingMsg, ReceiveMsg as Bond, Tier};
    let sk = signing_key(&[7; 32]).unwrap();
    let chain_id = app.block_info().chain_id;
    let register = StakingMsg::RegisterNode {
        capacity_t: 4,
        tier: Tier::T1,
        operator_key: public_key(&sk),
        operator_signature: sign_operator_pop(&sk, &chain_id, staking.as_str(), node.as_str())
            .unwrap(),
    };
    app.execute_contract(node.clone(), staking.clone(), &register, &[])
        .unwrap();
    fixtures::cw20_send(app, node, btk, staking, 400_000_000, &Bond::Bond {}).unwrap();
}

impl T {
    /// `admin`, `evaluator`, `payer`, `reporter`: the accounts `setup` made.
    fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }
    fn measure(&mut self, run_cost: Option<u128>) -> anyhow::Result<AppResponse> {
        let msg = reg::ExecuteMsg::SetAccuracy {
            model_id: 1,
            accuracy: Decimal::percent(91),
            evaluation: "ab".repeat(32),
            run_cost: run_cost.map(Uint128::new),
        };
        let e = self.addr("evaluator");
        self.app.execute_contract(e, self.reg.clone(), &msg, &[])
    }
    fn create(&mut self, id: &str, deposit: u128) {
        let msg = ExecuteMsg::CreateJob(CreateJobMsg {
            job_id: id.into(),
            expires_at: self.app.block_info().time.plus_seconds(600),
            model: "retina-cnn".into(),
            input: Binary::from(b"synthetic features".as_slice()),
            node: Some(self.node.to_string()),
        });
        let payer = self.addr("payer");
        self.app
            .execute_contract(payer, self.pay.clone(), &msg, &coins(deposit, BTT))
            .unwrap();
    }
    fn exec(&mut self, who: &Addr, msg: ExecuteMsg) -> AppResponse {
        self.app
            .execute_contract(who.clone(), self.pay.clone(), &msg, &[])
            .unwrap()
    }
    fn report(&mut self, id: &str) -> AppResponse {
        let (r, msg) = (
            self.addr("reporter"),
            report_job(&job_id(self.addr("payer").as_str(), id), &self.node),
        );
        self.exec(&r, msg)
    }
    /// Creates and pays one job of `deposit` (no dispute window).
    fn paid_job(&mut self, id: &str, deposit: u128) -> AppResponse {
        self.create(id, deposit);
        self.report(id)
    }
    fn served(&self) -> ServedWork {
        let q = rewards::QueryMsg::Served {
            node: self.node.to_string(),
        };
        self.app.wrap().query_wasm_smart(&self.rewards, &q).unwrap()
    }
    fn outcomes(&self) -> NodeOutcomes {
        let q = QueryMsg::NodeOutcomes {
            node: self.node.to_string(),
        };
        self.app.wrap().query_wasm_smart(&self.pay, &q).unwrap()
    }
}

fn served(paid: u64, units: u128, fees: u128) -> ServedWork {
    ServedWork {
        paid,
        units: Uint128::new(units),
        fees: Uint128::new(fees),
        ..ServedWork::default()
    }
}

/// Attack: the node (or any account but the escrow, governance included) records served units
/// for itself. Refused: units come only from the escrow's payouts.
#[test]
fn only_the_escrow_records_served_units() {
    let mut t = setup(0);
    let record = rewards::ExecuteMsg::RecordOutcome {
        node: t.node.to_string(),
        outcome: JobOutcome::Paid {
            units: Uint128::new(1_000_000),
            fee: Uint128::new(1),
        },
    };
    for who in [t.node.clone(), t.addr("admin"), t.addr("reporter")] {
        let e = t
            .app
            .execute_contract(who, t.rewards.clone(), &record, &[])
            .unwrap_err();
        assert_eq!(
            e.root_cause().to_string(),
            bithive_rewards::ContractError::Unauthorized.to_string()
        );
    }
    assert_eq!(t.served(), ServedWork::default());
}

/// A paid job on a measured model: the node is credited the model's run cost and the fee, once,
/// in the payout's own transaction; the escrow's event names the units.
#[test]
fn a_paid_job_on_a_measured_model_records_its_units_once() {
    let mut t = setup(0);
    t.measure(Some(RUN_COST)).unwrap();
    let res = t.paid_job("a", DEPOSIT);
    let fee = DEPOSIT * FEE_BPS as u128 / 10_000;
    assert_eq!(t.served(), served(1, RUN_COST, fee));
    assert!(res.events.iter().any(|e| e.ty == "wasm"
        && e.attributes
            .iter()
            .any(|a| a.key == "served_units" && a.value == RUN_COST.to_string())));
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm" && e.attributes.iter().any(|a| a.value == "record_outcome")));
    // Paying again is refused by the escrow (the job is paid), so the units never double.
    let r = t.addr("reporter");
    let again = report_job(&job_id(t.addr("payer").as_str(), "a"), &t.node);
    assert!(t
        .app
        .execute_contract(r, t.pay.clone(), &again, &[])
        .is_err());
    assert_eq!(t.served().paid, 1);
    assert_eq!(t.outcomes().paid, 1);
}

/// Attack: a self-dealer pays dust jobs that round the fee to zero. They cost it nothing and
/// earn nothing: no units, as `node_outcomes` does not count them either.
#[test]
fn a_job_that_pays_no_fee_records_no_units() {
    // A registered model's price keeps the deposit above where a 1 % fee rounds to zero, so the
    // fee-less job here is one the admin made free.
    let mut t = setup(0);
    t.measure(Some(RUN_COST)).unwrap();
    let zero_fee = ConfigChange {
        fee_bps: Some(0),
        ..ConfigChange::default()
    }
    .msg();
    let admin = t.addr("admin");
    t.exec(&admin, zero_fee);
    t.paid_job("free", DEPOSIT);
    assert_eq!(t.served(), ServedWork::default());
    assert_eq!(t.outcomes().paid, 0);
}

/// A model nobody measured earns no units (the job still counts as paid); a job keeps the cost
/// it was created with, so a later measurement changes only later jobs.
#[test]
fn units_are_the_run_cost_snapshotted_at_creation() {
    let mut t = setup(0);
    t.paid_job("unmeasured", DEPOSIT);
    let fee = DEPOSIT * FEE_BPS as u128 / 10_000;
    assert_eq!(t.served(), served(1, 0, fee));
    t.measure(Some(RUN_COST)).unwrap();
    t.create("before", DEPOSIT);
    t.measure(Some(2 * RUN_COST)).unwrap();
    t.report("before");
    t.paid_job("after", DEPOSIT);
    assert_eq!(t.served().units.u128(), RUN_COST + 2 * RUN_COST);
    // An evaluation without a cost leaves the measured one as it is.
    t.measure(None).unwrap();
    t.paid_job("again", DEPOSIT);
    assert_eq!(t.served().units.u128(), 5 * RUN_COST);
}

/// Only the evaluator sets the cost, and only in range: the model's owner cannot price its
/// model's jobs into more units.
#[test]
fn only_the_evaluator_measures_the_run_cost() {
    let mut t = setup(0);
    let msg = reg::ExecuteMsg::SetAccuracy {
        model_id: 1,
        accuracy: Decimal::percent(99),
        evaluation: "ab".repeat(32),
        run_cost: Some(Uint128::new(reg::MAX_RUN_COST)),
    };
    let node = t.node.clone();
    assert!(t
        .app
        .execute_contract(node, t.reg.clone(), &msg, &[])
        .is_err());
    for bad in [0, reg::MAX_RUN_COST + 1] {
        let e = contract_err::<bithive_model_registry::ContractError>(t.measure(Some(bad)));
        assert!(e.to_string().contains("run_cost"), "{e}");
    }
}

/// Refunded jobs, jobs disputed and lost: no units. A dispute resolved for the node: its units.
/// A job the payer bound to the node and the node never accepted expires against nobody.
#[test]
fn only_jobs_that_pay_their_node_record_units() {
    let mut t = setup(3_600);
    t.measure(Some(RUN_COST)).unwrap();
    t.create("expired", DEPOSIT);
    t.create("lost", DEPOSIT);
    t.create("won", DEPOSIT);
    t.report("lost");
    t.report("won");
    let payer = t.addr("payer");
    for id in ["lost", "won"] {
        let msg = dispute_job(&job_id(payer.as_str(), id), "wrong result");
        t.exec(&payer, msg);
    }
    let admin = t.addr("admin");
    let lost = resolve_job_dispute(&job_id(payer.as_str(), "lost"), false);
    t.exec(&admin, lost);
    let lost_only = ServedWork {
        disputed_lost: 1,
        ..ServedWork::default()
    };
    assert_eq!(t.served(), lost_only);
    let won = resolve_job_dispute(&job_id(payer.as_str(), "won"), true);
    t.exec(&admin, won);
    t.app.update_block(|b| {
        b.time = b.time.plus_seconds(601);
        b.height += 1;
    });
    let refund = refund_job(&job_id(payer.as_str(), "expired"));
    t.exec(&payer, refund);
    let fee = DEPOSIT * FEE_BPS as u128 / 10_000;
    assert_eq!(
        t.served(),
        ServedWork {
            disputed_lost: 1,
            ..served(1, RUN_COST, fee)
        }
    );
    let o = t.outcomes();
    assert_eq!((o.paid, o.expired, o.disputed_lost), (1, 0, 1));
}

/// Books over many jobs of random deposits: the served units are the run cost times the jobs
/// that paid a fee, and the served fees are what the treasury received from them.
#[test]
fn served_work_matches_the_escrow_books() {
    let mut t = setup(0);
    t.measure(Some(RUN_COST)).unwrap();
    let (mut fees, mut counted) = (0u128, 0u64);
    for i in 0..40u128 {
        let deposit = 2 * PRICE + (i * 7_919) % 20_000;
        t.paid_job(&format!("job-{i}"), deposit);
        let fee = deposit * FEE_BPS as u128 / 10_000;
        if fee > 0 {
            fees += fee;
            counted += 1;
        }
    }
    assert_eq!(
        t.served(),
        served(counted, RUN_COST * counted as u128, fees)
    );
    assert_eq!(t.outcomes().paid, counted);
}

/// Attack: a node serves jobs while not pledged (anyone may bind a job to any node), then
/// pledges and has them reported. Units are judged when the job pays: those earned nothing then
/// and never will (`unpledged_units`); the job still counts as paid.
#[test]
fn units_served_without_a_pledge_never_count() {
    let mut t = setup(0);
    t.measure(Some(RUN_COST)).unwrap();
    t.node = t.app.api().addr_make("unpledged");
    t.paid_job("before-pledge", DEPOSIT);
    let s = t.served();
    assert_eq!(
        (s.paid, s.units, s.fees),
        (1, Uint128::zero(), Uint128::zero())
    );
    assert_eq!(s.unpledged_units.u128(), RUN_COST);
}
