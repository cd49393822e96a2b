//! Keys for what a node writes to disk: journals, the relay mailbox, the chunk store.
//!
//! Each purpose has its own key, HKDF-SHA256(account secret, info = "bithive-bitchat-at-rest-v1/"
//! purpose), so a key leaked from one store opens nothing else and a file moved between stores
//! fails to open. A sealed item is `nonce (24) || XChaCha20-Poly1305(key, nonce, plaintext,
//! aad)`, the AAD binding it to its place (a record's index, a chunk's hash); random 192-bit
//! nonces never repeat in practice, so rewrites need no counter.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub const NONCE_LEN: usize = 24;
/// Bytes a sealed item adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + 16;

/// One purpose's key. No `Debug` with the key; cloned only with its zeroizing buffer.
#[derive(Clone)]
pub struct AtRestKey {
    key: Zeroizing<[u8; 32]>,
    purpose: &'static str,
}

impl std::fmt::Debug for AtRestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtRestKey")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl AtRestKey {
    pub fn derive(secret: &[u8], purpose: &'static str) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, secret)
            .expand_multi_info(
                &[b"bithive-bitchat-at-rest-v1/", purpose.as_bytes()],
                key.as_mut(),
            )
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { key, purpose }
    }

    pub fn purpose(&self) -> &'static str {
        self.purpose
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = XChaCha20Poly1305::new(self.key.as_ref().into())
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// The plaintext, or `None` when `sealed` was not sealed under this key and `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < OVERHEAD {
            return None;
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(self.key.as_ref().into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
    }

    /// A keyed name for `label` (hex, 64 chars): the disk shows that an item exists, not which.
    pub fn name(&self, label: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(b"bithive-bitchat-at-rest-name-v1");
        h.update(self.key.as_ref());
        h.update(label);
        hex::encode(h.finalize())
    }
}

/// Writes `bytes` to `path` through a temporary file created 0600, fsynced, renamed, then the
/// directory fsynced: a crash leaves the old file or the new one, and once this returns the new
/// one survives a power loss (a relay answers `Stored` only after it, and the sender then drops
/// its copy).
pub(crate) fn write_atomic_0600(path: &Path, tmp_ext: &str, bytes: &[u8]) -> std::io::Result<()> {
    // A name of its own per call: two writers of one path (the same chunk stored twice at once)
    // never write into or rename each other's file, and a file a crash left behind is never
    // opened again (it would keep its mode), only removed (`remove_stale_temporaries`).
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{tmp_ext}.{}.{n}", std::process::id()));
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_parent(path);
    Ok(())
}

/// Removes what a crash left of [`write_atomic_0600`]'s temporary files for `path` (`tmp_ext`
/// as given there). Call it only where no other writer of `path` can run (at open: one node per
/// state directory).
pub(crate) fn remove_stale_temporaries(path: &Path, tmp_ext: &str) {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
        return;
    };
    let prefix = format!("{}.{tmp_ext}.", stem.to_string_lossy());
    remove_matching(dir, |name| name.starts_with(&prefix));
}

/// Removes the files of `dir` whose name `matches` (best effort).
pub(crate) fn remove_matching(dir: &Path, matches: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_str().is_some_and(&matches) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Fsyncs `path`'s directory, which makes a rename or a creation in it durable. Best effort:
/// not every file system supports it.
pub(crate) fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_bound_to_key_purpose_and_aad() {
        let k = AtRestKey::derive(&[1; 32], "journal");
        let s = k.seal(b"rec 1", b"hello");
        assert_eq!(s.len(), 5 + OVERHEAD);
        assert_eq!(k.open(b"rec 1", &s).unwrap(), b"hello");
        assert!(k.open(b"rec 2", &s).is_none());
        assert!(AtRestKey::derive(&[1; 32], "mailbox")
            .open(b"rec 1", &s)
            .is_none());
        assert!(AtRestKey::derive(&[2; 32], "journal")
            .open(b"rec 1", &s)
            .is_none());
        for i in 0..s.len() {
            let mut bad = s.clone();
            bad[i] ^= 1;
            assert!(k.open(b"rec 1", &bad).is_none(), "byte {i}");
        }
        assert!(k.open(b"", &s[..OVERHEAD - 1]).is_none());
        assert_ne!(
            k.name(b"a"),
            AtRestKey::derive(&[2; 32], "journal").name(b"a")
        );
        assert!(!format!("{k:?}").contains(&hex::encode(*k.key)));
    }

    /// Writers of one path at once each write a whole file of their own (the last rename
    /// wins, never a torn or mixed one); the result is 0600; a temporary file a crash left
    /// (here with mode 0644) is removed at open and never reused.
    #[test]
    fn atomic_writes_race_safely_and_leave_no_stale_temporaries() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mailbox.sealed");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic_0600(path, "tmp", &[i; 4096]).unwrap();
                    }
                });
            }
        });
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 4096);
        assert!(got.iter().all(|b| *b == got[0]), "one writer's whole file");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let stale = dir.path().join("mailbox.tmp.1.0");
        std::fs::write(&stale, b"left by a crash").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        let other = dir.path().join("outbox.tmp.1.0");
        std::fs::write(&other, b"another file's").unwrap();
        remove_stale_temporaries(&path, "tmp");
        assert!(!stale.exists());
        assert!(other.exists(), "only this path's temporaries");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
