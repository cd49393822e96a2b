//! The outsider: a keyless stranger (no node, no operator key, no role) calls every privileged
//! execute path it can reach. Each is refused with the contract's unauthorized error, and the
//! whole state (every contract's storage, every balance) is unchanged. The controllers' own
//! hand-over (`update_ownership`) is attacked in `handover.rs`.

use bithive_adversarial_tests::{checkup, measured, Plan, World, BTK};
use bithive_interface::attestation::{
    AttestationPacket, ExecuteMsg as AttestationMsg, PacketProof, PeerEndpoint,
};
use bithive_interface::{emission, payfi_escrow, rewards, staking, vesting};
use bithive_signed_attestation::{AttestationKind, Signature64};
use cosmwasm_std::{Decimal, Uint128};
use serde::Serialize;
use std::fmt::Debug;

/// The account of the keyless stranger.
const STRANGER: &str = "stranger";

/// The stranger sends `msg` to the contract `name` at `contract`: refused with `expected`.
fn assert_refused<M: Serialize + Debug>(
    w: &mut World,
    (name, contract): (&str, &str),
    msg: &M,
    expected: &str,
) {
    let stranger = w.addr(STRANGER);
    let e = w.exec(&stranger, contract, msg);
    assert_eq!(
        bithive_adversarial_tests::contract_error(e),
        expected,
        "{name} {msg:?}"
    );
}

/// The stranger sends each of `calls` to the contract: each is refused as unauthorized.
fn assert_unauthorized<M: Serialize + Debug>(
    w: &mut World,
    name: &str,
    contract: &str,
    calls: &[M],
) {
    for msg in calls {
        assert_refused(w, (name, contract), msg, "unauthorized");
    }
}

#[test]
fn a_stranger_reaches_no_privileged_path() {
    let mut w = World::deploy(Plan::default());
    let stranger = w.addr(STRANGER);
    let node0 = w.node(0);
    let c = w.c.clone();
    // An escrow job bound to node0, so a report of it would pay.
    let payer = w.addr("payer");
    let job = w.create_job(&payer, "job-1", Some(node0.clone()), 1_000 * BTK);
    let accounts = [stranger.as_str(), node0.as_str(), payer.as_str()];
    let before = w.snapshot(&accounts);
    let btk_before = w.btk(&stranger);

    let patient = checkup();
    let rewards_calls = [
        rewards::ExecuteMsg::ReportWork {
            node: node0.clone(),
            measured: measured(),
        },
        // Served work only from the escrow: a stranger cannot pay itself units.
        rewards::ExecuteMsg::RecordOutcome {
            node: node0.clone(),
            outcome: rewards::JobOutcome::Paid {
                units: Uint128::new(1_000_000),
                fee: Uint128::one(),
            },
        },
        rewards::ExecuteMsg::CreditPatient {
            patient: stranger.clone(),
            activity_id: "act-1".into(),
            activity: patient,
        },
        rewards::ExecuteMsg::ResolveWork { id: 1, valid: true },
        rewards::ExecuteMsg::SetDeveloper {
            developer: stranger.clone(),
            weight: Uint128::new(1),
        },
        rewards::ExecuteMsg::SetVerifier {
            pubkey: bithive_adversarial_tests::operator_key(99),
            institution: "fake clinic".into(),
            active: true,
        },
        rewards::ExecuteMsg::UpdateConfig {
            reporter: Some(stranger.clone()),
            patient_daily_cap: None,
            max_units_per_t: None,
            challenge_seconds: Some(0),
            escrow: None,
            max_btk_per_fee: None,
        },
    ];
    assert_unauthorized(&mut w, "rewards", &c.rewards, &rewards_calls);

    let escrow_calls = [
        (
            payfi_escrow::ExecuteMsg::ReportJob {
                job_id: job.clone(),
                node: node0.clone(),
                tscore: None,
            },
            "unauthorized: reporter only",
        ),
        (
            payfi_escrow::ExecuteMsg::UpdateReporters {
                add: vec![stranger.clone()],
                remove: vec![],
            },
            "unauthorized: admin only",
        ),
        (
            payfi_escrow::ExecuteMsg::UpdateConfig {
                fee_bps: Some(1_000),
                fee_collector: Some(stranger.clone()),
                staking: None,
                job_dispute_seconds: Some(0),
                model_registry: None,
                rewards: None,
            },
            "unauthorized: admin only",
        ),
    ];
    for (msg, expected) in &escrow_calls {
        assert_refused(&mut w, ("escrow", &c.payfi_escrow), msg, expected);
    }

    let staking_calls = [
        staking::ExecuteMsg::RecordWork {
            node: node0.clone(),
            units: Uint128::new(1_000),
        },
        staking::ExecuteMsg::Slash {
            node: node0.clone(),
            fraction: Decimal::one(),
            reason: "grief".into(),
        },
        staking::ExecuteMsg::SetCompliance {
            node: node0.clone(),
            level: Decimal::zero(),
        },
        staking::ExecuteMsg::UpdateConfig {
            compliance: None,
            slash_recipient: Some(stranger.clone()),
            work_reporter: Some(stranger.clone()),
            fraud_slash: None,
            attestor_set_size: None,
            min_bond: None,
            topup_grace_seconds: None,
        },
    ];
    assert_unauthorized(&mut w, "staking", &c.staking, &staking_calls);

    let forged = w.attestation(
        AttestationKind::Inference,
        &job,
        b"",
        bithive_adversarial_tests::operator_key(0),
        1,
    );
    let attestation_calls = [
        AttestationMsg::UpdateConfig {
            escrow: None,
            rewards: None,
            asset_nft: None,
            // A stranger's own "registry" would take every accuracy the contract sets.
            model_registry: Some(stranger.clone()),
            quorum_threshold: Some(1),
            quorum_kinds: Some(vec![]),
            max_age_seconds: None,
            max_future_seconds: None,
            ibc_timeout_seconds: None,
        },
        AttestationMsg::UpdatePeers {
            add: vec![PeerEndpoint {
                connection_id: "connection-0".into(),
                port_id: "wasm.evil".into(),
            }],
            remove: vec![],
        },
        AttestationMsg::SetRoute {
            chain_id: "other-chain".into(),
            channel_id: Some("channel-0".into()),
        },
        // The packet path is the contract's own (it calls itself after the IBC checks).
        AttestationMsg::ProcessPacket {
            channel_id: "channel-0".into(),
            packet: AttestationPacket {
                id: 1,
                attestation: forged,
                proof: PacketProof::Single {
                    signature: Signature64([0; 64]),
                },
                payload: None,
            },
        },
    ];
    assert_unauthorized(&mut w, "attestation", &c.attestation, &attestation_calls);

    let emission_calls = [emission::ExecuteMsg::UpdateConfig {
        compute_pool: Some(stranger.clone()),
        app_pool: Some(stranger.clone()),
        vesting: None,
        foundation: Some(stranger.clone()),
        operations: None,
    }];
    assert_unauthorized(&mut w, "emission", &c.emission, &emission_calls);

    let vesting_calls = [vesting::ExecuteMsg::UpdateAllowlist {
        add: vec![stranger.clone()],
        remove: vec![c.btk.clone()],
    }];
    assert_unauthorized(&mut w, "vesting", &c.vesting, &vesting_calls);

    w.assert_unchanged(&before, &accounts);
    assert_eq!(w.btk(&stranger), btk_before);
    assert_eq!(w.btk(&stranger), 0);
    assert_eq!(w.bank(&stranger), 0);
}

/// ADR 007, decision 6: anyone can copy a node's pending result from the mempool and submit it
/// first without its payload (or with the payload's outputs left out, were they not bound). On a
/// job that earns compute-pool units a single node's result must carry the quantized outputs the
/// attestors re-run, so the stripped copy is refused and the node's own result goes through.
#[test]
fn a_result_stripped_of_its_outputs_is_refused() {
    let mut w = World::deploy(Plan::default());
    let (deployer, payer, node) = (w.deployer.clone(), w.addr("payer"), w.node(0));
    let btt = w.c.btt.clone();
    let fund = cw20::Cw20ExecuteMsg::Transfer {
        recipient: payer.clone(),
        amount: Uint128::new(bithive_adversarial_tests::JOB_DEPOSIT),
    };
    w.ok(&deployer, &btt, &fund);
    let (job, a, payload) = w.measured_job(0, &payer, &node);
    let e = w.submit(0, &a, None);
    bithive_adversarial_tests::refused(e, "must carry its quantized outputs");
    w.submit(0, &a, Some(payload))
        .expect("the node's own result");
    let rec: Option<bithive_interface::attestation::Accepted> = w.query(
        &w.c.attestation.clone(),
        &bithive_interface::attestation::QueryMsg::Attestation {
            job_id: job,
            kind: AttestationKind::Inference,
            contract: None,
            chain_id: None,
        },
    );
    assert!(rec.and_then(|r| r.payload).is_some());
}
