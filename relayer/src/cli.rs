//! Command-line front of the relayer, shared by `bithive-relayer` and `bithive relayer|keys`.
use std::io::Read;
use std::path::PathBuf;

use crate::config::Config;
use crate::error::RelayerError;
use crate::keyring::Keyring;

pub const USAGE: &str = "usage:
  relayer start --config relayer.toml
  keys add NAME [--mnemonic-file FILE] [--prefix bithive] [--keyring FILE]
      (without --mnemonic-file the mnemonic is read from stdin)
  keys list [--prefix bithive] [--keyring FILE]
  keys show NAME [--prefix bithive] [--keyring FILE]
The mnemonic of key NAME may also come from BITHIVE_RELAYER_MNEMONIC_<NAME>.";

pub fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The first argument that is neither a `--flag` nor a flag's value.
pub fn positional(args: &[String]) -> Option<String> {
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with("--") {
            skip = true;
            continue;
        }
        return Some(a.clone());
    }
    None
}

/// `start --config FILE`: JSON logs, runs until SIGTERM or ctrl-c.
pub fn start(args: &[String]) -> Result<(), RelayerError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .json()
        .init();
    let path = PathBuf::from(flag(args, "--config").unwrap_or_else(|| "relayer.toml".into()));
    let cfg = Config::load(&path)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| RelayerError::Config(format!("tokio runtime: {e}")))?;
    rt.block_on(crate::runtime::run(cfg))
}

/// `keys add|list|show`. Mnemonics are read from a file or stdin, never from arguments, and
/// never printed.
pub fn keys(args: &[String]) -> Result<(), RelayerError> {
    let keyring = Keyring::new(flag(args, "--keyring").unwrap_or_else(|| "keyring.json".into()));
    let prefix = flag(args, "--prefix").unwrap_or_else(|| "bithive".into());
    let rest = &args[1.min(args.len())..];
    let usage = |what: &str| RelayerError::Config(format!("{what}\n{USAGE}"));
    match args.first().map(String::as_str) {
        Some("add") => {
            let name = positional(rest).ok_or_else(|| usage("keys add NAME"))?;
            let mut mnemonic = match flag(args, "--mnemonic-file") {
                Some(f) => std::fs::read_to_string(&f)
                    .map_err(|e| RelayerError::Keyring(format!("reading {f}: {e}")))?,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| RelayerError::Keyring(format!("stdin: {e}")))?;
                    s
                }
            };
            let r = keyring.add(&name, &mnemonic, &prefix);
            zeroize::Zeroize::zeroize(&mut mnemonic);
            println!("{name}\t{}", r?);
        }
        Some("list") => {
            for name in keyring.names()? {
                let k = keyring.get(&name, &prefix)?;
                println!("{name}\t{}", k.address());
            }
        }
        Some("show") => {
            let name = positional(rest).ok_or_else(|| usage("keys show NAME"))?;
            let k = keyring.get(&name, &prefix)?;
            println!(
                "{name}\t{}\t{}",
                k.address(),
                hex::encode(k.public_key_compressed())
            );
        }
        _ => return Err(usage("unknown keys command")),
    }
    Ok(())
}
