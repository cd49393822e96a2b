//! Strict CID strings: the one spelling BitHive accepts for a content id.

use alloc::string::ToString;

use cid::{Cid, Version};

use crate::{ContentIdError, DAG_PB, RAW, SHA2_256};

/// Longest accepted CID string; a CIDv1 sha2-256 in base32 is 59 characters. Checked before any
/// decoding so that work is bounded.
pub const MAX_CID_STR_LEN: usize = 64;

/// Parses a CIDv1 string in multibase base32 lowercase (`b...`) whose codec is raw or dag-pb and
/// whose hash is sha2-256; any other spelling of the same CID (another base, upper case, CIDv0)
/// is refused so that one content has exactly one id string.
pub fn parse_cid(s: &str) -> Result<Cid, ContentIdError> {
    if s.is_empty() {
        return Err(ContentIdError::Empty);
    }
    if s.len() > MAX_CID_STR_LEN {
        return Err(ContentIdError::TooLong {
            max: MAX_CID_STR_LEN,
        });
    }
    let rest = s.strip_prefix('b').ok_or(ContentIdError::WrongMultibase)?;
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
    {
        return Err(ContentIdError::BadBase32);
    }
    let cid = Cid::try_from(s).map_err(|e| ContentIdError::Malformed(e.to_string()))?;
    check_shape(&cid)?;
    // Non-zero padding bits decode to the same bytes: only the canonical spelling is the id.
    if cid.to_string() != s {
        return Err(ContentIdError::NotCanonical);
    }
    Ok(cid)
}

/// [`parse_cid`] for callers that only need a yes or no (e.g. a contract validating a field).
pub fn validate_cid_str(s: &str) -> Result<(), ContentIdError> {
    parse_cid(s).map(|_| ())
}

pub(crate) fn check_shape(cid: &Cid) -> Result<(), ContentIdError> {
    if cid.version() != Version::V1 {
        return Err(ContentIdError::WrongVersion(cid.version().into()));
    }
    if cid.codec() != RAW && cid.codec() != DAG_PB {
        return Err(ContentIdError::WrongCodec(cid.codec()));
    }
    let h = cid.hash();
    if h.code() != SHA2_256 || h.size() != 32 {
        return Err(ContentIdError::WrongHash {
            code: h.code(),
            len: usize::from(h.size()),
        });
    }
    Ok(())
}
