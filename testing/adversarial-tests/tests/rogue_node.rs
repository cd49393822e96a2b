//! The rogue node: a registered operator tries to be paid for work nobody verified. It reports
//! without a pledge, attests its own work (alone or as one of a quorum), reports more units than
//! its capacity, reports escrow jobs bound to another node or to none, claims jobs without
//! being eligible, and signs alone what the deployment says needs a quorum. Every attempt is
//! refused with its specific error and nothing moves.

use bithive_adversarial_tests::{
    bls_key, checkup, contract_error, operator_key, refused, Plan, World, BTK, CAPACITY_T, PLEDGE,
};
use bithive_interface::attestation::{InferencePayload, PatientPayload};
use bithive_interface::payfi_escrow::ExecuteMsg as EscrowMsg;
use bithive_interface::rewards::{ExecuteMsg as RewardsMsg, DEFAULT_MAX_UNITS_PER_T};
use bithive_signed_attestation::{AttestationKind, QUORUM_SIGNER};
use cosmwasm_std::{to_json_binary, Uint128};

/// Node 5: registered, never bonded (the attestor set is nodes 0..5).
const ROGUE: usize = 5;

fn world(plan: Plan) -> World {
    let mut w = World::deploy(plan);
    w.register_node(ROGUE).expect("register the rogue node");
    w
}

#[test]
fn an_unpledged_node_earns_nothing() {
    let mut w = world(Plan::default());
    let rogue = w.node(ROGUE);
    assert!(w.pledge_status(&rogue).registered);
    assert!(!w.pledge_status(&rogue).eligible);
    let accounts = [rogue.as_str()];
    let before = w.snapshot(&accounts);
    let rewards = w.c.rewards.clone();

    // Straight to rewards: only the reporter (the attestation contract) reports work.
    let e = w.exec(
        &rogue,
        &rewards,
        &RewardsMsg::ReportWork {
            node: rogue.clone(),
            units: Uint128::new(1_000),
            enode: bithive_adversarial_tests::enode(),
        },
    );
    assert_eq!(contract_error(e), "unauthorized");

    // Even a genuine quorum of attestors vouching for its work: rewards refuses, unpledged.
    let (a, payload) = w.work(&rogue, 1_000, "work-rogue", QUORUM_SIGNER, 1);
    let sigs = w.quorum_signatures(&a, &[0, 1, 2]);
    let e = w.submit_quorum(&a, sigs, Some(payload));
    refused(
        e,
        &format!(
            "node {rogue} is not pledged: bonded 0, required {}",
            100 * BTK * CAPACITY_T as u128
        ),
    );

    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.node_rewards(&rogue).claimable, Uint128::zero());
}

#[test]
fn a_node_cannot_attest_its_own_work() {
    // A deployment that lets single signers attest compute work: the node still cannot vouch
    // for itself.
    let mut w = world(Plan {
        quorum_kinds: vec![],
        ..Plan::default()
    });
    let node0 = w.node(0);
    let accounts = [node0.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, 1_000, "work-self", operator_key(0), 1);
    let e = w.submit(0, &a, Some(payload));
    refused(
        e,
        &format!("node {node0} cannot attest its own work: other attestors must"),
    );
    w.assert_unchanged(&before, &accounts);

    // The deploy's defaults (compute work needs a quorum): the node as one of the quorum.
    let mut w = world(Plan::default());
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, 1_000, "work-self", QUORUM_SIGNER, 1);
    let sigs = w.quorum_signatures(&a, &[0, 1, 2]);
    let e = w.submit_quorum(&a, sigs, Some(payload));
    refused(
        e,
        &format!("node {node0} cannot attest its own work: other attestors must"),
    );
    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.node_rewards(&node0).claimable, Uint128::zero());
}

#[test]
fn units_above_capacity_are_refused() {
    let mut w = world(Plan::default());
    let node0 = w.node(0);
    let limit = u128::from(CAPACITY_T) * DEFAULT_MAX_UNITS_PER_T;

    // One report above the epoch's limit.
    refused_over_capacity(&mut w, limit + 1, "work-big", 1, limit);

    // Split in two: the first fits (held for the challenge window), the second would exceed.
    let (a, payload) = w.work(&node0, limit - 10, "work-1", QUORUM_SIGNER, 2);
    let sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    w.submit_quorum(&a, sigs, Some(payload))
        .expect("an honest report within capacity");
    refused_over_capacity(&mut w, 11, "work-2", 3, limit);
}

/// A quorum report of `units` by node 0 that takes it to `limit + 1` this epoch: refused,
/// changing nothing.
fn refused_over_capacity(w: &mut World, units: u128, job_id: &str, nonce: u64, limit: u128) {
    let node0 = w.node(0);
    let accounts = [node0.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, units, job_id, QUORUM_SIGNER, nonce);
    let sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    refused(
        w.submit_quorum(&a, sigs, Some(payload)),
        &format!(
            "node {node0} would report {} units this epoch, above its capacity limit {limit}",
            limit + 1
        ),
    );
    w.assert_unchanged(&before, &accounts);
}

/// What staking has slashed from node `i` so far.
fn slashed(w: &World, i: usize) -> u128 {
    let r: bithive_interface::staking::NodeResponse = w.query(
        &w.c.staking,
        &bithive_interface::staking::QueryMsg::Node { node: w.node(i) },
    );
    r.slashed.u128()
}

/// Nodes 1 to 3 signed the evidence and each lost `fraud_slash` (10 %); nodes 0 and 4 did not.
fn assert_signers_slashed(w: &World) {
    for i in [1, 2, 3] {
        assert_eq!(slashed(w, i), PLEDGE / 10, "signer {i}");
    }
    for i in [0, 4] {
        assert_eq!(slashed(w, i), 0, "node {i} did not sign");
    }
}

/// The over-capacity report is also slashable evidence (#20): anyone hands the refused quorum
/// report to staking, and each attestor that signed it loses `fraud_slash` (10 %); the subject
/// node, which did not sign, and an attestor that did not, lose nothing. Re-signed by nobody
/// else, forged, or within capacity, it slashes nobody.
#[test]
fn an_over_capacity_report_is_slashable_evidence() {
    use bithive_interface::staking::{EvidenceProof, ExecuteMsg as StakingMsg};
    let mut w = world(Plan::default());
    let node0 = w.node(0);
    let limit = u128::from(CAPACITY_T) * DEFAULT_MAX_UNITS_PER_T;
    let staking = w.c.staking.clone();
    let anyone = w.addr("watcher");

    // Within capacity: not evidence, nothing changes.
    let (a, payload) = w.work(&node0, limit, "work-ok", QUORUM_SIGNER, 1);
    let signatures = w.quorum_signatures(&a, &[1, 2, 3]);
    let evidence = |a: &bithive_signed_attestation::Attestation,
                    signatures: Vec<bithive_interface::attestation::KeySignature>,
                    payload: cosmwasm_std::Binary| {
        StakingMsg::SubmitCapacityEvidence {
            attestation: Box::new(a.clone()),
            proof: EvidenceProof::Secp256k1 { signatures },
            payload,
        }
    };
    let before = w.snapshot(&[node0.as_str()]);
    refused(
        w.exec(&anyone, &staking, &evidence(&a, signatures, payload)),
        &format!("{limit} units are within the capacity limit {limit}: not evidence"),
    );
    w.assert_unchanged(&before, &[node0.as_str()]);

    // Above it: refused by rewards, then slashed as evidence.
    let (a, payload) = w.work(&node0, limit + 1, "work-big", QUORUM_SIGNER, 1);
    let signatures = w.quorum_signatures(&a, &[1, 2, 3]);
    assert!(w
        .submit_quorum(&a, signatures.clone(), Some(payload.clone()))
        .is_err());
    w.ok(
        &anyone,
        &staking,
        &evidence(&a, signatures.clone(), payload.clone()),
    );
    assert_signers_slashed(&w);
    // Used once.
    refused(
        w.exec(&anyone, &staking, &evidence(&a, signatures, payload)),
        "this evidence was already used",
    );
}

/// The same offence signed as one BLS12-381 aggregate (keys from the attestation contract, where
/// each node registered its own with a proof of possession): the aggregate cannot name a node
/// that did not sign, and each member is slashed once, on the artifacts in cosmwasm-vm.
#[test]
fn a_bls_quorum_over_capacity_report_is_slashable_evidence() {
    use bithive_interface::staking::{EvidenceProof, ExecuteMsg as StakingMsg};
    let mut w = world(Plan::default());
    let node0 = w.node(0);
    let limit = u128::from(CAPACITY_T) * DEFAULT_MAX_UNITS_PER_T;
    let (staking, anyone) = (w.c.staking.clone(), w.addr("watcher"));
    let (a, payload) = w.work(&node0, limit + 1, "work-bls", QUORUM_SIGNER, 1);
    // Rewards refuses the report itself.
    assert!(w
        .submit_bls(&a, &[1, 2, 3], &[1, 2, 3], Some(payload.clone()))
        .is_err());
    let evidence = |w: &World, named: &[usize], signing: &[usize]| {
        let keys: Vec<_> = signing.iter().map(|&i| bls_key(i)).collect();
        let signature = bithive_signed_attestation::bls::sign_quorum(&a, &keys).expect("aggregate");
        StakingMsg::SubmitCapacityEvidence {
            attestation: Box::new(a.clone()),
            proof: EvidenceProof::Bls {
                signers: named.iter().map(|&i| w.node(i)).collect(),
                signature: signature.to_vec().into(),
            },
            payload: payload.clone(),
        }
    };
    // Framing node 4: named, but only 1 to 3 signed.
    let accounts = [node0.as_str()];
    let before = w.snapshot(&accounts);
    let framed = evidence(&w, &[1, 2, 3, 4], &[1, 2, 3]);
    assert!(w.exec(&anyone, &staking, &framed).is_err());
    w.assert_unchanged(&before, &accounts);
    for i in 0..5 {
        assert_eq!(slashed(&w, i), 0, "node {i} after a framing attempt");
    }
    let honest = evidence(&w, &[1, 2, 3], &[1, 2, 3]);
    w.ok(&anyone, &staking, &honest);
    assert_signers_slashed(&w);
    refused(
        w.exec(&anyone, &staking, &honest),
        "this evidence was already used",
    );
}

/// Issue #23: an inference attestation's payload carries the result's Tscore for the model's
/// record (bound by its hash among the commitments). A Tscore above 1 is refused and nothing
/// moves; a valid one is reported with the job.
#[test]
fn an_inference_tscore_above_one_is_refused() {
    let mut w = world(Plan::default());
    let node1 = w.node(1);
    let payer = w.addr("payer");
    let bound = w.create_job(&payer, "job-scored", Some(node1.clone()), 1_000 * BTK);
    let escrow = w.c.payfi_escrow.clone();
    let accounts = [node1.as_str(), payer.as_str()];
    let before = w.snapshot(&accounts);
    // Node 1's inference report for the job, scored `t`.
    let scored = |w: &World, t: &str, nonce: u64| {
        let p = to_json_binary(&InferencePayload {
            node: None,
            tscore: Some(t.parse().expect("decimal")),
        })
        .expect("payload");
        let a = w.attestation(
            AttestationKind::Inference,
            &bound,
            p.as_slice(),
            operator_key(1),
            nonce,
        );
        (a, p)
    };
    let (a, p) = scored(&w, "1.5", 1);
    refused(w.submit(1, &a, Some(p)), "an inference tscore is in [0, 1]");
    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.bank(&escrow), 1_000 * BTK);
    let (a, p) = scored(&w, "0.8", 2);
    w.submit(1, &a, Some(p)).expect("a scored report");
    assert!(matches!(
        w.job(&bound).status,
        bithive_interface::payfi_escrow::JobStatus::Reported { .. }
    ));
}

#[test]
fn a_node_cannot_report_escrow_jobs_that_are_not_its_own() {
    let mut w = world(Plan::default());
    let (node0, node1) = (w.node(0), w.node(1));
    let payer = w.addr("payer");
    let bound = w.create_job(&payer, "job-bound", Some(node1.clone()), 1_000 * BTK);
    let open = w.create_job(&payer, "job-open", None, 1_000 * BTK);
    let escrow = w.c.payfi_escrow.clone();
    let accounts = [node0.as_str(), node1.as_str(), payer.as_str()];
    let before = w.snapshot(&accounts);
    let escrow_funds = w.bank(&escrow);
    assert_eq!(escrow_funds, 2_000 * BTK);

    // Inference attestations are signed by the job's node alone (not a quorum kind).
    let a = w.attestation(AttestationKind::Inference, &bound, b"", operator_key(0), 1);
    refused(
        w.submit(0, &a, None),
        &format!("job {bound} is bound to node {node1}, not {node0}"),
    );
    // Node 0 signs a payload naming the bound node: a statement in node 1's name.
    let payload = to_json_binary(&InferencePayload {
        node: Some(node1.clone()),
        tscore: None,
    })
    .expect("payload");
    let a = w.attestation(
        AttestationKind::Inference,
        &bound,
        payload.as_slice(),
        operator_key(0),
        3,
    );
    refused(
        w.submit(0, &a, Some(payload)),
        &format!("payload names node {node1}, not the signer's node"),
    );
    let a = w.attestation(AttestationKind::Inference, &open, b"", operator_key(0), 2);
    refused(
        w.submit(0, &a, None),
        &format!("job {open} is bound to no node: an eligible node claims it first"),
    );

    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.bank(&escrow), escrow_funds);
    assert_eq!(w.bank(&node0), 0);
    assert!(w.job(&bound).node.is_some_and(|n| n.as_str() == node1));
    assert!(w.job(&open).node.is_none());

    // Control: the bound node's own report pays it (less the 0.5 % fee) once the payer's
    // dispute window has passed.
    let a = w.attestation(AttestationKind::Inference, &bound, b"", operator_key(1), 1);
    w.submit(1, &a, None).expect("the job's node reports it");
    assert_eq!(w.bank(&node1), 0, "held for the dispute window");
    w.advance(3_600);
    let anyone = w.addr("anyone");
    w.ok(&anyone, &escrow, &EscrowMsg::FinalizeJob { job_id: bound });
    assert_eq!(w.bank(&node1), 995 * BTK);
}

#[test]
fn claims_need_an_eligible_node() {
    let mut w = world(Plan::default());
    let rogue = w.node(ROGUE);
    let stranger = w.addr("stranger");
    let payer = w.addr("payer");
    let open = w.create_job(&payer, "job-open", None, 1_000 * BTK);
    let escrow = w.c.payfi_escrow.clone();
    let accounts = [rogue.as_str(), stranger.as_str(), payer.as_str()];
    let before = w.snapshot(&accounts);
    for who in [&rogue, &stranger] {
        let e = w.exec(
            who,
            &escrow,
            &EscrowMsg::ClaimJob {
                job_id: open.clone(),
            },
        );
        refused(
            e,
            &format!(
                "{who} is not a staking node eligible to earn (registered, pledge covering its capacity)"
            ),
        );
    }
    w.assert_unchanged(&before, &accounts);
    assert!(w.job(&open).node.is_none());

    // Control: a pledged node claims it.
    let node0 = w.node(0);
    w.exec(
        &node0,
        &escrow,
        &EscrowMsg::ClaimJob {
            job_id: open.clone(),
        },
    )
    .expect("an eligible node claims");
    assert!(w.job(&open).node.is_some_and(|n| n.as_str() == node0));
}

#[test]
fn a_single_signer_cannot_attest_quorum_kinds() {
    let mut w = world(Plan::default());
    let (node0, node1) = (w.node(0), w.node(1));
    let patient = w.addr("patient");
    let accounts = [node0.as_str(), node1.as_str(), patient.as_str()];
    let before = w.snapshot(&accounts);

    // Node 0 vouches alone for node 1's work.
    let (a, payload) = w.work(&node1, 1_000, "work-alone", operator_key(0), 1);
    refused(
        w.submit(0, &a, Some(payload)),
        "compute_work attestations need a quorum",
    );

    // Node 0 confirms a patient activity alone (BTT from the patient pool).
    let payload = to_json_binary(&PatientPayload {
        patient: patient.clone(),
        activity: checkup(),
    })
    .expect("payload");
    let a = w.attestation(
        AttestationKind::PatientActivity,
        "activity-1",
        payload.as_slice(),
        operator_key(0),
        2,
    );
    refused(
        w.submit(0, &a, Some(payload)),
        "patient_activity attestations need a quorum",
    );

    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.btt(&patient), 0);
}
