//! Command-line front of the devnet, shared by `bithive-devnet` and `bithive devnet start`.

use crate::{Devnet, DevnetConfig, DevnetError, GenesisAccount};

pub const USAGE: &str = "usage: devnet start [--config FILE] [--home DIR] [--rpc ADDR] [--block-time-ms N] [--chain-id ID] [--genesis-account ADDR=COINS]...";

/// `--config FILE` first (or the environment alone), then the flags on top.
pub fn config_from_args(args: &[String]) -> Result<DevnetConfig, DevnetError> {
    let bad = |m: String| DevnetError::Config(m);
    let mut config = DevnetConfig::default();
    if let Some(i) = args.iter().position(|a| a == "--config") {
        let path = args
            .get(i + 1)
            .ok_or_else(|| bad("--config needs a path".into()))?;
        config = DevnetConfig::from_file(std::path::Path::new(path))?;
    } else {
        config.apply_env(|k| std::env::var(k).ok())?;
    }
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| bad(format!("{a} needs a value")));
        match a.as_str() {
            "--config" => {
                value()?;
            }
            "--home" => config.home = Some(value()?.into()),
            "--rpc" => {
                config.rpc_listen = value()?.parse().map_err(|e| bad(format!("--rpc: {e}")))?
            }
            "--block-time-ms" => {
                config.block_time_ms = value()?
                    .parse()
                    .map_err(|e| bad(format!("--block-time-ms: {e}")))?
            }
            "--chain-id" => config.chain_id = value()?.clone(),
            "--genesis-account" => {
                let v = value()?;
                let (address, coins) = v
                    .split_once('=')
                    .ok_or_else(|| bad("--genesis-account takes ADDR=COINS".into()))?;
                config.genesis_accounts.push(GenesisAccount {
                    address: address.into(),
                    coins: coins.into(),
                });
            }
            other => return Err(bad(format!("unknown argument {other}\n{USAGE}"))),
        }
    }
    Ok(config)
}

/// Runs the devnet until ctrl-c or SIGTERM; prints the RPC URL once listening.
pub async fn run_until_signal(config: DevnetConfig) -> Result<(), DevnetError> {
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
