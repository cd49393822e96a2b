//! Content-addressed chunk store (sha256) and manifests for large payloads.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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

/// Chunks as files named by their hex hash; every read is verified.
#[derive(Debug, Clone)]
pub struct ChunkStore {
    dir: PathBuf,
}

impl ChunkStore {
    pub fn open(dir: &Path) -> Result<Self, BitChatError> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, h: &ChunkHash) -> PathBuf {
        self.dir.join(hex::encode(h))
    }

    pub fn has(&self, h: &ChunkHash) -> bool {
        self.path(h).exists()
    }

    /// Store data under its hash (atomic: write then rename, so a crash leaves no torn chunk).
    pub fn put(&self, data: &[u8]) -> Result<ChunkHash, BitChatError> {
        let h = hash(data);
        let path = self.path(&h);
        if !path.exists() {
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, data)?;
            std::fs::rename(&tmp, &path)?;
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
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
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
        let s = ChunkStore::open(dir.path()).unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let m = s.publish(&data, 1000).unwrap();
        assert_eq!(m.chunks.len(), 10);
        assert_eq!(s.assemble(&m).unwrap(), data);
        assert!(!s.put_verified(&m.chunks[0], b"forged").unwrap());
        // Corrupt a chunk on disk: it is detected and reported missing.
        std::fs::write(dir.path().join(hex::encode(m.chunks[3])), b"bad").unwrap();
        assert_eq!(s.get(&m.chunks[3]).unwrap(), None);
        assert_eq!(s.missing(&m), vec![m.chunks[3]]);
    }
}
