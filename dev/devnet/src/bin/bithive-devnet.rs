//! `bithive-devnet [--config devnet.toml] [--home DIR] [--rpc ADDR] [--block-time-ms N]
//!  [--genesis-account ADDR=COINS]...`: runs a local chain until Ctrl-C / SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{}", bithive_devnet::cli::USAGE);
        return Ok(());
    }
    let config = bithive_devnet::cli::config_from_args(&args)?;
    bithive_devnet::cli::run_until_signal(config).await?;
    Ok(())
}
