//! The matching worker in the relayer pipeline, on the devnet with the real contracts, with the roles of
//! offchain/matching/docs/ROLES.md apart: a research request (blinded criteria only) sealed to
//! the relayer is matched and attested (naming the attestation contract, payload bound); S_i
//! goes to the researcher over BitChat; the researcher encrypts its details to S_i with the key
//! authority's published key and signs; the relayer forwards only that delivery to the online
//! recipient, who checks it against the chain and decrypts, and a cover of the same size to the
//! user outside S_i. Bad requests fail for good; a
//! delivery for another set or from someone else is not forwarded; the inference worker leaves
//! research requests alone.
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bithive_bitchat::{Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist};
use bithive_interface::attestation::MatchingPayload;
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_matching::authority::KeyAuthoritySecret;
use bithive_matching::client::{self, BlindingService};
use bithive_matching::lsh::SimHash;
use bithive_matching::output::{seal_output, sign_delivery, verify_output};
use bithive_matching::sim;
use bithive_matching::wire::{MatchNotice, ReplyTo, ResearchRequest, SignedDelivery};
use bithive_relayer::config::MatchingSection;
use bithive_relayer::matching_worker::{
    append_enrollments, request_header, Enrollment, MatchingSecrets, MatchingWorker, MATCHING_MODEL,
};
use bithive_relayer::worker::{DigestWorker, JobWorker};
use bithive_relayer::JobState;
use bithive_signed_attestation::{payload_hash, AttestationKind};
use common::*;
use rand_chacha::rand_core::SeedableRng;

const USERS: u32 = 300;

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn research_request_is_matched_sealed_delivered_and_attested() {
    let mut h = Harness::new(1).await;
    let dir = h.dir.path().to_path_buf();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(&mut rng);
    let subs = client::user_submissions(&sim::population(USERS, 7), &lsh, &service, 1).unwrap();
    // A request that matches someone (found on a scratch node: S_i does not depend on the key).
    let mut scratch = bithive_matching::node::MatchingNode::new(&mut rng);
    scratch.ingest(&subs).unwrap();
    let (spec, expected) = (1..200u64)
        .find_map(|i| {
            let spec = sim::request(i, 11);
            let sub = client::request_submission(&spec, &lsh, &service, &mut rng).unwrap();
            let (_, s) = scratch.match_requests(&[sub]).unwrap().pop().unwrap();
            (s.len() >= 2 && s.len() < u64::from(USERS)).then_some((spec, s))
        })
        .unwrap();
    // A request that names exactly one user (all four attributes of a user no one else has):
    // the node must withhold it (k = 2).
    let population = sim::population(USERS, 7);
    let unique = population
        .iter()
        .find(|p| {
            population
                .iter()
                .filter(|q| q.attributes == p.attributes)
                .count()
                == 1
        })
        .expect("a user with a unique profile");
    let narrow_spec = bithive_matching::client::RequestSpec {
        id: 9_001,
        clauses: unique.attributes.iter().map(|a| vec![a.clone()]).collect(),
        embedding: None,
        min_bands: 0,
        max_distance: 2.0,
    };
    let online_user = expected.min().unwrap();
    // A user outside S_i, online too: it must get an envelope of the same size, a cover.
    let outsider = (1..=USERS).find(|u| !expected.contains(*u)).unwrap();

    // The relayer's BitChat identity is its operator key.
    let operator_secret: [u8; 32] = h.key.k256().to_bytes().into();
    let relayer_id = NodeIdentity::from_secret(&operator_secret).unwrap();
    let registry = Arc::new(StaticAllowlist::new());
    registry.insert(PeerRecord::of(&relayer_id, None));
    let mut rows = Vec::new();
    let (mut online, mut outsider_online) = (None, None);
    for sub in &subs {
        let ident = NodeIdentity::generate().unwrap();
        let mut contact = PeerRecord::of(&ident, None);
        if sub.user == online_user || sub.user == outsider {
            let node = Node::start(
                NodeConfig::new(local(), dir.join(format!("user-{}", sub.user))),
                ident,
                registry.clone(),
            )
            .await
            .unwrap();
            contact.addr = Some(node.local_addr().unwrap());
            if sub.user == online_user {
                online = Some(node);
            } else {
                outsider_online = Some(node);
            }
        }
        rows.push(Enrollment::new(sub, &contact).unwrap());
    }
    let user_node = online.unwrap();
    let outsider_node = outsider_online.unwrap();
    let section = MatchingSection {
        key: "operator".into(),
        listen: "127.0.0.1:0".into(),
        data_dir: dir.join("relayer-bitchat"),
        secret_file: dir.join("secret.json"),
        enrollment: dir.join("enrollment.jsonl"),
        epoch: 0,
        delivery_ttl_secs: 60,
        relays: vec![],
        min_recipients: 2,
    };
    // The matching node's file holds its blinding seed only; the old combined layout (with the
    // DGKBE authority seed) is refused.
    let combined = dir.join("combined.json");
    bithive_secret_file::create_new(
        &combined,
        bithive_secret_file::Zeroizing::new(
            format!(
                r#"{{"dgkbe_seed":"{}","node_seed":"{}"}}"#,
                "11".repeat(32),
                "22".repeat(32)
            )
            .into_bytes(),
        ),
    )
    .unwrap();
    let refused = MatchingSecrets::load(&combined).err().unwrap().to_string();
    assert!(refused.contains("key authority"), "{refused}");
    assert!(
        !refused.contains("1111"),
        "the file's content is never echoed"
    );
    let secrets = MatchingSecrets::generate().unwrap();
    secrets.save(&section.secret_file).unwrap();
    // Never overwritten.
    assert!(secrets.save(&section.secret_file).is_err());
    // The key authority: its own secret, published parameters and encryption key, user keys.
    let authority = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(USERS, &(1..=USERS).collect(), 0)
        .unwrap();
    let pp = authority.public_params();
    let ek = authority.encryption_key();
    ek.verify(&pp, &mut rng).unwrap();
    append_enrollments(&section.enrollment, &rows).unwrap();
    let worker = Arc::new(
        MatchingWorker::start(&section, &operator_secret)
            .await
            .unwrap(),
    );
    assert_eq!(worker.contact().noise_pubkey, relayer_id.noise_public());

    // The researcher: the chain account that pays the request (the harness's patient account),
    // whose key is also its BitChat identity, online to hear the match notice.
    let researcher_key = h.patient.key().k256().clone();
    let researcher_secret: [u8; 32] = researcher_key.to_bytes().into();
    let researcher = NodeIdentity::from_secret(&researcher_secret).unwrap();
    let researcher_registry = Arc::new(StaticAllowlist::new());
    researcher_registry.insert(worker.contact().clone());
    let researcher_node = Node::start(
        NodeConfig::new(local(), dir.join("researcher")),
        NodeIdentity::from_secret(&researcher_secret).unwrap(),
        researcher_registry,
    )
    .await
    .unwrap();
    let reply_to = ReplyTo {
        account_pubkey: researcher.account_pubkey(),
        noise_pubkey: researcher.noise_public(),
        addr: Some(researcher_node.local_addr().unwrap()),
    };

    // Four escrow jobs: a good request, one sealed for another chain, one sealed by a stranger
    // that names the researcher's contact (the notice must not go to a key that did not seal
    // the request), one of another model.
    let sub = client::request_submission(&spec, &lsh, &service, &mut rng).unwrap();
    let id = sub.id;
    let request = ResearchRequest {
        submission: sub,
        reply_to: reply_to.clone(),
    }
    .to_bytes()
    .unwrap();
    let seal = |chain: &str| {
        researcher
            .seal_to(&relayer_id.noise_public(), &request_header(chain), &request)
            .unwrap()
    };
    let good = h.create_job(MATCHING_MODEL, &seal(CHAIN)).await;
    let wrong_chain = h.create_job(MATCHING_MODEL, &seal("other-chain")).await;
    let stranger = NodeIdentity::generate().unwrap();
    let borrowed_contact = h
        .create_job(
            MATCHING_MODEL,
            &stranger
                .seal_to(&relayer_id.noise_public(), &request_header(CHAIN), &request)
                .unwrap(),
        )
        .await;
    let inference = h.create_job("bc_logreg", b"[1, 2]").await;
    let narrow_request = ResearchRequest {
        submission: client::request_submission(&narrow_spec, &lsh, &service, &mut rng).unwrap(),
        reply_to: reply_to.clone(),
    }
    .to_bytes()
    .unwrap();
    let narrow = h
        .create_job(
            MATCHING_MODEL,
            &researcher
                .seal_to(
                    &relayer_id.noise_public(),
                    &request_header(CHAIN),
                    &narrow_request,
                )
                .unwrap(),
        )
        .await;
    h.produce_block().await;
    let producer = h.spawn_block_producer(Duration::from_millis(20));

    let workers: Vec<Arc<dyn JobWorker>> = vec![worker.clone(), Arc::new(DigestWorker)];
    let mut r = h.relayer_with(&h.db(), 10, None, workers);
    let db = h.db();
    let states = || {
        let s = bithive_relayer::Store::open(&db).unwrap();
        [JobState::Committed, JobState::Failed].map(|st| {
            s.count_by_state()
                .unwrap()
                .into_iter()
                .find(|(x, _)| *x == st)
                .map_or(0, |(_, n)| n)
        })
    };
    let start = std::time::Instant::now();
    while states() != [2, 3] {
        if start.elapsed() > Duration::from_secs(60) {
            let s = bithive_relayer::Store::open(&db).unwrap();
            let all: Vec<_> = JobState::ALL
                .iter()
                .flat_map(|st| s.jobs_in_state(CHAIN, *st, 10).unwrap())
                .map(|j| (j.job.job_id, j.state, j.last_error))
                .collect();
            panic!("not done in 60 s: {all:?}");
        }
        r.step().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // The research request was attested as matching, naming the attestation contract, once;
    // the inference job only as inference; the wrong-chain request failed.
    let attestation =
        |job: String, kind: AttestationKind, contract: &str| AttestationQuery::Attestation {
            job_id: job,
            kind,
            contract: Some(contract.to_string()),
            chain_id: None,
        };
    let c = &h.d.contracts;
    let m: Accepted = h
        .gov
        .query_typed::<_, Option<Accepted>>(
            &c.attestation,
            &attestation(good.clone(), AttestationKind::Matching, &c.attestation),
        )
        .await
        .unwrap()
        .expect("matching attestation");
    assert_eq!(m.attestation.kind, AttestationKind::Matching);
    let payload = serde_json::to_vec(&MatchingPayload {
        escrow_job_id: good.to_string(),
        node: None,
    })
    .unwrap();
    // The payload's hash is the one commitment: nothing on chain hashes S_i but the salted
    // result hash, so a chain observer cannot test guesses of S_i.
    assert_eq!(
        m.attestation.commitments,
        vec![payload_hash(AttestationKind::Matching, &payload)]
    );
    let inferred: Option<Accepted> = h
        .gov
        .query_typed(
            &c.attestation,
            &attestation(
                inference.clone(),
                AttestationKind::Inference,
                &c.payfi_escrow,
            ),
        )
        .await
        .unwrap();
    assert!(
        inferred.is_some(),
        "the inference job attested as inference"
    );
    let accepted = h.accepted().await;
    assert_eq!(accepted.len(), 2, "{:?}", accepted.keys());
    let store = bithive_relayer::Store::open(&db).unwrap();
    let failed = store.jobs_in_state(CHAIN, JobState::Failed, 10).unwrap();
    let why = |job: &str| {
        failed
            .iter()
            .find(|f| f.job.job_id == job)
            .and_then(|f| f.last_error.clone())
            .unwrap_or_else(|| panic!("{job} did not fail: {failed:?}"))
    };
    assert_eq!(failed.len(), 3);
    assert!(why(&wrong_chain).contains("not sealed to this node"));
    assert!(
        why(&narrow).contains("fewer than 2 users"),
        "{}",
        why(&narrow)
    );
    assert!(why(&borrowed_contact).contains("reply key is not the key that sealed it"));

    let onchain = m.attestation.result_hash.0;

    // The researcher hears S_i, checks it against the attestation and encrypts to it itself.
    let got = researcher_node
        .recv(Duration::from_secs(30))
        .await
        .expect("match notice");
    let notice = MatchNotice::from_bytes(&got.body).unwrap();
    assert_eq!(notice.recipients, expected);
    let details = b"study details for the matched users only";
    let notice_salt = notice.salt;
    let out = seal_output(
        &ek,
        &pp,
        id,
        notice.salt,
        notice.recipients,
        details,
        &mut rng,
    )
    .unwrap();
    assert!(verify_output(&out, &onchain));
    let relayer_account = bithive_bitchat::AccountId::from_pubkey(&worker.contact().account_pubkey);
    let signed = |out: &bithive_matching::output::MatchOutput, key: &k256::ecdsa::SigningKey| {
        SignedDelivery {
            escrow_job_id: good.to_string(),
            signer: researcher.account_pubkey(),
            signature: sign_delivery(key, CHAIN, &good, out).unwrap(),
            output: out.clone(),
        }
        .to_bytes()
        .unwrap()
    };
    // Refused by the forwarder: a wider set than the node matched, and a signature by another
    // key. Then the real one, twice (one forward per paid match: each sends every enrolled user
    // an envelope).
    let mut wider = expected.clone();
    wider.insert(expected.max().unwrap() % USERS + 1);
    wider.insert(1);
    let wide = seal_output(&ek, &pp, id, notice_salt, wider, b"spam", &mut rng).unwrap();
    let other_key = k256::ecdsa::SigningKey::from_slice(&[0x6b; 32]).unwrap();
    for body in [
        signed(&wide, &researcher_key),
        signed(&out, &other_key),
        signed(&out, &researcher_key),
        signed(&out, &researcher_key),
    ] {
        researcher_node
            .send(relayer_account, id, &body, Duration::from_secs(60))
            .await
            .unwrap();
    }

    // The online recipient gets only the real delivery, checks it against the chain (S_i
    // attested, signed by the job's payer) and decrypts.
    let got = user_node
        .recv(Duration::from_secs(30))
        .await
        .expect("delivery");
    let d = SignedDelivery::from_bytes(&got.body).unwrap();
    assert_eq!(d.output.recipients, expected);
    // What every recipient checks (S_i and salt attested, signed by the job's payer).
    let payer =
        bithive_matching::admission::account_address("bithive", &researcher.account_pubkey())
            .unwrap();
    bithive_matching::output::check_delivery(&d, CHAIN, &good, &onchain, &payer).unwrap();
    assert_eq!(d.signer, researcher.account_pubkey());
    let mut key = authority.user_key(online_user).unwrap();
    let plain = bithive_matching::output::open_output(&d.output, &mut key, &pp).unwrap();
    assert_eq!(plain, details);
    let mut other = authority.user_key(outsider).unwrap();
    assert!(bithive_matching::output::open_output(&d.output, &mut other, &pp).is_err());
    // The user outside S_i got a cover as long as the delivery: a relay holding the mail, or
    // anyone watching the node, sees the same envelope for every enrolled user.
    let cover = outsider_node
        .recv(Duration::from_secs(30))
        .await
        .expect("a cover message");
    assert_eq!(cover.body.len(), got.body.len());
    assert_eq!(cover.conversation, got.conversation);
    assert!(bithive_matching::wire::is_cover(&cover.body));
    assert!(SignedDelivery::from_bytes(&cover.body).is_err());
    for node in [&user_node, &outsider_node] {
        assert!(
            node.recv(Duration::from_secs(2)).await.is_none(),
            "the refused deliveries and the repeat were not forwarded"
        );
    }
    researcher_node.shutdown().await;

    producer.abort();
    worker.shutdown().await;
    user_node.shutdown().await;
    outsider_node.shutdown().await;
}
