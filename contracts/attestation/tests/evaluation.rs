//! Evaluation attestations (#23): a model's held-out accuracy reaches the registry only through
//! a quorum of attestors, once per round, never from its owner or one node.

mod common;

use bithive_attestation::msg::{
    evaluation_job_id, EvaluationPayload, ExecuteMsg, QueryMsg, QuorumProof,
};
use bithive_attestation::ContractError;
use bithive_interface::model_registry::{
    ExecuteMsg as RegistryMsg, Model, ModelResponse, PublishMsg, QueryMsg as RegistryQuery,
};
use common::*;
use cosmwasm_std::{Binary, Decimal, Uint128};
use cw_multi_test::Executor;

use bithive_signed_attestation::AttestationKind::Evaluation;

const CID: &str = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

/// The owner publishes model 1.
fn publish(s: &mut Suite) -> cosmwasm_std::Addr {
    let owner = s.app.api().addr_make("institute");
    s.app
        .execute_contract(
            owner.clone(),
            s.registry.clone(),
            &RegistryMsg::Publish(PublishMsg {
                name: "bc-logreg".into(),
                version: 1,
                specialty: "oncology".into(),
                input_spec: "float32[1,30]".into(),
                output_spec: "label, probabilities".into(),
                onnx_sha256: "af70e9d3ca931da63a403194ce5e47f83e42be00b5a9de756cb7b5477550589f"
                    .into(),
                content_id: CID.into(),
                size_bytes: 1_000,
                price: Uint128::new(5),
                licence: "Apache-2.0".into(),
            }),
            &[],
        )
        .unwrap();
    owner
}

fn model(s: &Suite) -> Model {
    let r: ModelResponse = s
        .app
        .wrap()
        .query_wasm_smart(&s.registry, &RegistryQuery::Model { model_id: 1 })
        .unwrap();
    r.model
}

fn payload(accuracy: &str) -> Binary {
    Binary::from(
        serde_json::to_vec(&EvaluationPayload {
            accuracy: accuracy.parse().unwrap(),
            dataset: "11".repeat(32),
            samples: 143,
            run_cost: None,
        })
        .unwrap(),
    )
}

/// Attestors `who` sign the evaluation `job` with `accuracy`; posted by a relayer.
fn evaluate(
    s: &mut Suite,
    who: &[usize],
    job: &str,
    accuracy: &str,
    nonce: u64,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    let p = payload(accuracy);
    let mut a = s.quorum_att(Evaluation, job, nonce);
    bind(&mut a, &p);
    let m = ExecuteMsg::SubmitQuorum {
        attestation: a.clone(),
        proof: QuorumProof::Secp256k1 {
            signatures: who.iter().map(|&i| s.quorum_sig(i, &a)).collect(),
        },
        payload: Some(p),
    };
    let relayer = s.app.api().addr_make("relayer");
    s.exec(&relayer, &m)
}

fn round(s: &Suite) -> u64 {
    s.app
        .wrap()
        .query_wasm_smart(&s.attest, &QueryMsg::EvaluationRound { model_id: 1 })
        .unwrap()
}

#[test]
fn a_quorum_sets_the_accuracy_with_its_report_as_the_reference() {
    let mut s = suite(4, 4, 3, vec![]);
    publish(&mut s);
    assert_eq!(model(&s).accuracy, None);
    assert_eq!(round(&s), 0);
    let res = evaluate(&mut s, &[0, 1, 2], &evaluation_job_id(1, 1), "0.962264", 1).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "round" && a.value == "1")));
    let m = model(&s);
    assert_eq!(m.accuracy, Some("0.962264".parse().unwrap()));
    let accepted = s
        .accepted(&evaluation_job_id(1, 1), Evaluation)
        .expect("recorded");
    assert_eq!(
        m.evaluation.as_deref(),
        Some(accepted.attestation.result_hash.to_hex().as_str())
    );
    assert_eq!(round(&s), 1);
}

#[test]
fn one_node_cannot_grade_a_model_even_when_no_kind_is_configured_for_quorum() {
    // quorum_kinds is empty: evaluation needs a quorum regardless.
    let mut s = suite(4, 4, 3, vec![]);
    publish(&mut s);
    let p = payload("1");
    let mut a = s.att(Evaluation, &evaluation_job_id(1, 1), key(0), 1);
    bind(&mut a, &p);
    assert_eq!(
        err(s.submit(0, &a, Some(p))),
        ContractError::QuorumRequired("evaluation")
    );
    // Two of the three needed signatures are not a quorum.
    assert!(evaluate(&mut s, &[0, 1], &evaluation_job_id(1, 1), "1", 2).is_err());
    assert_eq!(model(&s).accuracy, None);
}

#[test]
fn the_owner_cannot_set_its_own_accuracy() {
    let mut s = suite(4, 4, 3, vec![]);
    let owner = publish(&mut s);
    let set = RegistryMsg::SetAccuracy {
        model_id: 1,
        accuracy: Decimal::one(),
        evaluation: "self-graded".into(),
        run_cost: None,
    };
    assert!(s
        .app
        .execute_contract(owner, s.registry.clone(), &set, &[])
        .is_err());
    assert_eq!(model(&s).accuracy, None);
}

#[test]
fn rounds_only_go_up_and_a_replay_changes_nothing() {
    let mut s = suite(4, 4, 3, vec![]);
    publish(&mut s);
    evaluate(&mut s, &[0, 1, 2], &evaluation_job_id(1, 2), "0.9", 1).unwrap();
    // The same round again (other signers, fresh nonce): already attested.
    assert!(matches!(
        err(evaluate(
            &mut s,
            &[1, 2, 3],
            &evaluation_job_id(1, 2),
            "0.1",
            2
        )),
        ContractError::AlreadyAttested { .. }
    ));
    // An older round held back: stale.
    assert_eq!(
        err(evaluate(
            &mut s,
            &[1, 2, 3],
            &evaluation_job_id(1, 1),
            "0.1",
            3
        )),
        ContractError::StaleRound {
            kind: "evaluation",
            subject: "1".into(),
            round: 1,
            last: 2
        }
    );
    assert_eq!(model(&s).accuracy, Some(Decimal::percent(90)));
    // A later round re-scores it.
    evaluate(&mut s, &[0, 1, 3], &evaluation_job_id(1, 3), "0.95", 4).unwrap();
    assert_eq!(model(&s).accuracy, Some(Decimal::percent(95)));
    assert_eq!(round(&s), 3);
}

#[test]
fn bad_evaluations_are_refused_before_reaching_the_registry() {
    let mut s = suite(4, 4, 3, vec![]);
    publish(&mut s);
    assert_eq!(
        err(evaluate(
            &mut s,
            &[0, 1, 2],
            &evaluation_job_id(1, 1),
            "1.01",
            1
        )),
        ContractError::BadPayload("an evaluation's accuracy is in [0, 1]".into())
    );
    for job in ["01#1", "x#1", "1#0", "1", "1#01"] {
        assert_eq!(
            err(evaluate(&mut s, &[0, 1, 2], job, "0.5", 2)),
            ContractError::BadRoundJobId {
                kind: "evaluation",
                job_id: job.into()
            },
            "{job}"
        );
    }
    // An unknown model: the registry refuses, so nothing is recorded.
    assert!(evaluate(&mut s, &[0, 1, 2], &evaluation_job_id(9, 1), "0.5", 3).is_err());
    assert!(s.accepted(&evaluation_job_id(9, 1), Evaluation).is_none());
    assert_eq!(model(&s).accuracy, None);
}
