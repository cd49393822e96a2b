//! Ciphertext = header (epoch, C0, C1, C2 in G1) + AEAD body.
//!
//! Wire format (all integers big-endian):
//! `version (1) || epoch (8) || C0 (48) || C1 (48) || C2 (48) || body (len-prefixed u32)`.

use ark_bls12_381::G1Affine;

use crate::encoding::{
    decode_g1, encode_g1, put_body, take, take_body, take_epoch_c0, take_version, G1_BYTES,
};
use crate::DgkbeError;

pub const CIPHERTEXT_VERSION: u8 = 1;
/// Bytes of the KEM header: what an attestation or a chain record needs besides the body hash.
pub const HEADER_BYTES: usize = 1 + 8 + 3 * G1_BYTES;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub epoch: u64,
    pub c0: G1Affine,
    pub c1: G1Affine,
    pub c2: G1Affine,
}

impl Header {
    pub fn to_bytes(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0u8; HEADER_BYTES];
        out[0] = CIPHERTEXT_VERSION;
        out[1..9].copy_from_slice(&self.epoch.to_be_bytes());
        out[9..57].copy_from_slice(&encode_g1(&self.c0));
        out[57..105].copy_from_slice(&encode_g1(&self.c1));
        out[105..153].copy_from_slice(&encode_g1(&self.c2));
        out
    }

    fn read(input: &mut &[u8]) -> Result<Self, DgkbeError> {
        // C0 = t*P and C1 = t*(gamma + sigma(S))*P are never the identity for honest t != 0;
        // C2 is the identity exactly when S = S0 (no correction needed).
        take_version(input, "seed ciphertext", CIPHERTEXT_VERSION)?;
        let (epoch, c0) = take_epoch_c0(input)?;
        let c1 = decode_g1(take(input, G1_BYTES)?, false)?;
        let c2 = decode_g1(take(input, G1_BYTES)?, true)?;
        Ok(Self { epoch, c0, c1, c2 })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    pub header: Header,
    /// ChaCha20-Poly1305 output (plaintext length + 16-byte tag).
    pub body: Vec<u8>,
}

impl Ciphertext {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + 4 + self.body.len());
        out.extend_from_slice(&self.header.to_bytes());
        put_body(&mut out, &self.body);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DgkbeError> {
        let mut input = bytes;
        let header = Header::read(&mut input)?;
        let body = take_body(&mut input)?.to_vec();
        if !input.is_empty() {
            return Err(DgkbeError::Malformed("trailing bytes"));
        }
        if body.len() < 16 {
            return Err(DgkbeError::Malformed("body shorter than the AEAD tag"));
        }
        Ok(Self { header, body })
    }
}
