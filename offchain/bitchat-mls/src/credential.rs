//! Members are chain accounts: an MLS credential binds the member's MLS signature key to its
//! secp256k1 account key.
//!
//! Credential identity (a `BasicCredential`): `account_pubkey (33, compressed) || signature (64)`,
//! the signature an ECDSA-secp256k1 one by the account key over
//! `sha256("bithive-bitchat-mls-credential-v1" || mls_signature_public_key)`. A member whose
//! credential does not verify against the signature key it uses in the group is refused: nobody
//! can join (or be added) under an account whose key it does not hold.

use bithive_bitchat_wire::frame::AccountIdBytes;
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use openmls::prelude::{BasicCredential, Credential, CredentialType};
use sha2::{Digest, Sha256};

use crate::error::MlsError;

const DOMAIN: &[u8] = b"bithive-bitchat-mls-credential-v1";
const IDENTITY_LEN: usize = 33 + 64;

/// The chain account id of a compressed secp256k1 public key: the first 20 bytes of its sha256
/// (the id BitChat envelopes and the registry use).
pub fn account_id(compressed: &[u8; 33]) -> AccountIdBytes {
    let h = Sha256::digest(compressed);
    let mut id = [0u8; 20];
    id.copy_from_slice(&h[..20]);
    id
}

fn digest(mls_signature_key: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(mls_signature_key);
    h.finalize().into()
}

/// The compressed public key of an account key.
pub fn compressed(key: &SigningKey) -> [u8; 33] {
    let point = key.verifying_key().to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    out
}

/// The credential for `mls_signature_key`, signed by `account` (public for clients built on
/// openmls directly, e.g. the tests' hostile members).
pub fn bind(account: &SigningKey, mls_signature_key: &[u8]) -> Credential {
    let sig: Signature = account.sign(&digest(mls_signature_key));
    let mut identity = Vec::with_capacity(IDENTITY_LEN);
    identity.extend_from_slice(&compressed(account));
    identity.extend_from_slice(&sig.to_bytes());
    BasicCredential::new(identity).into()
}

/// The account a credential binds `mls_signature_key` to, or why it does not.
pub fn verify(
    credential: &Credential,
    mls_signature_key: &[u8],
) -> Result<AccountIdBytes, MlsError> {
    let refused = |why: &str| MlsError::Refused(format!("member credential: {why}"));
    if credential.credential_type() != CredentialType::Basic {
        return Err(refused("not a basic credential"));
    }
    let identity = BasicCredential::try_from(credential.clone())
        .map_err(|_| refused("not a basic credential"))?;
    let identity = identity.identity();
    if identity.len() != IDENTITY_LEN {
        return Err(refused("identity is not an account key and its signature"));
    }
    let mut pubkey = [0u8; 33];
    pubkey.copy_from_slice(&identity[..33]);
    let key = VerifyingKey::from_sec1_bytes(&pubkey).map_err(|_| refused("bad account key"))?;
    let sig =
        Signature::from_slice(&identity[33..]).map_err(|_| refused("bad signature encoding"))?;
    key.verify(&digest(mls_signature_key), &sig)
        .map_err(|_| refused("the account key did not sign this member's MLS key"))?;
    Ok(account_id(&pubkey))
}
