//! Input validation: bounded lengths and restricted charsets, so no free text (and no patient
//! data) reaches chain state through a field.

use bithive_interface::data_vault::{
    Admission, CreateDatasetMsg, DpAnswer, QueryKind, RecordMsg, MAX_CONTENT_ID_LEN,
    MAX_DATASET_ISSUERS, MAX_DATASET_MEMBERS, MAX_GRANT_SECONDS_CAP, MAX_HISTOGRAM_BINS,
    MAX_QUERY_TTL_SECONDS, MAX_WRAPPED_KEY_LEN, MIN_CONTENT_ID_LEN,
};
use cosmwasm_std::{Binary, Decimal, Timestamp};

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
