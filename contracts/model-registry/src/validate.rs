//! Field checks for published models: bounded lengths and fixed alphabets, so nothing a sender
//! writes can bloat storage or smuggle free text into events.

use bithive_interface::model_registry::{
    MAX_CONTENT_ID_LEN, MAX_EVALUATION_LEN, MAX_JOB_ID_LEN, MAX_LICENCE_LEN, MAX_NAME_LEN,
    MAX_RUN_COST, MAX_SPECIALTY_LEN, MAX_SPEC_LEN, MIN_CONTENT_ID_LEN,
};
use cosmwasm_std::{Decimal, Uint128};

use crate::error::ContractError;

fn invalid(field: &'static str, reason: &'static str) -> ContractError {
    ContractError::Invalid { field, reason }
}

/// `a-z 0-9 . _ -`, 1 to 64, first a letter or digit: a valid escrow job `model` without `@`.
pub fn name(s: &str) -> Result<(), ContractError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !ok {
        return Err(invalid(
            "name",
            "1 to 64 of a-z 0-9 . _ -, starting with a-z 0-9",
        ));
    }
    Ok(())
}

pub fn specialty(s: &str) -> Result<(), ContractError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_SPECIALTY_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    if !ok {
        return Err(invalid("specialty", "1 to 32 of a-z 0-9 _ -"));
    }
    Ok(())
}

/// 1 to `max` printable ASCII characters (space included).
pub fn printable(
    field: &'static str,
    s: &str,
    max: usize,
    reason: &'static str,
) -> Result<(), ContractError> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(invalid(field, reason));
    }
    Ok(())
}

pub fn spec(field: &'static str, s: &str) -> Result<(), ContractError> {
    printable(
        field,
        s,
        MAX_SPEC_LEN,
        "1 to 256 printable ASCII characters",
    )
}

pub fn licence(s: &str) -> Result<(), ContractError> {
    printable(
        "licence",
        s,
        MAX_LICENCE_LEN,
        "1 to 64 printable ASCII characters",
    )
}

pub fn evaluation(s: &str) -> Result<(), ContractError> {
    printable(
        "evaluation",
        s,
        MAX_EVALUATION_LEN,
        "1 to 128 printable ASCII characters",
    )
}

pub fn job_id(s: &str) -> Result<(), ContractError> {
    printable(
        "job_id",
        s,
        MAX_JOB_ID_LEN,
        "1 to 128 printable ASCII characters",
    )
}

pub fn sha256_hex(s: &str) -> Result<(), ContractError> {
    if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(invalid("onnx_sha256", "64 lowercase hex digits (32 bytes)"));
    }
    Ok(())
}

/// A score or accuracy: in [0, 1].
pub fn unit(field: &'static str, d: Decimal) -> Result<(), ContractError> {
    if d > Decimal::one() {
        return Err(invalid(field, "must be in [0, 1]"));
    }
    Ok(())
}

/// A measured run cost: 1 to `MAX_RUN_COST` work units.
pub fn run_cost(c: Uint128) -> Result<(), ContractError> {
    if c.is_zero() || c.u128() > MAX_RUN_COST {
        return Err(invalid("run_cost", "must be 1 to 10^9 work units"));
    }
    Ok(())
}

/// RFC 4648 base32, lowercase, unpadded (multibase `b`); `None` on any other character or
/// non-zero trailing bits.
fn base32_lower(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'a'..=b'z' => b - b'a',
            b'2'..=b'7' => b - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// An unsigned varint (multiformats: at most 9 bytes) from the front of `bytes`.
fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..9 {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The shape of an IPFS CIDv1 string: multibase `b` (base32 lowercase), bounded length, and
/// bytes `0x01 <codec varint> <hash code varint> <digest length varint> <digest>` with the
/// digest exactly the declared length (1 to 64 bytes). Which codec, hash and chunking produced
/// it is the content-addressing crate's business, not checked here.
pub fn content_id(s: &str) -> Result<(), ContractError> {
    const REASON: &str =
        "an IPFS CIDv1: multibase 'b' base32 lowercase, 8 to 128 characters, version 1, codec, multihash";
    if s.len() < MIN_CONTENT_ID_LEN || s.len() > MAX_CONTENT_ID_LEN {
        return Err(invalid("content_id", REASON));
    }
    let ok = (|| {
        let bytes = base32_lower(s.strip_prefix('b')?)?;
        let mut rest = bytes.as_slice();
        if varint(&mut rest)? != 1 {
            return None;
        }
        varint(&mut rest)?; // codec
        varint(&mut rest)?; // hash function
        let len = varint(&mut rest)?;
        ((1..=64).contains(&len) && rest.len() as u64 == len).then_some(())
    })();
    ok.ok_or_else(|| invalid("content_id", REASON))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ipfs add --cid-version 1` of "hello world\n" (raw leaves): a real CIDv1.
    const CID: &str = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

    #[test]
    fn real_cids_pass() {
        content_id(CID).unwrap();
        // dag-pb CIDv1 of a directory (sha2-256).
        content_id("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi").unwrap();
    }

    #[test]
    fn malformed_cids_fail() {
        let upper = CID.to_uppercase();
        let truncated = &CID[..CID.len() - 2];
        let long = format!("{CID}{}", "a".repeat(80));
        for bad in [
            "",
            "b",
            "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", // CIDv0
            "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", // base58 multibase
            upper.as_str(),
            truncated,
            long.as_str(),
            "baaaaaaaaaaaaa", // version 0 bytes
            "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei1",
        ] {
            assert!(content_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_hashes() {
        name("retina-cnn.v2_a").unwrap();
        for bad in ["", "-x", "Retina", "a@1", "a b", &"a".repeat(65)] {
            assert!(name(bad).is_err(), "{bad}");
        }
        sha256_hex(&"ab".repeat(32)).unwrap();
        assert!(sha256_hex(&"AB".repeat(32)).is_err());
        assert!(sha256_hex(&"ab".repeat(31)).is_err());
        assert!(unit("accuracy", Decimal::percent(101)).is_err());
        unit("accuracy", Decimal::one()).unwrap();
    }
}
