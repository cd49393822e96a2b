//! cw-multi-test suite: the attestation contract with the real staking, rewards, payfi-escrow
//! and asset-nft contracts; every message and error path.

mod common;

use bithive_attestation::msg::{
    AttestationsResponse, ExecuteMsg, PacketsResponse, QuorumProof, MATCHING_MODEL,
};
use bithive_attestation::state::{Config, StoredProof};
use bithive_attestation::ContractError;
use bithive_signed_attestation::{matching_commitments, payload_hash, AttestationKind, Hash32};
use bithive_staking::msg::NodeResponse;
use common::*;
use cosmwasm_std::{Binary, HexBinary, Uint128};
use cw_multi_test::Executor;

use AttestationKind::*;

/// The asset NFT's current valuation of `scanner-1`.
fn scanner_valuation(s: &Suite) -> serde_json::Value {
    s.app
        .wrap()
        .query_wasm_smart(
            &s.nft,
            &serde_json::json!({"valuation": {"token_id": "scanner-1"}}),
        )
        .unwrap()
}

#[test]
fn inference_attestation_pays_the_node_through_escrow() {
    let mut s = suite(4, 4, 3, vec![]);
    s.create_job("job-1", 5_000);
    s.claim_job("job-1", 1).unwrap();
    let before = s.native(&s.nodes[1]);
    // Issue #20: node 2 attesting the job node 1 claimed is refused by the escrow, and its
    // attempt records nothing (node 1's attestation is still accepted).
    let taken = s.att(Inference, &s.job("job-1"), key(2), 1);
    let e = s.submit(2, &taken, None).unwrap_err();
    assert!(
        matches!(
            e.downcast_ref::<bithive_payfi_escrow::ContractError>(),
            Some(bithive_payfi_escrow::ContractError::NotJobNode { .. })
        ),
        "{e:?}"
    );
    assert!(s.accepted(&s.job("job-1"), Inference).is_none());
    let a = s.att(Inference, &s.job("job-1"), key(1), 1);
    let res = s.submit(1, &a, None).unwrap();
    assert_eq!(s.native(&s.nodes[1]), before + 5_000);
    let ev = res
        .events
        .iter()
        .find(|e| e.ty == "wasm" && e.attributes.iter().any(|a| a.value == "accept"))
        .unwrap();
    let attr = |k: &str| {
        ev.attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr("kind").as_deref(), Some("inference"));
    assert_eq!(attr("node").as_deref(), Some(s.nodes[1].as_str()));
    assert_eq!(attr("route").as_deref(), Some("local"));
    // Queryable by (job, kind), by signer, and the nonce is spent.
    let rec = s.accepted(&s.job("job-1"), Inference).unwrap();
    assert_eq!(rec.attestation, a);
    assert_eq!(rec.node.as_deref(), Some(s.nodes[1].as_str()));
    assert!(matches!(rec.proof, StoredProof::Single { .. }));
    let by: AttestationsResponse = s.query_attest(&bithive_attestation::msg::QueryMsg::BySigner {
        signer: key(1),
        start_after: None,
        limit: None,
    });
    assert_eq!(by.attestations.len(), 1);
    let used: bool = s.query_attest(&bithive_attestation::msg::QueryMsg::NonceUsed {
        signer: key(1),
        nonce: 1,
    });
    assert!(used);
}

#[test]
fn an_inference_payload_is_kept_for_the_attestors_re_runs() {
    let mut s = suite(4, 4, 3, vec![]);
    for job in ["job-1", "job-2"] {
        s.create_job(job, 5_000);
        s.claim_job(job, 1).unwrap();
    }
    let payload = |outputs: Vec<u32>| {
        Binary::from(serde_json::to_vec(&serde_json::json!({ "outputs": outputs })).unwrap())
    };
    // More outputs than a contract reads: refused.
    let big = payload(vec![1; bithive_formulas::quantized::MAX_VALUES + 1]);
    let mut a = s.att(Inference, &s.job("job-1"), key(1), 1);
    bind(&mut a, &big);
    let e = err(s.submit(1, &a, Some(big)));
    assert!(matches!(e, ContractError::BadPayload(_)), "{e:?}");
    // The signed outputs are kept with the record (ADR 007, decision 6).
    let p = payload(vec![250_000, 750_000]);
    let mut a = s.att(Inference, &s.job("job-1"), key(1), 2);
    bind(&mut a, &p);
    s.submit(1, &a, Some(p.clone())).unwrap();
    assert_eq!(
        s.accepted(&s.job("job-1"), Inference).unwrap().payload,
        Some(p)
    );
    // Without a payload, none.
    let a = s.att(Inference, &s.job("job-2"), key(1), 3);
    s.submit(1, &a, None).unwrap();
    assert_eq!(
        s.accepted(&s.job("job-2"), Inference).unwrap().payload,
        None
    );
}

#[test]
fn replays_are_refused_and_conflicts_become_slashing_evidence() {
    let mut s = suite(4, 4, 3, vec![]);
    s.create_job("job-1", 5_000);
    s.claim_job("job-1", 0).unwrap();
    s.create_job("job-2", 5_000);
    s.claim_job("job-2", 0).unwrap();
    let a = s.att(Inference, &s.job("job-1"), key(0), 1);
    s.submit(0, &a, None).unwrap();
    // The same attestation again.
    assert!(matches!(
        err(s.submit(0, &a, None)),
        ContractError::AlreadyAttested { .. }
    ));
    // Another node on the same job (no conflict: different signer).
    let other = s.att(Inference, &s.job("job-1"), key(1), 1);
    assert!(matches!(
        err(s.submit(1, &other, None)),
        ContractError::AlreadyAttested { .. }
    ));
    // A new job with a spent nonce.
    let b = s.att(Inference, &s.job("job-2"), key(0), 1);
    assert_eq!(err(s.submit(0, &b, None)), ContractError::NonceUsed(1));
    // Same signer, same job, different result: staking slashes node 0 (10 %).
    let mut c = s.att(Inference, &s.job("job-1"), key(0), 2);
    c.result_hash = Hash32([9; 32]);
    let res = s.submit(0, &c, None).unwrap();
    assert!(res
        .events
        .iter()
        .any(|e| e.attributes.iter().any(|a| a.value == "conflict")));
    let node: NodeResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.staking,
            &bithive_staking::msg::QueryMsg::Node {
                node: s.nodes[0].to_string(),
            },
        )
        .unwrap();
    assert_eq!(node.slashed, Uint128::new(1_000 * BTK));
    // The conflicting one was not accepted, and the evidence is single-use in staking.
    assert_eq!(
        s.accepted(&s.job("job-1"), Inference).unwrap().attestation,
        a
    );
    let mut d = s.att(Inference, &s.job("job-1"), key(0), 3);
    d.result_hash = Hash32([8; 32]);
    let e = s.submit(0, &d, None).unwrap_err();
    assert!(
        e.downcast_ref::<bithive_staking::ContractError>()
            == Some(&bithive_staking::ContractError::EvidenceReplayed),
        "{e:?}"
    );
}

#[test]
fn target_freshness_and_signer_checks() {
    let mut s = suite(4, 4, 3, vec![Valuation]);
    s.create_job("job-1", 100);
    s.claim_job("job-1", 0).unwrap();
    let good = s.att(Inference, &s.job("job-1"), key(0), 1);
    let mut a = good.clone();
    a.chain_id = "other-chain".into();
    assert_eq!(
        err(s.submit(0, &a, None)),
        ContractError::WrongChain("other-chain".into())
    );
    let mut a = good.clone();
    a.contract = s.rewards.to_string();
    assert!(matches!(
        err(s.submit(0, &a, None)),
        ContractError::WrongContract { .. }
    ));
    let mut a = good.clone();
    a.issued_at = s.now() - 3_601;
    assert!(matches!(
        err(s.submit(0, &a, None)),
        ContractError::NotFresh { .. }
    ));
    let mut a = good.clone();
    a.issued_at = s.now() + 61;
    assert!(matches!(
        err(s.submit(0, &a, None)),
        ContractError::NotFresh { .. }
    ));
    // An unregistered key (signs correctly, but no node has it).
    let stranger = s.att(Inference, &s.job("job-1"), key(9), 1);
    assert_eq!(
        err(s.submit(9, &stranger, None)),
        ContractError::UnknownOperator
    );
    // A signature by another key.
    let msg = ExecuteMsg::Submit {
        attestation: good.clone(),
        signature: s.sign(1, &s.att(Inference, &s.job("job-1"), key(1), 1)),
        payload: None,
    };
    let relayer = s.gov.clone();
    assert_eq!(err(s.exec(&relayer, &msg)), ContractError::BadSignature);
    // The quorum key cannot sign alone; quorum kinds refuse single signers.
    let q = s.quorum_att(Inference, &s.job("job-1"), 5);
    let msg = ExecuteMsg::Submit {
        attestation: q,
        signature: s.sign(0, &good),
        payload: None,
    };
    assert_eq!(err(s.exec(&relayer, &msg)), ContractError::SignerMismatch);
    let v = s.att(Valuation, "scanner-1", key(0), 2);
    assert_eq!(
        err(s.submit(0, &v, None)),
        ContractError::QuorumRequired("valuation")
    );
    // Field limits of the canonical bytes.
    // (cannot be signed off-chain either: any signature is posted)
    let mut a = good.clone();
    a.job_id = "x".repeat(129);
    let msg = ExecuteMsg::Submit {
        attestation: a,
        signature: s.sign(0, &good),
        payload: None,
    };
    assert!(matches!(
        err(s.exec(&relayer, &msg)),
        ContractError::Attestation(_)
    ));
    // Nothing of the above was recorded; the good one still goes through.
    assert!(s.accepted(&s.job("job-1"), Inference).is_none());
    s.submit(0, &good, None).unwrap();
}

#[test]
fn a_failing_consumer_reverts_the_whole_acceptance() {
    let mut s = suite(3, 3, 2, vec![]);
    // No such job in the escrow: refused before anything is recorded.
    let missing = s.att(Inference, &s.job("missing"), key(0), 7);
    s.submit(0, &missing, None).unwrap_err();
    assert!(s.accepted(&s.job("missing"), Inference).is_none());
    // The job expired before it was reported: escrow's ReportJob fails, so nothing is recorded.
    s.create_job("late", 1_000);
    s.claim_job("late", 0).unwrap();
    s.app
        .update_block(|b| b.time = b.time.plus_seconds(DAY + 1));
    let a = s.att(Inference, &s.job("late"), key(0), 1);
    let e = s.submit(0, &a, None).unwrap_err();
    assert!(
        e.downcast_ref::<bithive_payfi_escrow::ContractError>()
            .is_some(),
        "{e:?}"
    );
    assert!(s.accepted(&s.job("late"), Inference).is_none());
    let used: bool = s.query_attest(&bithive_attestation::msg::QueryMsg::NonceUsed {
        signer: key(0),
        nonce: 1,
    });
    assert!(!used);
    // Once the job exists the refused attestation is accepted.
    s.create_job("missing", 10);
    s.claim_job("missing", 0).unwrap();
    let missing = s.att(Inference, &s.job("missing"), key(0), 7);
    s.submit(0, &missing, None).unwrap();
}

#[test]
fn compute_work_credits_rewards_with_enode_inputs() {
    let mut s = suite(3, 3, 2, vec![]);
    let node = s.nodes[0].clone();
    // Payload required, bound to the attestation, naming the node whose work it attests.
    let a = s.quorum_att(ComputeWork, "work-1", 1);
    assert_eq!(
        err(s.submit_quorum(&[1, 2], &a, None)),
        ContractError::PayloadRequired("compute_work")
    );
    s.serve(&node, 40);
    let payload = work_payload(Some(&node));
    assert_eq!(
        err(s.submit_quorum(&[1, 2], &a, Some(payload.clone()))),
        ContractError::PayloadNotBound
    );
    let garbage = Binary::from(b"{\"units\":".to_vec());
    let mut g = a.clone();
    bind(&mut g, &garbage);
    assert!(matches!(
        err(s.submit_quorum(&[1, 2], &g, Some(garbage))),
        ContractError::BadPayload(_)
    ));
    // Nodes 1 and 2 attest node 0's work.
    let mut ok = a.clone();
    bind(&mut ok, &payload);
    s.submit_quorum(&[1, 2], &ok, Some(payload)).unwrap();
    assert!(!s.open_weight(&node).is_zero());
    // Bound as a commitment instead of the result hash works too.
    let node1 = s.nodes[1].clone();
    s.serve(&node1, 7);
    let payload = work_payload(Some(&node1));
    let mut c = s.quorum_att(ComputeWork, "work-2", 2);
    c.commitments = vec![bithive_signed_attestation::payload_hash(
        ComputeWork,
        &payload,
    )];
    s.submit_quorum(&[0, 2], &c, Some(payload)).unwrap();
}

/// Issue #43: what pays from a pool needs a quorum of the attestor set, enforced by the
/// contract whatever its config: with `quorum_kinds` empty, one registered node (bonded or not)
/// attesting another's compute work, a patient's activity or an asset's value is refused, and
/// nothing is paid.
#[test]
fn paying_kinds_always_need_a_quorum() {
    let mut s = suite(3, 3, 2, vec![]);
    let node = s.nodes[0].clone();
    s.serve(&node, 40);
    let work = work_payload(Some(&node));
    let mut a = s.att(ComputeWork, "work-solo", key(2), 1);
    bind(&mut a, &work);
    assert_eq!(
        err(s.submit(2, &a, Some(work))),
        ContractError::QuorumRequired("compute_work")
    );
    assert!(s.open_weight(&node).is_zero());
    mint_scanner(&mut s);
    let value = Binary::from(br#"{"value":"1"}"#.to_vec());
    let mut v = s.att(Valuation, "scanner-1#1", key(1), 2);
    bind(&mut v, &value);
    assert_eq!(
        err(s.submit(1, &v, Some(value))),
        ContractError::QuorumRequired("valuation")
    );
    assert!(scanner_valuation(&s)["value"].is_null());
    let activity = Binary::from(
        serde_json::to_vec(&serde_json::json!({"patient": node.as_str(),
            "activity": {"activity": "education", "days": 1, "avalue": "150",
            "cfactor": "1", "hconsistency": "0", "tmultiplier": "1", "padjustment": "1"}}))
        .unwrap(),
    );
    let mut p = s.att(PatientActivity, "act-solo", key(1), 3);
    bind(&mut p, &activity);
    assert_eq!(
        err(s.submit(1, &p, Some(activity))),
        ContractError::QuorumRequired("patient_activity")
    );
    // Governance cannot lift it: a config without them still requires them.
    let c: Config = s.query_attest(&bithive_attestation::msg::QueryMsg::Config {});
    assert!(c.quorum_kinds.is_empty());
}

/// Issue #20 (rogue node): a node attesting its own compute work, alone or as one of a quorum,
/// was credited (it chose its own units). Refused now, and nothing is credited.
#[test]
fn a_node_never_attests_its_own_work() {
    let mut s = suite(5, 4, 3, vec![ComputeWork]);
    let node = s.nodes[2].clone();
    // Alone (even where the deployment's config asks no quorum), naming itself or no one.
    let mut solo = suite(3, 3, 2, vec![]);
    for named in [Some(&solo.nodes[2].clone()), None] {
        let payload = work_payload(named);
        let mut a = solo.att(ComputeWork, "self-1", key(2), 1);
        bind(&mut a, &payload);
        // Refused before anything else: compute work always needs a quorum (issue #43).
        let e = err(solo.submit(2, &a, Some(payload)));
        assert_eq!(e, ContractError::QuorumRequired("compute_work"));
    }
    // In a quorum: the worked node's signature is one of the K. (It served a paid job, so
    // only the self-attestation stands in the way.)
    s.serve(&node, 40);
    let payload = work_payload(Some(&node));
    let mut a = s.quorum_att(ComputeWork, "self-q", 1);
    bind(&mut a, &payload);
    let relayer = s.gov.clone();
    let m = ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: [0, 1, 2].iter().map(|&i| s.quorum_sig(i, &a)).collect(),
        },
        payload: Some(payload.clone()),
    };
    assert_eq!(
        err(s.exec(&relayer, &m)),
        ContractError::SelfAttestation(node.to_string())
    );
    // The same with one BLS aggregate.
    for i in 0..4 {
        s.register_bls(i).unwrap();
    }
    let keys: Vec<_> = [0, 1, 2].iter().map(|&i| bls_key(i)).collect();
    let agg = bithive_signed_attestation::bls::sign_quorum(&a, &keys).unwrap();
    let m = ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Bls {
            signers: [0, 1, 2].iter().map(|&i| s.nodes[i].to_string()).collect(),
            signature: HexBinary::from(agg.to_vec()),
        },
        payload: Some(payload.clone()),
    };
    assert_eq!(
        err(s.exec(&relayer, &m)),
        ContractError::SelfAttestation(node.to_string())
    );
    assert!(s.open_weight(&node).is_zero());
    // Three other members: accepted.
    let m = ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: [0, 1, 3].iter().map(|&i| s.quorum_sig(i, &a)).collect(),
        },
        payload: Some(payload),
    };
    s.exec(&relayer, &m).unwrap();
    assert!(!s.open_weight(&node).is_zero());
}

/// Governance mints asset NFT `scanner-1` to itself.
fn mint_scanner(s: &mut Suite) {
    let owner = s.gov.clone();
    let mint = serde_json::json!({"mint": {"token_id": "scanner-1", "owner": owner,
        "token_uri": null, "extension": {"class": "medical_equipment",
        "description_uri": "ipfs://bafybeigdyrzt5scanner", "content_hash": hex::encode([7u8; 32]),
        "jurisdictions": [{"code": "US", "markers": []}], "certifications": [],
        "device_pubkey": null}}});
    s.app
        .execute_contract(owner, s.nft.clone(), &mint, &[])
        .unwrap();
}

#[test]
fn valuation_and_record_only_kinds() {
    let mut s = suite(3, 3, 2, vec![]);
    mint_scanner(&mut s);
    let payload = Binary::from(br#"{"value":"125000"}"#.to_vec());
    let mut v = s.quorum_att(Valuation, "scanner-1#1", 1);
    bind(&mut v, &payload);
    s.submit_quorum(&[0, 1], &v, Some(payload)).unwrap();
    let val = scanner_valuation(&s);
    assert_eq!(val["value"], "125000", "{val}");
    // Matching: recorded with its mask and ciphertext commitments, nothing dispatched.
    let mut m = s.att(Matching, "match-1", key(0), 1);
    m.commitments = matching_commitments(b"\x01\x01\x00", b"ciphertext").to_vec();
    let res = s.submit(0, &m, None).unwrap();
    assert!(!res.events.iter().any(|e| e.ty == "execute"
        && e.attributes
            .iter()
            .any(|a| a.value != s.attest.as_str() && a.key == "_contract_address")));
    // A record-only attestation is kept in its own key space (issue #43): listed by its signer.
    let listed: bithive_attestation::msg::AttestationsResponse =
        s.query_attest(&bithive_attestation::msg::QueryMsg::BySigner {
            signer: m.signer,
            start_after: None,
            limit: None,
        });
    assert!(listed.attestations.iter().any(|(_, a)| a.attestation == m));
    assert!(
        s.accepted("match-1", Matching).is_none(),
        "not the paid record"
    );
}

#[test]
fn paid_matching_is_paid_once_through_its_escrow_job() {
    let mut s = suite(4, 4, 3, vec![]);
    s.create_job_of("research-1", MATCHING_MODEL, 7_000);
    s.claim_job("research-1", 2).unwrap();
    let before = s.native(&s.nodes[2]);
    let payload = |job: &str| {
        Binary::from(serde_json::to_vec(&serde_json::json!({"escrow_job_id": job})).unwrap())
    };
    // The payload must be bound to the signed bytes (as a commitment next to S_i and the
    // ciphertext). The attestation's job id is the escrow job's (as the relayer attests).
    let research_1 = s.job("research-1");
    let mut m = s.att(Matching, &research_1, key(2), 1);
    m.commitments = matching_commitments(b"\x01\x02", b"ct").to_vec();
    assert!(s
        .submit(2, &m, Some(payload(&s.job("research-1"))))
        .is_err());
    m.commitments.push(payload_hash(
        Matching,
        payload(&s.job("research-1")).as_slice(),
    ));
    s.submit(2, &m, Some(payload(&s.job("research-1"))))
        .unwrap();
    assert_eq!(s.native(&s.nodes[2]), before + 7_000);
    assert_eq!(
        s.accepted(&research_1, Matching).unwrap().node.as_deref(),
        Some(s.nodes[2].as_str())
    );
    // A second matching attestation of the same escrow job (other job id, other signer) is
    // refused and pays nothing.
    let mut m2 = s.att(Matching, "research-1-again", key(1), 2);
    m2.commitments = vec![payload_hash(
        Matching,
        payload(&s.job("research-1")).as_slice(),
    )];
    assert!(s
        .submit(1, &m2, Some(payload(&s.job("research-1"))))
        .is_err());
    assert!(s.accepted("research-1-again", Matching).is_none());
    assert_eq!(s.native(&s.nodes[2]), before + 7_000);
    // A payload naming another node than the single signer's is refused.
    s.create_job_of("research-2", MATCHING_MODEL, 7_000);
    s.claim_job("research-2", 2).unwrap();
    let named = Binary::from(
        serde_json::to_vec(
            &serde_json::json!({"escrow_job_id": s.job("research-2"), "node": s.nodes[1].as_str()}),
        )
        .unwrap(),
    );
    let mut m3 = s.att(Matching, &s.job("research-2"), key(2), 3);
    m3.commitments = vec![payload_hash(Matching, named.as_slice())];
    assert!(s.submit(2, &m3, Some(named)).is_err());
}

#[test]
fn patient_activity_is_paid_by_rewards_once() {
    use bithive_formulas::rpatient::{ActivityType, RpatientInputs};
    use cosmwasm_std::Decimal;
    let education = || RpatientInputs {
        activity: ActivityType::Education,
        days: 1,
        avalue: Decimal::percent(15_000),
        cfactor: Decimal::one(),
        hconsistency: Decimal::zero(),
        tmultiplier: Decimal::one(),
        padjustment: Decimal::one(),
    };
    let mut s = suite(2, 2, 1, vec![]);
    let patient = s.app.api().addr_make("patient");
    // BTT (the same cw20 in this suite) into the patient pool.
    let fund = cw20::Cw20ExecuteMsg::Send {
        contract: s.rewards.to_string(),
        amount: Uint128::new(10_000 * BTK),
        msg: cosmwasm_std::to_json_binary(&bithive_rewards::msg::ReceiveMsg::FundPatientPool {})
            .unwrap(),
    };
    s.app
        .execute_contract(s.gov.clone(), s.btk.clone(), &fund, &[])
        .unwrap();
    let payload = |patient: &str| {
        let p = bithive_attestation::msg::PatientPayload {
            patient: patient.to_string(),
            activity: education(),
        };
        Binary::from(serde_json::to_vec(&p).unwrap())
    };
    let balance = |s: &Suite| -> u128 {
        let r: cw20::BalanceResponse = s
            .app
            .wrap()
            .query_wasm_smart(
                &s.btk,
                &cw20::Cw20QueryMsg::Balance {
                    address: patient.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    };
    // The payload is required and bound to the signed result hash.
    let a = s.quorum_att(PatientActivity, "act-1", 1);
    assert_eq!(
        err(s.submit_quorum(&[0], &a, None)),
        ContractError::PayloadRequired("patient_activity")
    );
    assert_eq!(
        err(s.submit_quorum(&[0], &a, Some(payload(patient.as_str())))),
        ContractError::PayloadNotBound
    );
    let mut ok = a.clone();
    let p = payload(patient.as_str());
    bind(&mut ok, &p);
    s.submit_quorum(&[0], &ok, Some(p.clone())).unwrap();
    let paid = balance(&s);
    assert!(paid > 0, "patient not paid");
    assert!(s.accepted("act-1", PatientActivity).is_some());
    // Another signer, another nonce, same activity: not paid twice.
    let mut again = s.quorum_att(PatientActivity, "act-1", 2);
    bind(&mut again, &p);
    assert!(s.submit_quorum(&[1], &again, Some(p)).is_err());
    assert_eq!(balance(&s), paid);
    // Only the reporter (this contract) may credit directly.
    let direct = bithive_rewards::msg::ExecuteMsg::CreditPatient {
        patient: patient.to_string(),
        activity_id: "act-2".into(),
        activity: education(),
    };
    assert!(s
        .app
        .execute_contract(patient.clone(), s.rewards.clone(), &direct, &[])
        .is_err());
}

#[test]
fn secp256k1_quorum_of_the_attestor_set() {
    // 5 nodes, set of 4 (node 4 has the smallest pledge: outside), K = 3, valuations need quorum.
    let mut s = suite(5, 4, 3, vec![Inference]);
    s.create_job("job-q", 900);
    s.claim_job("job-q", 3).unwrap();
    let payload =
        Binary::from(serde_json::to_vec(&serde_json::json!({"node": s.nodes[3]})).unwrap());
    let mut a = s.quorum_att(Inference, &s.job("job-q"), 1);
    bind(&mut a, &payload);
    let relayer = s.gov.clone();
    let q = |s: &Suite, who: &[usize]| ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: who.iter().map(|&i| s.quorum_sig(i, &a)).collect(),
        },
        payload: Some(payload.clone()),
    };
    let m = q(&s, &[0, 1]);
    assert_eq!(
        err(s.exec(&relayer, &m)),
        ContractError::QuorumNotMet { got: 2, need: 3 }
    );
    let m = q(&s, &[0, 1, 1]);
    assert!(matches!(
        err(s.exec(&relayer, &m)),
        ContractError::DuplicateSigner(_)
    ));
    let m = q(&s, &[0, 1, 4]);
    assert!(matches!(
        err(s.exec(&relayer, &m)),
        ContractError::NotAttestor(_)
    ));
    let m = q(&s, &[0, 1, 9]);
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::UnknownOperator);
    // A signature swapped to another member's key.
    let mut bad = s.quorum_sig(2, &a);
    bad.signature = s.quorum_sig(0, &a).signature;
    let m = ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: vec![s.quorum_sig(0, &a), s.quorum_sig(1, &a), bad],
        },
        payload: Some(payload.clone()),
    };
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::BadSignature);
    // A single-signer body cannot be a quorum.
    let single = s.att(Inference, &s.job("job-q"), key(0), 1);
    let m = ExecuteMsg::SubmitQuorum {
        attestation: single,
        proof: QuorumProof::Secp256k1 { signatures: vec![] },
        payload: None,
    };
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::SignerMismatch);
    // A quorum payload must name a registered node.
    let stranger = Binary::from(br#"{"node":"cosmwasm1stranger"}"#.to_vec());
    let mut b = s.quorum_att(Inference, &s.job("job-q"), 1);
    bind(&mut b, &stranger);
    let m = ExecuteMsg::SubmitQuorum {
        attestation: b.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: [0, 1, 2].iter().map(|&i| s.quorum_sig(i, &b)).collect(),
        },
        payload: Some(stranger),
    };
    assert!(s.exec(&relayer, &m).is_err());
    // K of the set: accepted, node 3 paid.
    let before = s.native(&s.nodes[3]);
    let m = q(&s, &[2, 0, 3]);
    s.exec(&relayer, &m).unwrap();
    assert_eq!(s.native(&s.nodes[3]), before + 900);
    let rec = s.accepted(&s.job("job-q"), Inference).unwrap();
    assert!(matches!(rec.proof, StoredProof::Secp256k1 { ref signers } if signers.len() == 3));
    let m = q(&s, &[0, 1, 2]);
    assert!(matches!(
        err(s.exec(&relayer, &m)),
        ContractError::AlreadyAttested { .. }
    ));
}

#[test]
fn bls_keys_with_proof_of_possession_and_aggregate_quorum() {
    let mut s = suite(5, 4, 3, vec![]);
    // Registration errors.
    let node0 = s.nodes[0].clone();
    let sk = bls_key(0);
    let pk = HexBinary::from(sk.public_key().to_vec());
    let bad_len = ExecuteMsg::RegisterBlsKey {
        public_key: HexBinary::from(vec![1u8; 47]),
        proof_of_possession: HexBinary::from(vec![1u8; 96]),
    };
    assert_eq!(err(s.exec(&node0, &bad_len)), ContractError::BadBlsLength);
    // A PoP made for another account (rogue-key defence: the owner is in the signed message).
    let stolen = ExecuteMsg::RegisterBlsKey {
        public_key: pk.clone(),
        proof_of_possession: HexBinary::from(
            sk.proof_of_possession(s.nodes[1].as_str())
                .unwrap()
                .to_vec(),
        ),
    };
    assert_eq!(
        err(s.exec(&node0, &stolen)),
        ContractError::BadProofOfPossession
    );
    // The identity point.
    let mut identity = vec![0u8; 48];
    identity[0] = 0xc0;
    let inf = ExecuteMsg::RegisterBlsKey {
        public_key: HexBinary::from(identity),
        proof_of_possession: HexBinary::from(vec![0u8; 96]),
    };
    assert_eq!(
        err(s.exec(&node0, &inf)),
        ContractError::BadProofOfPossession
    );
    let outsider = s.app.api().addr_make("outsider");
    let msg = ExecuteMsg::RegisterBlsKey {
        public_key: pk.clone(),
        proof_of_possession: HexBinary::from(
            sk.proof_of_possession(outsider.as_str()).unwrap().to_vec(),
        ),
    };
    assert!(matches!(
        err(s.exec(&outsider, &msg)),
        ContractError::NotRegistered(_)
    ));
    for i in 0..4 {
        s.register_bls(i).unwrap();
    }
    // Node 1 cannot take node 0's key even with a valid PoP for itself.
    let node1 = s.nodes[1].clone();
    let take = ExecuteMsg::RegisterBlsKey {
        public_key: pk.clone(),
        proof_of_possession: HexBinary::from(
            sk.proof_of_possession(node1.as_str()).unwrap().to_vec(),
        ),
    };
    assert_eq!(err(s.exec(&node1, &take)), ContractError::BlsKeyTaken);
    let q: Option<HexBinary> = s.query_attest(&bithive_attestation::msg::QueryMsg::BlsKey {
        node: node0.to_string(),
    });
    assert_eq!(q, Some(pk));

    let mut a = s.quorum_att(Matching, "match-bls", 1);
    a.commitments = matching_commitments(b"\x01", b"ct").to_vec();
    let keys: Vec<_> = (0..3).map(bls_key).collect();
    let agg = bithive_signed_attestation::bls::sign_quorum(&a, &keys).unwrap();
    let relayer = s.gov.clone();
    let nodes: Vec<String> = s.nodes.iter().map(|n| n.to_string()).collect();
    let msg = |signers: Vec<usize>, sig: Vec<u8>| ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Bls {
            signers: signers.iter().map(|&i| nodes[i].clone()).collect(),
            signature: HexBinary::from(sig),
        },
        payload: None,
    };
    // Wrong signer list for the aggregate, too few, an outsider, no key, malformed.
    let m = msg(vec![0, 1, 3], agg.to_vec());
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::BadSignature);
    let m = msg(vec![0, 1], agg.to_vec());
    assert!(matches!(
        err(s.exec(&relayer, &m)),
        ContractError::QuorumNotMet { .. }
    ));
    let m = msg(vec![0, 1, 4], agg.to_vec());
    assert!(matches!(
        err(s.exec(&relayer, &m)),
        ContractError::NotAttestor(_)
    ));
    let m = msg(vec![0, 1, 2], vec![0u8; 95]);
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::BadBlsLength);
    let m = msg(vec![0, 1, 2], vec![0x80; 96]);
    assert_eq!(err(s.exec(&relayer, &m)), ContractError::BadSignature);
    let m = msg(vec![0, 1, 2], agg.to_vec());
    s.exec(&relayer, &m).unwrap();
    // Record-only (no payload): kept in its own key space, listed by its signer.
    let listed: bithive_attestation::msg::AttestationsResponse =
        s.query_attest(&bithive_attestation::msg::QueryMsg::BySigner {
            signer: a.signer,
            start_after: None,
            limit: None,
        });
    let rec = listed
        .attestations
        .iter()
        .find(|(_, r)| r.attestation.job_id == "match-bls")
        .unwrap();
    assert!(matches!(rec.1.proof, StoredProof::Bls { .. }));
    // Another quorum by the same members (fresh nonce).
    let mut b = s.quorum_att(Matching, "match-bls-2", 2);
    b.commitments = vec![];
    let keys: Vec<_> = [0, 1, 2].iter().map(|&i| bls_key(i)).collect();
    let agg = bithive_signed_attestation::bls::sign_quorum(&b, &keys).unwrap();
    let m = ExecuteMsg::SubmitQuorum {
        attestation: b.clone(),
        proof: QuorumProof::Bls {
            signers: vec![
                s.nodes[0].to_string(),
                s.nodes[1].to_string(),
                s.nodes[2].to_string(),
            ],
            signature: HexBinary::from(agg.to_vec()),
        },
        payload: None,
    };
    s.exec(&relayer, &m).unwrap();
}

#[test]
fn governance_routes_packets_and_config() {
    let mut s = suite(2, 2, 1, vec![]);
    let gov = s.gov.clone();
    let mallory = s.app.api().addr_make("mallory");
    let route = ExecuteMsg::SetRoute {
        chain_id: "peer-1".into(),
        channel_id: Some("channel-0".into()),
    };
    assert_eq!(err(s.exec(&mallory, &route)), ContractError::Unauthorized);
    // cw-multi-test has no IBC: no channel ever opens here (see tests/ibc.rs).
    assert_eq!(
        err(s.exec(&gov, &route)),
        ContractError::ChannelClosed("channel-0".into())
    );
    let own = ExecuteMsg::SetRoute {
        chain_id: s.chain_id.clone(),
        channel_id: None,
    };
    assert!(matches!(
        err(s.exec(&gov, &own)),
        ContractError::InvalidConfig(_)
    ));
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::RetryPacket { id: 1 })),
        ContractError::UnknownPacket(1)
    );
    let pending: PacketsResponse =
        s.query_attest(&bithive_attestation::msg::QueryMsg::PendingPackets {
            start_after: None,
            limit: None,
        });
    assert!(pending.packets.is_empty());
    let update = |k: Option<u32>| ExecuteMsg::UpdateConfig {
        escrow: None,
        rewards: None,
        asset_nft: None,
        model_registry: None,
        quorum_threshold: k,
        quorum_kinds: Some(vec![Valuation, Valuation]),
        max_age_seconds: None,
        max_future_seconds: None,
        ibc_timeout_seconds: None,
    };
    assert_eq!(
        err(s.exec(&mallory, &update(None))),
        ContractError::Unauthorized
    );
    assert!(matches!(
        err(s.exec(&gov, &update(Some(0)))),
        ContractError::InvalidConfig(_)
    ));
    s.exec(&gov, &update(Some(2))).unwrap();
    let c: Config = s.query_attest(&bithive_attestation::msg::QueryMsg::Config {});
    assert_eq!(c.quorum_threshold, 2);
    assert_eq!(c.quorum_kinds, vec![Valuation]);
    // Only the contract itself processes packets.
    let a = s.att(Matching, "m", key(0), 1);
    let sig = s.sign(0, &a);
    let pp = ExecuteMsg::ProcessPacket {
        channel_id: "channel-0".into(),
        packet: bithive_attestation::msg::AttestationPacket {
            id: 1,
            attestation: a,
            proof: bithive_attestation::msg::PacketProof::Single { signature: sig },
            payload: None,
        },
    };
    assert_eq!(err(s.exec(&mallory, &pp)), ContractError::Unauthorized);
    // Migration (same code: a re-run at the same version is allowed; downgrades are refused by
    // bithive-cw-common's ensure_upgrade, tested there).
    let attest = s.attest.clone();
    let code = s.app.contract_data(&attest).unwrap().code_id;
    s.app
        .migrate_contract(gov, attest, &bithive_attestation::msg::MigrateMsg {}, code)
        .unwrap();
}

/// Issue #43 (high): anyone registered (no bond) posts a record-only matching attestation under
/// a research job's id first. Before the fix, the paid attestation of the node that claimed the
/// job was then refused "already attested", the researcher got the match and the whole deposit
/// back at expiry, and the node was never paid. Record-only attestations now have their own key
/// space, per signer: the claimant is paid, and the squatter's record names only itself.
#[test]
fn a_record_only_matching_attestation_cannot_squat_a_paid_research_job() {
    let payload = |job: &str| {
        Binary::from(serde_json::to_vec(&serde_json::json!({"escrow_job_id": job})).unwrap())
    };
    let mut s = suite(4, 4, 3, vec![]);
    s.create_job_of("research-1", MATCHING_MODEL, 7_000);
    s.claim_job("research-1", 2).unwrap();
    let victim = s.job("research-1");
    // The squatter (node 0) records a matching under the research job's id, before the node.
    let squat = s.att(Matching, &victim, key(0), 1);
    s.submit(0, &squat, None).unwrap();
    // ... and again: one record per signer, so a second one is refused.
    let again = s.att(Matching, &victim, key(0), 2);
    assert!(s.submit(0, &again, None).is_err());
    // Attack 2 (review of the fix): the squatter creates and claims a research job of its
    // own and posts a paid attestation under the victim's id naming its own job: paid back its
    // own deposit, it would hold the victim's key. Refused: a paid attestation's job id is the
    // escrow job it pays.
    s.create_job_of("own-job", MATCHING_MODEL, 7_000);
    s.claim_job("own-job", 0).unwrap();
    let own_job = s.job("own-job");
    let mut cross = s.att(Matching, &victim, key(0), 3);
    cross.commitments = vec![payload_hash(Matching, payload(&own_job).as_slice())];
    assert!(matches!(
        err(s.submit(0, &cross, Some(payload(&own_job)))),
        ContractError::BadPayload(_)
    ));
    // The claimant's paid attestation is accepted and pays it.
    let before = s.native(&s.nodes[2]);
    let mut m = s.att(Matching, &victim, key(2), 1);
    m.commitments = vec![payload_hash(Matching, payload(&victim).as_slice())];
    s.submit(2, &m, Some(payload(&victim))).unwrap();
    assert_eq!(s.native(&s.nodes[2]), before + 7_000);
    assert_eq!(
        s.accepted(&victim, Matching).unwrap().node.as_deref(),
        Some(s.nodes[2].as_str())
    );
    // The node's own record-only attestation of the same id does not collide with the
    // squatter's either.
    let own = s.att(Matching, &victim, key(2), 2);
    s.submit(2, &own, None).unwrap();
}

/// A rogue node tries to be paid through the kind whose rule is weaker: a single-signer paid
/// matching attestation naming an inference job, or an inference attestation of a research
/// request. Each is refused and nothing is paid.
#[test]
fn paid_matching_cannot_pay_an_inference_job_or_skip_its_quorum() {
    let payload = |job: &str| {
        Binary::from(
            serde_json::to_vec(&bithive_attestation::msg::MatchingPayload {
                escrow_job_id: job.into(),
                node: None,
            })
            .unwrap(),
        )
    };
    // The attestation's own id is the escrow job's, which the payload names.
    let matching = |s: &Suite, job: &str, nonce: u64| {
        let mut m = s.att(Matching, &s.job(job), key(2), nonce);
        m.commitments = vec![payload_hash(Matching, payload(&s.job(job)).as_slice())];
        m
    };
    // Inference needs a quorum here: a single signer's paid matching is refused before any
    // payment, whatever job it names.
    let mut s = suite(4, 4, 3, vec![Inference]);
    s.create_job("infer-1", 7_000);
    s.create_job_of("research-1", MATCHING_MODEL, 7_000);
    let before = s.native(&s.nodes[2]);
    for job in ["infer-1", "research-1"] {
        let m = matching(&s, job, 1);
        assert_eq!(
            err(s.submit(2, &m, Some(payload(&s.job(job))))),
            ContractError::QuorumRequired("matching (paid)")
        );
    }
    assert_eq!(s.native(&s.nodes[2]), before);
    // Without the inference quorum: a paid matching must name a research request, and an
    // inference attestation must not.
    let mut s = suite(4, 4, 3, vec![]);
    s.create_job("infer-1", 7_000);
    s.create_job_of("research-1", MATCHING_MODEL, 7_000);
    let before = s.native(&s.nodes[2]);
    let m = matching(&s, "infer-1", 1);
    assert_eq!(
        err(s.submit(2, &m, Some(payload(&s.job("infer-1"))))),
        ContractError::WrongJobKind {
            job_id: s.job("infer-1"),
            model: "bc_logreg".into()
        }
    );
    let i = s.att(Inference, &s.job("research-1"), key(2), 2);
    assert_eq!(
        err(s.submit(2, &i, None)),
        ContractError::WrongJobKind {
            job_id: s.job("research-1"),
            model: MATCHING_MODEL.into()
        }
    );
    assert_eq!(s.native(&s.nodes[2]), before);
}

/// Valuations are keyed by (token, round): an asset is re-valued every round (before this, the
/// token id alone was the accepted-once key, so an asset was valued once ever and had no
/// valuation after `freshness_secs`), while a replayed round, a round held back and posted after
/// a newer one, and a job id without a canonical round are refused.
#[test]
fn asset_is_revalued_every_round_and_stale_rounds_are_refused() {
    use bithive_interface::attestation::valuation_job_id;
    let mut s = suite(3, 3, 2, vec![]);
    mint_scanner(&mut s);
    let value_of = |s: &Suite| -> serde_json::Value {
        let v = scanner_valuation(s);
        v["value"].clone()
    };
    let round = |s: &Suite| -> u64 {
        s.query_attest(&bithive_attestation::msg::QueryMsg::ValuationRound {
            token_id: "scanner-1".into(),
        })
    };
    // Valued by a quorum of two: members `signer` and the next one.
    let valued = |s: &mut Suite, signer: usize, job: &str, value: u128, nonce: u64| {
        let payload = Binary::from(
            serde_json::to_vec(&serde_json::json!({"value": value.to_string()})).unwrap(),
        );
        let mut v = s.quorum_att(Valuation, job, nonce);
        bind(&mut v, &payload);
        s.submit_quorum(&[signer, (signer + 1) % 3], &v, Some(payload))
    };
    assert_eq!(round(&s), 0);
    let res = valued(&mut s, 1, &valuation_job_id("scanner-1", 1), 125_000, 10).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "round" && a.value == "1")));
    assert_eq!(value_of(&s), "125000");
    // Past freshness the asset has no valuation until it is valued again.
    s.advance(11 * DAY);
    assert!(value_of(&s).is_null());
    valued(&mut s, 1, &valuation_job_id("scanner-1", 2), 130_000, 11).unwrap();
    assert_eq!(value_of(&s), "130000");
    assert_eq!(round(&s), 2);
    // Replay of round 2 (another signer, fresh nonce): refused, the value stays.
    assert!(matches!(
        err(valued(&mut s, 2, &valuation_job_id("scanner-1", 2), 1, 12)),
        ContractError::AlreadyAttested { .. }
    ));
    // Round 4 accepted, then round 3 (signed earlier, held back) is refused.
    valued(&mut s, 1, &valuation_job_id("scanner-1", 4), 140_000, 13).unwrap();
    assert_eq!(
        err(valued(&mut s, 2, &valuation_job_id("scanner-1", 3), 1, 14)),
        ContractError::StaleRound {
            kind: "valuation",
            subject: "scanner-1".into(),
            round: 3,
            last: 4
        }
    );
    assert_eq!(value_of(&s), "140000");
    assert_eq!(round(&s), 4);
    // Issue #43: one attestation at round u64::MAX would freeze the asset's valuations forever
    // (every later round is "not above" it). Refused beyond MAX_ROUND_STEP; the round stays.
    assert_eq!(
        err(valued(
            &mut s,
            1,
            &valuation_job_id("scanner-1", u64::MAX),
            1,
            15
        )),
        ContractError::RoundTooFar {
            kind: "valuation",
            subject: "scanner-1".into(),
            round: u64::MAX,
            last: 4,
            max: bithive_attestation::consumer::MAX_ROUND_STEP,
        }
    );
    assert_eq!(round(&s), 4);
    valued(
        &mut s,
        1,
        &valuation_job_id("scanner-1", 1_004),
        150_000,
        16,
    )
    .unwrap();
    assert_eq!(round(&s), 1_004, "a gap up to the step is allowed");
    // Job ids without a canonical round.
    for job in [
        "scanner-1",
        "scanner-1#0",
        "scanner-1#05",
        "scanner-1#",
        "#5",
        "scanner-1#x",
    ] {
        assert_eq!(
            err(valued(&mut s, 1, job, 1, 20)),
            ContractError::BadRoundJobId {
                kind: "valuation",
                job_id: job.into()
            },
            "{job}"
        );
    }
}
