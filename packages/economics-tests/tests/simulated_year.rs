//! A simulated year of the whole economy: daily emission, nodes joining and bonding, verified
//! work reported every day, an attestor set recomputed every epoch, a fraud slash, claims through
//! vesting, app developers and patients; invariants checked at the end.

use bithive_attestation::signing::{public_key, sign, signing_key};
use bithive_attestation::{Attestation, AttestationKind, Hash32, SignedAttestation};
use bithive_economics_tests::{World, BTK, DAY};
use bithive_formulas::emission::{due, Split};
use bithive_formulas::enode::EnodeInputs;
use bithive_formulas::rpatient::{ActivityType, RpatientInputs};
use bithive_rewards::msg::{
    ExecuteMsg as RewardsMsg, NodeRewardsResponse, QueryMsg as RewardsQuery, ReceiveMsg,
};
use bithive_rewards::state::{AppPool, ComputePool};
use bithive_staking::msg::{
    AttestorSetResponse, ExecuteMsg as StakingMsg, NodeResponse, QueryMsg as StakingQuery,
    ReceiveMsg as Bond, Tier,
};
use bithive_staking::state::Totals;
use bithive_vesting::msg::{
    Asset, ExecuteMsg as VestingMsg, QueryMsg as VestingQuery, SchedulesResponse, TotalsResponse,
};
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::Executor;

const NODES: usize = 6;

fn operator_key(i: usize) -> k256::ecdsa::SigningKey {
    signing_key(&[i as u8 + 11; 32]).unwrap()
}

fn enode_inputs(i: usize) -> EnodeInputs {
    EnodeInputs {
        pcompute: Decimal::from_ratio(20 + 5 * i as u64, 1u64),
        penergy: Decimal::from_ratio(10u64, 1u64),
        tasks_successful: 95 + i as u64,
        tasks_total: 100 + i as u64,
        availability: Decimal::percent(99),
        dfactor: Decimal::one(),
    }
}

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
    sign(a, &key).unwrap()
}

/// Claims (or distributes) every schedule of `who` that has something claimable.
fn sweep_vesting(w: &mut World, who: &Addr, as_owner: bool) -> u128 {
    let mut start_after = None;
    let mut total = 0;
    loop {
        let page: SchedulesResponse = w
            .app
            .wrap()
            .query_wasm_smart(
                &w.vesting,
                &VestingQuery::SchedulesByBeneficiary {
                    beneficiary: who.to_string(),
                    start_after,
                    limit: Some(50),
                },
            )
            .unwrap();
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
            (who.clone(), VestingMsg::Claim { ids })
        } else {
            (w.gov.clone(), VestingMsg::Distribute { ids })
        };
        w.app
            .execute_contract(sender, w.vesting.clone(), &msg, &[])
            .unwrap();
    }
    total
}

#[test]
fn a_simulated_year() {
    let api = cosmwasm_std::testing::MockApi::default();
    let nodes: Vec<Addr> = (0..NODES)
        .map(|i| api.addr_make(&format!("operator{i}")))
        .collect();
    let devs = [api.addr_make("dapp-dev-a"), api.addr_make("dapp-dev-b")];
    let patient = api.addr_make("patient");
    let mut w = World::new(&nodes, 2_000 * BTK);
    let gov = w.gov.clone();

    // Day 0: nodes 0-4 register; 0-3 pledge in full (T1 4 T = 400 BTK, T2 8 T = 800 BTK), node 4
    // pledges half. Node 5 joins later.
    let join = |w: &mut World, i: usize, pledge: u128| {
        let (cap, tier) = if i.is_multiple_of(2) {
            (4, Tier::T1)
        } else {
            (8, Tier::T2)
        };
        let msg = StakingMsg::RegisterNode {
            capacity_t: cap,
            tier,
            operator_key: public_key(&operator_key(i)),
        };
        w.app
            .execute_contract(nodes[i].clone(), w.staking.clone(), &msg, &[])
            .unwrap();
        let (btk, staking) = (w.btk.clone(), w.staking.clone());
        w.send(&btk, &nodes[i], &staking, pledge, &Bond::Bond {})
            .unwrap();
        let m = StakingMsg::SetCompliance {
            node: nodes[i].to_string(),
            level: Decimal::percent(90),
        };
        w.app
            .execute_contract(w.gov.clone(), w.staking.clone(), &m, &[])
            .unwrap();
    };
    for i in 0..4 {
        join(
            &mut w,
            i,
            if i.is_multiple_of(2) {
                400 * BTK
            } else {
                800 * BTK
            },
        );
    }
    join(&mut w, 4, 200 * BTK);
    for (d, weight) in devs.iter().zip([1u128, 2]) {
        let m = RewardsMsg::SetDeveloper {
            developer: d.to_string(),
            weight: Uint128::new(weight),
        };
        w.app
            .execute_contract(gov.clone(), w.rewards.clone(), &m, &[])
            .unwrap();
    }
    let verifier = signing_key(&[77; 32]).unwrap();
    let m = RewardsMsg::SetVerifier {
        pubkey: public_key(&verifier),
        institution: "Clinic".into(),
        active: true,
    };
    w.app
        .execute_contract(gov.clone(), w.rewards.clone(), &m, &[])
        .unwrap();
    let (btt, rewards) = (w.btt.clone(), w.rewards.clone());
    w.send(
        &btt,
        &gov,
        &rewards,
        100_000 * BTK,
        &ReceiveMsg::FundPatientPool {},
    )
    .unwrap();

    let mut earned_by_day_110 = [0u128; NODES];
    for day in 1..=364u64 {
        w.advance(DAY);
        w.app
            .execute_contract(
                gov.clone(),
                w.emission.clone(),
                &bithive_emission::msg::ExecuteMsg::Distribute {},
                &[],
            )
            .unwrap();
        if day == 120 {
            join(&mut w, 5, 400 * BTK);
        }
        let active = if day >= 120 { NODES } else { NODES - 1 };
        for (i, node) in nodes.iter().enumerate().take(active) {
            let m = RewardsMsg::ReportWork {
                node: node.to_string(),
                units: Uint128::new(100),
                enode: enode_inputs(i % 2),
            };
            w.app
                .execute_contract(w.reporter.clone(), w.rewards.clone(), &m, &[])
                .unwrap();
        }
        // Attestor set for the new epoch, four nodes per call.
        while w
            .app
            .execute_contract(
                gov.clone(),
                w.staking.clone(),
                &StakingMsg::AdvanceAttestorSet { limit: 4 },
                &[],
            )
            .is_ok()
        {}
        if day == 100 {
            // Node 2 signed two different results for one job: anyone can prove it.
            let m = StakingMsg::SubmitEvidence {
                first: Box::new(conflicting(2, "job-7", 1)),
                second: Box::new(conflicting(2, "job-7", 2)),
            };
            w.app
                .execute_contract(nodes[5].clone(), w.staking.clone(), &m, &[])
                .unwrap();
            let n: NodeResponse = w
                .app
                .wrap()
                .query_wasm_smart(
                    &w.staking,
                    &StakingQuery::Node {
                        node: nodes[2].to_string(),
                    },
                )
                .unwrap();
            assert_eq!(n.bonded.u128(), 320 * BTK);
            assert!(!n.full_rate);
        }
        if day == 110 {
            for (i, n) in nodes.iter().enumerate().take(NODES - 1) {
                let r: NodeRewardsResponse = w
                    .app
                    .wrap()
                    .query_wasm_smart(
                        &w.rewards,
                        &RewardsQuery::NodeRewards {
                            node: n.to_string(),
                        },
                    )
                    .unwrap();
                earned_by_day_110[i] = r.claimable.u128() + r.claimed.u128();
            }
            // Node 2 tops its pledge back up.
            let (btk, staking) = (w.btk.clone(), w.staking.clone());
            w.send(&btk, &nodes[2], &staking, 80 * BTK, &Bond::Bond {})
                .unwrap();
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
                chain_id: w.app.block_info().chain_id,
                contract: w.rewards.to_string(),
                job_id: "visit-2026-0001".into(),
                kind: AttestationKind::PatientActivity,
                result_hash: bithive_rewards::patient::payload_hash(
                    patient.as_str(),
                    "visit-2026-0001",
                    &a,
                ),
                commitments: vec![],
                issued_at: w.now(),
                nonce: 9,
                signer: public_key(&verifier),
            };
            let signed = sign(att, &verifier).unwrap();
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
            w.app
                .execute_contract(patient.clone(), w.rewards.clone(), &m, &[])
                .unwrap();
            assert_eq!(w.balance(&w.btt.clone(), &patient), 442_500_000);
        }
        if day.is_multiple_of(30) {
            for (i, n) in nodes.iter().enumerate().take(active) {
                if day == 120 && i == 5 {
                    continue; // joined today: its first epoch is still open
                }
                w.app
                    .execute_contract(
                        n.clone(),
                        w.rewards.clone(),
                        &RewardsMsg::ClaimCompute {},
                        &[],
                    )
                    .unwrap();
            }
            for d in &devs {
                w.app
                    .execute_contract(d.clone(), w.rewards.clone(), &RewardsMsg::ClaimApp {}, &[])
                    .unwrap();
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
    assert!(w
        .app
        .execute_contract(nodes[0].clone(), w.staking.clone(), &m, &[])
        .is_err());

    // Half-rate node 4 earned half of what node 0 (same work, same Enode) earned.
    assert!(earned_by_day_110[0] > 0);
    let ratio = earned_by_day_110[4] as f64 / earned_by_day_110[0] as f64;
    assert!((ratio - 0.5).abs() < 1e-6, "half-rate ratio {ratio}");
    // Node 2 (slashed at day 100) earned less than node 0 by day 110.
    assert!(earned_by_day_110[2] < earned_by_day_110[0]);

    // Emission: minted = the carried split of due(now); supply = genesis balances + minted.
    let elapsed = w.now() - w.genesis;
    let st: bithive_emission::msg::StatusResponse = w
        .app
        .wrap()
        .query_wasm_smart(&w.emission, &bithive_emission::msg::QueryMsg::Status {})
        .unwrap();
    assert_eq!(st.minted, Split::of_cumulative(due(elapsed)).total());
    assert_eq!(w.supply(&w.btk.clone()), w.initial_btk + st.minted.u128());
    assert_eq!(st.minted.u128(), 364 * 500_000 * BTK);

    // Every BTK is somewhere we know.
    let mut holders: Vec<Addr> = nodes.clone();
    holders.extend(devs.iter().cloned());
    holders.extend([
        w.foundation.clone(),
        w.operations.clone(),
        w.treasury.clone(),
        w.emission.clone(),
        w.vesting.clone(),
        w.staking.clone(),
        w.rewards.clone(),
    ]);
    let btk = w.btk.clone();
    let total: u128 = holders.iter().map(|h| w.balance(&btk, h)).sum();
    assert_eq!(total, w.supply(&btk));

    // Rewards holds exactly what it owes or has not allocated yet.
    let compute: ComputePool = w
        .app
        .wrap()
        .query_wasm_smart(&w.rewards, &RewardsQuery::ComputePool {})
        .unwrap();
    let app_pool: AppPool = w
        .app
        .wrap()
        .query_wasm_smart(&w.rewards, &RewardsQuery::AppPool {})
        .unwrap();
    assert_eq!(compute.funded, Split::of_cumulative(st.accounted).compute);
    assert_eq!(app_pool.funded, Split::of_cumulative(st.accounted).app);
    assert!(compute.paid <= compute.funded && app_pool.paid <= app_pool.funded);
    assert_eq!(
        w.balance(&btk, &w.rewards.clone()),
        (compute.funded - compute.paid + app_pool.funded - app_pool.paid).u128()
    );
    // Nearly all of the compute pool reached nodes (what remains: the open epoch and carried halves).
    assert!(
        compute.paid.u128() > compute.funded.u128() / 100 * 90,
        "{compute:?}"
    );

    // Staking holds exactly the pledges; the treasury exactly the slashes.
    let totals: Totals = w
        .app
        .wrap()
        .query_wasm_smart(&w.staking, &StakingQuery::Totals {})
        .unwrap();
    assert_eq!(
        w.balance(&btk, &w.staking.clone()),
        (totals.bonded + totals.unbonding).u128()
    );
    assert_eq!(w.balance(&btk, &w.treasury.clone()), totals.slashed.u128());
    assert_eq!(totals.slashed.u128(), 80 * BTK);
    assert_eq!(totals.nodes, NODES as u64);

    // Vesting holds funded - released.
    let vt: TotalsResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.vesting,
            &VestingQuery::Totals {
                asset: Asset::Cw20(btk.to_string()),
            },
        )
        .unwrap();
    assert_eq!(
        w.balance(&btk, &w.vesting.clone()),
        (vt.funded - vt.released - vt.returned).u128()
    );
    // The foundation's first schedule (day 1) is fully vested after 11 months and was distributed.
    let first: SchedulesResponse = w
        .app
        .wrap()
        .query_wasm_smart(
            &w.vesting,
            &VestingQuery::SchedulesByBeneficiary {
                beneficiary: w.foundation.to_string(),
                start_after: None,
                limit: Some(1),
            },
        )
        .unwrap();
    assert_eq!(first.schedules[0].released, first.schedules[0].amount);
    assert!(w.balance(&btk, &w.foundation.clone()) > 0);

    // An attestor set of three is in force for this epoch.
    let set: AttestorSetResponse = w
        .app
        .wrap()
        .query_wasm_smart(&w.staking, &StakingQuery::AttestorSet {})
        .unwrap();
    assert_eq!(set.epoch, Some(set.current_epoch));
    assert_eq!(set.members.len(), 3);
}
