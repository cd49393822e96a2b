//! The 32-byte seed behind each secret file of this crate (the key authority's and the blinding
//! service's).

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// A random 32-byte seed: hex in its JSON file, zeroed when dropped.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct SecretSeed(#[serde(with = "hex::serde")] pub(crate) [u8; 32]);

impl SecretSeed {
    /// A fresh seed from the OS; the error's text where there is no randomness.
    pub(crate) fn random() -> Result<Self, String> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| e.to_string())?;
        Ok(Self(seed))
    }
}

impl Drop for SecretSeed {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}
