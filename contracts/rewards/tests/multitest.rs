mod common;

use bithive_formulas::capacity::measured_unit_limit;
use bithive_formulas::emission::ERA_SECONDS;
use bithive_formulas::rpatient::{ActivityType, RpatientInputs};
use bithive_interface::rewards::patient_claim::payload_hash;
use bithive_rewards::msg::{
    DeveloperResponse, ExecuteMsg, NodeRewardsResponse, PatientClaim, QueryMsg, ReceiveMsg,
};
use bithive_rewards::ContractError;
use bithive_signed_attestation::signing::{public_key, sign, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, SignedAttestation};
use bithive_vesting::msg::{QueryMsg as VestingQuery, SchedulesResponse};
use common::*;
use cosmwasm_std::{Addr, Decimal, Decimal256, Uint128, Uint64};

fn node_rewards(s: &Suite, i: usize) -> NodeRewardsResponse {
    s.app
        .wrap()
        .query_wasm_smart(
            &s.rewards,
            &QueryMsg::NodeRewards {
                node: s.nodes[i].to_string(),
            },
        )
        .unwrap()
}

fn schedules(s: &Suite, who: &Addr) -> SchedulesResponse {
    s.app
        .wrap()
        .query_wasm_smart(
            &s.vesting,
            &VestingQuery::SchedulesByBeneficiary {
                beneficiary: who.to_string(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap()
}

#[test]
fn compute_pool_pro_rata_with_half_rate_rule() {
    // The first halving is now: 4 T needs 800 BTK.
    let mut s = suite_with(3, ERA_SECONDS, None);
    s.join(0, 800 * BTK); // full pledge for 4 T
    s.join(1, 400 * BTK); // covered the requirement before the halving: 50 % during the grace
    s.report(0, 10).unwrap();
    s.report(1, 10).unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 1_000_000).unwrap();
    // Unregistered node and foreign reporter are refused.
    assert!(matches!(
        err(s.report(2, 10).unwrap_err()),
        ContractError::UnknownNode(_)
    ));
    let stranger = s.nodes[2].clone();
    s.serve(0, 1);
    let msg = ExecuteMsg::ReportWork {
        node: s.nodes[0].to_string(),
        measured: measured(),
    };
    assert_eq!(
        err(s.exec(&stranger, &msg).unwrap_err()),
        ContractError::Unauthorized
    );
    // Nothing before the epoch closes.
    let n0 = s.nodes[0].clone();
    assert_eq!(
        err(s.exec(&n0, &ExecuteMsg::ClaimCompute {}).unwrap_err()),
        ContractError::NothingToClaim
    );
    s.advance(DAY);
    assert_eq!(node_rewards(&s, 0).claimable.u128(), 500_000);
    assert_eq!(node_rewards(&s, 1).claimable.u128(), 250_000);
    let before = s.balance(&s.btk.clone(), &n0);
    s.exec(&n0, &ExecuteMsg::ClaimCompute {}).unwrap();
    // 20 % now, 80 % into a 180-day schedule.
    assert_eq!(s.balance(&s.btk.clone(), &n0) - before, 100_000);
    let sch = schedules(&s, &n0);
    assert_eq!(sch.schedules.len(), 1);
    assert_eq!(sch.schedules[0].amount.u128(), 400_000);
    assert_eq!(sch.schedules[0].claimable.u128(), 0);
    let n1 = s.nodes[1].clone();
    s.exec(&n1, &ExecuteMsg::ClaimCompute {}).unwrap();
    // The withheld half of node 1 went back to the pool for the next epoch.
    let p = s.pool();
    assert_eq!(p.undistributed.u128(), 250_000);
    assert_eq!(p.paid.u128(), 750_000);
    assert_eq!(s.balance(&s.btk.clone(), &s.rewards.clone()), 250_000);
    // Next epoch: only node 0 works and gets all of it.
    s.report(0, 1).unwrap();
    s.advance(DAY);
    assert_eq!(node_rewards(&s, 0).claimable.u128(), 250_000);
    s.advance(DAY);
    let vest_id = sch.schedules[0].id;
    let v: Uint128 = s
        .app
        .wrap()
        .query_wasm_smart(&s.vesting, &VestingQuery::Claimable { id: vest_id })
        .unwrap();
    assert_eq!(v.u128(), 2 * 400_000 / 180);
}

/// Free rider (#20): a registered node with no pledge at all had its reported work paid at 50 %.
/// The pledge is the condition for mining: its work is refused and it earns nothing.
#[test]
fn unpledged_node_earns_nothing() {
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 0);
    s.report(0, 10).unwrap();
    let refused = s.report(1, 10);
    s.fund(ReceiveMsg::FundComputePool {}, 1_000_000).unwrap();
    s.advance(DAY);
    assert!(refused.is_err(), "unpledged node's work was accepted");
    assert_eq!(
        err(refused.unwrap_err()),
        ContractError::NotPledged {
            node: s.nodes[1].to_string(),
            bonded: Uint128::zero(),
            required: Uint128::new(400 * BTK),
        }
    );
    // A partial pledge (no halving has happened, so no grace) is not enough either.
    s.bond(1, 399 * BTK);
    assert!(matches!(
        err(s.report(1, 10).unwrap_err()),
        ContractError::NotPledged { .. }
    ));
    s.bond(1, BTK);
    s.report(1, 10).unwrap();
    assert_eq!(node_rewards(&s, 1).claimable.u128(), 0);
    assert_eq!(node_rewards(&s, 0).claimable.u128(), 1_000_000);
}

/// Inflated work (#20): a node serves far more units than its registered capacity could compute
/// (or a self-dealer pays itself that many), to take the epoch's pool. Units counted per epoch
/// are bounded by capacity_t x max_units_per_t: what is above is taken by the report and not
/// paid.
#[test]
fn work_above_capacity_is_not_paid() {
    let mut s = suite(2);
    s.join(0, 400 * BTK); // 4 T: 4 x 10^6 units per epoch by default
    s.join(1, 400 * BTK);
    s.report(0, 3_000_000).unwrap();
    s.report(0, 1_000_000).unwrap();
    let before = s.pool();
    let open = node_rewards(&s, 0).open_weight;
    s.report(0, 1).unwrap();
    assert_eq!(s.pool(), before, "work above capacity added weight");
    assert_eq!(node_rewards(&s, 0).open_weight, open);
    // The bound is per node and per epoch: another node, or the next epoch, is not affected;
    // one report above it counts up to it.
    s.report(1, 4_000_000).unwrap();
    s.advance(DAY);
    s.report(0, 9_000_000).unwrap();
    let capped = Decimal256::from_ratio(4_000_000u128 * 5, 2u8);
    assert_eq!(node_rewards(&s, 0).open_weight, capped);
}

/// A late close (CI of df0de73): the relayer's close of an epoch landed after the next one ended,
/// so one report brought two epochs' jobs, and a one-epoch bound cut the node's real work. A
/// report counts up to capacity for each epoch since the node's last report, and a second report
/// counted in the same epoch shares that bound.
#[test]
fn a_late_report_of_two_epochs_counts_two_epochs_of_capacity() {
    let mut s = suite(1);
    s.join(0, 400 * BTK); // 4 T: 4 x 10^6 units per epoch
    s.report(0, 1).unwrap();
    s.advance(2 * DAY);
    s.report(0, 7_000_000).unwrap();
    let enode = Decimal256::from_ratio(5u8, 2u8);
    let weight = |units: u128| Decimal256::from_ratio(units, 1u8) * enode;
    assert_eq!(node_rewards(&s, 0).open_weight, weight(7_000_000));
    s.report(0, 2_000_000).unwrap();
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        weight(8_000_000),
        "the second report in the epoch shares the two epochs' bound"
    );
    // The next epoch's report spans one epoch again.
    s.advance(DAY);
    s.report(0, 9_000_000).unwrap();
    assert_eq!(node_rewards(&s, 0).open_weight, weight(4_000_000));
}

/// Attack: a node (or a self-dealer paying its own jobs) stays silent for many epochs, then
/// brings many epochs' worth of jobs at once to take one epoch's pool. Its report counts at
/// most MAX_REPORT_SPAN epochs of capacity; the rest is taken and not paid.
#[test]
fn a_silent_node_counts_at_most_max_report_span_epochs() {
    use bithive_formulas::capacity::MAX_REPORT_SPAN;
    let mut s = suite(1);
    s.join(0, 400 * BTK);
    s.report(0, 1).unwrap();
    s.advance(20 * DAY);
    s.report(0, 100_000_000).unwrap();
    let counted = 4_000_000 * u128::from(MAX_REPORT_SPAN);
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        Decimal256::from_ratio(counted * 5, 2u8)
    );
}

/// Inflated work (#42): a node measured at a low throughput serves far more units than that
/// throughput could compute in an epoch (it pays jobs to itself, or forwards them to machines
/// it was not measured on, to take the pool). Its report counts the units up to twice the
/// measured rate over the epoch, and the rest are taken and not paid. (A node that also has its
/// benchmark answered elsewhere is measured fast: the bound does not catch that one.)
#[test]
fn work_beyond_the_measured_throughput_is_not_paid() {
    use bithive_interface::rewards::MeasuredWork;
    let mut s = suite(1);
    s.join(0, 400 * BTK); // 4 T: 4 x 10^6 units an epoch, far above the measured bound
    s.serve(0, 1_000_000);
    // Measured at 1,000 units a day: 1,000 / (5 x 10^8 x 86,400) TFLOPS.
    let pcompute = Decimal::from_ratio(1_000u128, 500_000_000u128 * u128::from(DAY));
    assert_eq!(measured_unit_limit(pcompute, DAY), Uint128::new(999));
    // Twice the measured rate over the one epoch of a first report.
    let bound = Uint128::new(1_998);
    let m = MeasuredWork {
        pcompute,
        ..measured()
    };
    let reporter = s.reporter.clone();
    let node = s.nodes[0].to_string();
    s.exec(
        &reporter,
        &ExecuteMsg::ReportWork {
            node,
            measured: m.clone(),
        },
    )
    .unwrap();
    let enode = Decimal256::from(pcompute / m.penergy);
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        Decimal256::from_ratio(bound, 1u8) * enode,
        "only the units the measured throughput could compute count"
    );
}

/// A quorum report for a node that served nothing since its last report (attack: the attestors
/// sign work for an idle node, or report the same work twice) is refused: there are no units
/// to count, whatever the report says.
#[test]
fn a_report_without_served_work_is_refused() {
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 400 * BTK);
    assert_eq!(
        err(s.report_measured(0).unwrap_err()),
        ContractError::NothingServed(s.nodes[0].to_string())
    );
    s.report(0, 10).unwrap();
    assert_eq!(
        err(s.report_measured(0).unwrap_err()),
        ContractError::NothingServed(s.nodes[0].to_string())
    );
    // Jobs that paid but carried no units (an unmeasured model) count as tasks, not units.
    s.serve(1, 0);
    assert_eq!(
        err(s.report_measured(1).unwrap_err()),
        ContractError::NothingServed(s.nodes[1].to_string())
    );
}

/// Tsuccessful / Ttotal come from the escrow's outcomes since the node's last report, never from
/// the report: a node that let one of four accepted jobs expire and lost a dispute on another
/// has Enode x 2/4.
#[test]
fn task_counts_come_from_the_escrow_outcomes() {
    use bithive_interface::rewards::JobOutcome;
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 400 * BTK);
    s.serve(0, 40);
    s.serve(0, 40);
    s.settle(0, JobOutcome::Expired {}).unwrap();
    s.settle(0, JobOutcome::DisputedLost {}).unwrap();
    s.report_measured(0).unwrap();
    s.report(1, 80).unwrap();
    // 80 units x 2.5 x 2/4 against 80 x 2.5.
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        Decimal256::from_ratio(100u8, 1u8)
    );
    assert_eq!(
        node_rewards(&s, 1).open_weight,
        Decimal256::from_ratio(200u8, 1u8)
    );
    // The next report counts only what settled since: one more paid job, all successful.
    s.report(0, 8).unwrap();
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        Decimal256::from_ratio(120u8, 1u8)
    );
}

/// Wash trading (ADR 007): a node pays its own jobs through sybil patients. What it pays comes
/// back to it but the fee, and an epoch's reward is at most `max_btk_per_fee` x the fees its
/// counted jobs paid; the rest stays in the pool. With the fee rate f = 1 %, P = 100,000 paid in
/// jobs, m = 1: the self-dealer spends f x P = 1,000 and earns at most 1,000 BTK base units,
/// whatever the pool holds; the honest node serving real patients earns the same bound without
/// paying the fee.
#[test]
fn the_fee_cap_bounds_what_self_dealing_earns() {
    use bithive_interface::rewards::JobOutcome;
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 400 * BTK);
    let gov = s.gov.clone();
    let cap = |m: Decimal256| ExecuteMsg::UpdateConfig {
        reporter: None,
        patient_daily_cap: None,
        max_units_per_t: None,
        challenge_seconds: None,
        escrow: None,
        max_btk_per_fee: Some(m),
    };
    s.exec(&gov, &cap(Decimal256::one())).unwrap();
    // The self-dealer (node 0) pays 100 jobs of 1,000 (fee 10 each); node 1 serves 1 job.
    for _ in 0..100 {
        let paid = JobOutcome::Paid {
            units: Uint128::new(100),
            fee: Uint128::new(10),
        };
        s.settle(0, paid).unwrap();
    }
    s.report_measured(0).unwrap();
    s.report(1, 100).unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 10_000_000).unwrap();
    s.advance(DAY);
    // Node 0 had 100x node 1's weight but earns only its fees' worth; node 1 earns its share.
    let (r0, r1) = (
        node_rewards(&s, 0).claimable.u128(),
        node_rewards(&s, 1).claimable.u128(),
    );
    assert_eq!(r0, 1_000, "self-dealer capped at m x fees");
    assert_eq!(r1, 1_000, "node 1's share (99,009) capped at its 1,000 fee");
    // What the caps held back stays in the pool, for the next epoch.
    let n0 = s.nodes[0].clone();
    s.exec(&n0, &ExecuteMsg::ClaimCompute {}).unwrap();
    let n1 = s.nodes[1].clone();
    s.exec(&n1, &ExecuteMsg::ClaimCompute {}).unwrap();
    let p = s.pool();
    assert_eq!(p.paid.u128(), 2_000);
    assert_eq!(
        s.balance(&s.btk.clone(), &s.rewards.clone()),
        10_000_000 - 2_000
    );
    let kept = Decimal256::from_ratio(p.undistributed, 1u8) + p.recycle + p.remainder;
    assert!(kept >= Decimal256::from_ratio(9_997_000u128, 1u8), "{p:?}");
    // The cap is positive and governed.
    assert!(matches!(
        err(s.exec(&gov, &cap(Decimal256::zero())).unwrap_err()),
        ContractError::InvalidConfig(_)
    ));
}

/// After a halving a node that covered the old requirement earns at 50 % for the top-up grace
/// (30 days by default), then nothing until it tops up; a top-up restores the full rate.
#[test]
fn half_rate_only_during_top_up_grace() {
    let mut s = suite_with(2, ERA_SECONDS, None);
    s.join(0, 800 * BTK);
    s.join(1, 400 * BTK);
    s.report(1, 10).unwrap();
    s.advance(30 * DAY - 1);
    s.report(1, 10).unwrap();
    s.advance(1);
    assert_eq!(
        err(s.report(1, 10).unwrap_err()),
        ContractError::NotPledged {
            node: s.nodes[1].to_string(),
            bonded: Uint128::new(400 * BTK),
            required: Uint128::new(800 * BTK),
        }
    );
    s.bond(1, 400 * BTK);
    s.report(0, 10).unwrap();
    s.report(1, 10).unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 1_000).unwrap();
    s.advance(DAY);
    // Same work, both at full rate now.
    assert_eq!(node_rewards(&s, 0).claimable, node_rewards(&s, 1).claimable);
}

#[test]
fn max_units_per_t_is_governed_and_positive() {
    let mut s = suite(1);
    s.join(0, 400 * BTK);
    let gov = s.gov.clone();
    let update = |m: u128| ExecuteMsg::UpdateConfig {
        reporter: None,
        patient_daily_cap: None,
        max_units_per_t: Some(Uint128::new(m)),
        challenge_seconds: None,
        escrow: None,
        max_btk_per_fee: None,
    };
    assert!(matches!(
        err(s.exec(&gov, &update(0)).unwrap_err()),
        ContractError::InvalidConfig(_)
    ));
    s.exec(&gov, &update(10)).unwrap();
    s.report(0, 40).unwrap();
    let open = node_rewards(&s, 0).open_weight;
    s.report(0, 1).unwrap();
    assert_eq!(
        node_rewards(&s, 0).open_weight,
        open,
        "above 4 T x 10 units"
    );
}

#[test]
fn funds_of_idle_epochs_roll_over() {
    let mut s = suite(1);
    s.join(0, 400 * BTK);
    s.fund(ReceiveMsg::FundComputePool {}, 200).unwrap();
    s.advance(3 * DAY);
    s.report(0, 5).unwrap();
    s.advance(DAY);
    assert_eq!(node_rewards(&s, 0).claimable.u128(), 200);
    // Small claims are paid whole (the vesting part would round to zero per day).
    let n0 = s.nodes[0].clone();
    let before = s.balance(&s.btk.clone(), &n0);
    s.exec(&n0, &ExecuteMsg::ClaimCompute {}).unwrap();
    assert_eq!(s.balance(&s.btk.clone(), &n0) - before, 200);
    // Only BTK funds the compute pool.
    let send = cw20::Cw20ExecuteMsg::Send {
        contract: s.rewards.to_string(),
        amount: Uint128::new(1),
        msg: cosmwasm_std::to_json_binary(&ReceiveMsg::FundComputePool {}).unwrap(),
    };
    let (gov, btt) = (s.gov.clone(), s.btt.clone());
    let e =
        cw_multi_test::Executor::execute_contract(&mut s.app, gov, btt, &send, &[]).unwrap_err();
    assert!(matches!(err(e), ContractError::WrongToken(_)));
}

#[test]
fn app_pool_by_weight() {
    let mut s = suite(2);
    let (d1, d2) = (s.nodes[0].clone(), s.nodes[1].clone());
    let gov = s.gov.clone();
    // Funds before any developer wait for the first weights.
    s.fund(ReceiveMsg::FundAppPool {}, 4_000).unwrap();
    let set = |d: &Addr, w: u128| ExecuteMsg::SetDeveloper {
        developer: d.to_string(),
        weight: Uint128::new(w),
    };
    assert_eq!(
        err(s.exec(&d1, &set(&d1, 1)).unwrap_err()),
        ContractError::Unauthorized
    );
    s.exec(&gov, &set(&d1, 1)).unwrap();
    s.exec(&gov, &set(&d2, 3)).unwrap();
    s.fund(ReceiveMsg::FundAppPool {}, 4_000).unwrap();
    let q = |s: &Suite, d: &Addr| -> DeveloperResponse {
        s.app
            .wrap()
            .query_wasm_smart(
                &s.rewards,
                &QueryMsg::Developer {
                    developer: d.to_string(),
                },
            )
            .unwrap()
    };
    assert_eq!(q(&s, &d1).claimable.u128(), 4_000 + 1_000);
    assert_eq!(q(&s, &d2).claimable.u128(), 3_000);
    s.exec(&gov, &set(&d1, 0)).unwrap();
    s.fund(ReceiveMsg::FundAppPool {}, 3_000).unwrap();
    assert_eq!(q(&s, &d1).claimable.u128(), 5_000);
    assert_eq!(q(&s, &d2).claimable.u128(), 6_000);
    let before = s.balance(&s.btk.clone(), &d2);
    s.exec(&d2, &ExecuteMsg::ClaimApp {}).unwrap();
    assert_eq!(s.balance(&s.btk.clone(), &d2) - before, 1_200);
    assert_eq!(schedules(&s, &d2).schedules[0].amount.u128(), 4_800);
    assert_eq!(
        err(s.exec(&d2, &ExecuteMsg::ClaimApp {}).unwrap_err()),
        ContractError::NothingToClaim
    );
}

fn activity(kind: ActivityType, avalue: u64) -> RpatientInputs {
    RpatientInputs {
        activity: kind,
        days: 1,
        avalue: Decimal::from_ratio(avalue, 1u64),
        cfactor: Decimal::one(),
        hconsistency: Decimal::from_ratio(20u64, 1u64),
        tmultiplier: Decimal::one(),
        padjustment: Decimal::one(),
    }
}

fn patient_attestation(
    s: &Suite,
    verifier: u8,
    patient: &Addr,
    id: &str,
    a: &RpatientInputs,
) -> SignedAttestation {
    let key = signing_key(&[verifier; 32]).unwrap();
    let att = Attestation {
        chain_id: s.app.block_info().chain_id,
        contract: s.rewards.to_string(),
        job_id: id.into(),
        kind: AttestationKind::PatientActivity,
        result_hash: payload_hash(patient.as_str(), id, a),
        commitments: vec![],
        issued_at: s.app.block_info().time.seconds(),
        nonce: 1,
        signer: public_key(&key),
    };
    sign(att, &key).unwrap()
}

#[test]
fn patient_rewards_need_a_verifier_and_are_paid_once() {
    let mut s = suite(2);
    let gov = s.gov.clone();
    let patient = s.nodes[0].clone();
    let other = s.nodes[1].clone();
    s.fund(ReceiveMsg::FundPatientPool {}, 10_000 * BTK)
        .unwrap();
    let verifier = public_key(&signing_key(&[9; 32]).unwrap());
    s.exec(
        &gov,
        &ExecuteMsg::SetVerifier {
            pubkey: verifier,
            institution: "General Hospital".into(),
            active: true,
        },
    )
    .unwrap();
    let a = activity(ActivityType::Checkup, 400);
    let claim = |id: &str, a: &RpatientInputs, att: SignedAttestation| ExecuteMsg::ClaimPatient {
        claim: Box::new(PatientClaim {
            activity_id: id.into(),
            activity: a.clone(),
            verifier: att.attestation.signer,
            issued_at: att.attestation.issued_at,
            nonce: Uint64::new(att.attestation.nonce),
            signature: att.signature,
        }),
    };
    // Unknown verifier.
    let att = patient_attestation(&s, 8, &patient, "act-1", &a);
    assert_eq!(
        err(s.exec(&patient, &claim("act-1", &a, att)).unwrap_err()),
        ContractError::UnknownVerifier
    );
    // Someone else cannot use the patient's attestation (the payload names the patient).
    let att = patient_attestation(&s, 9, &patient, "act-1", &a);
    assert!(matches!(
        err(s
            .exec(&other, &claim("act-1", &a, att.clone()))
            .unwrap_err()),
        ContractError::Attestation(_)
    ));
    // Inflating the claimed value breaks the payload hash.
    let inflated = activity(ActivityType::Checkup, 590);
    assert!(matches!(
        err(s
            .exec(&patient, &claim("act-1", &inflated, att.clone()))
            .unwrap_err()),
        ContractError::Attestation(_)
    ));
    s.exec(&patient, &claim("act-1", &a, att.clone())).unwrap();
    // 400 * 1 + 20 * 1 * 1 = 420 BTT.
    assert_eq!(s.balance(&s.btt.clone(), &patient), 420 * BTK);
    assert_eq!(
        err(s.exec(&patient, &claim("act-1", &a, att)).unwrap_err()),
        ContractError::ActivityClaimed("act-1".into())
    );
    // Daily cap of 2,000 BTT: 420 + 1,500 fits, then another check-up does not.
    let t = activity(ActivityType::TreatmentCompletion, 5_000);
    let att = patient_attestation(&s, 9, &patient, "act-2", &t);
    s.exec(&patient, &claim("act-2", &t, att)).unwrap();
    let att = patient_attestation(&s, 9, &patient, "act-3", &a);
    assert!(matches!(
        err(s.exec(&patient, &claim("act-3", &a, att)).unwrap_err()),
        ContractError::DailyCap { .. }
    ));
    s.advance(DAY);
    let att = patient_attestation(&s, 9, &patient, "act-3", &a);
    s.exec(&patient, &claim("act-3", &a, att)).unwrap();
    assert_eq!(
        s.balance(&s.btt.clone(), &patient),
        (420 + 1_500 + 420) * BTK
    );
    // A deactivated verifier no longer counts.
    s.exec(
        &gov,
        &ExecuteMsg::SetVerifier {
            pubkey: verifier,
            institution: "General Hospital".into(),
            active: false,
        },
    )
    .unwrap();
    let att = patient_attestation(&s, 9, &patient, "act-4", &a);
    assert_eq!(
        err(s.exec(&patient, &claim("act-4", &a, att)).unwrap_err()),
        ContractError::UnknownVerifier
    );
}

/// Issue #20: a work report waits out a challenge window before it pays. An attestor-set member
/// disputes a report (a stranger cannot), governance drops it and nothing is credited or
/// recorded; an undisputed report counts once anyone finalizes it after the window.
#[test]
fn work_reports_are_disputable_before_they_pay() {
    use bithive_rewards::state::{PendingWork, WorkStatus};
    use bithive_staking::msg::ExecuteMsg as StakingMsg;
    use cw_multi_test::Executor;
    let mut s = suite(3);
    for i in 0..3 {
        s.join(i, 400 * BTK);
    }
    let (gov, node0, node1) = (s.gov.clone(), s.nodes[0].clone(), s.nodes[1].clone());
    let window = |w: u64| ExecuteMsg::UpdateConfig {
        reporter: None,
        patient_daily_cap: None,
        max_units_per_t: None,
        challenge_seconds: Some(w),
        escrow: None,
        max_btk_per_fee: None,
    };
    assert!(matches!(
        err(s.exec(&gov, &window(8 * DAY)).unwrap_err()),
        ContractError::InvalidConfig(_)
    ));
    assert!(matches!(
        err(s.exec(&node0, &window(0)).unwrap_err()),
        ContractError::Unauthorized
    ));
    s.exec(&gov, &window(3_600)).unwrap();
    s.app
        .execute_contract(
            gov.clone(),
            s.staking.clone(),
            &StakingMsg::AdvanceAttestorSet { limit: 200 },
            &[],
        )
        .unwrap();
    let open_weight = |s: &Suite| {
        let r: NodeRewardsResponse = s
            .app
            .wrap()
            .query_wasm_smart(
                &s.rewards,
                &QueryMsg::NodeRewards {
                    node: s.nodes[0].to_string(),
                },
            )
            .unwrap();
        r.open_weight
    };
    let pending = |s: &Suite, id: u64| -> Option<PendingWork> {
        s.app
            .wrap()
            .query_wasm_smart(&s.rewards, &QueryMsg::PendingWork { id })
            .unwrap()
    };
    // Held, not credited.
    s.report(0, 100).unwrap();
    assert!(open_weight(&s).is_zero());
    assert_eq!(pending(&s, 1).unwrap().status, WorkStatus::Pending);
    assert_eq!(
        err(s
            .exec(&node0, &ExecuteMsg::FinalizeWork { id: 1 })
            .unwrap_err()),
        ContractError::ChallengeOpen {
            id: 1,
            until: s.app.block_info().time.seconds() + 3_600
        }
    );
    // A stranger cannot dispute; an attestor can.
    let stranger = s.app.api().addr_make("stranger");
    let dispute = |id: u64| ExecuteMsg::DisputeWork {
        id,
        reason: "units above what the node served".into(),
    };
    assert_eq!(
        err(s.exec(&stranger, &dispute(1)).unwrap_err()),
        ContractError::NotAttestor(stranger.to_string())
    );
    s.exec(&node1, &dispute(1)).unwrap();
    assert!(matches!(
        pending(&s, 1).unwrap().status,
        WorkStatus::Disputed { ref by, .. } if *by == node1
    ));
    s.advance(3_600);
    assert_eq!(
        err(s
            .exec(&node0, &ExecuteMsg::FinalizeWork { id: 1 })
            .unwrap_err()),
        ContractError::WorkDisputed(1)
    );
    let resolve = |valid| ExecuteMsg::ResolveWork { id: 1, valid };
    assert!(matches!(
        err(s.exec(&node1, &resolve(false)).unwrap_err()),
        ContractError::Unauthorized
    ));
    s.exec(&gov, &resolve(false)).unwrap();
    assert!(pending(&s, 1).is_none());
    assert!(open_weight(&s).is_zero());
    // Undisputed: counts once finalized after the window, by anyone.
    s.report(0, 100).unwrap();
    assert_eq!(
        err(s.exec(&stranger, &dispute(1)).unwrap_err()),
        ContractError::UnknownWork(1)
    );
    s.advance(3_600);
    assert_eq!(
        err(s.exec(&node1, &dispute(2)).unwrap_err()),
        ContractError::ChallengeClosed {
            id: 2,
            at: s.app.block_info().time.seconds()
        }
    );
    s.exec(&stranger, &ExecuteMsg::FinalizeWork { id: 2 })
        .unwrap();
    assert!(!open_weight(&s).is_zero());
    assert!(pending(&s, 2).is_none());
    assert_eq!(
        err(s
            .exec(&stranger, &ExecuteMsg::FinalizeWork { id: 2 })
            .unwrap_err()),
        ContractError::UnknownWork(2)
    );
}

/// ADR 007, decision 5: a node's meter reading is its own word. Attack: a T1 node's report
/// states 1 W (as a node lying about its RAPL reading would make attestors sign). Rewards takes
/// Penergy at half the tier's declared power at least (32.5 W), read from staking at report
/// time, so understating gains at most 2x over the declared figure (65 W).
#[test]
fn penergy_is_never_taken_below_half_the_tiers_declared_power() {
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 400 * BTK);
    assert_eq!(
        report_measured(&mut s, 0, 65, 1),
        ("32.5".into(), "2".into(), "200".into()),
        "1 W is taken as 32.5 W"
    );
    assert_eq!(
        report_measured(&mut s, 1, 65, 65),
        ("65".into(), "1".into(), "100".into()),
        "the declared figure"
    );
}

/// Issue #42, the tier bounded by what was measured. Attack: a research-grade machine registers
/// as T1 (the lowest Penergy floor) and states its meter's floor; its measured 650 TFLOPS over
/// 32.5 W would be 20 TFLOPS/W, eight times the best efficiency of T1's class (2.0-2.5 TFLOPS/W,
/// docs/glossary.md#node-tiers). Rewards counts at most its tier's band top: Penergy is raised
/// to Pcompute / 2.5 (260 W), so under-declaring the tier buys nothing beyond the band; more
/// needs the next tier (and its higher floor). A node within its band is untouched.
#[test]
fn a_node_is_paid_at_most_its_tiers_best_efficiency() {
    let mut s = suite(2);
    s.join(0, 400 * BTK);
    s.join(1, 400 * BTK);
    assert_eq!(
        report_measured(&mut s, 0, 650, 1),
        ("260".into(), "2.5".into(), "250".into()),
        "20 TFLOPS/W is counted as T1's 2.5"
    );
    assert_eq!(
        report_measured(&mut s, 1, 130, 65),
        ("65".into(), "2".into(), "200".into()),
        "2 TFLOPS/W is within T1's band"
    );
}

/// Node `i` serves 100 units of paid jobs and is reported with `pcompute` TFLOPS at `penergy` W
/// (full availability, no locality bonus): the report's (penergy, enode, weight) attributes.
fn report_measured(
    s: &mut Suite,
    i: usize,
    pcompute: u64,
    penergy: u64,
) -> (String, String, String) {
    use bithive_interface::rewards::MeasuredWork;
    use cw_multi_test::Executor;
    s.serve(i, 100);
    let msg = ExecuteMsg::ReportWork {
        node: s.nodes[i].to_string(),
        measured: MeasuredWork {
            pcompute: Decimal::from_ratio(pcompute, 1u64),
            penergy: Decimal::from_ratio(penergy, 1u64),
            availability: Decimal::one(),
            dfactor: Decimal::one(),
        },
    };
    let reporter = s.reporter.clone();
    let res = s
        .app
        .execute_contract(reporter, s.rewards.clone(), &msg, &[])
        .unwrap();
    let attr = |k: &str| {
        res.events
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
            .unwrap()
    };
    (attr("penergy"), attr("enode"), attr("weight"))
}
