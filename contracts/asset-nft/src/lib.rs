//! BitHive healthcare asset NFTs: cw721 0.22 ownership with asset metadata (class, description
//! URI + content hash, jurisdictions with compliance markers, certifications), a digital twin
//! whose state hash only the registered device key can update, a valuer-median valuation, and
//! transfers gated by per-jurisdiction holder approval.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;
pub mod validate;

pub use crate::error::ContractError;

use sha2::{Digest, Sha256};

/// Domain tag of digital-twin updates; bump it if the message layout changes.
pub const TWIN_DOMAIN: &[u8] = b"bithive.asset-twin.v1";

/// The 32-byte digest a device signs (secp256k1, ECDSA over this prehash) to set a twin state:
/// sha256(domain || len-prefixed chain id, contract, token id || nonce (u64 BE) || state hash).
/// Chain id and contract make a signature useless on another chain or deployment; the nonce makes
/// it single-use.
pub fn twin_update_digest(
    chain_id: &str,
    contract: &str,
    token_id: &str,
    nonce: u64,
    state_hash: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TWIN_DOMAIN);
    for part in [
        chain_id.as_bytes(),
        contract.as_bytes(),
        token_id.as_bytes(),
    ] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    h.update(nonce.to_be_bytes());
    h.update(state_hash);
    h.finalize().into()
}
