//! DGKBE figures beside same-run references, as ratios.
//!
//!   cargo bench -p bithive-dgkbe --bench dgkbe [-- --quick]
//!
//! n = 10^6 registered users in both modes (Setup is cheap: n field multiplications);
//! `--quick` only lowers iteration counts.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, Group};
use ark_ff::Zero;
use ark_serialize::CanonicalSerialize;
use ark_std::UniformRand;
use bithive_dgkbe::bgw::BgwCiphertext;
use bithive_dgkbe::seed::{Ciphertext, SeedSecret};
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use common::{median, ms};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct BlstPairs {
    p: [blst::blst_p1_affine; 3],
    q: [blst::blst_p2_affine; 3],
}

impl BlstPairs {
    /// Same ZCash encodings on both sides: blst decodes (with checks) once, outside the timing.
    fn new(g1: &[G1Affine; 3], g2: &[G2Affine; 3]) -> Self {
        let mut p = [blst::blst_p1_affine::default(); 3];
        let mut q = [blst::blst_p2_affine::default(); 3];
        for k in 0..3 {
            let mut b1 = [0u8; 48];
            g1[k].serialize_compressed(&mut b1[..]).unwrap();
            let mut b2 = [0u8; 96];
            g2[k].serialize_compressed(&mut b2[..]).unwrap();
            // SAFETY: buffers have the sizes blst expects.
            unsafe {
                assert_eq!(
                    blst::blst_p1_uncompress(&mut p[k], b1.as_ptr()),
                    blst::BLST_ERROR::BLST_SUCCESS
                );
                assert_eq!(
                    blst::blst_p2_uncompress(&mut q[k], b2.as_ptr()),
                    blst::BLST_ERROR::BLST_SUCCESS
                );
            }
        }
        Self { p, q }
    }

    /// The multi-pairing of the first `k` (<= 3) pairs.
    fn multi_pairing(&self, k: usize) -> blst::blst_fp12 {
        let k = k.min(3);
        let pp: [*const blst::blst_p1_affine; 3] = [&self.p[0], &self.p[1], &self.p[2]];
        let qq: [*const blst::blst_p2_affine; 3] = [&self.q[0], &self.q[1], &self.q[2]];
        let mut ml = blst::blst_fp12::default();
        let mut out = blst::blst_fp12::default();
        // SAFETY: k <= 3 valid affine points on each side, pointers live for the call.
        unsafe {
            blst::blst_miller_loop_n(&mut ml, qq.as_ptr(), pp.as_ptr(), k);
            blst::blst_final_exp(&mut out, &ml);
        }
        out
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: u32 = 1_000_000;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    println!(
        "# DGKBE bench (n = {n}, {} mode)",
        if quick { "quick" } else { "full" }
    );

    // Setup and memory.
    let s0: RoaringBitmap = (1..=n).collect();
    let rss0 = rss_kib();
    let t = Instant::now();
    let server = SeedSecret::setup(n, &s0, 0, &mut rng).unwrap();
    let setup = t.elapsed();
    let rss1 = rss_kib();
    println!(
        "setup n=10^6: {:.0} ms; scalar table {:.1} MiB; S0 bitmap {:.1} KiB; RSS delta {:.1} MiB",
        ms(setup),
        server.table_bytes() as f64 / 1048576.0,
        s0.serialized_size() as f64 / 1024.0,
        (rss1.saturating_sub(rss0)) as f64 / 1024.0
    );

    // Encryption for |S| = 10^3, 10^5, 10^6 (random subsets), vs the addition work of BGW
    // encryption with public parameters (|S| G1 mixed additions of precomputed g_k).
    let pool: Vec<G1Affine> = G1Projective::normalize_batch(
        &(0..4096)
            .map(|_| G1Projective::rand(&mut rng))
            .collect::<Vec<_>>(),
    );
    for size in [1_000u32, 100_000, 1_000_000] {
        let step = n / size;
        let s: RoaringBitmap = (0..size)
            .map(|k| k * step + 1 + (k % step.max(1)))
            .collect();
        let s: RoaringBitmap = s.iter().filter(|&j| j <= n).collect();
        let iters = if quick { 5 } else { 15 };
        let enc = median(iters, || {
            black_box(
                server
                    .encrypt(&s, b"request details", b"", &mut rng)
                    .unwrap(),
            );
        });
        let bgw = median(iters, || {
            let mut acc = G1Projective::zero();
            for k in 0..s.len() as usize {
                acc += pool[k & 4095];
            }
            let _ = black_box(acc);
        });
        println!(
            "encrypt |S|={:>7}: {:8.3} ms | BGW public-param additions {:8.3} ms | ratio {:.3}",
            s.len(),
            ms(enc),
            ms(bgw),
            ms(enc) / ms(bgw)
        );
    }

    // The constant part of ServEnc (|S| = 1) and one fixed-base G1 multiplication vs ark's
    // variable-base one: what each extra group costs in the grouped design for 10^8 users.
    let one: RoaringBitmap = [1u32].into_iter().collect();
    let iters = if quick { 30 } else { 100 };
    let constant = median(iters, || {
        black_box(server.encrypt(&one, b"x", b"", &mut rng).unwrap());
    });
    let table = bithive_dgkbe::fixed_base::FixedBaseTable::new(G1Projective::generator());
    let sc = Fr::rand(&mut rng);
    let fixed = median(iters * 10, || {
        let _ = black_box(table.mul(&sc));
    });
    let variable = median(iters * 10, || {
        let _ = black_box(G1Projective::generator() * sc);
    });
    println!(
        "encrypt |S|=1 (constant part): {:.3} ms | fixed-base G1 mul {:.1} us | ark variable-base G1 mul {:.1} us | ratio {:.3}",
        ms(constant),
        us(fixed),
        us(variable),
        us(fixed) / us(variable)
    );

    // Key extraction: one core and both cores, vs three variable-base G2 scalar mults.
    let count = if quick { 400 } else { 2000 };
    let t = Instant::now();
    for i in 1..=count {
        black_box(server.extract(i).unwrap());
    }
    let one = t.elapsed();
    let t = Instant::now();
    std::thread::scope(|sc| {
        for half in 0..2u32 {
            let server = &server;
            sc.spawn(move || {
                for i in (1 + half..=count).step_by(2) {
                    black_box(server.extract(i).unwrap());
                }
            });
        }
    });
    let two = t.elapsed();
    let scalars: Vec<Fr> = (0..3 * count).map(|_| Fr::rand(&mut rng)).collect();
    let t = Instant::now();
    for c in scalars.chunks(3) {
        let pts = [
            G2Projective::generator() * c[0],
            G2Projective::generator() * c[1],
            G2Projective::generator() * c[2],
        ];
        black_box(G2Projective::normalize_batch(&pts));
    }
    let raw = t.elapsed();
    let per_s = |d: Duration| count as f64 / d.as_secs_f64();
    println!(
        "key extraction: {:.0}/s one core, {:.0}/s two threads | 3 variable-base G2 muls {:.0}/s | ratio {:.2}x",
        per_s(one),
        per_s(two),
        per_s(raw),
        per_s(one) / per_s(raw)
    );
    println!(
        "  -> extracting all 10^6 keys: {:.0} s on two threads; key = 301 bytes, 10^6 keys = {:.0} MiB",
        1e6 / per_s(two),
        1e6 * 301.0 / 1048576.0
    );

    // Decryption vs raw three-pair multi-pairings.
    let s: RoaringBitmap = (1..=1000).collect();
    let ct = server
        .encrypt(&s, b"request details", b"", &mut rng)
        .unwrap();
    let bytes = ct.to_bytes();
    let key = server.extract(17).unwrap();
    assert_eq!(key.decrypt(&ct, b"").unwrap(), b"request details");
    let iters = if quick { 60 } else { 300 };
    let dec = median(iters, || {
        black_box(key.decrypt(&ct, b"").unwrap());
    });
    let dec_parse = median(iters, || {
        let c = Ciphertext::from_bytes(&bytes).unwrap();
        black_box(key.decrypt(&c, b"").unwrap());
    });
    let g1 = [ct.header.c1, -ct.header.c0, -ct.header.c2];
    let g2: [G2Affine; 3] = {
        let v = G2Projective::normalize_batch(
            &(0..3)
                .map(|_| G2Projective::rand(&mut rng))
                .collect::<Vec<_>>(),
        );
        [v[0], v[1], v[2]]
    };
    let ark_raw = median(iters, || {
        let _ = black_box(Bls12_381::multi_pairing(g1, g2));
    });
    let blst_pairs = BlstPairs::new(&g1, &g2);
    let blst_raw = median(iters, || {
        black_box(blst_pairs.multi_pairing(3));
    });
    println!(
        "decrypt: {:.0} us | ark 3-pair multi-pairing {:.0} us | ratio {:.3} | blst 3-pair {:.0} us | ratio {:.3}",
        us(dec),
        us(ark_raw),
        us(dec) / us(ark_raw),
        us(blst_raw),
        us(dec) / us(blst_raw)
    );
    println!(
        "decrypt incl. parsing + subgroup checks: {:.0} us | ratio vs ark raw {:.3}",
        us(dec_parse),
        us(dec_parse) / us(ark_raw)
    );

    // The sound variant (bgw module) on one group of B = 10^4 slots: public parameters, and
    // decryption with the client-side differential (fresh key: |S| G2 additions; cached: none).
    let b: u32 = 10_000;
    let group = ServerSecret::setup(b, &(1..=b).collect(), 0, &mut rng).unwrap();
    let t = Instant::now();
    let pp = group.bgw_public_params();
    let pp_time = t.elapsed();
    let s: RoaringBitmap = (1..=1000).map(|k| k * 7).collect();
    let (h, sk) = group.bgw_encapsulate(&s, &mut rng).unwrap();
    let bct = sk.seal_bgw(h, b"request details", b"").unwrap();
    let fresh = median(if quick { 5 } else { 20 }, || {
        let mut key = group.bgw_extract(7).unwrap();
        black_box(key.decrypt(&pp, &s, &bct, b"").unwrap());
    });
    let mut key = group.bgw_extract(7).unwrap();
    key.decrypt(&pp, &s, &bct, b"").unwrap();
    let cached = median(iters, || {
        black_box(key.decrypt(&pp, &s, &bct, b"").unwrap());
    });
    let two = median(iters, || {
        let _ = black_box(Bls12_381::multi_pairing([g1[0], g1[1]], [g2[0], g2[1]]));
    });
    // The primitive the cached path runs: both G2 points already prepared (line coefficients).
    let prep: Vec<<Bls12_381 as Pairing>::G2Prepared> = vec![g2[0].into(), g2[1].into()];
    let two_prepared = median(iters, || {
        let ml = Bls12_381::multi_miller_loop([g1[0], g1[1]], prep.clone());
        let _ = black_box(Bls12_381::final_exponentiation(ml));
    });
    let blst_two = median(iters, || {
        black_box(blst_pairs.multi_pairing(2));
    });
    let bytes = bct.to_bytes();
    let parsed = median(iters, || {
        let c = BgwCiphertext::from_bytes(&bytes).unwrap();
        black_box(key.decrypt(&pp, &s, &c, b"").unwrap());
    });
    println!(
        "bgw (B = 10^4): public params {:.2} s ({:.1} MiB compressed) | decrypt |S| = 10^3 fresh {:.0} us, cached {:.0} us, cached incl. parsing {:.0} us | ark 2-pair multi-pairing {:.0} us | ratio cached {:.3} | ark 2-pair, G2 prepared {:.0} us | ratio cached {:.3} | blst 2-pair {:.0} us | ratio {:.3}",
        pp_time.as_secs_f64(),
        2.0 * f64::from(b) * 96.0 / 1048576.0,
        us(fresh),
        us(cached),
        us(parsed),
        us(two),
        us(cached) / us(two),
        us(two_prepared),
        us(cached) / us(two_prepared),
        us(blst_two),
        us(cached) / us(blst_two)
    );
}
