//! Keyless forgery against `open_output` (#20): a user outside S_i computes the GT identity from
//! an honest header, so without the membership and header checks a forged output opens for it.
//! `open_output`'s contract (any failure is an error, never a plaintext) must hold for each case.

use ark_bls12_381::{Bls12_381, Fr, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{CurveGroup, Group};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use bithive_dgkbe::bgw::{BgwCiphertext, BgwHeader, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::{DgkbeError, RoaringBitmap, ServerSecret};
use bithive_matching::output::{commitment, open_output, seal_session, MatchOutput};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::Sha256;

const N: u32 = 16;

/// The honest DEM, rebuilt from the public spec, under a GT value the attacker chose.
fn forge(
    request_id: u64,
    recipients: RoaringBitmap,
    header: BgwHeader,
    session: &PairingOutput<Bls12_381>,
) -> MatchOutput {
    let hb = header.to_bytes();
    let mut ikm = Vec::new();
    session.serialize_compressed(&mut ikm).unwrap();
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"bithive/dgkbe/v1/kem"), &ikm)
        .expand(&hb, &mut okm)
        .unwrap();
    let mut aad = (hb.len() as u64).to_be_bytes().to_vec();
    aad.extend_from_slice(&hb);
    aad.extend_from_slice(&request_id.to_be_bytes());
    let body = ChaCha20Poly1305::new((&okm).into())
        .encrypt(
            &[0u8; 12].into(),
            Payload {
                msg: b"forged details",
                aad: &aad,
            },
        )
        .unwrap();
    let ciphertext = BgwCiphertext { header, body }.to_bytes();
    let c = commitment(request_id, &[0; 32], &recipients, &ciphertext);
    MatchOutput {
        request_id,
        salt: [0; 32],
        recipients,
        ciphertext,
        commitment: c,
    }
}

/// `out` does not open under `key`: its authentication fails.
fn assert_refused(out: &MatchOutput, key: &mut BgwUserKey, pp: &BgwPublicParams) {
    assert_eq!(open_output(out, key, pp), Err(DgkbeError::Authentication));
}

fn one() -> PairingOutput<Bls12_381> {
    PairingOutput(ark_ff::One::one())
}

#[test]
fn forged_outputs_never_open_for_a_non_recipient() {
    let mut rng = ChaCha20Rng::seed_from_u64(51);
    let authority = ServerSecret::setup(N, &(1..=N).collect(), 0, &mut rng).unwrap();
    let pp = authority.bgw_public_params();
    let s_i: RoaringBitmap = [3u32, 4, 11].into_iter().collect();
    let (honest, k) = authority.bgw_encapsulate(&s_i, &mut rng).unwrap();
    let real = seal_session(8, [0; 32], s_i.clone(), honest.clone(), k, b"real details").unwrap();
    let victim = 6u32;
    let mut key = authority.bgw_extract(victim).unwrap();

    // 1. The honest header of a real output, a forged body, the real S_i.
    let out = forge(8, s_i.clone(), honest.clone(), &one());
    assert_refused(&out, &mut key, &pp);

    // 2. The header re-randomised by r.
    let r = Fr::from(99u64);
    let rr = BgwHeader {
        epoch: honest.epoch,
        c0: (G1Projective::from(honest.c0) * r).into_affine(),
        c1: (G1Projective::from(honest.c1) * r).into_affine(),
    };
    let out = forge(8, s_i.clone(), rr, &one());
    assert_refused(&out, &mut key, &pp);

    // 3. S_i plus the victim, with the honest header (identity key) and with C1 + uP (key
    // e(P, g_6)^u, computable from the public g_6).
    let mut claimed = s_i.clone();
    claimed.insert(victim);
    let out = forge(8, claimed.clone(), honest.clone(), &one());
    assert_refused(&out, &mut key, &pp);
    let u = Fr::from(12345u64);
    let shifted = BgwHeader {
        epoch: honest.epoch,
        c0: honest.c0,
        c1: (G1Projective::from(honest.c1) + G1Projective::generator() * u).into_affine(),
    };
    let ppb = pp.to_bytes();
    let at = 13 + (victim as usize - 1) * 96;
    let g6 = G2Affine::deserialize_compressed(&ppb[at..at + 96]).unwrap();
    let session = Bls12_381::pairing(G1Projective::generator(), g6) * u;
    let out = forge(8, claimed, shifted, &session);
    assert_refused(&out, &mut key, &pp);

    // The real output still opens for its recipients and not for the victim.
    let mut member = authority.bgw_extract(4).unwrap();
    assert_eq!(
        open_output(&real, &mut member, &pp).unwrap(),
        b"real details"
    );
    assert_refused(&real, &mut key, &pp);
}
