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
fn a_match_is_checked_with_its_salt() {
    use bithive_matching::output::match_commitment;
    let set: bithive_dgkbe::RoaringBitmap = [3u32, 9, 12].into_iter().collect();
    let salt = hex::encode([6u8; 32]);
    let c = hex::encode(match_commitment(7, &[6; 32], &set));
    assert!(logic::verify_match(7, &salt, &[3, 9, 12], &c).unwrap());
    assert!(logic::verify_match(7, &salt, &[12, 3, 9], &c.to_uppercase()).unwrap());
    assert!(!logic::verify_match(7, &salt, &[3, 9], &c).unwrap());
    assert!(!logic::verify_match(8, &salt, &[3, 9, 12], &c).unwrap());
    assert!(!logic::verify_match(7, &hex::encode([0u8; 32]), &[3, 9, 12], &c).unwrap());
    assert!(logic::verify_match(7, &salt, &[3, 3], &c).is_err());
    assert!(logic::verify_match(7, "00", &[3], &c).is_err());
    // The Node test checks the same value from the .wasm build.
    assert_eq!(c, include_str!("node/match_commitment.txt").trim());
}

/// The browser's recipient does what the CLI's does: S_i and salt against the chain, the
/// signature against the job's payer, then the key.
#[test]
fn a_delivery_opens_only_for_a_recipient_after_the_chain_and_payer_checks() {
    use bithive_matching::admission::account_address;
    use bithive_matching::authority::KeyAuthoritySecret;
    use bithive_matching::output::{match_commitment, seal_output, sign_delivery};
    use bithive_matching::wire::SignedDelivery;
    use rand_chacha::rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let authority = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(16, &(1..=16).collect(), 0)
        .unwrap();
    let (pp, ek) = (authority.public_params(), authority.encryption_key());
    let s_i: bithive_dgkbe::RoaringBitmap = [2u32, 5, 9].into_iter().collect();
    let salt = [4u8; 32];
    let onchain = hex::encode(match_commitment(3, &salt, &s_i));
    // The job is the payer's (`payer/research-1`); `signer` signs a delivery naming `job`.
    let key_of = |k: u8| k256::ecdsa::SigningKey::from_slice(&[k; 32]).unwrap();
    let address_of = |k: u8| {
        let pk = key_of(k).verifying_key().to_encoded_point(true);
        account_address("bithive", pk.as_bytes()).unwrap()
    };
    let payer = address_of(0x21);
    let job = format!("{payer}/research-1");
    let signed_by = |k: u8, chain: &str, job: &str, out: &bithive_matching::output::MatchOutput| {
        let key = key_of(k);
        let pk: [u8; 33] = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .try_into()
            .unwrap();
        SignedDelivery {
            signature: sign_delivery(&key, chain, job, out).unwrap(),
            escrow_job_id: job.into(),
            signer: pk,
            output: out.clone(),
        }
        .to_bytes()
        .unwrap()
    };
    let out = seal_output(&ek, &pp, 3, salt, s_i.clone(), b"details", &mut rng).unwrap();
    let bytes = signed_by(0x21, "chain-1", &job, &out);
    let pp_bytes = pp.to_bytes();
    let key = |u: u32| authority.user_key(u).unwrap().to_bytes();
    let open = |k: &[u8], b: &[u8], chain: &str, job: &str, hash: &str, payer: &str| {
        logic::open_delivery(k, &pp_bytes, b, chain, job, hash, payer)
    };
    assert_eq!(logic::delivery_job(&bytes).unwrap(), job);
    assert_eq!(
        open(&key(2), &bytes, "chain-1", &job, &onchain, &payer).unwrap(),
        b"details"
    );
    // Not a recipient; not the attested set or salt; another chain; not the payer's signature;
    // a delivery naming another job than the one whose attestation and payer were read.
    assert!(open(&key(3), &bytes, "chain-1", &job, &onchain, &payer).is_err());
    let other = hex::encode(match_commitment(3, &[0; 32], &s_i));
    let e = open(&key(2), &bytes, "chain-1", &job, &other, &payer).unwrap_err();
    assert!(e.contains("not the one attested"), "{e}");
    let e = open(&key(2), &bytes, "chain-2", &job, &onchain, &payer).unwrap_err();
    assert!(e.contains("signature"), "{e}");
    let by_node = signed_by(0x22, "chain-1", &job, &out);
    let e = open(&key(2), &by_node, "chain-1", &job, &onchain, &payer).unwrap_err();
    assert!(e.contains("not by the escrow job's payer"), "{e}");
    // An insider of this match who paid another job signs a delivery naming its own job.
    let insider = address_of(0x23);
    let insider_job = format!("{insider}/research-9");
    let foreign = signed_by(0x23, "chain-1", &insider_job, &out);
    let e = open(&key(2), &foreign, "chain-1", &job, &onchain, &payer).unwrap_err();
    assert!(e.contains("names job"), "{e}");
    assert!(open(&key(2), &bytes[..40], "chain-1", &job, &onchain, &payer).is_err());
}

#[test]
fn contract_messages() {
    let c = hex::encode([0x5cu8; 32]);
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
