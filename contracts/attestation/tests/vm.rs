//! The optimized artifact in cosmwasm-vm 3 (bithive-vm-host) with the real staking and
//! payfi-escrow artifacts: a relayer submits an attestation, the escrow pays the node in the same
//! transaction; replays and bad messages are contract errors, never VM aborts; BLS quorums verify
//! with the VM's host functions.

mod vm_common;

use bithive_signed_attestation::{AttestationKind, QUORUM_SIGNER};
use bithive_vm_host::HostError;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use vm_common::*;

#[test]
fn submit_dispatches_report_job_to_payfi_escrow() {
    let mut vm = setup(3, 2);
    let job_id = vm.create_job("job-1", 7_000, 1);
    let node = vm.nodes[1].clone();
    let before = vm.chain.balance(&node, DENOM);
    let a = vm.att(AttestationKind::Inference, &job_id, key(1), 1);
    let relayer = vm.chain.addr("relayer");
    let msg = vm.submit_msg(1, &a);
    let attest = vm.attest.clone();
    let tx = vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap();
    assert_eq!(vm.chain.balance(&node, DENOM), before + 7_000);
    assert!(tx.events.iter().any(|e| e.ty == "wasm"
        && e.attributes
            .iter()
            .any(|x| x.key == "action" && x.value == "report_job")));
    let job: Value = vm
        .chain
        .query(&vm.escrow, &json!({"job": {"job_id": job_id}}))
        .unwrap();
    assert!(job.to_string().contains(&node), "{job}");
    let rec: Value = vm
        .chain
        .query(
            &vm.attest,
            &json!({"attestation": {"job_id": job_id, "kind": "inference",
                "contract": null, "chain_id": null}}),
        )
        .unwrap();
    assert_eq!(rec["node"], json!(node));
    // Replay: a contract error.
    let e = vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap_err();
    assert!(
        matches!(&e, HostError::Contract(m) if m.contains("already attested")),
        "{e}"
    );
    // Consumer failure (no such job) reverts: nothing recorded, the node is not paid.
    let b = vm.att(AttestationKind::Inference, "job-404", key(1), 2);
    let msg = vm.submit_msg(1, &b);
    let e = vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap_err();
    assert!(e.is_contract_error(), "{e}");
    let used: bool = vm
        .chain
        .query(
            &vm.attest,
            &json!({"nonce_used": {"signer": key(1), "nonce": 2}}),
        )
        .unwrap();
    assert!(!used);
}

#[test]
fn quorums_verify_with_vm_host_functions() {
    let mut vm = setup(3, 2);
    let relayer = vm.chain.addr("relayer");
    let attest = vm.attest.clone();
    let a = vm.att(AttestationKind::Matching, "m-bls", QUORUM_SIGNER, 1);
    let msg = vm.quorum_msg(&a, &[0, 2], true);
    vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap();
    let b = vm.att(AttestationKind::Matching, "m-secp", QUORUM_SIGNER, 2);
    let msg = vm.quorum_msg(&b, &[1, 2], false);
    vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap();
    // The BLS aggregate of other signers than claimed fails.
    let c = vm.att(AttestationKind::Matching, "m-bad", QUORUM_SIGNER, 3);
    let mut msg = vm.quorum_msg(&c, &[0, 1], true);
    msg["submit_quorum"]["proof"]["bls"]["signers"] = json!([vm.nodes[0], vm.nodes[2]]);
    let e = vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap_err();
    assert!(
        matches!(&e, HostError::Contract(m) if m.contains("does not verify")),
        "{e}"
    );
}

/// The registry artifact takes accuracies from the attestation artifact only, and the attestation
/// artifact passes on only a quorum's evaluation (#23).
#[test]
fn a_quorum_evaluation_sets_the_accuracy_in_the_registry_artifact() {
    use bithive_interface::attestation::{evaluation_job_id, EvaluationPayload};
    use bithive_interface::model_registry::{
        ExecuteMsg as RegistryMsg, ModelResponse, PublishMsg, QueryMsg as RegistryQuery,
    };
    let mut vm = setup(3, 2);
    let attest = vm.attest.clone();
    let registry = vm.registry.clone();
    let owner = vm.chain.addr("institute");
    vm.chain
        .execute(
            &registry,
            &owner,
            &RegistryMsg::Publish(PublishMsg {
                name: "bc-logreg".into(),
                version: 1,
                specialty: "oncology".into(),
                input_spec: "float32[1,30]".into(),
                output_spec: "label".into(),
                onnx_sha256: "ab".repeat(32),
                content_id: "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4".into(),
                size_bytes: 1,
                price: 1u128.into(),
                licence: "Apache-2.0".into(),
            }),
            &[],
        )
        .unwrap();
    let payload = serde_json::to_vec(&EvaluationPayload {
        accuracy: "0.962264".parse().unwrap(),
        dataset: "11".repeat(32),
        samples: 143,
        run_cost: None,
    })
    .unwrap();
    let mut a = vm.att(
        AttestationKind::Evaluation,
        &evaluation_job_id(1, 1),
        QUORUM_SIGNER,
        1,
    );
    a.commitments = vec![bithive_signed_attestation::payload_hash(
        AttestationKind::Evaluation,
        &payload,
    )];
    let relayer = vm.chain.addr("relayer");
    // One node alone: a contract error, whatever the configured quorum kinds.
    let mut solo = a.clone();
    solo.signer = key(0);
    let mut msg = vm.submit_msg(0, &solo);
    msg["submit"]["payload"] = json!(cosmwasm_std::Binary::from(payload.clone()));
    let e = vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap_err();
    assert!(
        matches!(&e, HostError::Contract(m) if m.contains("need a quorum")),
        "{e}"
    );
    // The owner: not the evaluator.
    let set = RegistryMsg::SetAccuracy {
        model_id: 1,
        accuracy: cosmwasm_std::Decimal::one(),
        evaluation: "self".into(),
        run_cost: None,
    };
    assert!(vm.chain.execute(&registry, &owner, &set, &[]).is_err());
    // A BLS quorum of two: accepted, and the registry holds the accuracy and the report hash.
    let mut msg = vm.quorum_msg(&a, &[0, 2], true);
    msg["submit_quorum"]["payload"] = json!(cosmwasm_std::Binary::from(payload));
    vm.chain.execute(&attest, &relayer, &msg, &[]).unwrap();
    let m: ModelResponse = vm
        .chain
        .query(&registry, &RegistryQuery::Model { model_id: 1 })
        .unwrap();
    assert_eq!(m.model.accuracy, Some("0.962264".parse().unwrap()));
    assert_eq!(m.model.evaluation, Some(a.result_hash.to_hex()));
}

/// One chain, many random messages (a chain per case would recompile every module).
#[test]
fn random_messages_are_contract_errors() {
    let vm = std::cell::RefCell::new(setup(1, 1));
    let mut runner = TestRunner::new(ProptestConfig::with_cases(48));
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..300), |bytes| {
            let mut vm = vm.borrow_mut();
            let who = vm.chain.addr("fuzzer");
            let attest = vm.attest.clone();
            let mut wrapped = b"{\"submit\":".to_vec();
            wrapped.extend_from_slice(&bytes);
            wrapped.push(b'}');
            for msg in [bytes.clone(), wrapped] {
                if let Err(e) = vm.chain.execute_raw(&attest, &who, &msg, &[]) {
                    prop_assert!(e.is_contract_error(), "{e}");
                }
            }
            Ok(())
        })
        .unwrap();
}
