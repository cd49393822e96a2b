//! bithive-relayer: `start --config relayer.toml`, `keys add|list|show`.
use bithive_relayer::cli;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("start") => cli::start(&args[1..])?,
        Some("keys") => cli::keys(&args[1..])?,
        _ => {
            eprintln!("{}", cli::USAGE);
            anyhow::bail!("unknown command")
        }
    }
    Ok(())
}
