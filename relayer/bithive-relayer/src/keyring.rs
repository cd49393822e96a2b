//! Operator keys by name in a JSON file created with mode 0600. The mnemonic of key `NAME` can
//! instead come from the environment variable `BITHIVE_RELAYER_MNEMONIC_<NAME>` (upper case,
//! `-` as `_`), which wins over the file. Mnemonics are never printed or logged.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bithive_chain_client::OperatorKey;
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
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| RelayerError::Keyring(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
            Err(e) => Err(RelayerError::Keyring(format!(
                "{}: {e}",
                self.path.display()
            ))),
        }
    }

    fn write(&self, file: &KeyFile) -> Result<(), RelayerError> {
        let err =
            |e: std::io::Error| RelayerError::Keyring(format!("{}: {e}", self.path.display()));
        let mut text =
            serde_json::to_vec_pretty(file).map_err(|e| RelayerError::Keyring(e.to_string()))?;
        let tmp = self.path.with_extension("tmp");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp).map_err(err)?;
            f.write_all(&text).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        text.zeroize();
        std::fs::rename(&tmp, &self.path).map_err(err)
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
