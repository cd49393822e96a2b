//! Keyless forgery (#20): a user outside S gets the GT identity from BGW decryption, so anyone can
//! seal a body under the key derived from it, or from a value a claimed superset makes public.
//! Each case below must be refused before any key is derived: the key's index must be in the
//! claimed set and the header must pass e(C1, Q) == e(C0, v + sum_{j in S} g_(n+1-j)).

mod common;

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, Group};
use bithive_dgkbe::bgw::{BgwCiphertext, BgwHeader};
use bithive_dgkbe::grouped::{GroupedCiphertext, GroupedSecret};
use bithive_dgkbe::{DgkbeError, RoaringBitmap, ServerSecret};
use common::{one, public_g, seal_under};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u32 = 16;
const FORGED: &[u8] = b"forged: pay the attacker";

fn set(xs: impl IntoIterator<Item = u32>) -> RoaringBitmap {
    xs.into_iter().collect()
}

fn forge(header: BgwHeader, session: &ark_ec::pairing::PairingOutput<Bls12_381>) -> BgwCiphertext {
    let body = seal_under(session, &header.to_bytes(), FORGED, b"id");
    BgwCiphertext { header, body }
}

fn instance(seed: u64) -> (ServerSecret, ChaCha20Rng, BgwHeader, RoaringBitmap) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let server = ServerSecret::setup(N, &set(1..=N), 0, &mut rng).unwrap();
    let s = set([2, 3, 7]);
    let (honest, _) = server.bgw_encapsulate(&s, &mut rng).unwrap();
    (server, rng, honest, s)
}

fn mul(p: G1Affine, x: Fr) -> G1Affine {
    (G1Projective::from(p) * x).into_affine()
}

#[test]
fn non_member_refuses_an_honest_header_with_a_forged_body() {
    let (server, _, honest, s) = instance(41);
    let pp = server.bgw_public_params();
    let ct = forge(honest, &one());
    for victim in (1..=N).filter(|i| !s.contains(*i)) {
        let mut key = server.bgw_extract(victim).unwrap();
        let got = key.decrypt(&pp, &s, &ct, b"id").map(|r| r.0);
        assert_eq!(got, Err(DgkbeError::Authentication), "user {victim}");
    }
}

#[test]
fn non_member_refuses_a_rerandomised_header() {
    let (server, _, honest, s) = instance(42);
    let pp = server.bgw_public_params();
    let r = Fr::from(0x5eed_u64);
    let header = BgwHeader {
        epoch: honest.epoch,
        c0: mul(honest.c0, r),
        c1: mul(honest.c1, r),
    };
    let ct = forge(header, &one());
    let mut key = server.bgw_extract(9).unwrap();
    let got = key.decrypt(&pp, &s, &ct, b"id").map(|r| r.0);
    assert_eq!(got, Err(DgkbeError::Authentication));
}

#[test]
fn claimed_superset_is_refused_for_the_identity_and_for_a_public_value() {
    let (server, _, honest, s) = instance(43);
    let pp = server.bgw_public_params();
    let attacker = 9u32;
    let mut claimed = s.clone();
    claimed.insert(attacker);
    // Honest header for S, claimed S + {9}: user 9's key is the identity.
    let ct = forge(honest.clone(), &one());
    let mut key = server.bgw_extract(attacker).unwrap();
    assert_eq!(
        key.decrypt(&pp, &claimed, &ct, b"id").map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
    // C1 + uP, claimed S + {9}: user 9's key is e(P, g_9)^u, not the identity, and anyone can
    // compute it from the public g_9. Refusing the identity alone would let this through.
    let u = Fr::from(77u64);
    let header = BgwHeader {
        epoch: honest.epoch,
        c0: honest.c0,
        c1: (G1Projective::from(honest.c1) + G1Projective::generator() * u).into_affine(),
    };
    let g9 = public_g(&pp.to_bytes(), attacker);
    let session = Bls12_381::pairing(G1Projective::generator(), g9) * u;
    assert_ne!(session, one());
    let ct = forge(header, &session);
    let mut key = server.bgw_extract(attacker).unwrap();
    assert_eq!(
        key.decrypt(&pp, &claimed, &ct, b"id").map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
}

#[test]
fn a_member_refuses_an_identity_header_built_in_memory() {
    // Decoding refuses identity points, but the header's fields are public: (O, O) passes the
    // pairing check trivially and gives every key the GT identity.
    let (server, _, honest, s) = instance(45);
    let pp = server.bgw_public_params();
    let zero = ark_ec::AffineRepr::zero();
    let header = BgwHeader {
        epoch: honest.epoch,
        c0: zero,
        c1: zero,
    };
    let ct = forge(header, &one());
    let mut key = server.bgw_extract(2).unwrap();
    assert_eq!(
        key.decrypt(&pp, &s, &ct, b"id").map(|r| r.0),
        Err(DgkbeError::Authentication)
    );
}

#[test]
fn grouped_non_member_and_superset_forgeries_are_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    // 3 groups of 8; S touches groups 0 and 1. User 12 (group 1, slot 4) is not in S.
    let server = GroupedSecret::setup(8, 3, 0, &mut rng).unwrap();
    let pp = server.public_params();
    let s = set([1, 2, 10, 11]);
    let (honest, _) = server.encapsulate(&s, &mut rng).unwrap();
    let victim = 12u32;
    fn seal(
        header: bithive_dgkbe::grouped::GroupedHeader,
        k: &ark_ec::pairing::PairingOutput<Bls12_381>,
    ) -> GroupedCiphertext {
        let body = seal_under(k, &header.to_bytes(), FORGED, b"id");
        GroupedCiphertext { header, body }
    }
    // Non-member of a touched group, honest header, forged body.
    let ct = seal(honest.clone(), &one());
    let mut key = server.extract(victim).unwrap();
    assert_eq!(
        key.decrypt(&pp, &s, &ct, b"id"),
        Err(DgkbeError::Authentication)
    );
    // Re-randomised header.
    let r = Fr::from(3u64);
    let mut rr = honest.clone();
    rr.c0 = mul(rr.c0, r);
    for c in rr.c1.iter_mut() {
        c.1 = mul(c.1, r);
    }
    let ct = seal(rr, &one());
    assert_eq!(
        key.decrypt(&pp, &s, &ct, b"id"),
        Err(DgkbeError::Authentication)
    );
    // Claimed superset: identity, and C1_1 + uP with e(P, g_4)^u (slot 4 of group 1).
    let mut claimed = s.clone();
    claimed.insert(victim);
    let ct = seal(honest.clone(), &one());
    assert_eq!(
        key.decrypt(&pp, &claimed, &ct, b"id"),
        Err(DgkbeError::Authentication)
    );
    let u = Fr::from(5u64);
    let mut shifted = honest.clone();
    shifted.c1[1].1 =
        (G1Projective::from(shifted.c1[1].1) + G1Projective::generator() * u).into_affine();
    let session = Bls12_381::pairing(G1Projective::generator(), public_g(&pp.to_bytes(), 4)) * u;
    let ct = seal(shifted, &session);
    assert_eq!(
        key.decrypt(&pp, &claimed, &ct, b"id"),
        Err(DgkbeError::Authentication)
    );
    // A user of an untouched group given a C1 for its group copied from another group.
    let mut stranger = server.extract(20).unwrap();
    let mut copied = honest;
    copied.c1.push((2, copied.c1[0].1));
    let mut claimed = s.clone();
    claimed.insert(20);
    let ct = seal(copied, &one());
    assert_eq!(
        stranger.decrypt(&pp, &claimed, &ct, b"id"),
        Err(DgkbeError::Authentication)
    );
}
