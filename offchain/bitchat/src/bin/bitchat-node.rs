//! BitChat node daemon: `bitchat-node CONFIG.toml` (env overrides `BITCHAT_*`, see config.rs).
//! Serves Prometheus metrics on `metrics_listen` and shuts down gracefully on Ctrl-C.

use std::sync::Arc;

use anyhow::{Context, Result};
use bithive_bitchat::config::DaemonConfig;
use bithive_bitchat::endpoint::{self, Reply};
use bithive_bitchat::{CongestionChoice, Node, NodeConfig, NodeIdentity, StaticAllowlist};
use bithive_secret_file::Zeroizing;

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let path = std::env::args()
        .nth(1)
        .context("usage: bitchat-node CONFIG.toml")?;
    let mut cfg = DaemonConfig::from_toml(&std::fs::read_to_string(&path)?)?;
    cfg.apply_env(|k| std::env::var(k).ok())?;

    let identity = read_identity(&cfg.account_secret_file)?;

    let registry = Arc::new(StaticAllowlist::new());
    for p in &cfg.peers {
        registry.insert(p.record()?);
    }
    let mut node_cfg = NodeConfig::new(cfg.listen, cfg.data_dir.clone());
    node_cfg.cc = cfg.congestion.parse::<CongestionChoice>()?;
    node_cfg.relay = cfg.relay;
    node_cfg.relays = cfg.relays.clone();
    tracing::info!(
        account = %identity.account_id(),
        noise_pubkey = %hex::encode(identity.noise_public()),
        listen = %cfg.listen,
        congestion = %node_cfg.cc,
        relay = cfg.relay,
        "starting bitchat node"
    );
    let node = Node::start(node_cfg, identity, registry).await?;

    if let Some(addr) = cfg.metrics_listen {
        let metrics = node.metrics().clone();
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "metrics on /metrics");
        // Issue #27: accept errors back off; idle clients are capped and timed out.
        tokio::spawn(endpoint::serve(
            listener,
            cfg.metrics_limits,
            move |path: &str| match path {
                "/metrics" => Reply::ok("text/plain; version=0.0.4", metrics.render()),
                _ => Reply::not_found(),
            },
        ));
    }

    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    node.shutdown().await;
    Ok(())
}

/// The account key from its file (32 bytes of hex, mode 0600: refused when others can read it).
/// Every copy of the secret is zeroized; errors never include the file's content.
fn read_identity(path: &std::path::Path) -> Result<NodeIdentity> {
    let text = bithive_secret_file::read(path).context("reading the account secret file")?;
    let mut secret = Zeroizing::new([0u8; 32]);
    let trimmed = text.trim_ascii();
    if trimmed.len() != 64 || hex::decode_to_slice(trimmed, &mut secret[..]).is_err() {
        anyhow::bail!(
            "{}: the account secret must be 32 bytes of hex",
            path.display()
        );
    }
    Ok(NodeIdentity::from_secret(&secret)?)
}
