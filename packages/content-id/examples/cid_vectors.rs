//! Prints "profile size cid" for the deterministic files of testing/helia/cids.mjs (same table,
//! same xorshift32 content); scripts/test.d/content-id.sh diffs the two outputs.

use bithive_content_id::{cid_with, Profile};

/// xorshift32 seeded from the size, 4 little-endian bytes per step (mirrors cids.mjs).
fn content(size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    let mut x = 0x9e37_79b9u32 ^ size as u32;
    if x == 0 {
        x = 1;
    }
    for chunk in out.chunks_mut(4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let b = x.to_le_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
    out
}

fn main() {
    const KIB256: usize = 262_144;
    const MIB: usize = 1_048_576;
    let tiny = Profile::new(1000, 3).expect("valid profile");
    let table: [(&str, Profile, &[usize]); 3] = [
        (
            "kubo-v1",
            Profile::KUBO_V1,
            &[
                0,
                1,
                KIB256 - 1,
                KIB256,
                KIB256 + 1,
                MIB + 7,
                174 * KIB256,
                174 * KIB256 + 1,
            ],
        ),
        (
            "helia-default",
            Profile::HELIA_DEFAULT,
            &[0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 5],
        ),
        (
            "tiny",
            tiny,
            &[0, 999, 1000, 1001, 3000, 3001, 9001, 27001, 50000],
        ),
    ];
    for (name, profile, sizes) in table {
        for &size in sizes {
            println!("{name} {size} {}", cid_with(&content(size), profile));
        }
    }
}
