//! Double-blind matching figures beside same-run references, as ratios.
//!
//!   cargo bench -p bithive-matching --bench matching [-- --quick]
//!
//! Full: 10^3 requests x 10^6 users (scaling curve 10^4, 10^5, 10^6); quick: 10^3 x 10^5.
//! `-- --blinding` runs the blinding section only; `-- --e2e N` runs 10^3 requests x N users end
//! to end with every user's OPRF executed (see `end_to_end`).
//! Every user has 4 attribute tokens + 12 SimHash bands (16 tags).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_matching::client::{self, BlindingService, RequestSpec, UserProfile};
use bithive_matching::group::{decode, hash_token, random_scalar, Blinded, BlindingKey, OprfBatch};
use bithive_matching::lsh::SimHash;
use bithive_matching::node::{MatchingNode, RequestSubmission, UserSubmission};
use bithive_matching::output::seal_session;
use bithive_matching::sim;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::ristretto::RistrettoPoint;
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

/// DGKBE key authority over users 1..=n (set up outside the timed outputs stage).
fn key_authority(n: u32, rng: &mut ChaCha20Rng) -> ServerSecret {
    let s0: RoaringBitmap = (1..=n).collect();
    ServerSecret::setup(n, &s0, 0, rng).unwrap()
}

/// The outputs stage: encapsulation, seal and commitment for every non-empty request. Returns
/// how many requests were sealed.
fn seal_outputs(
    authority: &ServerSecret,
    results: Vec<(u64, RoaringBitmap)>,
    specs: &[RequestSpec],
    rng: &mut ChaCha20Rng,
) -> usize {
    let mut sealed = 0;
    for ((id, s_i), spec) in results.into_iter().zip(specs) {
        if s_i.is_empty() {
            continue;
        }
        let (h, sk) = authority.bgw_encapsulate(&s_i, rng).unwrap();
        let details = format!("{:?}", spec.embedding);
        black_box(seal_session(id, [9; 32], s_i, h, sk, details.as_bytes()).unwrap());
        sealed += 1;
    }
    sealed
}

/// CPU seconds of `clock` (the calling thread's or the whole process's): unlike wall time it
/// does not count time spent descheduled while other jobs run on the shared cores.
fn cpu_secs(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Wall and CPU seconds accumulated by one measured operation.
#[derive(Default, Clone, Copy)]
struct Acc {
    wall: f64,
    cpu: f64,
}

impl Acc {
    fn time<T>(&mut self, clock: libc::clockid_t, f: impl FnOnce() -> T) -> T {
        let (w, c) = (Instant::now(), cpu_secs(clock));
        let out = f();
        self.cpu += cpu_secs(clock) - c;
        self.wall += secs(w.elapsed());
        out
    }
}

/// The reference: `p * s` for every point, through the same parallel structure as `apply_batch`
/// (chunks of 512 on the current rayon pool), in one non-inlined function so the one-thread and
/// all-threads figures run the same machine code (an inlined loop measured up to 20 % apart
/// depending on where it was inlined). Generic so that the same function also times dalek 4's
/// types (AVX2 backend: 4.x has no stable IFMA path), the library this crate used before.
#[inline(never)]
fn raw_batch<P: Sync, S: Sync>(points: &[P], s: &S)
where
    for<'a> &'a P: std::ops::Mul<&'a S>,
{
    points.par_chunks(512).for_each(|c| {
        for q in c {
            black_box(q * s);
        }
    });
}

/// The ladder `u * s` for every u-coordinate (x-only, constant time, affine output), non-inlined
/// like `raw_batch`.
#[inline(never)]
fn ladder_batch(us: &[MontgomeryPoint], s: &Scalar) {
    for u in us {
        black_box(u * s);
    }
}

/// Section 1: `apply_batch` (decode + mul + batched encode) against the raw variable-base
/// multiplication `p * s` of the same library on already-decoded points, on one thread and on
/// all threads, plus the decode and the batched encode alone (they explain the gap), and the
/// x-only Montgomery ladder on the same curve (the one way to skip the decode's square root:
/// its input needs no decoding, but the ladder is its own, slower, multiplication), and the raw
/// multiplication of dalek 4, the library used before, against this one's. The machine
/// is shared, so the operations alternate chunk by chunk (a load change hits both sides of a
/// ratio alike) and each is timed in wall time and in CPU time (thread CPU time on one thread,
/// process CPU time on all threads: descheduled time is not counted). Returns the all-threads
/// wall-clock blinding rate (what the service runs).
fn blinding_rates(k: usize, rounds: usize) -> f64 {
    let threads = rayon::current_num_threads();
    let points: Vec<RistrettoPoint> = (0..k).map(|i| hash_token(&format!("t{i}"))).collect();
    let wire: Vec<Blinded> = points.iter().map(|p| p.compress().to_bytes()).collect();
    // u-coordinates of points on the curve (the ladder is constant time: any valid u will do).
    let montgomery: Vec<MontgomeryPoint> = (1..=k as u64)
        .map(|i| EdwardsPoint::mul_base(&Scalar::from(i)).to_montgomery())
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    // A full-size random scalar, like the blinding key.
    let s = random_scalar(&mut rng);
    let key = BlindingKey::random(&mut rng);
    // The same points and scalar in dalek 4, decoded from the same bytes.
    let points4: Vec<curve25519_dalek_4::RistrettoPoint> = wire
        .iter()
        .map(|w| {
            curve25519_dalek_4::ristretto::CompressedRistretto(*w)
                .decompress()
                .unwrap()
        })
        .collect();
    let s4 = curve25519_dalek_4::Scalar::from_bytes_mod_order(s.to_bytes());
    let one_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (thread, process) = (
        libc::CLOCK_THREAD_CPUTIME_ID,
        libc::CLOCK_PROCESS_CPUTIME_ID,
    );
    // raw1, decode, encode, blind1, raw2, blind2 (all threads), ladder, raw1 in dalek 4 and
    // raw1 again, both in blocks of 4096
    let mut a = [Acc::default(); 9];
    for _ in 0..rounds {
        one_pool.install(|| {
            for ((p, w), u) in points
                .chunks(512)
                .zip(wire.chunks(512))
                .zip(montgomery.chunks(512))
            {
                a[0].time(thread, || raw_batch(p, &s));
                a[1].time(thread, || {
                    for b in w {
                        black_box(decode(b).unwrap());
                    }
                });
                a[2].time(thread, || {
                    black_box(RistrettoPoint::double_and_compress_batch(p));
                });
                a[3].time(thread, || black_box(key.apply_batch(w).unwrap()));
                a[6].time(thread, || ladder_batch(u, &s));
            }
            // dalek 4 against dalek 5 in blocks of 4096: alternating the AVX2 code with the
            // IFMA code every 512 elements slowed the AVX2 code by about 25 % on this machine
            // (and not at all from 2048 up), which would flatter the new library.
            for (p, p4) in points.chunks(4096).zip(points4.chunks(4096)) {
                a[7].time(thread, || raw_batch(p4, &s4));
                a[8].time(thread, || raw_batch(p, &s));
            }
        });
        let step = 512 * 4 * threads;
        for (p, w) in points.chunks(step).zip(wire.chunks(step)) {
            a[4].time(process, || raw_batch(p, &s));
            a[5].time(process, || black_box(key.apply_batch(w).unwrap()));
        }
    }
    let n = (k * rounds) as f64;
    let us = |x: f64| x / n * 1e6;
    let [raw1, dec, enc, blind1, raw2, blind2, ladder, raw4, raw5] = a;
    println!(
        "blinding ({k} elements x {rounds} rounds, alternating in chunks): per element, wall (CPU): raw variable-base mul {:.2} ({:.2}) us one thread, decode {:.2} ({:.2}) us, double_and_compress_batch {:.2} ({:.2}) us -> sum of the parts raw/(raw+decode+encode) {:.3} ({:.3})",
        us(raw1.wall),
        us(raw1.cpu),
        us(dec.wall),
        us(dec.cpu),
        us(enc.wall),
        us(enc.cpu),
        raw1.wall / (raw1.wall + dec.wall + enc.wall),
        raw1.cpu / (raw1.cpu + dec.cpu + enc.cpu)
    );
    println!(
        "blinding alternative without a decode: x-only Montgomery ladder {:.2} ({:.2}) us per element one thread = {:.2}x the time of decode + raw mul ({:.2}x in CPU time)",
        us(ladder.wall),
        us(ladder.cpu),
        ladder.wall / (dec.wall + raw1.wall),
        ladder.cpu / (dec.cpu + raw1.cpu)
    );
    println!(
        "blinding apply_batch 1 thread: {:.0}/s vs raw {:.0}/s = {:.3} wall, {:.3} CPU time",
        n / blind1.wall,
        n / raw1.wall,
        raw1.wall / blind1.wall,
        raw1.cpu / blind1.cpu
    );
    println!(
        "blinding vs curve25519-dalek 4 (AVX2), one thread, blocks of 4096: its raw mul {:.2} ({:.2}) us per element vs {:.2} ({:.2}) us for this crate's library ({:.3}x faster); apply_batch = {:.3}x the rate of dalek 4's raw mul wall ({:.3} CPU time)",
        us(raw4.wall),
        us(raw4.cpu),
        us(raw5.wall),
        us(raw5.cpu),
        raw4.wall / raw5.wall,
        raw4.wall / blind1.wall,
        raw4.cpu / blind1.cpu
    );
    println!(
        "blinding apply_batch {threads} threads: {:.0}/s ({:.0}/s per core) = {:.3} x raw one thread per core, {:.3} x raw on {threads} threads ({:.0}/s) wall | per CPU-second {:.0}/s = {:.3} x raw one thread per CPU-second, {:.3} x raw on {threads} threads per CPU-second ({:.0}/s)",
        n / blind2.wall,
        n / blind2.wall / threads as f64,
        raw1.wall / blind2.wall / threads as f64,
        raw2.wall / blind2.wall,
        n / raw2.wall,
        n / blind2.cpu,
        raw1.cpu / blind2.cpu,
        raw2.cpu / blind2.cpu,
        n / raw2.cpu
    );
    n / blind2.wall
}

/// `--e2e N`: 10^3 requests x N users with every user's OPRF run for real (client blind,
/// service evaluation on all threads, client unblind), users streamed to the node in chunks of
/// 10^5 (submissions are not kept), then matching and outputs. Prints per-chunk progress so a
/// run cut short still gives the rate.
fn end_to_end(n: u32) {
    let threads = rayon::current_num_threads();
    let wall = Instant::now();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let service = BlindingService::new(&mut rng);
    let m: u64 = 1000;
    println!(
        "# matching end to end with blinding: {m} requests x {n} users, {threads} rayon threads"
    );
    let t = Instant::now();
    let (specs, reqs) = requests(m, &lsh, &service, &mut rng);
    let t_req = secs(t.elapsed());
    let mut node = MatchingNode::new(&mut rng);
    let chunk = 100_000u32.min(n);
    let check_n = 10_000u32.min(n);
    let mut check_subs = Vec::new();
    let (mut t_client, mut t_service, mut t_ingest, mut tags) = (0.0, 0.0, 0.0, 0usize);
    let mut first = 1u32;
    while first <= n {
        let last = n.min(first + (chunk - 1));
        let t = Instant::now();
        let batches: Vec<(u32, OprfBatch, Vec<Blinded>)> = (first..=last)
            .into_par_iter()
            .map(|u| {
                let p = sim::profile(u, 3);
                let tokens = client::profile_tokens(&p, &lsh).unwrap();
                let mut rng = ChaCha20Rng::seed_from_u64(1 ^ u64::from(u));
                let (b, wire) = OprfBatch::new(&tokens, &mut rng);
                (u, b, wire)
            })
            .collect();
        let wire: Vec<Blinded> = batches
            .iter()
            .flat_map(|(_, _, w)| w.iter().copied())
            .collect();
        t_client += secs(t.elapsed());
        let t = Instant::now();
        let answers = service.evaluate(&wire).unwrap();
        t_service += secs(t.elapsed());
        tags += wire.len();
        drop(wire);
        let t = Instant::now();
        let mut offsets = Vec::with_capacity(batches.len());
        let mut at = 0;
        for (_, b, _) in &batches {
            offsets.push(at);
            at += b.len();
        }
        let subs: Vec<UserSubmission> = batches
            .into_par_iter()
            .zip(offsets)
            .map(|((user, b, _), at)| {
                let len = b.len();
                UserSubmission {
                    user,
                    tags: b.finish(&answers[at..at + len]).unwrap(),
                }
            })
            .collect();
        t_client += secs(t.elapsed());
        let t = Instant::now();
        node.ingest(&subs).unwrap();
        t_ingest += secs(t.elapsed());
        if first == 1 {
            check_subs = subs[..check_n as usize].to_vec();
        }
        println!(
            "  users {last:>8}: {:.0} s wall | client OPRF {:.1} s, service {:.1} s ({:.0} tags/s), ingest {:.2} s | RSS {:.0} MiB",
            secs(wall.elapsed()),
            t_client,
            t_service,
            tags as f64 / t_service,
            t_ingest,
            rss_mib()
        );
        first = last + 1;
    }
    let t = Instant::now();
    let results = node.match_requests(&reqs).unwrap();
    let t_match = secs(t.elapsed());
    let total: u64 = results.iter().map(|(_, s)| s.len()).sum();

    // Check: restricted to the first users, the blinded join equals brute force over their tags.
    let bm = 100usize.min(reqs.len());
    let brute = brute_force(&reqs[..bm], &check_subs);
    assert!(
        results[..bm].iter().zip(&brute).all(|((_, a), b)| {
            let mut a = a.clone();
            a.remove_range(check_n + 1..);
            a == *b
        }),
        "join differs from brute force"
    );

    let authority = key_authority(n, &mut rng);
    let t = Instant::now();
    seal_outputs(&authority, results, &specs, &mut rng);
    let t_out = secs(t.elapsed());
    println!(
        "end to end {m} x {n} (blinding included, run): {:.1} s wall | requests' OPRF {:.2} s | users' OPRF {tags} tags: client {:.1} s + service {:.1} s ({:.0} tags/s on {threads} threads) | ingest {:.2} s ({} distinct tags) | match {:.2} s ({:.1} recipients/request; first {bm} requests x {check_n} users equal to brute force) | outputs {:.2} s | RSS {:.0} MiB",
        secs(wall.elapsed()),
        t_req,
        t_client,
        t_service,
        tags as f64 / t_service,
        t_ingest,
        node.index().distinct_tags(),
        t_match,
        total as f64 / m as f64,
        t_out,
        rss_mib()
    );
}

/// Median seconds of `runs` timings of `f`.
fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            secs(s.elapsed())
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

/// What #43's privacy checks cost, each beside the work it guards, in the same run: the
/// blinding service's admission of one signed call (signature, quota, its ledger line
/// serialized for the journal) vs the OPRF evaluation of one profile's 16 points; the salted match
/// commitment vs the unsalted one; the disclosure check of an answer against 1,000 earlier
/// answers vs the join of that request.
fn privacy_costs() {
    use bithive_matching::admission::{self, Admissions, Ledger, Policy, Quotas, Role};
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    let service = BlindingService::new(&mut rng);
    let key = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let tokens: Vec<String> = (0..16).map(|i| format!("cond=C{i:02}")).collect();
    let (_, wire) = bithive_matching::group::OprfBatch::new(&tokens, &mut rng);
    let points: Vec<String> = wire.iter().map(hex::encode).collect();
    let policy = Policy {
        chain_id: "bithive-1".into(),
        prefix: "bithive".into(),
        quotas: Quotas {
            user_points: u64::MAX,
            ..Quotas::default()
        },
    };
    let mut admissions = Admissions::default();
    let mut ledger = Ledger::default();
    // A service with 10,000 accounts on its ledger.
    for i in 0..10_000u32 {
        let a = format!("bithive1account{i}");
        admissions.admit(Role::User, &a).unwrap();
        ledger.accounts.insert(a, Default::default());
    }
    let signer = admission::sign_request(&key, "bithive", "bithive-1", 0, vec![])
        .unwrap()
        .auth
        .unwrap()
        .signer;
    admissions.admit(Role::User, &signer).unwrap();
    let mut calls = (1..=31u64).map(|nonce| {
        admission::sign_request(&key, "bithive", "bithive-1", nonce, points.clone()).unwrap()
    });
    // What the service writes per call: one journal line, the signer's use (`bithive blinding
    // serve`'s append-only ledger); before, the whole ledger was serialized and rewritten.
    let admit = median_secs(31, || {
        let call = calls.next().unwrap();
        admission::admit(&call, &policy, &admissions, &mut ledger, 1).unwrap();
        black_box(serde_json::to_vec(&(&signer, ledger.accounts[&signer])).unwrap());
    });
    let whole = median_secs(31, || {
        black_box(serde_json::to_vec(&ledger).unwrap());
    });
    let eval = median_secs(31, || {
        black_box(service.evaluate(&wire).unwrap());
    });
    println!(
        "admission of one signed call (signature, quota, its ledger line serialized): {:.3} ms; OPRF of a profile's 16 points: {:.3} ms; ratio {:.2}",
        admit * 1e3,
        eval * 1e3,
        admit / eval
    );
    println!(
        "the whole ledger of 10^4 accounts serialized (what each call wrote before the journal): {:.3} ms; ratio to the admission {:.2}",
        whole * 1e3,
        whole / admit
    );

    for n in [20u32, 2_000] {
        let set: RoaringBitmap = (1..=n).collect();
        let salted = median_secs(101, || {
            black_box(bithive_matching::output::match_commitment(
                7, &[1; 32], &set,
            ));
        });
        let unsalted = median_secs(101, || {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(b"bithive/matching/v2/match");
            h.update(7u64.to_be_bytes());
            h.update(set.len().to_be_bytes());
            for m in &set {
                h.update(m.to_be_bytes());
            }
            black_box(h.finalize());
        });
        println!(
            "match commitment, |S_i| = {n}: salted {:.2} us, unsalted (before) {:.2} us; ratio {:.2}",
            salted * 1e6,
            unsalted * 1e6,
            salted / unsalted
        );
    }

    let lsh = SimHash::new(5, sim::DIM, 12, 6);
    let users = sim::population(20_000, 7);
    let subs = client::user_submissions(&users, &lsh, &service, 1).unwrap();
    let mut node = MatchingNode::new(&mut rng);
    node.ingest(&subs).unwrap();
    let spec = sim::request(1, 11);
    let sub = client::request_submission(&spec, &lsh, &service, &mut rng).unwrap();
    let mut answer = RoaringBitmap::new();
    let join = median_secs(21, || {
        answer = node
            .match_requests(std::slice::from_ref(&sub))
            .unwrap()
            .pop()
            .unwrap()
            .1;
    });
    let earlier: Vec<RoaringBitmap> = (0..1_000u32)
        .map(|i| (i * 7..i * 7 + 40).collect())
        .collect();
    let check = median_secs(21, || {
        let _ = black_box(bithive_matching::disclosure::check(&answer, &earlier, 5));
    });
    println!(
        "disclosure check of an answer of {} users against 1,000 earlier answers: {:.3} ms; the join of that request over 2*10^4 users: {:.3} ms; ratio {:.2}",
        answer.len(),
        check * 1e3,
        join * 1e3,
        check / join
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--privacy") {
        privacy_costs();
        return;
    }
    if let Some(k) = args.iter().position(|a| a == "--e2e") {
        let n = args
            .get(k + 1)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(1_000_000);
        end_to_end(n);
        return;
    }
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
    let blind = blinding_rates(
        if quick { 10_000 } else { 30_000 },
        if quick { 3 } else { 5 },
    );
    if args.iter().any(|a| a == "--blinding") {
        return;
    }
    let batch = blind;

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
    let authority = key_authority(n, &mut rng);
    let t = Instant::now();
    let sealed = seal_outputs(&authority, results, &specs, &mut rng);
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
