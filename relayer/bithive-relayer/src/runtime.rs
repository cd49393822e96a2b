//! Builds the per-chain supervisors from the config and runs them with the metrics server until
//! SIGTERM or ctrl-c.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{ChainClient, FailoverRpc, HttpEndpoint, RpcEndpoint};

use crate::config::{Config, JobKind};
use crate::error::RelayerError;
use crate::http::{self, HealthView};
use crate::keyring::Keyring;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::supervisor::{ChainRelayer, Failpoint};

pub const KILL_AT_ENV: &str = "BITHIVE_RELAYER_KILL_AT";
use crate::worker::JobWorker;

/// The workers a config asks for.
pub fn build_workers(
    cfg: &Config,
    kinds: &[JobKind],
) -> Result<Vec<Arc<dyn JobWorker>>, RelayerError> {
    let mut out: Vec<Arc<dyn JobWorker>> = Vec::new();
    for k in kinds {
        match k {
            JobKind::Inference => out.push(inference_worker(cfg)?),
        }
    }
    Ok(out)
}

#[cfg(feature = "inference")]
fn inference_worker(cfg: &Config) -> Result<Arc<dyn JobWorker>, RelayerError> {
    let section = cfg.inference.as_ref().ok_or_else(|| {
        RelayerError::Config("jobs include inference but there is no [inference] section".into())
    })?;
    Ok(Arc::new(
        crate::inference_worker::InferenceWorker::from_config_file(&section.config)?,
    ))
}

#[cfg(not(feature = "inference"))]
fn inference_worker(_cfg: &Config) -> Result<Arc<dyn JobWorker>, RelayerError> {
    Err(RelayerError::Config(
        "this bithive-relayer was built without the `inference` feature".into(),
    ))
}

/// Runs until SIGTERM or ctrl-c.
pub async fn run(cfg: Config) -> Result<(), RelayerError> {
    run_until(cfg, shutdown_signal()).await
}

/// Runs until `shutdown` completes (embedders such as `bithive demo` stop it this way).
pub async fn run_until(
    cfg: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), RelayerError> {
    // Crash-test hook: `BITHIVE_RELAYER_KILL_AT=received|working|signed|broadcast-persisted|
    // broadcast-sent` makes the process SIGKILL itself right after that durable write.
    let kill_at = match std::env::var(KILL_AT_ENV) {
        Ok(name) => Some((
            Failpoint::from_env_name(&name)
                .ok_or_else(|| RelayerError::Config(format!("{KILL_AT_ENV}={name}: unknown")))?,
            name,
        )),
        Err(_) => None,
    };
    let keyring = Keyring::new(&cfg.keyring);
    let store = Arc::new(Mutex::new(Store::open(&cfg.db_path)?));
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut health = Vec::new();
    for c in &cfg.chains {
        let timeout = Duration::from_millis(c.rpc_timeout_ms);
        let endpoints = c
            .rpc
            .iter()
            .map(|u| {
                HttpEndpoint::new(u, c.compat, timeout).map(|e| Arc::new(e) as Arc<dyn RpcEndpoint>)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let failover = Arc::new(FailoverRpc::new(endpoints)?);
        let key = keyring.get(&c.key, &c.account_prefix)?;
        tracing::info!(chain = %c.chain_id, operator = %key.address(), endpoints = c.rpc.len(), "chain configured");
        let confirm = ConfirmConfig {
            poll_interval: Duration::from_millis(c.poll_interval_ms.clamp(100, 2_000) / 2),
            timeout: Duration::from_millis(c.confirm_timeout_ms),
        };
        let client = Arc::new(ChainClient::new(
            failover.clone(),
            &c.chain_id,
            key,
            c.gas(),
            confirm,
        )?);
        let workers = build_workers(&cfg, &c.jobs)?;
        let relayer = ChainRelayer::new(
            c.clone(),
            client,
            Some(failover),
            store.clone(),
            workers,
            metrics.clone(),
        );
        health.push((
            c.chain_id.clone(),
            relayer.health.clone(),
            c.poll_interval_ms,
        ));
        let relayer = relayer.with_failpoint(kill_at.clone().map(|(fp, _)| fp));
        let stop = stop_rx.clone();
        let kill = kill_at.is_some();
        tasks.push(tokio::spawn(async move {
            let r = relayer.run(stop).await;
            if kill {
                if let Err(RelayerError::Crash(at)) = &r {
                    // Crash tests: die as `kill -9` would, with no cleanup at all.
                    tracing::warn!(at, "BITHIVE_RELAYER_KILL_AT reached: SIGKILL");
                    // SAFETY: plain libc calls on this process.
                    unsafe {
                        libc::kill(libc::getpid(), libc::SIGKILL);
                    }
                }
            }
            r
        }));
    }
    let server = match &cfg.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| RelayerError::Config(format!("metrics_addr {addr}: {e}")))?;
            tracing::info!(%addr, "serving /metrics and /health");
            Some(tokio::spawn(http::serve(
                listener,
                metrics.clone(),
                Arc::new(HealthView { chains: health }),
            )))
        }
        None => None,
    };
    shutdown.await;
    tracing::info!("shutdown requested: finishing the round in progress");
    let _ = stop_tx.send(true);
    let mut result = Ok(());
    for t in tasks {
        match t.await {
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(RelayerError::Config(format!("chain task panicked: {e}"))),
            Ok(Ok(())) => {}
        }
    }
    if let Some(s) = server {
        s.abort();
    }
    result
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
