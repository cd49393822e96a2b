//! Host tests of the logic the wasm bindings expose. The same golden vectors are checked again in
//! Node against the built .wasm (scripts/test.d/browser-package.sh).

use bithive_browser::logic::{self, LshParams, OprfBatch};
use bithive_matching::client::BlindingService;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

/// A golden vector file of the dgkbe package (`packages/dgkbe/tests/vectors/NAME`).
fn vectors(name: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../packages/dgkbe/tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn golden() -> Value {
    vectors("golden.json")
}

fn bgw_golden() -> Value {
    vectors("bgw_golden.json")
}

fn h(g: &Value, k: &str) -> Vec<u8> {
    hex::decode(g[k].as_str().unwrap()).unwrap()
}

/// The recipient set `s` of a vector: user indexes.
fn set_of(g: &Value) -> Vec<u32> {
    g["s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn bgw_golden_ciphertext_decrypts_for_s_only() {
    let g = bgw_golden();
    let (pp, ct) = (h(&g, "public_params"), h(&g, "ciphertext"));
    let s = set_of(&g);
    for k in g["keys"].as_array().unwrap() {
        let key = h(k, "key");
        let got = logic::decrypt(&key, &pp, &s, &ct, b"request-1");
        if g["decrypts"].as_array().unwrap().contains(&k["index"]) {
            assert_eq!(got.unwrap(), b"golden request details");
        } else {
            assert!(got.unwrap_err().contains("decryption failed"));
        }
    }
    let member = key_of(&g, 5);
    assert!(logic::decrypt(&member, &pp, &s, &ct, b"request-2").is_err());
    assert!(logic::decrypt(&member, &pp, &s[1..], &ct, b"request-1").is_err());
    assert!(logic::decrypt(&member, &pp, &s, &ct[..100], b"request-1").is_err());
    assert!(logic::decrypt(&member, &pp[..200], &s, &ct, b"request-1").is_err());
    let mut tampered = ct.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(logic::decrypt(&member, &pp, &s, &tampered, b"request-1").is_err());
}

/// The keyless attacker's ciphertexts of the golden file (#20): each is aimed at user 2 (not in
/// S) with a body sealed under a key anyone can compute; the browser package must refuse all.
#[test]
fn bgw_golden_forgeries_are_refused() {
    let g = bgw_golden();
    let pp = h(&g, "public_params");
    let forgeries = g["forgeries"].as_array().unwrap();
    assert_eq!(forgeries.len(), 4);
    for f in forgeries {
        let s = set_of(f);
        let key = key_of(&g, f["index"].as_u64().unwrap());
        let got = logic::decrypt(&key, &pp, &s, &h(f, "ciphertext"), b"request-1");
        assert!(
            got.as_ref().is_err_and(|e| e.contains("decryption failed")),
            "{}: {got:?}",
            f["case"]
        );
    }
}

fn key_of(g: &Value, index: u64) -> Vec<u8> {
    let k = g["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["index"] == index)
        .unwrap();
    h(k, "key")
}

/// The seed algebra (every S0 member opens, keyless forgery outside S0) is no longer in the
/// browser package: a seed ciphertext is refused by version, as are version-2 public parameters
/// (no v, so no header check). This replaces the test that recorded seed decryption.
#[test]
fn seed_ciphertexts_and_old_parameters_are_refused() {
    let seed = golden();
    let g = bgw_golden();
    let s = set_of(&g);
    let (pp, member) = (h(&g, "public_params"), key_of(&g, 5));
    let got = logic::decrypt(&member, &pp, &s, &h(&seed, "ciphertext"), b"request-1");
    assert!(got
        .unwrap_err()
        .contains("unsupported BGW ciphertext version 1"));
    let mut old = pp.clone();
    old[0] = 2;
    let got = logic::decrypt(&member, &old, &s, &h(&g, "ciphertext"), b"request-1");
    assert!(got
        .unwrap_err()
        .contains("unsupported BGW public parameter version 2"));
}

#[test]
fn oprf_round_matches_the_service_direct_evaluation() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let svc = BlindingService::new(&mut rng);
    let lsh = LshParams {
        seed: 5,
        dim: 4,
        bands: 3,
        rows: 4,
    };
    let tokens = logic::profile_tokens(
        &["cond=C03".into(), "age=40s".into()],
        &[0.1, -0.2, 0.3, 0.9],
        &lsh,
    )
    .unwrap();
    assert_eq!(tokens.len(), 5);
    assert!(tokens[2].starts_with("lsh/0/"));
    let batch = OprfBatch::new(&tokens, &mut logic::os_rng().unwrap());
    let wire: Vec<[u8; 32]> = batch
        .request()
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect();
    let answers: Vec<String> = svc
        .evaluate(&wire)
        .unwrap()
        .iter()
        .map(hex::encode)
        .collect();
    let out = batch.finish(&answers).unwrap();
    for (t, o) in tokens.iter().zip(&out) {
        assert_eq!(*o, hex::encode(svc.evaluate_token(t)));
    }
    assert!(logic::profile_tokens(&[], &[0.1], &lsh).is_err());
    let b2 = OprfBatch::new(&tokens, &mut logic::os_rng().unwrap());
    assert!(b2.finish(&answers[..1]).is_err());
}

#[test]
fn hash_to_group_is_pinned() {
    // The Node test checks the same value from the .wasm build.
    assert_eq!(
        logic::hash_token_hex("cond=C03"),
        include_str!("node/hash_cond_C03.txt").trim()
    );
}

#[test]
fn golden_commitment_is_pinned() {
    let g = golden();
    let ct = h(&g, "ciphertext");
    let s = set_of(&g);
    let want = include_str!("node/golden_commitment.txt").trim();
    assert!(logic::verify_commitment(1, &s, &ct, want).unwrap());
}

#[test]
fn commitments_and_messages() {
    use bithive_matching::output::commitment;
    let set: bithive_dgkbe::RoaringBitmap = [3u32, 9, 12].into_iter().collect();
    let c = hex::encode(commitment(7, &set, b"ct"));
    assert!(logic::verify_commitment(7, &[3, 9, 12], b"ct", &c).unwrap());
    assert!(!logic::verify_commitment(7, &[3, 9], b"ct", &c).unwrap());
    assert!(!logic::verify_commitment(8, &[3, 9, 12], b"ct", &c).unwrap());
    assert!(logic::verify_commitment(7, &[3, 3], b"ct", &c).is_err());

    let msg = logic::accept_request_msg(7, &c.to_uppercase()).unwrap();
    let v: Value = serde_json::from_str(&msg).unwrap();
    assert_eq!(v["accept_request"]["request_id"], 7);
    assert_eq!(v["accept_request"]["commitment"], c);
    assert!(logic::accept_request_msg(7, "abcd").is_err());
    let tag = logic::hash_token_hex("x");
    let msg = logic::submit_profile_msg(4, 1, vec![tag.clone()]).unwrap();
    let v: Value = serde_json::from_str(&msg).unwrap();
    assert_eq!(v["submit_profile"]["tags"][0], tag);
    assert!(logic::submit_profile_msg(4, 1, vec!["zz".into()]).is_err());
    assert!((logic::distance(&[1.0, 0.0], &[1.0, 0.0]).unwrap()).abs() < 1e-6);
    assert!(logic::distance(&[1.0], &[1.0, 0.0]).is_err());
}
