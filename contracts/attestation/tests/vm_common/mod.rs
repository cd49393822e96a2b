#![allow(dead_code)]
//! The committed artifacts in cosmwasm-vm through bithive-vm-host: cw20 (BTK), staking with
//! `n` bonded nodes and its attestor set, payfi-escrow, and the attestation contract as the
//! escrow's reporter. Shared by tests/vm.rs and examples/gas.rs.

#[path = "../shared/mod.rs"]
pub mod shared;

pub use bithive_cw_test_fixtures::artifact;
use bithive_signed_attestation::bls::SecretKey;
use bithive_signed_attestation::signing::{sign, sign_operator_pop, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, PubKey33, QUORUM_SIGNER};
use bithive_vm_host::{coin, Chain, ChainConfig};
use serde_json::{json, Value};

pub use shared::{bls_key as bls, key, secret};

pub const DENOM: &str = "ubtk";

pub struct Vm {
    pub chain: Chain,
    pub gov: String,
    pub payer: String,
    pub token: String,
    pub staking: String,
    pub escrow: String,
    pub attest: String,
    pub nodes: Vec<String>,
}

/// `n` nodes, attestor set of `n`, quorum threshold `k`.
pub fn setup(n: usize, k: u32) -> Vm {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let gov = chain.addr("gov");
    let payer = chain.addr("payer");
    let nodes: Vec<String> = (0..n).map(|i| chain.addr(&format!("node{i}"))).collect();
    let cw20 = chain
        .store_code(&artifact("reference/cw20_base_ref.wasm"))
        .unwrap();
    let staking_code = chain.store_code(&artifact("bithive_staking.wasm")).unwrap();
    let escrow_code = chain
        .store_code(&artifact("bithive_payfi_escrow.wasm"))
        .unwrap();
    let attest_code = chain
        .store_code(&artifact("bithive_attestation.wasm"))
        .unwrap();
    let mut balances: Vec<Value> = nodes
        .iter()
        .map(|a| json!({"address": a, "amount": "100000000000000"}))
        .collect();
    balances.push(json!({"address": gov, "amount": "1000000"}));
    let (token, _) = chain
        .instantiate(
            cw20,
            &gov,
            &json!({"name": "BitSpark", "symbol": "BTK", "decimals": 6,
                "initial_balances": balances, "mint": null, "marketing": null}),
            &[],
            "btk",
            None,
        )
        .unwrap();
    let genesis = chain.block().time.seconds();
    let (staking, _) = chain
        .instantiate(
            staking_code,
            &gov,
            &json!({"governance": gov, "compliance": gov, "token": token,
                "slash_recipient": gov, "work_reporter": null, "genesis": genesis,
                "epoch_seconds": 86400, "attestor_set_size": n, "window_epochs": 7,
                "lock_seconds": null, "unbonding_seconds": 604800, "max_claims": 4,
                "fraud_slash": "0.1"}),
            &[],
            "staking",
            None,
        )
        .unwrap();
    let (escrow, _) = chain
        .instantiate(
            escrow_code,
            &gov,
            &json!({"admin": gov, "fee_bps": 0, "fee_collector": gov,
                "cw20_allowlist": [], "reporters": []}),
            &[],
            "escrow",
            None,
        )
        .unwrap();
    let (attest, _) = chain
        .instantiate(
            attest_code,
            &gov,
            &json!({"governance": gov, "staking": staking, "escrow": escrow,
                "rewards": null, "asset_nft": null, "quorum_threshold": k,
                "quorum_kinds": [], "max_age_seconds": 3600, "max_future_seconds": 60,
                "ibc_timeout_seconds": 600, "peers": []}),
            &[],
            "attestation",
            Some(&gov),
        )
        .unwrap();
    chain
        .execute(
            &escrow,
            &gov,
            &json!({"update_reporters": {"add": [attest], "remove": []}}),
            &[],
        )
        .unwrap();
    let chain_id = chain.block().chain_id;
    for (i, node) in nodes.iter().enumerate() {
        let pop = sign_operator_pop(&signing_key(&secret(i)).unwrap(), &chain_id, &staking, node)
            .unwrap();
        chain
            .execute(
                &staking,
                node,
                &json!({"register_node": {"capacity_t": 4, "tier": "t1",
                    "operator_key": key(i), "operator_signature": pop}}),
                &[],
            )
            .unwrap();
        let bond = cosmwasm_std::to_json_binary(&json!({"bond": {}})).unwrap();
        let amount = ((10 - i as u128) * 1_000_000_000).to_string();
        chain
            .execute(
                &token,
                node,
                &json!({"send": {"contract": staking, "amount": amount, "msg": bond}}),
                &[],
            )
            .unwrap();
        let sk = bls(i);
        chain
            .execute(
                &attest,
                node,
                &json!({"register_bls_key": {
                    "public_key": hex::encode(sk.public_key()),
                    "proof_of_possession": hex::encode(sk.proof_of_possession(node).unwrap())}}),
                &[],
            )
            .unwrap();
    }
    chain
        .execute(
            &staking,
            &gov,
            &json!({"advance_attestor_set": {"limit": 50}}),
            &[],
        )
        .unwrap();
    chain
        .mint_native(&payer, &[coin(1_000_000_000_000, DENOM)])
        .unwrap();
    Vm {
        chain,
        gov,
        payer,
        token,
        staking,
        escrow,
        attest,
        nodes,
    }
}

impl Vm {
    /// Creates the payer's job `job` for node `node` (the only node it pays); returns the job id
    /// the escrow's `create_job` event names (scoped to the payer), the one attestations, reports
    /// and queries use.
    pub fn create_job(&mut self, job: &str, amount: u128, node: usize) -> String {
        let expires = self.chain.block().time.plus_seconds(86_400);
        let payer = self.payer.clone();
        let node = self.nodes[node].clone();
        let tx = self
            .chain
            .execute(
                &self.escrow,
                &payer,
                &json!({"create_job": {"job_id": job, "expires_at": expires, "model": "bc_logreg",
                    "input": "AAECAw==", "node": node}}),
                &[coin(amount, DENOM)],
            )
            .unwrap();
        tx.attr("wasm", "job_id")
            .expect("create_job event")
            .to_string()
    }

    pub fn att(
        &self,
        kind: AttestationKind,
        job: &str,
        signer: PubKey33,
        nonce: u64,
    ) -> Attestation {
        let contract = match kind {
            AttestationKind::Inference => self.escrow.clone(),
            _ => self.attest.clone(),
        };
        let now = self.chain.block().time.seconds();
        let target = (self.chain.config().chain_id.as_str(), contract.as_str());
        shared::job_attestation(target, kind, job, signer, nonce, now)
    }

    pub fn submit_msg(&self, i: usize, a: &Attestation) -> Value {
        let signed = sign(a.clone(), &signing_key(&secret(i)).unwrap()).unwrap();
        json!({"submit": {"attestation": a, "signature": signed.signature}})
    }

    /// A quorum message over `who` with secp256k1 signatures or a BLS aggregate.
    pub fn quorum_msg(&self, a: &Attestation, who: &[usize], use_bls: bool) -> Value {
        assert_eq!(a.signer, QUORUM_SIGNER);
        if use_bls {
            let keys: Vec<SecretKey> = who.iter().map(|&i| bls(i)).collect();
            let agg = bithive_signed_attestation::bls::sign_quorum(a, &keys).unwrap();
            let signers: Vec<&String> = who.iter().map(|&i| &self.nodes[i]).collect();
            json!({"submit_quorum": {"attestation": a, "proof": {"bls": {
                "signers": signers, "signature": hex::encode(agg)}}}})
        } else {
            let sigs: Vec<Value> = who
                .iter()
                .map(|&i| {
                    let (key, signature) =
                        bithive_signed_attestation::signing::sign_as_quorum_member(
                            a,
                            &signing_key(&secret(i)).unwrap(),
                        )
                        .unwrap();
                    json!({"key": key, "signature": hex::encode(signature.0)})
                })
                .collect();
            json!({"submit_quorum": {"attestation": a, "proof": {"secp256k1": {"signatures": sigs}}}})
        }
    }
}
