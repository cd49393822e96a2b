//! The blinded pipeline returns exactly what a plaintext evaluation of the same criteria returns,
//! and recipients can open and check what was sent to them.

use std::collections::BTreeSet;

use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::lsh::{cosine_distance, SimHash};
use bithive_matching::node::{MatchingNode, RequestSubmission};
use bithive_matching::output::{
    commitment, match_commitment, open_output, seal_output, verify_output,
};
use bithive_matching::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A match's secret salt (the node's notice carries it; any value for these tests).
const SALT: [u8; 32] = [0x5a; 32];

const N: u32 = 400;

/// Plaintext reference: AND of OR clauses on attributes, then >= min_bands equal band values.
fn plaintext_match(spec: &RequestSpec, users: &[UserProfile], lsh: &SimHash) -> BTreeSet<u32> {
    let req_bands = spec.embedding.as_ref().map(|e| lsh.band_values(e).unwrap());
    users
        .iter()
        .filter(|u| {
            spec.clauses
                .iter()
                .all(|c| c.iter().any(|t| u.attributes.contains(t)))
        })
        .filter(|u| match &req_bands {
            None => true,
            Some(rb) => {
                let ub = lsh.band_values(&u.embedding).unwrap();
                let hits = rb.iter().zip(&ub).filter(|(a, b)| a == b).count();
                hits >= spec.min_bands as usize
            }
        })
        .map(|u| u.user)
        .collect()
}

/// A test's LSH, blinding service and (empty) matching node, keyed from `rng`, and the `N`
/// synthetic users.
fn deployment(rng: &mut ChaCha20Rng) -> (SimHash, BlindingService, MatchingNode, Vec<UserProfile>) {
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(rng);
    let node = MatchingNode::new(rng);
    (lsh, service, node, sim::population(N, 3))
}

/// [`deployment`] with every user's profile already ingested by the node (epoch 1).
fn enrolled_deployment(
    rng: &mut ChaCha20Rng,
) -> (SimHash, BlindingService, MatchingNode, Vec<UserProfile>) {
    let (lsh, service, mut node, users) = deployment(rng);
    node.ingest(&client::user_submissions(&users, &lsh, &service, 1).unwrap())
        .unwrap();
    (lsh, service, node, users)
}

/// The blinded submissions of `specs`, as their requesters make them.
fn blinded(
    specs: &[RequestSpec],
    lsh: &SimHash,
    service: &BlindingService,
    rng: &mut ChaCha20Rng,
) -> Vec<RequestSubmission> {
    specs
        .iter()
        .map(|s| client::request_submission(s, lsh, service, rng).unwrap())
        .collect()
}

#[test]
fn blinded_join_equals_plaintext_evaluation() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (lsh, service, mut node, users) = deployment(&mut rng);
    // Two ingest batches: the index grows incrementally.
    let subs = client::user_submissions(&users, &lsh, &service, 9).unwrap();
    node.ingest(&subs[..150]).unwrap();
    node.ingest(&subs[150..]).unwrap();
    assert_eq!(node.users().len(), u64::from(N));

    let specs: Vec<RequestSpec> = (1..=12).map(|i| sim::request(i, 4)).collect();
    let reqs = blinded(&specs, &lsh, &service, &mut rng);
    let results = node.match_requests(&reqs).unwrap();
    let mut nonempty = 0;
    for (spec, (id, got)) in specs.iter().zip(&results) {
        assert_eq!(*id, spec.id);
        let want = plaintext_match(spec, &users, &lsh);
        assert_eq!(got.iter().collect::<BTreeSet<_>>(), want, "request {id}");
        nonempty += usize::from(!want.is_empty());
    }
    // The synthetic requests are not all trivially empty.
    assert!(nonempty >= 3, "only {nonempty} requests matched anyone");

    // Exact-only and fuzzy-only requests.
    let mut exact_only = specs[0].clone();
    exact_only.embedding = None;
    let mut fuzzy_only = specs[1].clone();
    fuzzy_only.clauses.clear();
    for spec in [exact_only, fuzzy_only] {
        let r = client::request_submission(&spec, &lsh, &service, &mut rng).unwrap();
        let got = &node.match_requests(&[r]).unwrap()[0].1;
        assert_eq!(
            got.iter().collect::<BTreeSet<_>>(),
            plaintext_match(&spec, &users, &lsh)
        );
    }
}

#[test]
fn lsh_bands_agree_more_for_near_embeddings() {
    let lsh = SimHash::new(1, sim::DIM, 16, 6);
    let a = sim::profile(1, 0).embedding;
    let near: Vec<f32> = a.iter().map(|x| x * 1.01 + 0.01).collect();
    let far: Vec<f32> = a.iter().map(|x| -x).collect();
    let hits = |x: &[f32], y: &[f32]| {
        let (bx, by) = (lsh.band_values(x).unwrap(), lsh.band_values(y).unwrap());
        bx.iter().zip(&by).filter(|(p, q)| p == q).count()
    };
    assert_eq!(hits(&a, &a), 16);
    assert!(hits(&a, &near) >= 12);
    assert_eq!(hits(&a, &far), 0);
    assert!(cosine_distance(&a, &near) < 0.01);
    assert!(lsh.band_values(&a[..5]).is_err());
}

#[test]
fn recipients_decrypt_verify_distance_and_commitment() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let (lsh, service, node, users) = enrolled_deployment(&mut rng);
    let s0: RoaringBitmap = (1..=N).collect();
    let authority = ServerSecret::setup(N, &s0, 0, &mut rng).unwrap();

    let spec = (1..=40)
        .map(|i| sim::request(i, 4))
        .find(|s| {
            let r =
                client::request_submission(s, &lsh, &service, &mut ChaCha20Rng::seed_from_u64(1))
                    .unwrap();
            node.match_requests(&[r]).unwrap()[0].1.len() >= 2
        })
        .expect("some synthetic request matches two users");
    let req = client::request_submission(&spec, &lsh, &service, &mut rng).unwrap();
    let s_i = node.match_requests(&[req]).unwrap().remove(0).1;
    let details = format!(
        "{:?}|{}",
        spec.embedding.as_ref().unwrap(),
        spec.max_distance
    );
    // Public parameters, the encryption key and user keys travel as bytes; the requester
    // encrypts with the published key (the authority never sees the details).
    let pp = BgwPublicParams::from_bytes(&authority.bgw_public_params().to_bytes()).unwrap();
    let ek = BgwEncryptionKey::from_bytes(&authority.bgw_encryption_key().to_bytes()).unwrap();
    ek.verify(&pp, &mut rng).unwrap();
    let out = seal_output(
        &ek,
        &pp,
        spec.id,
        SALT,
        s_i.clone(),
        details.as_bytes(),
        &mut rng,
    )
    .unwrap();
    assert!(verify_output(&out, &match_commitment(spec.id, &SALT, &s_i)));

    for u in s_i.iter() {
        let mut key =
            BgwUserKey::from_bytes(&authority.bgw_extract(u).unwrap().to_bytes()).unwrap();
        let pt = open_output(&out, &mut key, &pp).unwrap();
        assert_eq!(pt, details.as_bytes());
        // The recipient checks the exact distance locally; candidates may fail it (LSH is a filter).
        let d = cosine_distance(
            &users[(u - 1) as usize].embedding,
            spec.embedding.as_ref().unwrap(),
        );
        assert!(d.is_finite());
    }

    // Any change to S_i or the ciphertext changes the commitment.
    let mut other = s_i.clone();
    other.insert(s_i.max().unwrap() % N + 1);
    other.remove(s_i.min().unwrap());
    assert_ne!(
        commitment(spec.id, &SALT, &other, &out.ciphertext),
        out.commitment
    );
    let mut ct = out.ciphertext.clone();
    ct[20] ^= 1;
    assert_ne!(commitment(spec.id, &SALT, &s_i, &ct), out.commitment);
    assert_ne!(
        commitment(spec.id + 1, &SALT, &s_i, &out.ciphertext),
        out.commitment
    );
}

#[test]
fn sealed_outputs_open_only_for_s_i() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let (lsh, service, node, _) = enrolled_deployment(&mut rng);
    let authority = ServerSecret::setup(N, &(1..=N).collect(), 0, &mut rng).unwrap();
    let pp = authority.bgw_public_params();
    let specs: Vec<RequestSpec> = (1..=12).map(|i| sim::request(i, 4)).collect();
    let reqs = blinded(&specs, &lsh, &service, &mut rng);
    let (id, s_i) = node
        .match_requests(&reqs)
        .unwrap()
        .into_iter()
        .find(|(_, s)| !s.is_empty())
        .unwrap();
    let ek = authority.bgw_encryption_key();
    let out = seal_output(&ek, &pp, id, SALT, s_i.clone(), b"details", &mut rng).unwrap();
    assert!(verify_output(&out, &match_commitment(id, &SALT, &s_i)));
    // The match commitment binds S_i: another set does not verify.
    let mut wider = out.clone();
    wider.recipients.insert(N);
    wider.recipients.insert(1);
    assert!(wider.recipients != s_i && !verify_output(&wider, &match_commitment(id, &SALT, &s_i)));
    // Every recipient, and the first 24 users (mostly non-recipients, all in S0).
    let mut who: Vec<u32> = s_i.iter().collect();
    who.extend(1..=24);
    for u in who {
        let mut key = authority.bgw_extract(u).unwrap();
        let got = open_output(&out, &mut key, &pp);
        match got {
            Ok(pt) => assert!(s_i.contains(u) && pt == b"details", "user {u}"),
            Err(e) => assert!(
                !s_i.contains(u) && e == bithive_dgkbe::DgkbeError::Authentication,
                "user {u}: {e}"
            ),
        }
    }
}

fn pubkey(k: &k256::ecdsa::SigningKey) -> [u8; 33] {
    k.verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .try_into()
        .unwrap()
}

#[test]
fn the_researchers_signature_binds_chain_job_set_and_ciphertext() {
    use bithive_matching::output::{sign_delivery, verify_delivery};
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let authority = ServerSecret::setup(N, &(1..=N).collect(), 0, &mut rng).unwrap();
    let pp = authority.bgw_public_params();
    let ek = authority.bgw_encryption_key();
    let s_i: RoaringBitmap = [2u32, 9].into_iter().collect();
    let out = seal_output(&ek, &pp, 5, SALT, s_i, b"details", &mut rng).unwrap();
    let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let signer = pubkey(&key);
    let sig = sign_delivery(&key, "chain-1", "payer/job-1", &out).unwrap();
    verify_delivery(&signer, &sig, "chain-1", "payer/job-1", &out).unwrap();
    // Another chain, another job, another ciphertext or set, another key: refused.
    assert!(verify_delivery(&signer, &sig, "chain-2", "payer/job-1", &out).is_err());
    assert!(verify_delivery(&signer, &sig, "chain-1", "payer/job-2", &out).is_err());
    let mut ct = out.clone();
    ct.ciphertext[110] ^= 1;
    assert!(verify_delivery(&signer, &sig, "chain-1", "payer/job-1", &ct).is_err());
    let mut set = out.clone();
    set.recipients.insert(3);
    assert!(verify_delivery(&signer, &sig, "chain-1", "payer/job-1", &set).is_err());
    let other = k256::ecdsa::SigningKey::from_slice(&[8u8; 32]).unwrap();
    let other_pk = pubkey(&other);
    assert!(verify_delivery(&other_pk, &sig, "chain-1", "payer/job-1", &out).is_err());
    assert!(verify_delivery(&[0u8; 33], &sig, "chain-1", "payer/job-1", &out).is_err());
}
