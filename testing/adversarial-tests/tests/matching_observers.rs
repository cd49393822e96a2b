//! Two attackers of the double-blind matching that never touch a key (issue #43):
//! - the **paying researcher**, who asks whatever it likes and learns S_i of each request: it
//!   tries to single users out with a narrow conjunction and by differencing two answers;
//! - the **chain observer**, who reads every matching attestation: it tries to recover a small
//!   S_i from the on-chain commitment by testing every candidate set.
//!
//! Each runs the node's real join (`MatchingNode`) over a synthetic population and the node's
//! real rule (`disclosure::check`, which the relayer's matching worker applies before it
//! answers or attests) and commitment (`match_commitment` with the match's secret salt).

use bithive_dgkbe::RoaringBitmap;
use bithive_matching::client::{self, BlindingService, RequestSpec};
use bithive_matching::disclosure::{self, Withheld};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::MatchingNode;
use bithive_matching::output::{match_commitment, match_salt};
use bithive_matching::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

const USERS: u32 = 300;
/// The deployment's k (the relayer's default `min_recipients`).
const K: u64 = 5;

fn spec(id: u64, clauses: &[&[&str]]) -> RequestSpec {
    RequestSpec {
        id,
        clauses: clauses
            .iter()
            .map(|c| c.iter().map(|t| t.to_string()).collect())
            .collect(),
        embedding: None,
        min_bands: 0,
        max_distance: 2.0,
    }
}

/// The matching node over a synthetic population, and its answer to a request.
struct World {
    node: MatchingNode,
    service: BlindingService,
    lsh: SimHash,
    rng: ChaCha20Rng,
}

impl World {
    fn new() -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(43);
        let service = BlindingService::new(&mut rng);
        let lsh = SimHash::new(5, sim::DIM, 12, 6);
        let users = sim::population(USERS, 7);
        let subs = client::user_submissions(&users, &lsh, &service, 1).unwrap();
        let mut node = MatchingNode::new(&mut rng);
        node.ingest(&subs).unwrap();
        Self {
            node,
            service,
            lsh,
            rng,
        }
    }

    fn answer(&mut self, spec: &RequestSpec) -> RoaringBitmap {
        let sub =
            client::request_submission(spec, &self.lsh, &self.service, &mut self.rng).unwrap();
        self.node.match_requests(&[sub]).unwrap().pop().unwrap().1
    }
}

#[test]
fn a_paying_researcher_cannot_single_a_user_out() {
    let mut w = World::new();
    let mut answered: Vec<RoaringBitmap> = Vec::new();
    let mut ask = |w: &mut World, s: &RequestSpec| {
        let set = w.answer(s);
        let verdict = disclosure::check(&set, &answered, K);
        if verdict.is_ok() {
            answered.push(set.clone());
        }
        (set, verdict)
    };

    // Everyone who consented to anything: a large roster is an allowed answer.
    let (all, verdict) = ask(&mut w, &spec(1, &[&["consent=research", "consent=none"]]));
    assert_eq!(all.len(), u64::from(USERS));
    assert_eq!(verdict, Ok(()));

    // A conjunction narrow enough to name a handful of users: withheld.
    let narrow = spec(
        2,
        &[
            &["cond=C03"],
            &["age=40s"],
            &["region=R1"],
            &["consent=research"],
        ],
    );
    let (few, verdict) = ask(&mut w, &narrow);
    assert!(
        few.len() < K,
        "the population should make this narrow: {}",
        few.len()
    );
    assert_eq!(verdict, Err(Withheld::TooFew { k: K }));

    // Differencing: a broad answer, then the same minus one region. Whenever the second
    // differs from the first by fewer than k users it is withheld, so the difference (the
    // users of that region with the other attributes) is never learned.
    let broad = spec(3, &[&["cond=C03", "cond=C04"], &["consent=research"]]);
    let (first, verdict) = ask(&mut w, &broad);
    assert_eq!(verdict, Ok(()), "{} users", first.len());
    let mut withheld = 0;
    for r in 0..10 {
        let others: Vec<String> = (0..10)
            .filter(|x| *x != r)
            .map(|x| format!("region=R{x}"))
            .collect();
        let others: Vec<&str> = others.iter().map(String::as_str).collect();
        let minus = spec(
            10 + r,
            &[&["cond=C03", "cond=C04"], &["consent=research"], &others],
        );
        let (second, verdict) = ask(&mut w, &minus);
        // What the researcher would learn: the users of region r among the first answer.
        let dropped = first.len() - first.intersection_len(&second);
        match verdict {
            Ok(()) => assert!(dropped == 0 || dropped >= K, "{dropped}"),
            Err(Withheld::CloseToEarlier { differ: d, .. }) => {
                assert!(d < K);
                withheld += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        withheld > 0,
        "some region holds fewer than k of these users"
    );
    // For every pair of answers the researcher holds, the shared part and both differences
    // are empty or at least k users.
    for (i, a) in answered.iter().enumerate() {
        assert!(a.len() >= K);
        for b in &answered[..i] {
            let shared = a.intersection_len(b);
            for part in [shared, a.len() - shared, b.len() - shared] {
                assert!(part == 0 || part >= K, "{part}");
            }
        }
    }
}

/// The commitment as it was before it was salted (sha256(domain || id || |S| || S)).
fn unsalted(request_id: u64, s: &RoaringBitmap) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"bithive/matching/v2/match");
    h.update(request_id.to_be_bytes());
    h.update(s.len().to_be_bytes());
    for m in s {
        h.update(m.to_be_bytes());
    }
    h.finalize().into()
}

#[test]
fn a_chain_observer_cannot_recover_a_small_recipient_set() {
    let request_id = 77;
    let s_i: RoaringBitmap = [41u32, 188].into_iter().collect();
    // Unsalted, every pair of USERS slots is a guess to test: the observer finds S_i.
    let old = unsalted(request_id, &s_i);
    let found = (1..=USERS)
        .flat_map(|a| (a + 1..=USERS).map(move |b| (a, b)))
        .find(|(a, b)| unsalted(request_id, &[*a, *b].into_iter().collect()) == old);
    assert_eq!(found, Some((41, 188)));

    // Salted with the node's secret nonce for this job, the same search finds nothing, with
    // any salt the observer can think of (none, or one derived from public values).
    let salt = match_salt(&[0x9c; 32], "bithive-devnet-1", "bithive1payer/research-1");
    let onchain = match_commitment(request_id, &salt, &s_i);
    for guess in [
        [0u8; 32],
        match_salt(&[0; 32], "bithive-devnet-1", "bithive1payer/research-1"),
    ] {
        let hit = (1..=USERS)
            .flat_map(|a| (a + 1..=USERS).map(move |b| (a, b)))
            .any(|(a, b)| {
                match_commitment(request_id, &guess, &[a, b].into_iter().collect()) == onchain
            });
        assert!(!hit);
    }
    // The recipients, handed the salt, confirm it.
    assert_eq!(match_commitment(request_id, &salt, &s_i), onchain);
}
