mod common;

use bithive_formulas::emission::ERA_SECONDS;
use bithive_signed_attestation::SignedAttestation;
use bithive_staking::msg::{
    AttestorSetResponse, Config, ExecuteMsg, PledgeStatusResponse, QueryMsg, Tier, VscoreResponse,
};
use bithive_staking::ContractError;
use common::*;
use cosmwasm_std::{Addr, Decimal, Uint128};

fn evidence(first: SignedAttestation, second: SignedAttestation) -> ExecuteMsg {
    ExecuteMsg::SubmitEvidence {
        first: Box::new(first),
        second: Box::new(second),
    }
}

fn genesis(s: &Suite) -> u64 {
    let c: Config = s
        .app
        .wrap()
        .query_wasm_smart(&s.staking, &QueryMsg::Config {})
        .unwrap();
    c.genesis
}

fn pledge(s: &Suite, i: usize) -> PledgeStatusResponse {
    s.app
        .wrap()
        .query_wasm_smart(
            &s.staking,
            &QueryMsg::PledgeStatus {
                node: s.nodes[i].to_string(),
            },
        )
        .unwrap()
}

/// The attestor set as the staking contract reports it.
fn attestor_set(s: &Suite) -> AttestorSetResponse {
    s.app
        .wrap()
        .query_wasm_smart(&s.staking, &QueryMsg::AttestorSet {})
        .unwrap()
}

/// `who` advances the attestor-set scan by up to `limit` nodes (must succeed).
fn advance_set(s: &mut Suite, who: &Addr, limit: u32) {
    s.exec(who, &ExecuteMsg::AdvanceAttestorSet { limit })
        .unwrap();
}

/// Governance's slash of `fraction_pct` % of `node`'s bond.
fn slash_msg(node: &Addr, fraction_pct: u64, reason: &str) -> ExecuteMsg {
    ExecuteMsg::Slash {
        node: node.to_string(),
        fraction: Decimal::percent(fraction_pct),
        reason: reason.into(),
    }
}

/// The typed error of `who` sending `msg`, which must fail.
fn exec_err(s: &mut Suite, who: &Addr, msg: &ExecuteMsg) -> ContractError {
    err(s.exec(who, msg).unwrap_err())
}

/// A suite whose only node is registered (4 T, tier 1) and bonded with 400 BTK.
fn one_bonded_node() -> (Suite, Addr) {
    let mut s = suite(1);
    s.register(0, 4, Tier::T1).unwrap();
    s.bond(0, 400 * BTK).unwrap();
    let node = s.nodes[0].clone();
    (s, node)
}

fn members(s: &mut Suite) -> Vec<Addr> {
    let anyone = s.gov.clone();
    advance_set(s, &anyone, 200);
    let set = attestor_set(s);
    assert_eq!(set.epoch, Some(set.current_epoch));
    let mut m: Vec<_> = set.members.into_iter().map(|m| m.node).collect();
    m.sort();
    m
}

fn sorted(mut v: Vec<Addr>) -> Vec<Addr> {
    v.sort();
    v
}

fn update_bond_config(min_bond: Option<u128>, grace: Option<u64>) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        compliance: None,
        slash_recipient: None,
        work_reporter: None,
        fraud_slash: None,
        attestor_set_size: None,
        min_bond: min_bond.map(Uint128::new),
        topup_grace_seconds: grace,
    }
}

fn unbond(amount: u128) -> ExecuteMsg {
    ExecuteMsg::Unbond {
        amount: Uint128::new(amount),
    }
}

#[test]
fn register_and_bond() {
    let mut s = suite(2);
    s.register(0, 4, Tier::T1).unwrap();
    assert!(matches!(
        err(s.register(1, 5, Tier::T1).unwrap_err()),
        ContractError::CapacityOutOfTier { .. }
    ));
    assert_eq!(
        err(s.register(0, 4, Tier::T1).unwrap_err()),
        ContractError::AlreadyRegistered
    );
    // Operator key already used by node 0.
    let node1 = s.nodes[1].clone();
    let operator_signature = s.pop(0, &node1);
    let e = s.exec(
        &node1,
        &ExecuteMsg::RegisterNode {
            capacity_t: 8,
            tier: Tier::T2,
            operator_key: pubkey(0),
            operator_signature,
        },
    );
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorKey);
    // Bonding an unregistered node fails.
    assert!(s.bond(1, 100 * BTK).is_err());
    s.bond(0, 300 * BTK).unwrap();
    let n = s.node(0);
    assert_eq!(n.required_pledge.u128(), 400 * BTK);
    assert!(!n.full_rate);
    s.bond(0, 100 * BTK).unwrap();
    let n = s.node(0);
    assert!(n.full_rate);
    assert_eq!(n.bonded.u128(), 400 * BTK);
    assert_eq!(s.totals().bonded.u128(), 400 * BTK);
}

#[test]
fn pledge_doubles_with_each_halving() {
    let mut s = suite(1);
    s.register(0, 2, Tier::T1).unwrap();
    s.bond(0, 200 * BTK).unwrap();
    let q = |s: &Suite| -> PledgeStatusResponse {
        s.app
            .wrap()
            .query_wasm_smart(
                &s.staking,
                &QueryMsg::PledgeStatus {
                    node: s.nodes[0].to_string(),
                },
            )
            .unwrap()
    };
    assert!(q(&s).full_rate);
    s.advance(ERA_SECONDS);
    let st = q(&s);
    assert_eq!(st.required.u128(), 400 * BTK);
    assert!(!st.full_rate, "below the doubled requirement: 50 % rewards");
    // ... during the top-up grace only.
    assert!(st.eligible);
    assert_eq!(st.capacity_t, 2);
    assert_eq!(st.grace_until, Some(genesis(&s) + ERA_SECONDS + 30 * DAY));
    s.bond(0, 200 * BTK).unwrap();
    assert!(q(&s).full_rate);
    s.advance(ERA_SECONDS);
    assert_eq!(q(&s).required.u128(), 800 * BTK);
}

#[test]
fn lock_unbond_and_claims() {
    let (mut s, node) = one_bonded_node();
    let e = s.exec(&node, &unbond(BTK)).unwrap_err();
    assert!(matches!(err(e), ContractError::StillLocked { .. }));
    s.advance(540 * DAY - 1);
    assert!(s.exec(&node, &unbond(BTK)).is_err());
    s.advance(1);
    // A later top-up is locked on its own.
    s.bond(0, 50 * BTK).unwrap();
    let e = s.exec(&node, &unbond(401 * BTK)).unwrap_err();
    assert_eq!(
        err(e),
        ContractError::StillLocked {
            matured: (400 * BTK).to_string()
        }
    );
    for _ in 0..3 {
        s.exec(&node, &unbond(100 * BTK)).unwrap();
    }
    let e = s.exec(&node, &unbond(BTK)).unwrap_err();
    assert_eq!(err(e), ContractError::TooManyClaims(3));
    assert_eq!(
        err(s.exec(&node, &ExecuteMsg::ClaimUnbonded {}).unwrap_err()),
        ContractError::NothingToClaim
    );
    let before = s.balance(&node);
    s.advance(7 * DAY);
    s.exec(&node, &ExecuteMsg::ClaimUnbonded {}).unwrap();
    assert_eq!(s.balance(&node) - before, 300 * BTK);
    let t = s.totals();
    assert_eq!((t.bonded.u128(), t.unbonding.u128()), (150 * BTK, 0));
}

#[test]
fn fraud_evidence_slashes_once() {
    let mut s = suite(2);
    s.register(0, 4, Tier::T1).unwrap();
    s.register(1, 4, Tier::T1).unwrap();
    s.bond(0, 1_000 * BTK).unwrap();
    s.advance(540 * DAY);
    let node = s.nodes[0].clone();
    s.exec(&node, &unbond(200 * BTK)).unwrap();
    let anyone = s.nodes[1].clone();
    // Same result twice is no fraud.
    let e = s.exec(
        &anyone,
        &evidence(attest(0, "job-1", "a", 1), attest(0, "job-1", "a", 2)),
    );
    assert_eq!(err(e.unwrap_err()), ContractError::NotConflicting);
    // A forged signature does not verify.
    let mut forged = attest(0, "job-1", "b", 2);
    forged.signature.0[10] ^= 0xff;
    let e = s.exec(&anyone, &evidence(attest(0, "job-1", "a", 1), forged));
    assert!(matches!(err(e.unwrap_err()), ContractError::Attestation(_)));
    // An unregistered key is unknown.
    let e = s.exec(
        &anyone,
        &evidence(attest(7, "job-1", "a", 1), attest(7, "job-1", "b", 2)),
    );
    assert_eq!(err(e.unwrap_err()), ContractError::UnknownOperator);

    let first = attest(0, "job-1", "a", 1);
    let second = attest(0, "job-1", "b", 2);
    s.exec(&anyone, &evidence(first.clone(), second.clone()))
        .unwrap();
    let n = s.node(0);
    assert_eq!(n.bonded.u128(), 720 * BTK);
    assert_eq!(n.unbonding.u128(), 180 * BTK);
    assert_eq!(s.balance(&s.treasury.clone()), 100 * BTK);
    let t = s.totals();
    assert_eq!(
        (t.bonded.u128(), t.unbonding.u128(), t.slashed.u128()),
        (720 * BTK, 180 * BTK, 100 * BTK)
    );
    // Replays (same pair, swapped, or a third conflicting statement about the same job) fail.
    let e = s.exec(&anyone, &evidence(second, first.clone()));
    assert_eq!(err(e.unwrap_err()), ContractError::EvidenceReplayed);
    let e = s.exec(&anyone, &evidence(first, attest(0, "job-1", "c", 3)));
    assert_eq!(err(e.unwrap_err()), ContractError::EvidenceReplayed);
    let job_key = attest(0, "job-1", "a", 1)
        .attestation
        .job_key()
        .unwrap()
        .to_hex();
    let used: bool = s
        .app
        .wrap()
        .query_wasm_smart(&s.staking, &QueryMsg::EvidenceUsed { job_key })
        .unwrap();
    assert!(used);
}

#[test]
fn governance_slash_and_compliance_roles() {
    let (mut s, node) = one_bonded_node();
    let msg = slash_msg(&node, 25, "downtime");
    assert_eq!(exec_err(&mut s, &node, &msg), ContractError::Unauthorized);
    let gov = s.gov.clone();
    s.exec(&gov, &msg).unwrap();
    assert_eq!(s.node(0).bonded.u128(), 300 * BTK);
    let bad = slash_msg(&node, 101, "x");
    assert_eq!(exec_err(&mut s, &gov, &bad), ContractError::BadFraction);
    let c = ExecuteMsg::SetCompliance {
        node: node.to_string(),
        level: Decimal::percent(80),
    };
    assert_eq!(exec_err(&mut s, &gov, &c), ContractError::Unauthorized);
    let compliance = s.compliance.clone();
    s.exec(&compliance, &c).unwrap();
    let over = ExecuteMsg::SetCompliance {
        node: node.to_string(),
        level: Decimal::percent(120),
    };
    assert_eq!(
        exec_err(&mut s, &compliance, &over),
        ContractError::BadCompliance
    );
    assert_eq!(s.node(0).compliance, Decimal::percent(80));
}

#[test]
fn attestor_set_by_vscore_in_bounded_steps() {
    let mut s = suite(5);
    for i in 0..5 {
        s.register(i, 4, Tier::T1).unwrap();
        s.bond(i, (100 + 100 * i as u128) * BTK).unwrap();
    }
    let (reporter, compliance) = (s.reporter.clone(), s.compliance.clone());
    // Node 0 does most of the verified work, node 4 has the largest stake.
    for (i, units) in [(0usize, 900u128), (1, 100)] {
        let msg = ExecuteMsg::RecordWork {
            node: s.nodes[i].to_string(),
            units: Uint128::new(units),
        };
        s.exec(&reporter, &msg).unwrap();
    }
    let stranger = s.nodes[2].clone();
    let e = s.exec(
        &stranger,
        &ExecuteMsg::RecordWork {
            node: s.nodes[0].to_string(),
            units: Uint128::new(1),
        },
    );
    assert_eq!(err(e.unwrap_err()), ContractError::Unauthorized);
    for i in 0..5 {
        let msg = ExecuteMsg::SetCompliance {
            node: s.nodes[i].to_string(),
            level: Decimal::one(),
        };
        s.exec(&compliance, &msg).unwrap();
    }
    s.advance(DAY);
    // Vscore of node 0: S = 100/1500, C = 0.9, M = 1.
    let v: VscoreResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.staking,
            &QueryMsg::Vscore {
                node: s.nodes[0].to_string(),
            },
        )
        .unwrap();
    assert_eq!(v.compute, Decimal::percent(90));
    let expected = Decimal::from_ratio(1u128, 15u128) * Decimal::percent(30)
        + Decimal::percent(36)
        + Decimal::percent(30);
    assert_eq!(v.vscore, expected);
    // Scan two nodes per call: three calls for five nodes.
    let anyone = s.nodes[3].clone();
    advance_set(&mut s, &anyone, 2);
    advance_set(&mut s, &anyone, 2);
    let set = attestor_set(&s);
    assert_eq!(set.epoch, None);
    assert_eq!(set.scanning, Some((1, 4)));
    advance_set(&mut s, &anyone, 2);
    let set = attestor_set(&s);
    assert_eq!(set.epoch, Some(1));
    let members: Vec<_> = set.members.iter().map(|m| m.node.clone()).collect();
    assert_eq!(members, vec![s.nodes[0].clone(), s.nodes[4].clone()]);
    let e = s.exec(&anyone, &ExecuteMsg::AdvanceAttestorSet { limit: 2 });
    assert_eq!(err(e.unwrap_err()), ContractError::AttestorSetCurrent(1));
    // Four epochs later node 0's work left the window: stake decides.
    s.advance(4 * DAY);
    advance_set(&mut s, &anyone, 10);
    let set = attestor_set(&s);
    let members: Vec<_> = set.members.iter().map(|m| m.node.clone()).collect();
    assert_eq!(members, vec![s.nodes[4].clone(), s.nodes[3].clone()]);
}

/// Sybil flood (#20): registration is free, so an attacker registers hundreds of unbonded nodes
/// to make the permissionless attestor crank page through all of them (at most 200 per call)
/// and keep a stale attestor set in force. Now the crank scans only the bonded-node index: one
/// call completes, and the set holds only bonded nodes.
#[test]
fn unbonded_registrations_do_not_stall_the_attestor_crank() {
    const SYBILS: usize = 400;
    let mut s = suite(SYBILS + 3);
    for i in 0..SYBILS {
        s.register_wide(i, 1, Tier::T1).unwrap();
    }
    for i in SYBILS..SYBILS + 3 {
        s.register_wide(i, 4, Tier::T1).unwrap();
        s.bond(i, 400 * BTK).unwrap();
    }
    s.advance(DAY);
    let anyone = s.nodes[0].clone();
    advance_set(&mut s, &anyone, 200);
    let set = attestor_set(&s);
    assert_eq!(set.epoch, Some(1), "one bounded call completes the set");
    assert_eq!(set.scanning, None);
    assert_eq!(set.members.len(), 2);
    for m in &set.members {
        assert!(s.nodes[SYBILS..].contains(&m.node), "only bonded nodes");
    }
}

/// The pledge is the condition for mining (#20): an unpledged or under-pledged node is not
/// eligible; the 50 % rate is only for a node that covered the requirement before the latest
/// halving, until `topup_grace_seconds` after it.
#[test]
fn pledge_is_the_condition_for_mining() {
    let mut s = suite(2);
    s.register(0, 2, Tier::T1).unwrap();
    s.register(1, 2, Tier::T1).unwrap();
    let st = pledge(&s, 0);
    assert!(st.registered && !st.eligible && !st.full_rate);
    assert_eq!((st.capacity_t, st.grace_until), (2, None));
    s.bond(0, 100 * BTK).unwrap();
    assert!(
        !pledge(&s, 0).eligible,
        "half the requirement is not a pledge"
    );
    assert!(!s.node(0).eligible);
    s.bond(1, 200 * BTK).unwrap();
    let st = pledge(&s, 1);
    assert!(st.eligible && st.full_rate && st.grace_until.is_none());
    assert!(s.node(1).eligible);
    // First halving: node 1 (200 BTK) covered the old requirement: 50 % for 30 days.
    s.advance(ERA_SECONDS + 30 * DAY - 1);
    let st = pledge(&s, 1);
    assert!(st.eligible && !st.full_rate);
    assert_eq!(st.grace_until, Some(genesis(&s) + ERA_SECONDS + 30 * DAY));
    assert!(!pledge(&s, 0).eligible);
    s.advance(1);
    let st = pledge(&s, 1);
    assert!(!st.eligible && st.grace_until.is_none(), "grace over");
    s.bond(1, 200 * BTK).unwrap();
    assert!(pledge(&s, 1).full_rate && pledge(&s, 1).eligible);
    // Unregistered: nothing.
    let none: PledgeStatusResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.staking,
            &QueryMsg::PledgeStatus {
                node: s.gov.to_string(),
            },
        )
        .unwrap();
    assert!(!none.registered && !none.eligible);
}

/// The bonded-node index follows every change of a node's bond (bond, unbond, governance slash,
/// fraud slash) and governance's min_bond; the crank sees exactly the nodes at or above it.
#[test]
fn bonded_index_follows_bonds_slashes_and_min_bond() {
    let mut s = suite(4);
    for i in 0..4 {
        s.register(i, 4, Tier::T1).unwrap();
    }
    s.bond(0, 400 * BTK).unwrap();
    s.bond(1, 50 * BTK).unwrap(); // below min_bond (100 BTK): not a candidate
    s.bond(2, 150 * BTK).unwrap();
    s.advance(DAY);
    let n = s.nodes.clone();
    assert_eq!(members(&mut s), sorted(vec![n[0].clone(), n[2].clone()]));
    // Governance slash takes node 2 below min_bond.
    let gov = s.gov.clone();
    let slash = slash_msg(&n[2], 50, "test");
    s.exec(&gov, &slash).unwrap();
    // Node 1 tops up above it.
    s.bond(1, 100 * BTK).unwrap();
    s.advance(DAY);
    assert_eq!(members(&mut s), sorted(vec![n[0].clone(), n[1].clone()]));
    // Fraud evidence (10 %) takes node 3 (105 BTK) below min_bond: the set stays nodes 0 and 1.
    s.bond(3, 105 * BTK).unwrap();
    let e = ExecuteMsg::SubmitEvidence {
        first: Box::new(attest(3, "job-1", "a", 1)),
        second: Box::new(attest(3, "job-1", "b", 2)),
    };
    s.exec(&gov, &e).unwrap();
    assert_eq!(s.node(3).bonded.u128(), 94_500_000);
    s.advance(DAY);
    assert_eq!(members(&mut s), sorted(vec![n[0].clone(), n[1].clone()]));
    // Governance raises min_bond: node 1 (150 BTK) is skipped at once.
    s.exec(&gov, &update_bond_config(Some(200 * BTK), None))
        .unwrap();
    s.advance(DAY);
    assert_eq!(members(&mut s), vec![n[0].clone()]);
    // Unbonding below it drops node 0 too.
    s.advance(540 * DAY);
    let node0 = n[0].clone();
    s.exec(&node0, &unbond(250 * BTK)).unwrap();
    assert!(members(&mut s).is_empty());
    // Bad values are refused.
    for bad in [
        update_bond_config(Some(0), None),
        update_bond_config(None, Some(540 * DAY + 1)),
    ] {
        assert!(matches!(
            exec_err(&mut s, &gov, &bad),
            ContractError::InvalidConfig(_)
        ));
    }
    s.exec(&gov, &update_bond_config(None, Some(540 * DAY)))
        .unwrap();
}

/// Squatter: registers a victim's operator key (public) before the victim, to be paid for every
/// attestation the victim signs. Refused: the key must sign for the sender, this contract and
/// this chain, and a signature made for another sender, contract or chain does not transfer.
#[test]
fn operator_key_cannot_be_squatted() {
    let mut s = suite(2);
    let (squatter, victim) = (s.nodes[1].clone(), s.nodes[0].clone());
    let victim_key = pubkey(0);
    let register = |sig| ExecuteMsg::RegisterNode {
        capacity_t: 4,
        tier: Tier::T1,
        operator_key: victim_key,
        operator_signature: sig,
    };
    // No valid signature at all.
    let e = s.exec(
        &squatter,
        &register(bithive_signed_attestation::Signature64([7; 64])),
    );
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorSignature);
    // The victim's real proof, made for the victim, replayed by the squatter.
    let victims_pop = s.pop(0, &victim);
    let e = s.exec(&squatter, &register(victims_pop));
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorSignature);
    // A proof for the squatter made by another key (the squatter's own).
    let own = s.pop(1, &squatter);
    let e = s.exec(&squatter, &register(own));
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorSignature);
    // A proof for the squatter on another staking contract or another chain.
    let key0 = key(0);
    let other_contract = bithive_signed_attestation::signing::sign_operator_pop(
        &key0,
        &s.app.block_info().chain_id,
        s.token.as_str(),
        squatter.as_str(),
    )
    .unwrap();
    let e = s.exec(&squatter, &register(other_contract));
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorSignature);
    let other_chain = bithive_signed_attestation::signing::sign_operator_pop(
        &key0,
        "other-chain-1",
        s.staking.as_str(),
        squatter.as_str(),
    )
    .unwrap();
    let e = s.exec(&squatter, &register(other_chain));
    assert_eq!(err(e.unwrap_err()), ContractError::BadOperatorSignature);
    // Nothing was registered; the victim registers its own key with its own proof.
    assert!(s
        .app
        .wrap()
        .query_wasm_smart::<bithive_staking::msg::NodeResponse>(
            &s.staking,
            &QueryMsg::Node {
                node: squatter.to_string()
            }
        )
        .is_err());
    s.exec(&victim, &register(victims_pop)).unwrap();
}

#[test]
fn only_a_registered_node_sets_its_own_probe_endpoint() {
    let (mut s, node) = one_bonded_node();
    let set = |url: &str| ExecuteMsg::SetEndpoint {
        endpoint: Some(url.to_string()),
    };
    assert_eq!(s.node(0).endpoint, None);
    s.exec(&node, &set("http://node0.example:7449")).unwrap();
    assert_eq!(
        s.node(0).endpoint.as_deref(),
        Some("http://node0.example:7449")
    );
    // Attack: an account that is no node (or another node's operator) points a node's probes
    // elsewhere. Only the node itself writes its endpoint, and an outsider is refused.
    let outsider = s.gov.clone();
    assert!(matches!(
        exec_err(&mut s, &outsider, &set("http://evil.example")),
        ContractError::UnknownNode(_)
    ));
    assert_eq!(
        s.node(0).endpoint.as_deref(),
        Some("http://node0.example:7449")
    );
    // Garbage is refused: other schemes, no host, spaces or control bytes, over-long URLs.
    let long = format!(
        "http://{}",
        "a".repeat(bithive_staking::msg::MAX_ENDPOINT_LEN)
    );
    for bad in [
        "https://node0.example",
        "ftp://node0.example",
        "node0.example:7449",
        "http://",
        "http:///path",
        "http://node0 example",
        "http://node0\n.example",
        long.as_str(),
    ] {
        assert!(
            matches!(
                exec_err(&mut s, &node, &set(bad)),
                ContractError::InvalidEndpoint { .. }
            ),
            "{bad:?}"
        );
    }
    s.exec(&node, &ExecuteMsg::SetEndpoint { endpoint: None })
        .unwrap();
    assert_eq!(s.node(0).endpoint, None);
}
