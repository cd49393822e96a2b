//! The rogue node: a registered operator tries to be paid for work nobody verified. It reports
//! without a pledge, attests its own work (alone or as one of a quorum), gets a quorum to report
//! work it never served, reports escrow jobs bound to another node or to none, claims jobs without
//! being eligible, and signs alone what the deployment says needs a quorum. Every attempt is
//! refused with its specific error and nothing moves.

use bithive_adversarial_tests::{
    checkup, contract_error, operator_key, refused, Plan, World, BTK, CAPACITY_T,
};
use bithive_interface::attestation::{InferencePayload, PatientPayload};
use bithive_interface::payfi_escrow::ExecuteMsg as EscrowMsg;
use bithive_interface::rewards::ExecuteMsg as RewardsMsg;
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
            measured: bithive_adversarial_tests::measured(),
        },
    );
    assert_eq!(contract_error(e), "unauthorized");

    // Even a genuine quorum of attestors vouching for its work: rewards refuses, unpledged.
    let (a, payload) = w.work(&rogue, "work-rogue", QUORUM_SIGNER, 1);
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
    // A deployment whose config lists no quorum kinds: compute work still needs a quorum (the
    // contract requires it whatever the config, issue #43), so the node cannot vouch for itself.
    let mut w = world(Plan {
        quorum_kinds: vec![],
        ..Plan::default()
    });
    let node0 = w.node(0);
    let accounts = [node0.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, "work-self", operator_key(0), 1);
    let e = w.submit(0, &a, Some(payload));
    refused(e, "compute_work attestations need a quorum");
    w.assert_unchanged(&before, &accounts);

    // The deploy's defaults (compute work needs a quorum): the node as one of the quorum.
    let mut w = world(Plan::default());
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, "work-self", QUORUM_SIGNER, 1);
    let sigs = w.quorum_signatures(&a, &[0, 1, 2]);
    let e = w.submit_quorum(&a, sigs, Some(payload));
    refused(
        e,
        &format!("node {node0} cannot attest its own work: other attestors must"),
    );
    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.node_rewards(&node0).claimable, Uint128::zero());
}

/// ADR 007: a genuine quorum of attestors reports work for a pledged node that served no paid
/// job (or reports the same work twice). Rewards refuses: units come from the escrow's payouts,
/// not from the report, and there are none.
#[test]
fn a_quorum_report_for_a_node_that_served_nothing_is_refused() {
    let mut w = world(Plan::default());
    let node0 = w.node(0);
    assert!(w.pledge_status(&node0).eligible);
    let accounts = [node0.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, "work-idle", QUORUM_SIGNER, 1);
    let sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    refused(
        w.submit_quorum(&a, sigs, Some(payload)),
        &format!(
            "node {node0} served no paid job since its last report: there is no work to count"
        ),
    );
    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.node_rewards(&node0).claimable, Uint128::zero());
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
            outputs: None,
            model_sha256: None,
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
        outputs: None,
        model_sha256: None,
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
    let (a, payload) = w.work(&node1, "work-alone", operator_key(0), 1);
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
