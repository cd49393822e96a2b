//! Content-addressed chunk store (sha256) and manifests for large payloads.
//!
//! On disk each chunk is a file named by a keyed hash of its sha256 (the directory does not say
//! which chunks are held: a holder of a candidate file cannot confirm its presence by name) and
//! holding `sealed(chunk, aad = its sha256)` under the node's chunk [`AtRestKey`], mode 0600.
//! A file moved under another chunk's name, damaged, or sealed under another key is removed and
//! reported missing on read, so a fetch fetches it again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::at_rest::{write_atomic_0600, AtRestKey};
use crate::error::BitChatError;
use crate::frame::ChunkHash;

pub const DEFAULT_CHUNK_SIZE: usize = 256 * 1024;

pub fn hash(data: &[u8]) -> ChunkHash {
    Sha256::digest(data).into()
}

/// The list of chunks that make up a payload; its own hash names the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub total_len: u64,
    pub chunks: Vec<ChunkHash>,
}

impl Manifest {
    pub fn id(&self) -> ChunkHash {
        let mut h = Sha256::new();
        h.update(self.total_len.to_be_bytes());
        for c in &self.chunks {
            h.update(c);
        }
        h.finalize().into()
    }
}

/// Chunks as sealed files under keyed names; every read is authenticated and verified.
#[derive(Debug, Clone)]
pub struct ChunkStore {
    dir: PathBuf,
    key: AtRestKey,
}

impl ChunkStore {
    pub fn open(dir: &Path, key: AtRestKey) -> Result<Self, BitChatError> {
        std::fs::create_dir_all(dir)?;
        // Chunks a crash interrupted (see `write_atomic_0600`): never a whole chunk.
        crate::at_rest::remove_matching(dir, |name| name.contains(".part."));
        Ok(Self {
            dir: dir.to_path_buf(),
            key,
        })
    }

    fn path(&self, h: &ChunkHash) -> PathBuf {
        self.dir.join(self.key.name(h))
    }

    pub fn has(&self, h: &ChunkHash) -> bool {
        self.path(h).exists()
    }

    /// Store data under its hash (atomic: write then rename, so a crash leaves no torn chunk).
    pub fn put(&self, data: &[u8]) -> Result<ChunkHash, BitChatError> {
        let h = hash(data);
        let path = self.path(&h);
        if !path.exists() {
            write_atomic_0600(&path, "part", &self.key.seal(&h, data))?;
        }
        Ok(h)
    }

    /// Store `data` only if it hashes to `expected`.
    pub fn put_verified(&self, expected: &ChunkHash, data: &[u8]) -> Result<bool, BitChatError> {
        if &hash(data) != expected {
            return Ok(false);
        }
        self.put(data)?;
        Ok(true)
    }

    /// Read a chunk; a corrupted file is removed and reported missing.
    pub fn get(&self, h: &ChunkHash) -> Result<Option<Vec<u8>>, BitChatError> {
        let path = self.path(h);
        let sealed = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let data = self.key.open(h, &sealed).unwrap_or_default();
        if &hash(&data) != h {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        Ok(Some(data))
    }

    /// Split and store a payload.
    pub fn publish(&self, data: &[u8], chunk_size: usize) -> Result<Manifest, BitChatError> {
        let size = chunk_size.clamp(1, crate::frame::MAX_CHUNK);
        let mut chunks = Vec::new();
        for c in data.chunks(size) {
            chunks.push(self.put(c)?);
        }
        Ok(Manifest {
            total_len: data.len() as u64,
            chunks,
        })
    }

    /// Reassemble a payload whose chunks are all present.
    pub fn assemble(&self, m: &Manifest) -> Result<Vec<u8>, BitChatError> {
        let mut out = Vec::with_capacity(m.total_len as usize);
        for h in &m.chunks {
            let c = self
                .get(h)?
                .ok_or_else(|| BitChatError::Chunk(format!("missing {}", hex::encode(h))))?;
            out.extend_from_slice(&c);
        }
        if out.len() as u64 != m.total_len {
            return Err(BitChatError::Chunk("length mismatch".into()));
        }
        Ok(out)
    }

    pub fn missing(&self, m: &Manifest) -> Vec<ChunkHash> {
        let mut seen = std::collections::HashSet::new();
        m.chunks
            .iter()
            .filter(|h| !self.has(h) && seen.insert(**h))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_verify_assemble() {
        let dir = tempfile::tempdir().unwrap();
        let key = AtRestKey::derive(&[4; 32], "chunks");
        let s = ChunkStore::open(dir.path(), key.clone()).unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let m = s.publish(&data, 1000).unwrap();
        assert_eq!(m.chunks.len(), 10);
        assert_eq!(s.assemble(&m).unwrap(), data);
        assert!(!s.put_verified(&m.chunks[0], b"forged").unwrap());
        // Corrupt a chunk on disk: it is detected and reported missing.
        std::fs::write(dir.path().join(key.name(&m.chunks[3])), b"bad").unwrap();
        assert_eq!(s.get(&m.chunks[3]).unwrap(), None);
        assert_eq!(s.missing(&m), vec![m.chunks[3]]);
        // A chunk's file copied under another chunk's name: refused by the AAD.
        let a = dir.path().join(key.name(&m.chunks[1]));
        std::fs::copy(&a, dir.path().join(key.name(&m.chunks[2]))).unwrap();
        assert_eq!(s.get(&m.chunks[2]).unwrap(), None);
        // Nothing on disk names a chunk or holds its bytes; files are 0600.
        use std::os::unix::fs::PermissionsExt;
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let f = f.unwrap();
            let name = f.file_name().into_string().unwrap();
            assert!(m.chunks.iter().all(|c| name != hex::encode(c)));
            let raw = std::fs::read(f.path()).unwrap();
            assert!(!raw.windows(64).any(|w| data.windows(64).next() == Some(w)));
            assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Another key sees no chunk.
        let other = ChunkStore::open(dir.path(), AtRestKey::derive(&[5; 32], "chunks")).unwrap();
        assert!(!other.has(&m.chunks[0]));
    }
}
