//! Public-key encapsulation (`BgwEncryptionKey`): a researcher encrypts to S with what the key
//! authority published, and exactly S decrypts with their unchanged user keys (#20 item 3).

use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams};
use bithive_dgkbe::{DgkbeError, RoaringBitmap, ServerSecret};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u32 = 24;

fn set(xs: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    xs.into_iter().collect()
}

fn published(server: &ServerSecret) -> (BgwPublicParams, BgwEncryptionKey) {
    // What the encryptor holds: the published bytes, decoded.
    let pp = BgwPublicParams::from_bytes(&server.bgw_public_params().to_bytes()).unwrap();
    let ek = BgwEncryptionKey::from_bytes(&server.bgw_encryption_key().to_bytes()).unwrap();
    (pp, ek)
}

#[test]
fn exactly_the_recipients_open_a_publicly_encrypted_body() {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let (pp, ek) = published(&server);
    ek.verify(&pp, &mut rng).unwrap();
    for s in [set([1]), set([N]), set([2, 5, 11, 24]), set(1..=N)] {
        let (h, k) = ek.encapsulate(&pp, &s, &mut rng).unwrap();
        let ct = k.seal_bgw(h, b"details", b"req-9").unwrap();
        for i in 1..=N {
            let mut key = server.bgw_extract(i).unwrap();
            let got = key.decrypt(&pp, &s, &ct, b"req-9").map(|(pt, _)| pt);
            if s.contains(i) {
                assert_eq!(got.unwrap(), b"details", "user {i} of {s:?}");
            } else {
                assert_eq!(got, Err(DgkbeError::Authentication), "user {i} of {s:?}");
            }
        }
    }
}

#[test]
fn public_and_authority_encapsulation_agree() {
    // Same randomness, same header and session key: the public path is the authority's KEM.
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let (pp, ek) = published(&server);
    let s = set([3, 4, 9]);
    let (h1, k1) = ek
        .encapsulate(&pp, &s, &mut ChaCha20Rng::seed_from_u64(7))
        .unwrap();
    let (h2, k2) = server
        .bgw_encapsulate(&s, &mut ChaCha20Rng::seed_from_u64(7))
        .unwrap();
    assert_eq!(h1, h2);
    // Equal session keys seal to equal bodies (the DEM is deterministic per key and header).
    let a = k1.seal_bgw(h1, b"x", b"aad").unwrap();
    let b = k2.seal_bgw(h2, b"x", b"aad").unwrap();
    let mut key = server.bgw_extract(3).unwrap();
    assert_eq!(key.decrypt(&pp, &s, &a, b"aad").unwrap().0, b"x");
    assert_eq!(key.decrypt(&pp, &s, &b, b"aad").unwrap().0, b"x");
}

#[test]
fn a_key_of_another_instance_or_epoch_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let other = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let next = server
        .next_epoch(&RoaringBitmap::new(), &RoaringBitmap::new(), &mut rng)
        .unwrap();
    let (pp, _) = published(&server);
    // A key authority that publishes another instance's G1 half is caught before use.
    assert!(other.bgw_encryption_key().verify(&pp, &mut rng).is_err());
    assert!(next.bgw_encryption_key().verify(&pp, &mut rng).is_err());
    // One wrong point among n+1 is caught too.
    let mut bytes = server.bgw_encryption_key().to_bytes();
    let other_bytes = other.bgw_encryption_key().to_bytes();
    let at = 13 + 48 * 5;
    bytes[at..at + 48].copy_from_slice(&other_bytes[at..at + 48]);
    let tampered = BgwEncryptionKey::from_bytes(&bytes).unwrap();
    assert!(tampered.verify(&pp, &mut rng).is_err());
    // Encapsulating under a mismatched pair is refused.
    assert!(next
        .bgw_encryption_key()
        .encapsulate(&pp, &set([1]), &mut rng)
        .is_err());
}

#[test]
fn bad_sets_and_bad_bytes_are_errors() {
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let (pp, ek) = published(&server);
    assert_eq!(
        ek.encapsulate(&pp, &RoaringBitmap::new(), &mut rng).err(),
        Some(DgkbeError::EmptyRecipients)
    );
    assert!(ek.encapsulate(&pp, &set([0]), &mut rng).is_err());
    assert!(ek.encapsulate(&pp, &set([N + 1]), &mut rng).is_err());
    let bytes = ek.to_bytes();
    assert_eq!(bytes.len(), 13 + 48 * (N as usize + 1));
    for cut in [0, 1, 12, 13, 60, bytes.len() - 1] {
        assert!(
            BgwEncryptionKey::from_bytes(&bytes[..cut]).is_err(),
            "{cut}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(BgwEncryptionKey::from_bytes(&long).is_err());
    // A huge declared n with a short body allocates nothing and fails.
    let mut huge = bytes.clone();
    huge[1..5].copy_from_slice(&(1u32 << 30).to_be_bytes());
    assert!(BgwEncryptionKey::from_bytes(&huge).is_err());
    let mut bad_point = bytes;
    bad_point[20] ^= 0xff;
    assert!(BgwEncryptionKey::from_bytes(&bad_point).is_err());
}
