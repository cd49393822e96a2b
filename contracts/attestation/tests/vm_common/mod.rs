#![allow(dead_code)]
//! The committed artifacts in cosmwasm-vm through bithive-vm-host, deployed by the plan
//! `bithive deploy` runs: staking with `n` bonded nodes and its attestor set, payfi-escrow and
//! the attestation contract as the escrow's reporter among them. Shared by tests/vm.rs and
//! examples/gas.rs.

#[path = "../shared/mod.rs"]
pub mod shared;

use bithive_signed_attestation::bls::SecretKey;
use bithive_signed_attestation::signing::{sign, sign_operator_pop, signing_key};
use bithive_signed_attestation::{Attestation, AttestationKind, PubKey33, QUORUM_SIGNER};
use bithive_vm_host::plan::bithive_deploy_plan::{AttestationParams, DeployConfig, StakingParams};
use bithive_vm_host::plan::run_deploy_plan;
use bithive_vm_host::{coin, Chain, ChainConfig};
use cw20::Cw20Coin;
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
    pub rewards: String,
    pub nft: String,
    pub registry: String,
    pub nodes: Vec<String>,
}

/// The deployment of `bithive deploy` (the deployment plan, every contract) with `n` nodes
/// holding BTK at genesis, an attestor set of `n` and a quorum threshold of `k`; no kind needs a
/// quorum unless a test says so, and the escrow takes no fee and no dispute window (so a report
/// pays at once). Each node registers, bonds and registers a BLS key; the set is advanced.
pub fn setup(n: usize, k: u32) -> Vm {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let gov = chain.addr("gov");
    let payer = chain.addr("payer");
    let nodes: Vec<String> = (0..n).map(|i| chain.addr(&format!("node{i}"))).collect();
    let mut allocations: Vec<Cw20Coin> = nodes
        .iter()
        .map(|a| Cw20Coin {
            address: a.clone(),
            amount: 100_000_000_000_000u128.into(),
        })
        .collect();
    allocations.push(Cw20Coin {
        address: gov.clone(),
        amount: 1_000_000u128.into(),
    });
    let config = DeployConfig {
        staking: StakingParams {
            attestor_set_size: n as u32,
            unbonding_seconds: 7 * 86_400,
            max_claims: 4,
            ..StakingParams::default()
        },
        escrow_fee_bps: 0,
        job_dispute_seconds: 0,
        attestation: AttestationParams {
            quorum_threshold: k,
            quorum_kinds: vec![],
            max_future_seconds: 60,
            ..AttestationParams::default()
        },
        test_btk_allocations: allocations,
        ..DeployConfig::default()
    };
    let c = run_deploy_plan(&mut chain, config, &gov).contracts;
    let (token, staking, escrow, attest) = (c.btk, c.staking, c.payfi_escrow, c.attestation);
    let (rewards, nft, registry) = (c.rewards, c.asset_nft, c.model_registry);
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
        rewards,
        nft,
        registry,
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
        let consumers = shared::Consumers {
            escrow: &self.escrow,
            rewards: &self.rewards,
            nft: &self.nft,
            registry: &self.registry,
            attest: &self.attest,
        };
        let now = self.chain.block().time.seconds();
        let target = (self.chain.config().chain_id.as_str(), consumers.of(kind));
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
