//! Each role's view, captured as the bytes it receives or stores, holds no plaintext attribute,
//! no embedding, and no unkeyed hash H(x) (which a dictionary over the small attribute space
//! would invert). See docs/ROLES.md.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::group::{hash_token, Blinded, OprfRequest};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::{MatchingNode, RequestSubmission, UserSubmission};
use bithive_matching::output::{match_commitment, seal_output, MatchOutput};
use bithive_matching::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u32 = 200;
/// Marks every request's details, which only the requester and S_i may ever read.
const DETAILS: &str = "REQUEST-DETAILS-";

#[derive(Default)]
struct View(Vec<u8>);

impl View {
    fn add(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && self.0.windows(needle.len()).any(|w| w == needle)
    }
}

/// The OPRF with the service's traffic recorded.
fn oprf(
    tokens: &[String],
    svc: &BlindingService,
    svc_view: &mut View,
    rng: &mut ChaCha20Rng,
) -> Vec<Blinded> {
    let reqs: Vec<OprfRequest> = tokens.iter().map(|t| OprfRequest::new(t, rng)).collect();
    let wire: Vec<Blinded> = reqs.iter().map(|r| r.blinded).collect();
    let answers = svc.evaluate(&wire).unwrap();
    for (w, a) in wire.iter().zip(&answers) {
        svc_view.add(w);
        svc_view.add(a);
    }
    reqs.into_iter()
        .zip(&answers)
        .map(|(r, a)| r.finish(a).unwrap())
        .collect()
}

struct World {
    users: Vec<UserProfile>,
    specs: Vec<RequestSpec>,
    dictionary: Vec<String>,
    outputs: Vec<MatchOutput>,
    node: View,
    service: View,
    requester: View,
    chain: View,
    user_views: Vec<View>,
}

/// Built once and shared by every test (the capture is the expensive part).
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build_world)
}

fn build_world() -> World {
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let svc = BlindingService::new(&mut rng);
    let mut node = MatchingNode::new(&mut rng);
    let users = sim::population(N, 3);
    let specs: Vec<RequestSpec> = (1..=8).map(|i| sim::request(i, 4)).collect();
    let (mut node_v, mut svc_v, mut req_v, mut chain_v) = (
        View::default(),
        View::default(),
        View::default(),
        View::default(),
    );
    let mut user_views: Vec<View> = (0..N).map(|_| View::default()).collect();

    let mut dictionary: Vec<String> = Vec::new();
    let mut subs = Vec::new();
    for u in &users {
        let tokens = client::profile_tokens(u, &lsh).unwrap();
        dictionary.extend(tokens.iter().cloned());
        let tags = oprf(&tokens, &svc, &mut svc_v, &mut rng);
        for t in &tags {
            user_views[(u.user - 1) as usize].add(t);
        }
        subs.push(UserSubmission { user: u.user, tags });
    }
    for s in &subs {
        node_v.add(&s.user.to_be_bytes());
        for t in &s.tags {
            node_v.add(t);
        }
    }
    node.ingest(&subs).unwrap();
    for t in node.index().tags() {
        node_v.add(t);
    }

    let mut reqs = Vec::new();
    for spec in &specs {
        let mut toks: Vec<String> = spec.clauses.iter().flatten().cloned().collect();
        toks.extend(lsh.tokens(spec.embedding.as_ref().unwrap()).unwrap());
        dictionary.extend(toks.iter().cloned());
        let clauses = spec
            .clauses
            .iter()
            .map(|c| oprf(c, &svc, &mut svc_v, &mut rng))
            .collect::<Vec<_>>();
        let bands = oprf(
            &lsh.tokens(spec.embedding.as_ref().unwrap()).unwrap(),
            &svc,
            &mut svc_v,
            &mut rng,
        );
        for b in clauses.iter().flatten().chain(&bands) {
            req_v.add(b);
            node_v.add(b);
        }
        reqs.push(RequestSubmission {
            id: spec.id,
            clauses,
            bands,
            min_bands: spec.min_bands,
        });
    }
    dictionary.sort();
    dictionary.dedup();

    let s0: RoaringBitmap = (1..=N).collect();
    // The key authority publishes its parameters and encryption key once; it takes no part in
    // any request (it never sees S_i, a ciphertext or the details).
    let authority = ServerSecret::setup(N, &s0, 0, &mut rng).unwrap();
    let pp = authority.bgw_public_params();
    let ek = authority.bgw_encryption_key();
    let mut outputs = Vec::new();
    for ((id, s_i), spec) in node.match_requests(&reqs).unwrap().into_iter().zip(&specs) {
        let mut bm = Vec::new();
        s_i.serialize_into(&mut bm).unwrap();
        node_v.add(&bm);
        if s_i.is_empty() {
            continue;
        }
        // The node commits to S_i on chain and sends S_i to the requester (match notice),
        // who encrypts its own details to S_i and hands the node the ciphertext to relay.
        let matched = match_commitment(id, &[5; 32], &s_i);
        req_v.add(&bm);
        let details = format!(
            "{DETAILS}{id} criteria={:?} embedding={:?}",
            spec.clauses, spec.embedding
        );
        let out = seal_output(
            &ek,
            &pp,
            id,
            [5; 32],
            s_i.clone(),
            details.as_bytes(),
            &mut rng,
        )
        .unwrap();
        req_v.add(&out.ciphertext);
        node_v.add(&out.ciphertext);
        node_v.add(&out.commitment);
        chain_v.add(&id.to_be_bytes());
        chain_v.add(&matched);
        for u in s_i.iter() {
            user_views[(u - 1) as usize].add(&bm);
            user_views[(u - 1) as usize].add(&out.ciphertext);
        }
        outputs.push(out);
    }
    World {
        users,
        specs,
        dictionary,
        outputs,
        node: node_v,
        service: svc_v,
        requester: req_v,
        chain: chain_v,
        user_views,
    }
}

/// Byte strings that would reveal an embedding: consecutive component pairs as f32 (8 bytes, as
/// in any binary serialization), each component as f64, and decimal renderings long enough not to
/// occur by chance.
fn embedding_needles(e: &[f32]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = e
        .windows(2)
        .map(|w| [w[0].to_le_bytes(), w[1].to_le_bytes()].concat())
        .collect();
    out.extend(e.iter().map(|x| f64::from(*x).to_le_bytes().to_vec()));
    out.extend(
        e.iter()
            .map(|x| format!("{x}").into_bytes())
            .filter(|d| d.len() > 6),
    );
    out.push(format!("{e:?}").into_bytes());
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Vocabulary,
    User(u32),
    Request,
}

struct Needles {
    labels: Vec<(Owner, String)>,
    automaton: AhoCorasick,
}

/// Every plaintext that must not appear: tokens, their unkeyed H(x), all embeddings. One
/// Aho-Corasick automaton (an optimized dependency) scans each view once.
fn needles(w: &World) -> &Needles {
    static NEEDLES: OnceLock<Needles> = OnceLock::new();
    NEEDLES.get_or_init(|| {
        let mut labels = Vec::new();
        let mut pats: Vec<Vec<u8>> = Vec::new();
        for t in &w.dictionary {
            labels.push((Owner::Vocabulary, format!("token {t}")));
            pats.push(t.as_bytes().to_vec());
            labels.push((Owner::Vocabulary, format!("H({t})")));
            pats.push(hash_token(t).compress().to_bytes().to_vec());
        }
        for u in &w.users {
            for n in embedding_needles(&u.embedding) {
                labels.push((Owner::User(u.user), format!("embedding of user {}", u.user)));
                pats.push(n);
            }
        }
        for s in &w.specs {
            for n in embedding_needles(s.embedding.as_ref().unwrap()) {
                labels.push((Owner::Request, format!("embedding of request {}", s.id)));
                pats.push(n);
            }
        }
        Needles {
            labels,
            automaton: AhoCorasick::new(&pats).unwrap(),
        }
    })
}

fn plaintext_leaks(
    view: &View,
    w: &World,
    skip_user: Option<u32>,
    skip_requests: bool,
) -> Vec<String> {
    let n = needles(w);
    let mut leaks: Vec<String> = Vec::new();
    for m in n.automaton.find_overlapping_iter(&view.0) {
        let (owner, label) = &n.labels[m.pattern().as_usize()];
        let skipped = match owner {
            Owner::User(u) => Some(*u) == skip_user,
            Owner::Request => skip_requests,
            Owner::Vocabulary => false,
        };
        if !skipped && !leaks.contains(label) {
            leaks.push(label.clone());
        }
    }
    leaks
}

#[test]
fn matching_node_sees_only_blinded_values() {
    let w = world();
    assert!(w.node.0.len() > 10_000, "the capture is not empty");
    assert_eq!(
        plaintext_leaks(&w.node, w, None, false),
        Vec::<String>::new()
    );
}

#[test]
fn neither_the_node_nor_the_authority_handles_request_details() {
    // The requester encrypts to S_i itself: the details exist in plaintext only on its side.
    let w = world();
    for (name, v) in [
        ("node", &w.node),
        ("service", &w.service),
        ("chain", &w.chain),
    ] {
        assert!(
            !v.contains(DETAILS.as_bytes()),
            "{name} saw request details"
        );
    }
    // The key authority's view is its OPRF traffic only: no recipient set reaches it.
    for o in &w.outputs {
        let mut bm = Vec::new();
        o.recipients.serialize_into(&mut bm).unwrap();
        assert!(
            !w.service.contains(&bm),
            "the key authority saw S_{}",
            o.request_id
        );
    }
}

#[test]
fn blinding_service_sees_only_randomized_points() {
    let w = world();
    assert_eq!(
        plaintext_leaks(&w.service, w, None, false),
        Vec::<String>::new()
    );
    // Its inputs are re-randomized per query: equal tokens from different users differ on the wire.
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let svc = BlindingService::new(&mut ChaCha20Rng::seed_from_u64(1));
    let mut v = View::default();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let t = client::profile_tokens(&w.users[0], &lsh).unwrap();
    let a = oprf(&t[..1], &svc, &mut v, &mut rng);
    let b = oprf(&t[..1], &svc, &mut v, &mut rng);
    assert_eq!(a, b, "OPRF output is deterministic");
    assert_ne!(v.0[..32], v.0[64..96], "wire inputs are not");
}

#[test]
fn requester_sees_no_user_data() {
    let w = world();
    // The requester knows its own criteria; it must see nothing of any user.
    let leaks = plaintext_leaks(&w.requester, w, None, true);
    assert_eq!(leaks, Vec::<String>::new());
}

#[test]
fn chain_observer_sees_only_commitments() {
    let w = world();
    assert!(!w.outputs.is_empty());
    assert_eq!(w.chain.0.len(), w.outputs.len() * (8 + 32));
    assert_eq!(
        plaintext_leaks(&w.chain, w, None, false),
        Vec::<String>::new()
    );
    for o in &w.outputs {
        assert!(
            !w.chain.contains(&o.ciphertext[..64]),
            "no ciphertext on chain"
        );
    }
}

#[test]
fn user_clients_see_no_other_users_data_and_only_ciphertexts_of_requests() {
    let w = world();
    for u in &w.users {
        let v = &w.user_views[(u.user - 1) as usize];
        // Strip the user's own tokens from the dictionary check: it knows its own profile.
        let leaks: Vec<String> = plaintext_leaks(v, w, Some(u.user), false);
        assert_eq!(leaks, Vec::<String>::new(), "user {}", u.user);
    }
}

#[test]
fn the_detector_finds_planted_plaintext() {
    let w = world();
    let u = &w.users[17];
    let mut v = View::default();
    v.add(&[0u8; 100]);
    for x in &u.embedding {
        v.add(&x.to_le_bytes());
    }
    assert_eq!(
        plaintext_leaks(&v, w, None, false),
        vec![format!("embedding of user {}", u.user)]
    );
    let mut v = View::default();
    v.add(hash_token(&u.attributes[0]).compress().as_bytes());
    assert_eq!(
        plaintext_leaks(&v, w, None, false),
        vec![format!("H({})", u.attributes[0])]
    );
    let mut v = View::default();
    v.add(format!("{}", u.embedding[3]).as_bytes());
    v.add(u.attributes[1].as_bytes());
    assert_eq!(plaintext_leaks(&v, w, None, false).len(), 2);
}
