//! `bithive-devnet [--config devnet.toml] [--home DIR] [--rpc ADDR] [--block-time-ms N]
//!  [--chain-id ID] [--genesis-account ADDR=COINS]...`: runs a local chain until Ctrl-C / SIGTERM.
use clap::Parser;

/// Single-node local Cosmos chain (CometBFT 0.38 JSON-RPC, CosmWasm artifacts in cosmwasm-vm);
/// runs until ctrl-c or SIGTERM.
#[derive(Parser)]
#[command(name = "bithive-devnet", version)]
struct Cli {
    #[command(flatten)]
    devnet: bithive_devnet::cli::DevnetArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = cli.devnet.to_config()?;
    bithive_devnet::cli::run_until_signal(config).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn help_and_version() {
        super::Cli::command().debug_assert();
        for flag in ["--help", "--version"] {
            let e = super::Cli::command()
                .try_get_matches_from(["bithive-devnet", flag])
                .unwrap_err();
            assert!(matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ));
        }
    }
}
