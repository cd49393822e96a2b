//! User key d_i = (d1, d2, d3) in G2 and Dec as one multi-pairing.

use ark_bls12_381::{Bls12_381, G1Affine, G2Affine, G2Projective};
use ark_ec::bls12::G2Prepared;
use ark_ec::pairing::Pairing;
use ark_ec::CurveGroup;
use zeroize::Zeroize;

use crate::ciphertext::Ciphertext;
use crate::encoding::{decode_g2, encode_g2, take, take_epoch_index, take_version, G2_BYTES};
use crate::{dem, DgkbeError};

pub const KEY_VERSION: u8 = 1;
/// `version (1) || epoch (8) || index (4) || d1 || d2 || d3 (96 each)`.
pub const KEY_BYTES: usize = 1 + 8 + 4 + 3 * G2_BYTES;

type Prepared = G2Prepared<ark_bls12_381::Config>;

/// A user's decryption key for one epoch. The three G2 points Dec pairs against are kept in
/// prepared (line-coefficient) form, computed once per key, so each decryption runs only the
/// three Miller loops and one final exponentiation.
pub struct UserKey {
    epoch: u64,
    index: u32,
    d1: G2Affine,
    d2: G2Affine,
    d3: G2Affine,
    prep_d2: Prepared,
    prep_d1d3: Prepared,
    prep_d1: Prepared,
}

impl UserKey {
    pub(crate) fn new(epoch: u64, index: u32, d1: G2Affine, d2: G2Affine, d3: G2Affine) -> Self {
        let d1d3 = (G2Projective::from(d1) + d3).into_affine();
        Self {
            epoch,
            index,
            d1,
            d2,
            d3,
            prep_d2: d2.into(),
            prep_d1d3: d1d3.into(),
            prep_d1: d1.into(),
        }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    /// The seed's Dec: e(C1, d2) * e(C0, d1 + d3)^-1 * e(C2, d1)^-1, computed as
    /// FE(ML(C1, d2) * ML(-C0, d1 + d3) * ML(-C2, d1)), then the DEM.
    pub fn decrypt(&self, ct: &Ciphertext, aad: &[u8]) -> Result<Vec<u8>, DgkbeError> {
        let h = &ct.header;
        let g1: [G1Affine; 3] = [h.c1, -h.c0, -h.c2];
        let g2 = [
            self.prep_d2.clone(),
            self.prep_d1d3.clone(),
            self.prep_d1.clone(),
        ];
        let ml = Bls12_381::multi_miller_loop(g1, g2);
        let mut session = Bls12_381::final_exponentiation(ml).ok_or(DgkbeError::Authentication)?;
        let out = dem::open(&session, &h.to_bytes(), &ct.body, aad);
        session.0.zeroize();
        out
    }

    pub fn to_bytes(&self) -> [u8; KEY_BYTES] {
        let mut out = [0u8; KEY_BYTES];
        out[0] = KEY_VERSION;
        out[1..9].copy_from_slice(&self.epoch.to_be_bytes());
        out[9..13].copy_from_slice(&self.index.to_be_bytes());
        out[13..109].copy_from_slice(&encode_g2(&self.d1));
        out[109..205].copy_from_slice(&encode_g2(&self.d2));
        out[205..301].copy_from_slice(&encode_g2(&self.d3));
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        take_version(&mut input, "seed key", KEY_VERSION)?;
        let (epoch, index) = take_epoch_index(&mut input)?;
        let d1 = decode_g2(take(&mut input, G2_BYTES)?)?;
        let d2 = decode_g2(take(&mut input, G2_BYTES)?)?;
        let d3 = decode_g2(take(&mut input, G2_BYTES)?)?;
        if !input.is_empty() {
            return Err(DgkbeError::Malformed("trailing bytes"));
        }
        Ok(Self::new(epoch, index, d1, d2, d3))
    }
}

fn wipe(p: &mut Prepared) {
    for (a, b, c) in p.ell_coeffs.iter_mut() {
        a.zeroize();
        b.zeroize();
        c.zeroize();
    }
}

impl Drop for UserKey {
    fn drop(&mut self) {
        self.d1.zeroize();
        self.d2.zeroize();
        self.d3.zeroize();
        wipe(&mut self.prep_d2);
        wipe(&mut self.prep_d1d3);
        wipe(&mut self.prep_d1);
    }
}
