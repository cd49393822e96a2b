//! `bithive-devnet [--config devnet.toml] [--home DIR] [--rpc ADDR] [--block-time-ms N]
//!  [--genesis-account ADDR=COINS]...`: runs a local chain until Ctrl-C / SIGTERM.

use anyhow::{bail, Context};
use bithive_devnet::{Devnet, DevnetConfig, GenesisAccount};

fn parse_args() -> anyhow::Result<DevnetConfig> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = DevnetConfig::default();
    if let Some(i) = args.iter().position(|a| a == "--config") {
        let path = args.get(i + 1).context("--config needs a path")?;
        config = DevnetConfig::from_file(std::path::Path::new(path))?;
    } else {
        config.apply_env(|k| std::env::var(k).ok())?;
    }
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--config" => {
                value()?;
            }
            "--home" => config.home = Some(value()?.into()),
            "--rpc" => config.rpc_listen = value()?.parse()?,
            "--block-time-ms" => config.block_time_ms = value()?.parse()?,
            "--chain-id" => config.chain_id = value()?.clone(),
            "--genesis-account" => {
                let v = value()?;
                let (address, coins) = v.split_once('=').context("ADDR=COINS")?;
                config.genesis_accounts.push(GenesisAccount {
                    address: address.into(),
                    coins: coins.into(),
                });
            }
            "-h" | "--help" => {
                println!("usage: bithive-devnet [--config FILE] [--home DIR] [--rpc ADDR] [--block-time-ms N] [--chain-id ID] [--genesis-account ADDR=COINS]...");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = parse_args()?;
    let handle = Devnet::start(config).await?;
    println!("rpc: {}", handle.rpc_url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    handle.shutdown().await;
    Ok(())
}
