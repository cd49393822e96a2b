//! Operator keys by name in a JSON file created with mode 0600 (`bithive_secret_file`: replaced
//! atomically, refused when group or others can access it). The mnemonic of key `NAME` can
//! instead come from the environment variable `BITHIVE_RELAYER_MNEMONIC_<NAME>` (upper case,
//! `-` as `_`), which wins over the file. Mnemonics are never printed or logged.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bithive_chain_client::OperatorKey;
use bithive_secret_file::Zeroizing;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::RelayerError;

#[derive(Serialize, Deserialize, Default)]
struct KeyFile {
    keys: BTreeMap<String, StoredKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    mnemonic: String,
}

impl Drop for StoredKey {
    fn drop(&mut self) {
        self.mnemonic.zeroize();
    }
}

pub struct Keyring {
    path: PathBuf,
}

pub fn env_var_name(name: &str) -> String {
    format!(
        "BITHIVE_RELAYER_MNEMONIC_{}",
        name.to_uppercase().replace('-', "_")
    )
}

impl Keyring {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Keyring { path: path.into() }
    }

    fn read(&self) -> Result<KeyFile, RelayerError> {
        match bithive_secret_file::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| RelayerError::Keyring(format!("{}: {e}", self.path.display()))),
            Err(e) if e.is_not_found() => Ok(KeyFile::default()),
            Err(e) => Err(RelayerError::Keyring(e.to_string())),
        }
    }

    fn write(&self, file: &KeyFile) -> Result<(), RelayerError> {
        let text = Zeroizing::new(
            serde_json::to_vec_pretty(file).map_err(|e| RelayerError::Keyring(e.to_string()))?,
        );
        bithive_secret_file::replace(&self.path, text)
            .map_err(|e| RelayerError::Keyring(e.to_string()))
    }

    /// Adds `name` from a mnemonic (checked by deriving the key); returns the address.
    pub fn add(&self, name: &str, mnemonic: &str, prefix: &str) -> Result<String, RelayerError> {
        let key = OperatorKey::from_mnemonic(mnemonic, prefix)?;
        let mut file = self.read()?;
        if file.keys.contains_key(name) {
            return Err(RelayerError::Keyring(format!("key {name} exists")));
        }
        let normalized = mnemonic.split_whitespace().collect::<Vec<_>>().join(" ");
        file.keys.insert(
            name.to_string(),
            StoredKey {
                mnemonic: normalized,
            },
        );
        self.write(&file)?;
        Ok(key.address().to_string())
    }

    pub fn names(&self) -> Result<Vec<String>, RelayerError> {
        Ok(self.read()?.keys.keys().cloned().collect())
    }

    /// The key `name` with addresses in `prefix`; the environment variable wins over the file.
    pub fn get(&self, name: &str, prefix: &str) -> Result<OperatorKey, RelayerError> {
        if let Ok(mut m) = std::env::var(env_var_name(name)) {
            let k = OperatorKey::from_mnemonic(&m, prefix);
            m.zeroize();
            return Ok(k?);
        }
        let file = self.read()?;
        let stored = file.keys.get(name).ok_or_else(|| {
            RelayerError::Keyring(format!("no key {name} in {}", self.path.display()))
        })?;
        Ok(OperatorKey::from_mnemonic(&stored.mnemonic, prefix)?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn add_list_show_with_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::new(dir.path().join("keys.json"));
        let addr = kr.add("op", &format!("{M}\n"), "cosmos").unwrap();
        assert_eq!(addr, "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
        assert!(kr.add("op", M, "cosmos").is_err());
        assert!(kr.add("bad", "not a mnemonic", "cosmos").is_err());
        assert_eq!(kr.names().unwrap(), vec!["op".to_string()]);
        assert_eq!(kr.get("op", "cosmos").unwrap().address(), addr);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(kr.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
