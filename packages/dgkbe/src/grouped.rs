//! BGW 2005 section 3.2 grouping on top of the `bgw` scheme: N = A x B users in A groups of B
//! slots. alpha (and so the public parameters g_k, k in [1, 2B] \ {B+1}) is shared by all groups;
//! each group a has its own gamma_a. Global user u (1-based) is slot i = (u-1) mod B + 1 of group
//! a = (u-1) div B, with key d = gamma_a alpha^i Q.
//!
//! Encapsulation for a global set S: one C0 = tP and, per touched group a, C1_a =
//! t(gamma_a + sum_{j in S_a} alpha^(B+1-j)) P; the session key e(P,Q)^(t alpha^(B+1)) is common.
//! User (a, i) decrypts with (C0, C1_a) and its group's local set S_a exactly as in `bgw`,
//! including its checks: i must be in S_a and e(C1_a, Q) == e(C0, v_a + sum_{j in S_a} g_(B+1-j))
//! with v_a = gamma_a Q.
//! Ciphertext: 57 + 52 bytes per touched group; public parameters: (2B-1) x 96 bytes plus 96 per
//! group (v_a); server: alpha^k table for k <= B+1 plus 32 bytes per group.

use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::CurveGroup;
use rand_core::{CryptoRng, RngCore};
use roaring::RoaringBitmap;
use zeroize::Zeroize;

use crate::bgw::{BgwPublicParams, BgwUserKey};
use crate::encoding::{
    decode_g1, encode_g1, put_body, take, take_epoch_c0, take_last_body, take_u32, take_version,
    G1_BYTES,
};
use crate::server::{nonzero_scalar, ServerSecret, SessionKey};
use crate::{dem, DgkbeError};

pub const GROUPED_VERSION: u8 = 3;

/// Server secret of a grouped instance.
pub struct GroupedSecret {
    /// alpha, its power table (B+2 scalars) and the fixed-base tables; its own gamma is unused.
    base: ServerSecret,
    gammas: Vec<Fr>,
}

impl Drop for GroupedSecret {
    fn drop(&mut self) {
        self.gammas.zeroize();
    }
}

/// Splits a global 1-based user id into (group, local slot).
pub fn locate(user: u32, b: u32) -> Result<(u32, u32), DgkbeError> {
    if user == 0 || b == 0 {
        return Err(DgkbeError::IndexOutOfRange(user));
    }
    Ok(((user - 1) / b, (user - 1) % b + 1))
}

/// The local recipient sets of every touched group, ascending by group.
pub fn split(s: &RoaringBitmap, b: u32) -> Result<Vec<(u32, RoaringBitmap)>, DgkbeError> {
    let mut out: Vec<(u32, RoaringBitmap)> = Vec::new();
    for u in s.iter() {
        let (a, i) = locate(u, b)?;
        match out.last_mut() {
            Some((g, set)) if *g == a => {
                set.push(i);
            }
            _ => {
                let mut set = RoaringBitmap::new();
                set.push(i);
                out.push((a, set));
            }
        }
    }
    Ok(out)
}

impl GroupedSecret {
    /// `groups` groups of `b` slots (N = groups x b users, ids 1..=N).
    pub fn setup<R: RngCore + CryptoRng>(
        b: u32,
        groups: u32,
        epoch: u64,
        rng: &mut R,
    ) -> Result<Self, DgkbeError> {
        let total = u64::from(b) * u64::from(groups);
        if groups == 0 || total > u64::from(u32::MAX) {
            return Err(DgkbeError::BadUserCount {
                got: total,
                max: u32::MAX,
            });
        }
        let base = ServerSecret::setup(b, &RoaringBitmap::new(), epoch, rng)?;
        let gammas = (0..groups).map(|_| nonzero_scalar(rng)).collect();
        Ok(Self { base, gammas })
    }

    pub fn group_size(&self) -> u32 {
        self.base.n
    }

    pub fn groups(&self) -> u32 {
        self.gammas.len() as u32
    }

    pub fn epoch(&self) -> u64 {
        self.base.epoch
    }

    /// Server memory that grows with B and A: the alpha^k table and the per-group gammas.
    pub fn secret_bytes(&self) -> usize {
        self.base.table_bytes() + self.gammas.capacity() * core::mem::size_of::<Fr>()
    }

    /// The public parameters: the g_k shared by every group and each group's v_a = gamma_a Q.
    pub fn public_params(&self) -> BgwPublicParams {
        self.base.bgw_params_for(&self.gammas)
    }

    /// Key of global user `user`: d = gamma_a alpha^i Q.
    pub fn extract(&self, user: u32) -> Result<GroupedUserKey, DgkbeError> {
        let (a, i) = locate(user, self.base.n)?;
        let gamma = self
            .gammas
            .get(a as usize)
            .ok_or(DgkbeError::IndexOutOfRange(user))?;
        Ok(GroupedUserKey {
            group: a,
            key: BgwUserKey::new(self.base.epoch, i, self.base.bgw_key_point(gamma, i)),
        })
    }

    /// One C0 and one C1 per touched group, and the common session key.
    pub fn encapsulate<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        rng: &mut R,
    ) -> Result<(GroupedHeader, SessionKey), DgkbeError> {
        if s.is_empty() {
            return Err(DgkbeError::EmptyRecipients);
        }
        let parts = split(s, self.base.n)?;
        let mut t = nonzero_scalar(rng);
        let mut pts = Vec::with_capacity(parts.len() + 1);
        pts.push(self.base.g1_table.mul(&t));
        for (a, local) in &parts {
            let gamma = self
                .gammas
                .get(*a as usize)
                .ok_or(DgkbeError::IndexOutOfRange(s.max().unwrap_or(0)))?;
            let mut sigma = self.base.sigma(local)?;
            pts.push(self.base.c1_point(&t, gamma, &sigma));
            sigma.zeroize();
        }
        let pts = G1Projective::normalize_batch(&pts);
        let session = SessionKey(self.base.gt_base * t);
        t.zeroize();
        let header = GroupedHeader {
            epoch: self.base.epoch,
            c0: pts[0],
            c1: parts
                .iter()
                .map(|(a, _)| *a)
                .zip(pts[1..].iter().copied())
                .collect(),
        };
        Ok((header, session))
    }

    pub fn encrypt<R: RngCore + CryptoRng>(
        &self,
        s: &RoaringBitmap,
        plaintext: &[u8],
        aad: &[u8],
        rng: &mut R,
    ) -> Result<GroupedCiphertext, DgkbeError> {
        let (header, session) = self.encapsulate(s, rng)?;
        session.seal_grouped(header, plaintext, aad)
    }
}

impl SessionKey {
    pub fn seal_grouped(
        self,
        header: GroupedHeader,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<GroupedCiphertext, DgkbeError> {
        let body = dem::seal(&self.0, &header.to_bytes(), plaintext, aad)?;
        Ok(GroupedCiphertext { header, body })
    }
}

/// C0 and (group, C1_group) for every touched group, ascending by group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupedHeader {
    pub epoch: u64,
    pub c0: G1Affine,
    pub c1: Vec<(u32, G1Affine)>,
}

impl GroupedHeader {
    /// `version 3 || epoch || C0 || count u32 || (group u32 || C1)*`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(61 + self.c1.len() * (4 + G1_BYTES));
        out.push(GROUPED_VERSION);
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&encode_g1(&self.c0));
        out.extend_from_slice(&(self.c1.len() as u32).to_be_bytes());
        for (a, c) in &self.c1 {
            out.extend_from_slice(&a.to_be_bytes());
            out.extend_from_slice(&encode_g1(c));
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupedCiphertext {
    pub header: GroupedHeader,
    pub body: Vec<u8>,
}

impl GroupedCiphertext {
    /// Header bytes, then `body (u32 length-prefixed)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header.to_bytes();
        put_body(&mut out, &self.body);
        out
    }

    /// Every point checked (curve, subgroup, identity, canonical); groups strictly ascending.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        take_version(&mut input, "grouped ciphertext", GROUPED_VERSION)?;
        let (epoch, c0) = take_epoch_c0(&mut input)?;
        let count = take_u32(&mut input)? as usize;
        if input.len() < count.saturating_mul(4 + G1_BYTES) {
            return Err(DgkbeError::Malformed("truncated"));
        }
        let mut c1: Vec<(u32, G1Affine)> = Vec::with_capacity(count);
        for _ in 0..count {
            let a = take_u32(&mut input)?;
            if c1.last().is_some_and(|(prev, _)| *prev >= a) {
                return Err(DgkbeError::Malformed("groups not strictly ascending"));
            }
            c1.push((a, decode_g1(take(&mut input, G1_BYTES)?, false)?));
        }
        Ok(Self {
            header: GroupedHeader { epoch, c0, c1 },
            body: take_last_body(input)?,
        })
    }
}

/// A user's key: its group and its `bgw` key for its slot in that group.
pub struct GroupedUserKey {
    group: u32,
    key: BgwUserKey,
}

impl GroupedUserKey {
    pub fn group(&self) -> u32 {
        self.group
    }

    pub fn slot(&self) -> u32 {
        self.key.index()
    }

    /// Decrypts for the global recipient set `s` (public, committed with the ciphertext). Users
    /// of untouched groups, non-members of touched groups and a C1_a that does not match the
    /// group's part of `s` get an authentication error, before any key is derived.
    pub fn decrypt(
        &mut self,
        pp: &BgwPublicParams,
        s: &RoaringBitmap,
        ct: &GroupedCiphertext,
        aad: &[u8],
    ) -> Result<Vec<u8>, DgkbeError> {
        let b = pp.n();
        let c1 = ct
            .header
            .c1
            .binary_search_by_key(&self.group, |(a, _)| *a)
            .map(|k| ct.header.c1[k].1)
            .map_err(|_| DgkbeError::Authentication)?;
        // The local set of this group: members of s in [a B + 1, (a+1) B], shifted to 1..=B.
        let lo = u64::from(self.group) * u64::from(b) + 1;
        let hi = lo + u64::from(b) - 1;
        let (lo, hi) = (
            u32::try_from(lo).map_err(|_| DgkbeError::Authentication)?,
            u32::try_from(hi).map_err(|_| DgkbeError::Authentication)?,
        );
        let mut window = RoaringBitmap::new();
        window.insert_range(lo..=hi);
        let mut local = RoaringBitmap::new();
        for u in (s & &window).iter() {
            local.push(u - lo + 1);
        }
        if ct.header.epoch != pp.epoch() {
            return Err(DgkbeError::Authentication);
        }
        let v = *pp.v(self.group).ok_or(DgkbeError::Authentication)?;
        let (mut session, _) = self.key.session(pp, &v, &local, &ct.header.c0, &c1)?;
        let out = dem::open(&session, &ct.header.to_bytes(), &ct.body, aad);
        session.0.zeroize();
        out
    }
}
