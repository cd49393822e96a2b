//! Explanations a node owes its patients (issue #47): the whole result of an image job with its
//! saliency map, sealed under the job's explanation key
//! ([`bithive_content_store::input::explanation_key`], known only to the patient and the nodes
//! that opened the input), kept one file per job and served at
//! `GET /v1/explanations/<sha256(job id) hex>` as JSON `{"job": .., "sealed": <base64>}`. The
//! files hold ciphertext only, mode 0600, written atomically (temp file, fsync, rename, fsync of
//! the folder) before the job's attestation is sent.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// A folder of sealed explanations.
#[derive(Clone, Debug)]
pub struct ExplanationStore {
    dir: PathBuf,
}

/// True for 64 lowercase hex digits: the only names served (no path can be built from others).
fn valid_name(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ExplanationStore {
    /// The store beside a relayer database: `<db stem>-explanations/`.
    pub fn beside(db_path: &Path) -> ExplanationStore {
        let stem = db_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "relayer".into());
        let dir = db_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(format!("{stem}-explanations"));
        ExplanationStore { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps `sealed` as job `name`'s explanation (temp file, fsync, rename).
    pub fn put(&self, name: &str, sealed: &[u8]) -> std::io::Result<()> {
        if !valid_name(name) {
            return Err(std::io::Error::other(
                "explanation name is not 64 hex digits",
            ));
        }
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(sealed)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, self.dir.join(name))?;
        // The rename itself survives a crash only once the folder is on disk.
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// Job `name`'s sealed explanation, if this node has one.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        if !valid_name(name) {
            return None;
        }
        std::fs::read(self.dir.join(name)).ok()
    }

    /// The `GET /v1/explanations/<name>` answer body, if there is one.
    pub fn answer(&self, name: &str) -> Option<String> {
        let sealed = self.get(name)?;
        Some(
            serde_json::json!({
                "job": name,
                "sealed": base64::engine::general_purpose::STANDARD.encode(sealed),
            })
            .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let s = ExplanationStore::beside(&dir.path().join("relayer.sqlite"));
        let name = "ab".repeat(32);
        s.put(&name, b"ciphertext").unwrap();
        assert_eq!(s.get(&name).unwrap(), b"ciphertext");
        assert!(s.answer(&name).unwrap().contains("Y2lwaGVydGV4dA=="));
        for bad in ["../etc/passwd", "AB", &"AB".repeat(32), ""] {
            assert!(s.get(bad).is_none());
            assert!(s.put(bad, b"x").is_err());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(s.dir().join(&name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
