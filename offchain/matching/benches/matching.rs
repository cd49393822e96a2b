//! Double-blind matching figures beside same-run references, as ratios.
//!
//!   cargo bench -p bithive-matching --bench matching [-- --quick]
//!
//! Full: 10^3 requests x 10^6 users (scaling curve 10^4, 10^5, 10^6); quick: 10^3 x 10^5.
//! Every user has 4 attribute tokens + 12 SimHash bands (16 tags).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::group::{hash_token, Blinded, BlindingKey};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::{MatchingNode, RequestSubmission, UserSubmission};
use bithive_matching::output::seal_output;
use bithive_matching::sim;
use curve25519_dalek::scalar::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Submissions for users 1..=n with the exact bytes an OPRF round gives, from one direct service
/// evaluation per distinct token.
fn submissions(
    n: u32,
    lsh: &SimHash,
    service: &BlindingService,
    cache: &mut HashMap<String, Blinded>,
) -> Vec<UserSubmission> {
    let profiles: Vec<UserProfile> = (1..=n)
        .into_par_iter()
        .map(|u| sim::profile(u, 3))
        .collect();
    let tokens: Vec<Vec<String>> = profiles
        .par_iter()
        .map(|p| client::profile_tokens(p, lsh).unwrap())
        .collect();
    for t in tokens.iter().flatten() {
        if !cache.contains_key(t) {
            cache.insert(t.clone(), service.evaluate_token(t));
        }
    }
    tokens
        .into_iter()
        .enumerate()
        .map(|(k, ts)| UserSubmission {
            user: k as u32 + 1,
            tags: ts.iter().map(|t| cache[t]).collect(),
        })
        .collect()
}

fn requests(
    m: u64,
    lsh: &SimHash,
    service: &BlindingService,
    rng: &mut ChaCha20Rng,
) -> (Vec<RequestSpec>, Vec<RequestSubmission>) {
    let specs: Vec<RequestSpec> = (1..=m).map(|i| sim::request(i, 4)).collect();
    let subs = specs
        .iter()
        .map(|s| client::request_submission(s, lsh, service, rng).unwrap())
        .collect();
    (specs, subs)
}

/// The M x N reference: every request checked against every user's tag list.
fn brute_force(reqs: &[RequestSubmission], users: &[UserSubmission]) -> Vec<RoaringBitmap> {
    let sorted: Vec<Vec<Blinded>> = users
        .iter()
        .map(|u| {
            let mut t = u.tags.clone();
            t.sort_unstable();
            t
        })
        .collect();
    reqs.iter()
        .map(|r| {
            let mut out = RoaringBitmap::new();
            for (u, tags) in users.iter().zip(&sorted) {
                let has = |t: &Blinded| tags.binary_search(t).is_ok();
                if !r.clauses.iter().all(|c| c.iter().any(has)) {
                    continue;
                }
                let hits = r.bands.iter().filter(|t| has(t)).count() as u32;
                if hits >= r.min_bands {
                    out.insert(u.user);
                }
            }
            out
        })
        .collect()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let threads = rayon::current_num_threads();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(&mut rng);
    let m: u64 = 1000;
    let big: u32 = if quick { 100_000 } else { 1_000_000 };
    println!(
        "# matching bench ({} mode, {threads} rayon threads)",
        if quick { "quick" } else { "full" }
    );

    // 1. Blinding throughput vs raw variable-base scalar multiplication.
    let k = if quick { 20_000 } else { 100_000 };
    let points: Vec<_> = (0..k).map(|i| hash_token(&format!("t{i}"))).collect();
    let wire: Vec<Blinded> = points.iter().map(|p| p.compress().to_bytes()).collect();
    let s = Scalar::from(0x1234_5678_9abc_def1u64) * Scalar::from(0xfedc_ba98_7654_3211u64);
    let t = Instant::now();
    for p in &points {
        black_box(p * s);
    }
    let raw = k as f64 / secs(t.elapsed());
    let key = BlindingKey::random(&mut rng);
    let one_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let t = Instant::now();
    one_pool.install(|| black_box(key.apply_batch(&wire).unwrap()));
    let single = k as f64 / secs(t.elapsed());
    let t = Instant::now();
    black_box(key.apply_batch(&wire).unwrap());
    let batch = k as f64 / secs(t.elapsed());
    println!(
        "blinding ({k} elements, decode+mul+encode): 1 thread {:.0}/s, {threads} threads {:.0}/s ({:.0}/s per core) | raw variable-base mul {:.0}/s one core | ratio 1 thread {:.3}, per core on {threads} {:.3}",
        single,
        batch,
        batch / threads as f64,
        raw,
        single / raw,
        batch / threads as f64 / raw
    );

    // 2. Client-side OPRF cost per user, and the service's evaluation throughput.
    let sample: Vec<UserProfile> = (1..=2000).map(|u| sim::profile(u, 3)).collect();
    let t = Instant::now();
    let sample_subs = client::user_submissions(&sample, &lsh, &service, 1).unwrap();
    let per_user = secs(t.elapsed()) / sample.len() as f64 * threads as f64;
    let tags_per_user = sample_subs[0].tags.len();
    let svc_rate = batch; // the service runs the same batch blinding
    println!(
        "OPRF: {tags_per_user} tags/user, client+service {:.2} ms per user per core; service alone {:.0} tags/s on {threads} threads",
        per_user * 1e3,
        svc_rate
    );

    // 3. Scaling curve of the join (blinding excluded), and the big point.
    let mut cache = HashMap::new();
    let (specs, reqs) = requests(m, &lsh, &service, &mut rng);
    let sizes: Vec<u32> = if quick {
        vec![10_000, big]
    } else {
        vec![10_000, 100_000, big]
    };
    let mut last = None;
    for &n in &sizes {
        drop(last.take());
        let subs = submissions(n, &lsh, &service, &mut cache);
        let mut node = MatchingNode::new(&mut rng);
        let t = Instant::now();
        node.ingest(&subs).unwrap();
        let ingest = t.elapsed();
        let rss = rss_mib();
        let t = Instant::now();
        let results = node.match_requests(&reqs).unwrap();
        let matching = t.elapsed();
        let total: u64 = results.iter().map(|(_, s)| s.len()).sum();
        println!(
            "join N={n:>8}: ingest {:.2} s ({} distinct tags, index ~{:.0} MiB, process RSS {:.0} MiB) | {m} requests {:.3} s | {:.1} recipients/request",
            secs(ingest),
            node.index().distinct_tags(),
            node.index().approx_bytes() as f64 / 1048576.0,
            rss,
            secs(matching),
            total as f64 / m as f64
        );
        last = Some((n, subs, results, ingest, matching));
    }
    let (n, subs, results, ingest, matching) = last.unwrap();

    // 4. Brute-force M x N on a slice, checked equal, extrapolated to M x N.
    let (bm, bn) = if quick {
        (50usize, 10_000usize)
    } else {
        (100, 100_000)
    };
    let t = Instant::now();
    let brute = brute_force(&reqs[..bm], &subs[..bn]);
    let brute_t = secs(t.elapsed());
    let small_node = {
        let mut nd = MatchingNode::new(&mut rng);
        nd.ingest(&subs[..bn]).unwrap();
        nd
    };
    let small = small_node.match_requests(&reqs[..bm]).unwrap();
    assert!(
        small.iter().zip(&brute).all(|((_, a), b)| a == b),
        "join differs from brute force"
    );
    let extrapolated = brute_t * (m as f64 / bm as f64) * (n as f64 / bn as f64);
    let join = secs(ingest) + secs(matching);
    println!(
        "brute force {bm} x {bn}: {:.2} s (equal results) -> {m} x {n} extrapolated {:.0} s | hash join {:.2} s | speedup {:.0}x",
        brute_t,
        extrapolated,
        join,
        extrapolated / join
    );

    // 5. Outputs: DGKBE encapsulation + seal + commitment for every request.
    let s0: RoaringBitmap = (1..=n).collect();
    let authority = ServerSecret::setup(n, &s0, 0, &mut rng).unwrap();
    let t = Instant::now();
    let mut sealed = 0;
    for ((id, s_i), spec) in results.into_iter().zip(&specs) {
        if s_i.is_empty() {
            continue;
        }
        let (h, sk) = authority.bgw_encapsulate(&s_i, &mut rng).unwrap();
        let details = format!("{:?}", spec.embedding);
        black_box(seal_output(id, s_i, h, sk, details.as_bytes()).unwrap());
        sealed += 1;
    }
    let outputs = t.elapsed();
    println!(
        "outputs: {sealed} non-empty requests sealed + committed in {:.3} s",
        secs(outputs)
    );

    let tags = n as f64 * tags_per_user as f64;
    let oprf_service = tags / svc_rate;
    println!(
        "end to end {m} x {n}: blinding excluded {:.2} s (join + outputs) | blinding included {:.0} s (+ service OPRF for {:.1e} tags at the measured rate; user devices add {:.1} ms each, in parallel)",
        join + secs(outputs),
        join + secs(outputs) + oprf_service,
        tags,
        per_user * 1e3
    );
}
