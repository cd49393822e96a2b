//! The shared world of the adversarial suite (issue #20): the committed artifacts
//! (`artifacts/*.wasm`, each checked against `artifacts/checksums.txt`) deployed in cosmwasm-vm
//! through `bithive-vm-host` by the deployment plan itself (`bithive-deploy-plan`, the plan
//! `bithive deploy` runs: all fourteen contracts, the same messages, admins and wiring), then
//! `pledged` nodes registered, bonded, with BLS keys, and the attestor set computed. Each file
//! under `tests/` is one attacker.
//!
//! One deviation, which the plan has for test worlds only (`test_btk_allocations`, never read
//! from `deploy.toml`): the node operators (`node0`..`node9`) get BTK at BTK's instantiation (a
//! genesis allocation) so they can pledge without waiting for emission.

pub mod deployed;

use std::collections::BTreeMap;

use bithive_deploy_plan::{DaoMember, DaoParams, DeployConfig};
use bithive_formulas::rpatient::{ActivityType, RpatientInputs};
use bithive_interface::attestation::{
    evaluation_job_id, EvaluationPayload, ExecuteMsg as AttestationMsg, InferencePayload,
    KeySignature, QuorumProof, WorkPayload,
};
use bithive_interface::payfi_escrow::{CreateJobMsg, ExecuteMsg as EscrowMsg};
use bithive_interface::rewards::MeasuredWork;
use bithive_interface::staking::{ExecuteMsg as StakingMsg, ReceiveMsg as StakingReceive, Tier};
use bithive_interface::{model_registry, payfi_escrow, rewards, staking, token};
use bithive_signed_attestation::bls::SecretKey as BlsKey;
use bithive_signed_attestation::signing::{
    public_key, sign, sign_as_quorum_member, sign_operator_pop, signing_key,
};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, PubKey33, QUORUM_SIGNER,
};
use bithive_vm_host::{coin, Chain, ChainConfig, HostError, TxResponse};
use cosmwasm_std::{to_json_binary, Binary, Decimal, Timestamp, Uint128};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One BTK (or BTT) in base units (6 decimals).
pub const BTK: u128 = 1_000_000;
/// Native denom escrow jobs are paid in.
pub const JOB_DENOM: &str = "uusdc";
/// Capacity every node registers with (tier T1): rewards accepts at most
/// `CAPACITY_T * DEFAULT_MAX_UNITS_PER_T` units per epoch from it.
pub const CAPACITY_T: u32 = 4;
/// What a pledged node bonds: 100 BTK per T, its whole requirement.
pub const PLEDGE: u128 = 100 * BTK * CAPACITY_T as u128;
/// Node operators with a genesis BTK balance.
pub const OPERATORS: usize = 10;
/// The run cost the attestors measured of the model [`World::serve`] pays jobs on: what each
/// of those jobs earns its node in served units.
pub const SERVED_UNITS: u128 = 1_000;
/// Nonces of the attestations [`World::serve`] signs start above this, clear of the tests' own.
const SERVE_NONCES: u64 = 1_000_000;
/// What a payer deposits for one served job: 1 BTT.
pub const JOB_DEPOSIT: u128 = 1_000_000;
/// The voting period of a world's DAO ([`Plan::dao_members`]).
pub const DAO_VOTING_PERIOD: u64 = 86_400;

/// What the deployment is configured with (`deploy.toml`); [`Plan::default`] is the deploy's
/// default.
#[derive(Clone, Debug)]
pub struct Plan {
    pub quorum_kinds: Vec<AttestationKind>,
    pub quorum_threshold: u32,
    pub work_challenge_seconds: u64,
    pub attestor_set_size: u32,
    /// Nodes `node0`.. registered, pledged, with BLS keys (the attestor set).
    pub pledged: usize,
    /// With a DAO of this many members (`member0`.., weight 1 each, a one-day voting period)
    /// governing the deployment; 0: the deployer keeps governance.
    pub dao_members: usize,
}

impl Plan {
    /// The `deploy.toml` this world is deployed with: the deploy's defaults with this plan's
    /// choices, and the operators' genesis BTK.
    pub fn deploy_config(&self, operators: Vec<cw20::Cw20Coin>) -> DeployConfig {
        let mut config = DeployConfig {
            work_challenge_seconds: self.work_challenge_seconds,
            test_btk_allocations: operators,
            ..DeployConfig::default()
        };
        config.attestation.quorum_kinds = self.quorum_kinds.clone();
        config.attestation.quorum_threshold = self.quorum_threshold;
        config.staking.attestor_set_size = self.attestor_set_size;
        config
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            quorum_kinds: vec![
                AttestationKind::ComputeWork,
                AttestationKind::Valuation,
                AttestationKind::PatientActivity,
            ],
            quorum_threshold: 3,
            work_challenge_seconds: 3_600,
            attestor_set_size: 5,
            pledged: 5,
            dao_members: 0,
        }
    }
}

/// The deployment's contracts by role: the plan's own type.
pub use bithive_deploy_plan::Contracts;

pub struct World {
    pub chain: Chain,
    pub chain_id: String,
    /// The deploying account: wasm admin of every contract but the tokens, governance, owner,
    /// compliance and treasury (the deploy's defaults).
    pub deployer: String,
    pub genesis: u64,
    pub c: Contracts,
    pub plan: Plan,
    /// The registered model [`World::serve`] pays jobs on, once published and measured.
    pub served_model: Option<u64>,
    /// Jobs [`World::serve`] created (their ids and nonces).
    pub jobs_created: u64,
}

/// The committed artifacts by file name, each checked against `artifacts/checksums.txt`.
pub fn artifacts() -> BTreeMap<String, Vec<u8>> {
    bithive_vm_host::plan::committed_artifacts()
        .into_iter()
        .map(|(artifact, (wasm, _))| (artifact.file(), wasm))
        .collect()
}

/// Operator (secp256k1) signing key of node `i`.
pub fn operator_secret(i: usize) -> [u8; 32] {
    Sha256::digest(format!("bithive adversarial operator {i}")).into()
}

pub fn operator_key(i: usize) -> PubKey33 {
    public_key(&signing_key(&operator_secret(i)).expect("secret"))
}

pub fn bls_key(i: usize) -> BlsKey {
    BlsKey::from_seed(&operator_secret(i)).expect("bls seed")
}

/// What the attestors measured of a node (the units and task counts come from the escrow).
pub fn measured() -> MeasuredWork {
    MeasuredWork {
        pcompute: Decimal::from_ratio(20u64, 1u64),
        penergy: Decimal::from_ratio(10u64, 1u64),
        availability: Decimal::percent(99),
        dfactor: Decimal::one(),
    }
}

/// One day's checkup worth 400 (no condition, consistency or multiplier adjustment): the
/// patient activity the attackers report.
pub fn checkup() -> RpatientInputs {
    RpatientInputs {
        activity: ActivityType::Checkup,
        days: 1,
        avalue: Decimal::from_ratio(400u64, 1u64),
        cfactor: Decimal::one(),
        hconsistency: Decimal::zero(),
        tmultiplier: Decimal::one(),
        padjustment: Decimal::one(),
    }
}

/// Every governed contract of the deployment: its name, address and the config field holding
/// its controller.
pub fn governed(w: &World) -> Vec<(&'static str, String, &'static str)> {
    let c = &w.c;
    vec![
        ("staking", c.staking.clone(), "governance"),
        ("rewards", c.rewards.clone(), "governance"),
        ("attestation", c.attestation.clone(), "governance"),
        ("payfi-escrow", c.payfi_escrow.clone(), "admin"),
        ("model-registry", c.model_registry.clone(), "admin"),
        ("data-vault", c.data_vault.clone(), "admin"),
        ("asset-nft", c.asset_nft.clone(), "admin"),
        ("fractional", c.fractional.clone(), "admin"),
        ("emission", c.emission.clone(), "owner"),
        ("vesting", c.vesting.clone(), "owner"),
        ("ics721", c.ics721.clone(), "governance"),
    ]
}

/// The contract's error message; panics when the call succeeded or failed outside the contract
/// (a VM abort would be a bug: an attack must only ever meet a contract error).
pub fn contract_error(r: Result<TxResponse, HostError>) -> String {
    match r {
        Err(HostError::Contract(m)) => m,
        Err(other) => panic!("expected a contract error, got a host/VM error: {other}"),
        Ok(tx) => panic!("the attack succeeded: {:?}", tx.events),
    }
}

/// Asserts the call was refused by a contract with an error containing `expected`; returns it.
#[track_caller]
pub fn refused(r: Result<TxResponse, HostError>, expected: &str) -> String {
    let m = contract_error(r);
    assert!(
        m.contains(expected),
        "refused, but not for the expected reason:\n  expected: {expected}\n  got: {m}"
    );
    m
}

/// A contract's raw storage, in key order.
type Kv = Vec<(Vec<u8>, Vec<u8>)>;

/// Every contract's whole storage and every native balance of the world's accounts: equal
/// snapshots mean nothing moved and nothing was written.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    storage: BTreeMap<String, Kv>,
    bank: BTreeMap<String, Vec<String>>,
}

impl World {
    /// A `World` holding just a fresh chain and the deploying account: none of the deployed
    /// contracts (`c` is empty), nothing pledged. For tests of one artifact on its own.
    pub fn bare() -> World {
        let chain = Chain::new(ChainConfig::default()).expect("chain");
        let (chain_id, genesis, deployer) = (
            chain.block().chain_id,
            chain.block().time.seconds(),
            chain.addr("deployer"),
        );
        World {
            chain,
            chain_id,
            deployer,
            genesis,
            c: Contracts::default(),
            plan: Plan {
                pledged: 0,
                ..Plan::default()
            },
            served_model: None,
            jobs_created: 0,
        }
    }

    /// Deploys with the plan `bithive deploy` runs, configured by `plan`.
    pub fn deploy(plan: Plan) -> World {
        let mut chain = Chain::new(ChainConfig::default()).expect("chain");
        let chain_id = chain.block().chain_id;
        let deployer = chain.addr("deployer");
        let genesis = chain.block().time.seconds();
        let operators = (0..OPERATORS)
            .map(|i| cw20::Cw20Coin {
                address: chain.addr(&format!("node{i}")),
                amount: Uint128::new(1_000 * BTK),
            })
            .collect();
        let mut config = plan.deploy_config(operators);
        if plan.dao_members > 0 {
            config.dao = Some(DaoParams {
                members: (0..plan.dao_members)
                    .map(|i| DaoMember {
                        addr: chain.addr(&format!("member{i}")),
                        weight: 1,
                    })
                    .collect(),
                voting_period_seconds: DAO_VOTING_PERIOD,
                ..DaoParams::default()
            });
        }
        let c = run_deploy_plan(&mut chain, config, &deployer).contracts;
        let mut w = World {
            chain,
            chain_id,
            deployer,
            genesis,
            c,
            plan: plan.clone(),
            served_model: None,
            jobs_created: 0,
        };
        for i in 0..plan.pledged {
            w.register_node(i).expect("register node");
            w.bond(i, PLEDGE).expect("bond");
            w.register_bls(i).expect("bls key");
        }
        if plan.pledged > 0 {
            w.advance_attestor_set(50).expect("attestor set");
        }
        w
    }

    /// Executes and expects success (setup steps).
    #[track_caller]
    pub fn ok<M: Serialize>(&mut self, sender: &str, contract: &str, msg: &M) -> TxResponse {
        self.exec(sender, contract, msg)
            .unwrap_or_else(|e| panic!("setup step failed: {e}"))
    }

    pub fn exec<M: Serialize>(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &M,
    ) -> Result<TxResponse, HostError> {
        self.chain.execute(contract, sender, msg, &[])
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(&self, contract: &str, msg: &M) -> T {
        self.chain
            .query(contract, msg)
            .unwrap_or_else(|e| panic!("query {contract}: {e}"))
    }

    pub fn addr(&self, name: &str) -> String {
        self.chain.addr(name)
    }

    /// Address of node operator `i`.
    pub fn node(&self, i: usize) -> String {
        self.chain.addr(&format!("node{i}"))
    }

    pub fn now(&self) -> u64 {
        self.chain.block().time.seconds()
    }

    pub fn advance(&mut self, seconds: u64) {
        self.chain.advance(seconds);
    }

    pub fn cw20_balance(&self, token: &str, who: &str) -> u128 {
        let r: cw20::BalanceResponse = self.query(
            token,
            &cw20::Cw20QueryMsg::Balance {
                address: who.to_string(),
            },
        );
        r.balance.u128()
    }

    pub fn btk(&self, who: &str) -> u128 {
        self.cw20_balance(&self.c.btk, who)
    }

    pub fn btt(&self, who: &str) -> u128 {
        self.cw20_balance(&self.c.btt, who)
    }

    pub fn supply(&self, token: &str) -> u128 {
        let r: cw20::TokenInfoResponse = self.query(token, &cw20::Cw20QueryMsg::TokenInfo {});
        r.total_supply.u128()
    }

    /// The operator-key proof of possession node `key_of` signs for `sender` on `chain_id`.
    pub fn operator_pop(
        &self,
        key_of: usize,
        chain_id: &str,
        staking: &str,
        sender: &str,
    ) -> bithive_signed_attestation::Signature64 {
        let key = signing_key(&operator_secret(key_of)).expect("secret");
        sign_operator_pop(&key, chain_id, staking, sender).expect("pop")
    }

    pub fn register_msg(&self, i: usize) -> StakingMsg {
        let pop = self.operator_pop(i, &self.chain_id, &self.c.staking, &self.node(i));
        StakingMsg::RegisterNode {
            capacity_t: CAPACITY_T,
            tier: Tier::T1,
            operator_key: operator_key(i),
            operator_signature: pop,
        }
    }

    /// Node `i` registers (capacity 4 T, its own operator key and proof).
    pub fn register_node(&mut self, i: usize) -> Result<TxResponse, HostError> {
        let (node, staking, msg) = (self.node(i), self.c.staking.clone(), self.register_msg(i));
        self.exec(&node, &staking, &msg)
    }

    /// Node `i` bonds `amount` BTK.
    pub fn bond(&mut self, i: usize, amount: u128) -> Result<TxResponse, HostError> {
        let node = self.node(i);
        let msg = token::ExecuteMsg::Send {
            contract: self.c.staking.clone(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&StakingReceive::Bond {}).expect("hook"),
        };
        let btk = self.c.btk.clone();
        self.exec(&node, &btk, &msg)
    }

    pub fn register_bls(&mut self, i: usize) -> Result<TxResponse, HostError> {
        let node = self.node(i);
        let sk = bls_key(i);
        let msg = AttestationMsg::RegisterBlsKey {
            public_key: sk.public_key().to_vec().into(),
            proof_of_possession: sk.proof_of_possession(&node).expect("pop").to_vec().into(),
        };
        let attestation = self.c.attestation.clone();
        self.exec(&node, &attestation, &msg)
    }

    pub fn advance_attestor_set(&mut self, limit: u32) -> Result<TxResponse, HostError> {
        let (who, staking) = (self.addr("cranker"), self.c.staking.clone());
        self.exec(&who, &staking, &StakingMsg::AdvanceAttestorSet { limit })
    }

    pub fn attestor_set(&self) -> Vec<String> {
        let set: staking::AttestorSetResponse =
            self.query(&self.c.staking, &staking::QueryMsg::AttestorSet {});
        set.members
            .into_iter()
            .map(|m| m.node.to_string())
            .collect()
    }

    pub fn pledge_status(&self, node: &str) -> staking::PledgeStatusResponse {
        self.query(
            &self.c.staking,
            &staking::QueryMsg::PledgeStatus {
                node: node.to_string(),
            },
        )
    }

    pub fn node_rewards(&self, node: &str) -> rewards::NodeRewardsResponse {
        self.query(
            &self.c.rewards,
            &rewards::QueryMsg::NodeRewards {
                node: node.to_string(),
            },
        )
    }

    /// An attestation of `kind` on this chain for `job`, naming the kind's consumer.
    pub fn attestation(
        &self,
        kind: AttestationKind,
        job: &str,
        payload: &[u8],
        signer: PubKey33,
        nonce: u64,
    ) -> Attestation {
        let contract = match kind {
            AttestationKind::Inference | AttestationKind::Matching => &self.c.payfi_escrow,
            AttestationKind::ComputeWork | AttestationKind::PatientActivity => &self.c.rewards,
            AttestationKind::Valuation => &self.c.asset_nft,
            AttestationKind::Evaluation => &self.c.model_registry,
        };
        Attestation {
            chain_id: self.chain_id.clone(),
            contract: contract.clone(),
            job_id: job.into(),
            kind,
            result_hash: if payload.is_empty() {
                Hash32(Sha256::digest(job.as_bytes()).into())
            } else {
                payload_hash(kind, payload)
            },
            commitments: vec![],
            issued_at: self.now(),
            nonce,
            signer,
        }
    }

    /// A compute-work attestation (job `job`) of what the attestors measured of `worked`
    /// ([`measured`]), and its payload.
    pub fn work(
        &self,
        worked: &str,
        job: &str,
        signer: PubKey33,
        nonce: u64,
    ) -> (Attestation, Binary) {
        let payload = to_json_binary(&WorkPayload {
            node: Some(worked.to_string()),
            measured: measured(),
        })
        .expect("payload");
        let a = self.attestation(
            AttestationKind::ComputeWork,
            job,
            payload.as_slice(),
            signer,
            nonce,
        );
        (a, payload)
    }

    /// Node `i` submits `a` alone, signed with its operator key.
    pub fn submit(
        &mut self,
        i: usize,
        a: &Attestation,
        payload: Option<Binary>,
    ) -> Result<TxResponse, HostError> {
        let key = signing_key(&operator_secret(i)).expect("secret");
        let signed = sign(a.clone(), &key).expect("sign");
        let msg = AttestationMsg::Submit {
            attestation: a.clone(),
            signature: signed.signature,
            payload,
        };
        let (node, attestation) = (self.node(i), self.c.attestation.clone());
        self.exec(&node, &attestation, &msg)
    }

    /// Secp256k1 quorum signatures of nodes `who` on `a` (signer: the quorum key).
    pub fn quorum_signatures(&self, a: &Attestation, who: &[usize]) -> Vec<KeySignature> {
        assert_eq!(a.signer, QUORUM_SIGNER);
        who.iter()
            .map(|&i| {
                let key = signing_key(&operator_secret(i)).expect("secret");
                let (key, signature) = sign_as_quorum_member(a, &key).expect("sign");
                KeySignature { key, signature }
            })
            .collect()
    }

    /// A relayer (any account) submits `a` with `signatures`.
    pub fn submit_quorum(
        &mut self,
        a: &Attestation,
        signatures: Vec<KeySignature>,
        payload: Option<Binary>,
    ) -> Result<TxResponse, HostError> {
        self.relay_quorum(a, QuorumProof::Secp256k1 { signatures }, payload)
    }

    /// A relayer (any account) submits `a` with the quorum `proof`.
    fn relay_quorum(
        &mut self,
        a: &Attestation,
        proof: QuorumProof,
        payload: Option<Binary>,
    ) -> Result<TxResponse, HostError> {
        let msg = AttestationMsg::SubmitQuorum {
            attestation: a.clone(),
            proof,
            payload,
        };
        let (relayer, attestation) = (self.addr("relayer"), self.c.attestation.clone());
        self.exec(&relayer, &attestation, &msg)
    }

    /// A relayer submits `a` as a BLS quorum naming nodes `signers`, aggregated from the BLS
    /// keys of nodes `signing` (the same nodes for an honest proof).
    pub fn submit_bls(
        &mut self,
        a: &Attestation,
        signers: &[usize],
        signing: &[usize],
        payload: Option<Binary>,
    ) -> Result<TxResponse, HostError> {
        let keys: Vec<BlsKey> = signing.iter().map(|&i| bls_key(i)).collect();
        let signature = bithive_signed_attestation::bls::sign_quorum(a, &keys).expect("aggregate");
        let proof = QuorumProof::Bls {
            signers: signers.iter().map(|&i| self.node(i)).collect(),
            signature: signature.to_vec().into(),
        };
        self.relay_quorum(a, proof, payload)
    }

    /// `payer` creates escrow job `client_id` paying `amount` (native), bound to `node` or
    /// unbound; returns the job's id.
    pub fn create_job(
        &mut self,
        payer: &str,
        client_id: &str,
        node: Option<String>,
        amount: u128,
    ) -> String {
        self.chain
            .mint_native(payer, &[coin(amount, JOB_DENOM)])
            .expect("fund payer");
        let msg = EscrowMsg::CreateJob(CreateJobMsg {
            job_id: client_id.into(),
            expires_at: Timestamp::from_seconds(self.now() + 86_400),
            model: "retina-cnn-v2".into(),
            input: Binary::from(b"synthetic features".as_slice()),
            node,
        });
        let escrow = self.c.payfi_escrow.clone();
        let tx = self
            .chain
            .execute(&escrow, payer, &msg, &[coin(amount, JOB_DENOM)])
            .unwrap_or_else(|e| panic!("create job: {e}"));
        tx.attr("wasm", "job_id").expect("job_id").to_string()
    }

    /// The model [`World::serve`] pays jobs on: governance points the escrow at the registry,
    /// an institute publishes `retina-cnn` v1 (1 BTT base unit a job) and a quorum of attestors
    /// (nodes 1 to 3) evaluates it with a run cost of [`SERVED_UNITS`]. Once per world.
    pub fn measured_model(&mut self) -> u64 {
        if let Some(id) = self.served_model {
            return id;
        }
        let (deployer, escrow, registry) = (
            self.deployer.clone(),
            self.c.payfi_escrow.clone(),
            self.c.model_registry.clone(),
        );
        let link = EscrowMsg::UpdateConfig {
            fee_bps: None,
            fee_collector: None,
            staking: None,
            job_dispute_seconds: None,
            model_registry: Some(registry.clone()),
            rewards: None,
        };
        self.ok(&deployer, &escrow, &link);
        let publish = model_registry::ExecuteMsg::Publish(model_registry::PublishMsg {
            name: "retina-cnn".into(),
            version: 1,
            specialty: "radiology".into(),
            input_spec: "float32[1,3,224,224] RGB in [0,1]".into(),
            output_spec: "float32[1,5] class probabilities".into(),
            onnx_sha256: "ab".repeat(32),
            content_id: "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4".into(),
            size_bytes: 1_234_567,
            price: Uint128::one(),
            licence: "Apache-2.0".into(),
        });
        let institute = self.addr("institute");
        let tx = self.ok(&institute, &registry, &publish);
        let id: u64 = tx
            .attr("wasm", "model_id")
            .expect("model_id")
            .parse()
            .expect("model id");
        let payload = to_json_binary(&EvaluationPayload {
            accuracy: Decimal::percent(90),
            dataset: "cd".repeat(32),
            samples: 100,
            run_cost: Some(Uint128::new(SERVED_UNITS)),
        })
        .expect("payload");
        let a = self.attestation(
            AttestationKind::Evaluation,
            &evaluation_job_id(id, 1),
            payload.as_slice(),
            QUORUM_SIGNER,
            SERVE_NONCES + id,
        );
        let sigs = self.quorum_signatures(&a, &[1, 2, 3]);
        self.submit_quorum(&a, sigs, Some(payload))
            .unwrap_or_else(|e| panic!("evaluate the model: {e}"));
        self.served_model = Some(id);
        id
    }

    /// Node `i` serves `jobs` paid jobs on [`World::measured_model`]: a payer funds each in BTT,
    /// bound to node `i`; node `i` attests its result; after the escrow's dispute window anyone
    /// finalizes it, and the escrow pays the node and tells rewards (ADR 007). Each job earns
    /// node `i` [`SERVED_UNITS`] units. Moves the clock by the dispute window.
    pub fn serve(&mut self, i: usize, jobs: usize) {
        self.measured_model();
        let (deployer, payer, node) = (self.deployer.clone(), self.addr("payer"), self.node(i));
        let (btt, escrow) = (self.c.btt.clone(), self.c.payfi_escrow.clone());
        let deposit = Uint128::new(JOB_DEPOSIT);
        let fund = cw20::Cw20ExecuteMsg::Transfer {
            recipient: payer.clone(),
            amount: deposit * Uint128::from(jobs as u64),
        };
        self.ok(&deployer, &btt, &fund);
        let mut ids = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let (id, a, p) = self.measured_job(i, &payer, &node);
            self.submit(i, &a, Some(p))
                .unwrap_or_else(|e| panic!("report served job: {e}"));
            ids.push(id);
        }
        self.advance(DeployConfig::default().job_dispute_seconds + 1);
        let anyone = self.addr("anyone");
        for id in ids {
            self.ok(&anyone, &escrow, &EscrowMsg::FinalizeJob { job_id: id });
        }
    }

    /// `payer` (holding [`JOB_DEPOSIT`] BTT) pays a job on [`World::measured_model`] bound to
    /// node `i` (account `node`): its id, node `i`'s signed result and the payload it binds
    /// (quantized outputs, which a job earning units must carry).
    pub fn measured_job(
        &mut self,
        i: usize,
        payer: &str,
        node: &str,
    ) -> (String, Attestation, Binary) {
        self.measured_model();
        let (btt, escrow) = (self.c.btt.clone(), self.c.payfi_escrow.clone());
        self.jobs_created += 1;
        let create = payfi_escrow::ReceiveMsg::CreateJob(CreateJobMsg {
            job_id: format!("served-{}", self.jobs_created),
            expires_at: Timestamp::from_seconds(self.now() + 86_400),
            model: "retina-cnn".into(),
            input: Binary::from(b"synthetic features".as_slice()),
            node: Some(node.to_string()),
        });
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: escrow,
            amount: Uint128::new(JOB_DEPOSIT),
            msg: to_json_binary(&create).expect("create job"),
        };
        let tx = self.ok(payer, &btt, &send);
        let id = tx.attr("wasm", "job_id").expect("job_id").to_string();
        let p = to_json_binary(&InferencePayload {
            node: None,
            tscore: None,
            outputs: Some(vec![400_000, 600_000]),
            model_sha256: None,
        })
        .expect("payload");
        let a = self.attestation(
            AttestationKind::Inference,
            &id,
            p.as_slice(),
            operator_key(i),
            SERVE_NONCES + self.jobs_created,
        );
        (id, a, p)
    }

    pub fn job(&self, job_id: &str) -> payfi_escrow::Job {
        self.query(
            &self.c.payfi_escrow,
            &payfi_escrow::QueryMsg::Job {
                job_id: job_id.into(),
            },
        )
    }

    pub fn bank(&self, who: &str) -> u128 {
        self.chain.balance(who, JOB_DENOM)
    }

    /// The whole state (every contract's storage, native balances of `accounts` and of the
    /// contracts).
    pub fn snapshot(&self, accounts: &[&str]) -> Snapshot {
        let mut storage = BTreeMap::new();
        for c in self.chain.contracts() {
            let mut all = Vec::new();
            let mut start: Option<Vec<u8>> = None;
            loop {
                let page = self.chain.raw_range(&c.address, start.as_deref(), 500);
                let done = page.len() < 500;
                start = page.last().map(|(k, _)| k.clone());
                all.extend(page);
                if done {
                    break;
                }
            }
            storage.insert(c.address, all);
        }
        let bank = accounts
            .iter()
            .copied()
            .chain(self.c.all().map(|(_, a)| a))
            .map(|a| {
                let coins = self.chain.all_balances(a);
                (a.to_string(), coins.iter().map(|c| c.to_string()).collect())
            })
            .collect();
        Snapshot { storage, bank }
    }

    /// Asserts nothing changed since `before`: no balance moved, no state written.
    #[track_caller]
    pub fn assert_unchanged(&self, before: &Snapshot, accounts: &[&str]) {
        let now = self.snapshot(accounts);
        assert!(now.bank == before.bank, "a native balance moved");
        assert_eq!(
            now.storage.keys().collect::<Vec<_>>(),
            before.storage.keys().collect::<Vec<_>>(),
            "contracts were created or removed"
        );
        for (contract, kv) in &before.storage {
            assert!(
                now.storage.get(contract) == Some(kv),
                "storage of {contract} changed"
            );
        }
    }
}

/// `UpdateOwnership(RenounceOwnership)` of a token, the deploy's last step.
pub use bithive_deploy_plan::renounce_ownership;

pub use bithive_vm_host::plan::run_deploy_plan;
