//! Per-request output in two steps (docs/ROLES.md):
//! 1. the matching node finds S_i and commits to it on chain: [`match_commitment`], salted with
//!    a secret nonce ([`match_salt`]) that only the researcher and the recipients learn, is the
//!    matching attestation's `result_hash` (unsalted, a chain observer recovered a small S_i
//!    among 2,000 slots by trying every pair); S_i itself goes only to the researcher;
//! 2. the researcher encrypts the request details to S_i with the key authority's public
//!    encryption key ([`seal_output`]) and signs the delivery ([`sign_delivery`]) with the key
//!    that paid for the request; recipients check both against the chain and decrypt.
//!
//! Neither the matching node nor the key authority ever handles the details.

use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use roaring::RoaringBitmap;
use sha2::{Digest, Sha256};

use crate::MatchingError;

const COMMIT_DOMAIN: &[u8] = b"bithive/matching/v2/commitment";
const MATCH_DOMAIN: &[u8] = b"bithive/matching/v3/match";
const SALT_DOMAIN: &[u8] = b"bithive/matching/v1/salt";
const DELIVERY_DOMAIN: &[u8] = b"BITHIVE/RESEARCH-DELIVERY/v1\0";

/// What a recipient receives: S_i, the DGKBE ciphertext of the details and [`commitment`] over
/// both (what the researcher signs).
#[derive(Clone, Debug, PartialEq)]
pub struct MatchOutput {
    pub request_id: u64,
    /// The match's secret nonce (from the node's notice): what the on-chain commitment is
    /// salted with.
    pub salt: [u8; 32],
    pub recipients: RoaringBitmap,
    pub ciphertext: Vec<u8>,
    pub commitment: [u8; 32],
}

fn hash_set(h: &mut Sha256, request_id: u64, salt: &[u8; 32], recipients: &RoaringBitmap) {
    h.update(salt);
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
}

/// The secret nonce of one match: sha256(domain || the node's salt key || |chain| || chain ||
/// job). Derived, not drawn, so a node that reruns a job after a crash commits the same value;
/// nobody without the node's key can compute it.
pub fn match_salt(salt_key: &[u8; 32], chain_id: &str, escrow_job_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SALT_DOMAIN);
    h.update(salt_key);
    h.update((chain_id.len() as u64).to_be_bytes());
    h.update(chain_id.as_bytes());
    h.update(escrow_job_id.as_bytes());
    h.finalize().into()
}

/// The matching node's on-chain claim: sha256(domain || salt || request_id || |S| || members
/// ascending (u32 BE)). Canonical by construction (a set has one ascending listing); without
/// the salt nobody can test a guess of S.
pub fn match_commitment(request_id: u64, salt: &[u8; 32], recipients: &RoaringBitmap) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(MATCH_DOMAIN);
    hash_set(&mut h, request_id, salt, recipients);
    h.finalize().into()
}

/// sha256(domain || salt || request_id || |S| || members ascending (u32 BE) || |ct| || ct):
/// binds the ciphertext to S_i; the researcher signs it.
pub fn commitment(
    request_id: u64,
    salt: &[u8; 32],
    recipients: &RoaringBitmap,
    ciphertext: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    hash_set(&mut h, request_id, salt, recipients);
    h.update((ciphertext.len() as u64).to_be_bytes());
    h.update(ciphertext);
    h.finalize().into()
}

/// The researcher's side: encapsulates with the authority's public encryption key (checked
/// against `pp` by the caller once, `BgwEncryptionKey::verify`) and seals the details for S_i;
/// the request id is the AAD.
pub fn seal_output<R: RngCore + CryptoRng>(
    ek: &BgwEncryptionKey,
    pp: &BgwPublicParams,
    request_id: u64,
    salt: [u8; 32],
    recipients: RoaringBitmap,
    details: &[u8],
    rng: &mut R,
) -> Result<MatchOutput, bithive_dgkbe::DgkbeError> {
    let (header, session) = ek.encapsulate(pp, &recipients, rng)?;
    seal_session(request_id, salt, recipients, header, session, details)
}

/// Seals under a header already made for `recipients` (by [`seal_output`]; tests and benches
/// also pass the authority's own encapsulation).
pub fn seal_session(
    request_id: u64,
    salt: [u8; 32],
    recipients: RoaringBitmap,
    header: bithive_dgkbe::bgw::BgwHeader,
    session: bithive_dgkbe::SessionKey,
    details: &[u8],
) -> Result<MatchOutput, bithive_dgkbe::DgkbeError> {
    let bytes = session
        .seal_bgw(header, details, &request_id.to_be_bytes())?
        .to_bytes();
    let c = commitment(request_id, &salt, &recipients, &bytes);
    Ok(MatchOutput {
        request_id,
        salt,
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

/// What a chain observer, the matching node or a recipient checks: S_i of this output is the
/// set the matching attestation committed to.
pub fn verify_output(out: &MatchOutput, onchain_result_hash: &[u8; 32]) -> bool {
    match_commitment(out.request_id, &out.salt, &out.recipients) == *onchain_result_hash
}

/// sha256(domain || |chain_id| || chain_id || |job| || job || commitment): what the researcher
/// signs, bound to the chain and to the escrow job that paid for the match.
pub fn delivery_digest(chain_id: &str, escrow_job_id: &str, out: &MatchOutput) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DELIVERY_DOMAIN);
    h.update((chain_id.len() as u64).to_be_bytes());
    h.update(chain_id.as_bytes());
    h.update((escrow_job_id.len() as u64).to_be_bytes());
    h.update(escrow_job_id.as_bytes());
    h.update(commitment(
        out.request_id,
        &out.salt,
        &out.recipients,
        &out.ciphertext,
    ));
    h.finalize().into()
}

/// The researcher signs the delivery with the secp256k1 key of the account that created the
/// escrow job (low-S ECDSA over [`delivery_digest`]).
pub fn sign_delivery(
    key: &SigningKey,
    chain_id: &str,
    escrow_job_id: &str,
    out: &MatchOutput,
) -> Result<[u8; 64], MatchingError> {
    let sig: Signature = key
        .sign_prehash(&delivery_digest(chain_id, escrow_job_id, out))
        .map_err(|_| MatchingError::Signature)?;
    Ok(sig.normalize_s().unwrap_or(sig).to_bytes().into())
}

/// Checks the researcher's signature; the caller then checks that `signer` (compressed SEC1)
/// is the key of the escrow job's payer.
pub fn verify_delivery(
    signer: &[u8; 33],
    signature: &[u8; 64],
    chain_id: &str,
    escrow_job_id: &str,
    out: &MatchOutput,
) -> Result<(), MatchingError> {
    let vk = VerifyingKey::from_sec1_bytes(signer).map_err(|_| MatchingError::Signature)?;
    let sig = Signature::from_slice(signature).map_err(|_| MatchingError::Signature)?;
    if sig.normalize_s().is_some() {
        return Err(MatchingError::Signature);
    }
    vk.verify_prehash(&delivery_digest(chain_id, escrow_job_id, out), &sig)
        .map_err(|_| MatchingError::Signature)
}

/// Why a recipient refuses a delivery before decrypting it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error(
        "the delivery names job {got}, not {expected}, whose attestation and payer were checked"
    )]
    OtherJob { got: String, expected: String },
    #[error("the recipient set is not the one attested on chain for this request")]
    NotAttested,
    #[error("the researcher's signature does not verify")]
    Signature,
    #[error("signed by {signer}, not by the escrow job's payer {payer}")]
    NotThePayer { signer: String, payer: String },
}

/// What every recipient checks before decrypting (the CLI's, the demo's and the browser's):
/// the delivery is for `escrow_job_id`, the job whose matching attestation
/// (`onchain_result_hash`) and payer (`payer`) the caller read from the chain; S_i and its
/// salt are what that attestation committed to; and the delivery is signed, for this chain and
/// job, by that payer.
pub fn check_delivery(
    d: &crate::wire::SignedDelivery,
    chain_id: &str,
    escrow_job_id: &str,
    onchain_result_hash: &[u8; 32],
    payer: &str,
) -> Result<(), DeliveryError> {
    if d.escrow_job_id != escrow_job_id {
        return Err(DeliveryError::OtherJob {
            got: d.escrow_job_id.clone(),
            expected: escrow_job_id.into(),
        });
    }
    if !verify_output(&d.output, onchain_result_hash) {
        return Err(DeliveryError::NotAttested);
    }
    verify_delivery(
        &d.signer,
        &d.signature,
        chain_id,
        &d.escrow_job_id,
        &d.output,
    )
    .map_err(|_| DeliveryError::Signature)?;
    let prefix = payer.rsplit_once('1').map_or("", |(hrp, _)| hrp);
    let signer = crate::admission::account_address(prefix, &d.signer)
        .map_err(|_| DeliveryError::Signature)?;
    if signer != payer {
        return Err(DeliveryError::NotThePayer {
            signer,
            payer: payer.into(),
        });
    }
    Ok(())
}
