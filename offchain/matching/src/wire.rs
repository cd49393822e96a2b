//! Byte encodings of what crosses a process boundary: a user's enrollment (its blinded tags),
//! a requester's blinded request, the research request a requester seals to a matching
//! node (blinded request + the details that only the matched users will read), and the
//! delivery a matched user receives (S_i + the ciphertext, checked against the commitment).
//!
//! Big-endian lengths, a version byte first, every count bounded before anything is allocated,
//! and no trailing bytes: decoding arbitrary input returns an error, never panics.

use roaring::RoaringBitmap;

use crate::group::Blinded;
use crate::node::{RequestSubmission, UserSubmission};
use crate::output::{commitment, MatchOutput};

const VERSION: u8 = 1;
/// Bounds that keep a hostile encoding from allocating much: far above what a profile or a
/// request has (a few exact tokens and a dozen LSH bands).
pub const MAX_TAGS: usize = 4096;
pub const MAX_CLAUSES: usize = 64;
pub const MAX_DETAILS: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("unsupported encoding version {0}")]
    Version(u8),
    #[error("{what}: {got} exceeds the limit {max}")]
    TooLarge {
        what: &'static str,
        got: usize,
        max: usize,
    },
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("recipient set: {0}")]
    RecipientSet(String),
}

/// A research request as the requester seals it to the matching node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResearchRequest {
    pub submission: RequestSubmission,
    /// What the matched users will read (encrypted to exactly them by the node).
    pub details: Vec<u8>,
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        let hi = u64::from(self.u32(what)?);
        let lo = u64::from(self.u32(what)?);
        Ok(hi << 32 | lo)
    }
    fn count(&mut self, what: &'static str, max: usize) -> Result<usize, WireError> {
        let n = self.u32(what)? as usize;
        if n > max {
            return Err(WireError::TooLarge { what, got: n, max });
        }
        Ok(n)
    }
    fn tags(&mut self, what: &'static str) -> Result<Vec<Blinded>, WireError> {
        let n = self.count(what, MAX_TAGS)?;
        let bytes = self.take(n * 32, what)?;
        Ok(bytes
            .chunks_exact(32)
            .map(|c| {
                let mut t = [0u8; 32];
                t.copy_from_slice(c);
                t
            })
            .collect())
    }
    fn version(&mut self) -> Result<(), WireError> {
        match self.u8("version")? {
            VERSION => Ok(()),
            v => Err(WireError::Version(v)),
        }
    }
    fn finish(self) -> Result<(), WireError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

fn put_tags(out: &mut Vec<u8>, tags: &[Blinded]) {
    out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    for t in tags {
        out.extend_from_slice(t);
    }
}

fn check(what: &'static str, got: usize, max: usize) -> Result<(), WireError> {
    if got > max {
        return Err(WireError::TooLarge { what, got, max });
    }
    Ok(())
}

impl UserSubmission {
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        check("tags", self.tags.len(), MAX_TAGS)?;
        let mut out = Vec::with_capacity(9 + 32 * self.tags.len());
        out.push(VERSION);
        out.extend_from_slice(&self.user.to_be_bytes());
        put_tags(&mut out, &self.tags);
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.version()?;
        let user = r.u32("user")?;
        let tags = r.tags("tags")?;
        r.finish()?;
        Ok(Self { user, tags })
    }
}

fn put_request(out: &mut Vec<u8>, s: &RequestSubmission) -> Result<(), WireError> {
    check("clauses", s.clauses.len(), MAX_CLAUSES)?;
    check("bands", s.bands.len(), MAX_TAGS)?;
    out.extend_from_slice(&s.id.to_be_bytes());
    out.extend_from_slice(&s.min_bands.to_be_bytes());
    out.extend_from_slice(&(s.clauses.len() as u32).to_be_bytes());
    for c in &s.clauses {
        check("clause", c.len(), MAX_TAGS)?;
        put_tags(out, c);
    }
    put_tags(out, &s.bands);
    Ok(())
}

fn read_request(r: &mut Reader<'_>) -> Result<RequestSubmission, WireError> {
    let id = r.u64("id")?;
    let min_bands = r.u32("min_bands")?;
    let n = r.count("clauses", MAX_CLAUSES)?;
    let mut clauses = Vec::with_capacity(n);
    for _ in 0..n {
        clauses.push(r.tags("clause")?);
    }
    let bands = r.tags("bands")?;
    Ok(RequestSubmission {
        id,
        clauses,
        bands,
        min_bands,
    })
}

impl RequestSubmission {
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![VERSION];
        put_request(&mut out, self)?;
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.version()?;
        let s = read_request(&mut r)?;
        r.finish()?;
        Ok(s)
    }
}

impl ResearchRequest {
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        check("details", self.details.len(), MAX_DETAILS)?;
        let mut out = vec![VERSION];
        put_request(&mut out, &self.submission)?;
        out.extend_from_slice(&(self.details.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.details);
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.version()?;
        let submission = read_request(&mut r)?;
        let n = r.count("details", MAX_DETAILS)?;
        let details = r.take(n, "details")?.to_vec();
        r.finish()?;
        Ok(Self {
            submission,
            details,
        })
    }
}

/// A delivery as a recipient receives it (over BitChat): request id (u64 BE), the length of
/// S_i's portable roaring serialization (u32 BE), that serialization, then the DGKBE
/// ciphertext to the end. There is no version byte: the format is bound by the on-chain
/// commitment, which [`decode_delivery`] recomputes for the recipient to check.
pub fn encode_delivery(out: &MatchOutput) -> Result<Vec<u8>, WireError> {
    let mut mask = Vec::new();
    out.recipients
        .serialize_into(&mut mask)
        .map_err(|e| WireError::RecipientSet(e.to_string()))?;
    let len = u32::try_from(mask.len()).map_err(|_| WireError::TooLarge {
        what: "recipient set",
        got: mask.len(),
        max: u32::MAX as usize,
    })?;
    let mut body = Vec::with_capacity(12 + mask.len() + out.ciphertext.len());
    body.extend_from_slice(&out.request_id.to_be_bytes());
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(&mask);
    body.extend_from_slice(&out.ciphertext);
    Ok(body)
}

/// Splits a delivery into request id, S_i's serialization and ciphertext without parsing S_i
/// (what the sender needs for the attestation's commitments).
pub fn split_delivery(body: &[u8]) -> Result<(u64, &[u8], &[u8]), WireError> {
    let mut r = Reader { rest: body };
    let request_id = r.u64("delivery request id")?;
    let len = r.u32("recipient set length")? as usize;
    let mask = r.take(len, "recipient set")?;
    Ok((request_id, mask, r.rest))
}

/// Parses a delivery: the output with its commitment recomputed from the received bytes, and
/// S_i's serialization as received.
pub fn decode_delivery(body: &[u8]) -> Result<(MatchOutput, Vec<u8>), WireError> {
    let (request_id, mask, ciphertext) = split_delivery(body)?;
    let recipients = RoaringBitmap::deserialize_from(mask)
        .map_err(|e| WireError::RecipientSet(e.to_string()))?;
    let ciphertext = ciphertext.to_vec();
    let commitment = commitment(request_id, &recipients, &ciphertext);
    Ok((
        MatchOutput {
            request_id,
            recipients,
            ciphertext,
            commitment,
        },
        mask.to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(i: u8) -> Blinded {
        [i; 32]
    }

    fn request() -> ResearchRequest {
        ResearchRequest {
            submission: RequestSubmission {
                id: 0x0102_0304_0506_0708,
                clauses: vec![vec![tag(1), tag(2)], vec![tag(3)]],
                bands: vec![tag(4), tag(5), tag(6)],
                min_bands: 2,
            },
            details: b"cohort study, contact via BitHive".to_vec(),
        }
    }

    #[test]
    fn round_trips() {
        let r = request();
        let bytes = r.to_bytes().unwrap();
        assert_eq!(ResearchRequest::from_bytes(&bytes).unwrap(), r);
        let s = r.submission.to_bytes().unwrap();
        assert_eq!(RequestSubmission::from_bytes(&s).unwrap(), r.submission);
        let u = UserSubmission {
            user: 77,
            tags: vec![tag(9), tag(8)],
        };
        assert_eq!(
            UserSubmission::from_bytes(&u.to_bytes().unwrap()).unwrap(),
            u
        );
    }

    #[test]
    fn rejects_truncation_trailing_versions_and_huge_counts() {
        let bytes = request().to_bytes().unwrap();
        for n in 0..bytes.len() {
            assert!(ResearchRequest::from_bytes(&bytes[..n]).is_err(), "{n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            ResearchRequest::from_bytes(&long),
            Err(WireError::Trailing(1))
        );
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(ResearchRequest::from_bytes(&v2), Err(WireError::Version(2)));
        // A claimed count of 2^32 - 1 tags is refused before any allocation.
        let mut huge = vec![VERSION, 0, 0, 0, 1];
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            UserSubmission::from_bytes(&huge),
            Err(WireError::TooLarge { .. })
        ));
    }

    fn delivery() -> MatchOutput {
        let recipients: RoaringBitmap = [3u32, 5, 70_000, 1 << 20].into_iter().collect();
        let ciphertext = b"header and sealed details".to_vec();
        MatchOutput {
            request_id: 42,
            commitment: commitment(42, &recipients, &ciphertext),
            recipients,
            ciphertext,
        }
    }

    #[test]
    fn delivery_round_trips_with_its_commitment() {
        let out = delivery();
        let body = encode_delivery(&out).unwrap();
        let (got, mask) = decode_delivery(&body).unwrap();
        assert_eq!(got, out);
        assert_eq!(&body[12..12 + mask.len()], &mask[..]);
        assert_eq!(
            split_delivery(&body).unwrap(),
            (42, &mask[..], &out.ciphertext[..])
        );
    }

    #[test]
    fn delivery_rejects_truncation_and_a_bad_recipient_set() {
        let body = encode_delivery(&delivery()).unwrap();
        // Cut inside the header or the recipient set: an error. Cut inside the ciphertext: it
        // decodes, and the recomputed commitment no longer matches the chain's.
        let mask_end = 12 + u32::from_be_bytes(body[8..12].try_into().unwrap()) as usize;
        for n in 0..mask_end {
            assert!(decode_delivery(&body[..n]).is_err(), "{n}");
        }
        let (cut, _) = decode_delivery(&body[..body.len() - 1]).unwrap();
        assert_ne!(cut.commitment, delivery().commitment);
        // A recipient set that is not a roaring serialization.
        let mut bad = body.clone();
        bad[12] ^= 0xff;
        assert!(matches!(
            decode_delivery(&bad),
            Err(WireError::RecipientSet(_))
        ));
        // A claimed length beyond the body.
        let mut long = body[..12].to_vec();
        long[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            decode_delivery(&long),
            Err(WireError::Truncated("recipient set"))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A deterministic sweep of pseudo-random inputs (the relayer decodes these from chain).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..600usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 56) as u8
                })
                .collect();
            let _ = ResearchRequest::from_bytes(&bytes);
            let _ = RequestSubmission::from_bytes(&bytes);
            let _ = UserSubmission::from_bytes(&bytes);
            let _ = decode_delivery(&bytes);
        }
    }
}
