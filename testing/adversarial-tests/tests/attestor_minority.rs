//! The attestor minority: fewer than K attestors, outsiders to the set, or one attestor signing
//! twice try to pass a quorum attestation; a work report an honest attestor disputes within the
//! challenge window is dropped by governance and pays nothing; nobody finalizes a report before
//! its window ends. Deploy defaults: K = 3 of a set of 5 (nodes 0..5), one-hour window.

use bithive_adversarial_tests::{contract_error, operator_key, refused, Plan, World};
use bithive_interface::emission::ExecuteMsg as EmissionMsg;
use bithive_interface::rewards::{ExecuteMsg as RewardsMsg, PendingWork, QueryMsg as RewardsQuery};
use bithive_signed_attestation::QUORUM_SIGNER;
use bithive_vm_host::TxResponse;
use cosmwasm_std::{Decimal256, Uint128};

const DAY: u64 = 86_400;

/// An attested (quorum 1, 2, 3) report of node 0's work (two paid jobs it served first), held for
/// the window: (id, window end).
fn honest_report(w: &mut World, job: &str, nonce: u64) -> (u64, u64) {
    w.serve(0, 2);
    let node0 = w.node(0);
    let (a, payload) = w.work(&node0, job, QUORUM_SIGNER, nonce);
    let sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    let tx: TxResponse = w
        .submit_quorum(&a, sigs, Some(payload))
        .expect("a valid quorum report");
    let id = tx
        .attr("wasm", "work_id")
        .expect("work_id")
        .parse()
        .unwrap();
    let ends = tx
        .attr("wasm", "challenge_ends")
        .expect("challenge_ends")
        .parse()
        .unwrap();
    (id, ends)
}

fn pending(w: &World, id: u64) -> Option<PendingWork> {
    w.query(&w.c.rewards, &RewardsQuery::PendingWork { id })
}

/// The deployed world, with node 5 registered and bonded after the set was computed: pledged,
/// but not an attestor. Returns the world, node 0 and node 5.
fn world_with_node5() -> (World, String, String) {
    let mut w = World::deploy(Plan::default());
    // Node 0 served a paid job: there is work to report (ADR 007).
    w.serve(0, 1);
    w.register_node(5).unwrap();
    w.bond(5, bithive_adversarial_tests::PLEDGE).unwrap();
    let (node0, node5) = (w.node(0), w.node(5));
    (w, node0, node5)
}

#[test]
fn a_minority_cannot_pass_a_quorum() {
    let (mut w, node0, node5) = world_with_node5();
    assert!(!w.attestor_set().contains(&node5));
    let accounts = [node0.as_str(), node5.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, "work-minority", QUORUM_SIGNER, 1);

    let minorities: [(&[usize], String); 4] = [
        // K - 1 attestors.
        (&[1, 2], "quorum not met: 2 of 3 signatures".into()),
        // Two attestors and a pledged node outside the set.
        (
            &[1, 2, 5],
            format!("{node5} is not in the active attestor set"),
        ),
        // Two attestors and a key no node registered.
        (
            &[1, 2, 42],
            "no registered node has this operator key".into(),
        ),
        // Two attestors, one of them twice.
        (
            &[1, 1, 2],
            format!("signer {} appears twice", operator_key(1).to_hex()),
        ),
    ];
    for (signers, expected) in &minorities {
        let sigs = w.quorum_signatures(&a, signers);
        refused(w.submit_quorum(&a, sigs, Some(payload.clone())), expected);
    }
    // Three valid signers, one signature forged (node 3's slot signed by node 4's key).
    let mut sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    sigs[2].signature = w.quorum_signatures(&a, &[4])[0].signature;
    refused(
        w.submit_quorum(&a, sigs, Some(payload)),
        "signature does not verify",
    );

    w.assert_unchanged(&before, &accounts);
}

#[test]
fn a_minority_cannot_pass_a_bls_quorum() {
    // Node 5: pledged, with a BLS key, but not in the set.
    let (mut w, node0, node5) = world_with_node5();
    w.register_bls(5).unwrap();
    let accounts = [node0.as_str(), node5.as_str()];
    let before = w.snapshot(&accounts);
    let (a, payload) = w.work(&node0, "work-bls", QUORUM_SIGNER, 1);
    let p = || Some(payload.clone());

    refused(
        w.submit_bls(&a, &[1, 2], &[1, 2], p()),
        "quorum not met: 2 of 3 signatures",
    );
    refused(
        w.submit_bls(&a, &[1, 2, 5], &[1, 2, 5], p()),
        &format!("{node5} is not in the active attestor set"),
    );
    refused(
        w.submit_bls(&a, &[1, 1, 2], &[1, 1, 2], p()),
        &format!("signer {} appears twice", w.node(1)),
    );
    // Three members named, only two of them signed.
    refused(
        w.submit_bls(&a, &[1, 2, 3], &[1, 2], p()),
        "signature does not verify",
    );
    w.assert_unchanged(&before, &accounts);
    // Control: the three named members sign.
    w.submit_bls(&a, &[1, 2, 3], &[1, 2, 3], p())
        .expect("an honest BLS quorum");
}

#[test]
fn a_quorum_statement_counts_once_and_only_while_fresh() {
    let mut w = World::deploy(Plan::default());
    w.serve(0, 1);
    let node0 = w.node(0);
    let accounts = [node0.as_str()];
    // Signed now, held back by a relayer past the freshness window (one hour).
    let (stale, stale_payload) = w.work(&node0, "work-stale", QUORUM_SIGNER, 7);
    let stale_sigs = w.quorum_signatures(&stale, &[1, 2, 3]);

    let (a, payload) = w.work(&node0, "work-replay", QUORUM_SIGNER, 1);
    let sigs = w.quorum_signatures(&a, &[1, 2, 3]);
    w.submit_quorum(&a, sigs.clone(), Some(payload.clone()))
        .expect("accepted once");
    let before = w.snapshot(&accounts);
    refused(
        w.submit_quorum(&a, sigs, Some(payload)),
        "compute_work of job work-replay was already attested",
    );
    w.advance(3_601);
    let now = w.now();
    refused(
        w.submit_quorum(&stale, stale_sigs, Some(stale_payload)),
        &format!(
            "attestation issued at {} is outside the freshness window at {now}",
            stale.issued_at
        ),
    );
    w.assert_unchanged(&before, &accounts);
}

#[test]
fn a_disputed_report_dropped_by_governance_pays_nothing() {
    let mut w = World::deploy(Plan::default());
    let (node0, node4, stranger) = (w.node(0), w.node(4), w.addr("stranger"));
    let gov = w.deployer.clone();
    let rewards = w.c.rewards.clone();
    let btk_before = w.btk(&node0);
    let (id, ends) = honest_report(&mut w, "work-disputed", 1);
    assert!(pending(&w, id).is_some());

    // Only the attestor set (or governance) disputes.
    let dispute = RewardsMsg::DisputeWork {
        id,
        reason: "units not observed".into(),
    };
    refused(
        w.exec(&stranger, &rewards, &dispute),
        &format!("{stranger} is not in staking's attestor set"),
    );
    w.exec(&node4, &rewards, &dispute)
        .expect("an attestor disputes within the window");

    // After the window a disputed report cannot be finalized; only governance resolves it.
    w.advance(ends - w.now());
    refused(
        w.exec(&stranger, &rewards, &RewardsMsg::FinalizeWork { id }),
        &format!("work report {id} is disputed: governance resolves it"),
    );
    let resolve = RewardsMsg::ResolveWork { id, valid: true };
    assert_eq!(
        contract_error(w.exec(&node0, &rewards, &resolve)),
        "unauthorized"
    );
    let tx = w
        .exec(
            &gov,
            &rewards,
            &RewardsMsg::ResolveWork { id, valid: false },
        )
        .expect("governance drops the report");
    assert_eq!(tx.attr("wasm", "credited"), Some("false"));
    assert!(pending(&w, id).is_none());

    // Emission funds the compute pool; the epoch of the report closes: node 0 earned nothing.
    w.advance(2 * DAY);
    let emission = w.c.emission.clone();
    w.exec(&stranger, &emission, &EmissionMsg::Distribute {})
        .expect("emission distributes");
    assert!(w.btk(&rewards) > 0, "the compute pool is funded");
    let r = w.node_rewards(&node0);
    assert_eq!(r.claimable, Uint128::zero());
    assert_eq!(r.open_weight, Decimal256::zero());
    refused(
        w.exec(&node0, &rewards, &RewardsMsg::ClaimCompute {}),
        "nothing to claim",
    );
    assert_eq!(w.btk(&node0), btk_before);
}

#[test]
fn nobody_finalizes_before_the_window_ends() {
    let mut w = World::deploy(Plan::default());
    let (node0, stranger) = (w.node(0), w.addr("stranger"));
    let rewards = w.c.rewards.clone();
    let (id, ends) = honest_report(&mut w, "work-early", 1);
    let accounts = [node0.as_str(), stranger.as_str()];

    let before = w.snapshot(&accounts);
    for who in [&stranger, &node0] {
        refused(
            w.exec(who, &rewards, &RewardsMsg::FinalizeWork { id }),
            &format!("work report {id} is in its challenge window until {ends}"),
        );
    }
    // One second before the end: still open.
    w.advance(ends - 1 - w.now());
    refused(
        w.exec(&stranger, &rewards, &RewardsMsg::FinalizeWork { id }),
        &format!("work report {id} is in its challenge window until {ends}"),
    );
    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.node_rewards(&node0).open_weight, Decimal256::zero());

    // At the end, undisputed, anyone finalizes it and it counts.
    w.advance(1);
    let tx = w
        .exec(&stranger, &rewards, &RewardsMsg::FinalizeWork { id })
        .expect("finalized after the window");
    assert_eq!(tx.attr("wasm", "credited"), Some("true"));
    assert!(w.node_rewards(&node0).open_weight > Decimal256::zero());
}
