//! Exclusive lock on a state directory: the outbox and inbox journals are append-only files
//! that two writers would interleave and corrupt, so a node holds `<state_dir>/LOCK` for its
//! whole life.
//!
//! The lock is `flock(2)` through [`File::try_lock`]: it belongs to the open file, so the
//! kernel releases it when the file is closed, also when the process dies without cleanup (a
//! stale `LOCK` file left behind never blocks a restart). It is per open file description,
//! so a second node in the *same* process is refused too.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::BitChatError;

/// Name of the lock file inside the state directory.
pub const LOCK_FILE: &str = "LOCK";

/// Held exclusive lock; released when dropped.
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
}

impl StateLock {
    /// Create `dir` if needed and take its lock without waiting.
    ///
    /// Fails with [`BitChatError::StateLocked`] when another node (in this or another process)
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<Self, BitChatError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(BitChatError::StateLocked { path }),
            Err(TryLockError::Error(e)) => return Err(BitChatError::Io(e)),
        }
        // The holder's pid, for an operator looking at the file; the lock itself is the flock.
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        tracing::debug!(path = %path.display(), "state dir locked");
        Ok(Self { file, path })
    }

    /// Path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first makes it explicit.
        if let Err(e) = self.file.unlock() {
            tracing::warn!(path = %self.path.display(), error = %e, "state dir unlock failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = StateLock::acquire(&state).unwrap();
        assert_eq!(first.path(), state.join(LOCK_FILE));
        match StateLock::acquire(&state) {
            Err(BitChatError::StateLocked { path }) => assert_eq!(path, state.join(LOCK_FILE)),
            other => panic!("expected StateLocked, got {other:?}"),
        }
        drop(first);
        let again = StateLock::acquire(&state).unwrap();
        // A leftover file from a previous holder does not block.
        drop(again);
        assert!(state.join(LOCK_FILE).exists());
        StateLock::acquire(&state).unwrap();
    }
}
