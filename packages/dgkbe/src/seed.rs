//! INSECURE, test-only: the seed's algebra (header C0, C1, C2; key d1, d2, d3), compiled only
//! with the `insecure-seed-scheme` feature, which no production crate enables. Its flaws are
//! pinned by tests/scheme.rs and cannot be fixed within the algebra:
//!
//! * Dec = e(P,Q)^(t [i in S0] alpha^(n+1)) does not depend on S: every member of S0 opens every
//!   ciphertext of the epoch, so S restricts nothing (README, "Security").
//! * For a user outside S0, Dec is the GT identity for any header, so anyone can seal a body
//!   that user's `UserKey::decrypt` accepts (keyless forgery, #20). `decrypt` takes no S and a
//!   user in S0 can skip any client-side check, so no check rescues it.
//!
//! It has its own secret type: a `SeedSecret` never serves the BGW API, so a seed header (whose
//! C0, C1 are a BGW header for S and whose key every S0 member learns) never shares a session key
//! with a BGW ciphertext.

use ark_bls12_381::{Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Field;
use rand_core::{CryptoRng, RngCore};
use roaring::RoaringBitmap;
use zeroize::Zeroize;

pub use crate::ciphertext::{Ciphertext, Header, CIPHERTEXT_VERSION, HEADER_BYTES};
pub use crate::key::{UserKey, KEY_BYTES, KEY_VERSION};
use crate::server::{check_indices, nonzero_scalar, PublicParams, ServerSecret, SessionKey};
use crate::{dem, DgkbeError};

/// ServS = {g, alpha, gamma, S0} of the seed, plus gamma^-1 and sigma(S0).
pub struct SeedSecret {
    base: ServerSecret,
    gamma_inv: Fr,
    /// sigma(S0) = sum_{j in S0} alpha^(n+1-j): the reference the differential C2 corrects against.
    sigma0: Fr,
}

impl Drop for SeedSecret {
    fn drop(&mut self) {
        self.gamma_inv.zeroize();
        self.sigma0.zeroize();
    }
}

impl SeedSecret {
    /// Setup: n user slots, S0 the initial client list, fresh alpha and gamma.
    pub fn setup<R: RngCore + CryptoRng>(
        n: u32,
        s0: &RoaringBitmap,
        epoch: u64,
        rng: &mut R,
    ) -> Result<Self, DgkbeError> {
        let base = ServerSecret::setup(n, s0, epoch, rng)?;
        let gamma_inv = base.gamma.inverse().unwrap_or_default();
        let sigma0 = base.sigma(s0)?;
        Ok(Self {
            base,
            gamma_inv,
            sigma0,
        })
    }

    pub fn public_params(&self) -> PublicParams {
        self.base.public_params()
    }

    pub fn s0(&self) -> &RoaringBitmap {
        self.base.s0()
    }

    /// Bytes held for the scalar table (the part that grows with n).
    pub fn table_bytes(&self) -> usize {
        self.base.table_bytes()
    }

    /// Key extraction for user i, exactly the seed's d_i:
    /// d1 = gamma*alpha^i*Q, d2 = alpha^i*Q,
    /// d3 = sum_{j in S0, j != i} alpha^(n+1-j+i)*Q = (alpha^i*sigma(S0) - [i in S0]*alpha^(n+1))*Q.
    /// The membership bit enters as a field multiplication, not a branch.
    pub fn extract(&self, i: u32) -> Result<UserKey, DgkbeError> {
        let b = &self.base;
        if i == 0 || i > b.n {
            return Err(DgkbeError::IndexOutOfRange(i));
        }
        let ai = b.powers[i as usize];
        let member = Fr::from(u64::from(b.s0().contains(i)));
        let mut e1 = b.gamma * ai;
        let mut e3 = ai * self.sigma0 - member * b.powers[b.n as usize + 1];
        let pts = G2Projective::normalize_batch(&[
            b.g2_table.mul(&e1),
            b.g2_table.mul(&ai),
            b.g2_table.mul(&e3),
        ]);
        e1.zeroize();
        e3.zeroize();
        Ok(UserKey::new(b.epoch, i, pts[0], pts[1], pts[2]))
    }

    /// ServEnc: C0 = t*P, C1 = t*(gamma + sigma(S))*P, C2 = (t/gamma)*(sigma(S) - sigma(S0))*P,
    /// session key e(P,Q)^(t*alpha^(n+1)), then the DEM over `plaintext` with `aad`.
    pub fn encrypt<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        plaintext: &[u8],
        aad: &[u8],
        rng: &mut R,
    ) -> Result<Ciphertext, DgkbeError> {
        let (header, session) = self.encapsulate(s, rng)?;
        session.seal(header, plaintext, aad)
    }

    /// The KEM half of ServEnc: the header and the session key.
    pub fn encapsulate<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(Header, SessionKey), DgkbeError> {
        let b = &self.base;
        if s.is_empty() {
            return Err(DgkbeError::EmptyRecipients);
        }
        let mut sigma_s = b.sigma(s)?;
        let mut t = nonzero_scalar(rng);
        // Differential against the precomputed S0 sum: sum over S\S0 minus sum over S0\S.
        let mut delta = sigma_s - self.sigma0;
        let mut e2 = t * self.gamma_inv * delta;
        let pts = G1Projective::normalize_batch(&[
            b.g1_table.mul(&t),
            b.c1_point(&t, &b.gamma, &sigma_s),
            b.g1_table.mul(&e2),
        ]);
        let session = SessionKey(b.gt_base * t);
        for x in [&mut sigma_s, &mut t, &mut delta, &mut e2] {
            x.zeroize();
        }
        let header = Header {
            epoch: b.epoch,
            c0: pts[0],
            c1: pts[1],
            c2: pts[2],
        };
        Ok((header, session))
    }

    /// Epoch re-keying: S0' = (S0 + joins) - leaves with fresh alpha and gamma.
    pub fn next_epoch<R: RngCore + CryptoRng>(
        &self,
        joins: &RoaringBitmap,
        leaves: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<Self, DgkbeError> {
        let b = &self.base;
        check_indices(joins, b.n)?;
        check_indices(leaves, b.n)?;
        let s0 = &(b.s0() | joins) - leaves;
        Self::setup(b.n, &s0, b.epoch + 1, rng)
    }
}

impl SessionKey {
    /// The DEM for a seed header: seals `plaintext` under this key, bound to `header` and `aad`.
    pub fn seal(
        self,
        header: Header,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Ciphertext, DgkbeError> {
        let body = dem::seal(&self.0, &header.to_bytes(), plaintext, aad)?;
        Ok(Ciphertext { header, body })
    }
}
