//! The client's MLS state at rest: one file, encrypted and authenticated with a key derived from
//! the account secret, mode 0600, replaced atomically after every change.
//!
//! File: `MAGIC (6) || nonce (24) || XChaCha20-Poly1305(key, nonce, body, aad = MAGIC ||
//! account public key)`, key = HKDF-SHA256(account secret, info = "bithive-bitchat-mls-state-v1").
//! Body: `u32 BE meta length || meta || u32 BE entries || (u32 BE key length, u32 BE value length,
//! key, value)*`, entries sorted by key (openmls's storage: group state, epoch secrets, key
//! packages' private keys, the signature key). The account key in the AAD makes a file copied
//! from another account's directory fail to open rather than be used.
//!
//! What a rewrite erases: openmls deletes a past epoch's secrets and a used key package's private
//! key from its storage, and the next write replaces the whole file, so forward secrecy holds for
//! anyone who reads the directory later, within what the filesystem's own block reuse allows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::MlsError;

const MAGIC: &[u8; 6] = b"BCMLS\x01";
const NONCE_LEN: usize = 24;

pub(crate) struct StateFile {
    path: Option<PathBuf>,
    key: Zeroizing<[u8; 32]>,
    aad: Vec<u8>,
}

/// What the file holds, in the clear once opened.
pub(crate) struct Snapshot {
    pub meta: Vec<u8>,
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl StateFile {
    pub fn new(path: Option<&Path>, account_secret: &[u8; 32], account_pubkey: &[u8; 33]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, account_secret)
            .expand(b"bithive-bitchat-mls-state-v1", key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut aad = MAGIC.to_vec();
        aad.extend_from_slice(account_pubkey);
        Self {
            path: path.map(Path::to_path_buf),
            key,
            aad,
        }
    }

    fn err(&self, reason: impl Into<String>) -> MlsError {
        MlsError::State {
            path: self
                .path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(in memory)".into()),
            reason: reason.into(),
        }
    }

    /// The snapshot on disk, `None` when there is no file yet (or no path: in memory only).
    pub fn load(&self) -> Result<Option<Snapshot>, MlsError> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let bytes = match bithive_secret_file::read(path) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(self.err(e.to_string())),
        };
        if bytes.len() < MAGIC.len() + NONCE_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err(self.err("not a BitChat MLS state file"));
        }
        let nonce = XNonce::from_slice(&bytes[MAGIC.len()..MAGIC.len() + NONCE_LEN]);
        let body = XChaCha20Poly1305::new(self.key.as_ref().into())
            .decrypt(
                nonce,
                Payload {
                    msg: &bytes[MAGIC.len() + NONCE_LEN..],
                    aad: &self.aad,
                },
            )
            .map_err(|_| {
                self.err(
                    "cannot be opened with this account's key (another account's file, or damaged)",
                )
            })?;
        let body = Zeroizing::new(body);
        decode(&body)
            .map(Some)
            .ok_or_else(|| self.err("damaged body"))
    }

    pub fn save(&self, snapshot: &Snapshot) -> Result<(), MlsError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let body = Zeroizing::new(encode(snapshot));
        let nonce = XChaCha20Poly1305::generate_nonce(&mut chacha20poly1305::aead::OsRng);
        let sealed = XChaCha20Poly1305::new(self.key.as_ref().into())
            .encrypt(
                &nonce,
                Payload {
                    msg: &body,
                    aad: &self.aad,
                },
            )
            .map_err(|_| self.err("encryption failed"))?;
        let mut file = Zeroizing::new(Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len()));
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        bithive_secret_file::replace(path, file).map_err(|e| self.err(e.to_string()))
    }
}

fn encode(s: &Snapshot) -> Vec<u8> {
    let size = 8
        + s.meta.len()
        + s.entries
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(s.meta.len() as u32).to_be_bytes());
    out.extend_from_slice(&s.meta);
    out.extend_from_slice(&(s.entries.len() as u32).to_be_bytes());
    for (k, v) in &s.entries {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    out
}

fn decode(mut b: &[u8]) -> Option<Snapshot> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Some(head)
    }
    fn u32_at(b: &mut &[u8]) -> Option<usize> {
        Some(u32::from_be_bytes(take(b, 4)?.try_into().ok()?) as usize)
    }
    let meta_len = u32_at(&mut b)?;
    let meta = take(&mut b, meta_len)?.to_vec();
    let count = u32_at(&mut b)?;
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        let k_len = u32_at(&mut b)?;
        let v_len = u32_at(&mut b)?;
        let k = take(&mut b, k_len)?.to_vec();
        let v = take(&mut b, v_len)?.to_vec();
        entries.insert(k, v);
    }
    b.is_empty().then_some(Snapshot { meta, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        let mut entries = BTreeMap::new();
        entries.insert(b"k1".to_vec(), b"secret value one".to_vec());
        entries.insert(vec![], vec![0; 3]);
        Snapshot {
            meta: b"meta".to_vec(),
            entries,
        }
    }

    #[test]
    fn round_trip_encrypted_0600_and_bound_to_the_account() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mls.state");
        let a = StateFile::new(Some(&path), &[7; 32], &[2; 33]);
        a.save(&snap()).unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert!(!raw.windows(16).any(|w| w == b"secret value one"));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let back = a.load().unwrap().unwrap();
        assert_eq!(back.meta, b"meta");
        assert_eq!(back.entries, snap().entries);

        // Another account's key, or the same key under another account: refused.
        for other in [
            StateFile::new(Some(&path), &[8; 32], &[2; 33]),
            StateFile::new(Some(&path), &[7; 32], &[3; 33]),
        ] {
            let e = other.load().err().unwrap().to_string();
            assert!(
                e.contains("cannot be opened with this account's key"),
                "{e}"
            );
        }
        // Any flipped byte: refused.
        for i in [0, 7, 30, raw.len() - 1] {
            let mut bad = raw.clone();
            bad[i] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert!(a.load().is_err(), "byte {i}");
        }
    }

    #[test]
    fn decode_never_panics_on_truncation() {
        let full = encode(&snap());
        for n in 0..full.len() {
            assert!(decode(&full[..n]).is_none(), "prefix {n}");
        }
        assert!(decode(&full).is_some());
    }
}
