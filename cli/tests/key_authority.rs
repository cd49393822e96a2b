//! `bithive key-authority` as an operator runs it: `publish --init` creates the seed (0600) and
//! writes the public files; `user-keys` writes each named user's key (0600) that decrypts what
//! is encrypted to it with the published key; a slot outside the enrolled ones, or a key file
//! that exists, is refused before anything is written; a second run publishes the same
//! parameters (keys come from the seed), and another seed's are refused over them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use bithive_cli::key_authority::{user_key_file, ENCRYPTION_KEY_FILE, PARAMS_FILE};
use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams, BgwUserKey};
use bithive_dgkbe::RoaringBitmap;
use bithive_matching::output::{open_output, seal_output};

fn bithive(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bithive"))
        .args(args)
        .output()
        .unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn publish_then_user_keys() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("authority/secret.json");
    std::fs::create_dir_all(secret.parent().unwrap()).unwrap();
    let (secret, public, keys) = (
        secret.to_str().unwrap().to_string(),
        dir.path().join("public"),
        dir.path().join("keys"),
    );
    let common = ["--secret-file", &secret, "--users", "8"];
    let publish = |extra: &[&str]| {
        let mut a = vec!["key-authority", "publish"];
        a.extend(common);
        a.extend(["--out-dir", public.to_str().unwrap()]);
        a.extend(extra);
        bithive(&a)
    };
    // Without --init there is no seed to publish from.
    assert!(!publish(&[]).status.success());
    let out = publish(&["--init"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(Path::new(&secret)), 0o600);
    let params = std::fs::read(public.join(PARAMS_FILE)).unwrap();
    // The seed decides: a second run publishes the same bytes.
    assert!(publish(&[]).status.success());
    assert_eq!(std::fs::read(public.join(PARAMS_FILE)).unwrap(), params);
    // Another seed over the same directory (a mistyped path with --init) would re-key every
    // user: refused without --force, the published files unchanged.
    let other = dir.path().join("authority/other.json");
    let mut a = vec![
        "key-authority",
        "publish",
        "--secret-file",
        other.to_str().unwrap(),
    ];
    a.extend([
        "--users",
        "8",
        "--out-dir",
        public.to_str().unwrap(),
        "--init",
    ]);
    let out = bithive(&a);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{out:?}"
    );
    assert_eq!(std::fs::read(public.join(PARAMS_FILE)).unwrap(), params);

    let user_keys = |users: &[&str]| {
        let mut a = vec!["key-authority", "user-keys"];
        a.extend(common);
        a.extend(["--out-dir", keys.to_str().unwrap()]);
        for u in users {
            a.extend(["--user", u]);
        }
        bithive(&a)
    };
    // Slot 9 is not enrolled: refused, and slot 2's file is not written either.
    let out = user_keys(&["2", "9"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("user 9"),
        "{out:?}"
    );
    assert!(!user_key_file(&keys, 2).exists());
    assert!(user_keys(&["2", "5"]).status.success());
    assert_eq!(mode(&user_key_file(&keys, 2)), 0o600);
    // Never overwritten, and nothing of a refused call is written (slot 7 is checked before).
    let out = user_keys(&["7", "2"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists"),
        "{out:?}"
    );
    assert!(!user_key_file(&keys, 7).exists());

    // What is sealed to {2} with the published key, user 2's key opens and user 5's does not.
    let pp = BgwPublicParams::from_bytes(&params).unwrap();
    let ek =
        BgwEncryptionKey::from_bytes(&std::fs::read(public.join(ENCRYPTION_KEY_FILE)).unwrap())
            .unwrap();
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(1);
    ek.verify(&pp, &mut rng).unwrap();
    let s: RoaringBitmap = [2u32].into_iter().collect();
    let out = seal_output(&ek, &pp, 7, [0; 32], s, b"to user 2", &mut rng).unwrap();
    let key = |u| BgwUserKey::from_bytes(&std::fs::read(user_key_file(&keys, u)).unwrap()).unwrap();
    assert_eq!(open_output(&out, &mut key(2), &pp).unwrap(), b"to user 2");
    assert!(open_output(&out, &mut key(5), &pp).is_err());
}
