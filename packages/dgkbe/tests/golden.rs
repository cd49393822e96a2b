//! Golden vectors: a deterministic RNG drives Setup, extraction and ServEnc; the committed bytes
//! must be reproduced exactly and must decrypt. Regenerate (after an intended format change) with
//! `DGKBE_WRITE_GOLDEN=1 cargo test -p bithive-dgkbe --test golden`.

mod common;

use bithive_dgkbe::seed::{Ciphertext, SeedSecret, UserKey};
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/golden.json");

fn generate() -> Value {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0b17_4172);
    let s0: RoaringBitmap = (1..=24).collect();
    let server = SeedSecret::setup(32, &s0, 7, &mut rng).unwrap();
    let s: RoaringBitmap = [1u32, 5, 8, 13, 21, 30].into_iter().collect();
    let ct = server
        .encrypt(&s, b"golden request details", b"request-1", &mut rng)
        .unwrap();
    let keys: Vec<Value> = [1u32, 5, 13, 30, 2]
        .iter()
        .map(|&i| json!({"index": i, "key": hex::encode(server.extract(i).unwrap().to_bytes())}))
        .collect();
    json!({
        "rng": "ChaCha20Rng::seed_from_u64(0x0b174172)",
        "n": 32, "epoch": 7, "s0": "1..=24", "s": [1, 5, 8, 13, 21, 30],
        "plaintext": "golden request details", "aad": "request-1",
        "ciphertext": hex::encode(ct.to_bytes()),
        "keys": keys,
        "decrypts": [], "fails": [],
        "note": "2 is in S0 but not in S and still decrypts: the seed algebra does not revoke S0 members (README, Security)"
    })
}

#[test]
fn golden_vectors_are_reproduced_and_decrypt() {
    let mut fresh = generate();
    // Record the behaviour as observed, so the file documents it precisely.
    let ct = Ciphertext::from_bytes(&hex::decode(fresh["ciphertext"].as_str().unwrap()).unwrap())
        .unwrap();
    let mut decrypts = vec![];
    let mut fails = vec![];
    for k in fresh["keys"].as_array().unwrap() {
        let key = UserKey::from_bytes(&hex::decode(k["key"].as_str().unwrap()).unwrap()).unwrap();
        match key.decrypt(&ct, b"request-1") {
            Ok(pt) => {
                assert_eq!(pt, b"golden request details");
                decrypts.push(key.index());
            }
            Err(_) => fails.push(key.index()),
        }
    }
    fresh["decrypts"] = json!(decrypts);
    fresh["fails"] = json!(fails);
    assert_eq!(decrypts, vec![1, 5, 13, 2]);
    assert_eq!(fails, vec![30]);

    if std::env::var_os("DGKBE_WRITE_GOLDEN").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(PATH).expect("golden.json committed"))
            .unwrap();
    assert_eq!(committed, fresh);
}

const BGW_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/bgw_golden.json");

/// The product scheme (`bgw`): public parameters, keys and a ciphertext from a fixed RNG. Only
/// members of S decrypt, including S0 members outside S (2) failing, unlike the seed algebra.
fn generate_bgw() -> Value {
    use bithive_dgkbe::bgw::BgwUserKey;
    let mut rng = ChaCha20Rng::seed_from_u64(0x0b17_4172);
    let s0: RoaringBitmap = (1..=16).collect();
    let server = ServerSecret::setup(16, &s0, 7, &mut rng).unwrap();
    let pp = server.bgw_public_params();
    let s: RoaringBitmap = [1u32, 5, 8, 13].into_iter().collect();
    let (h, k) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    let ct = k
        .seal_bgw(h, b"golden request details", b"request-1")
        .unwrap();
    let keys: Vec<BgwUserKey> = [1u32, 5, 13, 2, 16]
        .iter()
        .map(|&i| server.bgw_extract(i).unwrap())
        .collect();
    let forgeries = bgw_forgeries(&pp.to_bytes(), &ct.header);
    json!({
        "rng": "ChaCha20Rng::seed_from_u64(0x0b174172)",
        "n": 16, "epoch": 7, "s0": "1..=16", "s": [1, 5, 8, 13],
        "plaintext": "golden request details", "aad": "request-1",
        "public_params": hex::encode(pp.to_bytes()),
        "ciphertext": hex::encode(ct.to_bytes()),
        "keys": keys.iter().map(|k| json!({"index": k.index(), "key": hex::encode(k.to_bytes())})).collect::<Vec<_>>(),
        "decrypts": [1, 5, 13], "fails": [2, 16],
        "forgeries": forgeries,
    })
}

/// A keyless attacker's ciphertexts aimed at user 2 (not in S), each with a body sealed under a
/// session key it can compute (#20). Every one must be refused: user 2 is not in S, and a
/// claimed set with 2 in it does not match the header.
fn bgw_forgeries(pp: &[u8], honest: &bithive_dgkbe::bgw::BgwHeader) -> Value {
    use ark_bls12_381::{Bls12_381, Fr, G1Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::{CurveGroup, Group};
    use bithive_dgkbe::bgw::{BgwCiphertext, BgwHeader};
    let forge = |header: BgwHeader, k| {
        let body = common::seal_under(k, &header.to_bytes(), b"forged details", b"request-1");
        hex::encode(BgwCiphertext { header, body }.to_bytes())
    };
    let one = common::one();
    let r = Fr::from(0x5eedu64);
    let rerandomised = BgwHeader {
        epoch: honest.epoch,
        c0: (G1Projective::from(honest.c0) * r).into_affine(),
        c1: (G1Projective::from(honest.c1) * r).into_affine(),
    };
    let u = Fr::from(77u64);
    let shifted = BgwHeader {
        epoch: honest.epoch,
        c0: honest.c0,
        c1: (G1Projective::from(honest.c1) + G1Projective::generator() * u).into_affine(),
    };
    let public = Bls12_381::pairing(G1Projective::generator(), common::public_g(pp, 2)) * u;
    json!([
        {"case": "non-member, honest header, body sealed under the GT identity",
         "index": 2, "s": [1, 5, 8, 13], "ciphertext": forge(honest.clone(), &one)},
        {"case": "non-member, header re-randomised by r, body under the GT identity",
         "index": 2, "s": [1, 5, 8, 13], "ciphertext": forge(rerandomised, &one)},
        {"case": "claimed superset S + {2}, honest header, body under the GT identity",
         "index": 2, "s": [1, 2, 5, 8, 13], "ciphertext": forge(honest.clone(), &one)},
        {"case": "claimed superset S + {2}, C1 + uP, body under the public e(P, g_2)^u",
         "index": 2, "s": [1, 2, 5, 8, 13], "ciphertext": forge(shifted, &public)},
    ])
}

#[test]
fn bgw_golden_vectors_are_reproduced_and_decrypt_for_s_only() {
    use bithive_dgkbe::bgw::{BgwCiphertext, BgwPublicParams, BgwUserKey};
    let fresh = generate_bgw();
    if std::env::var_os("DGKBE_WRITE_GOLDEN").is_some() {
        std::fs::write(
            BGW_PATH,
            serde_json::to_string_pretty(&fresh).unwrap() + "\n",
        )
        .unwrap();
    }
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(BGW_PATH).expect("bgw_golden.json committed"),
    )
    .unwrap();
    assert_eq!(committed, fresh);

    // Decrypt from the committed bytes alone.
    let h = |k: &str| hex::decode(committed[k].as_str().unwrap()).unwrap();
    let pp = BgwPublicParams::from_bytes(&h("public_params")).unwrap();
    let ct = BgwCiphertext::from_bytes(&h("ciphertext")).unwrap();
    let s: RoaringBitmap = committed["s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let mut decrypts = vec![];
    let mut fails = vec![];
    for k in committed["keys"].as_array().unwrap() {
        let bytes = hex::decode(k["key"].as_str().unwrap()).unwrap();
        let mut key = BgwUserKey::from_bytes(&bytes).unwrap();
        assert_eq!(key.to_bytes().to_vec(), bytes);
        match key.decrypt(&pp, &s, &ct, b"request-1") {
            Ok((pt, _)) => {
                assert_eq!(pt, b"golden request details");
                decrypts.push(json!(key.index()));
            }
            Err(e) => {
                assert_eq!(e, bithive_dgkbe::DgkbeError::Authentication);
                fails.push(json!(key.index()));
            }
        }
    }
    assert_eq!(json!(decrypts), committed["decrypts"]);
    assert_eq!(json!(fails), committed["fails"]);
    for f in committed["forgeries"].as_array().unwrap() {
        let key = committed["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["index"] == f["index"])
            .unwrap();
        let mut key =
            BgwUserKey::from_bytes(&hex::decode(key["key"].as_str().unwrap()).unwrap()).unwrap();
        let s: RoaringBitmap = f["s"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let ct =
            BgwCiphertext::from_bytes(&hex::decode(f["ciphertext"].as_str().unwrap()).unwrap())
                .unwrap();
        assert_eq!(
            key.decrypt(&pp, &s, &ct, b"request-1").map(|r| r.0),
            Err(bithive_dgkbe::DgkbeError::Authentication),
            "{}",
            f["case"]
        );
    }
    assert_eq!(pp.to_bytes(), h("public_params"));
}
