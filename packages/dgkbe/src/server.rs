//! The BGW key authority: Setup, public parameters, key extraction, encapsulation, and epoch
//! re-keying (the product scheme, see `bgw`). The seed algebra has its own secret type
//! (`seed::SeedSecret`, test-only): no instance serves both, so a seed ciphertext, which every S0
//! member opens, never shares a session key or header with a BGW one.
//!
//! The server holds alpha and gamma, so it never needs the O(n) group elements g_k = alpha^k * g:
//! every exponent is assembled in the scalar field from a table of alpha^k (32 bytes per user) and
//! turned into a group element by one fixed-base scalar multiplication.

use ark_bls12_381::{Bls12_381, Fr, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{CurveGroup, Group};
use ark_ff::{Field, Zero};
use ark_std::UniformRand;
use rand_core::{CryptoRng, RngCore};
use roaring::RoaringBitmap;
use zeroize::Zeroize;

use crate::fixed_base::FixedBaseTable;
use crate::{dem, DgkbeError};

/// Largest supported number of user slots in one instance (indices are u32 and the scalar table
/// must fit in memory; larger populations use groups, see README).
pub const MAX_USERS: u32 = 1 << 30;

/// Public parameters: what anyone may know about an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicParams {
    pub n: u32,
    pub epoch: u64,
}

/// The authority's secret {alpha, gamma} for n slots, the roster S0 (who gets keys this epoch),
/// and the derived tables.
pub struct ServerSecret {
    pub(crate) n: u32,
    pub(crate) epoch: u64,
    alpha: Fr,
    pub(crate) gamma: Fr,
    /// powers[k] = alpha^k for k in 0..=n+1.
    pub(crate) powers: Vec<Fr>,
    s0: RoaringBitmap,
    /// e(P, Q)^(alpha^(n+1)): the KEM key is this to the power t.
    pub(crate) gt_base: PairingOutput<Bls12_381>,
    pub(crate) g1_table: FixedBaseTable<G1Projective>,
    pub(crate) g2_table: FixedBaseTable<G2Projective>,
}

impl Drop for ServerSecret {
    fn drop(&mut self) {
        self.alpha.zeroize();
        self.gamma.zeroize();
        self.powers.zeroize();
        self.gt_base.0.zeroize();
    }
}

pub(crate) fn nonzero_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    // Rejection happens with probability 2^-255: the loop is not a timing channel in practice.
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

impl ServerSecret {
    /// Setup: n user slots, S0 the initial client list, fresh alpha and gamma (drawn in that
    /// order: the golden vectors depend on it).
    pub fn setup<R: RngCore + CryptoRng>(
        n: u32,
        s0: &RoaringBitmap,
        epoch: u64,
        rng: &mut R,
    ) -> Result<Self, DgkbeError> {
        if n == 0 || n > MAX_USERS {
            return Err(DgkbeError::BadUserCount {
                got: u64::from(n),
                max: MAX_USERS,
            });
        }
        check_indices(s0, n)?;
        let alpha = nonzero_scalar(rng);
        let gamma = nonzero_scalar(rng);
        let mut powers = Vec::with_capacity(n as usize + 2);
        let mut acc = Fr::ONE;
        for _ in 0..(n as usize + 2) {
            powers.push(acc);
            acc *= alpha;
        }
        let g1_table = FixedBaseTable::new(G1Projective::generator());
        let g2_table = FixedBaseTable::new(G2Projective::generator());
        let gt_base = Bls12_381::pairing(
            G1Projective::generator(),
            g2_table.mul(&powers[n as usize + 1]),
        );
        Ok(Self {
            n,
            epoch,
            alpha,
            gamma,
            powers,
            s0: s0.clone(),
            gt_base,
            g1_table,
            g2_table,
        })
    }

    pub fn public_params(&self) -> PublicParams {
        PublicParams {
            n: self.n,
            epoch: self.epoch,
        }
    }

    pub fn s0(&self) -> &RoaringBitmap {
        &self.s0
    }

    /// Bytes held for the scalar table (the part that grows with n).
    pub fn table_bytes(&self) -> usize {
        self.powers.capacity() * core::mem::size_of::<Fr>()
    }

    /// sigma(S) = sum_{j in S} alpha^(n+1-j): |S| field additions over the table.
    pub(crate) fn sigma(&self, s: &RoaringBitmap) -> Result<Fr, DgkbeError> {
        check_indices(s, self.n)?;
        let top = self.n as usize + 1;
        let mut acc = Fr::zero();
        for j in s.iter() {
            acc += self.powers[top - j as usize];
        }
        Ok(acc)
    }

    /// BGW 2005 public parameters (see README, "Recommended fix" / `bgw`): g_k = alpha^k * Q for
    /// k in 1..=2n, with g_(n+1) withheld (stored as the identity), and v = gamma * Q, which
    /// decryption needs to check a header against its recipient set.
    pub fn bgw_public_params(&self) -> crate::bgw::BgwPublicParams {
        self.bgw_params_for(core::slice::from_ref(&self.gamma))
    }

    /// The g_k of this alpha and v_a = gamma_a * Q for each of `gammas` (one per group).
    pub(crate) fn bgw_params_for(&self, gammas: &[Fr]) -> crate::bgw::BgwPublicParams {
        let n = self.n as usize;
        let top = self.powers[n + 1];
        let mut pts = Vec::with_capacity(2 * n + 1);
        pts.push(G2Projective::zero());
        for k in 1..=2 * n {
            let p = match k.cmp(&(n + 1)) {
                core::cmp::Ordering::Less => self.g2_table.mul(&self.powers[k]),
                core::cmp::Ordering::Equal => G2Projective::zero(),
                core::cmp::Ordering::Greater => self.g2_table.mul(&(top * self.powers[k - n - 1])),
            };
            pts.push(p);
        }
        let v: Vec<G2Projective> = gammas.iter().map(|g| self.g2_table.mul(g)).collect();
        crate::bgw::BgwPublicParams::new(
            self.n,
            self.epoch,
            G2Projective::normalize_batch(&pts),
            G2Projective::normalize_batch(&v),
        )
    }

    /// BGW key: d_i = gamma * alpha^i * Q (the seed's d1).
    pub fn bgw_extract(&self, i: u32) -> Result<crate::bgw::BgwUserKey, DgkbeError> {
        if i == 0 || i > self.n {
            return Err(DgkbeError::IndexOutOfRange(i));
        }
        Ok(crate::bgw::BgwUserKey::new(
            self.epoch,
            i,
            self.bgw_key_point(&self.gamma, i),
        ))
    }

    /// C1 = t*(gamma + sigma(S))*P, with `sigma_s` = sigma(S) and `gamma` this instance's gamma
    /// or, in `grouped`, a group's gamma_a. The secret exponent is wiped.
    pub(crate) fn c1_point(&self, t: &Fr, gamma: &Fr, sigma_s: &Fr) -> G1Projective {
        let mut e = *t * (*gamma + sigma_s);
        let c1 = self.g1_table.mul(&e);
        e.zeroize();
        c1
    }

    /// BGW key point d = gamma * alpha^i * Q for slot i (1..=n, checked by the callers), with
    /// `gamma` this instance's gamma or a group's gamma_a. The secret exponent is wiped.
    pub(crate) fn bgw_key_point(&self, gamma: &Fr, i: u32) -> G2Affine {
        let mut e = *gamma * self.powers[i as usize];
        let d = self.g2_table.mul(&e).into_affine();
        e.zeroize();
        d
    }

    /// BGW encapsulation: C0 = t*P, C1 = t*(gamma + sigma(S))*P (no C2: the client corrects),
    /// and the session key e(P,Q)^(t*alpha^(n+1)).
    pub fn bgw_encapsulate<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(crate::bgw::BgwHeader, SessionKey), DgkbeError> {
        if s.is_empty() {
            return Err(DgkbeError::EmptyRecipients);
        }
        let mut sigma_s = self.sigma(s)?;
        let mut t = nonzero_scalar(rng);
        let pts = G1Projective::normalize_batch(&[
            self.g1_table.mul(&t),
            self.c1_point(&t, &self.gamma, &sigma_s),
        ]);
        let session = SessionKey(self.gt_base * t);
        sigma_s.zeroize();
        t.zeroize();
        let header = crate::bgw::BgwHeader {
            epoch: self.epoch,
            c0: pts[0],
            c1: pts[1],
        };
        Ok((header, session))
    }

    /// Epoch re-keying: S0' = (S0 + joins) - leaves with fresh alpha and gamma. Keys of the old
    /// epoch keep opening old ciphertexts and open nothing of the new epoch; every member of S0'
    /// gets a new key by `bgw_extract` on the returned secret.
    pub fn next_epoch<R: RngCore + CryptoRng>(
        &self,
        joins: &RoaringBitmap,
        leaves: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<Self, DgkbeError> {
        check_indices(joins, self.n)?;
        check_indices(leaves, self.n)?;
        let s0 = &(&self.s0 | joins) - leaves;
        Self::setup(self.n, &s0, self.epoch + 1, rng)
    }
}

/// The GT session key e(P,Q)^(t*alpha^(n+1)) of one header. Zeroized on drop.
pub struct SessionKey(pub(crate) PairingOutput<Bls12_381>);

impl SessionKey {
    /// The DEM for a BGW header (see `bgw`).
    pub fn seal_bgw(
        self,
        header: crate::bgw::BgwHeader,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<crate::bgw::BgwCiphertext, DgkbeError> {
        let body = dem::seal(&self.0, &header.to_bytes(), plaintext, aad)?;
        Ok(crate::bgw::BgwCiphertext { header, body })
    }
}

impl Drop for SessionKey {
    fn drop(&mut self) {
        self.0 .0.zeroize();
    }
}

pub(crate) fn check_indices(s: &RoaringBitmap, n: u32) -> Result<(), DgkbeError> {
    match (s.min(), s.max()) {
        (Some(lo), _) if lo == 0 => Err(DgkbeError::IndexOutOfRange(lo)),
        (_, Some(hi)) if hi > n => Err(DgkbeError::IndexOutOfRange(hi)),
        _ => Ok(()),
    }
}
