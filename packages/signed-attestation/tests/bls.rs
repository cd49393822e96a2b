//! BLS12-381 quorum signatures: golden vectors (`tests/golden/bls_vectors.json`, regenerate with
//! `BITHIVE_BLESS=1` only with a new domain version) and a cross-check of every off-chain result
//! against the host implementation of the `bls12_381_*` functions (cosmwasm-std's MockApi).

use bithive_signed_attestation::bls::{self, SecretKey};
use bithive_signed_attestation::{
    matching_commitments, payload_hash, Attestation, AttestationKind, Hash32, BLS_POP_DST,
    BLS_SIGNATURE_DST, QUORUM_SIGNER,
};
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{Api, HashFunction, BLS12_381_G1_GENERATOR};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

fn seed(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn quorum_attestation() -> Attestation {
    let [mask, ct] = matching_commitments(b"\x01\x00\x01", b"dgkbe ciphertext");
    Attestation {
        chain_id: "bithive-1".into(),
        contract: "cosmwasm1attestation".into(),
        job_id: "match-7".into(),
        kind: AttestationKind::Matching,
        result_hash: Hash32(Sha256::digest(b"matching result").into()),
        commitments: vec![mask, ct],
        issued_at: 1_767_225_600,
        nonce: 1,
        signer: QUORUM_SIGNER,
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Member {
    seed: String,
    owner: String,
    public_key: String,
    pop: String,
    signature: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vectors {
    attestation: Attestation,
    digest: String,
    members: Vec<Member>,
    aggregate_public_key: String,
    aggregate_signature: String,
    payload_hash_compute_work: String,
    matching_commitments: [String; 2],
}

fn vectors() -> Vectors {
    let a = quorum_attestation();
    let mut members = Vec::new();
    let mut pks = Vec::new();
    let mut sigs = Vec::new();
    for i in 1..=3 {
        let s = format!("bithive bls golden key {i}");
        let sk = SecretKey::from_seed(&seed(&s)).unwrap();
        let owner = format!("cosmwasm1node{i}");
        let pk = sk.public_key();
        let sig = sk.sign_attestation(&a).unwrap();
        pks.push(pk);
        sigs.push(sig);
        members.push(Member {
            seed: s,
            public_key: hex::encode(pk),
            pop: hex::encode(sk.proof_of_possession(&owner).unwrap()),
            signature: hex::encode(sig),
            owner,
        });
    }
    let [m, c] = matching_commitments(b"\x01\x00\x01", b"dgkbe ciphertext");
    Vectors {
        digest: a.digest().unwrap().to_hex(),
        attestation: a,
        members,
        aggregate_public_key: hex::encode(bls::aggregate_public_keys(&pks).unwrap()),
        aggregate_signature: hex::encode(bls::aggregate_signatures(&sigs).unwrap()),
        payload_hash_compute_work: payload_hash(AttestationKind::ComputeWork, br#"{"units":"5"}"#)
            .to_hex(),
        matching_commitments: [m.to_hex(), c.to_hex()],
    }
}

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/bls_vectors.json");

#[test]
fn bls_golden_vectors_match() {
    let fresh = vectors();
    if std::env::var("BITHIVE_BLESS").is_ok() {
        std::fs::write(PATH, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let committed: Vectors = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(committed, fresh);
}

fn host_verify(api: &MockApi, pk: &[u8], msg: &[u8], dst: &[u8], sig: &[u8]) -> bool {
    let h = api
        .bls12_381_hash_to_g2(HashFunction::Sha256, msg, dst)
        .unwrap();
    api.bls12_381_pairing_equality(&BLS12_381_G1_GENERATOR, sig, pk, &h)
        .unwrap()
}

#[test]
fn host_functions_accept_off_chain_signatures() {
    let api = MockApi::default();
    let v = vectors();
    let a = &v.attestation;
    let digest = a.digest().unwrap().0;
    let mut pk_concat = Vec::new();
    let mut sig_concat = Vec::new();
    for m in &v.members {
        let pk = hex::decode(&m.public_key).unwrap();
        let sig = hex::decode(&m.signature).unwrap();
        let pop = hex::decode(&m.pop).unwrap();
        // Individual signatures and proofs of possession verify on the host.
        assert!(host_verify(&api, &pk, &digest, BLS_SIGNATURE_DST, &sig));
        let pop_msg = bithive_signed_attestation::bls_pop_message(&pk, &m.owner);
        assert!(host_verify(&api, &pk, &pop_msg, BLS_POP_DST, &pop));
        // A PoP is not a vote and a PoP for another owner does not verify.
        assert!(!host_verify(&api, &pk, &digest, BLS_SIGNATURE_DST, &pop));
        assert!(!bls::verify_pop(&pk, "cosmwasm1other", &pop).unwrap());
        assert!(bls::verify_pop(&pk, &m.owner, &pop).unwrap());
        pk_concat.extend_from_slice(&pk);
        sig_concat.extend_from_slice(&sig);
    }
    // Host aggregation equals off-chain aggregation.
    let apk = api.bls12_381_aggregate_g1(&pk_concat).unwrap();
    let asig = api.bls12_381_aggregate_g2(&sig_concat).unwrap();
    assert_eq!(hex::encode(apk), v.aggregate_public_key);
    assert_eq!(hex::encode(asig), v.aggregate_signature);
    assert!(host_verify(&api, &apk, &digest, BLS_SIGNATURE_DST, &asig));
    // Off-chain verification agrees; a different message or a missing signer fails.
    let pks: Vec<[u8; 48]> = v
        .members
        .iter()
        .map(|m| hex::decode(&m.public_key).unwrap().try_into().unwrap())
        .collect();
    assert!(bls::verify_attestation(a, &pks, &asig).unwrap());
    assert!(!bls::verify_attestation(a, &pks[..2], &asig).unwrap());
    let mut other = a.clone();
    other.nonce += 1;
    assert!(!bls::verify_attestation(&other, &pks, &asig).unwrap());
    let other_digest = other.digest().unwrap().0;
    assert!(!host_verify(
        &api,
        &apk,
        &other_digest,
        BLS_SIGNATURE_DST,
        &asig
    ));
}

#[test]
fn sign_quorum_matches_manual_aggregation() {
    let a = quorum_attestation();
    let keys: Vec<SecretKey> = (1..=5)
        .map(|i| SecretKey::from_seed(&seed(&format!("k{i}"))).unwrap())
        .collect();
    let agg = bls::sign_quorum(&a, &keys).unwrap();
    let pks: Vec<[u8; 48]> = keys.iter().map(|k| k.public_key()).collect();
    assert!(bls::verify_attestation(&a, &pks, &agg).unwrap());
    // Malformed points are typed errors, not panics.
    let mut identity = [0u8; 48];
    identity[0] = 0xc0; // compressed point at infinity
    assert!(!bls::verify(&identity, b"m", BLS_SIGNATURE_DST, &agg).unwrap());
    assert!(bls::g2_from_bytes(&[1u8; 96]).is_err());
    assert!(bls::aggregate_signatures(&[]).is_err());
}
