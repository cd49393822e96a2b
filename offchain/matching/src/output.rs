//! Per-request output: recipient set S_i (roaring bitmap), the DGKBE ciphertext of the request
//! details for S_i, and the commitment an attestation carries on chain.

use bithive_dgkbe::SessionKey;
use roaring::RoaringBitmap;
use sha2::{Digest, Sha256};

const COMMIT_DOMAIN: &[u8] = b"bithive/matching/v1/commitment";

#[derive(Clone, Debug, PartialEq)]
pub struct MatchOutput {
    pub request_id: u64,
    pub recipients: RoaringBitmap,
    pub ciphertext: Vec<u8>,
    pub commitment: [u8; 32],
}

/// sha256(domain || request_id || |S| || members ascending (u32 BE) || |ct| || ct): canonical by
/// construction (a set has exactly one ascending listing), independent of the bitmap's layout.
pub fn commitment(request_id: u64, recipients: &RoaringBitmap, ciphertext: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    h.update(request_id.to_be_bytes());
    h.update(recipients.len().to_be_bytes());
    let mut buf = Vec::with_capacity(4096);
    for m in recipients.iter() {
        buf.extend_from_slice(&m.to_be_bytes());
        if buf.len() >= 4096 {
            h.update(&buf);
            buf.clear();
        }
    }
    h.update(&buf);
    h.update((ciphertext.len() as u64).to_be_bytes());
    h.update(ciphertext);
    h.finalize().into()
}

/// Seals the details under a BGW header for S_i (`bithive_dgkbe::bgw`, the product scheme): only
/// members of S_i can open it, whatever S0 is. The requester runs this with the session key the
/// key authority encapsulated, so the authority never handles the plaintext.
pub fn seal_output(
    request_id: u64,
    recipients: RoaringBitmap,
    header: bithive_dgkbe::bgw::BgwHeader,
    session: SessionKey,
    details: &[u8],
) -> Result<MatchOutput, bithive_dgkbe::DgkbeError> {
    let bytes = session
        .seal_bgw(header, details, &request_id.to_be_bytes())?
        .to_bytes();
    let c = commitment(request_id, &recipients, &bytes);
    Ok(MatchOutput {
        request_id,
        recipients,
        ciphertext: bytes,
        commitment: c,
    })
}

/// A recipient's side: parses the ciphertext and opens it with its key for S_i (the request id
/// is the AAD). Any failure is an error, never a plaintext: a key not in S_i and a header that
/// does not match S_i (e(C1, Q) != e(C0, v + sum_{j in S_i} g_(n+1-j))) are refused before any
/// key is derived, so a body a keyless outsider sealed does not open; then wrong epoch or
/// tampering fail authentication.
pub fn open_output(
    out: &MatchOutput,
    key: &mut bithive_dgkbe::bgw::BgwUserKey,
    pp: &bithive_dgkbe::bgw::BgwPublicParams,
) -> Result<Vec<u8>, bithive_dgkbe::DgkbeError> {
    let ct = bithive_dgkbe::bgw::BgwCiphertext::from_bytes(&out.ciphertext)?;
    let (pt, _) = key.decrypt(pp, &out.recipients, &ct, &out.request_id.to_be_bytes())?;
    Ok(pt)
}

/// What a chain observer or a recipient checks against an attestation.
pub fn verify_output(out: &MatchOutput, onchain_commitment: &[u8; 32]) -> bool {
    commitment(out.request_id, &out.recipients, &out.ciphertext) == *onchain_commitment
}
