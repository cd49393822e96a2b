//! Probe (not part of the product): Ristretto blinding with the decode's inverse square root
//! shipped beside each element, against the same blinding with dalek's decode, both against the
//! raw variable-base multiplication, alternating in chunks of 512 in one run. Built by `run.sh`
//! against curve25519-dalek 5.0.0 with `dalek-decode-witness.patch` applied.
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::Scalar;
use rayon::prelude::*;
use std::hint::black_box;
use std::time::Instant;

const N: usize = 30_000;
const ROUNDS: usize = 5;

fn blind_decode(c: &[CompressedRistretto], half: &Scalar) -> Vec<CompressedRistretto> {
    let v: Vec<RistrettoPoint> = c.iter().map(|x| x.decompress().unwrap() * half).collect();
    RistrettoPoint::double_and_compress_batch(&v)
}

fn blind_witness(
    c: &[CompressedRistretto],
    w: &[[u8; 32]],
    half: &Scalar,
) -> Vec<CompressedRistretto> {
    let v: Vec<RistrettoPoint> = c
        .iter()
        .zip(w)
        .map(|(x, w)| x.decompress_with_witness(w).unwrap() * half)
        .collect();
    RistrettoPoint::double_and_compress_batch(&v)
}

fn main() {
    let pts: Vec<RistrettoPoint> = (0..N as u64)
        .map(|i| {
            let mut b = [7u8; 64];
            b[..8].copy_from_slice(&i.to_le_bytes());
            RistrettoPoint::from_uniform_bytes(&b)
        })
        .collect();
    let wire: Vec<CompressedRistretto> = pts.iter().map(|p| p.compress()).collect();
    let wit: Vec<[u8; 32]> = wire.iter().map(|c| c.decode_witness().unwrap()).collect();
    let s = Scalar::from_bytes_mod_order_wide(&[0x5a; 64]);
    let half = s * Scalar::from(2u8).invert();

    // The witness changes the cost, never the result: same point, same blinded bytes; a
    // tampered witness or a non-canonical encoding is refused.
    for (c, w) in wire.iter().zip(&wit) {
        assert_eq!(c.decompress_with_witness(w), c.decompress());
        let mut bad = *w;
        bad[0] ^= 1;
        assert!(c.decompress_with_witness(&bad).is_none());
    }
    assert_eq!(
        blind_decode(&wire[..512], &half),
        blind_witness(&wire[..512], &wit[..512], &half)
    );
    let mut high = wire[0].to_bytes();
    high[31] |= 0x80;
    assert!(CompressedRistretto(high)
        .decompress_with_witness(&wit[0])
        .is_none());

    let us = |x: f64| x / (N * ROUNDS) as f64 * 1e6;
    let (mut raw, mut dec, mut bd, mut bw) = (0.0, 0.0, 0.0, 0.0);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    one.install(|| {
        for _ in 0..ROUNDS {
            for ((p, c), w) in pts.chunks(512).zip(wire.chunks(512)).zip(wit.chunks(512)) {
                let t = Instant::now();
                for q in p {
                    black_box(q * s);
                }
                raw += t.elapsed().as_secs_f64();
                let t = Instant::now();
                for x in c {
                    black_box(x.decompress());
                }
                dec += t.elapsed().as_secs_f64();
                let t = Instant::now();
                black_box(blind_decode(c, &half));
                bd += t.elapsed().as_secs_f64();
                let t = Instant::now();
                black_box(blind_witness(c, w, &half));
                bw += t.elapsed().as_secs_f64();
            }
        }
    });
    println!(
        "one thread, per element: raw mul {:.2} us, decode {:.2} us | blinding with decode {:.2} us = {:.3} x raw | with witness {:.2} us = {:.3} x raw",
        us(raw), us(dec), us(bd), raw / bd, us(bw), raw / bw
    );
    let threads = rayon::current_num_threads();
    let (mut raw2, mut bd2, mut bw2) = (0.0, 0.0, 0.0);
    for _ in 0..ROUNDS {
        let step = 512 * 4 * threads;
        for ((p, c), w) in pts
            .chunks(step)
            .zip(wire.chunks(step))
            .zip(wit.chunks(step))
        {
            let t = Instant::now();
            p.par_chunks(512).for_each(|p| {
                for q in p {
                    black_box(q * s);
                }
            });
            raw2 += t.elapsed().as_secs_f64();
            let t = Instant::now();
            c.par_chunks(512).for_each(|c| {
                black_box(blind_decode(c, &half));
            });
            bd2 += t.elapsed().as_secs_f64();
            let t = Instant::now();
            c.par_chunks(512).zip(w.par_chunks(512)).for_each(|(c, w)| {
                black_box(blind_witness(c, w, &half));
            });
            bw2 += t.elapsed().as_secs_f64();
        }
    }
    let n = (N * ROUNDS) as f64;
    println!(
        "{threads} threads, wall: raw mul {:.0}/s | blinding with decode {:.0}/s = {:.3} x raw | with witness {:.0}/s = {:.3} x raw",
        n / raw2, n / bd2, raw2 / bd2, n / bw2, raw2 / bw2
    );
}
