//! Golden vectors: the canonical bytes, digest, job key and signature of fixed attestations are
//! committed in `tests/golden/vectors.json`. Any change of the byte layout breaks this test (and
//! must come with a new domain version). Regenerate with `BITHIVE_BLESS=1`.

use bithive_signed_attestation::signing::{public_key, sign, signing_key, verify};
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, SignedAttestation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vector {
    name: String,
    secret_key: String,
    signed: SignedAttestation,
    canonical_bytes: String,
    digest: String,
    job_key: String,
}

fn h(s: &str) -> Hash32 {
    Hash32(Sha256::digest(s.as_bytes()).into())
}

fn secret(seed: &str) -> [u8; 32] {
    Sha256::digest(seed.as_bytes()).into()
}

fn vectors() -> Vec<Vector> {
    let cases = [
        (
            "compute-work",
            "bithive golden key 1",
            AttestationKind::ComputeWork,
            "job-42",
            vec![],
            7u64,
        ),
        (
            "inference-with-commitments",
            "bithive golden key 2",
            AttestationKind::Inference,
            "req/0001",
            vec![h("c1"), h("c2")],
            u64::MAX,
        ),
        (
            "patient-activity",
            "bithive golden key 3",
            AttestationKind::PatientActivity,
            "act-9",
            vec![h("x")],
            0,
        ),
    ];
    cases
        .into_iter()
        .map(|(name, seed, kind, job, commitments, nonce)| {
            let sk = secret(seed);
            let key = signing_key(&sk).unwrap();
            let att = Attestation {
                chain_id: "bithive-1".into(),
                contract: "cosmwasm1staking".into(),
                job_id: job.into(),
                kind,
                result_hash: h(name),
                commitments,
                issued_at: 1_767_225_600,
                nonce,
                signer: public_key(&key),
            };
            let signed = sign(att.clone(), &key).unwrap();
            Vector {
                name: name.into(),
                secret_key: hex::encode(sk),
                canonical_bytes: hex::encode(att.canonical_bytes().unwrap()),
                digest: att.digest().unwrap().to_hex(),
                job_key: att.job_key().unwrap().to_hex(),
                signed,
            }
        })
        .collect()
}

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/vectors.json");

#[test]
fn golden_vectors_match() {
    let fresh = vectors();
    if std::env::var("BITHIVE_BLESS").is_ok() {
        std::fs::write(PATH, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let committed: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(committed, fresh);
    for v in &committed {
        verify(&v.signed).unwrap();
        // Recompute from the committed JSON alone.
        let a = &v.signed.attestation;
        assert_eq!(hex::encode(a.canonical_bytes().unwrap()), v.canonical_bytes);
        assert_eq!(a.digest().unwrap().to_hex(), v.digest);
        assert!(v
            .canonical_bytes
            .starts_with(&hex::encode(b"BITHIVE/ATTESTATION/v1\0")));
    }
}
