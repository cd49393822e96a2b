//! Byte encodings of what crosses a process boundary: a user's enrollment (its blinded tags),
//! a requester's blinded request, the research request a requester seals to a matching node
//! (blinded request + where to send the match), the match notice the node sends back (S_i),
//! and the signed delivery a matched user receives (S_i + the ciphertext + the researcher's
//! signature, checked against the chain).
//!
//! Big-endian lengths, a version byte first, every count bounded before anything is allocated,
//! and no trailing bytes: decoding arbitrary input returns an error, never panics.

use roaring::RoaringBitmap;

use crate::group::Blinded;
use crate::node::{RequestSubmission, UserSubmission};
use crate::output::{commitment, MatchOutput};

const VERSION: u8 = 1;
/// Version 1 carried the details in plaintext for the node to encrypt; version 2 carries none
/// (the researcher encrypts them itself) and is the only one accepted.
const RESEARCH_VERSION: u8 = 2;
// 2: the match's salt (the on-chain commitment is salted).
const NOTICE_VERSION: u8 = 2;
const SIGNED_DELIVERY_VERSION: u8 = 2;
/// Longest escrow job id a signed delivery may name (the escrow's ids are far shorter).
pub const MAX_JOB_ID: usize = 256;
const MAX_ADDR: usize = 64;
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
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// Where the matching node sends the match notice: the researcher's BitChat contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyTo {
    /// Compressed secp256k1 key: the researcher's BitChat account, and the key that signs the
    /// delivery (that of the chain account paying for the request).
    pub account_pubkey: [u8; 33],
    pub noise_pubkey: [u8; 32],
    pub addr: Option<std::net::SocketAddr>,
}

/// A research request as the requester seals it to the matching node: blinded criteria only.
/// The details never reach the node; the researcher encrypts them to S_i itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResearchRequest {
    pub submission: RequestSubmission,
    pub reply_to: ReplyTo,
}

/// The matching node's answer to the researcher (over BitChat, never on chain): S_i, which the
/// researcher checks against the matching attestation before encrypting to it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchNotice {
    pub request_id: u64,
    /// The secret nonce the on-chain commitment is salted with (the researcher passes it on to
    /// the recipients in its delivery).
    pub salt: [u8; 32],
    pub recipients: RoaringBitmap,
}

/// A delivery as the researcher signs it and recipients receive it (through the matching node,
/// which knows their contacts but cannot read or alter the details).
#[derive(Clone, Debug, PartialEq)]
pub struct SignedDelivery {
    pub escrow_job_id: String,
    pub signer: [u8; 33],
    pub signature: [u8; 64],
    pub output: MatchOutput,
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
        self.expect_version(VERSION)
    }
    fn expect_version(&mut self, want: u8) -> Result<(), WireError> {
        match self.u8("version")? {
            v if v == want => Ok(()),
            v => Err(WireError::Version(v)),
        }
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
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

/// The Noise prologue a [`ResearchRequest`] is sealed under (to the matching node's BitChat
/// Noise key): binds it to the chain, so a request posted on one chain does not open on another.
pub fn request_header(chain_id: &str) -> Vec<u8> {
    let mut h = b"BITHIVE/RESEARCH-REQUEST/v1\0".to_vec();
    h.extend_from_slice(chain_id.as_bytes());
    h
}

impl ResearchRequest {
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![RESEARCH_VERSION];
        put_request(&mut out, &self.submission)?;
        out.extend_from_slice(&self.reply_to.account_pubkey);
        out.extend_from_slice(&self.reply_to.noise_pubkey);
        let addr = self
            .reply_to
            .addr
            .map(|a| a.to_string())
            .unwrap_or_default();
        check("reply address", addr.len(), MAX_ADDR)?;
        out.push(addr.len() as u8);
        out.extend_from_slice(addr.as_bytes());
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.expect_version(RESEARCH_VERSION)?;
        let submission = read_request(&mut r)?;
        let account_pubkey = r.array::<33>("reply account key")?;
        let noise_pubkey = r.array::<32>("reply noise key")?;
        let n = usize::from(r.u8("reply address length")?);
        check("reply address", n, MAX_ADDR)?;
        let addr = match n {
            0 => None,
            _ => Some(
                std::str::from_utf8(r.take(n, "reply address")?)
                    .ok()
                    .and_then(|a| a.parse().ok())
                    .ok_or(WireError::Invalid("reply address"))?,
            ),
        };
        r.finish()?;
        Ok(Self {
            submission,
            reply_to: ReplyTo {
                account_pubkey,
                noise_pubkey,
                addr,
            },
        })
    }
}

fn put_set(out: &mut Vec<u8>, set: &RoaringBitmap) -> Result<(), WireError> {
    let mut mask = Vec::new();
    set.serialize_into(&mut mask)
        .map_err(|e| WireError::RecipientSet(e.to_string()))?;
    let len = u32::try_from(mask.len()).map_err(|_| WireError::TooLarge {
        what: "recipient set",
        got: mask.len(),
        max: u32::MAX as usize,
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&mask);
    Ok(())
}

fn read_set(r: &mut Reader<'_>) -> Result<RoaringBitmap, WireError> {
    let len = r.u32("recipient set length")? as usize;
    let mask = r.take(len, "recipient set")?;
    RoaringBitmap::deserialize_from(mask).map_err(|e| WireError::RecipientSet(e.to_string()))
}

impl MatchNotice {
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![NOTICE_VERSION];
        out.extend_from_slice(&self.request_id.to_be_bytes());
        out.extend_from_slice(&self.salt);
        put_set(&mut out, &self.recipients)?;
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.expect_version(NOTICE_VERSION)?;
        let request_id = r.u64("request id")?;
        let salt = r.array::<32>("salt")?;
        let recipients = read_set(&mut r)?;
        r.finish()?;
        Ok(Self {
            request_id,
            salt,
            recipients,
        })
    }
}

/// First byte of a cover message (never a version of any message here).
const COVER_TAG: u8 = 0xC0;

/// A cover message as long as a delivery of `len` bytes: what the node sends every enrolled user
/// outside S_i when it forwards a research delivery, so anyone who sees the envelopes (a relay
/// holding mail, an observer of the node's traffic) sees one envelope of the same size per
/// enrolled user, whoever was matched. Random after its tag (BitChat does not compress, but
/// nothing here should depend on that); the envelope's encryption hides the tag.
pub fn cover(len: usize) -> Result<Vec<u8>, getrandom::Error> {
    let mut v = vec![0u8; len.max(1)];
    getrandom::getrandom(&mut v[1..])?;
    v[0] = COVER_TAG;
    Ok(v)
}

/// Whether a received body is a cover message (to be dropped without a word: the user was not
/// matched). Anything else is parsed, and refused if it is not a valid delivery.
pub fn is_cover(body: &[u8]) -> bool {
    body.first() == Some(&COVER_TAG)
}

impl SignedDelivery {
    /// `version || |job| (u16) || job || signer (33) || signature (64) || delivery`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        check("escrow job id", self.escrow_job_id.len(), MAX_JOB_ID)?;
        let delivery = encode_delivery(&self.output)?;
        let mut out = Vec::with_capacity(100 + self.escrow_job_id.len() + delivery.len());
        out.push(SIGNED_DELIVERY_VERSION);
        out.extend_from_slice(&(self.escrow_job_id.len() as u16).to_be_bytes());
        out.extend_from_slice(self.escrow_job_id.as_bytes());
        out.extend_from_slice(&self.signer);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&delivery);
        Ok(out)
    }

    /// Parses; the output's commitment is recomputed from the received bytes. The signature is
    /// not checked here (`output::verify_delivery`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        r.expect_version(SIGNED_DELIVERY_VERSION)?;
        let hi = usize::from(r.u8("escrow job id length")?);
        let n = hi << 8 | usize::from(r.u8("escrow job id length")?);
        check("escrow job id", n, MAX_JOB_ID)?;
        let escrow_job_id = std::str::from_utf8(r.take(n, "escrow job id")?)
            .map_err(|_| WireError::Invalid("escrow job id"))?
            .to_string();
        let signer = r.array::<33>("signer")?;
        let signature = r.array::<64>("signature")?;
        let (output, _) = decode_delivery(r.rest)?;
        Ok(Self {
            escrow_job_id,
            signer,
            signature,
            output,
        })
    }
}

/// A delivery as a recipient receives it (over BitChat): request id (u64 BE), the match's salt
/// (32 bytes), the length of S_i's portable roaring serialization (u32 BE), that serialization, then the DGKBE
/// ciphertext to the end. There is no version byte: the format is bound by the on-chain
/// commitment, which [`decode_delivery`] recomputes for the recipient to check.
pub fn encode_delivery(out: &MatchOutput) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::with_capacity(12 + out.ciphertext.len() + 1024);
    body.extend_from_slice(&out.request_id.to_be_bytes());
    body.extend_from_slice(&out.salt);
    put_set(&mut body, &out.recipients)?;
    body.extend_from_slice(&out.ciphertext);
    Ok(body)
}

/// A delivery's fields as received, S_i not parsed yet.
#[derive(Debug, PartialEq, Eq)]
pub struct DeliveryParts<'a> {
    pub request_id: u64,
    pub salt: [u8; 32],
    /// S_i's portable roaring serialization.
    pub mask: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// Splits a delivery into its fields without parsing S_i.
pub fn split_delivery(body: &[u8]) -> Result<DeliveryParts<'_>, WireError> {
    let mut r = Reader { rest: body };
    let request_id = r.u64("delivery request id")?;
    let salt = r.array::<32>("salt")?;
    let len = r.u32("recipient set length")? as usize;
    let mask = r.take(len, "recipient set")?;
    Ok(DeliveryParts {
        request_id,
        salt,
        mask,
        ciphertext: r.rest,
    })
}

/// Parses a delivery: the output with its commitment recomputed from the received bytes, and
/// S_i's serialization as received.
pub fn decode_delivery(body: &[u8]) -> Result<(MatchOutput, Vec<u8>), WireError> {
    let DeliveryParts {
        request_id,
        salt,
        mask,
        ciphertext,
    } = split_delivery(body)?;
    let recipients = RoaringBitmap::deserialize_from(mask)
        .map_err(|e| WireError::RecipientSet(e.to_string()))?;
    let ciphertext = ciphertext.to_vec();
    let commitment = commitment(request_id, &salt, &recipients, &ciphertext);
    Ok((
        MatchOutput {
            request_id,
            salt,
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

    #[test]
    fn request_header_is_pinned() {
        // Requests already sealed on chain open only under these exact bytes.
        assert_eq!(
            request_header("bithive-1"),
            b"BITHIVE/RESEARCH-REQUEST/v1\0bithive-1".to_vec()
        );
    }

    fn request() -> ResearchRequest {
        ResearchRequest {
            submission: RequestSubmission {
                id: 0x0102_0304_0506_0708,
                clauses: vec![vec![tag(1), tag(2)], vec![tag(3)]],
                bands: vec![tag(4), tag(5), tag(6)],
                min_bands: 2,
            },
            reply_to: ReplyTo {
                account_pubkey: [2; 33],
                noise_pubkey: [7; 32],
                addr: Some("127.0.0.1:4100".parse().unwrap()),
            },
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
        // Version 1 carried the details in plaintext for the node: refused.
        let mut v1 = bytes.clone();
        v1[0] = 1;
        assert_eq!(ResearchRequest::from_bytes(&v1), Err(WireError::Version(1)));
        let mut bad_addr = bytes.clone();
        let at = bytes.len() - 1;
        bad_addr[at] = b'x';
        assert_eq!(
            ResearchRequest::from_bytes(&bad_addr),
            Err(WireError::Invalid("reply address"))
        );
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
            salt: [7; 32],
            commitment: commitment(42, &[7; 32], &recipients, &ciphertext),
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
        assert_eq!(&body[44..44 + mask.len()], &mask[..]);
        assert_eq!(
            split_delivery(&body).unwrap(),
            DeliveryParts {
                request_id: 42,
                salt: [7; 32],
                mask: &mask[..],
                ciphertext: &out.ciphertext[..]
            }
        );
    }

    #[test]
    fn delivery_rejects_truncation_and_a_bad_recipient_set() {
        let body = encode_delivery(&delivery()).unwrap();
        // Cut inside the header or the recipient set: an error. Cut inside the ciphertext: it
        // decodes, and the recomputed commitment no longer matches the chain's.
        let mask_end = 44 + u32::from_be_bytes(body[40..44].try_into().unwrap()) as usize;
        for n in 0..mask_end {
            assert!(decode_delivery(&body[..n]).is_err(), "{n}");
        }
        let (cut, _) = decode_delivery(&body[..body.len() - 1]).unwrap();
        assert_ne!(cut.commitment, delivery().commitment);
        // A recipient set that is not a roaring serialization.
        let mut bad = body.clone();
        bad[44] ^= 0xff;
        assert!(matches!(
            decode_delivery(&bad),
            Err(WireError::RecipientSet(_))
        ));
        // A claimed length beyond the body.
        let mut long = body[..44].to_vec();
        long[40..44].copy_from_slice(&u32::MAX.to_be_bytes());
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
            let _ = MatchNotice::from_bytes(&bytes);
            let _ = SignedDelivery::from_bytes(&bytes);
        }
    }

    #[test]
    fn notice_and_signed_delivery_round_trip_and_refuse_damage() {
        let n = MatchNotice {
            request_id: 9,
            salt: [8; 32],
            recipients: [1u32, 4, 99].into_iter().collect(),
        };
        let b = n.to_bytes().unwrap();
        assert_eq!(MatchNotice::from_bytes(&b).unwrap(), n);
        for cut in 0..b.len() {
            assert!(MatchNotice::from_bytes(&b[..cut]).is_err(), "{cut}");
        }
        let d = SignedDelivery {
            escrow_job_id: "bithive1payer/research-1".into(),
            signer: [3; 33],
            signature: [5; 64],
            output: delivery(),
        };
        let b = d.to_bytes().unwrap();
        assert_eq!(SignedDelivery::from_bytes(&b).unwrap(), d);
        let mut long_id = d.clone();
        long_id.escrow_job_id = "j".repeat(MAX_JOB_ID + 1);
        assert!(matches!(
            long_id.to_bytes(),
            Err(WireError::TooLarge { .. })
        ));
        let mut bad = b.clone();
        bad[1..3].copy_from_slice(&u16::MAX.to_be_bytes());
        assert!(matches!(
            SignedDelivery::from_bytes(&bad),
            Err(WireError::TooLarge { .. })
        ));
        // A cover is as long as the delivery it stands in for, is never taken for one, and no
        // delivery is taken for a cover.
        let c = cover(b.len()).unwrap();
        assert_eq!(c.len(), b.len());
        assert!(is_cover(&c) && !is_cover(&b));
        assert!(SignedDelivery::from_bytes(&c).is_err());
        assert_ne!(cover(b.len()).unwrap(), c, "random after the tag");
    }
}
