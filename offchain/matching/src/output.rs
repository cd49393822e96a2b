//! Per-request output: recipient set S_i (roaring bitmap), the DGKBE ciphertext of the request
//! details for S_i, and the commitment an attestation carries on chain.

use bithive_dgkbe::{Ciphertext, Header, SessionKey};
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

/// Seals the details under a DGKBE header for S_i (the requester runs this with the session key
/// the key authority encapsulated, so the authority never handles the plaintext).
pub fn seal_output(
    request_id: u64,
    recipients: RoaringBitmap,
    header: Header,
    session: SessionKey,
    details: &[u8],
) -> Result<MatchOutput, bithive_dgkbe::DgkbeError> {
    let ct: Ciphertext = session.seal(header, details, &request_id.to_be_bytes())?;
    let bytes = ct.to_bytes();
    let c = commitment(request_id, &recipients, &bytes);
    Ok(MatchOutput {
        request_id,
        recipients,
        ciphertext: bytes,
        commitment: c,
    })
}

/// Same output sealed with the sound BGW variant (`bithive_dgkbe::bgw`): only members of S_i
/// can open it, whatever S0 is.
pub fn seal_output_bgw(
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

/// What a chain observer or a recipient checks against an attestation.
pub fn verify_output(out: &MatchOutput, onchain_commitment: &[u8; 32]) -> bool {
    commitment(out.request_id, &out.recipients, &out.ciphertext) == *onchain_commitment
}
