#![allow(dead_code)]
//! The attestation contract wired to the real staking, rewards (with vesting), payfi-escrow and
//! asset-nft contracts and the model registry in cw-multi-test.

#[path = "../shared/mod.rs"]
mod shared;

use bithive_attestation::msg::{ExecuteMsg, InstantiateMsg, KeySignature, QueryMsg};
use bithive_attestation::state::Accepted;
use bithive_attestation::ContractError;
use bithive_cw_test_fixtures::contracts::{
    instantiate, rewards_instantiate, staking_instantiate, vesting_instantiate,
};
use bithive_cw_test_fixtures::{contract, cw20_base_code, cw20_minted_by, cw20_send, fund};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use bithive_signed_attestation::signing::{sign, sign_operator_pop, signing_key};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, PubKey33, Signature64, QUORUM_SIGNER,
};
use bithive_staking::msg::{
    ExecuteMsg as StakingMsg, InstantiateMsg as StakingInit, ReceiveMsg as StakingReceive, Tier,
};
use cosmwasm_std::{coins, Addr, Binary, Empty, HexBinary, Uint128};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, Executor};
use sha2::{Digest, Sha256};

pub use shared::*;

pub const BTK: u128 = 1_000_000;
pub const DAY: u64 = 86_400;
pub const DENOM: &str = "ubtk";

pub fn attestation_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_attestation, reply, migrate)
}

pub struct Suite {
    pub app: App,
    pub gov: Addr,
    pub payer: Addr,
    pub btk: Addr,
    pub staking: Addr,
    pub rewards: Addr,
    pub escrow: Addr,
    pub nft: Addr,
    pub registry: Addr,
    pub attest: Addr,
    pub nodes: Vec<Addr>,
    pub chain_id: String,
}

pub fn h(s: &str) -> Hash32 {
    Hash32(Sha256::digest(s.as_bytes()).into())
}

pub fn err(r: anyhow::Result<AppResponse>) -> ContractError {
    match r.unwrap_err().downcast::<ContractError>() {
        Ok(e) => e,
        Err(other) => panic!("not an attestation ContractError: {other:?}"),
    }
}

fn cw20(app: &mut App, gov: &Addr, holders: &[Addr]) -> Addr {
    let id = cw20_base_code(app);
    let init = cw20_minted_by("BitSpark", "BTK", gov, holders, 1_000_000 * BTK);
    instantiate(app, id, gov, &init, "btk")
}

/// `n` nodes registered and bonded (node i pledges (10 - i) x 1000 BTK), attestor set of
/// `set_size`, K = `k`, `quorum_kinds` need a quorum.
pub fn suite(n: usize, set_size: u32, k: u32, quorum_kinds: Vec<AttestationKind>) -> Suite {
    let mut app = AppBuilder::new().build(|_, _, _| {});
    let api = app.api();
    let gov = api.addr_make("gov");
    let payer = api.addr_make("payer");
    let nodes = bithive_cw_test_fixtures::suite::node_addrs(api, n);
    fund(&mut app, &payer, coins(1_000_000 * BTK, DENOM));
    let mut holders = nodes.clone();
    holders.push(gov.clone());
    let btk = cw20(&mut app, &gov, &holders);
    let genesis = app.block_info().time.seconds();
    let chain_id = app.block_info().chain_id;

    let staking_id = app.store_code(contract!(bithive_staking));
    let staking_init = StakingInit {
        attestor_set_size: set_size,
        ..staking_instantiate(&gov, &btk, genesis)
    };
    let staking = instantiate(&mut app, staking_id, &gov, &staking_init, "staking");
    let vesting_id = app.store_code(contract!(bithive_vesting));
    let vesting_init = vesting_instantiate(&gov, &btk);
    let vesting = instantiate(&mut app, vesting_id, &gov, &vesting_init, "vesting");
    let rewards_id = app.store_code(contract!(bithive_rewards));
    // Governance plays the escrow for served work (`Suite::serve`): the escrow here pays no fee,
    // and these tests are about what the attestation accepts.
    let rewards_init = bithive_interface::rewards::InstantiateMsg {
        escrow: Some(gov.to_string()),
        ..rewards_instantiate(&gov, &btk, &btk, &staking, &vesting, genesis)
    };
    let rewards = instantiate(&mut app, rewards_id, &gov, &rewards_init, "rewards");
    let escrow_id = app.store_code(contract!(bithive_payfi_escrow));
    let escrow = instantiate(
        &mut app,
        escrow_id,
        &gov,
        &bithive_payfi_escrow::msg::InstantiateMsg {
            admin: Some(gov.to_string()),
            fee_bps: 0,
            fee_collector: gov.to_string(),
            cw20_allowlist: vec![],
            reporters: vec![],
            staking: Some(staking.to_string()),
            // Paid at the report: these tests are about what the attestation accepts.
            job_dispute_seconds: 0,
        },
        "escrow",
    );
    let nft_id = app.store_code(contract!(bithive_asset_nft));
    let nft = instantiate(
        &mut app,
        nft_id,
        &gov,
        &bithive_asset_nft::msg::InstantiateMsg {
            name: "BitHive Assets".into(),
            symbol: "BHA".into(),
            admin: None,
            compliance_officer: gov.to_string(),
            custodian: None,
            valuation: bithive_asset_nft::msg::ValuationParams {
                unit: "USD-cents".into(),
                window: 3,
                freshness_secs: 10 * DAY,
                quorum: 1,
            },
        },
        "assets",
    );
    let attest_id = app.store_code(attestation_contract());
    let attest = app
        .instantiate_contract(
            attest_id,
            gov.clone(),
            &InstantiateMsg {
                governance: gov.to_string(),
                staking: staking.to_string(),
                escrow: Some(escrow.to_string()),
                rewards: Some(rewards.to_string()),
                asset_nft: Some(nft.to_string()),
                model_registry: None,
                quorum_threshold: k,
                quorum_kinds,
                max_age_seconds: 3_600,
                max_future_seconds: 60,
                ibc_timeout_seconds: 600,
                peers: vec![],
            },
            &[],
            "attestation",
            Some(gov.to_string()),
        )
        .unwrap();
    // The registry takes accuracies from the attestation contract (its evaluator) only.
    let registry_id = app.store_code(contract!(bithive_model_registry));
    let registry = instantiate(
        &mut app,
        registry_id,
        &gov,
        &bithive_interface::model_registry::InstantiateMsg {
            admin: None,
            evaluator: Some(attest.to_string()),
            escrow: Some(escrow.to_string()),
            price_asset: bithive_interface::model_registry::AssetInfo::Native(DENOM.into()),
        },
        "registry",
    );
    app.execute_contract(
        gov.clone(),
        attest.clone(),
        &set_model_registry(registry.to_string()),
        &[],
    )
    .unwrap();
    // Wire the consumers: the attestation contract takes the reporter and valuer roles.
    let wire: [(&Addr, serde_json::Value); 4] = [
        (
            &staking,
            serde_json::json!({"update_config": {"governance": null, "compliance": null,
                "slash_recipient": null, "work_reporter": rewards, "fraud_slash": null,
                "attestor_set_size": null}}),
        ),
        (
            &rewards,
            serde_json::json!({"update_config": {"governance": null, "reporter": attest,
                "patient_daily_cap": null}}),
        ),
        (
            &escrow,
            serde_json::json!({"update_reporters": {"add": [attest], "remove": []}}),
        ),
        (&nft, serde_json::json!({"add_valuer": {"valuer": attest}})),
    ];
    for (c, msg) in wire {
        app.execute_contract(gov.clone(), c.clone(), &msg, &[])
            .unwrap();
    }
    let mut s = Suite {
        app,
        gov,
        payer,
        btk,
        staking,
        rewards,
        escrow,
        nft,
        registry,
        attest,
        nodes,
        chain_id,
    };
    for i in 0..n {
        s.join(i, (10 - i as u128) * 1_000 * BTK);
    }
    s.app
        .execute_contract(
            s.gov.clone(),
            s.staking.clone(),
            &StakingMsg::AdvanceAttestorSet { limit: 50 },
            &[],
        )
        .unwrap();
    s
}

impl Suite {
    pub fn join(&mut self, i: usize, pledge: u128) {
        let node = self.nodes[i].clone();
        let msg = StakingMsg::RegisterNode {
            capacity_t: 4,
            tier: Tier::T1,
            operator_key: key(i),
            operator_signature: sign_operator_pop(
                &signing_key(&secret(i)).unwrap(),
                &self.chain_id,
                self.staking.as_str(),
                node.as_str(),
            )
            .unwrap(),
        };
        self.app
            .execute_contract(node.clone(), self.staking.clone(), &msg, &[])
            .unwrap();
        let bond = StakingReceive::Bond {};
        cw20_send(
            &mut self.app,
            &node,
            &self.btk,
            &self.staking,
            pledge,
            &bond,
        )
        .unwrap();
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance(&mut self, secs: u64) {
        bithive_cw_test_fixtures::advance(&mut self.app, secs);
    }

    /// An attestation of `kind` for `job` on this chain, naming the kind's consumer.
    pub fn att(
        &self,
        kind: AttestationKind,
        job: &str,
        signer: PubKey33,
        nonce: u64,
    ) -> Attestation {
        let consumers = shared::Consumers {
            escrow: self.escrow.as_str(),
            rewards: self.rewards.as_str(),
            nft: self.nft.as_str(),
            registry: self.registry.as_str(),
            attest: self.attest.as_str(),
        };
        let target = (self.chain_id.as_str(), consumers.of(kind));
        job_attestation(target, kind, job, signer, nonce, self.now())
    }

    pub fn quorum_att(&self, kind: AttestationKind, job: &str, nonce: u64) -> Attestation {
        self.att(kind, job, QUORUM_SIGNER, nonce)
    }

    pub fn sign(&self, i: usize, a: &Attestation) -> Signature64 {
        sign(a.clone(), &signing_key(&secret(i)).unwrap())
            .unwrap()
            .signature
    }

    /// Node i's signature on a quorum body (signer field = quorum key).
    pub fn quorum_sig(&self, i: usize, a: &Attestation) -> KeySignature {
        let (key, signature) = bithive_signed_attestation::signing::sign_as_quorum_member(
            a,
            &signing_key(&secret(i)).unwrap(),
        )
        .unwrap();
        KeySignature { key, signature }
    }

    pub fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(who.clone(), self.attest.clone(), msg, &[])
    }

    /// Anyone (a relayer) posts a single-signer attestation by node i.
    pub fn submit(
        &mut self,
        i: usize,
        a: &Attestation,
        payload: Option<Binary>,
    ) -> anyhow::Result<AppResponse> {
        let msg = ExecuteMsg::Submit {
            attestation: a.clone(),
            signature: self.sign(i, a),
            payload,
        };
        let relayer = self.app.api().addr_make("relayer");
        self.exec(&relayer, &msg)
    }

    /// Anyone (a relayer) posts the quorum attestation `a` (signer = quorum key) signed by the
    /// set members `signers` (secp256k1 signatures).
    pub fn submit_quorum(
        &mut self,
        signers: &[usize],
        a: &Attestation,
        payload: Option<Binary>,
    ) -> anyhow::Result<AppResponse> {
        let msg = ExecuteMsg::SubmitQuorum {
            attestation: a.clone(),
            proof: bithive_attestation::msg::QuorumProof::Secp256k1 {
                signatures: signers.iter().map(|&i| self.quorum_sig(i, a)).collect(),
            },
            payload,
        };
        let relayer = self.app.api().addr_make("relayer");
        self.exec(&relayer, &msg)
    }

    /// The escrow's id of the job the payer creates as `client_id` (ids are scoped to the payer).
    pub fn job(&self, client_id: &str) -> String {
        bithive_interface::payfi_escrow::job_id(self.payer.as_str(), client_id)
    }

    pub fn create_job(&mut self, job: &str, amount: u128) {
        self.create_job_of(job, "bc_logreg", amount)
    }

    /// A job of `model` (e.g. `MATCHING_MODEL` for a research request), bound to no node.
    pub fn create_job_of(&mut self, job: &str, model: &str, amount: u128) {
        let msg = EscrowMsg::CreateJob(CreateJobMsg {
            job_id: job.into(),
            expires_at: self.app.block_info().time.plus_seconds(DAY),
            model: model.into(),
            input: Binary::from(&[0u8, 1, 2, 3]),
            node: None,
        });
        let payer = self.payer.clone();
        self.app
            .execute_contract(payer, self.escrow.clone(), &msg, &coins(amount, DENOM))
            .unwrap();
    }

    /// Node `i` claims the payer's job `client_id` (binds it to itself) in the escrow.
    pub fn claim_job(&mut self, client_id: &str, i: usize) -> anyhow::Result<AppResponse> {
        let msg = EscrowMsg::ClaimJob {
            job_id: self.job(client_id),
        };
        let node = self.nodes[i].clone();
        self.app
            .execute_contract(node, self.escrow.clone(), &msg, &[])
    }

    /// Queries the attestation contract.
    pub fn query_attest<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app.wrap().query_wasm_smart(&self.attest, msg).unwrap()
    }

    pub fn accepted(&self, job: &str, kind: AttestationKind) -> Option<Accepted> {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.attest,
                &QueryMsg::Attestation {
                    job_id: job.into(),
                    kind,
                    contract: None,
                    chain_id: None,
                },
            )
            .unwrap()
    }

    /// Weight of `node` in the rewards epoch collecting now.
    pub fn open_weight(&self, node: &Addr) -> cosmwasm_std::Decimal256 {
        let r: bithive_rewards::msg::NodeRewardsResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.rewards,
                &bithive_rewards::msg::QueryMsg::NodeRewards {
                    node: node.to_string(),
                },
            )
            .unwrap();
        r.open_weight
    }

    pub fn native(&self, who: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    /// The escrow (here governance) tells rewards `node` was paid one job worth `units`.
    pub fn serve(&mut self, node: &Addr, units: u128) {
        let msg = bithive_interface::rewards::ExecuteMsg::RecordOutcome {
            node: node.to_string(),
            outcome: bithive_interface::rewards::JobOutcome::Paid {
                units: Uint128::new(units),
                fee: Uint128::new(1_000_000),
            },
        };
        self.app
            .execute_contract(self.gov.clone(), self.rewards.clone(), &msg, &[])
            .unwrap();
    }

    pub fn register_bls(&mut self, i: usize) -> anyhow::Result<AppResponse> {
        let sk = bls_key(i);
        let node = self.nodes[i].clone();
        let msg = ExecuteMsg::RegisterBlsKey {
            public_key: HexBinary::from(sk.public_key().to_vec()),
            proof_of_possession: HexBinary::from(
                sk.proof_of_possession(node.as_str()).unwrap().to_vec(),
            ),
        };
        self.exec(&node, &msg)
    }
}

/// A `compute_work` payload: what the attestors measured of `node` ([`measured`]).
pub fn work_payload(node: Option<&Addr>) -> Binary {
    Binary::from(
        serde_json::to_vec(&serde_json::json!({
            "node": node.map(|n| n.to_string()),
            "measured": measured(),
        }))
        .unwrap(),
    )
}

/// Binds `payload` to `a` as its result hash.
pub fn bind(a: &mut Attestation, payload: &Binary) {
    a.result_hash = payload_hash(a.kind, payload.as_slice());
}
