//! Behaviour of the seed's algebra (test-only, `insecure-seed-scheme`): who can decrypt what,
//! including the flaws that keep it out of production, tampering, encodings, epochs.

mod common;

use bithive_dgkbe::seed::{Ciphertext, SeedSecret, UserKey, HEADER_BYTES};
use bithive_dgkbe::{DgkbeError, RoaringBitmap};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u32 = 16;

fn set(xs: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    xs.into_iter().collect()
}

fn instance(seed: u64) -> (SeedSecret, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let s0 = set(1..=12);
    let server = SeedSecret::setup(N, &s0, 0, &mut rng).unwrap();
    (server, rng)
}

#[test]
fn members_of_s_and_s0_decrypt() {
    let (server, mut rng) = instance(1);
    let s = set([2, 3, 5, 7, 11, 13, 14]);
    let ct = server
        .encrypt(&s, b"study 42 details", b"req-42", &mut rng)
        .unwrap();
    for i in [2, 3, 5, 7, 11] {
        let key = server.extract(i).unwrap();
        assert_eq!(key.decrypt(&ct, b"req-42").unwrap(), b"study 42 details");
    }
}

#[test]
fn recipients_outside_s0_get_an_authentication_error() {
    let (server, mut rng) = instance(2);
    let s = set([2, 13, 14]);
    let ct = server.encrypt(&s, b"details", b"", &mut rng).unwrap();
    for i in [13, 14] {
        let key = server.extract(i).unwrap();
        assert_eq!(key.decrypt(&ct, b""), Err(DgkbeError::Authentication));
    }
}

#[test]
fn users_outside_both_sets_get_an_authentication_error() {
    let (server, mut rng) = instance(3);
    let ct = server
        .encrypt(&set([1, 2]), b"details", b"", &mut rng)
        .unwrap();
    for i in [15, 16] {
        let key = server.extract(i).unwrap();
        assert_eq!(key.decrypt(&ct, b""), Err(DgkbeError::Authentication));
    }
}

/// The seed's derivation drops i from S0\S by assuming i in S. For i in S0\S the denominator is
/// still gamma + sigma(S) - alpha^(n+1-i), so Dec returns the session key: the seed algebra gives
/// every member of S0 every message of the epoch. This test pins that behaviour so nobody relies
/// on S for confidentiality against members of S0 (README, "Security").
#[test]
fn seed_algebra_does_not_revoke_members_of_s0() {
    let (server, mut rng) = instance(4);
    let s = set([1, 2]);
    let ct = server
        .encrypt(&s, b"meant for 1 and 2", b"", &mut rng)
        .unwrap();
    let outsider_in_s0 = server.extract(9).unwrap();
    assert_eq!(
        outsider_in_s0.decrypt(&ct, b"").unwrap(),
        b"meant for 1 and 2"
    );
}

/// Keyless forgery (#20), pinned: for a user outside S0 the seed's Dec is the GT identity for any
/// header, so a body anyone seals under it opens. `UserKey::decrypt` takes no S and cannot be
/// fixed by a client-side check (an S0 member skips it and reads everything anyway), which is
/// why the seed algebra is test-only and the product scheme is `bgw`.
#[test]
fn seed_algebra_lets_anyone_forge_for_users_outside_s0() {
    let (server, mut rng) = instance(11);
    let (header, _) = server.encapsulate(&set([1, 2]), &mut rng).unwrap();
    let body = common::seal_under(&common::one(), &header.to_bytes(), b"forged", b"");
    let forged = Ciphertext { header, body };
    for i in [13, 16] {
        assert_eq!(
            server.extract(i).unwrap().decrypt(&forged, b"").unwrap(),
            b"forged"
        );
    }
    assert!(server.extract(1).unwrap().decrypt(&forged, b"").is_err());
}

#[test]
fn s_equal_to_s0_has_identity_correction_and_decrypts() {
    let (server, mut rng) = instance(5);
    let ct = server.encrypt(&set(1..=12), b"all", b"", &mut rng).unwrap();
    assert!(ark_ec::AffineRepr::is_zero(&ct.header.c2));
    let bytes = ct.to_bytes();
    let back = Ciphertext::from_bytes(&bytes).unwrap();
    assert_eq!(
        server.extract(4).unwrap().decrypt(&back, b"").unwrap(),
        b"all"
    );
}

#[test]
fn tampering_with_any_part_is_an_authentication_error() {
    let (server, mut rng) = instance(6);
    let s = set([3, 4]);
    let ct = server.encrypt(&s, b"payload", b"aad", &mut rng).unwrap();
    let other = server.encrypt(&s, b"payload", b"aad", &mut rng).unwrap();
    let key = server.extract(3).unwrap();
    assert!(key.decrypt(&ct, b"aad").is_ok());
    assert_eq!(key.decrypt(&ct, b"aaD"), Err(DgkbeError::Authentication));
    let mut t = ct.clone();
    t.header.c0 = other.header.c0;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
    let mut t = ct.clone();
    t.header.c1 = other.header.c1;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
    let mut t = ct.clone();
    t.header.c2 = other.header.c2;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
    let mut t = ct.clone();
    t.header.epoch += 1;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
    let mut t = ct.clone();
    t.body[0] ^= 1;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
    let mut t = ct;
    let last = t.body.len() - 1;
    t.body[last] ^= 0x80;
    assert_eq!(key.decrypt(&t, b"aad"), Err(DgkbeError::Authentication));
}

#[test]
fn encodings_round_trip_and_are_canonical() {
    let (server, mut rng) = instance(7);
    let ct = server
        .encrypt(&set([5, 6, 14]), b"x", b"", &mut rng)
        .unwrap();
    let bytes = ct.to_bytes();
    assert_eq!(bytes.len(), HEADER_BYTES + 4 + 1 + 16);
    assert_eq!(Ciphertext::from_bytes(&bytes).unwrap(), ct);
    let key = server.extract(5).unwrap();
    let kb = key.to_bytes();
    let key2 = UserKey::from_bytes(&kb).unwrap();
    assert_eq!(key2.to_bytes(), kb);
    assert_eq!(key2.decrypt(&ct, b"").unwrap(), b"x");

    // Truncation and trailing bytes.
    assert!(Ciphertext::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut long = bytes.clone();
    long.push(0);
    assert!(Ciphertext::from_bytes(&long).is_err());
    assert!(UserKey::from_bytes(&kb[..kb.len() - 1]).is_err());
    // Unknown version.
    let mut v = bytes.clone();
    v[0] = 2;
    assert!(Ciphertext::from_bytes(&v).is_err());
    // Flipping the sign flag of C1 gives the negated point: valid and canonical but a different
    // ciphertext, which must fail authentication rather than decrypt.
    let mut neg = bytes.clone();
    neg[57] ^= 0x20;
    let parsed = Ciphertext::from_bytes(&neg).unwrap();
    assert_eq!(key.decrypt(&parsed, b""), Err(DgkbeError::Authentication));
    // Clearing the compression flag makes the encoding non-canonical for a compressed decoder.
    let mut nc = bytes.clone();
    nc[9] &= 0x7f;
    assert!(Ciphertext::from_bytes(&nc).is_err());
}

#[test]
fn identity_and_off_subgroup_points_are_rejected() {
    let (server, mut rng) = instance(8);
    let ct = server.encrypt(&set([5]), b"x", b"", &mut rng).unwrap();
    let mut bytes = ct.to_bytes();
    // Compressed identity: flags 0b110 then zeros.
    let mut identity = [0u8; 48];
    identity[0] = 0xc0;
    bytes[9..57].copy_from_slice(&identity);
    assert!(matches!(
        Ciphertext::from_bytes(&bytes),
        Err(DgkbeError::Malformed(_))
    ));

    // A point on E(Fp) outside the r-torsion subgroup: first x >= 1 with x^3 + 4 a square.
    use ark_bls12_381::{Fq, G1Affine};
    use ark_ff::Field;
    use ark_serialize::CanonicalSerialize;
    let mut x = Fq::from(1u64);
    let off = loop {
        if let Some(y) = (x * x * x + Fq::from(4u64)).sqrt() {
            let p = G1Affine::new_unchecked(x, y);
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                break p;
            }
        }
        x += Fq::from(1u64);
    };
    let mut enc = [0u8; 48];
    off.serialize_compressed(&mut enc[..]).unwrap();
    let mut bytes = ct.to_bytes();
    bytes[57..105].copy_from_slice(&enc);
    assert!(matches!(
        Ciphertext::from_bytes(&bytes),
        Err(DgkbeError::Malformed(_))
    ));
}

#[test]
fn indices_are_checked() {
    let (server, mut rng) = instance(9);
    assert_eq!(
        server.extract(0).err(),
        Some(DgkbeError::IndexOutOfRange(0))
    );
    assert_eq!(
        server.extract(N + 1).err(),
        Some(DgkbeError::IndexOutOfRange(N + 1))
    );
    assert_eq!(
        server.encrypt(&set([0, 1]), b"", b"", &mut rng).err(),
        Some(DgkbeError::IndexOutOfRange(0))
    );
    assert_eq!(
        server.encrypt(&set([N + 1]), b"", b"", &mut rng).err(),
        Some(DgkbeError::IndexOutOfRange(N + 1))
    );
    assert_eq!(
        server
            .encrypt(&RoaringBitmap::new(), b"", b"", &mut rng)
            .err(),
        Some(DgkbeError::EmptyRecipients)
    );
    assert!(SeedSecret::setup(0, &RoaringBitmap::new(), 0, &mut rng).is_err());
}

#[test]
fn epochs_join_and_leave_without_breaking_existing_users() {
    let (e0, mut rng) = instance(10);
    let old_key_stayer = e0.extract(3).unwrap();
    let old_key_leaver = e0.extract(4).unwrap();
    let old_ct = e0.encrypt(&set([3, 4]), b"epoch 0", b"", &mut rng).unwrap();

    // User 4 leaves, user 14 joins.
    let e1 = e0.next_epoch(&set([14]), &set([4]), &mut rng).unwrap();
    assert_eq!(e1.public_params().epoch, 1);
    assert!(e1.s0().contains(14) && !e1.s0().contains(4));
    let new_ct = e1
        .encrypt(&set([3, 4, 14]), b"epoch 1", b"", &mut rng)
        .unwrap();

    // Old keys still open old ciphertexts (nothing already delivered breaks)...
    assert_eq!(old_key_stayer.decrypt(&old_ct, b"").unwrap(), b"epoch 0");
    assert_eq!(old_key_leaver.decrypt(&old_ct, b"").unwrap(), b"epoch 0");
    // ...and open nothing of the new epoch.
    assert_eq!(
        old_key_stayer.decrypt(&new_ct, b""),
        Err(DgkbeError::Authentication)
    );
    assert_eq!(
        old_key_leaver.decrypt(&new_ct, b""),
        Err(DgkbeError::Authentication)
    );
    // Stayers and joiners decrypt with their re-extracted keys; the leaver's new-epoch slot key
    // (not in S0') does not, even though 4 is in S.
    assert_eq!(
        e1.extract(3).unwrap().decrypt(&new_ct, b"").unwrap(),
        b"epoch 1"
    );
    assert_eq!(
        e1.extract(14).unwrap().decrypt(&new_ct, b"").unwrap(),
        b"epoch 1"
    );
    assert_eq!(
        e1.extract(4).unwrap().decrypt(&new_ct, b""),
        Err(DgkbeError::Authentication)
    );
    // A joiner cannot open what was sent before it joined.
    assert_eq!(
        e1.extract(14).unwrap().decrypt(&old_ct, b""),
        Err(DgkbeError::Authentication)
    );
}
