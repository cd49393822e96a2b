//! The integration story, written once for every [`Ledger`]: a simulated year of the whole
//! economy (daily emission, nodes joining and bonding, verified work reported every day, an
//! attestor set recomputed every epoch, a fraud slash with real signed conflicting attestations,
//! claims through vesting, app developers and patients), then unbonding after the 540-day lock
//! with a governance slash reaching the unbonding claims. Invariants are checked at the end of
//! the year and again after unbonding.

use bithive_formulas::emission::{due, Split};
use bithive_formulas::rpatient::{ActivityType, RpatientInputs};
use bithive_rewards::msg::{
    ExecuteMsg as RewardsMsg, NodeRewardsResponse, QueryMsg as RewardsQuery, ReceiveMsg,
};
use bithive_rewards::msg::{JobOutcome, MeasuredWork};
use bithive_rewards::state::{AppPool, ComputePool};
use bithive_signed_attestation::signing::{public_key, sign, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, SignedAttestation};
use bithive_staking::msg::{
    AttestorSetResponse, ExecuteMsg as StakingMsg, NodeResponse, QueryMsg as StakingQuery,
    ReceiveMsg as Bond, Tier,
};
use bithive_staking::state::Totals;
use bithive_vesting::msg::{
    Asset, ExecuteMsg as VestingMsg, QueryMsg as VestingQuery, SchedulesResponse, TotalsResponse,
};
use cosmwasm_std::{Decimal, Uint128};

use crate::{Ledger, World, BTK, DAY};

pub const NODES: usize = 6;

fn operator_key(i: usize) -> k256::ecdsa::SigningKey {
    signing_key(&[i as u8 + 11; 32]).expect("valid key")
}

/// What the attestors measured of node `i` (odd nodes are slower).
fn measured(i: usize) -> MeasuredWork {
    MeasuredWork {
        pcompute: Decimal::from_ratio(20 + 5 * i as u64, 1u64),
        penergy: Decimal::from_ratio(10u64, 1u64),
        availability: Decimal::percent(99),
        dfactor: Decimal::one(),
    }
}

/// A statement by node `i`'s operator key about `job`.
fn conflicting(i: usize, job: &str, result: u8) -> SignedAttestation {
    let key = operator_key(i);
    let a = Attestation {
        chain_id: "bithive-1".into(),
        contract: "inference".into(),
        job_id: job.into(),
        kind: AttestationKind::ComputeWork,
        result_hash: Hash32([result; 32]),
        commitments: vec![],
        issued_at: 1,
        nonce: result as u64,
        signer: public_key(&key),
    };
    sign(a, &key).expect("sign")
}

/// Claims (as the beneficiary) or distributes (as governance) every schedule of `who` that has
/// something claimable; returns what was claimable.
fn sweep_vesting<L: Ledger>(w: &mut World<L>, who: &str, as_owner: bool) -> u128 {
    let mut start_after = None;
    let mut total = 0;
    loop {
        let page: SchedulesResponse = w.query(
            &w.vesting,
            &VestingQuery::SchedulesByBeneficiary {
                beneficiary: who.to_string(),
                start_after,
                limit: Some(50),
            },
        );
        let Some(last) = page.schedules.last() else {
            break;
        };
        start_after = Some(last.id);
        let ids: Vec<u64> = page
            .schedules
            .iter()
            .filter(|s| !s.claimable.is_zero())
            .map(|s| s.id)
            .collect();
        total += page
            .schedules
            .iter()
            .map(|s| s.claimable.u128())
            .sum::<u128>();
        if ids.is_empty() {
            continue;
        }
        let (sender, msg) = if as_owner {
            (who.to_string(), VestingMsg::Claim { ids })
        } else {
            (w.gov.clone(), VestingMsg::Distribute { ids })
        };
        let vesting = w.vesting.clone();
        w.exec(&sender, &vesting, &msg).expect("vesting claim");
    }
    total
}

fn node_info<L: Ledger>(w: &World<L>, node: &str) -> NodeResponse {
    w.query(
        &w.staking,
        &StakingQuery::Node {
            node: node.to_string(),
        },
    )
}

/// Runs the story on `ledger`; panics on the first broken expectation.
pub fn a_simulated_year<L: Ledger>(ledger: L) {
    let nodes: Vec<String> = (0..NODES)
        .map(|i| ledger.addr(&format!("operator{i}")))
        .collect();
    let devs = [ledger.addr("dapp-dev-a"), ledger.addr("dapp-dev-b")];
    let patient = ledger.addr("patient");
    let mut w = World::new(ledger, &nodes, 2_000 * BTK);
    let gov = w.gov.clone();
    let (btk, btt) = (w.btk.clone(), w.btt.clone());
    let (staking, rewards, emission) = (w.staking.clone(), w.rewards.clone(), w.emission.clone());

    // Day 0: nodes 0-4 register; 0-3 pledge in full (T1 4 T = 400 BTK, T2 8 T = 800 BTK), node 4
    // pledges half, so it may not mine (#20): its work is refused all year. Node 5 joins later.
    let join = |w: &mut World<L>, i: usize, pledge: u128| {
        let (cap, tier) = if i.is_multiple_of(2) {
            (4, Tier::T1)
        } else {
            (8, Tier::T2)
        };
        let msg = StakingMsg::RegisterNode {
            capacity_t: cap,
            tier,
            operator_key: public_key(&operator_key(i)),
            operator_signature: bithive_signed_attestation::signing::sign_operator_pop(
                &operator_key(i),
                &w.ledger.chain_id(),
                &staking,
                &nodes[i],
            )
            .expect("operator key proof"),
        };
        w.exec(&nodes[i], &staking, &msg).expect("register");
        w.send(&btk, &nodes[i], &staking, pledge, &Bond::Bond {})
            .expect("bond");
        let m = StakingMsg::SetCompliance {
            node: nodes[i].clone(),
            level: Decimal::percent(90),
        };
        w.exec(&gov, &staking, &m).expect("compliance");
    };
    for i in 0..4usize {
        let pledge = if i.is_multiple_of(2) { 400 } else { 800 };
        join(&mut w, i, pledge * BTK);
    }
    join(&mut w, 4, 200 * BTK);
    for (d, weight) in devs.iter().zip([1u128, 2]) {
        let m = RewardsMsg::SetDeveloper {
            developer: d.clone(),
            weight: Uint128::new(weight),
        };
        w.exec(&gov, &rewards, &m).expect("developer");
    }
    let verifier = signing_key(&[77; 32]).expect("valid key");
    let m = RewardsMsg::SetVerifier {
        pubkey: public_key(&verifier),
        institution: "Clinic".into(),
        active: true,
    };
    w.exec(&gov, &rewards, &m).expect("verifier");
    w.send(
        &btt,
        &gov,
        &rewards,
        100_000 * BTK,
        &ReceiveMsg::FundPatientPool {},
    )
    .expect("fund patients");

    let mut earned_by_day_110 = [0u128; NODES];
    for day in 1..=364u64 {
        w.advance(DAY);
        w.exec(
            &gov,
            &emission,
            &bithive_emission::msg::ExecuteMsg::Distribute {},
        )
        .expect("distribute");
        if day == 120 {
            // T2 8 T: the full 800 BTK (400 BTK was paid 50 % before #20; now it may not mine).
            join(&mut w, 5, 800 * BTK);
        }
        let active = if day >= 120 { NODES } else { NODES - 1 };
        let reporter = w.reporter.clone();
        for (i, node) in nodes.iter().enumerate().take(active) {
            // The day's jobs, as the escrow tells them: one paid job of 100 units; odd nodes also
            // let one accepted job expire (Tsuccessful / Ttotal 1/2).
            let paid = JobOutcome::Paid {
                units: Uint128::new(100),
                fee: Uint128::one(),
            };
            let mut outcomes = vec![paid];
            if i % 2 == 1 {
                outcomes.push(JobOutcome::Expired {});
            }
            for outcome in outcomes {
                let told = RewardsMsg::RecordOutcome {
                    node: node.clone(),
                    outcome,
                };
                w.exec(&reporter, &rewards, &told).expect("record outcome");
            }
            let m = RewardsMsg::ReportWork {
                node: node.clone(),
                measured: measured(i % 2),
            };
            // Below the pledge (no halving this year, so no top-up grace) the work is refused:
            // node 4 always, node 2 from its slash (day 100) until its top-up (day 110).
            let pledged = i != 4 && !(i == 2 && (101..=110).contains(&day));
            match w.exec(&reporter, &rewards, &m) {
                Ok(()) => assert!(pledged, "under-pledged node {i} mined on day {day}"),
                Err(e) => assert!(
                    !pledged && e.contains("not pledged"),
                    "node {i} day {day}: {e}"
                ),
            }
        }
        // Attestor set for the new epoch, four nodes per call.
        while w
            .exec(&gov, &staking, &StakingMsg::AdvanceAttestorSet { limit: 4 })
            .is_ok()
        {}
        if day == 100 {
            // Node 2 signed two different results for one job: anyone can prove it.
            let m = StakingMsg::SubmitEvidence {
                first: Box::new(conflicting(2, "job-7", 1)),
                second: Box::new(conflicting(2, "job-7", 2)),
            };
            w.exec(&nodes[5], &staking, &m).expect("evidence");
            assert!(
                w.exec(&nodes[3], &staking, &m).is_err(),
                "replayed evidence"
            );
            let n = node_info(&w, &nodes[2]);
            assert_eq!(n.bonded.u128(), 320 * BTK);
            assert!(!n.full_rate);
        }
        if day == 110 {
            for (i, n) in nodes.iter().enumerate().take(NODES - 1) {
                let r: NodeRewardsResponse =
                    w.query(&rewards, &RewardsQuery::NodeRewards { node: n.clone() });
                earned_by_day_110[i] = r.claimable.u128() + r.claimed.u128();
            }
            // Node 2 tops its pledge back up.
            w.send(&btk, &nodes[2], &staking, 80 * BTK, &Bond::Bond {})
                .expect("top up");
        }
        if day == 150 {
            let a = RpatientInputs {
                activity: ActivityType::Checkup,
                days: 1,
                avalue: Decimal::from_ratio(300u64, 1u64),
                cfactor: Decimal::percent(120),
                hconsistency: Decimal::from_ratio(50u64, 1u64),
                tmultiplier: Decimal::percent(150),
                padjustment: Decimal::percent(110),
            };
            let att = Attestation {
                chain_id: w.ledger.chain_id(),
                contract: rewards.clone(),
                job_id: "visit-2026-0001".into(),
                kind: AttestationKind::PatientActivity,
                result_hash: bithive_rewards::msg::patient_claim::payload_hash(
                    &patient,
                    "visit-2026-0001",
                    &a,
                ),
                commitments: vec![],
                issued_at: w.now(),
                nonce: 9,
                signer: public_key(&verifier),
            };
            let signed = sign(att, &verifier).expect("sign");
            let m = RewardsMsg::ClaimPatient {
                claim: Box::new(bithive_rewards::msg::PatientClaim {
                    activity_id: "visit-2026-0001".into(),
                    activity: a,
                    verifier: signed.attestation.signer,
                    issued_at: signed.attestation.issued_at,
                    nonce: cosmwasm_std::Uint64::new(signed.attestation.nonce),
                    signature: signed.signature,
                }),
            };
            w.exec(&patient, &rewards, &m).expect("patient claim");
            // 300 x 1.2 + 50 x 1.5 x 1.1 = 442.5 BTT, inside the check-up range 200-600.
            assert_eq!(w.balance(&btt, &patient), 442_500_000);
            assert!(
                w.exec(&patient, &rewards, &m).is_err(),
                "activity paid twice"
            );
        }
        if day.is_multiple_of(30) {
            for (i, n) in nodes.iter().enumerate().take(active) {
                if (day == 120 && i == 5) || i == 4 {
                    continue; // joined today (its first epoch is still open) / never pledged
                }
                w.exec(n, &rewards, &RewardsMsg::ClaimCompute {})
                    .expect("claim compute");
            }
            for d in &devs {
                w.exec(d, &rewards, &RewardsMsg::ClaimApp {})
                    .expect("claim app");
            }
            for n in nodes.iter().take(active) {
                sweep_vesting(&mut w, n, true);
            }
            let (f, o) = (w.foundation.clone(), w.operations.clone());
            sweep_vesting(&mut w, &f, false);
            sweep_vesting(&mut w, &o, false);
        }
    }

    // The 540-day lock still holds after a year.
    let m = StakingMsg::Unbond {
        amount: Uint128::new(BTK),
    };
    assert!(w.exec(&nodes[0], &staking, &m).is_err(), "unbonded early");

    // Under-pledged node 4 earned nothing (before #20 it was paid 50 %).
    assert!(earned_by_day_110[0] > 0);
    assert_eq!(earned_by_day_110[4], 0);
    // Node 2 (slashed at day 100) earned less than node 0 by day 110.
    assert!(earned_by_day_110[2] < earned_by_day_110[0]);

    let st: bithive_emission::msg::StatusResponse =
        w.query(&emission, &bithive_emission::msg::QueryMsg::Status {});
    assert_eq!(st.minted.u128(), 364 * 500_000 * BTK);
    // Nearly all of the compute pool reached nodes (what remains: the open epoch and carried
    // halves).
    let compute: ComputePool = w.query(&rewards, &RewardsQuery::ComputePool {});
    assert!(
        compute.paid.u128() > compute.funded.u128() / 100 * 90,
        "{compute:?}"
    );
    // The foundation's first schedule (day 1) is fully vested after 11 months and was distributed.
    let first: SchedulesResponse = w.query(
        &w.vesting,
        &VestingQuery::SchedulesByBeneficiary {
            beneficiary: w.foundation.clone(),
            start_after: None,
            limit: Some(1),
        },
    );
    assert_eq!(first.schedules[0].released, first.schedules[0].amount);
    assert!(w.balance(&btk, &w.foundation) > 0);
    // An attestor set of three is in force for this epoch.
    let set: AttestorSetResponse = w.query(&staking, &StakingQuery::AttestorSet {});
    assert_eq!(set.epoch, Some(set.current_epoch));
    assert_eq!(set.members.len(), 3);
    let holders: Vec<String> = nodes.iter().chain(devs.iter()).cloned().collect();
    invariants(&w, &holders, 80 * BTK);

    // Day 541: the day-0 lots have matured. Emission catches up over the gap in one call.
    w.advance(177 * DAY);
    w.exec(
        &gov,
        &emission,
        &bithive_emission::msg::ExecuteMsg::Distribute {},
    )
    .expect("distribute after gap");
    let before: Vec<u128> = nodes.iter().map(|n| w.balance(&btk, n)).collect();
    let unbond = |amount: u128| StakingMsg::Unbond {
        amount: Uint128::new(amount),
    };
    w.exec(&nodes[0], &staking, &unbond(100 * BTK))
        .expect("unbond node 0");
    w.exec(&nodes[1], &staking, &unbond(300 * BTK))
        .expect("unbond node 1");
    w.exec(&nodes[1], &staking, &unbond(500 * BTK))
        .expect("unbond node 1 again");
    assert!(
        w.exec(&nodes[1], &staking, &unbond(BTK)).is_err(),
        "unbonded more than bonded"
    );
    // Node 2's top-up of day 110 is still locked (until day 650); its day-0 lot is not.
    assert!(w.exec(&nodes[2], &staking, &unbond(321 * BTK)).is_err());
    assert!(
        w.exec(&nodes[0], &staking, &StakingMsg::ClaimUnbonded {})
            .is_err(),
        "claim before maturity"
    );
    // A governance slash reaches the unbonding claims: 10 % of node 1's 800 BTK.
    let slash = StakingMsg::Slash {
        node: nodes[1].clone(),
        fraction: Decimal::percent(10),
        reason: "sla breach".into(),
    };
    assert!(
        w.exec(&nodes[0], &staking, &slash).is_err(),
        "non-governance slash"
    );
    w.exec(&gov, &staking, &slash).expect("governance slash");
    let n1 = node_info(&w, &nodes[1]);
    assert_eq!((n1.bonded.u128(), n1.unbonding.u128()), (0, 720 * BTK));
    w.advance(21 * DAY);
    for n in &nodes[..2] {
        w.exec(n, &staking, &StakingMsg::ClaimUnbonded {})
            .expect("claim unbonded");
    }
    assert_eq!(w.balance(&btk, &nodes[0]) - before[0], 100 * BTK);
    assert_eq!(w.balance(&btk, &nodes[1]) - before[1], 720 * BTK);
    let totals: Totals = w.query(&staking, &StakingQuery::Totals {});
    assert_eq!(totals.unbonding.u128(), 0);
    w.exec(
        &gov,
        &emission,
        &bithive_emission::msg::ExecuteMsg::Distribute {},
    )
    .expect("distribute");
    invariants(&w, &holders, 160 * BTK);
}

/// Conservation of BTK across the four contracts, with `holders` the accounts outside them.
fn invariants<L: Ledger>(w: &World<L>, holders: &[String], slashed: u128) {
    let btk = &w.btk;
    // Emission (just distributed): minted = the carried split of due(now); supply = genesis
    // balances + minted.
    let st: bithive_emission::msg::StatusResponse =
        w.query(&w.emission, &bithive_emission::msg::QueryMsg::Status {});
    assert_eq!(
        st.minted,
        Split::of_cumulative(due(w.now() - w.genesis)).total()
    );
    assert_eq!(w.supply(btk), w.initial_btk + st.minted.u128());

    // Every BTK is somewhere we know.
    let mut all: Vec<&str> = holders.iter().map(String::as_str).collect();
    all.extend([
        w.foundation.as_str(),
        &w.operations,
        &w.treasury,
        &w.emission,
        &w.vesting,
        &w.staking,
        &w.rewards,
    ]);
    let total: u128 = all.iter().map(|h| w.balance(btk, h)).sum();
    assert_eq!(total, w.supply(btk));

    // Rewards holds exactly what it owes or has not allocated yet.
    let compute: ComputePool = w.query(&w.rewards, &RewardsQuery::ComputePool {});
    let app_pool: AppPool = w.query(&w.rewards, &RewardsQuery::AppPool {});
    assert_eq!(compute.funded, Split::of_cumulative(st.accounted).compute);
    assert_eq!(app_pool.funded, Split::of_cumulative(st.accounted).app);
    assert!(compute.paid <= compute.funded && app_pool.paid <= app_pool.funded);
    assert_eq!(
        w.balance(btk, &w.rewards),
        (compute.funded - compute.paid + app_pool.funded - app_pool.paid).u128()
    );

    // Staking holds exactly the pledges; the treasury exactly the slashes.
    let totals: Totals = w.query(&w.staking, &StakingQuery::Totals {});
    assert_eq!(
        w.balance(btk, &w.staking),
        (totals.bonded + totals.unbonding).u128()
    );
    assert_eq!(w.balance(btk, &w.treasury), totals.slashed.u128());
    assert_eq!(totals.slashed.u128(), slashed);
    assert_eq!(totals.nodes, NODES as u64);

    // Vesting holds funded - released - returned.
    let vt: TotalsResponse = w.query(
        &w.vesting,
        &VestingQuery::Totals {
            asset: Asset::Cw20(btk.clone()),
        },
    );
    assert_eq!(
        w.balance(btk, &w.vesting),
        (vt.funded - vt.released - vt.returned).u128()
    );
}
