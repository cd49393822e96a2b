//! `bithive key-authority`: the DGKBE key authority as an operator runs it, on its own seed file
//! (mode 0600), apart from the matching node and the blinding service
//! (`offchain/matching/docs/ROLES.md`). It never sees a request, S_i or a ciphertext:
//! - `publish` writes the BGW public parameters and encryption key of the instance over the
//!   enrolled slots 1..=N (public files, for researchers and user devices);
//! - `user-keys` writes the keys of the users named, each to its own file (mode 0600), for
//!   handing to the user's device.
//!
//! Keys are derived from the seed, so a second run gives the same files. Published files that
//! differ from what this run would write are never replaced without `--force` (a mistyped seed
//! path with `--init`, or another `--users` or `--epoch`, would re-key every user).

use std::path::{Path, PathBuf};

use bithive_dgkbe::RoaringBitmap;
use bithive_matching::authority::{KeyAuthority, KeyAuthoritySecret};
use bithive_secret_file::Zeroizing;
use clap::{Args, Subcommand};

/// Public parameters and encryption key, in the output directory.
pub const PARAMS_FILE: &str = "dgkbe-params.bin";
pub const ENCRYPTION_KEY_FILE: &str = "dgkbe-encryption-key.bin";

/// The most slots an instance takes (the parameters grow with them: 2N-1 group elements).
pub const MAX_USERS: u32 = 1 << 20;

/// The file of user `u`'s key in the output directory.
pub fn user_key_file(dir: &Path, u: u32) -> PathBuf {
    dir.join(format!("user-{u}.key"))
}

#[derive(Debug, Subcommand)]
pub enum KeyAuthorityCommand {
    /// Write the public parameters and encryption key (creating the seed with --init)
    Publish(PublishArgs),
    /// Write enrolled users' keys, one file each (mode 0600)
    UserKeys(UserKeysArgs),
}

/// The instance both commands work on.
#[derive(Clone, Debug, Args)]
pub struct InstanceArgs {
    /// The authority's seed file (mode 0600)
    #[arg(
        long,
        value_name = "FILE",
        env = "BITHIVE_KEY_AUTHORITY_SECRET_FILE",
        default_value = "key-authority-secret.json"
    )]
    pub secret_file: PathBuf,
    /// Enrolled slots: users 1..=N
    #[arg(long, value_name = "N")]
    pub users: u32,
    /// The instance's epoch (a new epoch re-keys everyone)
    #[arg(long, value_name = "E", default_value_t = 0)]
    pub epoch: u64,
    /// Where the files are written
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[derive(Clone, Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub instance: InstanceArgs,
    /// Create the seed file when it does not exist
    #[arg(long)]
    pub init: bool,
    /// Replace published files that differ from this instance's (re-keys every user)
    #[arg(long)]
    pub force: bool,
}

#[derive(Clone, Debug, Args)]
pub struct UserKeysArgs {
    #[command(flatten)]
    pub instance: InstanceArgs,
    /// A user (slot) whose key to write; repeat for several
    #[arg(long = "user", value_name = "SLOT", required = true)]
    pub slots: Vec<u32>,
}

fn instance(a: &InstanceArgs, init: bool) -> anyhow::Result<KeyAuthority> {
    anyhow::ensure!(
        (1..=MAX_USERS).contains(&a.users),
        "--users must be 1 to {MAX_USERS}"
    );
    if init && !a.secret_file.exists() {
        KeyAuthoritySecret::generate()?.save(&a.secret_file)?;
    }
    let secret = KeyAuthoritySecret::load(&a.secret_file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.secret_file.display()))?;
    let enrolled: RoaringBitmap = (1..=a.users).collect();
    Ok(secret.instance(a.users, &enrolled, a.epoch)?)
}

/// `publish`: prints `published: DIR` once both files are written.
pub fn publish(a: &PublishArgs) -> anyhow::Result<()> {
    let authority = instance(&a.instance, a.init)?;
    let p = authority.publish();
    let dir = &a.instance.out_dir;
    std::fs::create_dir_all(dir)?;
    let files = [
        (dir.join(PARAMS_FILE), &p.params),
        (dir.join(ENCRYPTION_KEY_FILE), &p.encryption_key),
    ];
    for (path, bytes) in &files {
        if let Ok(old) = std::fs::read(path) {
            anyhow::ensure!(
                old == **bytes || a.force,
                "{} holds another instance's parameters (another seed, --users or --epoch):                  replacing them re-keys every user; pass --force to do so",
                path.display()
            );
        }
    }
    // Each file whole or not at all: written beside, then renamed over.
    for (path, bytes) in &files {
        let tmp = path.with_extension("bin.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
    }
    println!("published: {}", dir.display());
    Ok(())
}

/// `user-keys`: refuses a slot outside 1..=N, and a key file that exists (never overwritten),
/// before writing anything; a slot named twice is written once.
pub fn user_keys(a: &UserKeysArgs) -> anyhow::Result<()> {
    let slots: std::collections::BTreeSet<u32> = a.slots.iter().copied().collect();
    for &u in &slots {
        let path = user_key_file(&a.instance.out_dir, u);
        anyhow::ensure!(!path.exists(), "{} exists: not overwritten", path.display());
    }
    let authority = instance(&a.instance, false)?;
    let keys = slots
        .iter()
        .map(|&u| {
            authority
                .user_key(u)
                .map(|k| (u, k))
                .map_err(|e| anyhow::anyhow!("user {u}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    std::fs::create_dir_all(&a.instance.out_dir)?;
    for (u, k) in keys {
        let path = user_key_file(&a.instance.out_dir, u);
        let bytes = Zeroizing::new(k.to_bytes());
        bithive_secret_file::create_new(&path, Zeroizing::new(bytes.to_vec()))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        println!("user key: {}", path.display());
    }
    Ok(())
}
