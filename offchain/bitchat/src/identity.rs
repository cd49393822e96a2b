//! Node identity: the chain account key (secp256k1) and the Noise static key it vouches for.

use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::BitChatError;

/// Chain account id: the first 20 bytes of sha256 of the compressed public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub [u8; 20]);

impl AccountId {
    /// The same id MLS credentials name (one formula, in `bithive-bitchat-mls`).
    pub fn from_pubkey(compressed: &[u8; 33]) -> Self {
        Self(bithive_bitchat_mls::account_id(compressed))
    }
}

/// An account id as people type it: 40 hex digits (what `Display` writes).
impl std::str::FromStr for AccountId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut a = [0u8; 20];
        hex::decode_to_slice(s, &mut a)
            .map_err(|_| format!("{s:?} is not an account id (40 hex digits)"))?;
        Ok(Self(a))
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Everything secret a node holds. Never logged (no `Debug` with key material).
pub struct NodeIdentity {
    account: SigningKey,
    noise_private: Vec<u8>,
    noise_public: [u8; 32],
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("account", &self.account_id())
            .finish_non_exhaustive()
    }
}

impl NodeIdentity {
    /// Fresh random keys.
    pub fn generate() -> Result<Self, BitChatError> {
        let account = SigningKey::random(&mut rand::rngs::OsRng);
        Self::from_account_key(account)
    }

    /// From a 32-byte account secret; the Noise key is derived from it deterministically so a
    /// restarted node keeps both.
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, BitChatError> {
        let account = SigningKey::from_bytes(secret.into())
            .map_err(|e| BitChatError::Crypto(e.to_string()))?;
        Self::from_account_key(account)
    }

    fn from_account_key(account: SigningKey) -> Result<Self, BitChatError> {
        let mut h = Sha256::new();
        h.update(b"bithive-bitchat-noise-key-v1");
        h.update(account.to_bytes());
        let noise_private = h.finalize().to_vec();
        let noise_public = crate::e2e::public_key(&noise_private)?;
        Ok(Self {
            account,
            noise_private,
            noise_public,
        })
    }

    pub fn account_pubkey(&self) -> [u8; 33] {
        compressed(self.account.verifying_key())
    }

    pub fn account_id(&self) -> AccountId {
        AccountId::from_pubkey(&self.account_pubkey())
    }

    pub fn noise_public(&self) -> [u8; 32] {
        self.noise_public
    }

    pub(crate) fn noise_private(&self) -> &[u8] {
        &self.noise_private
    }

    /// Seals `plaintext` to the holder of `recipient_noise` outside any session (one Noise `X`
    /// message: this identity is authenticated to the recipient), binding `header`. For
    /// payloads that travel through a third party, e.g. a research request posted on chain.
    pub fn seal_to(
        &self,
        recipient_noise: &[u8; 32],
        header: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BitChatError> {
        Ok(crate::e2e::seal(
            &self.noise_private,
            recipient_noise,
            header,
            plaintext,
        )?)
    }

    /// Opens what [`NodeIdentity::seal_to`] sealed to this identity: the sender's Noise public
    /// key and the plaintext. A wrong header, recipient or any altered byte is an error.
    pub fn open_sealed(
        &self,
        header: &[u8],
        ciphertext: &[u8],
    ) -> Result<([u8; 32], Vec<u8>), BitChatError> {
        Ok(crate::e2e::open(&self.noise_private, header, ciphertext)?)
    }

    /// The key that seals what this node writes for `purpose` (journals, mailbox, chunks).
    pub fn at_rest_key(&self, purpose: &'static str) -> crate::at_rest::AtRestKey {
        crate::at_rest::AtRestKey::derive(&self.account.to_bytes(), purpose)
    }

    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let sig: Signature = self.account.sign(msg);
        let mut out = [0u8; 64];
        out.copy_from_slice(&sig.to_bytes());
        out
    }
}

fn compressed(vk: &VerifyingKey) -> [u8; 33] {
    let p = vk.to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(p.as_bytes());
    out
}

/// Verify an account signature (ECDSA secp256k1 over sha256, 64-byte r||s).
pub fn verify(pubkey: &[u8; 33], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_sec1_bytes(pubkey) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(sig) else {
        return false;
    };
    vk.verify(msg, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_to_an_identity_opens_only_there_with_its_header() {
        let (a, b, c) = (
            NodeIdentity::generate().unwrap(),
            NodeIdentity::generate().unwrap(),
            NodeIdentity::generate().unwrap(),
        );
        let ct = a.seal_to(&b.noise_public(), b"hdr", b"request").unwrap();
        let (sender, plain) = b.open_sealed(b"hdr", &ct).unwrap();
        assert_eq!(
            (sender, plain.as_slice()),
            (a.noise_public(), &b"request"[..])
        );
        assert!(b.open_sealed(b"other", &ct).is_err());
        assert!(c.open_sealed(b"hdr", &ct).is_err());
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(b.open_sealed(b"hdr", &bad).is_err());
    }
}
