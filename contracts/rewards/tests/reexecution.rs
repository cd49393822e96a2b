//! ADR 007, decision 6: a node whose signed inference outputs a majority of the attestor set's
//! re-runs disagree with is slashed in staking and loses its weight of the epoch in rewards.
mod common;

use bithive_interface::attestation::InferencePayload;
use bithive_rewards::msg::{ExecuteMsg, NodeRewardsResponse, QueryMsg, ReceiveMsg};
use bithive_signed_attestation::signing::{public_key, sign, sign_reexecution, signing_key};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, SignedAttestation,
};
use bithive_staking::msg::{
    ExecuteMsg as StakingMsg, NodeResponse, QueryMsg as StakingQuery, ReexecutionVerdict,
};
use bithive_staking::ContractError as StakingError;
use common::*;
use cosmwasm_std::{to_json_binary, Binary};
use cw_multi_test::Executor;

/// Node `i`'s operator key (the one `Suite::join` registers).
fn operator(i: usize) -> k256::ecdsa::SigningKey {
    signing_key(&[i as u8 + 1; 32]).unwrap()
}

fn payload(outputs: Option<Vec<u32>>) -> Binary {
    to_json_binary(&InferencePayload {
        node: None,
        tscore: None,
        outputs,
        model_sha256: None,
    })
    .unwrap()
}

/// Node `i`'s signed inference attestation of job `job` with `payload` bound as a commitment.
fn attested(s: &Suite, i: usize, job: &str, payload: &Binary) -> SignedAttestation {
    let k = operator(i);
    let a = Attestation {
        chain_id: s.app.block_info().chain_id,
        contract: s.escrow.to_string(),
        job_id: job.into(),
        kind: AttestationKind::Inference,
        result_hash: Hash32([7; 32]),
        commitments: vec![
            Hash32([1; 32]),
            payload_hash(AttestationKind::Inference, payload.as_slice()),
        ],
        issued_at: s.app.block_info().time.seconds(),
        nonce: 1,
        signer: public_key(&k),
    };
    sign(a, &k).unwrap()
}

/// Attestor `i`'s signed verdict that its re-run of `a` gave `outputs`, on staking `at`.
fn verdict(
    at: &(String, String),
    i: usize,
    a: &SignedAttestation,
    outputs: Vec<u32>,
) -> ReexecutionVerdict {
    let k = operator(i);
    let job_key = a.attestation.job_key().unwrap();
    ReexecutionVerdict {
        key: public_key(&k),
        signature: sign_reexecution(&k, &at.0, &at.1, &job_key, &outputs).unwrap(),
        outputs,
    }
}

fn proof(a: &SignedAttestation, p: &Binary, verdicts: Vec<ReexecutionVerdict>) -> StakingMsg {
    StakingMsg::SubmitReexecution {
        attestation: Box::new(a.clone()),
        payload: p.clone(),
        verdicts,
    }
}

fn submit(s: &mut Suite, msg: &StakingMsg) -> Result<(), StakingError> {
    let anyone = s.gov.clone();
    let staking = s.staking.clone();
    s.app
        .execute_contract(anyone, staking, msg, &[])
        .map(|_| ())
        .map_err(|e| e.downcast().unwrap())
}

fn bonded(s: &Suite, i: usize) -> u128 {
    let n: NodeResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.staking,
            &StakingQuery::Node {
                node: s.nodes[i].to_string(),
            },
        )
        .unwrap();
    n.bonded.u128()
}

fn claimable(s: &Suite, i: usize) -> u128 {
    let r: NodeRewardsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.rewards,
            &QueryMsg::NodeRewards {
                node: s.nodes[i].to_string(),
            },
        )
        .unwrap();
    r.claimable.u128()
}

#[test]
fn a_node_caught_by_a_majority_of_re_runs_is_slashed_and_loses_the_epoch() {
    let mut s = suite(4);
    for i in 0..4 {
        s.join(i, 400 * BTK);
    }
    let gov = s.gov.clone();
    let staking = s.staking.clone();
    s.app
        .execute_contract(
            gov,
            staking,
            &StakingMsg::AdvanceAttestorSet { limit: 200 },
            &[],
        )
        .unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 1_000_000).unwrap();
    // Nodes 0 (the cheater) and 1 serve the same load and are reported the same.
    s.report(0, 100).unwrap();
    s.report(1, 100).unwrap();
    let weight_before = s.pool().epoch_weight;

    let signed = vec![900_000, 100_000];
    let right = vec![100_000, 900_000];
    let p = payload(Some(signed.clone()));
    let a = attested(&s, 0, "payer/job-1", &p);
    // The set is nodes 0-3 (attestor_set_size 3 picks the top 3; the node may be one of them):
    // whoever of 1-3 is a member may sign. Find the members other than node 0.
    let set: bithive_staking::msg::AttestorSetResponse = s
        .app
        .wrap()
        .query_wasm_smart(&s.staking, &StakingQuery::AttestorSet {})
        .unwrap();
    let others: Vec<usize> = (1..4)
        .filter(|i| set.members.iter().any(|m| m.node == s.nodes[*i]))
        .collect();
    assert!(others.len() >= 2, "{set:?}");
    let (x, y) = (others[0], others[1]);
    let at = (s.app.block_info().chain_id, s.staking.to_string());

    // Refused: one verdict of two or three other members is no majority.
    let e = submit(
        &mut s,
        &proof(&a, &p, vec![verdict(&at, x, &a, right.clone())]),
    );
    assert!(
        matches!(e, Err(StakingError::TooFewVerdicts { got: 1, .. })),
        "{e:?}"
    );
    // Refused: a verdict that agrees with the node is no evidence.
    let agreeing = verdict(&at, y, &a, vec![900_005, 99_995]);
    let e = submit(
        &mut s,
        &proof(&a, &p, vec![verdict(&at, x, &a, right.clone()), agreeing]),
    );
    assert!(matches!(e, Err(StakingError::VerdictAgrees(_))), "{e:?}");
    // Refused: the same member twice.
    let twice = vec![
        verdict(&at, x, &a, right.clone()),
        verdict(&at, x, &a, right.clone()),
    ];
    let e = submit(&mut s, &proof(&a, &p, twice));
    assert!(matches!(e, Err(StakingError::DuplicateSigner(_))), "{e:?}");
    // Refused: the node cannot sign a verdict (about itself), nor an outsider.
    let e = submit(
        &mut s,
        &proof(&a, &p, vec![verdict(&at, 0, &a, right.clone())]),
    );
    assert!(matches!(e, Err(StakingError::NotAnAttestor(_))), "{e:?}");
    // Refused: a verdict whose signature covers other outputs than it carries.
    let mut forged = verdict(&at, y, &a, right.clone());
    forged.outputs = vec![100_005, 899_995];
    let e = submit(
        &mut s,
        &proof(&a, &p, vec![verdict(&at, x, &a, right.clone()), forged]),
    );
    assert!(matches!(e, Err(StakingError::BadProof(_))), "{e:?}");
    // Refused: re-runs that disagree with one another (an input whose result is not
    // reproducible, e.g. a payer's ill-conditioned row) prove nothing against the node.
    let split = vec![
        verdict(&at, x, &a, right.clone()),
        verdict(&at, y, &a, vec![500_000, 500_000]),
    ];
    let e = submit(&mut s, &proof(&a, &p, split));
    assert!(matches!(e, Err(StakingError::VerdictsDisagree)), "{e:?}");
    // Refused: a payload the node did not sign, or one without outputs.
    let other = payload(Some(vec![1, 2]));
    let both = vec![
        verdict(&at, x, &a, right.clone()),
        verdict(&at, y, &a, right.clone()),
    ];
    let e = submit(&mut s, &proof(&a, &other, both.clone()));
    assert!(matches!(e, Err(StakingError::PayloadNotBound)), "{e:?}");
    let bare = payload(None);
    let a_bare = attested(&s, 0, "payer/job-2", &bare);
    let e = submit(&mut s, &proof(&a_bare, &bare, vec![]));
    assert!(matches!(e, Err(StakingError::NotReexecutable(_))), "{e:?}");

    // A majority of the other members: slashed by fraud_slash (10 %), the epoch forfeited.
    assert_eq!(bonded(&s, 0), 400 * BTK);
    submit(&mut s, &proof(&a, &p, both.clone())).unwrap();
    assert_eq!(bonded(&s, 0), 360 * BTK);
    assert!(s.pool().epoch_weight < weight_before);
    // The same evidence again is refused.
    let e = submit(&mut s, &proof(&a, &p, both));
    assert!(matches!(e, Err(StakingError::EvidenceReplayed)), "{e:?}");
    // Node 0 tops its pledge back up and serves more this epoch: nothing is credited.
    s.bond(0, 40 * BTK);
    s.report(0, 100).unwrap();
    // The epoch closes: node 1 takes the whole pool, node 0 nothing.
    s.advance(DAY);
    assert_eq!(claimable(&s, 0), 0);
    assert_eq!(claimable(&s, 1), 1_000_000);
    let n0 = s.nodes[0].clone();
    let e = s.exec(&n0, &ExecuteMsg::ClaimCompute {}).unwrap_err();
    assert!(matches!(
        err(e),
        bithive_rewards::ContractError::NothingToClaim
    ));
}

#[test]
fn only_staking_forfeits_an_epoch() {
    let mut s = suite(1);
    s.join(0, 400 * BTK);
    let node = s.nodes[0].to_string();
    let reporter = s.reporter.clone();
    let e = s
        .exec(&reporter, &ExecuteMsg::ForfeitEpoch { node })
        .unwrap_err();
    assert!(matches!(
        err(e),
        bithive_rewards::ContractError::Unauthorized
    ));
}

/// One attestor never slashes alone, even where it is the only other member; and a node that
/// proves its own equivocation (to be slashed without losing its epoch) loses the epoch too.
#[test]
fn one_verdict_never_slashes_and_equivocation_forfeits_the_epoch_too() {
    let mut s = suite(2);
    for i in 0..2 {
        s.join(i, 400 * BTK);
    }
    let gov = s.gov.clone();
    let staking = s.staking.clone();
    s.app
        .execute_contract(
            gov,
            staking,
            &StakingMsg::AdvanceAttestorSet { limit: 200 },
            &[],
        )
        .unwrap();
    s.fund(ReceiveMsg::FundComputePool {}, 1_000_000).unwrap();
    s.report(0, 100).unwrap();
    s.report(1, 100).unwrap();
    let p = payload(Some(vec![900_000, 100_000]));
    let a = attested(&s, 0, "payer/job-1", &p);
    let at = (s.app.block_info().chain_id, s.staking.to_string());
    let one = vec![verdict(&at, 1, &a, vec![100_000, 900_000])];
    let e = submit(&mut s, &proof(&a, &p, one));
    assert!(
        matches!(e, Err(StakingError::TooFewVerdicts { got: 1, members: 1 })),
        "{e:?}"
    );
    // Node 0 signs a second, different result for the same job and submits both itself.
    let other = payload(Some(vec![100_000, 900_000]));
    let mut b = attested(&s, 0, "payer/job-1", &other);
    b.attestation.nonce = 2;
    let b = sign(b.attestation, &operator(0)).unwrap();
    let evidence = StakingMsg::SubmitEvidence {
        first: Box::new(a),
        second: Box::new(b),
    };
    submit(&mut s, &evidence).unwrap();
    assert_eq!(bonded(&s, 0), 360 * BTK);
    s.advance(DAY);
    assert_eq!(claimable(&s, 0), 0);
    assert_eq!(claimable(&s, 1), 1_000_000);
}
