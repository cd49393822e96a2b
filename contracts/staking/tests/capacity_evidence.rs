//! Over-capacity fraud proofs (#20): a signed `compute_work` report whose units exceed what the
//! subject node's registered capacity can do in an epoch slashes every registered signer of it,
//! and nobody else. Each test is an attack on that rule.

mod common;

use bithive_cw_test_fixtures::contract;
use bithive_cw_test_fixtures::contracts::{instantiate, staking_work_reporter};
use bithive_formulas::enode::EnodeInputs;
use bithive_interface::attestation::{
    ExecuteMsg as AttestationExec, InstantiateMsg as AttestationInit, WorkPayload,
};
use bithive_interface::rewards::Config as RewardsConfig;
use bithive_interface::staking::{events as ev, EvidenceProof, KeySignature, OVER_CAPACITY_REASON};
use bithive_signed_attestation::bls::{sign_quorum, SecretKey as BlsSecretKey};
use bithive_signed_attestation::signing::{public_key, sign, sign_as_quorum_member, signing_key};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, PubKey33, QUORUM_SIGNER,
};
use bithive_staking::msg::{ExecuteMsg, QueryMsg, Tier};
use bithive_staking::ContractError;
use common::*;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, HexBinary, MessageInfo,
    Response, StdResult, Uint128,
};
use cw_multi_test::{ContractWrapper, Executor};
use proptest::prelude::*;

const UNITS_PER_T: u128 = 1_000_000;
/// Node 0's capacity (T1).
const CAP: u32 = 4;
const LIMIT: u128 = CAP as u128 * UNITS_PER_T;

// A stand-in rewards contract: answers `Config {}` with what it was given (and replaced by).
fn mock_instantiate(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    c: RewardsConfig,
) -> StdResult<Response> {
    deps.storage.set(b"c", &cosmwasm_std::to_json_vec(&c)?);
    Ok(Response::new())
}
fn mock_execute(deps: DepsMut, _: Env, _: MessageInfo, c: RewardsConfig) -> StdResult<Response> {
    deps.storage.set(b"c", &cosmwasm_std::to_json_vec(&c)?);
    Ok(Response::new())
}
fn mock_query(deps: Deps, _: Env, _: Empty) -> StdResult<Binary> {
    Ok(Binary::from(deps.storage.get(b"c").unwrap_or_default()))
}

fn rewards_config(s: &Suite, max_units_per_t: u128, ceiling: u128) -> RewardsConfig {
    let a = s.gov.clone();
    RewardsConfig {
        governance: a.clone(),
        btk: a.clone(),
        btt: a.clone(),
        staking: s.staking.clone(),
        vesting: a.clone(),
        reporter: a,
        genesis: 0,
        epoch_seconds: DAY,
        patient_daily_cap: Uint128::one(),
        max_units_per_t: Uint128::new(max_units_per_t),
        challenge_seconds: 0,
        units_per_t_ceiling: Uint128::new(ceiling),
        escrow: None,
    }
}

struct World {
    s: Suite,
    rewards: Addr,
    chain_id: String,
}

/// Node 0: the subject (4 T). Every node bonds 1 000 BTK (nodes 1..n attest). The staking
/// contract's work reporter is a rewards stand-in with 10^6 units per T.
fn world(n: usize) -> World {
    world_with(n, n)
}

/// `n` accounts, of which the first `registered` are registered (the rest may register later).
fn world_with(n: usize, registered: usize) -> World {
    let mut s = suite(n);
    let id = s.app.store_code(Box::new(ContractWrapper::new(
        mock_execute,
        mock_instantiate,
        mock_query,
    )));
    let cfg = rewards_config(&s, UNITS_PER_T, UNITS_PER_T);
    let gov = s.gov.clone();
    let rewards = instantiate(&mut s.app, id, &gov, &cfg, "rewards");
    s.exec(&gov, &staking_work_reporter(&rewards)).unwrap();
    s.register(0, CAP, Tier::T1).unwrap();
    // The subject is bonded too, so a slash of it would show.
    s.bond(0, 1_000 * BTK).unwrap();
    for i in 1..registered {
        s.register(i, 4, Tier::T1).unwrap();
        s.bond(i, 1_000 * BTK).unwrap();
    }
    let chain_id = s.app.block_info().chain_id;
    World {
        s,
        rewards,
        chain_id,
    }
}

fn enode() -> EnodeInputs {
    EnodeInputs {
        pcompute: Decimal::one(),
        penergy: Decimal::one(),
        tasks_successful: 1,
        tasks_total: 1,
        availability: Decimal::one(),
        dfactor: Decimal::one(),
    }
}

impl World {
    /// A compute-work attestation of `units` by `subject` (None: the signer's own node), signed
    /// by `signer`'s key in the body, and its payload.
    fn report(
        &self,
        subject: Option<usize>,
        units: u128,
        job: &str,
        signer: PubKey33,
    ) -> (Attestation, Binary) {
        let payload = to_json_binary(&WorkPayload {
            node: subject.map(|i| self.s.nodes[i].to_string()),
            units: Uint128::new(units),
            enode: enode(),
        })
        .unwrap();
        let a = Attestation {
            chain_id: self.chain_id.clone(),
            contract: self.rewards.to_string(),
            job_id: job.into(),
            kind: AttestationKind::ComputeWork,
            result_hash: payload_hash(AttestationKind::ComputeWork, payload.as_slice()),
            commitments: vec![],
            issued_at: self.s.app.block_info().time.seconds(),
            nonce: 1,
            signer,
        };
        (a, payload)
    }

    /// Anyone (a fresh account) submits `a` as evidence signed alone by key `k`.
    fn single(
        &mut self,
        a: &Attestation,
        k: u8,
        payload: &Binary,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        let signature = sign(a.clone(), &key(k)).map_or_else(
            // The body names another key: sign its digest with `k` anyway (a forgery).
            |_| {
                let mut body = a.clone();
                body.signer = pubkey(k);
                let mut s = sign(body, &key(k)).unwrap();
                s.attestation = a.clone();
                s.signature
            },
            |s| s.signature,
        );
        self.submit(a, EvidenceProof::Single { signature }, payload)
    }

    fn quorum(
        &mut self,
        a: &Attestation,
        who: &[u8],
        payload: &Binary,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        let signatures = who
            .iter()
            .map(|&i| {
                let (key, signature) = sign_as_quorum_member(a, &key(i)).unwrap();
                KeySignature { key, signature }
            })
            .collect();
        self.submit(a, EvidenceProof::Secp256k1 { signatures }, payload)
    }

    fn submit(
        &mut self,
        a: &Attestation,
        proof: EvidenceProof,
        payload: &Binary,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        let anyone = self.s.app.api().addr_make("anyone");
        self.s.app.execute_contract(
            anyone,
            self.s.staking.clone(),
            &ExecuteMsg::SubmitCapacityEvidence {
                attestation: Box::new(a.clone()),
                proof,
                payload: payload.clone(),
            },
            &[],
        )
    }

    /// (bonded, slashed) of every node, and the treasury's balance.
    fn stakes(&self) -> (Vec<(u128, u128)>, u128) {
        let n = self.s.nodes.len();
        let v = (0..n)
            .map(|i| {
                let r = self.s.node(i);
                (r.bonded.u128(), r.slashed.u128())
            })
            .collect();
        (v, self.s.balance(&self.s.treasury.clone()))
    }

    fn set_units_per_t(&mut self, m: u128, ceiling: u128) {
        let cfg = rewards_config(&self.s, m, ceiling);
        let gov = self.s.gov.clone();
        self.s
            .app
            .execute_contract(gov, self.rewards.clone(), &cfg, &[])
            .unwrap();
    }
}

fn slashed_nodes(r: &cw_multi_test::AppResponse) -> Vec<String> {
    r.events
        .iter()
        .filter(|e| e.ty == format!("wasm-{}", ev::SLASH))
        .map(|e| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.clone())
            };
            assert_eq!(get(ev::attr::REASON).as_deref(), Some(OVER_CAPACITY_REASON));
            get(ev::attr::NODE).unwrap()
        })
        .collect()
}

/// One signer vouches for more units than node 0 can do: it loses `fraud_slash` (10 %), node 0
/// (which did not sign) loses nothing, and the evidence cannot be used twice.
#[test]
fn an_over_capacity_report_slashes_its_signer_once() {
    let mut w = world(3);
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-1", pubkey(1));
    let r = w.single(&a, 1, &payload).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[1].to_string()]);
    let wasm = r.events.iter().find(|e| e.ty == "wasm").unwrap();
    let attr = |k: &str| {
        wasm.attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
            .unwrap()
    };
    assert_eq!(attr(ev::ACTION), ev::SUBMIT_CAPACITY_EVIDENCE);
    assert_eq!(attr(ev::attr::SUBJECT), w.s.nodes[0].to_string());
    assert_eq!(attr(ev::attr::LIMIT), LIMIT.to_string());
    assert_eq!(attr(ev::attr::CAPACITY_T), CAP.to_string());
    assert_eq!(attr(ev::attr::AMOUNT), (100 * BTK).to_string());
    let (stakes, treasury) = w.stakes();
    assert_eq!(stakes[0], (1_000 * BTK, 0));
    assert_eq!(stakes[1], (900 * BTK, 100 * BTK));
    assert_eq!(stakes[2], (1_000 * BTK, 0));
    assert_eq!(treasury, 100 * BTK);
    assert_eq!(w.s.totals().slashed.u128(), 100 * BTK);

    // Replayed, or the same job re-signed with another nonce: used.
    let e = w.single(&a, 1, &payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
    let mut again = a.clone();
    again.nonce = 2;
    let e = w.single(&again, 1, &payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
    let job_key = a.over_capacity_key(&pubkey(1)).unwrap().to_hex();
    let used: bool =
        w.s.app
            .wrap()
            .query_wasm_smart(&w.s.staking, &QueryMsg::EvidenceUsed { job_key })
            .unwrap();
    assert!(used);
    assert_eq!(w.stakes(), (stakes, treasury));
}

/// Exactly the limit is no fraud: typed error, nobody slashed.
#[test]
fn a_report_within_capacity_is_not_evidence() {
    let mut w = world(3);
    let before = w.stakes();
    let (a, payload) = w.report(Some(0), LIMIT, "work-1", pubkey(1));
    let e = w.single(&a, 1, &payload).unwrap_err();
    assert_eq!(
        err(e),
        ContractError::WithinCapacity {
            units: Uint128::new(LIMIT),
            limit: Uint128::new(LIMIT),
        }
    );
    let (a2, payload_named) = w.report(Some(0), 1, "work-2", QUORUM_SIGNER);
    let e = w.quorum(&a2, &[1, 2], &payload_named).unwrap_err();
    assert!(matches!(err(e), ContractError::WithinCapacity { .. }));
    assert_eq!(w.stakes(), before);
}

/// Only a node's own signature can slash it. An attacker (node 2) who names the victim's key
/// (node 1) as signer but signs with its own key is refused; one who re-signs the statement with
/// its own key slashes itself; one who reports over-capacity work *about* a victim slashes only
/// itself, never the subject.
#[test]
fn forged_or_re_signed_evidence_slashes_nobody_but_the_signer() {
    let mut w = world(3);
    let before = w.stakes();
    // Forged: the body says node 1 signed; the signature is node 2's.
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-1", pubkey(1));
    let e = w.single(&a, 2, &payload).unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    // A flipped bit in a genuine signature.
    let mut sig = sign(a.clone(), &key(1)).unwrap().signature;
    sig.0[5] ^= 1;
    let e = w
        .submit(&a, EvidenceProof::Single { signature: sig }, &payload)
        .unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    // A key no node registered (the attacker's throwaway key).
    let stranger = signing_key(&[99; 32]).unwrap();
    let (b, payload_b) = w.report(Some(0), LIMIT + 1, "work-1", public_key(&stranger));
    let signature = sign(b.clone(), &stranger).unwrap().signature;
    let e = w
        .submit(&b, EvidenceProof::Single { signature }, &payload_b)
        .unwrap_err();
    assert_eq!(err(e), ContractError::UnknownOperator);
    assert_eq!(w.stakes(), before);

    // Re-signed by the attacker: its own key is the signer, so it alone is slashed.
    let (c, payload_c) = w.report(Some(1), LIMIT + 1, "work-1", pubkey(2));
    let r = w.single(&c, 2, &payload_c).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[2].to_string()]);
    let (stakes, _) = w.stakes();
    assert_eq!(stakes[1], (1_000 * BTK, 0), "the subject did not sign");
    assert_eq!(stakes[2], (900 * BTK, 100 * BTK));
}

/// The evidence must be about this deployment: this chain, this staking contract's rewards
/// contract, a compute-work attestation, a payload bound to it. Anything else changes nothing.
#[test]
fn evidence_is_bound_to_this_chain_and_deployment() {
    let mut w = world(3);
    let before = w.stakes();
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-1", pubkey(1));

    let mut other_chain = a.clone();
    other_chain.chain_id = "other-chain-1".into();
    let e = w.single(&other_chain, 1, &payload).unwrap_err();
    assert_eq!(err(e), ContractError::WrongChain("other-chain-1".into()));

    let mut other_contract = a.clone();
    other_contract.contract = w.s.app.api().addr_make("other-rewards").to_string();
    let e = w.single(&other_contract, 1, &payload).unwrap_err();
    assert!(matches!(err(e), ContractError::WrongContract { .. }));

    let mut inference = a.clone();
    inference.kind = AttestationKind::Inference;
    let e = w.single(&inference, 1, &payload).unwrap_err();
    assert_eq!(err(e), ContractError::NotComputeWork);

    // A payload the signer never committed to (the attacker inflates the units).
    let (_, inflated) = w.report(Some(0), LIMIT * 10, "work-1", pubkey(1));
    let (honest, _) = w.report(Some(0), 10, "work-1", pubkey(1));
    let e = w.single(&honest, 1, &inflated).unwrap_err();
    assert_eq!(err(e), ContractError::PayloadNotBound);

    let mut junk = a.clone();
    let bad = Binary::from(b"not json".to_vec());
    junk.result_hash = payload_hash(AttestationKind::ComputeWork, bad.as_slice());
    let e = w.single(&junk, 1, &bad).unwrap_err();
    assert!(matches!(err(e), ContractError::BadPayload(_)));

    assert_eq!(w.stakes(), before);
}

/// A quorum report: every member that signed is slashed, the subject is not; a bad or
/// duplicate signature refuses the whole proof; a later proof with more signers slashes only
/// the new ones.
#[test]
fn a_quorum_report_slashes_each_signer() {
    let mut w = world(6);
    let before = w.stakes();
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-q", QUORUM_SIGNER);

    let e = w.quorum(&a, &[1, 2, 1], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::DuplicateSigner(pubkey(1).to_hex()));
    let e = w.quorum(&a, &[1, 2, 9], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::UnknownOperator);
    let mut bad = a.clone();
    bad.nonce = 7;
    let (k, signature) = sign_as_quorum_member(&bad, &key(3)).unwrap();
    let e = w
        .submit(
            &a,
            EvidenceProof::Secp256k1 {
                signatures: vec![KeySignature { key: k, signature }],
            },
            &payload,
        )
        .unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    let sig = sign_as_quorum_member(&a, &key(1)).unwrap().1;
    let e = w
        .submit(&a, EvidenceProof::Single { signature: sig }, &payload)
        .unwrap_err();
    assert!(matches!(err(e), ContractError::BadProof(_)));
    let e = w
        .submit(
            &a,
            EvidenceProof::Secp256k1 { signatures: vec![] },
            &payload,
        )
        .unwrap_err();
    assert!(matches!(err(e), ContractError::BadProof(_)));
    // A quorum payload must name the node.
    let (anon, anon_payload) = w.report(None, LIMIT + 1, "work-anon", QUORUM_SIGNER);
    let e = w.quorum(&anon, &[1, 2], &anon_payload).unwrap_err();
    assert!(matches!(err(e), ContractError::BadPayload(_)));
    assert_eq!(w.stakes(), before);

    let r = w.quorum(&a, &[1, 2, 3], &payload).unwrap();
    let mut got = slashed_nodes(&r);
    got.sort();
    let mut want: Vec<String> = (1..4).map(|i| w.s.nodes[i].to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let (stakes, treasury) = w.stakes();
    assert_eq!(stakes[0], (1_000 * BTK, 0));
    for s in &stakes[1..4] {
        assert_eq!(*s, (900 * BTK, 100 * BTK));
    }
    assert_eq!(stakes[4], (1_000 * BTK, 0));
    assert_eq!(treasury, 300 * BTK);

    let e = w.quorum(&a, &[2, 3], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
    // Another member's signature turns up: only it is slashed now.
    let r = w.quorum(&a, &[1, 2, 3, 4], &payload).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[4].to_string()]);
    assert_eq!(w.stakes().1, 400 * BTK);
}

/// Capacity is that of the report's epochs. The subject lowering its capacity later does not
/// make an honest report slashable; raising it later does not clear an over-capacity one;
/// governance lowering `max_units_per_t` does not either (judged by the largest ever).
#[test]
fn capacity_is_that_of_the_reports_epochs() {
    let mut w = world(3);
    // Honest: 3.5 T of work for a 4 T node. Then node 0 drops to 1 T, epochs later.
    let (honest, honest_payload) = w.report(Some(0), 3 * UNITS_PER_T + 1, "work-h", pubkey(1));
    w.s.advance(3 * DAY);
    let n0 = w.s.nodes[0].clone();
    w.s.exec(
        &n0,
        &ExecuteMsg::UpdateNode {
            capacity_t: 1,
            tier: Tier::T1,
        },
    )
    .unwrap();
    w.s.advance(3 * DAY);
    let before = w.stakes();
    let e = w.single(&honest, 1, &honest_payload).unwrap_err();
    assert!(matches!(err(e), ContractError::WithinCapacity { .. }));
    // Governance lowers the units per T: still judged by the largest ever configured.
    w.set_units_per_t(UNITS_PER_T / 10, UNITS_PER_T);
    let e = w.single(&honest, 1, &honest_payload).unwrap_err();
    assert!(matches!(err(e), ContractError::WithinCapacity { .. }));
    // A stored rewards config from before the ceiling (0) reads as max_units_per_t.
    w.set_units_per_t(UNITS_PER_T, 0);
    let e = w.single(&honest, 1, &honest_payload).unwrap_err();
    assert!(matches!(err(e), ContractError::WithinCapacity { .. }));
    assert_eq!(w.stakes(), before);

    // Now at 1 T: a report of 2 T of work, then node 0 raises back to 4 T two epochs later.
    let (over, over_payload) = w.report(Some(0), 2 * UNITS_PER_T, "work-o", pubkey(2));
    w.s.advance(2 * DAY);
    w.s.exec(
        &n0,
        &ExecuteMsg::UpdateNode {
            capacity_t: 4,
            tier: Tier::T1,
        },
    )
    .unwrap();
    let r = w.single(&over, 2, &over_payload).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[2].to_string()]);
    // The same report judged again after the raise: used, not re-judged.
    let e = w.single(&over, 2, &over_payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
}

/// Evidence about a node before it registered (or before the history began) is refused.
#[test]
fn unknown_capacity_is_not_evidence() {
    let mut w = world_with(4, 3);
    w.s.advance(5 * DAY);
    w.s.register(3, CAP, Tier::T1).unwrap();
    let (mut a, payload) = w.report(Some(3), LIMIT + 1, "work-1", pubkey(1));
    a.issued_at -= 5 * DAY;
    let e = w.single(&a, 1, &payload).unwrap_err();
    assert_eq!(
        err(e),
        ContractError::CapacityUnknown {
            node: w.s.nodes[3].to_string()
        }
    );
    let payload = to_json_binary(&WorkPayload {
        node: Some(w.s.app.api().addr_make("nobody").to_string()),
        units: Uint128::new(LIMIT + 1),
        enode: enode(),
    })
    .unwrap();
    let mut b = a.clone();
    b.issued_at += 5 * DAY;
    b.result_hash = payload_hash(AttestationKind::ComputeWork, payload.as_slice());
    let e = w.single(&b, 1, &payload).unwrap_err();
    assert!(matches!(err(e), ContractError::CapacityUnknown { .. }));
}

/// A single signer's report without a node names its own node (the attestation contract
/// refuses it, but the signature is still a false claim about its own capacity): it is slashed.
#[test]
fn a_self_report_above_capacity_slashes_the_signer() {
    let mut w = world(3);
    let (a, payload) = w.report(None, LIMIT + 1, "work-self", pubkey(1));
    let r = w.single(&a, 1, &payload).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[1].to_string()]);
}

fn subset() -> impl Strategy<Value = (Vec<u8>, u128, bool)> {
    (
        proptest::sample::subsequence((0u8..6).collect::<Vec<_>>(), 0..6),
        prop_oneof![Just(LIMIT), Just(LIMIT + 1), 0u128..LIMIT * 3],
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever the signers and units, evidence never takes from a node that did not sign it,
    /// and takes exactly `fraud_slash` from each that did when (and only when) the units are
    /// above the limit.
    #[test]
    fn evidence_never_slashes_a_node_that_did_not_sign((who, units, tamper) in subset()) {
        let mut w = world(6);
        let before = w.stakes();
        let (a, payload) = w.report(Some(0), units, "work-p", QUORUM_SIGNER);
        let mut signatures: Vec<KeySignature> = who
            .iter()
            .map(|&i| {
                let (key, signature) = sign_as_quorum_member(&a, &key(i)).unwrap();
                KeySignature { key, signature }
            })
            .collect();
        if tamper {
            if let Some(s) = signatures.first_mut() {
                s.signature.0[0] ^= 1;
            }
        }
        let r = w.submit(&a, EvidenceProof::Secp256k1 { signatures }, &payload);
        let (after, _) = w.stakes();
        let slash = units > LIMIT && !who.is_empty() && !tamper;
        prop_assert_eq!(r.is_ok(), slash);
        for i in 0..6u8 {
            let signed = who.contains(&i);
            let expect = if slash && signed {
                (900 * BTK, 100 * BTK)
            } else {
                before.0[i as usize]
            };
            prop_assert_eq!(after[i as usize], expect, "node {}", i);
        }
    }
}

// ---- BLS-aggregate quorum reports ----

fn bls(i: u8) -> BlsSecretKey {
    BlsSecretKey::from_seed(&[i + 100; 32]).unwrap()
}

impl World {
    /// The real attestation contract as rewards' reporter, and nodes `with_keys` registered in it
    /// with their BLS keys (each with its proof of possession).
    fn with_bls_registry(&mut self, with_keys: &[usize]) -> Addr {
        let id = self.s.app.store_code(contract!(bithive_attestation, reply));
        let gov = self.s.gov.clone();
        let init = AttestationInit {
            governance: gov.to_string(),
            staking: self.s.staking.to_string(),
            escrow: None,
            rewards: Some(self.rewards.to_string()),
            asset_nft: None,
            model_registry: None,
            quorum_threshold: 2,
            quorum_kinds: vec![AttestationKind::ComputeWork],
            max_age_seconds: DAY,
            max_future_seconds: 60,
            ibc_timeout_seconds: 600,
            peers: vec![],
        };
        let registry = instantiate(&mut self.s.app, id, &gov, &init, "attestation");
        for &i in with_keys {
            let node = self.s.nodes[i].clone();
            let sk = bls(i as u8);
            let msg = AttestationExec::RegisterBlsKey {
                public_key: HexBinary::from(sk.public_key().to_vec()),
                proof_of_possession: HexBinary::from(
                    sk.proof_of_possession(node.as_str()).unwrap().to_vec(),
                ),
            };
            self.s
                .app
                .execute_contract(node, registry.clone(), &msg, &[])
                .unwrap();
        }
        let mut cfg = rewards_config(&self.s, UNITS_PER_T, UNITS_PER_T);
        cfg.reporter = registry.clone();
        self.s
            .app
            .execute_contract(gov, self.rewards.clone(), &cfg, &[])
            .unwrap();
        registry
    }

    /// Evidence naming `named` as the members, aggregated from the keys of `signed`.
    fn bls_quorum(
        &mut self,
        a: &Attestation,
        named: &[usize],
        signed: &[usize],
        payload: &Binary,
    ) -> anyhow::Result<cw_multi_test::AppResponse> {
        let keys: Vec<BlsSecretKey> = signed.iter().map(|&i| bls(i as u8)).collect();
        let signature = HexBinary::from(sign_quorum(a, &keys).unwrap().to_vec());
        let signers = named.iter().map(|&i| self.s.nodes[i].to_string()).collect();
        self.submit(a, EvidenceProof::Bls { signers, signature }, payload)
    }
}

/// A BLS-aggregate quorum report above capacity slashes each member once (whichever proof names
/// it later), and never the subject that did not sign.
#[test]
fn a_bls_quorum_report_slashes_each_member_once() {
    let mut w = world(6);
    w.with_bls_registry(&[1, 2, 3, 4]);
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-bls", QUORUM_SIGNER);

    let r = w.bls_quorum(&a, &[1, 2, 3], &[1, 2, 3], &payload).unwrap();
    let mut got = slashed_nodes(&r);
    got.sort();
    let mut want: Vec<String> = (1..4).map(|i| w.s.nodes[i].to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let (stakes, treasury) = w.stakes();
    assert_eq!(stakes[0], (1_000 * BTK, 0));
    for s in &stakes[1..4] {
        assert_eq!(*s, (900 * BTK, 100 * BTK));
    }
    assert_eq!(treasury, 300 * BTK);

    // The same members again, by BLS or by their secp256k1 signatures: already slashed.
    let e = w.bls_quorum(&a, &[1, 2], &[1, 2], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
    let e = w.quorum(&a, &[2, 3], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::EvidenceReplayed);
    // A new member's signature: only it.
    let r = w.bls_quorum(&a, &[3, 4], &[3, 4], &payload).unwrap();
    assert_eq!(slashed_nodes(&r), vec![w.s.nodes[4].to_string()]);
}

/// An aggregate cannot name a node that did not sign, nor one without a registered key, and a
/// report within capacity is no evidence whatever the proof.
#[test]
fn a_bls_aggregate_cannot_frame_a_node() {
    let mut w = world(6);
    w.with_bls_registry(&[1, 2, 3, 4]);
    let before = w.stakes();
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-bls", QUORUM_SIGNER);

    // Node 4 named, but only 1 and 2 signed.
    let e = w.bls_quorum(&a, &[1, 2, 4], &[1, 2], &payload).unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    // An attacker (node 1) aggregates its own key under node 2's name.
    let e = w.bls_quorum(&a, &[2], &[1], &payload).unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    // Node 5 has no BLS key: nothing to verify it by.
    let e = w.bls_quorum(&a, &[1, 5], &[1, 5], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::NoBlsKey(w.s.nodes[5].to_string()));
    // The signature over another body (nonce changed after signing).
    let mut other = a.clone();
    other.nonce = 9;
    let sig = HexBinary::from(sign_quorum(&other, &[bls(1), bls(2)]).unwrap().to_vec());
    let signers = vec![w.s.nodes[1].to_string(), w.s.nodes[2].to_string()];
    let e = w
        .submit(
            &a,
            EvidenceProof::Bls {
                signers: signers.clone(),
                signature: sig,
            },
            &payload,
        )
        .unwrap_err();
    assert!(matches!(err(e), ContractError::Attestation(_)));
    // Malformed proofs.
    for (signers, signature) in [
        (vec![], HexBinary::from(vec![0u8; 96])),
        (signers.clone(), HexBinary::from(vec![0u8; 95])),
        (
            vec![w.s.nodes[1].to_string(), w.s.nodes[1].to_string()],
            HexBinary::from(vec![0u8; 96]),
        ),
    ] {
        let e = w
            .submit(&a, EvidenceProof::Bls { signers, signature }, &payload)
            .unwrap_err();
        assert!(matches!(
            err(e),
            ContractError::BadProof(_) | ContractError::DuplicateSigner(_)
        ));
    }
    // A single-signer body with a BLS proof.
    let (single, single_payload) = w.report(Some(0), LIMIT + 1, "work-1", pubkey(1));
    let e = w
        .bls_quorum(&single, &[1, 2], &[1, 2], &single_payload)
        .unwrap_err();
    assert!(matches!(err(e), ContractError::BadProof(_)));
    // Within capacity.
    let (ok, ok_payload) = w.report(Some(0), LIMIT, "work-ok", QUORUM_SIGNER);
    let e = w
        .bls_quorum(&ok, &[1, 2], &[1, 2], &ok_payload)
        .unwrap_err();
    assert!(matches!(err(e), ContractError::WithinCapacity { .. }));
    assert_eq!(w.stakes(), before);
}

/// Without an attestation contract as rewards' reporter there are no BLS keys to check against:
/// the evidence is refused, nobody is slashed.
#[test]
fn bls_evidence_needs_the_key_registry() {
    let mut w = world(4);
    let before = w.stakes();
    let (a, payload) = w.report(Some(0), LIMIT + 1, "work-bls", QUORUM_SIGNER);
    let e = w.bls_quorum(&a, &[1, 2], &[1, 2], &payload).unwrap_err();
    assert_eq!(err(e), ContractError::NoBlsRegistry(w.s.gov.to_string()));
    assert_eq!(w.stakes(), before);
}
