//! Files that hold secrets: the relayer's keyring, the DGKBE key authority's seeds, a BitChat
//! node's account key.
//!
//! One place for what every such file needs:
//! - created with mode 0600 (the mode is set when the file is created, never after: there is no
//!   moment at which the secret sits in a file others can read);
//! - written, `fsync`ed, and (for a replacement) renamed over the old file, with the directory
//!   synced, so a crash leaves the old file or the new one, never a torn one;
//! - refused on read when group or others may read or write it, as `ssh` refuses a private key;
//! - the bytes zeroized once written, and returned in a [`Zeroizing`] buffer when read.
//!
//! Errors name the path and never carry the content.
#![warn(missing_docs)]
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use zeroize::Zeroizing;

/// Why a secret file could not be written or read; names the path, never the content.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    /// An I/O operation on the file or its directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (or directory) the operation was on.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// [`create_new`] found the file already there.
    #[error("{path} already exists: a secret file is never overwritten by a create")]
    Exists {
        /// The file that already exists.
        path: PathBuf,
    },
    /// The file's permissions let group or others read, write or execute it.
    #[error("{path} is accessible by group or others (mode {mode:o}): run chmod 600 on it")]
    TooOpen {
        /// The file refused.
        path: PathBuf,
        /// Its permission bits (`mode & 0o777`).
        mode: u32,
    },
    /// [`read_json`] read the file but its content is not JSON of the expected shape.
    #[error("{path}: not {what}")]
    NotA {
        /// The file read.
        path: PathBuf,
        /// What the file should have held, as the caller names it (e.g. "a key authority secret
        /// file (dgkbe_seed)").
        what: &'static str,
    },
}

impl SecretFileError {
    /// True when the file (or a directory on its path) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SecretFileError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> SecretFileError + '_ {
        move |source| SecretFileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Creates `path` (and its parent directories) holding `bytes`, mode 0600; fails with
/// [`SecretFileError::Exists`] if the file is already there. `bytes` are zeroized.
pub fn create_new(path: &Path, bytes: Zeroizing<Vec<u8>>) -> Result<(), SecretFileError> {
    create_parent(path)?;
    let mut f = open_new(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => SecretFileError::Exists {
            path: path.to_path_buf(),
        },
        _ => SecretFileError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    write_synced(&mut f, &bytes).map_err(SecretFileError::io(path))?;
    sync_parent(path);
    Ok(())
}

/// Writes `bytes` to `path`, mode 0600, replacing any previous file atomically (a temporary file
/// beside it, synced, then renamed). `bytes` are zeroized.
pub fn replace(path: &Path, bytes: Zeroizing<Vec<u8>>) -> Result<(), SecretFileError> {
    create_parent(path)?;
    let tmp = temporary_path(path);
    // A temporary file left by a crash may have any mode: opening it for writing would keep that
    // mode, so it goes first and the new one is created 0600.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(SecretFileError::io(&tmp)(e)),
        _ => {}
    }
    let mut f = open_new(&tmp).map_err(SecretFileError::io(&tmp))?;
    if let Err(e) = write_synced(&mut f, &bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(SecretFileError::io(&tmp)(e));
    }
    std::fs::rename(&tmp, path).map_err(SecretFileError::io(path))?;
    sync_parent(path);
    Ok(())
}

/// [`create_new`] with `value` as JSON; the serialized bytes are zeroized.
pub fn create_new_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), SecretFileError> {
    let bytes = serde_json::to_vec(value).map_err(|e| SecretFileError::Io {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    create_new(path, Zeroizing::new(bytes))
}

/// [`read`], then the content as JSON of `T`; a file of another shape is
/// [`SecretFileError::NotA`] `what`, without a word of its content.
pub fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<T, SecretFileError> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|_| SecretFileError::NotA {
        path: path.to_path_buf(),
        what,
    })
}

/// Reads `path` after checking that only its owner may access it.
pub fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    let mut f = File::open(path).map_err(SecretFileError::io(path))?;
    check_mode(path, &f)?;
    let mut buf = Zeroizing::new(Vec::new());
    f.read_to_end(&mut buf).map_err(SecretFileError::io(path))?;
    Ok(buf)
}

#[cfg(unix)]
fn check_mode(path: &Path, f: &File) -> Result<(), SecretFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = f
        .metadata()
        .map_err(SecretFileError::io(path))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path, _: &File) -> Result<(), SecretFileError> {
    Ok(())
}

fn open_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

fn write_synced(f: &mut File, bytes: &[u8]) -> io::Result<()> {
    f.write_all(bytes)?;
    f.sync_all()
}

fn create_parent(path: &Path) -> Result<(), SecretFileError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(SecretFileError::io(dir)),
        None => Ok(()),
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Makes a create or rename durable. Best effort: some filesystems cannot sync a directory, and
/// the file itself is already synced.
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(s.as_bytes().to_vec())
    }

    #[test]
    fn json_round_trips_and_another_shape_is_named_without_its_content() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        #[serde(deny_unknown_fields)]
        struct Seed {
            seed: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("seed.json");
        let v = Seed {
            seed: "ab".repeat(32),
        };
        create_new_json(&p, &v).unwrap();
        assert_eq!(read_json::<Seed>(&p, "a seed file").unwrap(), v);
        assert!(matches!(
            create_new_json(&p, &v),
            Err(SecretFileError::Exists { .. })
        ));
        let other = dir.path().join("other.json");
        create_new(&other, secret("{\"seed\":\"s3cret\",\"more\":1}")).unwrap();
        let e = read_json::<Seed>(&other, "a seed file")
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("not a seed file"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    fn chmod(p: &Path, m: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn create_new_writes_0600_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/seed.json");
        create_new(&p, secret("one")).unwrap();
        assert_eq!(&*read(&p).unwrap(), b"one");
        #[cfg(unix)]
        assert_eq!(mode(&p), 0o600);
        let err = create_new(&p, secret("two")).unwrap_err();
        assert!(matches!(err, SecretFileError::Exists { .. }), "{err}");
        assert_eq!(&*read(&p).unwrap(), b"one");
    }

    #[test]
    fn replace_swaps_the_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys.json");
        replace(&p, secret("first")).unwrap();
        replace(&p, secret("second")).unwrap();
        assert_eq!(&*read(&p).unwrap(), b"second");
        assert!(!temporary_path(&p).exists());
        #[cfg(unix)]
        assert_eq!(mode(&p), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_world_readable_temporary_does_not_leak_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys.json");
        let tmp = temporary_path(&p);
        std::fs::write(&tmp, b"left by a crash").unwrap();
        chmod(&tmp, 0o644);
        replace(&p, secret("new")).unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(&*read(&p).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn read_refuses_a_file_others_can_access_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("account.hex");
        std::fs::write(&p, b"00112233").unwrap();
        for m in [0o644, 0o640, 0o604, 0o602, 0o620] {
            chmod(&p, m);
            let err = read(&p).unwrap_err();
            assert!(
                matches!(err, SecretFileError::TooOpen { mode, .. } if mode == m),
                "{m:o}: {err}"
            );
            assert!(!err.to_string().contains("00112233"));
        }
        chmod(&p, 0o400);
        assert_eq!(&*read(&p).unwrap(), b"00112233");
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&dir.path().join("absent")).unwrap_err();
        assert!(err.is_not_found());
        assert!(err.to_string().contains("absent"));
    }
}
