//! bithive-relayer: `start --config relayer.toml`, `keys add|list|show`.
use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use bithive_relayer::config::Config;
use bithive_relayer::keyring::Keyring;

const USAGE: &str = "usage:
  bithive-relayer start --config relayer.toml
  bithive-relayer keys add NAME [--mnemonic-file FILE] [--prefix bithive] [--keyring FILE]
      (without --mnemonic-file the mnemonic is read from stdin)
  bithive-relayer keys list [--prefix bithive] [--keyring FILE]
  bithive-relayer keys show NAME [--prefix bithive] [--keyring FILE]
The mnemonic of key NAME may also come from BITHIVE_RELAYER_MNEMONIC_<NAME>.";

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn positional(args: &[String]) -> Option<String> {
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

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("start") => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .json()
                .init();
            let path =
                PathBuf::from(flag(&args, "--config").unwrap_or_else(|| "relayer.toml".into()));
            let cfg = Config::load(&path)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(bithive_relayer::runtime::run(cfg))?;
            Ok(())
        }
        Some("keys") => keys(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            bail!("unknown command")
        }
    }
}

fn keys(args: &[String]) -> anyhow::Result<()> {
    let keyring = Keyring::new(flag(args, "--keyring").unwrap_or_else(|| "keyring.json".into()));
    let prefix = flag(args, "--prefix").unwrap_or_else(|| "bithive".into());
    let rest = &args[1.min(args.len())..];
    match args.first().map(String::as_str) {
        Some("add") => {
            let name = positional(rest).context("keys add NAME")?;
            let mut mnemonic = match flag(args, "--mnemonic-file") {
                Some(f) => std::fs::read_to_string(&f).with_context(|| format!("reading {f}"))?,
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s
                }
            };
            let r = keyring.add(&name, &mnemonic, &prefix);
            zeroize::Zeroize::zeroize(&mut mnemonic);
            println!("{name}\t{}", r?);
        }
        Some("list") => {
            for name in keyring.names()? {
                let addr = keyring.get(&name, &prefix)?;
                println!("{name}\t{}", addr.address());
            }
        }
        Some("show") => {
            let name = positional(rest).context("keys show NAME")?;
            let k = keyring.get(&name, &prefix)?;
            println!(
                "{name}\t{}\t{}",
                k.address(),
                hex::encode(k.public_key_compressed())
            );
        }
        _ => {
            eprintln!("{USAGE}");
            bail!("unknown keys command")
        }
    }
    Ok(())
}
