//! Builds the per-chain pipelines from the config and runs them with the metrics server until
//! SIGTERM or ctrl-c.
use bithive_deploy_plan::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_chain_client::client::ConfirmConfig;
use bithive_chain_client::{ChainClient, FailoverRpc, HttpEndpoint, RpcEndpoint};

use crate::config::{ChainConfig, Config, JobKind};
use crate::error::RelayerError;
use crate::http::{self, HealthView};
use crate::keyring::Keyring;
use crate::metrics::Metrics;
use crate::pipeline::{ChainRelayer, Failpoint, SubmitTarget};
use crate::store::Store;

pub const KILL_AT_ENV: &str = "BITHIVE_RELAYER_KILL_AT";
use crate::worker::JobWorker;
use zeroize::Zeroize;

/// The workers the chains' `jobs` ask for, each built once (one inference engine, one BitChat
/// node) and shared by every chain that serves its kind.
pub struct Workers {
    by_kind: BTreeMap<JobKind, Arc<dyn JobWorker>>,
    matching: Option<Arc<crate::matching_worker::MatchingWorker>>,
}

impl Workers {
    pub async fn build(cfg: &Config, keyring: &Keyring) -> Result<Self, RelayerError> {
        let kinds: BTreeSet<JobKind> = cfg.chains.iter().flat_map(|c| c.jobs.clone()).collect();
        let mut w = Workers {
            by_kind: BTreeMap::new(),
            matching: None,
        };
        for k in kinds {
            let worker: Arc<dyn JobWorker> = match k {
                JobKind::Inference => inference_worker(cfg)?,
                JobKind::Matching => {
                    let m = Arc::new(matching_worker(cfg, keyring).await?);
                    w.matching = Some(m.clone());
                    m
                }
            };
            w.by_kind.insert(k, worker);
        }
        Ok(w)
    }

    /// The workers of one chain's `jobs`.
    pub fn for_kinds(&self, kinds: &[JobKind]) -> Vec<Arc<dyn JobWorker>> {
        kinds
            .iter()
            .filter_map(|k| self.by_kind.get(k).cloned())
            .collect()
    }

    pub async fn shutdown(&self) {
        if let Some(m) = &self.matching {
            m.shutdown().await;
        }
    }
}

async fn matching_worker(
    cfg: &Config,
    keyring: &Keyring,
) -> Result<crate::matching_worker::MatchingWorker, RelayerError> {
    let section = cfg.matching.as_ref().ok_or_else(|| {
        RelayerError::Config("jobs include matching but there is no [matching] section".into())
    })?;
    // The prefix only shapes the address; the BitChat identity is the key's secret.
    let prefix = cfg
        .chains
        .first()
        .map(|c| c.account_prefix.as_str())
        .unwrap_or("bithive");
    let key = keyring.get(&section.key, prefix)?;
    let mut secret: [u8; 32] = key.k256().to_bytes().into();
    let worker = crate::matching_worker::MatchingWorker::start(section, &secret).await;
    secret.zeroize();
    worker
}

#[cfg(feature = "inference")]
fn inference_worker(cfg: &Config) -> Result<Arc<dyn JobWorker>, RelayerError> {
    let section = cfg.inference.as_ref().ok_or_else(|| {
        RelayerError::Config("jobs include inference but there is no [inference] section".into())
    })?;
    let mut worker = crate::inference_worker::InferenceWorker::from_config_file(&section.config)?
        .with_explanations(crate::explanations::ExplanationStore::beside(&cfg.db_path));
    if let Some(sealed) = &section.sealed_models {
        let models = crate::inference_worker::SealedModels::open(sealed, worker.engine())?;
        worker = worker.with_sealed_models(models);
    }
    Ok(Arc::new(worker))
}

/// The published benchmark workload ([`crate::benchmark`]) on the runtime of this relayer's
/// `[inference]` engine (a node answers on its GPU where it has one); with `cpu_only`, on the
/// CPU provider whatever the engine uses (an attestor checks answers against one fixed
/// provider, so that every attestor compares the same way). `None` without `[inference]`.
#[cfg(feature = "inference")]
pub fn workload(
    cfg: &Config,
    cpu_only: bool,
) -> Result<Option<Arc<dyn crate::benchmark::WorkloadRunner>>, RelayerError> {
    let Some(section) = &cfg.inference else {
        return Ok(None);
    };
    let engine = bithive_inference::EngineConfig::load(&section.config)
        .map_err(|e| RelayerError::Config(format!("inference: {e}")))?;
    let mut rc = engine.runtime;
    if cpu_only {
        rc.execution_provider = bithive_inference::ExecutionProviderKind::Cpu;
    }
    let runtime = bithive_inference::runtime::Runtime::load(&rc)
        .map_err(|e| RelayerError::Config(format!("inference runtime: {e}")))?;
    let w = bithive_inference::workload::Workload::load(&runtime)
        .map_err(|e| RelayerError::Config(format!("benchmark workload: {e}")))?;
    tracing::info!(
        macs_per_input = w.macs_per_input(),
        provider = %runtime.provider(),
        "benchmark workload loaded"
    );
    Ok(Some(Arc::new(w)))
}

/// What an attestor re-runs paid jobs with (ADR 007, decision 6): the `[inference]` engine's
/// models on the CPU provider (every attestor compares the same way), sealed models opened with
/// this relayer's key where it is a recipient. `None` without `[inference]`.
#[cfg(feature = "inference")]
pub fn reexecution_runner(
    cfg: &Config,
) -> Result<Option<Arc<dyn crate::reexecution::Rerun>>, RelayerError> {
    let Some(section) = &cfg.inference else {
        return Ok(None);
    };
    let mut ec = bithive_inference::EngineConfig::load(&section.config)
        .map_err(|e| RelayerError::Config(format!("inference: {e}")))?;
    ec.runtime.execution_provider = bithive_inference::ExecutionProviderKind::Cpu;
    let engine = bithive_inference::Engine::start(ec)
        .map_err(|e| RelayerError::Config(format!("inference runtime: {e}")))?;
    let mut worker = crate::inference_worker::InferenceWorker::new(Arc::new(engine));
    if let Some(sealed) = &section.sealed_models {
        let models = crate::inference_worker::SealedModels::open(sealed, worker.engine())?;
        worker = worker.with_sealed_models(models);
    }
    Ok(Some(Arc::new(worker)))
}

#[cfg(not(feature = "inference"))]
pub fn reexecution_runner(
    _cfg: &Config,
) -> Result<Option<Arc<dyn crate::reexecution::Rerun>>, RelayerError> {
    Ok(None)
}

#[cfg(not(feature = "inference"))]
pub fn workload(
    _cfg: &Config,
    _cpu_only: bool,
) -> Result<Option<Arc<dyn crate::benchmark::WorkloadRunner>>, RelayerError> {
    Ok(None)
}

#[cfg(not(feature = "inference"))]
fn inference_worker(_cfg: &Config) -> Result<Arc<dyn JobWorker>, RelayerError> {
    Err(RelayerError::Config(
        "this bithive-relayer was built without the `inference` feature".into(),
    ))
}

/// The client of chain `c` (its RPC endpoints with failover, signing with its keyring key).
pub fn chain_client(
    c: &ChainConfig,
    keyring: &Keyring,
) -> Result<(Arc<ChainClient>, Arc<FailoverRpc>), RelayerError> {
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
    Ok((client, failover))
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
    let workers = Workers::build(&cfg, &keyring).await?;
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut health = Vec::new();
    // Clients first: a chain that attests on another (`attest_on`) shares that chain's client.
    let mut clients = BTreeMap::new();
    for c in &cfg.chains {
        let (client, failover) = chain_client(c, &keyring)?;
        tracing::info!(chain = %c.chain_id, operator = %client.address(), endpoints = c.rpc.len(), attest_on = ?c.attest_on, "chain configured");
        clients.insert(c.chain_id.clone(), (client, failover));
    }
    for c in &cfg.chains {
        let (client, failover) = clients
            .get(&c.chain_id)
            .cloned()
            .ok_or_else(|| RelayerError::Config(format!("chain {}: no client", c.chain_id)))?;
        let submit = match &c.attest_on {
            None => None,
            Some(target) => {
                let t = cfg
                    .chains
                    .iter()
                    .find(|t| &t.chain_id == target)
                    .ok_or_else(|| RelayerError::Config(format!("attest_on {target}: unknown")))?;
                let (tc, _) = clients.get(target).cloned().ok_or_else(|| {
                    RelayerError::Config(format!("attest_on {target}: no client"))
                })?;
                Some(SubmitTarget {
                    client: tc,
                    attestation: t.contract(Role::Attestation)?.to_string(),
                })
            }
        };
        let relayer = ChainRelayer::new(
            c.clone(),
            client,
            Some(failover),
            store.clone(),
            workers.for_kinds(&c.jobs),
            metrics.clone(),
        )
        .with_submit_target(submit);
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
    if let Some(dp) = &cfg.dp {
        let chain = cfg.chain(&dp.chain_id, "dp.chain_id")?;
        let (client, _) = clients.get(&dp.chain_id).cloned().ok_or_else(|| {
            RelayerError::Config(format!("dp.chain_id {}: no client", dp.chain_id))
        })?;
        // The answering account is the chain's operator key; its Noise key is derived from it.
        let mut secret: [u8; 32] = client.key().k256().to_bytes().into();
        let answerer = crate::dp_answerer::DpAnswerer::new(
            dp,
            chain.contract(Role::DataVault)?.to_string(),
            &secret,
        );
        secret.zeroize();
        let answerer = answerer?;
        let (metrics, stop) = (metrics.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(answerer.run(client, metrics, stop)));
    }
    // What this attestor publishes for the others (served on probe_addr).
    let published = crate::reporter::Published::new();
    // The node answers on its engine's runtime; the attestor checks on the CPU.
    let workload_node = if cfg.probe_addr.is_some() {
        workload(&cfg, false)?
    } else {
        None
    };
    if let Some(a) = &cfg.attestor {
        let chain = cfg.chain(&a.chain_id, "attestor.chain_id")?;
        let (client, _) = clients.get(&a.chain_id).cloned().ok_or_else(|| {
            RelayerError::Config(format!("attestor.chain_id {}: no client", a.chain_id))
        })?;
        let runner = workload(&cfg, true)?.ok_or_else(|| {
            RelayerError::Config("[attestor] needs the benchmark workload ([inference])".into())
        })?;
        let prober = crate::attestor::prober(a, chain, &client, &cfg.db_path)
            .await?
            .with_benchmarks(
                crate::attestor::Bencher {
                    runner,
                    per_epoch: a.bench_per_epoch,
                    inputs: a.bench_inputs,
                    timeout: Duration::from_millis(a.bench_timeout_ms),
                },
                client.key().k256(),
            )
            .map_err(|e| RelayerError::Config(format!("attestor: {e}")))?;
        let reporter = crate::reporter::Reporter::new(
            crate::reporter::ReporterConfig {
                staking: chain.contract(Role::Staking)?.to_string(),
                rewards: chain.contract(Role::Rewards)?.to_string(),
                attestation: chain.contract(Role::Attestation)?.to_string(),
                settle: a.report_delay_seconds,
                timeout: Duration::from_millis(a.timeout_ms),
            },
            client.key().k256().clone(),
            published.clone(),
            Store::open(&cfg.db_path)?,
        );
        let stop = stop_rx.clone();
        let tick = Duration::from_millis(a.tick_ms);
        if a.reexec_rate > 0.0 {
            let runner = reexecution_runner(&cfg)?.ok_or_else(|| {
                RelayerError::Config("[attestor] re-executes jobs with [inference]".into())
            })?;
            let reexecutor = crate::reexecution::Reexecutor::new(
                crate::reexecution::ReexecutorConfig {
                    staking: chain.contract(Role::Staking)?.to_string(),
                    attestation: chain.contract(Role::Attestation)?.to_string(),
                    escrow: chain.contract(Role::PayfiEscrow)?.to_string(),
                    rate: a.reexec_rate,
                    timeout: Duration::from_millis(a.timeout_ms),
                },
                client.key().k256().clone(),
                runner,
                published.clone(),
                Store::open(&cfg.db_path)?,
            );
            // Its own task: a slow re-run never delays a probe.
            let every = tick.max(Duration::from_secs(1));
            tasks.push(tokio::spawn(reexecutor.run(
                client.clone(),
                every,
                stop.clone(),
            )));
        }
        // The close in a task of its own: its waits on the other attestors and on blocks never
        // hold a probe or a challenge back.
        let publish = (published.clone(), client.key().k256().clone());
        tasks.push(tokio::spawn(reporter.run(
            client.clone(),
            prober.clock(),
            tick,
            stop.clone(),
        )));
        tasks.push(tokio::spawn(prober.run(client, tick, Some(publish), stop)));
    }
    let mut refreshers = Vec::new();
    let mut stopping = None;
    let probe_server = match &cfg.probe_addr {
        Some(addr) => {
            let bench = workload_node
                .clone()
                .map(crate::attestor::BenchService::new);
            if bench.is_none() {
                tracing::warn!(
                    "no [inference] engine: this node cannot answer benchmark challenges, and \
                     attestors report no compute work without a measured Pcompute"
                );
            }
            let mut answering = Vec::new();
            for c in cfg.chains.iter() {
                let Some(node) = &c.node else { continue };
                let (client, _) = clients.get(&c.chain_id).cloned().ok_or_else(|| {
                    RelayerError::Config(format!("chain {}: no client", c.chain_id))
                })?;
                answering.push((
                    c.chain_id.clone(),
                    c.contract(Role::Staking)?.to_string(),
                    node.clone(),
                    client.key().k256().clone(),
                ));
                if let Some(bench) = &bench {
                    // Only the current attestor set's requests are run: its keys, kept current.
                    let (bench, staking) = (bench.clone(), c.contract(Role::Staking)?.to_string());
                    let chain_id = client.chain_id().to_string();
                    refreshers.push(tokio::spawn(bench.keep_attestors_current(
                        chain_id,
                        move || {
                            let (client, staking) = (client.clone(), staking.clone());
                            async move { crate::attestor::attestor_keys(&client, &staking).await }
                        },
                        Duration::from_secs(60),
                        Duration::from_secs(1),
                    )));
                }
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| RelayerError::Config(format!("probe_addr {addr}: {e}")))?;
            tracing::info!(%addr, chains = answering.len(), "answering availability probes");
            let mut responder =
                crate::attestor::ProbeResponder::new(answering).with_published(published.clone());
            if let Some(bench) = bench {
                responder = responder.with_benchmarks(bench);
            }
            stopping = Some(responder.stopping());
            let responder = Arc::new(responder);
            Some(tokio::spawn(bithive_bitchat::endpoint::serve_async(
                listener,
                cfg.metrics_limits,
                move |path: String| responder.clone().answer(path),
            )))
        }
        None => None,
    };
    let server = match &cfg.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| RelayerError::Config(format!("metrics_addr {addr}: {e}")))?;
            tracing::info!(%addr, "serving /metrics and /health");
            Some(tokio::spawn(http::serve(
                listener,
                cfg.metrics_limits,
                metrics.clone(),
                Arc::new(HealthView { chains: health }),
                Some(crate::explanations::ExplanationStore::beside(&cfg.db_path)),
            )))
        }
        None => None,
    };
    shutdown.await;
    tracing::info!("shutdown requested: finishing the round in progress");
    // A stopping node takes no new work: its probes and benchmark requests are refused from
    // now on, so attestors count it down from the moment it stops, not from whenever its last
    // round ends (a round can wait seconds on a commit). What an attestor published for the
    // others' epoch close is still served while its tasks finish.
    if let Some(flag) = &stopping {
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let _ = stop_tx.send(true);
    let mut result = Ok(());
    for t in tasks {
        match t.await {
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(RelayerError::Config(format!("chain task panicked: {e}"))),
            Ok(Ok(())) => {}
        }
    }
    for s in [server, probe_server]
        .into_iter()
        .flatten()
        .chain(refreshers)
    {
        s.abort();
    }
    workers.shutdown().await;
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
