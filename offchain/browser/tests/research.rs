//! The browser's research request (`logic::ResearchBatch`) is what the matching node opens and
//! understands: the same clause tags as `bithive`'s `client::request_submission`, sealed to the
//! node's Noise key under `wire::request_header`, and matched to exactly the users that satisfy
//! the clauses. The Node and Chromium tests check the same API's shapes on the built .wasm.

use std::collections::BTreeSet;

use bithive_browser::logic::{self, ResearchBatch, MAX_REQUEST_TOKENS};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::MatchingNode;
use bithive_matching::wire::{request_header, ResearchRequest, MAX_CLAUSES};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const CHAIN: &str = "bithive-test-1";
/// The secp256k1 generator, compressed: a valid account key.
const ACCOUNT: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

fn clauses(c: &[&[&str]]) -> Vec<Vec<String>> {
    c.iter()
        .map(|c| c.iter().map(|t| t.to_string()).collect())
        .collect()
}

fn criteria() -> Vec<Vec<String>> {
    clauses(&[
        &["cond=C03"],
        &["age=40s", "age=50s"],
        &["consent=research"],
    ])
}

/// What the blinding service answers to the batch's request (hex in, hex out, as over HTTP).
fn answer(svc: &BlindingService, request: &[String]) -> Vec<String> {
    let wire: Vec<[u8; 32]> = request
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect();
    svc.evaluate(&wire)
        .unwrap()
        .iter()
        .map(hex::encode)
        .collect()
}

struct NodeKey {
    private: bithive_bitchat_seal::Zeroizing<[u8; 32]>,
    public: [u8; 32],
}

fn node_key() -> NodeKey {
    let private = bithive_bitchat_seal::generate_private_key().unwrap();
    let public = bithive_bitchat_seal::public_key(private.as_ref()).unwrap();
    NodeKey { private, public }
}

/// What the relayer's matching worker does with the escrow job's input.
fn open(node: &NodeKey, sealed: &[u8]) -> ([u8; 32], ResearchRequest) {
    let (sender, plain) =
        bithive_bitchat_seal::open(node.private.as_ref(), &request_header(CHAIN), sealed).unwrap();
    (sender, ResearchRequest::from_bytes(&plain).unwrap())
}

/// Blind, answer and seal one request in the browser's way.
fn browser_request(
    id: u64,
    c: &[Vec<String>],
    svc: &BlindingService,
    node: &NodeKey,
) -> (Vec<u8>, String) {
    let mut b = ResearchBatch::new(id, c, &mut logic::os_rng().unwrap()).unwrap();
    let answers = answer(svc, &b.request().unwrap());
    let account = hex::decode(ACCOUNT).unwrap();
    let sealed = b
        .seal(&answers, &account, &hex::encode(node.public), CHAIN)
        .unwrap();
    (sealed, b.noise_public())
}

#[test]
fn sealed_request_opens_to_what_the_cli_builds() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let svc = BlindingService::new(&mut rng);
    let node = node_key();
    let c = criteria();
    let mut b = ResearchBatch::new(77, &c, &mut logic::os_rng().unwrap()).unwrap();
    let request = b.request().unwrap();
    assert_eq!(request.len(), 4);
    assert!(request
        .iter()
        .all(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit())));
    let noise = b.noise_public();
    assert_eq!(noise.len(), 64);
    let account = hex::decode(ACCOUNT).unwrap();
    let sealed = b
        .seal(
            &answer(&svc, &request),
            &account,
            &hex::encode(node.public),
            CHAIN,
        )
        .unwrap();

    let (sender, got) = open(&node, &sealed);
    // The Noise sender is the researcher's fresh key, the one the notice goes to.
    assert_eq!(hex::encode(sender), noise);
    assert_eq!(hex::encode(got.reply_to.noise_pubkey), noise);
    assert_eq!(got.reply_to.account_pubkey.to_vec(), account);
    assert_eq!(got.reply_to.addr, None);
    let spec = RequestSpec {
        id: 77,
        clauses: c,
        embedding: None,
        min_bands: 0,
        max_distance: 0.0,
    };
    let lsh = SimHash::new(5, 4, 3, 4);
    let want = client::request_submission(&spec, &lsh, &svc, &mut rng).unwrap();
    assert_eq!(got.submission, want);
    // Byte for byte the encoding `bithive` seals (only the keys and Noise randomness differ).
    assert_eq!(
        got.to_bytes().unwrap(),
        ResearchRequest {
            submission: want,
            reply_to: got.reply_to.clone()
        }
        .to_bytes()
        .unwrap()
    );
    assert_eq!(
        sealed.len(),
        got.to_bytes().unwrap().len() + bithive_bitchat_seal::OVERHEAD
    );

    // Bound to the chain and to the node's key.
    assert!(bithive_bitchat_seal::open(
        node.private.as_ref(),
        &request_header("other-chain"),
        &sealed
    )
    .is_err());
    let other = node_key();
    assert!(
        bithive_bitchat_seal::open(other.private.as_ref(), &request_header(CHAIN), &sealed)
            .is_err()
    );

    // Spent: a second seal and a second request are refused.
    let again = b.seal(
        &answer(&svc, &request),
        &account,
        &hex::encode(node.public),
        CHAIN,
    );
    assert_eq!(again.unwrap_err(), "request already sealed");
    assert!(b.request().is_err());
    // The Noise key stays readable (the researcher still waits for the notice).
    assert_eq!(b.noise_public(), noise);
}

#[test]
fn each_request_has_its_own_blinding_and_noise_key() {
    let mut rng = logic::os_rng().unwrap();
    let a = ResearchBatch::new(1, &criteria(), &mut rng).unwrap();
    let b = ResearchBatch::new(1, &criteria(), &mut rng).unwrap();
    assert_ne!(a.request().unwrap(), b.request().unwrap());
    assert_ne!(a.noise_public(), b.noise_public());
}

#[test]
fn bad_criteria_are_refused() {
    let mut rng = logic::os_rng().unwrap();
    let mut new = |c: Vec<Vec<String>>| ResearchBatch::new(1, &c, &mut rng).err().unwrap();
    assert!(new(vec![]).contains("at least one clause"));
    assert!(new(clauses(&[&["cond=C03"], &[]])).contains("clause 1 is empty"));
    let many: Vec<Vec<String>> = (0..=MAX_CLAUSES).map(|i| vec![format!("f={i}")]).collect();
    assert!(new(many).contains("clauses: at most 64"));
    let wide: Vec<Vec<String>> = (0..4)
        .map(|k| (0..65).map(|i| format!("f{k}={i}")).collect())
        .collect();
    const { assert!(4 * 65 > MAX_REQUEST_TOKENS) };
    assert!(new(wide).contains("260 tokens: at most 256"));
    assert!(new(clauses(&[&["cond=C03", "cond=C03"]])).contains("appears twice"));
    for bad in ["", "cond", "=C03", "cond=", "cond=C\u{e9}", "cond=C\n"] {
        let e = new(clauses(&[&["age=40s"], &[bad]]));
        assert!(e.starts_with("clause 1, token 0:"), "{bad:?}: {e}");
    }
    let long = format!("f={}", "x".repeat(63));
    assert!(new(vec![vec![long]]).contains("1 to 64 characters"));
    // The bounds themselves are accepted.
    let ok = format!("f={}", "x".repeat(62));
    assert!(ResearchBatch::new(1, &[vec![ok]], &mut rng).is_ok());
    let full: Vec<Vec<String>> = (0..4)
        .map(|k| (0..64).map(|i| format!("f{k}={i}")).collect())
        .collect();
    assert_eq!(
        ResearchBatch::new(1, &full, &mut rng)
            .unwrap()
            .request()
            .unwrap()
            .len(),
        256
    );
}

#[test]
fn bad_seal_inputs_are_refused_and_keep_the_batch() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let svc = BlindingService::new(&mut rng);
    let node = node_key();
    let node_hex = hex::encode(node.public);
    let account = hex::decode(ACCOUNT).unwrap();
    let mut b = ResearchBatch::new(5, &criteria(), &mut logic::os_rng().unwrap()).unwrap();
    let answers = answer(&svc, &b.request().unwrap());

    let e = b
        .seal(&answers[..3], &account, &node_hex, CHAIN)
        .unwrap_err();
    assert_eq!(e, "expected 4 answers, got 3");
    let mut bad = answers.clone();
    bad[2] = "zz".into();
    assert!(b
        .seal(&bad, &account, &node_hex, CHAIN)
        .unwrap_err()
        .starts_with("answer 2: bad hex"));
    bad[2] = "00".repeat(31);
    assert_eq!(
        b.seal(&bad, &account, &node_hex, CHAIN).unwrap_err(),
        "answer 2: expected 32 bytes"
    );
    bad[2] = "ff".repeat(32);
    assert_eq!(
        b.seal(&bad, &account, &node_hex, CHAIN).unwrap_err(),
        "answer 2: not a group element"
    );
    assert!(b
        .seal(&answers, &account[..32], &node_hex, CHAIN)
        .unwrap_err()
        .contains("expected 33 bytes"));
    let mut uncompressed = account.clone();
    uncompressed[0] = 4;
    assert!(b
        .seal(&answers, &uncompressed, &node_hex, CHAIN)
        .unwrap_err()
        .contains("not a compressed secp256k1 key"));
    assert!(b
        .seal(&answers, &account, &node_hex[..62], CHAIN)
        .unwrap_err()
        .starts_with("node Noise key:"));
    assert!(b
        .seal(&answers, &account, "xy", CHAIN)
        .unwrap_err()
        .starts_with("node Noise key: bad hex"));
    assert_eq!(
        b.seal(&answers, &account, &node_hex, "").unwrap_err(),
        "empty chain id"
    );

    // None of that spent the batch: the correct call still seals what the node opens.
    let sealed = b.seal(&answers, &account, &node_hex, CHAIN).unwrap();
    assert_eq!(open(&node, &sealed).1.submission.id, 5);
    assert!(b.seal(&answers, &account, &node_hex, CHAIN).is_err());
}

#[test]
fn the_node_matches_the_browser_request_to_the_users_that_satisfy_it() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let lsh = SimHash::new(5, 4, 3, 4);
    let svc = BlindingService::new(&mut rng);
    let mut node = MatchingNode::new(&mut rng);
    let people: [(u32, &[&str]); 7] = [
        (1, &["cond=C03", "age=40s", "consent=research"]),
        (2, &["cond=C03", "age=50s", "consent=research", "sex=F"]),
        (3, &["cond=C03", "age=60s", "consent=research"]),
        (4, &["cond=C04", "age=40s", "consent=research"]),
        (5, &["cond=C03", "age=40s"]),
        (6, &["age=50s", "consent=research"]),
        (7, &["cond=C03", "cond=C04", "age=50s", "consent=research"]),
    ];
    let users: Vec<UserProfile> = people
        .iter()
        .map(|(user, attrs)| UserProfile {
            user: *user,
            attributes: attrs.iter().map(|a| a.to_string()).collect(),
            embedding: vec![0.1 * *user as f32, -0.2, 0.3, 0.9],
        })
        .collect();
    node.ingest(&client::user_submissions(&users, &lsh, &svc, 9).unwrap())
        .unwrap();

    let key = node_key();
    for (id, c, want) in [
        (1u64, criteria(), vec![1u32, 2, 7]),
        (2, clauses(&[&["cond=C04"]]), vec![4, 7]),
        (
            3,
            clauses(&[&["age=60s", "sex=F"], &["cond=C03"]]),
            vec![2, 3],
        ),
        (4, clauses(&[&["cond=C99"]]), vec![]),
    ] {
        let (sealed, _) = browser_request(id, &c, &svc, &key);
        // The matching worker's `compute`: open, parse, match.
        let (_, req) = open(&key, &sealed);
        let (got_id, s_i) = node
            .match_requests(std::slice::from_ref(&req.submission))
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(got_id, id);
        assert_eq!(
            s_i.iter().collect::<BTreeSet<_>>(),
            want.into_iter().collect::<BTreeSet<_>>(),
            "request {id}"
        );
    }
}
