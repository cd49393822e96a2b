//! Gas of attestations in cosmwasm-vm 3 (committed artifacts, wasmd storage gas), beside
//! references measured in the same run: a cw20-base 2.0 transfer, and payfi-escrow's
//! `ReportJob` sent directly by a plain reporter account (the path the attestation contract
//! replaces). Gas is deterministic, so one run per figure suffices.
//!
//!     cargo run -p bithive-attestation --example attestation_gas

#[path = "../tests/vm_common/mod.rs"]
mod vm_common;

use bithive_cw_test_fixtures::artifact;
use bithive_signed_attestation::{AttestationKind, QUORUM_SIGNER};
use serde_json::json;
use vm_common::*;

fn main() {
    // References: cw20 transfer, direct ReportJob by a reporter account.
    let mut vm = setup(5, 3);
    let (node0, node1) = (vm.nodes[0].clone(), vm.nodes[1].clone());
    // The reference transfer is cw20-base 2.0's, not BTK's (BitHive's token adds to it).
    let cw20 = vm
        .chain
        .store_code(&artifact("reference/cw20_base_ref.wasm"))
        .unwrap();
    let (token, _) = vm
        .chain
        .instantiate(
            cw20,
            &node0,
            &json!({"name": "Reference", "symbol": "REF", "decimals": 6,
                "initial_balances": [{"address": node0, "amount": "1000000"}],
                "mint": null, "marketing": null}),
            &[],
            "cw20-base reference",
            None,
        )
        .unwrap();
    let transfer = json!({"transfer": {"recipient": node1, "amount": "1"}});
    vm.chain.execute(&token, &node0, &transfer, &[]).unwrap();
    let cw20_transfer = vm
        .chain
        .execute(&token, &node0, &transfer, &[])
        .unwrap()
        .gas_used;
    let (escrow, gov) = (vm.escrow.clone(), vm.gov.clone());
    vm.chain
        .execute(
            &escrow,
            &gov,
            &json!({"update_reporters": {"add": [gov], "remove": []}}),
            &[],
        )
        .unwrap();
    let ref_job = vm.create_job("ref-job", 1_000, 1);
    let direct_report = vm
        .chain
        .execute(
            &escrow,
            &gov,
            &json!({"report_job": {"job_id": ref_job, "node": node1}}),
            &[],
        )
        .unwrap()
        .gas_used;

    let relayer = vm.chain.addr("relayer");
    let attest = vm.attest.clone();
    let mut nonce = 0u64;
    let run = |vm: &mut Vm, msg: serde_json::Value| {
        vm.chain
            .execute(&attest, &relayer, &msg, &[])
            .unwrap()
            .gas_used
    };
    // Warm-up: first writes of the signer index and nonce maps.
    let w = vm.att(AttestationKind::Matching, "warm", vm_common::key(0), 999);
    let m = vm.submit_msg(0, &w);
    run(&mut vm, m);

    // Single signer, record only (matching) and with dispatch to payfi-escrow (inference).
    nonce += 1;
    let a = vm.att(
        AttestationKind::Matching,
        "match-1",
        vm_common::key(0),
        nonce,
    );
    let m = vm.submit_msg(0, &a);
    let single_record = run(&mut vm, m);
    let job1 = vm.create_job("job-1", 1_000, 0);
    nonce += 1;
    let a = vm.att(AttestationKind::Inference, &job1, vm_common::key(0), nonce);
    let m = vm.submit_msg(0, &a);
    let single_dispatch = run(&mut vm, m);

    // Quorums (K = 3 configured): 3 and 5 signers, secp256k1 vs BLS aggregate.
    let mut quorum = |vm: &mut Vm, who: &[usize], bls: bool| {
        nonce += 1;
        let job = format!("q-{nonce}");
        let a = vm.att(AttestationKind::Matching, &job, QUORUM_SIGNER, nonce);
        let m = vm.quorum_msg(&a, who, bls);
        vm.chain
            .execute(&attest, &relayer, &m, &[])
            .unwrap()
            .gas_used
    };
    let secp3 = quorum(&mut vm, &[0, 1, 2], false);
    let secp5 = quorum(&mut vm, &[0, 1, 2, 3, 4], false);
    let bls3 = quorum(&mut vm, &[0, 1, 2], true);
    let bls5 = quorum(&mut vm, &[0, 1, 2, 3, 4], true);

    let r = |x: u64, base: u64| x as f64 / base as f64;
    println!(
        "Attestation gas (CosmWasm gas; SDK gas = /{}), cosmwasm-vm 3.0.10 via vm-host",
        bithive_vm_host::SDK_TO_CW_GAS
    );
    println!("reference cw20-base transfer:             {cw20_transfer:>12}");
    println!("reference direct escrow ReportJob:        {direct_report:>12}");
    println!("| figure | CosmWasm gas | x cw20 transfer | x direct ReportJob |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, g) in [
        (
            "Submit, single signer, record only (matching)",
            single_record,
        ),
        (
            "Submit, single signer + ReportJob dispatch (inference)",
            single_dispatch,
        ),
        ("SubmitQuorum K=3, 3 secp256k1 signatures", secp3),
        ("SubmitQuorum K=3, 5 secp256k1 signatures", secp5),
        ("SubmitQuorum K=3, BLS aggregate of 3", bls3),
        ("SubmitQuorum K=3, BLS aggregate of 5", bls5),
    ] {
        println!(
            "| {name} | {g} | {:.2} | {:.2} |",
            r(g, cw20_transfer),
            r(g, direct_report)
        );
    }
}
