//! The node's local store: UnixFS blocks as files, encrypted at rest.
//!
//! Layout: `DIR/xx/NAME`, NAME = hex HMAC-SHA256(name key, CID bytes), xx its first two hex
//! digits. File = `01 || nonce (24) || XChaCha20-Poly1305(enc key, nonce, block, aad = CID
//! bytes)`. The two keys are derived from the configured 32-byte key.
//!
//! What the disk reveals without the key: the number and sizes of blocks (ciphertext = block +
//! 41 bytes) and that two objects share a chunk (equal chunks are stored once), but not which
//! CIDs are stored: names are keyed, so holding a candidate file and computing its CID does not
//! confirm its presence. Nonces are random (192 bits), so equal blocks under different keys or
//! rewrites give unrelated ciphertexts. The AAD binds each ciphertext to its CID: a file copied
//! under another block's name fails authentication.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bithive_content_id::{build_dag, decode_file_node, verify_block, DAG_PB, RAW};
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Cid, ContentStore, Profile, StoreError, DEFAULT_MAX_OBJECT_BYTES};

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + NONCE_LEN;
/// Deepest DAG walked on read: 174^32 chunks is far past any real file, and the bound keeps a
/// crafted self-similar DAG from recursing without end.
const MAX_DEPTH: usize = 32;

/// The store's 32-byte master key (from the node's config; keep it beside the node's other
/// secrets). Never printed.
#[derive(Clone)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, StoreError> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut key)
            .map_err(|_| StoreError::Config("store key must be 64 hex digits".into()))?;
        Ok(Self(key))
    }

    /// The key in file `path`: 64 hex digits (surrounding white space allowed). The file's text
    /// is wiped from memory once parsed.
    pub fn from_hex_file(path: &Path) -> Result<Self, StoreError> {
        let mut text = fs::read_to_string(path)
            .map_err(|e| StoreError::Config(format!("store key file {}: {e}", path.display())))?;
        let key = Self::from_hex(&text);
        zeroize::Zeroize::zeroize(&mut text);
        key
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(label);
        m.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

#[derive(Debug, Clone)]
pub struct LocalStoreConfig {
    pub dir: PathBuf,
    pub key: StoreKey,
    /// Import settings for `put` (`get` walks any raw-leaf or dag-pb UnixFS file DAG).
    pub profile: Profile,
    /// Largest object `put` accepts and `get` reassembles.
    pub max_object_bytes: u64,
}

impl LocalStoreConfig {
    pub fn new(dir: impl Into<PathBuf>, key: StoreKey) -> Self {
        Self {
            dir: dir.into(),
            key,
            profile: Profile::KUBO_V1,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
        }
    }
}

/// Encrypted, crash-safe local block store. Cheap to clone.
#[derive(Clone)]
pub struct LocalStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    aead: XChaCha20Poly1305,
    name_key: [u8; 32],
    profile: Profile,
    max_object_bytes: u64,
}

impl LocalStore {
    pub fn open(cfg: LocalStoreConfig) -> Result<Self, StoreError> {
        fs::create_dir_all(&cfg.dir)?;
        let enc = cfg.key.derive(b"bithive-content-store v1 encryption");
        Ok(Self {
            inner: Arc::new(Inner {
                dir: cfg.dir,
                aead: XChaCha20Poly1305::new(&enc.into()),
                name_key: cfg.key.derive(b"bithive-content-store v1 file names"),
                profile: cfg.profile,
                max_object_bytes: cfg.max_object_bytes,
            }),
        })
    }

    /// Where `cid`'s block lives (for operators and tests; the name is keyed).
    pub fn block_path(&self, cid: &Cid) -> PathBuf {
        self.inner.path(cid)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
}

impl ContentStore for LocalStore {
    async fn put(&self, data: &[u8]) -> Result<Cid, StoreError> {
        if data.len() as u64 > self.inner.max_object_bytes {
            return Err(StoreError::TooLarge {
                limit: self.inner.max_object_bytes,
            });
        }
        let inner = self.inner.clone();
        let data = data.to_vec();
        blocking(move || inner.put(&data)).await
    }

    async fn get(&self, cid: &Cid) -> Result<Vec<u8>, StoreError> {
        self.get_limited(cid, u64::MAX).await
    }

    async fn get_limited(&self, cid: &Cid, limit: u64) -> Result<Vec<u8>, StoreError> {
        let inner = self.inner.clone();
        let cid = *cid;
        let limit = limit.min(inner.max_object_bytes);
        blocking(move || {
            let mut out = Vec::new();
            inner.collect(&cid, 0, None, limit, &mut out)?;
            Ok(out)
        })
        .await
    }

    async fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        Ok(tokio::fs::try_exists(self.inner.path(cid)).await?)
    }
}

impl Inner {
    fn path(&self, cid: &Cid) -> PathBuf {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.name_key).expect("any key length");
        m.update(&cid.to_bytes());
        let name = hex::encode(m.finalize().into_bytes());
        self.dir.join(&name[..2]).join(name)
    }

    fn seal(&self, cid: &Cid, block: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = cid.to_bytes();
        // Encryption with a valid key and nonce cannot fail (only absurd lengths can).
        let ct = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: block,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any block size we write");
        let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts and verifies one stored block.
    fn unseal(&self, cid: &Cid, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let tampered = |why: &str| StoreError::Tampered {
            cid: *cid,
            why: why.into(),
        };
        if sealed.len() < HEADER_LEN || sealed[0] != FORMAT_V1 {
            return Err(tampered("bad block header"));
        }
        let nonce = XNonce::from_slice(&sealed[1..HEADER_LEN]);
        let aad = cid.to_bytes();
        let block = self
            .aead
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| tampered("block fails authentication (corrupt, or not this store's)"))?;
        verify_block(cid, &block).map_err(|e| tampered(&e.to_string()))?;
        Ok(block)
    }

    fn read_block(&self, cid: &Cid) -> Result<Vec<u8>, StoreError> {
        match fs::read(self.path(cid)) {
            Ok(sealed) => self.unseal(cid, &sealed),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::NotFound(*cid)),
            Err(e) => Err(e.into()),
        }
    }

    fn put(&self, data: &[u8]) -> Result<Cid, StoreError> {
        // The sink gets leaves first and the root last, so a crash part-way leaves at worst
        // unreferenced blocks: `has(root)` implies the whole DAG was written.
        let mut result = Ok(());
        let root = build_dag(data, self.profile, |cid, block| {
            if result.is_ok() {
                result = self.write_block(cid, block);
            }
        });
        result.map(|()| root)
    }

    /// temp file, fsync, rename, fsync the directory: a crash leaves the old state or the new
    /// block, never a torn one. A present block that no longer verifies is rewritten.
    fn write_block(&self, cid: &Cid, block: &[u8]) -> Result<(), StoreError> {
        let path = self.path(cid);
        if let Ok(sealed) = fs::read(&path) {
            if self.unseal(cid, &sealed).is_ok() {
                return Ok(());
            }
        }
        let dir = path.parent().expect("block paths have a shard directory");
        if !dir.exists() {
            fs::create_dir_all(dir)?;
            sync_dir(&self.dir)?;
        }
        let mut tag = [0u8; 8];
        OsRng.fill_bytes(&mut tag);
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("block");
        // Dot-prefixed: never a block name (those are 64 hex digits).
        let tmp = dir.join(format!(".{file_name}.{}.tmp", hex::encode(tag)));
        let written = (|| {
            let mut f = File::create_new(&tmp)?;
            f.write_all(&self.seal(cid, block))?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(dir)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Appends the file bytes under `cid` to `out`, checking every block and size on the way.
    fn collect(
        &self,
        cid: &Cid,
        depth: usize,
        expected: Option<u64>,
        limit: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        let tampered = |why: &str| StoreError::Tampered {
            cid: *cid,
            why: why.into(),
        };
        if depth > MAX_DEPTH {
            return Err(tampered("DAG deeper than any this store writes"));
        }
        let block = self.read_block(cid)?;
        let start = out.len() as u64;
        let node = match cid.codec() {
            RAW => None,
            DAG_PB => Some(decode_file_node(&block).map_err(|e| tampered(&e.to_string()))?),
            _ => return Err(tampered("not a raw or dag-pb block")),
        };
        let size = node.as_ref().map_or(block.len() as u64, |n| n.filesize);
        if expected.is_some_and(|e| e != size) {
            return Err(tampered("size differs from the parent's blocksizes entry"));
        }
        if start.saturating_add(size) > limit {
            return Err(StoreError::TooLarge { limit });
        }
        let Some(node) = node else {
            out.extend_from_slice(&block);
            return Ok(());
        };
        out.extend_from_slice(&node.inline);
        for link in &node.links {
            self.collect(&link.cid, depth + 1, Some(link.blocksize), limit, out)?;
        }
        if out.len() as u64 - start != size {
            return Err(tampered("file size differs from its parts"));
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}
