//! The sound variant: BGW 2005 with the seed's "differential" moved to the client
//! (docs/glossary.md#bgw).
//!
//! Server secrets alpha and gamma; header C0 = tP and C1 = t(gamma + sigma(S))P, no C2. User i
//! holds d_i = gamma alpha^i Q; the public parameters are g_k = alpha^k Q (k != n+1) and
//! v = gamma Q. The user computes W_i(S) = sum_{j in S, j != i} g_(n+1-j+i) itself: the j != i
//! exclusion, which no server-side correction can apply per user, is what makes users outside S
//! fail. W is kept for the last S and updated with |S Delta S_prev| G2 additions (the
//! differential, where it is sound).
//! Dec = FE(ML(C1, g_i) ML(-C0, d_i + W_i(S))) = e(P,Q)^(t alpha^(n+1)) iff i in S.
//!
//! For i outside S that value is the GT identity, and for a header not made for S (a claimed
//! superset, C1 shifted by uP) it can be a value anyone computes from the public g_k, so Dec
//! alone would open a body anyone sealed (#20). Before deriving any key, decryption therefore
//! refuses an index not in S and checks the header against S:
//! e(C1, Q) == e(C0, v + sum_{j in S} g_(n+1-j)), i.e. C1 = (gamma + sigma(S)) C0.

use ark_bls12_381::{Bls12_381, G1Affine, G2Affine, G2Projective};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::AffineRepr;
use ark_ec::CurveGroup;
use ark_ff::Zero;
use roaring::RoaringBitmap;
use zeroize::Zeroize;

use crate::encoding::{
    decode_g1, decode_g2, encode_g1, encode_g2, put_body, take, take_epoch_c0, take_epoch_index,
    take_last_body, take_sized_head, take_u32, take_version, G1_BYTES, G2_BYTES,
};
use crate::{dem, DgkbeError};

pub use crate::bgw_public::{BgwEncryptionKey, BGW_ENCRYPTION_KEY_VERSION};

/// Version of the header, ciphertext and user key encodings (unchanged since v = gamma Q was
/// added: honest v2 headers pass the header check).
pub const BGW_VERSION: u8 = 2;
/// Version of the public parameter encoding: 4 carries v = gamma Q per group. Version 2 (g_k
/// only) cannot be checked against a set and is refused with `UnsupportedVersion`.
pub const BGW_PARAMS_VERSION: u8 = 4;
/// `version (2) || epoch (8) || index (4) || d (96)`.
pub const BGW_KEY_BYTES: usize = 1 + 8 + 4 + G2_BYTES;

/// g_k = alpha^k Q for k in 1..=2n (index 0 and n+1 hold the identity), shared by every group,
/// and v_a = gamma_a Q for each group a (one for a single instance). (2n-1) x 96 bytes plus 96
/// per group, compressed.
pub struct BgwPublicParams {
    n: u32,
    epoch: u64,
    g: Vec<G2Affine>,
    v: Vec<G2Affine>,
    /// Which parameters these are to a key's caches: unique per value made in this process
    /// (hashing up to 2n points on every load would cost more than the caches save).
    id: u64,
}

/// The next [`BgwPublicParams::id`] (0 is no parameters).
static NEXT_PARAMS_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl BgwPublicParams {
    pub(crate) fn new(n: u32, epoch: u64, g: Vec<G2Affine>, v: Vec<G2Affine>) -> Self {
        let id = NEXT_PARAMS_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self { n, epoch, g, v, id }
    }

    pub fn n(&self) -> u32 {
        self.n
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Number of groups (gamma_a) the parameters carry a v for: 1 for a single instance.
    pub fn groups(&self) -> u32 {
        self.v.len() as u32
    }

    pub(crate) fn v(&self, group: u32) -> Option<&G2Affine> {
        self.v.get(group as usize)
    }

    /// g_k for k in 1..=2n (the identity at n+1 and out of range: callers pass 1..=n).
    pub(crate) fn g_point(&self, k: usize) -> G2Affine {
        self.g.get(k).copied().unwrap_or_else(G2Affine::zero)
    }

    /// `version (4) || n (4) || epoch (8) || g_k for k in 1..=2n, k != n+1 ((2n-1) x 96) ||
    /// groups (4) || v_a for each group (groups x 96)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.n as usize;
        let mut out = Vec::with_capacity(17 + (2 * n - 1 + self.v.len()) * G2_BYTES);
        out.push(BGW_PARAMS_VERSION);
        out.extend_from_slice(&self.n.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        for (k, g) in self.g.iter().enumerate().skip(1) {
            if k != n + 1 {
                out.extend_from_slice(&encode_g2(g));
            }
        }
        out.extend_from_slice(&(self.v.len() as u32).to_be_bytes());
        for v in &self.v {
            out.extend_from_slice(&encode_g2(v));
        }
        out
    }

    /// Decodes and checks every point (curve, subgroup, not the identity, canonical).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        let (n, epoch) = take_sized_head(&mut input, "BGW public parameter", BGW_PARAMS_VERSION)?;
        let nu = n as usize;
        // Lengths first, so a short input cannot make us allocate for a huge n or group count.
        let g_len = (2 * nu - 1) * G2_BYTES;
        if input.len() < g_len + 4 {
            return Err(DgkbeError::Malformed("bad public parameter length"));
        }
        let groups = u32::from_be_bytes([
            input[g_len],
            input[g_len + 1],
            input[g_len + 2],
            input[g_len + 3],
        ]);
        if groups == 0 || u64::from(groups) * u64::from(n) > u64::from(u32::MAX) {
            return Err(DgkbeError::Malformed("bad group count"));
        }
        if (input.len() - g_len - 4) as u64 != u64::from(groups) * G2_BYTES as u64 {
            return Err(DgkbeError::Malformed("bad public parameter length"));
        }
        let mut g = Vec::with_capacity(2 * nu + 1);
        g.push(G2Affine::zero());
        for k in 1..=2 * nu {
            if k == nu + 1 {
                g.push(G2Affine::zero());
            } else {
                g.push(decode_g2(take(&mut input, G2_BYTES)?)?);
            }
        }
        take_u32(&mut input)?;
        let v = (0..groups)
            .map(|_| decode_g2(take(&mut input, G2_BYTES)?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(n, epoch, g, v))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BgwHeader {
    pub epoch: u64,
    pub c0: G1Affine,
    pub c1: G1Affine,
}

impl BgwHeader {
    pub fn to_bytes(&self) -> [u8; 105] {
        let mut out = [0u8; 105];
        out[0] = BGW_VERSION;
        out[1..9].copy_from_slice(&self.epoch.to_be_bytes());
        out[9..57].copy_from_slice(&encode_g1(&self.c0));
        out[57..105].copy_from_slice(&encode_g1(&self.c1));
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BgwCiphertext {
    pub header: BgwHeader,
    pub body: Vec<u8>,
}

impl BgwCiphertext {
    /// `version 2 || epoch || C0 || C1 || body (u32 length-prefixed)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(105 + 4 + self.body.len());
        out.extend_from_slice(&self.header.to_bytes());
        put_body(&mut out, &self.body);
        out
    }

    /// Same checks as the seed ciphertext: curve, subgroup, no identity, canonical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        take_version(&mut input, "BGW ciphertext", BGW_VERSION)?;
        let (epoch, c0) = take_epoch_c0(&mut input)?;
        let c1 = decode_g1(take(&mut input, G1_BYTES)?, false)?;
        Ok(Self {
            header: BgwHeader { epoch, c0, c1 },
            body: take_last_body(input)?,
        })
    }
}

pub struct BgwUserKey {
    epoch: u64,
    index: u32,
    d: G2Affine,
    /// The parameters (`BgwPublicParams::id`) the caches below were computed with: other
    /// parameters, even once (substituted ones), start them afresh, so they can never make
    /// the key refuse honest ciphertexts afterwards.
    cached_params: u64,
    /// The recipient set W and Sigma were last computed for, W itself, and the public
    /// Sigma(S) = sum_{j in S} g_(n+1-j) of the header check.
    cached_set: RoaringBitmap,
    cached_w: G2Projective,
    cached_sigma: G2Projective,
    /// Line coefficients of the last d + W and g_i paired, keyed by those points: preparing a
    /// G2 point is a large share of a Miller loop, and both stay the same for every ciphertext
    /// to the same recipient set. Secret (derived from d): zeroized on drop.
    prepared: Option<PreparedPair>,
    /// Line coefficients of Q and of the last v + Sigma(S) (public), for the header check.
    check: Option<PreparedCheck>,
}

struct PreparedCheck {
    q_prep: G2Prep,
    vs: G2Affine,
    vs_prep: G2Prep,
}

type G2Prep = <Bls12_381 as Pairing>::G2Prepared;

struct PreparedPair {
    dw: G2Affine,
    dw_prep: G2Prep,
    gi: G2Affine,
    gi_prep: G2Prep,
}

fn wipe(p: &mut G2Prep) {
    for (a, b, c) in p.ell_coeffs.iter_mut() {
        a.zeroize();
        b.zeroize();
        c.zeroize();
    }
}

impl BgwUserKey {
    pub(crate) fn new(epoch: u64, index: u32, d: G2Affine) -> Self {
        Self {
            epoch,
            index,
            d,
            cached_params: 0,
            cached_set: RoaringBitmap::new(),
            cached_w: G2Projective::zero(),
            cached_sigma: G2Projective::zero(),
            prepared: None,
            check: None,
        }
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// `version (2) || epoch || index || d`; the W cache is not serialized.
    pub fn to_bytes(&self) -> [u8; BGW_KEY_BYTES] {
        let mut out = [0u8; BGW_KEY_BYTES];
        out[0] = BGW_VERSION;
        out[1..9].copy_from_slice(&self.epoch.to_be_bytes());
        out[9..13].copy_from_slice(&self.index.to_be_bytes());
        out[13..].copy_from_slice(&encode_g2(&self.d));
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        take_version(&mut input, "BGW key", BGW_VERSION)?;
        let (epoch, index) = take_epoch_index(&mut input)?;
        let d = decode_g2(take(&mut input, G2_BYTES)?)?;
        if !input.is_empty() {
            return Err(DgkbeError::Malformed("trailing bytes"));
        }
        Ok(Self::new(epoch, index, d))
    }

    /// Moves the cached W and Sigma to `s` with |s Delta cached| additions each; returns that
    /// count.
    fn update(&mut self, pp: &BgwPublicParams, s: &RoaringBitmap) -> Result<u64, DgkbeError> {
        if s.max().is_some_and(|m| m > pp.n) || s.contains(0) {
            return Err(DgkbeError::IndexOutOfRange(s.max().unwrap_or(0)));
        }
        if self.cached_params != pp.id {
            self.cached_set = RoaringBitmap::new();
            self.cached_w = G2Projective::zero();
            self.cached_sigma = G2Projective::zero();
            if let Some(mut old) = self.prepared.take() {
                old.dw.zeroize();
                wipe(&mut old.dw_prep);
            }
            self.check = None;
            self.cached_params = pp.id;
        }
        let n1 = pp.n as usize + 1;
        let i = self.index as usize;
        let added = s - &self.cached_set;
        let removed = &self.cached_set - s;
        for j in added.iter() {
            self.cached_sigma += pp.g[n1 - j as usize];
            if j != self.index {
                self.cached_w += pp.g[n1 - j as usize + i];
            }
        }
        for j in removed.iter() {
            self.cached_sigma -= pp.g[n1 - j as usize];
            if j != self.index {
                self.cached_w -= pp.g[n1 - j as usize + i];
            }
        }
        self.cached_set = s.clone();
        Ok(added.len() + removed.len())
    }

    /// Decrypts a ciphertext for recipient set `s` (public: it travels with the ciphertext and
    /// is committed). Refuses, as [`DgkbeError::Authentication`], a key not in `s` and a header
    /// that fails the check against `s`, before any key is derived. Returns the plaintext and
    /// how many set changes the differential applied.
    pub fn decrypt(
        &mut self,
        pp: &BgwPublicParams,
        s: &RoaringBitmap,
        ct: &BgwCiphertext,
        aad: &[u8],
    ) -> Result<(Vec<u8>, u64), DgkbeError> {
        // A single instance publishes exactly one v; grouped parameters need the group's key.
        let v = match pp.groups() {
            1 => *pp.v(0).ok_or(DgkbeError::Authentication)?,
            _ => return Err(DgkbeError::Malformed("parameters of a grouped instance")),
        };
        if ct.header.epoch != pp.epoch {
            return Err(DgkbeError::Authentication);
        }
        let (mut session, cost) = self.session(pp, &v, s, &ct.header.c0, &ct.header.c1)?;
        let out = dem::open(&session, &ct.header.to_bytes(), &ct.body, aad);
        session.0.zeroize();
        Ok((out?, cost))
    }

    /// The KEM half: refuses unless this key's index is in `s` and
    /// e(C1, Q) == e(C0, v + Sigma(S)) (v = gamma Q of this key's group), then returns
    /// FE(ML(C1, g_i) ML(-C0, d_i + W_i(S))) and the differential's cost.
    pub(crate) fn session(
        &mut self,
        pp: &BgwPublicParams,
        v: &G2Affine,
        s: &RoaringBitmap,
        c0: &G1Affine,
        c1: &G1Affine,
    ) -> Result<(PairingOutput<Bls12_381>, u64), DgkbeError> {
        if pp.epoch != self.epoch || self.index > pp.n {
            return Err(DgkbeError::Authentication);
        }
        // Outside S the Dec value is the GT identity: anyone could have sealed the body. An
        // identity C0 or C1 (refused by decoding, but the fields are public) passes the check
        // trivially and also gives the identity.
        if !s.contains(self.index) || c0.is_zero() || c1.is_zero() {
            return Err(DgkbeError::Authentication);
        }
        let cost = self.update(pp, s)?;
        self.check_header(v, c0, c1)?;
        let dw = (self.cached_w + self.d).into_affine();
        let gi = pp.g[self.index as usize];
        let fresh = match &self.prepared {
            Some(p) => p.dw != dw || p.gi != gi,
            None => true,
        };
        if fresh {
            if let Some(mut old) = self.prepared.take() {
                wipe(&mut old.dw_prep);
            }
            self.prepared = Some(PreparedPair {
                dw,
                dw_prep: dw.into(),
                gi,
                gi_prep: gi.into(),
            });
        }
        let p = self.prepared.as_ref().ok_or(DgkbeError::Authentication)?;
        let ml = Bls12_381::multi_miller_loop([*c1, -*c0], [p.gi_prep.clone(), p.dw_prep.clone()]);
        let session = Bls12_381::final_exponentiation(ml).ok_or(DgkbeError::Authentication)?;
        Ok((session, cost))
    }
}

impl BgwUserKey {
    /// e(C1, Q) == e(C0, v + Sigma(S)) for the cached S, as FE(ML(C1, Q) ML(-C0, v + Sigma))
    /// == 1. Binds the header to S: a header not made for S (a claimed superset, C1 shifted or
    /// combined) fails, so no public value can stand in for the session key.
    fn check_header(
        &mut self,
        v: &G2Affine,
        c0: &G1Affine,
        c1: &G1Affine,
    ) -> Result<(), DgkbeError> {
        let vs = (self.cached_sigma + v).into_affine();
        let stale = self.check.as_ref().is_none_or(|c| c.vs != vs);
        if stale {
            let q_prep = match self.check.take() {
                Some(c) => c.q_prep,
                None => G2Affine::generator().into(),
            };
            self.check = Some(PreparedCheck {
                q_prep,
                vs,
                vs_prep: vs.into(),
            });
        }
        let c = self.check.as_ref().ok_or(DgkbeError::Authentication)?;
        let ml = Bls12_381::multi_miller_loop([*c1, -*c0], [c.q_prep.clone(), c.vs_prep.clone()]);
        match Bls12_381::final_exponentiation(ml) {
            Some(r) if r.is_zero() => Ok(()),
            _ => Err(DgkbeError::Authentication),
        }
    }
}

impl Drop for BgwUserKey {
    fn drop(&mut self) {
        self.d.zeroize();
        if let Some(p) = self.prepared.as_mut() {
            p.dw.zeroize();
            wipe(&mut p.dw_prep);
        }
    }
}
