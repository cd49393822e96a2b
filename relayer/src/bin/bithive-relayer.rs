//! bithive-relayer: `start --config relayer.toml`, `keys add|list|show`, `completions SHELL`
//! (flags in `bithive_relayer::cli`, shared with `bithive relayer|keys`).
use clap::Parser;

fn main() -> anyhow::Result<()> {
    bithive_relayer::cli::run(bithive_relayer::cli::RelayerCli::parse())?;
    Ok(())
}
