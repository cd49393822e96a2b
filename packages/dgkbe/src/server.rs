//! Server side of the seed's GKBE: Setup, key extraction, ServEnc, and epoch re-keying.
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

use crate::ciphertext::{Ciphertext, Header};
use crate::fixed_base::FixedBaseTable;
use crate::key::UserKey;
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

/// ServS = {g, alpha, gamma, S0, t0} of the seed, plus the derived tables.
pub struct ServerSecret {
    pub(crate) n: u32,
    pub(crate) epoch: u64,
    alpha: Fr,
    gamma: Fr,
    gamma_inv: Fr,
    /// powers[k] = alpha^k for k in 0..=n+1.
    pub(crate) powers: Vec<Fr>,
    s0: RoaringBitmap,
    /// sigma(S0) = sum_{j in S0} alpha^(n+1-j): the reference the differential C2 corrects against.
    sigma0: Fr,
    /// e(P, Q)^(alpha^(n+1)): the KEM key is this to the power t.
    pub(crate) gt_base: PairingOutput<Bls12_381>,
    pub(crate) g1_table: FixedBaseTable<G1Projective>,
    pub(crate) g2_table: FixedBaseTable<G2Projective>,
}

impl Drop for ServerSecret {
    fn drop(&mut self) {
        self.alpha.zeroize();
        self.gamma.zeroize();
        self.gamma_inv.zeroize();
        self.powers.zeroize();
        self.sigma0.zeroize();
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
    /// Setup: n user slots, S0 the initial client list, fresh alpha and gamma.
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
        let gamma_inv = gamma.inverse().unwrap_or_default();
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
        let mut secret = Self {
            n,
            epoch,
            alpha,
            gamma,
            gamma_inv,
            powers,
            s0: s0.clone(),
            sigma0: Fr::zero(),
            gt_base,
            g1_table,
            g2_table,
        };
        secret.sigma0 = secret.sigma(s0)?;
        Ok(secret)
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

    /// Key extraction for user i, exactly the seed's d_i:
    /// d1 = gamma*alpha^i*Q, d2 = alpha^i*Q,
    /// d3 = sum_{j in S0, j != i} alpha^(n+1-j+i)*Q = (alpha^i*sigma(S0) - [i in S0]*alpha^(n+1))*Q.
    /// The membership bit enters as a field multiplication, not a branch.
    pub fn extract(&self, i: u32) -> Result<UserKey, DgkbeError> {
        if i == 0 || i > self.n {
            return Err(DgkbeError::IndexOutOfRange(i));
        }
        let ai = self.powers[i as usize];
        let member = Fr::from(u64::from(self.s0.contains(i)));
        let mut e1 = self.gamma * ai;
        let mut e3 = ai * self.sigma0 - member * self.powers[self.n as usize + 1];
        let pts = G2Projective::normalize_batch(&[
            self.g2_table.mul(&e1),
            self.g2_table.mul(&ai),
            self.g2_table.mul(&e3),
        ]);
        e1.zeroize();
        e3.zeroize();
        Ok(UserKey::new(self.epoch, i, pts[0], pts[1], pts[2]))
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

    /// The KEM half of ServEnc: the header and the session key, so whoever holds the plaintext
    /// (e.g. a requester) can run the DEM without handing the plaintext to the server.
    pub fn encapsulate<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(Header, SessionKey), DgkbeError> {
        if s.is_empty() {
            return Err(DgkbeError::EmptyRecipients);
        }
        let mut sigma_s = self.sigma(s)?;
        let mut t = nonzero_scalar(rng);
        // Differential against the precomputed S0 sum: sum over S\S0 minus sum over S0\S.
        let mut delta = sigma_s - self.sigma0;
        let mut e2 = t * self.gamma_inv * delta;
        let pts = G1Projective::normalize_batch(&[
            self.g1_table.mul(&t),
            self.c1_point(&t, &self.gamma, &sigma_s),
            self.g1_table.mul(&e2),
        ]);
        let session = SessionKey(self.gt_base * t);
        for x in [&mut sigma_s, &mut t, &mut delta, &mut e2] {
            x.zeroize();
        }
        let header = Header {
            epoch: self.epoch,
            c0: pts[0],
            c1: pts[1],
            c2: pts[2],
        };
        Ok((header, session))
    }

    /// Sound alternative (see README, "Recommended fix" / `bgw`): BGW 2005 public parameters
    /// g_k = alpha^k * Q for k in 1..=2n, with g_(n+1) withheld (stored as the identity).
    pub fn bgw_public_params(&self) -> crate::bgw::BgwPublicParams {
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
        crate::bgw::BgwPublicParams::new(self.n, self.epoch, G2Projective::normalize_batch(&pts))
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

    /// BGW encapsulation: the seed's C0 and C1 without the C2 correction (the client corrects).
    pub fn bgw_encapsulate<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(crate::bgw::BgwHeader, SessionKey), DgkbeError> {
        let (h, session) = self.encapsulate(s, rng)?;
        Ok((
            crate::bgw::BgwHeader {
                epoch: h.epoch,
                c0: h.c0,
                c1: h.c1,
            },
            session,
        ))
    }

    /// Epoch re-keying: S0' = (S0 + joins) - leaves with fresh alpha and gamma. Keys of the old
    /// epoch keep opening old ciphertexts and open nothing of the new epoch; every member of S0'
    /// gets a new key by `extract` on the returned secret.
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

    /// The DEM: seals `plaintext` under this key, bound to `header` and `aad`.
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

impl Drop for SessionKey {
    fn drop(&mut self) {
        self.0 .0.zeroize();
    }
}

fn check_indices(s: &RoaringBitmap, n: u32) -> Result<(), DgkbeError> {
    match (s.min(), s.max()) {
        (Some(lo), _) if lo == 0 => Err(DgkbeError::IndexOutOfRange(lo)),
        (_, Some(hi)) if hi > n => Err(DgkbeError::IndexOutOfRange(hi)),
        _ => Ok(()),
    }
}
