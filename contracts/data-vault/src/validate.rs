//! Input validation: bounded lengths and restricted charsets, so no free text (and no patient
//! data) reaches chain state through a field.

use bithive_interface::data_vault::{
    Admission, CreateDatasetMsg, DpAnswer, QueryKind, RecordMsg, MAX_CONTENT_ID_LEN,
    MAX_DATASET_ISSUERS, MAX_DATASET_MEMBERS, MAX_GRANT_SECONDS_CAP, MAX_HISTOGRAM_BINS,
    MAX_QUERY_TTL_SECONDS, MAX_WRAPPED_KEY_LEN, MIN_CONTENT_ID_LEN, READING_KEY_LEN,
};
use cosmwasm_std::{Binary, Decimal, HexBinary, Timestamp};

use crate::error::ContractError;

pub fn invalid(field: &'static str, reason: &'static str) -> ContractError {
    ContractError::InvalidField { field, reason }
}

/// IPFS CIDv1 in multibase base32 (lowercase, no padding): `b`, then `[a-z2-7]`. Shape only: the
/// first base32 digit of a CIDv1 is `a` (its version byte 0x01 starts with five zero bits).
pub fn content_id(cid: &str) -> Result<(), ContractError> {
    if !(MIN_CONTENT_ID_LEN..=MAX_CONTENT_ID_LEN).contains(&cid.len()) {
        return Err(invalid("content_id", "12 to 128 characters"));
    }
    let Some(rest) = cid.strip_prefix('b') else {
        return Err(invalid(
            "content_id",
            "multibase prefix must be 'b' (base32)",
        ));
    };
    if !rest.starts_with('a') {
        return Err(invalid("content_id", "not a CIDv1"));
    }
    if !rest
        .bytes()
        .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
    {
        return Err(invalid("content_id", "base32 digits are a-z 2-7"));
    }
    Ok(())
}

pub fn record(r: &RecordMsg) -> Result<(), ContractError> {
    content_id(&r.content_id)?;
    if r.size == 0 {
        return Err(invalid("size", "must be positive"));
    }
    if r.ciphertext_sha256.len() != 32 {
        return Err(invalid("ciphertext_sha256", "must be 32 bytes"));
    }
    Ok(())
}

pub fn wrapped_key(k: &Binary) -> Result<(), ContractError> {
    if k.is_empty() || k.len() > MAX_WRAPPED_KEY_LEN {
        return Err(invalid("wrapped_key", "1 to 512 bytes"));
    }
    Ok(())
}

/// The X25519 points of small order (RFC 7748 u-coordinates, little-endian; libsodium's list):
/// a share sealed to one of them has a shared secret anyone can compute.
const SMALL_ORDER: [[u8; 32]; 7] = {
    let mut p_minus_1 = [0xff; 32];
    p_minus_1[0] = 0xec;
    p_minus_1[31] = 0x7f;
    let mut p = p_minus_1;
    p[0] = 0xed;
    let mut p_plus_1 = p_minus_1;
    p_plus_1[0] = 0xee;
    let mut one = [0; 32];
    one[0] = 1;
    [
        [0; 32],
        one,
        [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ],
        [
            0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83,
            0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd,
            0xd0, 0x9f, 0x11, 0x57,
        ],
        p_minus_1,
        p,
        p_plus_1,
    ]
};

/// A reading key: an X25519 public key, not of small order. X25519 ignores the top bit of the
/// last byte (RFC 7748), so the comparison does too.
pub fn reading_key(k: &HexBinary) -> Result<(), ContractError> {
    let Ok(k) = <[u8; READING_KEY_LEN]>::try_from(k.as_slice()) else {
        return Err(invalid("public_key", "an X25519 public key: 32 bytes"));
    };
    let mut masked = k;
    masked[31] &= 0x7f;
    if SMALL_ORDER.contains(&masked) {
        return Err(invalid(
            "public_key",
            "a point of small order: anyone could open what is sealed to it",
        ));
    }
    Ok(())
}

/// `now < expires_at <= now + max_seconds`.
pub fn expiry(
    now: Timestamp,
    expires_at: Timestamp,
    max_seconds: u64,
) -> Result<(), ContractError> {
    let latest = now.seconds().saturating_add(max_seconds);
    if expires_at <= now || expires_at.seconds() > latest {
        return Err(ContractError::BadExpiry {
            expires_at,
            max_seconds,
        });
    }
    Ok(())
}

fn ident(field: &'static str, s: &str) -> Result<(), ContractError> {
    if s.is_empty()
        || s.len() > 64
        || !s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
    {
        return Err(invalid(field, "1 to 64 of a-z 0-9 - _ ."));
    }
    Ok(())
}

pub fn dataset(m: &CreateDatasetMsg) -> Result<(), ContractError> {
    ident("name", &m.name)?;
    if m.total_epsilon.is_zero() {
        return Err(invalid("total_epsilon", "must be positive"));
    }
    if m.max_query_epsilon.is_zero() || m.max_query_epsilon > m.total_epsilon {
        return Err(invalid(
            "max_query_epsilon",
            "positive, at most total_epsilon",
        ));
    }
    if m.max_querier_epsilon.is_zero() || m.max_querier_epsilon > m.total_epsilon {
        return Err(invalid(
            "max_querier_epsilon",
            "positive, at most total_epsilon",
        ));
    }
    if m.price_per_epsilon.is_zero() {
        return Err(invalid(
            "price_per_epsilon",
            "must be positive: a free dataset's budget is anyone's to exhaust",
        ));
    }
    if m.query_ttl_seconds == 0 || m.query_ttl_seconds > MAX_QUERY_TTL_SECONDS {
        return Err(invalid("query_ttl_seconds", "1 s to 30 days"));
    }
    if m.max_members == 0 || m.max_members > MAX_DATASET_MEMBERS {
        return Err(invalid("max_members", "1 to 100000"));
    }
    if let bithive_interface::data_vault::AssetInfo::Native(d) = &m.price_asset {
        bithive_cw_common::funds::validate_denom(d)?;
    }
    Ok(())
}

/// The admission rule with its issuers validated, deduplicated and sorted.
pub fn admission(api: &dyn cosmwasm_std::Api, a: Admission) -> Result<Admission, ContractError> {
    match a {
        Admission::Open {} => Ok(Admission::Open {}),
        Admission::Issuers { issuers } => {
            let mut v = issuers
                .iter()
                .map(|i| api.addr_validate(i).map(|a| a.into_string()))
                .collect::<cosmwasm_std::StdResult<Vec<_>>>()?;
            v.sort();
            v.dedup();
            if v.is_empty() || v.len() > MAX_DATASET_ISSUERS {
                return Err(invalid("admission.issuers", "1 to 16 distinct accounts"));
            }
            Ok(Admission::Issuers { issuers: v })
        }
    }
}

pub fn query_kind(k: &QueryKind) -> Result<(), ContractError> {
    match k {
        QueryKind::Count {} => Ok(()),
        QueryKind::Mean {
            field,
            lower,
            upper,
        } => {
            ident("field", field)?;
            if lower >= upper {
                return Err(invalid("bounds", "lower must be below upper"));
            }
            Ok(())
        }
        QueryKind::Histogram {
            field,
            lower,
            upper,
            bins,
        } => {
            ident("field", field)?;
            if lower >= upper {
                return Err(invalid("bounds", "lower must be below upper"));
            }
            if *bins == 0 || *bins > MAX_HISTOGRAM_BINS {
                return Err(invalid("bins", "1 to 64"));
            }
            Ok(())
        }
    }
}

pub fn epsilon(e: Decimal) -> Result<(), ContractError> {
    if e.is_zero() {
        return Err(invalid("epsilon", "must be positive"));
    }
    Ok(())
}

pub fn answer(kind: &QueryKind, answer: &DpAnswer) -> Result<(), ContractError> {
    let mismatch = |reason| Err(ContractError::AnswerMismatch { reason });
    match (kind, answer) {
        (QueryKind::Count {}, DpAnswer::Count { .. }) => Ok(()),
        (QueryKind::Mean { .. }, DpAnswer::Mean { .. }) => Ok(()),
        (QueryKind::Histogram { bins, .. }, DpAnswer::Histogram { counts }) => {
            if counts.len() != usize::from(*bins) {
                return mismatch("one count per histogram bin");
            }
            Ok(())
        }
        _ => mismatch("answer kind differs from the query kind"),
    }
}

/// The longest grant a curator may configure: 1 s to [`MAX_GRANT_SECONDS_CAP`].
pub fn max_grant_seconds(s: u64) -> Result<u64, ContractError> {
    if s == 0 || s > MAX_GRANT_SECONDS_CAP {
        return Err(invalid("max_grant_seconds", "1 s to 5 years"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list is what it claims: X25519 with any scalar maps each point to zero, and a key of
    /// a real secret is accepted.
    #[test]
    fn the_refused_reading_keys_are_exactly_points_of_small_order() {
        for (i, point) in SMALL_ORDER.iter().enumerate() {
            for scalar in [[7u8; 32], [0x5a; 32]] {
                assert_eq!(
                    x25519_dalek::x25519(scalar, *point),
                    [0; 32],
                    "point {i} is not of small order"
                );
            }
            assert!(reading_key(&HexBinary::from(point.as_slice())).is_err());
            let mut high = *point;
            high[31] |= 0x80;
            assert!(
                reading_key(&HexBinary::from(high.as_slice())).is_err(),
                "point {i}, top bit set"
            );
        }
        let public = x25519_dalek::x25519([9u8; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
        reading_key(&HexBinary::from(public.as_slice())).unwrap();
        assert!(reading_key(&HexBinary::from(&public[..31])).is_err());
        assert!(reading_key(&HexBinary::from([public.as_slice(), &[0]].concat())).is_err());
    }
}
