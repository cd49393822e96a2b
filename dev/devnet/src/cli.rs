//! Command-line front of the devnet, shared by `bithive-devnet` and `bithive devnet start`.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{Devnet, DevnetConfig, DevnetError, GenesisAccount};

/// The devnet's flags. `--config FILE` first (or the defaults), then the `BITHIVE_DEVNET_*`
/// environment, then the flags on top.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DevnetArgs {
    /// TOML configuration (every key optional; `BITHIVE_DEVNET_*` variables override it)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the block log [default: in memory only]
    #[arg(
        long,
        value_name = "DIR",
        env = "BITHIVE_DEVNET_HOME",
        hide_env_values = true
    )]
    pub home: Option<PathBuf>,
    /// JSON-RPC listen address (port 0 picks a free port) [default: 127.0.0.1:26657]
    #[arg(
        long,
        value_name = "ADDR",
        env = "BITHIVE_DEVNET_RPC_LISTEN",
        hide_env_values = true
    )]
    pub rpc: Option<SocketAddr>,
    /// Cosmos SDK REST listen address [default: the RPC's host, port 1317; a free port when the
    /// RPC's port is 0]
    #[arg(
        long,
        value_name = "ADDR",
        env = "BITHIVE_DEVNET_REST_LISTEN",
        hide_env_values = true
    )]
    pub rest: Option<SocketAddr>,
    /// Origins allowed to call RPC and REST from a browser (CORS), comma-separated; `*` for any
    /// [default: *]
    #[arg(
        long,
        value_name = "ORIGINS",
        env = "BITHIVE_DEVNET_CORS_ALLOWED_ORIGINS",
        hide_env_values = true
    )]
    pub cors_allowed_origins: Option<String>,
    /// Block interval in milliseconds; 0 produces blocks only on demand [default: 1000]
    #[arg(
        long,
        value_name = "N",
        env = "BITHIVE_DEVNET_BLOCK_TIME_MS",
        hide_env_values = true
    )]
    pub block_time_ms: Option<u64>,
    /// Chain id [default: bithive-devnet-1]
    #[arg(
        long,
        value_name = "ID",
        env = "BITHIVE_DEVNET_CHAIN_ID",
        hide_env_values = true
    )]
    pub chain_id: Option<String>,
    /// A genesis account and its balances (repeatable), e.g. `bithive1...=1000ubhive,5uatom`
    #[arg(long = "genesis-account", value_name = "ADDR=COINS", value_parser = parse_genesis_account)]
    pub genesis_accounts: Vec<GenesisAccount>,
}

fn parse_genesis_account(v: &str) -> Result<GenesisAccount, String> {
    let (address, coins) = v
        .split_once('=')
        .ok_or_else(|| "takes ADDR=COINS".to_string())?;
    Ok(GenesisAccount {
        address: address.into(),
        coins: coins.into(),
    })
}

impl DevnetArgs {
    /// The configuration these flags describe: the file (or the defaults) with the environment
    /// applied, then the flags.
    pub fn to_config(&self) -> Result<DevnetConfig, DevnetError> {
        let mut config = match &self.config {
            Some(path) => DevnetConfig::from_file(path)?,
            None => {
                let mut c = DevnetConfig::default();
                c.apply_env(|k| std::env::var(k).ok())?;
                c
            }
        };
        if let Some(home) = &self.home {
            config.home = Some(home.clone());
        }
        if let Some(rpc) = self.rpc {
            config.rpc_listen = rpc;
        }
        if let Some(rest) = self.rest {
            config.rest_listen = Some(rest);
        }
        if let Some(origins) = &self.cors_allowed_origins {
            config.cors_allowed_origins = crate::config::split_origins(origins);
        }
        if let Some(ms) = self.block_time_ms {
            config.block_time_ms = ms;
        }
        if let Some(id) = &self.chain_id {
            config.chain_id = id.clone();
        }
        config
            .genesis_accounts
            .extend(self.genesis_accounts.iter().cloned());
        Ok(config)
    }
}

/// Runs the devnet until ctrl-c or SIGTERM; prints the RPC URL once listening.
pub async fn run_until_signal(config: DevnetConfig) -> Result<(), DevnetError> {
    let handle = Devnet::start(config).await?;
    println!("rpc: {}", handle.rpc_url());
    println!("rest: {}", handle.rest_url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    handle.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: DevnetArgs,
    }

    fn parse(args: &[&str]) -> Result<DevnetArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("devnet").chain(args.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn flags_override_defaults() {
        let args = parse(&[
            "--rpc",
            "127.0.0.1:0",
            "--block-time-ms",
            "200",
            "--chain-id",
            "x-1",
            "--home",
            "/tmp/h",
            "--genesis-account",
            "a=1ubhive",
            "--genesis-account",
            "b=2ubhive,3uatom",
        ])
        .unwrap();
        assert_eq!(args.rpc, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(args.block_time_ms, Some(200));
        assert_eq!(args.chain_id.as_deref(), Some("x-1"));
        assert_eq!(args.home, Some(PathBuf::from("/tmp/h")));
        assert_eq!(
            args.genesis_accounts,
            vec![
                GenesisAccount {
                    address: "a".into(),
                    coins: "1ubhive".into()
                },
                GenesisAccount {
                    address: "b".into(),
                    coins: "2ubhive,3uatom".into()
                },
            ]
        );
    }

    #[test]
    fn rest_and_cors_flags() {
        let args = parse(&[
            "--rest",
            "127.0.0.1:1318",
            "--cors-allowed-origins",
            "http://a.example, http://b.example",
        ])
        .unwrap();
        let config = args.to_config().unwrap();
        assert_eq!(
            config.rest_addr(),
            "127.0.0.1:1318".parse::<std::net::SocketAddr>().unwrap()
        );
        assert_eq!(
            config.cors_allowed_origins,
            vec![
                "http://a.example".to_string(),
                "http://b.example".to_string()
            ]
        );
        assert!(parse(&["--rest", "nope"]).is_err());
        // Defaults: the SDK's port 1317 beside the RPC; a free port beside a port-0 RPC.
        let d = crate::DevnetConfig::default();
        assert_eq!(
            d.rest_addr(),
            "127.0.0.1:1317".parse::<std::net::SocketAddr>().unwrap()
        );
        let t = crate::DevnetConfig {
            rpc_listen: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        assert_eq!(t.rest_addr().port(), 0);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse(&["--genesis-account", "no-equals"]).is_err());
        assert!(parse(&["--rpc", "not-an-addr"]).is_err());
        assert!(parse(&["--block-time-ms", "-1"]).is_err());
        assert!(parse(&["--unknown"]).is_err());
        assert!(parse(&["--home"]).is_err());
    }

    #[test]
    fn config_file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("devnet.toml");
        std::fs::write(
            &file,
            "chain_id = \"file-1\"\nblock_time_ms = 5\n[[genesis_accounts]]\naddress = \"f\"\ncoins = \"1ubhive\"\n",
        )
        .unwrap();
        let file_s = file.to_str().unwrap();
        let args = parse(&["--config", file_s, "--chain-id", "flag-1"]).unwrap();
        let config = args.to_config().unwrap();
        assert_eq!(config.chain_id, "flag-1");
        assert_eq!(config.genesis_accounts.len(), 1);
        // BITHIVE_DEVNET_BLOCK_TIME_MS, when a caller sets it, overrides the file like the flag.
        if std::env::var_os("BITHIVE_DEVNET_BLOCK_TIME_MS").is_none() {
            assert_eq!(config.block_time_ms, 5);
        }
    }
}
