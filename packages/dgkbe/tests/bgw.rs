//! The sound variant (client-side differential): exactly the members of S decrypt, including
//! against members of S0 outside S, which the seed algebra lets in.

use bithive_dgkbe::bgw::BgwCiphertext;
use bithive_dgkbe::{DgkbeError, RoaringBitmap, ServerSecret};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u32 = 16;

fn set(xs: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    xs.into_iter().collect()
}

#[test]
fn exactly_the_recipients_decrypt() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let server = ServerSecret::setup(N, &set(1..=12), 0, &mut rng).unwrap();
    let pp = server.bgw_public_params();
    let s = set([1, 2, 7, 13]);
    let (h, k) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    let ct = k.seal_bgw(h, b"only for S", b"id").unwrap();
    for i in 1..=N {
        let mut key = server.bgw_extract(i).unwrap();
        let got = key.decrypt(&pp, &s, &ct, b"id").map(|(pt, _)| pt);
        if s.contains(i) {
            assert_eq!(got.unwrap(), b"only for S", "user {i}");
        } else {
            // Includes 3..=12 (in S0, not in S): the case the seed algebra gets wrong.
            assert_eq!(got, Err(DgkbeError::Authentication), "user {i}");
        }
    }
}

#[test]
fn claiming_a_different_set_or_tampering_fails() {
    let mut rng = ChaCha20Rng::seed_from_u64(22);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let pp = server.bgw_public_params();
    let s = set([2, 3]);
    let (h, k) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    let ct = k.seal_bgw(h, b"x", b"").unwrap();
    let mut outsider = server.bgw_extract(9).unwrap();
    // An outsider pretending the set includes it computes the wrong W.
    assert_eq!(
        outsider
            .decrypt(&pp, &set([2, 3, 9]), &ct, b"")
            .map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
    let mut member = server.bgw_extract(2).unwrap();
    assert_eq!(
        member.decrypt(&pp, &set([2]), &ct, b"").map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
    let bytes = ct.to_bytes();
    assert_eq!(BgwCiphertext::from_bytes(&bytes).unwrap(), ct);
    assert!(BgwCiphertext::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut nc = bytes.clone();
    nc[9] &= 0x7f;
    assert!(BgwCiphertext::from_bytes(&nc).is_err());
    let mut t = ct.clone();
    t.body[0] ^= 1;
    assert_eq!(
        member.decrypt(&pp, &s, &t, b"").map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
    assert_eq!(member.decrypt(&pp, &s, &ct, b"").unwrap().0, b"x");
    assert!(member.decrypt(&pp, &set([N + 1]), &ct, b"").is_err());
}

#[test]
fn the_differential_costs_the_symmetric_difference() {
    let mut rng = ChaCha20Rng::seed_from_u64(23);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let pp = server.bgw_public_params();
    let mut key = server.bgw_extract(5).unwrap();
    let sets = [set(1..=10), set(2..=11), set([5]), set([4, 5, 6, 15])];
    let mut prev = RoaringBitmap::new();
    for s in &sets {
        let (h, k) = server.bgw_encapsulate(s, &mut rng).unwrap();
        let ct = k.seal_bgw(h, b"m", b"").unwrap();
        let (pt, cost) = key.decrypt(&pp, s, &ct, b"").unwrap();
        assert_eq!(pt, b"m");
        assert_eq!(cost, (s ^ &prev).len());
        // Again for the same set: the prepared points are reused, nothing recomputed.
        let (pt, cost) = key.decrypt(&pp, s, &ct, b"").unwrap();
        assert_eq!((pt.as_slice(), cost), (&b"m"[..], 0));
        // A fresh key (no cache) agrees.
        let mut fresh = server.bgw_extract(5).unwrap();
        assert_eq!(fresh.decrypt(&pp, s, &ct, b"").unwrap().0, b"m");
        prev = s.clone();
    }
}

/// The public parameters carry v = gamma Q (version 4); version-2 parameters (g_k only, which
/// cannot check a header against S) are refused with a typed error, as are bad group counts.
#[test]
fn public_parameters_are_versioned_and_carry_v() {
    use bithive_dgkbe::bgw::{BgwPublicParams, BGW_PARAMS_VERSION};
    use bithive_dgkbe::grouped::GroupedSecret;
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    let server = ServerSecret::setup(4, &set(1..=4), 0, &mut rng).unwrap();
    let pp = server.bgw_public_params();
    let bytes = pp.to_bytes();
    assert_eq!(bytes[0], BGW_PARAMS_VERSION);
    assert_eq!(bytes.len(), 13 + 7 * 96 + 4 + 96);
    let back = BgwPublicParams::from_bytes(&bytes).unwrap();
    assert_eq!((back.n(), back.groups()), (4, 1));
    assert_eq!(back.to_bytes(), bytes);
    // The old layout: version 2 and no v.
    let mut old = bytes[..13 + 7 * 96].to_vec();
    old[0] = 2;
    assert_eq!(
        BgwPublicParams::from_bytes(&old).err(),
        Some(DgkbeError::UnsupportedVersion {
            what: "BGW public parameter",
            got: 2,
            supported: BGW_PARAMS_VERSION
        })
    );
    let mut zero_groups = bytes[..13 + 7 * 96].to_vec();
    zero_groups.extend_from_slice(&0u32.to_be_bytes());
    assert!(matches!(
        BgwPublicParams::from_bytes(&zero_groups),
        Err(DgkbeError::Malformed(_))
    ));
    let mut short = bytes.clone();
    short.pop();
    assert!(BgwPublicParams::from_bytes(&short).is_err());
    // Grouped parameters carry one v per group and are no use to a single-instance key.
    let grouped = GroupedSecret::setup(4, 3, 0, &mut rng).unwrap();
    let gpp = BgwPublicParams::from_bytes(&grouped.public_params().to_bytes()).unwrap();
    assert_eq!(gpp.groups(), 3);
    let s = set([1, 2]);
    let (h, k) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    let ct = k.seal_bgw(h, b"x", b"").unwrap();
    let mut key = server.bgw_extract(1).unwrap();
    assert!(matches!(
        key.decrypt(&gpp, &s, &ct, b""),
        Err(DgkbeError::Malformed(_))
    ));
    assert_eq!(key.decrypt(&back, &s, &ct, b"").unwrap().0, b"x");
}

/// A key's caches belong to the parameters they were computed with: one decryption attempt
/// under substituted parameters (same n and epoch, another instance's points) fails and leaves
/// the key able to open honest ciphertexts under the real ones.
#[test]
fn substituted_parameters_do_not_poison_a_key() {
    let mut rng = ChaCha20Rng::seed_from_u64(25);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let other = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let (pp, fake) = (server.bgw_public_params(), other.bgw_public_params());
    let s = set([2, 3, 9]);
    let (h, k) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    let ct = k.seal_bgw(h, b"honest", b"id").unwrap();
    let mut key = server.bgw_extract(3).unwrap();
    assert_eq!(
        key.decrypt(&fake, &s, &ct, b"id").map(|(pt, _)| pt),
        Err(DgkbeError::Authentication)
    );
    // The same set again: a cache keyed by the set alone would reuse the fake W and Sigma.
    assert_eq!(key.decrypt(&pp, &s, &ct, b"id").unwrap().0, b"honest");
    // And a reloaded copy of the real parameters works too.
    let reloaded = bithive_dgkbe::bgw::BgwPublicParams::from_bytes(&pp.to_bytes()).unwrap();
    assert_eq!(key.decrypt(&reloaded, &s, &ct, b"id").unwrap().0, b"honest");
}
