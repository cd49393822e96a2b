use bithive_signed_attestation::signing::{k256_verify, public_key, sign, signing_key, verify};
use bithive_signed_attestation::{
    Attestation, AttestationError, AttestationKind, Hash32, Signature64,
};

fn att(key: &k256::ecdsa::SigningKey) -> Attestation {
    Attestation {
        chain_id: "bithive-1".into(),
        contract: "c".into(),
        job_id: "j".into(),
        kind: AttestationKind::ComputeWork,
        result_hash: Hash32([1; 32]),
        commitments: vec![],
        issued_at: 10,
        nonce: 1,
        signer: public_key(key),
    }
}

#[test]
fn sign_and_verify_roundtrip() {
    let key = signing_key(&[7; 32]).unwrap();
    let s = sign(att(&key), &key).unwrap();
    verify(&s).unwrap();
    // Any field change breaks the signature.
    let mut t = s.clone();
    t.attestation.nonce = 2;
    assert_eq!(verify(&t), Err(AttestationError::BadSignature));
    let mut t = s.clone();
    t.attestation.chain_id = "bithive-2".into();
    assert_eq!(verify(&t), Err(AttestationError::BadSignature));
    let mut t = s.clone();
    t.signature.0[5] ^= 1;
    assert!(verify(&t).is_err());
}

#[test]
fn high_s_is_rejected() {
    let key = signing_key(&[7; 32]).unwrap();
    let s = sign(att(&key), &key).unwrap();
    let sig = k256::ecdsa::Signature::from_slice(&s.signature.0).unwrap();
    // n - s: same signature mathematically, high-s encoding.
    let (r, low_s) = sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r, -*low_s.as_ref()).unwrap();
    let mut bytes = [0u8; 64];
    bytes.copy_from_slice(&high.to_bytes());
    let digest = s.attestation.digest().unwrap();
    assert_eq!(
        k256_verify(&digest.0, &bytes, &s.attestation.signer.0),
        Ok(false)
    );
    assert!(s
        .attestation
        .verify_with(&Signature64(bytes), k256_verify)
        .is_err());
}

#[test]
fn signer_must_match_key() {
    let key = signing_key(&[7; 32]).unwrap();
    let other = signing_key(&[8; 32]).unwrap();
    assert!(sign(att(&other), &key).is_err());
}

#[test]
fn conflicts_and_job_key() {
    let key = signing_key(&[7; 32]).unwrap();
    let a = att(&key);
    let mut b = a.clone();
    b.nonce = 99;
    b.issued_at = 11;
    // Same result, different nonce: not a conflict, same job key.
    assert!(!a.conflicts_with(&b));
    assert_eq!(a.job_key(), b.job_key());
    b.result_hash = Hash32([2; 32]);
    assert!(a.conflicts_with(&b));
    let mut c = b.clone();
    c.job_id = "k".into();
    assert!(!a.conflicts_with(&c));
    assert_ne!(a.job_key(), c.job_key());
    let mut d = a.clone();
    d.commitments.push(Hash32([3; 32]));
    assert!(a.conflicts_with(&d));
}

#[test]
fn field_limits_and_layout() {
    let key = signing_key(&[7; 32]).unwrap();
    let mut a = att(&key);
    let bytes = a.canonical_bytes().unwrap();
    // 23 domain + (2+9) + (2+1) + (2+1) + 1 kind + 32 + 1 count + 8 + 8 + 33
    assert_eq!(bytes.len(), 23 + 11 + 3 + 3 + 1 + 32 + 1 + 8 + 8 + 33);
    a.job_id = String::new();
    assert_eq!(
        a.canonical_bytes(),
        Err(AttestationError::FieldLength("job_id"))
    );
    a.job_id = "x".repeat(129);
    assert_eq!(
        a.canonical_bytes(),
        Err(AttestationError::FieldLength("job_id"))
    );
    a.job_id = "j".into();
    a.commitments = vec![Hash32([0; 32]); 17];
    assert_eq!(
        a.canonical_bytes(),
        Err(AttestationError::TooManyCommitments)
    );
}

#[test]
fn json_shape() {
    let key = signing_key(&[7; 32]).unwrap();
    let a = att(&key);
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["kind"], "compute_work");
    assert_eq!(json["nonce"], "1");
    assert_eq!(json["result_hash"], hex::encode([1u8; 32]));
    let back: Attestation = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}

/// The operator key's proof of possession verifies only for the (chain, contract, sender, key) it
/// was made for, and is never valid as an attestation signature.
#[test]
fn operator_pop_binds_chain_contract_sender_and_key() {
    use bithive_signed_attestation::operator_pop_digest;
    use bithive_signed_attestation::signing::{
        k256_verify, public_key, sign_operator_pop, signing_key,
    };
    let key = signing_key(&[9u8; 32]).unwrap();
    let pk = public_key(&key);
    let sig = sign_operator_pop(&key, "bithive-1", "staking", "node").unwrap();
    let ok = |c: &str, s: &str, n: &str, k: &bithive_signed_attestation::PubKey33| {
        let d = operator_pop_digest(c, s, n, k).unwrap();
        k256_verify(&d.0, &sig.0, &k.0).unwrap()
    };
    assert!(ok("bithive-1", "staking", "node", &pk));
    assert!(!ok("bithive-2", "staking", "node", &pk));
    assert!(!ok("bithive-1", "staking2", "node", &pk));
    assert!(!ok("bithive-1", "staking", "squatter", &pk));
    let other = public_key(&signing_key(&[8u8; 32]).unwrap());
    assert!(!k256_verify(
        &operator_pop_digest("bithive-1", "staking", "node", &other)
            .unwrap()
            .0,
        &sig.0,
        &other.0
    )
    .unwrap());
    // Length-prefixed fields: moving bytes between fields changes the digest.
    assert_ne!(
        operator_pop_digest("ab", "c", "node", &pk).unwrap(),
        operator_pop_digest("a", "bc", "node", &pk).unwrap()
    );
    assert!(operator_pop_digest("", "staking", "node", &pk).is_err());
}
