//! Input validation: bounded lengths and restricted charsets, so no free text (and no patient
//! data) can be stored through metadata fields.

use cosmwasm_std::{Binary, HexBinary};

use crate::error::ContractError;
use crate::msg::{AssetMetadataMsg, ValuationParams};
use crate::state::{Certification, Jurisdiction};

pub const MAX_JURISDICTIONS: usize = 16;
pub const MAX_MARKERS: usize = 4;
pub const MAX_CERTIFICATIONS: usize = 16;
pub const MAX_WINDOW: u32 = 32;

fn invalid(field: &'static str, reason: &'static str) -> ContractError {
    ContractError::InvalidField { field, reason }
}

fn check_charset(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    allowed: fn(u8) -> bool,
) -> Result<(), ContractError> {
    if value.len() < min || value.len() > max {
        return Err(invalid(field, "length out of range"));
    }
    if !value.bytes().all(allowed) {
        return Err(invalid(field, "character not allowed"));
    }
    Ok(())
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
}

pub fn token_id(id: &str) -> Result<(), ContractError> {
    check_charset("token_id", id, 1, 64, ident_char)
}

pub fn jurisdiction_code(code: &str) -> Result<(), ContractError> {
    check_charset("jurisdiction", code, 2, 8, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'
    })
}

pub fn description_uri(uri: &str) -> Result<(), ContractError> {
    check_charset("description_uri", uri, 8, 256, |b| b.is_ascii_graphic())?;
    if !["ipfs://", "https://", "ar://"]
        .iter()
        .any(|p| uri.starts_with(p))
    {
        return Err(invalid(
            "description_uri",
            "scheme must be ipfs, https or ar",
        ));
    }
    Ok(())
}

pub fn hash32(field: &'static str, hash: &HexBinary) -> Result<(), ContractError> {
    if hash.len() != 32 {
        return Err(invalid(field, "must be 32 bytes"));
    }
    Ok(())
}

pub fn device_pubkey(key: &Binary) -> Result<(), ContractError> {
    if key.len() != 33 || !matches!(key[0], 0x02 | 0x03) {
        return Err(invalid(
            "device_pubkey",
            "must be a 33-byte compressed secp256k1 key",
        ));
    }
    Ok(())
}

pub fn jurisdictions(list: &[Jurisdiction]) -> Result<(), ContractError> {
    if list.is_empty() || list.len() > MAX_JURISDICTIONS {
        return Err(invalid("jurisdictions", "1 to 16 entries"));
    }
    for (i, j) in list.iter().enumerate() {
        jurisdiction_code(&j.code)?;
        if list[..i].iter().any(|o| o.code == j.code) {
            return Err(invalid("jurisdictions", "duplicate code"));
        }
        if j.markers.len() > MAX_MARKERS {
            return Err(invalid("markers", "at most 4 per jurisdiction"));
        }
        for (k, m) in j.markers.iter().enumerate() {
            if j.markers[..k].contains(m) {
                return Err(invalid("markers", "duplicate marker"));
            }
        }
    }
    Ok(())
}

pub fn certifications(list: &[Certification]) -> Result<(), ContractError> {
    if list.len() > MAX_CERTIFICATIONS {
        return Err(invalid("certifications", "at most 16 entries"));
    }
    for c in list {
        check_charset("certification.standard", &c.standard, 1, 32, ident_char)?;
        check_charset("certification.issuer", &c.issuer, 1, 64, ident_char)?;
        check_charset(
            "certification.certificate_id",
            &c.certificate_id,
            1,
            64,
            ident_char,
        )?;
    }
    Ok(())
}

pub fn metadata(m: &AssetMetadataMsg) -> Result<(), ContractError> {
    description_uri(&m.description_uri)?;
    hash32("content_hash", &m.content_hash)?;
    jurisdictions(&m.jurisdictions)?;
    certifications(&m.certifications)?;
    if let Some(key) = &m.device_pubkey {
        device_pubkey(key)?;
    }
    Ok(())
}

pub fn valuation_params(p: &ValuationParams) -> Result<(), ContractError> {
    check_charset("valuation.unit", &p.unit, 1, 16, ident_char)?;
    if p.window == 0 || p.window > MAX_WINDOW {
        return Err(invalid("valuation.window", "1 to 32"));
    }
    if p.quorum == 0 || p.quorum > p.window {
        return Err(invalid("valuation.quorum", "1 to window"));
    }
    if p.freshness_secs == 0 {
        return Err(invalid("valuation.freshness_secs", "must be positive"));
    }
    Ok(())
}
