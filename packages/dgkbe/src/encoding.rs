//! Canonical compressed point encoding. Every decode checks the curve equation, the prime-order
//! subgroup, rejects the identity unless the caller allows it, and rejects any byte string that
//! does not re-encode to itself (so each point has exactly one accepted encoding).

use ark_bls12_381::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

use crate::DgkbeError;

pub const G1_BYTES: usize = 48;
pub const G2_BYTES: usize = 96;

pub fn encode_g1(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    // Writing a valid point into an exactly sized buffer cannot fail.
    let _ = p.serialize_compressed(&mut out[..]);
    out
}

pub fn encode_g2(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    let _ = p.serialize_compressed(&mut out[..]);
    out
}

pub fn decode_g1(bytes: &[u8], allow_identity: bool) -> Result<G1Affine, DgkbeError> {
    let p = G1Affine::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
        .map_err(|_| DgkbeError::Malformed("G1 point not on curve or not in subgroup"))?;
    if !allow_identity && p.is_zero() {
        return Err(DgkbeError::Malformed("G1 identity"));
    }
    if encode_g1(&p)[..] != *bytes {
        return Err(DgkbeError::Malformed("non-canonical G1 encoding"));
    }
    Ok(p)
}

pub fn decode_g2(bytes: &[u8]) -> Result<G2Affine, DgkbeError> {
    let p = G2Affine::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
        .map_err(|_| DgkbeError::Malformed("G2 point not on curve or not in subgroup"))?;
    if p.is_zero() {
        return Err(DgkbeError::Malformed("G2 identity"));
    }
    if encode_g2(&p)[..] != *bytes {
        return Err(DgkbeError::Malformed("non-canonical G2 encoding"));
    }
    Ok(p)
}

/// Splits `n` bytes off the front of `input`.
pub fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], DgkbeError> {
    if input.len() < n {
        return Err(DgkbeError::Malformed("truncated"));
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Ok(head)
}

pub fn take_u64(input: &mut &[u8]) -> Result<u64, DgkbeError> {
    let b = take(input, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_be_bytes(a))
}

pub fn take_u32(input: &mut &[u8]) -> Result<u32, DgkbeError> {
    let b = take(input, 4)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ok(u32::from_be_bytes(a))
}

/// Appends a ciphertext's body after its header: u32 length, then the bytes.
pub fn put_body(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

/// Reads a ciphertext's u32 length-prefixed body.
pub fn take_body<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], DgkbeError> {
    let len = take_u32(input)? as usize;
    take(input, len)
}

/// Reads the body that ends a ciphertext: nothing may follow it and it holds at least the
/// 16-byte AEAD tag.
pub fn take_last_body(mut input: &[u8]) -> Result<Vec<u8>, DgkbeError> {
    let body = take_body(&mut input)?;
    if !input.is_empty() || body.len() < 16 {
        return Err(DgkbeError::Malformed("bad body length"));
    }
    Ok(body.to_vec())
}

/// Reads the version byte and refuses any other with a typed error.
pub fn take_version(
    input: &mut &[u8],
    what: &'static str,
    supported: u8,
) -> Result<(), DgkbeError> {
    let got = take(input, 1)?[0];
    if got != supported {
        return Err(DgkbeError::UnsupportedVersion {
            what,
            got,
            supported,
        });
    }
    Ok(())
}

/// Epoch and C0 (never the identity): every ciphertext header after its version byte.
pub fn take_epoch_c0(input: &mut &[u8]) -> Result<(u64, G1Affine), DgkbeError> {
    let epoch = take_u64(input)?;
    let c0 = decode_g1(take(input, G1_BYTES)?, false)?;
    Ok((epoch, c0))
}

/// Epoch and slot index (from 1): every user key encoding after its version byte.
pub fn take_epoch_index(input: &mut &[u8]) -> Result<(u64, u32), DgkbeError> {
    let epoch = take_u64(input)?;
    let index = take_u32(input)?;
    if index == 0 {
        return Err(DgkbeError::IndexOutOfRange(0));
    }
    Ok((epoch, index))
}

/// Version byte, slot count n (1..=MAX_USERS) and epoch: the head of every parameter and key
/// encoding that is sized by n.
pub fn take_sized_head(
    input: &mut &[u8],
    what: &'static str,
    supported: u8,
) -> Result<(u32, u64), DgkbeError> {
    take_version(input, what, supported)?;
    let n = take_u32(input)?;
    let epoch = take_u64(input)?;
    if n == 0 || n > crate::MAX_USERS {
        return Err(DgkbeError::BadUserCount {
            got: u64::from(n),
            max: crate::MAX_USERS,
        });
    }
    Ok((n, epoch))
}
