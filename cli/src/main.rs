//! `bithive`: devnet, deploy, relayer, keys and the end-to-end demo.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use bithive_chain_client::{ChainClient, CompatVersion, ConfirmConfig, GasConfig, HttpEndpoint};
use bithive_cli::{demo, deploy};
use bithive_relayer::cli::flag;

const USAGE: &str = "usage:
  bithive demo [--home DIR] [--artifacts DIR] [--inference-config FILE] [--block-time-ms N]
  bithive devnet start [--config devnet.toml] [--home DIR] [--rpc ADDR] [--block-time-ms N] ...
  bithive deploy --rpc URL --chain-id ID --key NAME [--keyring FILE] [--prefix P]
                 [--config deploy.toml] [--out deployment.json] [--gas-price 0.025] [--fee-denom D]
  bithive relayer start --config relayer.toml
  bithive keys add|list|show ...";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    match args.first().map(String::as_str) {
        Some("demo") => run_demo(rest),
        Some("devnet") if rest.first().map(String::as_str) == Some("start") => {
            init_logs();
            let config = bithive_devnet::cli::config_from_args(&rest[1..])?;
            tokio::runtime::Runtime::new()?
                .block_on(bithive_devnet::cli::run_until_signal(config))?;
            Ok(())
        }
        Some("deploy") => run_deploy(rest),
        Some("relayer") if rest.first().map(String::as_str) == Some("start") => {
            Ok(bithive_relayer::cli::start(&rest[1..])?)
        }
        Some("keys") => Ok(bithive_relayer::cli::keys(rest)?),
        _ => {
            eprintln!("{USAGE}");
            bail!("unknown command")
        }
    }
}

fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

fn run_demo(args: &[String]) -> anyhow::Result<()> {
    init_logs();
    let mut opts = demo::default_options(Path::new("."));
    if let Some(h) = flag(args, "--home") {
        opts.home = h.into();
    }
    if let Some(a) = flag(args, "--artifacts") {
        opts.artifacts = a.into();
    }
    if let Some(i) = flag(args, "--inference-config") {
        opts.inference_config = i.into();
    }
    if let Some(b) = flag(args, "--block-time-ms") {
        opts.block_time_ms = b.parse().context("--block-time-ms")?;
    }
    let rt = tokio::runtime::Runtime::new()?;
    let mut step = 0;
    let report = rt.block_on(demo::run(&opts, &mut |line: &str| {
        step += 1;
        println!("[{step:>2}] {line}");
    }))?;
    println!("\nBitHive demo: done ({})\n", opts.home.display());
    print!("{}", report.table());
    Ok(())
}

fn run_deploy(args: &[String]) -> anyhow::Result<()> {
    init_logs();
    let rpc = flag(args, "--rpc").context("--rpc URL")?;
    let chain_id = flag(args, "--chain-id").context("--chain-id ID")?;
    let key_name = flag(args, "--key").context("--key NAME (from the keyring)")?;
    let prefix = flag(args, "--prefix").unwrap_or_else(|| "bithive".into());
    let keyring = bithive_relayer::keyring::Keyring::new(
        flag(args, "--keyring").unwrap_or_else(|| "keyring.json".into()),
    );
    let key = keyring.get(&key_name, &prefix)?;
    let config = match flag(args, "--config") {
        Some(p) => deploy::DeployConfig::from_toml(
            &std::fs::read_to_string(&p).with_context(|| format!("reading {p}"))?,
        )?,
        None => deploy::DeployConfig::default(),
    };
    let gas_price: f64 = flag(args, "--gas-price")
        .map(|s| s.parse())
        .transpose()
        .context("--gas-price")?
        .unwrap_or(0.025);
    let gas = GasConfig {
        gas_price,
        gas_adjustment: 1.4,
        max_gas_price: gas_price * 4.0,
        fee_denom: flag(args, "--fee-denom").unwrap_or_else(|| "ubhive".into()),
        max_gas: 60_000_000,
    };
    let endpoint = HttpEndpoint::new(&rpc, CompatVersion::V038, Duration::from_secs(20))?;
    let client = ChainClient::new(
        Arc::new(endpoint),
        &chain_id,
        key,
        gas,
        ConfirmConfig::default(),
    )?;
    let out = PathBuf::from(flag(args, "--out").unwrap_or_else(|| "deployment.json".into()));
    let rt = tokio::runtime::Runtime::new()?;
    let d = rt.block_on(deploy::deploy(&client, &config, &mut |s: &str| {
        println!("{s}")
    }))?;
    std::fs::write(&out, serde_json::to_string_pretty(&d)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("deployment written to {}", out.display());
    Ok(())
}
