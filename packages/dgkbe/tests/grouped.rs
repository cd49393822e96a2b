//! Grouped BGW (section 3.2): members of S in every touched group decrypt; non-members of a
//! touched group, users of untouched groups, other epochs and tampering get an auth error.

use bithive_dgkbe::grouped::{GroupedCiphertext, GroupedSecret};
use bithive_dgkbe::{DgkbeError, RoaringBitmap};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

#[test]
fn members_decrypt_and_everyone_else_gets_an_auth_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(31);
    // 5 groups of 8: users 1..=40. S touches groups 0, 2 and 4 (not 1 and 3).
    let server = GroupedSecret::setup(8, 5, 3, &mut rng).unwrap();
    let pp = server.public_params();
    let s: RoaringBitmap = [1u32, 2, 8, 17, 20, 33, 40].into_iter().collect();
    let ct = server.encrypt(&s, b"grouped", b"id", &mut rng).unwrap();
    assert_eq!(
        ct.header.c1.iter().map(|c| c.0).collect::<Vec<_>>(),
        [0, 2, 4]
    );
    let ct = GroupedCiphertext::from_bytes(&ct.to_bytes()).unwrap();
    for u in 1..=40 {
        let mut key = server.extract(u).unwrap();
        let got = key.decrypt(&pp, &s, &ct, b"id");
        if s.contains(u) {
            assert_eq!(got.unwrap(), b"grouped", "user {u}");
        } else {
            assert_eq!(got.unwrap_err(), DgkbeError::Authentication, "user {u}");
        }
    }
    // A member claiming a set that differs within its group, or other AAD, or tampering: fails.
    let mut member = server.extract(17).unwrap();
    let mut other = s.clone();
    other.remove(20);
    assert!(member.decrypt(&pp, &other, &ct, b"id").is_err());
    assert!(member.decrypt(&pp, &s, &ct, b"other").is_err());
    let mut bytes = ct.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = GroupedCiphertext::from_bytes(&bytes).unwrap();
    assert!(member.decrypt(&pp, &s, &tampered, b"id").is_err());
    // Swapping two groups' C1 is caught by the ascending-order check or fails to decrypt.
    let mut swapped = ct.clone();
    let (c_a, c_b) = (swapped.header.c1[0].1, swapped.header.c1[1].1);
    swapped.header.c1[0].1 = c_b;
    swapped.header.c1[1].1 = c_a;
    assert!(member.decrypt(&pp, &s, &swapped, b"id").is_err());
    assert_eq!(member.decrypt(&pp, &s, &ct, b"id").unwrap(), b"grouped");
}

#[test]
fn keys_of_another_instance_or_epoch_fail_and_inputs_are_checked() {
    let mut rng = ChaCha20Rng::seed_from_u64(32);
    let server = GroupedSecret::setup(4, 3, 1, &mut rng).unwrap();
    let later = GroupedSecret::setup(4, 3, 2, &mut rng).unwrap();
    let s: RoaringBitmap = (1..=12).collect();
    let ct = server.encrypt(&s, b"x", b"", &mut rng).unwrap();
    let mut stale = later.extract(5).unwrap();
    assert!(stale
        .decrypt(&server.public_params(), &s, &ct, b"")
        .is_err());
    assert!(stale.decrypt(&later.public_params(), &s, &ct, b"").is_err());
    assert!(server.extract(0).is_err());
    assert!(server.extract(13).is_err());
    assert!(server
        .encrypt(&[13u32].into_iter().collect(), b"x", b"", &mut rng)
        .is_err());
    assert!(server
        .encrypt(&RoaringBitmap::new(), b"x", b"", &mut rng)
        .is_err());
    let mut bytes = ct.to_bytes();
    bytes.truncate(70);
    assert!(GroupedCiphertext::from_bytes(&bytes).is_err());
    assert!(GroupedSecret::setup(1 << 20, 1 << 13, 0, &mut rng).is_err());
}
