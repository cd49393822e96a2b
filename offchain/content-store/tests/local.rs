//! LocalStore: round trips, encryption at rest, and attacks on the files on disk.

use std::fs;
use std::path::{Path, PathBuf};

use bithive_content_id::{cid_of, cid_with};
use bithive_content_store::{
    ContentStore, LocalStore, LocalStoreConfig, Profile, StoreError, StoreKey,
};
use proptest::prelude::*;

fn key(b: u8) -> StoreKey {
    StoreKey::from_bytes([b; 32])
}

fn store(dir: &Path, profile: Profile) -> LocalStore {
    let mut cfg = LocalStoreConfig::new(dir, key(7));
    cfg.profile = profile;
    LocalStore::open(cfg).unwrap()
}

/// A kubo-profile store in a fresh temporary directory (kept while the directory lives).
fn kubo_store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), Profile::KUBO_V1);
    (dir, s)
}

/// Every block file under the store (skips dot-prefixed temp files).
fn block_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in fs::read_dir(dir).unwrap() {
        for f in fs::read_dir(shard.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn round_trip_default_profile_matches_ipfs_cid() {
    rt().block_on(async {
        let (_dir, s) = kubo_store();
        for n in [0usize, 1, 262_144, 262_145, 600_000] {
            let data = pattern(n);
            let cid = s.put(&data).await.unwrap();
            assert_eq!(cid, cid_of(&data));
            assert!(s.has(&cid).await.unwrap());
            assert_eq!(s.get(&cid).await.unwrap(), data);
            // Idempotent.
            assert_eq!(s.put(&data).await.unwrap(), cid);
        }
        let absent = cid_of(b"never stored");
        assert!(!s.has(&absent).await.unwrap());
        assert!(matches!(s.get(&absent).await, Err(StoreError::NotFound(c)) if c == absent));
    });
}

#[test]
fn nothing_on_disk_reveals_plaintext_or_cids() {
    rt().block_on(async {
        let (dir, s) = kubo_store();
        let secret = b"PATIENT 4711: HIV positive, lab panel 2026-11-25".repeat(100);
        let cid = s.put(&secret).await.unwrap();
        let cid_hex = hex::encode(cid.hash().digest());
        for f in block_files(dir.path()) {
            let bytes = fs::read(&f).unwrap();
            assert!(
                !bytes.windows(7).any(|w| w == b"PATIENT"),
                "plaintext on disk"
            );
            let name = f.to_string_lossy().to_string();
            assert!(
                !name.contains(&cid.to_string()) && !name.contains(&cid_hex),
                "CID in a name"
            );
        }
        // Another key cannot even locate the block (names are keyed), let alone read it.
        let other = LocalStore::open(LocalStoreConfig::new(dir.path(), key(8))).unwrap();
        assert!(!other.has(&cid).await.unwrap());
        assert!(matches!(
            other.get(&cid).await,
            Err(StoreError::NotFound(_))
        ));
    });
}

#[test]
fn a_block_moved_under_another_name_is_refused() {
    // Attack: swap two valid ciphertexts on disk so that one CID serves another's content.
    rt().block_on(async {
        let (_dir, s) = kubo_store();
        let a = s.put(b"aaaa").await.unwrap();
        let b = s.put(b"bbbb").await.unwrap();
        fs::copy(s.block_path(&b), s.block_path(&a)).unwrap();
        assert!(matches!(s.get(&a).await, Err(StoreError::Tampered { cid, .. }) if cid == a));
        assert_eq!(s.get(&b).await.unwrap(), b"bbbb");
    });
}

#[test]
fn a_corrupt_block_is_rewritten_by_put_and_leftover_temp_files_are_ignored() {
    rt().block_on(async {
        let (_dir, s) = kubo_store();
        let cid = s.put(b"hello").await.unwrap();
        let path = s.block_path(&cid);
        fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            s.get(&cid).await,
            Err(StoreError::Tampered { .. })
        ));
        // A crash between write and rename leaves a dot-prefixed temp file: never read.
        fs::write(path.with_file_name(".leftover.tmp"), b"torn").unwrap();
        assert_eq!(s.put(b"hello").await.unwrap(), cid);
        assert_eq!(s.get(&cid).await.unwrap(), b"hello");
    });
}

#[test]
fn size_limit_on_put_and_get() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let p = Profile::new(100, 3).unwrap();
        let big = pattern(5000);
        let cid = store(dir.path(), p).put(&big).await.unwrap();
        let mut cfg = LocalStoreConfig::new(dir.path(), key(7));
        cfg.profile = p;
        cfg.max_object_bytes = 4999;
        let small = LocalStore::open(cfg).unwrap();
        assert!(matches!(
            small.put(&big).await,
            Err(StoreError::TooLarge { limit: 4999 })
        ));
        assert!(matches!(
            small.get(&cid).await,
            Err(StoreError::TooLarge { limit: 4999 })
        ));
    });
}

#[test]
fn store_key_from_hex() {
    assert!(StoreKey::from_hex(&"ab".repeat(32)).is_ok());
    assert!(matches!(
        StoreKey::from_hex("abcd"),
        Err(StoreError::Config(_))
    ));
    assert_eq!(format!("{:?}", key(1)), "StoreKey(..)");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// put/get round-trips under any small profile (multi-level DAGs), and the CID is the IPFS
    /// one; then any single flipped byte in any stored block file makes get refuse.
    #[test]
    fn round_trip_and_any_flipped_byte_is_refused(
        data in proptest::collection::vec(any::<u8>(), 0..4000),
        chunk in 64usize..600,
        children in 2usize..5,
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let p = Profile::new(chunk, children).unwrap();
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = store(dir.path(), p);
            let cid = s.put(&data).await.unwrap();
            prop_assert_eq!(cid, cid_with(&data, p));
            prop_assert_eq!(&s.get(&cid).await.unwrap(), &data);

            let files = block_files(dir.path());
            let f = pick.get(&files);
            let mut bytes = fs::read(f).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
            fs::write(f, &bytes).unwrap();
            let got = s.get(&cid).await;
            prop_assert!(matches!(got, Err(StoreError::Tampered { .. })), "{:?}", got);
            Ok(())
        })?;
    }
}
