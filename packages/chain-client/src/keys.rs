//! Operator keys: BIP-39 mnemonic -> BIP-32 m/44'/118'/0'/0/0 -> secp256k1, the Cosmos default
//! (same derivation as cosmrs `SigningKey::derive_from_path`). The secret never appears in
//! `Debug` output or logs.
use std::str::FromStr;

use k256::ecdsa::SigningKey;

use crate::error::ChainError;

/// Cosmos coin type 118, first account, first address.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A secp256k1 operator key with its bech32 account address.
#[derive(Clone)]
pub struct OperatorKey {
    key: SigningKey,
    prefix: String,
    address: String,
}

impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorKey")
            .field("address", &self.address)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl OperatorKey {
    /// From a BIP-39 English mnemonic (no passphrase) at `m/44'/118'/0'/0/0`.
    pub fn from_mnemonic(phrase: &str, prefix: &str) -> Result<Self, ChainError> {
        Self::from_mnemonic_path(phrase, COSMOS_HD_PATH, prefix)
    }

    pub fn from_mnemonic_path(phrase: &str, path: &str, prefix: &str) -> Result<Self, ChainError> {
        // Normalise whitespace (files often end with a newline); the words themselves are checked
        // (wordlist and checksum) by bip32.
        let words: Vec<&str> = phrase.split_whitespace().collect();
        let mnemonic =
            bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &words.join(" "))
                .map_err(|_| {
                    ChainError::Key("invalid BIP-39 mnemonic (wordlist, length or checksum)".into())
                })?;
        let seed = zeroize::Zeroizing::new(mnemonic.to_seed(""));
        let path = bip32::DerivationPath::from_str(path)
            .map_err(|e| ChainError::Key(format!("derivation path: {e}")))?;
        let xprv = bip32::XPrv::derive_from_path(&seed[..], &path)
            .map_err(|e| ChainError::Key(format!("derivation: {e}")))?;
        Self::from_signing_key(xprv.private_key().clone(), prefix)
    }

    pub fn from_signing_key(key: SigningKey, prefix: &str) -> Result<Self, ChainError> {
        let address = Self::cosmrs_key(&key)?
            .public_key()
            .account_id(prefix)
            .map_err(|e| ChainError::Key(format!("address with prefix {prefix}: {e}")))?
            .to_string();
        Ok(OperatorKey {
            key,
            prefix: prefix.to_string(),
            address,
        })
    }

    fn cosmrs_key(key: &SigningKey) -> Result<cosmrs::crypto::secp256k1::SigningKey, ChainError> {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&key.to_bytes())
            .map_err(|e| ChainError::Key(e.to_string()))
    }

    /// Bech32 account address.
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn account_id(&self) -> Result<cosmrs::AccountId, ChainError> {
        cosmrs::AccountId::from_str(&self.address).map_err(|e| ChainError::Key(e.to_string()))
    }

    /// Compressed SEC1 public key (33 bytes).
    pub fn public_key_compressed(&self) -> [u8; 33] {
        let point = self.key.verifying_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The k256 key (for attestation signing).
    pub fn k256(&self) -> &SigningKey {
        &self.key
    }

    /// A cosmrs signing key for tx signing.
    pub fn cosmrs_signing_key(&self) -> Result<cosmrs::crypto::secp256k1::SigningKey, ChainError> {
        Self::cosmrs_key(&self.key)
    }
}

/// The bech32 account address of a compressed secp256k1 public key (how people name an account
/// whose key they know, e.g. from a BitChat contact card).
pub fn address_of_pubkey(compressed: &[u8; 33], prefix: &str) -> Result<String, ChainError> {
    let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(compressed)
        .map_err(|e| ChainError::Key(format!("public key: {e}")))?;
    cosmrs::crypto::PublicKey::from(vk)
        .account_id(prefix)
        .map(|a| a.to_string())
        .map_err(|e| ChainError::Key(format!("address with prefix {prefix}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The well-known test mnemonic of the Cosmos SDK docs/simapp ("abandon ... about").
    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn derives_the_known_cosmos_address() {
        // Reference: the address every Cosmos wallet shows for this mnemonic at m/44'/118'/0'/0/0.
        let k = OperatorKey::from_mnemonic(ABANDON, "cosmos").unwrap();
        assert_eq!(k.address(), "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
        let k = OperatorKey::from_mnemonic(&format!("  {ABANDON}\n"), "osmo").unwrap();
        assert!(k.address().starts_with("osmo1"));
    }

    #[test]
    fn rejects_bad_checksum_and_redacts_debug() {
        let bad = ABANDON.replace("about", "abandon");
        assert!(OperatorKey::from_mnemonic(&bad, "cosmos").is_err());
        let k = OperatorKey::from_mnemonic(ABANDON, "cosmos").unwrap();
        let dbg = format!("{k:?}");
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains(&hex::encode(k.k256().to_bytes())));
    }

    #[test]
    fn the_address_of_a_public_key_is_the_keys_own() {
        let k = OperatorKey::from_signing_key(
            SigningKey::from_bytes(&[7u8; 32].into()).unwrap(),
            "bithive",
        )
        .unwrap();
        let point = k.k256().verifying_key().to_encoded_point(true);
        let compressed: [u8; 33] = point.as_bytes().try_into().unwrap();
        assert_eq!(
            address_of_pubkey(&compressed, "bithive").unwrap(),
            k.address()
        );
        assert!(address_of_pubkey(&[0; 33], "bithive").is_err());
    }
}
