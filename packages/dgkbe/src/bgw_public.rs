//! Public-key BGW encapsulation: anyone holding the authority's published encryption key
//! encrypts to a recipient set S, so the party that writes a message (a researcher) never hands
//! it to the key authority or to the matching node (#20 item 3).
//!
//! The encryption key is the G1 half of BGW's public key: h_k = alpha^k P for k in 1..=n and
//! w = gamma P. Encapsulation draws t and sends C0 = tP, C1 = t(w + sum_{j in S} h_(n+1-j)),
//! which is t(gamma + sigma(S))P, the header the authority itself would make; the session key is
//! e(h_1, g_n)^t = e(P, Q)^(t alpha^(n+1)). Users decrypt with [`BgwUserKey`] unchanged (and
//! its header check holds, since C1 = (gamma + sigma(S)) C0).
//!
//! [`BgwEncryptionKey::verify`] checks the G1 half against the G2 public parameters with one
//! randomised pairing equation, so a key authority cannot publish an encryption key that no
//! recipient could open (or one that differs per encryptor without being caught).
//!
//! [`BgwUserKey`]: crate::bgw::BgwUserKey

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, Group, VariableBaseMSM};
use ark_ff::{PrimeField, Zero};
use rand_core::{CryptoRng, RngCore};
use roaring::RoaringBitmap;

use crate::bgw::{BgwHeader, BgwPublicParams};
use crate::encoding::{decode_g1, encode_g1, take, take_sized_head, G1_BYTES};
use crate::server::{check_indices, nonzero_scalar, ServerSecret, SessionKey};
use crate::DgkbeError;

/// Version of the encryption key encoding.
pub const BGW_ENCRYPTION_KEY_VERSION: u8 = 1;

/// The public G1 half of a single BGW instance: what an encryptor needs besides the
/// [`BgwPublicParams`]. (n + 1) x 48 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BgwEncryptionKey {
    n: u32,
    epoch: u64,
    w: G1Affine,
    /// h[k] = alpha^k P for k in 1..=n; h[0] is the identity (unused).
    h: Vec<G1Affine>,
}

impl ServerSecret {
    /// The encryption key of this instance (published beside `bgw_public_params`).
    pub fn bgw_encryption_key(&self) -> BgwEncryptionKey {
        let n = self.n as usize;
        let mut pts = Vec::with_capacity(n + 2);
        pts.push(self.g1_table.mul(&self.gamma));
        pts.push(G1Projective::zero());
        for k in 1..=n {
            pts.push(self.g1_table.mul(&self.powers[k]));
        }
        let mut pts = G1Projective::normalize_batch(&pts);
        let w = pts.remove(0);
        BgwEncryptionKey {
            n: self.n,
            epoch: self.epoch,
            w,
            h: pts,
        }
    }
}

impl BgwEncryptionKey {
    pub fn n(&self) -> u32 {
        self.n
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// `version (1) || n (4) || epoch (8) || w (48) || h_k for k in 1..=n (n x 48)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(13 + (self.h.len()) * G1_BYTES);
        out.push(BGW_ENCRYPTION_KEY_VERSION);
        out.extend_from_slice(&self.n.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&encode_g1(&self.w));
        for h in self.h.iter().skip(1) {
            out.extend_from_slice(&encode_g1(h));
        }
        out
    }

    /// Decodes and checks every point (curve, subgroup, not the identity, canonical); the
    /// length is checked before anything is allocated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        let (n, epoch) =
            take_sized_head(&mut input, "BGW encryption key", BGW_ENCRYPTION_KEY_VERSION)?;
        if input.len() as u64 != (u64::from(n) + 1) * G1_BYTES as u64 {
            return Err(DgkbeError::Malformed("bad encryption key length"));
        }
        let w = decode_g1(take(&mut input, G1_BYTES)?, false)?;
        let mut h = Vec::with_capacity(n as usize + 1);
        h.push(G1Affine::zero());
        for _ in 0..n {
            h.push(decode_g1(take(&mut input, G1_BYTES)?, false)?);
        }
        Ok(Self { n, epoch, w, h })
    }

    /// Checks that this key belongs to `pp` (same n and epoch; h_k = alpha^k P against
    /// g_k = alpha^k Q, w = gamma P against v = gamma Q) with random 128-bit weights r:
    /// e(sum r_k h_k + r_0 w, Q) == e(P, sum r_k g_k + r_0 v). A key that differs in any point
    /// passes with probability about 2^-128.
    pub fn verify<R: RngCore + CryptoRng>(
        &self,
        pp: &BgwPublicParams,
        rng: &mut R,
    ) -> Result<(), DgkbeError> {
        if pp.n() != self.n || pp.epoch() != self.epoch || pp.groups() != 1 {
            return Err(DgkbeError::Malformed(
                "encryption key and public parameters differ",
            ));
        }
        let v = *pp.v(0).ok_or(DgkbeError::Malformed("no v"))?;
        let n = self.n as usize;
        let mut weights = Vec::with_capacity(n + 1);
        for _ in 0..=n {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            weights.push(Fr::from_le_bytes_mod_order(&b));
        }
        let mut g1: Vec<G1Affine> = Vec::with_capacity(n + 1);
        let mut g2: Vec<G2Affine> = Vec::with_capacity(n + 1);
        g1.push(self.w);
        g2.push(v);
        for k in 1..=n {
            g1.push(self.h[k]);
            g2.push(pp.g_point(k));
        }
        let lhs = G1Projective::msm(&g1, &weights)
            .map_err(|_| DgkbeError::Malformed("encryption key size"))?;
        let rhs = G2Projective::msm(&g2, &weights)
            .map_err(|_| DgkbeError::Malformed("public parameter size"))?;
        let ml = Bls12_381::multi_miller_loop(
            [lhs.into_affine(), -G1Affine::generator()],
            [G2Affine::generator(), rhs.into_affine()],
        );
        match Bls12_381::final_exponentiation(ml) {
            Some(r) if r.is_zero() => Ok(()),
            _ => Err(DgkbeError::Malformed(
                "encryption key does not match the public parameters",
            )),
        }
    }

    /// Encapsulates a session key for recipient set `s` (non-empty, indices in 1..=n) with the
    /// public key alone. `pp` supplies g_n for the session key; call [`Self::verify`] once
    /// after loading a key from a file.
    pub fn encapsulate<R: RngCore + CryptoRng>(
        &self,
        pp: &BgwPublicParams,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(BgwHeader, SessionKey), DgkbeError> {
        if s.is_empty() {
            return Err(DgkbeError::EmptyRecipients);
        }
        check_indices(s, self.n)?;
        if pp.n() != self.n || pp.epoch() != self.epoch {
            return Err(DgkbeError::Malformed(
                "encryption key and public parameters differ",
            ));
        }
        let top = self.n as usize + 1;
        let mut a = G1Projective::from(self.w);
        for j in s.iter() {
            a += self.h[top - j as usize];
        }
        let mut t = nonzero_scalar(rng);
        let pts = G1Projective::normalize_batch(&[G1Projective::generator() * t, a * t]);
        let z = Bls12_381::pairing(self.h[1], pp.g_point(self.n as usize));
        let session = SessionKey(z * t);
        zeroize::Zeroize::zeroize(&mut t);
        Ok((
            BgwHeader {
                epoch: self.epoch,
                c0: pts[0],
                c1: pts[1],
            },
            session,
        ))
    }
}
