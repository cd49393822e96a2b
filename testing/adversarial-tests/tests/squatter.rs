//! The squatter: registers a node under someone else's operator key without that key's proof
//! of possession (its own signature, a replayed proof made for another sender, chain or staking
//! contract, a key already in use), registers BLS keys without a valid proof, and floods staking
//! with unbonded registrations to stall the attestor-set crank. Each is refused; the honest
//! owner can still register its key; the crank still completes in one call with only bonded
//! nodes in the set.

use bithive_adversarial_tests::{operator_key, refused, Plan, World, CAPACITY_T};
use bithive_interface::attestation::ExecuteMsg as AttestationMsg;
use bithive_interface::staking::{ExecuteMsg as StakingMsg, Tier};
use cosmwasm_std::HexBinary;

const BAD_POP: &str =
    "operator_signature is not the operator key's signature for this sender, contract and chain";

#[test]
fn an_operator_key_needs_its_own_proof_of_possession() {
    let mut w = World::deploy(Plan::default());
    let squatter = w.addr("squatter");
    // Node 7's key, not registered yet: the squatter wants it (and the owner's future work).
    let (victim, victim_key) = (w.node(7), operator_key(7));
    let (chain_id, staking) = (w.chain_id.clone(), w.c.staking.clone());
    let accounts = [squatter.as_str(), victim.as_str()];
    let before = w.snapshot(&accounts);
    let register = |key, operator_signature| StakingMsg::RegisterNode {
        capacity_t: CAPACITY_T,
        tier: Tier::T1,
        operator_key: key,
        operator_signature,
    };

    let proofs = [
        // Signed by the squatter's own key.
        w.operator_pop(66, &chain_id, &staking, &squatter),
        // The victim's genuine proof, made for the victim's own registration.
        w.operator_pop(7, &chain_id, &staking, &victim),
        // A proof for the squatter's address on another chain, or for another staking contract.
        w.operator_pop(7, "other-chain-1", &staking, &squatter),
        w.operator_pop(7, &chain_id, &w.c.rewards, &squatter),
    ];
    for pop in proofs {
        refused(
            w.exec(&squatter, &staking, &register(victim_key, pop)),
            BAD_POP,
        );
    }
    // A key already registered, with its owner's replayed proof.
    let pop0 = w.operator_pop(0, &chain_id, &staking, &w.node(0));
    refused(
        w.exec(&squatter, &staking, &register(operator_key(0), pop0)),
        "operator key is invalid or already used by another node",
    );
    w.assert_unchanged(&before, &accounts);

    // The owner still registers its key.
    w.register_node(7).expect("the key's owner registers");
}

#[test]
fn a_bls_key_needs_a_valid_proof_of_possession() {
    let mut w = World::deploy(Plan::default());
    // The squatter is a registered node (unbonded) with no BLS key; node 8 is an honest
    // operator whose BLS key is not registered yet.
    w.register_node(6).unwrap();
    let (squatter, owner8, stranger) = (w.node(6), w.node(8), w.addr("stranger"));
    let attestation = w.c.attestation.clone();
    let accounts = [squatter.as_str(), owner8.as_str(), stranger.as_str()];
    let before = w.snapshot(&accounts);
    // `who` asks the attestation contract to register BLS key `pk` with proof `pop`.
    let register = |w: &mut World, who: &str, pk: Vec<u8>, pop: Vec<u8>| {
        let msg = AttestationMsg::RegisterBlsKey {
            public_key: HexBinary::from(pk),
            proof_of_possession: HexBinary::from(pop),
        };
        w.exec(who, &attestation, &msg)
    };
    let k8 = bithive_adversarial_tests::bls_key(8);
    let k0 = bithive_adversarial_tests::bls_key(0);
    let k6 = bithive_adversarial_tests::bls_key(6);

    // Node 8's key with node 8's proof (made for node 8, not the squatter).
    let pop8 = k8.proof_of_possession(&owner8).unwrap().to_vec();
    refused(
        register(&mut w, &squatter, k8.public_key().to_vec(), pop8),
        "proof of possession does not verify",
    );
    // Its own key with a proof that is no proof.
    refused(
        register(&mut w, &squatter, k6.public_key().to_vec(), vec![0x8a; 96]),
        "proof of possession does not verify",
    );
    // The point at infinity, which would verify any aggregate.
    let mut infinity = vec![0u8; 48];
    infinity[0] = 0xc0;
    let mut pop_inf = vec![0u8; 96];
    pop_inf[0] = 0xc0;
    refused(
        register(&mut w, &squatter, infinity, pop_inf),
        "proof of possession does not verify",
    );
    // Node 0's registered key with node 0's proof.
    let pop0 = k0.proof_of_possession(&w.node(0)).unwrap().to_vec();
    refused(
        register(&mut w, &squatter, k0.public_key().to_vec(), pop0),
        "BLS key is already registered",
    );
    // Wrong lengths.
    refused(
        register(&mut w, &squatter, vec![1; 47], vec![1; 96]),
        "BLS key must be 48 bytes and the proof of possession 96",
    );
    // A stranger (no node) with a valid proof of its own.
    let ks = bithive_adversarial_tests::bls_key(77);
    let pops = ks.proof_of_possession(&stranger).unwrap().to_vec();
    refused(
        register(&mut w, &stranger, ks.public_key().to_vec(), pops),
        &format!("{stranger} is not a registered node"),
    );
    w.assert_unchanged(&before, &accounts);

    // Node 8 still registers its own key.
    w.register_node(8).unwrap();
    w.register_bls(8).expect("the key's owner registers it");
}

#[test]
fn sybil_registrations_do_not_stall_the_attestor_set() {
    let mut w = World::deploy(Plan::default());
    let bonded: Vec<String> = (0..5).map(|i| w.node(i)).collect();
    let (chain_id, staking) = (w.chain_id.clone(), w.c.staking.clone());
    // 300 free registrations, each with a valid key and proof, none bonded.
    for i in 0..300 {
        let sybil = w.addr(&format!("sybil{i}"));
        let key_index = 1_000 + i;
        let msg = StakingMsg::RegisterNode {
            capacity_t: CAPACITY_T,
            tier: Tier::T1,
            operator_key: operator_key(key_index),
            operator_signature: w.operator_pop(key_index, &chain_id, &staking, &sybil),
        };
        w.exec(&sybil, &staking, &msg).expect("a sybil registers");
    }
    // Next epoch: one crank call with limit 200 completes the set.
    w.advance(86_400);
    let tx = w
        .advance_attestor_set(200)
        .expect("the crank completes in one call");
    assert_eq!(tx.attr("wasm", "scanned"), Some("5"));
    let set: bithive_interface::staking::AttestorSetResponse = w.query(
        &staking,
        &bithive_interface::staking::QueryMsg::AttestorSet {},
    );
    assert_eq!(set.epoch, Some(set.current_epoch));
    assert_eq!(set.scanning, None);
    let mut members: Vec<String> = set.members.into_iter().map(|m| m.node.into()).collect();
    members.sort();
    let mut expected = bonded;
    expected.sort();
    assert_eq!(members, expected, "only bonded nodes");
}
