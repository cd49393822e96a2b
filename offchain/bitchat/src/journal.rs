//! Append-only, fsynced journal of opaque records.
//!
//! File format: a sequence of records `[len: u32 LE][check: 8 bytes][payload: len bytes]` where
//! `check` is the first 8 bytes of SHA-256 over the length and the payload. Every append is
//! followed by `fdatasync`, so a record returned by [`Journal::append`] survives a crash.
//!
//! On open, records are read until the first one that is incomplete (a torn write) or whose
//! checksum does not match (a corrupt record); the file is truncated there. Records after a
//! corrupt one are dropped too: with length-prefixed records a damaged length cannot be trusted
//! to find the next record boundary, and a journal is only ever damaged at its tail by a crash.
//!
//! Every payload is sealed with the journal's [`AtRestKey`] and its record index as AAD, so the
//! file shows record sizes and count but no content, and records cannot be reordered or moved
//! between journals. A record whose checksum holds but which does not open is not a torn tail:
//! the journal is refused (another identity's file, or tampering), never cut. Files are 0600.
//!
//! [`Journal::compact`] rewrites the journal with the live records only (temporary file, fsync,
//! atomic rename, directory fsync), so a crash during compaction leaves either the old or the new
//! journal, never a mix.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::at_rest::{sync_parent, write_atomic_0600, AtRestKey};

use crate::error::BitChatError;

/// Largest record accepted (guards allocation against a damaged length field).
pub const MAX_RECORD: usize = 16 << 20;

const HEADER: usize = 12;

fn check(payload: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update((payload.len() as u32).to_le_bytes());
    h.update(payload);
    let d = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

fn encode(payload: &[u8]) -> Result<Vec<u8>, BitChatError> {
    if payload.len() > MAX_RECORD {
        return Err(BitChatError::Journal(format!(
            "record of {} bytes exceeds {MAX_RECORD}",
            payload.len()
        )));
    }
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&check(payload));
    out.extend_from_slice(payload);
    Ok(out)
}

/// What [`Journal::open`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Intact records, in append order.
    pub records: Vec<Vec<u8>>,
    /// Bytes cut from the tail (torn or corrupt).
    pub truncated_bytes: u64,
}

/// An open journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    key: AtRestKey,
    file: File,
    records: usize,
    bytes: u64,
    /// Set when a compaction replaced the file but it could not be opened again: the handle
    /// still points at the replaced file, so appends would be lost; they fail instead.
    broken: Option<String>,
}

/// Parse `buf`; returns the intact records and the length of the intact prefix.
fn parse(buf: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while buf.len() - pos >= HEADER {
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(&buf[pos..pos + 4]);
        let len = u32::from_le_bytes(len_bytes) as usize;
        if len > MAX_RECORD || buf.len() - pos - HEADER < len {
            break;
        }
        let payload = &buf[pos + HEADER..pos + HEADER + len];
        if buf[pos + 4..pos + HEADER] != check(payload) {
            break;
        }
        records.push(payload.to_vec());
        pos += HEADER + len;
    }
    (records, pos)
}

impl Journal {
    fn aad(index: usize) -> [u8; 8] {
        (index as u64).to_be_bytes()
    }

    /// Open (or create, 0600) the journal at `path`, recover its records and cut a damaged
    /// tail. Refused when an intact record does not open under `key`.
    pub fn open(path: &Path, key: AtRestKey) -> Result<(Self, Recovery), BitChatError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::at_rest::remove_stale_temporaries(path, "compact");
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        let (sealed, good) = parse(&buf);
        let mut records = Vec::with_capacity(sealed.len());
        for (i, r) in sealed.iter().enumerate() {
            records.push(key.open(&Self::aad(i), r).ok_or_else(|| {
                BitChatError::Journal(format!(
                    "{}: record {i} does not open with this node's {} key (another identity's \
                     journal, a journal from before encryption at rest, or tampering); \
                     refusing to use it",
                    path.display(),
                    key.purpose()
                ))
            })?);
        }
        let truncated_bytes = (buf.len() - good) as u64;
        if truncated_bytes > 0 {
            tracing::warn!(
                "journal {}: cut {truncated_bytes} damaged tail bytes after {} records",
                path.display(),
                records.len()
            );
            file.set_len(good as u64)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        if !existed {
            sync_parent(path);
        }
        let j = Self {
            path: path.to_path_buf(),
            key,
            file,
            records: records.len(),
            bytes: good as u64,
            broken: None,
        };
        Ok((
            j,
            Recovery {
                records,
                truncated_bytes,
            },
        ))
    }

    /// Append one record and fsync it.
    pub fn append(&mut self, payload: &[u8]) -> Result<(), BitChatError> {
        if let Some(why) = &self.broken {
            return Err(BitChatError::Journal(why.clone()));
        }
        let rec = encode(&self.key.seal(&Self::aad(self.records), payload))?;
        if let Err(e) = self
            .file
            .write_all(&rec)
            .and_then(|_| self.file.sync_data())
        {
            // Leave no partial record behind that a later append would follow.
            let _ = self.file.set_len(self.bytes);
            let _ = self.file.seek(SeekFrom::End(0));
            return Err(e.into());
        }
        self.records += 1;
        self.bytes += rec.len() as u64;
        Ok(())
    }

    /// Records appended since open or the last compaction (including recovered ones).
    pub fn records(&self) -> usize {
        self.records
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Replace the journal's content with `live` records, atomically.
    pub fn compact<'a>(
        &mut self,
        live: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), BitChatError> {
        let mut out = Vec::new();
        let mut n = 0usize;
        for r in live {
            out.extend_from_slice(&encode(&self.key.seal(&Self::aad(n), r))?);
            n += 1;
        }
        write_atomic_0600(&self.path, "compact", &out)?;
        let reopened = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .and_then(|mut f| f.seek(SeekFrom::End(0)).map(|_| f));
        let file = match reopened {
            Ok(f) => f,
            Err(e) => {
                let why = format!(
                    "{}: compacted, then not opened again ({e}); restart to use it",
                    self.path.display()
                );
                self.broken = Some(why.clone());
                return Err(BitChatError::Journal(why));
            }
        };
        self.file = file;
        self.records = n;
        self.bytes = out.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::at_rest::OVERHEAD;

    fn key() -> AtRestKey {
        AtRestKey::derive(&[9; 32], "test journal")
    }

    fn reopen(p: &Path) -> (Journal, Recovery) {
        Journal::open(p, key()).unwrap()
    }

    /// Bytes of one record holding `n` payload bytes.
    const fn rec(n: usize) -> u64 {
        (HEADER + OVERHEAD + n) as u64
    }

    #[test]
    fn records_survive_reopen() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (mut j, r) = reopen(&p);
        assert!(r.records.is_empty());
        j.append(b"one").unwrap();
        j.append(b"").unwrap();
        j.append(&[7u8; 1000]).unwrap();
        drop(j);
        let (j, r) = reopen(&p);
        assert_eq!(r.records, vec![b"one".to_vec(), vec![], vec![7u8; 1000]]);
        assert_eq!(r.truncated_bytes, 0);
        assert_eq!(j.records(), 3);
    }

    #[test]
    fn torn_tail_is_cut_and_appends_continue() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (mut j, _) = reopen(&p);
        j.append(b"first").unwrap();
        j.append(b"second record").unwrap();
        drop(j);
        let full = std::fs::metadata(&p).unwrap().len();
        // Every possible torn length of the last record.
        for cut in 1..rec(13) {
            let d2 = tempfile::tempdir().unwrap();
            let p2 = d2.path().join("j");
            std::fs::copy(&p, &p2).unwrap();
            OpenOptions::new()
                .write(true)
                .open(&p2)
                .unwrap()
                .set_len(full - cut)
                .unwrap();
            let (mut j2, r) = reopen(&p2);
            assert_eq!(r.records, vec![b"first".to_vec()], "cut {cut}");
            assert_eq!(r.truncated_bytes, rec(13) - cut);
            j2.append(b"third").unwrap();
            drop(j2);
            let (_, r) = reopen(&p2);
            assert_eq!(r.records, vec![b"first".to_vec(), b"third".to_vec()]);
        }
    }

    #[test]
    fn corrupt_record_ends_the_log() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (mut j, _) = reopen(&p);
        for r in [&b"aaaa"[..], b"bbbb", b"cccc"] {
            j.append(r).unwrap();
        }
        drop(j);
        let mut bytes = std::fs::read(&p).unwrap();
        // Flip a payload bit of the second record.
        bytes[rec(4) as usize + HEADER + 1] ^= 0x01;
        std::fs::write(&p, &bytes).unwrap();
        let (_, r) = reopen(&p);
        assert_eq!(r.records, vec![b"aaaa".to_vec()]);
        assert_eq!(r.truncated_bytes, 2 * rec(4));
        assert_eq!(std::fs::metadata(&p).unwrap().len(), rec(4));
        // A damaged length field (huge) is refused, not allocated.
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(&[0u8; 8]);
        std::fs::write(&p, &bytes).unwrap();
        let (_, r) = reopen(&p);
        assert_eq!(r.records, vec![b"aaaa".to_vec()]);
    }

    #[test]
    fn compaction_keeps_only_live_records() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (mut j, _) = reopen(&p);
        for i in 0..100u32 {
            j.append(&i.to_le_bytes()).unwrap();
        }
        let before = j.bytes();
        let live: Vec<Vec<u8>> = (95..100u32).map(|i| i.to_le_bytes().to_vec()).collect();
        j.compact(live.iter().map(|v| v.as_slice())).unwrap();
        assert!(j.bytes() < before / 10);
        assert_eq!(j.records(), 5);
        j.append(b"after").unwrap();
        drop(j);
        let (_, r) = reopen(&p);
        let mut want = live.clone();
        want.push(b"after".to_vec());
        assert_eq!(r.records, want);
        assert!(!p.with_extension("compact").exists());
        assert!(Journal::open(&p, key())
            .unwrap()
            .0
            .append(&vec![0; MAX_RECORD + 1])
            .is_err());
    }

    #[test]
    fn sealed_0600_and_refused_rather_than_cut_under_another_key_or_reordered() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let (mut j, _) = reopen(&p);
        j.append(b"a private message body").unwrap();
        j.append(b"another private body!!").unwrap();
        j.compact([&b"a private message body"[..], b"another private body!!"])
            .unwrap();
        drop(j);
        let raw = std::fs::read(&p).unwrap();
        assert!(!raw.windows(7).any(|w| w == b"private"));
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let e = Journal::open(&p, AtRestKey::derive(&[8; 32], "test journal")).unwrap_err();
        assert!(e.to_string().contains("does not open"), "{e}");
        assert_eq!(
            std::fs::read(&p).unwrap(),
            raw,
            "nothing cut under a wrong key"
        );

        // Two intact records swapped: each checksum holds, the index in the AAD does not.
        let n = rec(22) as usize;
        let mut swapped = raw[n..2 * n].to_vec();
        swapped.extend_from_slice(&raw[..n]);
        std::fs::write(&p, &swapped).unwrap();
        assert!(Journal::open(&p, key()).is_err());
    }
}
