//! Grouped BGW (section 3.2) at sizes that fit here: N = A x B users.
//!
//!   cargo bench -p bithive-dgkbe --bench grouped [-- --quick]
//!
//! Prints setup time, server and public-parameter memory, encrypt time and ciphertext size for
//! |S| = 10^3, 10^5, 10^6 spread over all groups, and decrypt (cached W / fresh key).

mod common;

use std::hint::black_box;
use std::time::Instant;

use bithive_dgkbe::grouped::GroupedSecret;
use bithive_dgkbe::RoaringBitmap;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use common::{median, ms};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (b, groups) = (1_000u32, 1_000u32);
    let n = b * groups;
    println!("# grouped BGW: B = {b}, A = {groups}, N = {n}");
    let t = Instant::now();
    let server = GroupedSecret::setup(b, groups, 0, &mut rng).unwrap();
    let setup = t.elapsed();
    let t = Instant::now();
    let pp = server.public_params();
    let pp_time = t.elapsed();
    println!(
        "setup {:.0} ms; server secret {:.1} KiB; public params {:.0} ms, {:.1} KiB compressed",
        ms(setup),
        server.secret_bytes() as f64 / 1024.0,
        ms(pp_time),
        pp.to_bytes().len() as f64 / 1024.0
    );
    let iters = if quick { 5 } else { 15 };
    for size in [1_000u32, 100_000, 1_000_000] {
        let step = n / size;
        let s: RoaringBitmap = (0..size).map(|k| k * step + 1).collect();
        let ct = server
            .encrypt(&s, b"request details", b"", &mut rng)
            .unwrap();
        let enc = median(iters, || {
            black_box(
                server
                    .encrypt(&s, b"request details", b"", &mut rng)
                    .unwrap(),
            );
        });
        println!(
            "encrypt |S| = {:>7}: {:8.2} ms, {} groups touched, ciphertext {} bytes",
            s.len(),
            ms(enc),
            ct.header.c1.len(),
            ct.to_bytes().len()
        );
        let mut key = server.extract(1).unwrap();
        key.decrypt(&pp, &s, &ct, b"").unwrap();
        let cached = median(iters, || {
            black_box(key.decrypt(&pp, &s, &ct, b"").unwrap());
        });
        let fresh = median(iters, || {
            let mut k = server.extract(1).unwrap();
            black_box(k.decrypt(&pp, &s, &ct, b"").unwrap());
        });
        println!(
            "  decrypt user 1 (|S_a| = {}): cached W {:.2} ms, fresh key (extract + W) {:.2} ms",
            s.range_cardinality(1..=b),
            ms(cached),
            ms(fresh)
        );
    }
    let one: RoaringBitmap = [1u32].into_iter().collect();
    let all_groups: RoaringBitmap = (0..groups).map(|a| a * b + 1).collect();
    let e1 = median(iters * 4, || {
        black_box(server.encapsulate(&one, &mut rng).unwrap());
    });
    let ea = median(iters, || {
        black_box(server.encapsulate(&all_groups, &mut rng).unwrap());
    });
    println!(
        "encapsulate 1 group: {:.3} ms; {groups} groups (1 user each): {:.2} ms -> {:.1} us per group",
        ms(e1),
        ms(ea),
        (ms(ea) - ms(e1)) * 1e3 / f64::from(groups - 1)
    );
}
