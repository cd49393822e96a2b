//! A full disk for a test process (issue #46), shared by the full-disk tests of `bithive-bitchat`
//! and `bithive-bitchat-p2p` (the latter includes this file by path).
//!
//! The disk is "filled" by a file-size limit on this process (`RLIMIT_FSIZE`, with `SIGXFSZ`
//! ignored): a write past it fails with `EFBIG` where one on a full disk fails with `ENOSPC`,
//! after writing what fits, as a full disk does. Both reach the code as the same I/O error, and
//! no root or mount is needed. The limit holds for the whole process, so a binary using this has
//! one test and nothing else runs beside it.

/// Makes the disk fillable for the rest of the process and returns the guard that frees it when
/// the test ends, failed or not, so its report can be written.
#[must_use]
pub fn fillable_disk() -> FreedAtEnd {
    // SAFETY: plain libc call on this process; without it the first write past the limit kills
    // the process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    FreedAtEnd
}

/// Files this process writes may grow to `bytes` (the soft limit: raised again by
/// [`disk_freed`]).
pub fn disk_room(bytes: u64) {
    let lim = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain libc call on this process.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) }, 0);
}

/// No limit again.
pub fn disk_freed() {
    disk_room(libc::RLIM_INFINITY);
}

/// Frees the disk when dropped.
pub struct FreedAtEnd;

impl Drop for FreedAtEnd {
    fn drop(&mut self) {
        disk_freed();
    }
}
