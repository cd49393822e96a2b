//! `bithive demo`: the whole platform on one machine. It starts the devnet (the real artifacts in
//! cosmwasm-vm behind CometBFT RPC), deploys and wires every contract with signed transactions,
//! starts a relayer, and runs the story:
//!
//! 1. a node registers in staking with its operator key (the relayer's key);
//! 2. a patient pays for an inference job through payfi-escrow; the relayer sees the event, runs
//!    the model, signs the attestation and posts it; the attestation contract dispatches the
//!    report and the escrow holds the payment for the patient's dispute window;
//! 3. a researcher pays for a research request (blinded criteria sealed to the relayer, an
//!    escrow job); the relayer's matching worker matches it double-blind over blinded tags,
//!    attests (request id, S_i) and sends S_i to the researcher, who encrypts the details to
//!    exactly the matched users with the key authority's public key (DGKBE, BGW variant) and
//!    signs; the relayer forwards that over BitChat to the recipients, who check it against the
//!    chain and decrypt; both jobs' dispute windows pass and the escrow pays the node;
//! 4. two months on, the foundation's emission share has passed its one-month lock and vesting
//!    releases part of it to the treasury;
//! 5. the treasury grants the node its pledge (mining needs one) and three attestors the minimum
//!    bond; staking picks the attestor set from bonded nodes; the node serves a paid job on a
//!    model the attestors measured (its units come from the escrow's payout), answers the three
//!    attestors' probes through a whole rewards epoch, and they close the epoch over their own
//!    endpoints with one quorum report of what they measured (never the node itself); the report
//!    waits out its challenge window and is finalized; the next epoch closes and the node claims
//!    its BTK reward at the full rate (into vesting, as the rewards contract pays it);
//! 6. the AIM story ([`crate::demo::aim`]): an institute publishes a model and is paid per job on it;
//!    a patient stores encrypted records, grants and revokes a researcher's access; a
//!    differentially private count is answered within the dataset's budget and the next query
//!    past it is refused.
//!
//! Every step checks its on-chain result and fails the demo with the step's name when it is not
//! what it should be. Keys are generated fresh for each run and live only in the run's home
//! directory.
//!
//! With `--rpc` (an [`crate::demo::platform::ExternalChain`]) the same story runs on a chain that is
//! already running, wasmd say: a funded account pays the run's fresh keys, the deployment's
//! dispute and challenge windows and its rewards epoch are seconds long, and the story waits them
//! out on the chain's clock. Time is real there, so step 4 becomes one emission crank (emission
//! counts from a day before the deployment) and the treasury's claim as the app pool's first
//! developer (20 % paid at once, which funds the pledges); the node's reward still goes into
//! vesting and an early claim of it is refused.

pub mod aim;
pub mod platform;
pub mod processes;
pub mod research;
mod story;

use std::path::Path;
use std::time::Instant;

use crate::demo::platform::{ctx, fail, write_serialized, Platform};
pub use crate::demo::platform::{DemoError, PlatformOptions as DemoOptions};
use crate::demo::processes::{Ready, RoleProcess};
use crate::deploy::Deployment;

/// One line of the closing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub what: String,
    pub value: String,
}

#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    pub deployment: Deployment,
    pub rows: Vec<Row>,
    /// Blocks from the job's creation to its committed attestation.
    pub attestation_latency_blocks: u64,
    /// The roles the demo ran as their own processes: (role, pid).
    pub processes: Vec<(String, u32)>,
}

impl DemoReport {
    fn row(&mut self, what: &str, value: impl std::fmt::Display) {
        self.rows.push(Row {
            what: what.into(),
            value: value.to_string(),
        });
    }

    /// The summary table, aligned.
    pub fn table(&self) -> String {
        let w = self.rows.iter().map(|r| r.what.len()).max().unwrap_or(0);
        let mut out = String::new();
        for r in &self.rows {
            out.push_str(&format!("  {:<w$}  {}\n", r.what, r.value));
        }
        out
    }
}

/// Runs the demo; `progress` gets one line per step.
pub async fn run(
    opts: &DemoOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<DemoReport, DemoError> {
    run_then(opts, None, progress).await
}

/// After the story, what `--keep-running` keeps up: the devnet and the relayer (so jobs paid from
/// the web app are attested and research requests matched), the blinding service on a free
/// loopback port (`research.json` in the home names it), and the web app served on `listen`,
/// until ctrl-c or SIGTERM.
#[derive(Clone, Debug)]
pub struct KeepRunning {
    pub listen: std::net::SocketAddr,
    /// The built app (`web/dist`).
    pub dist: std::path::PathBuf,
}

/// [`run`], then, with `keep`, serves the web app against the still running platform until a
/// signal; the report comes back after that.
pub async fn run_then(
    opts: &DemoOptions,
    keep: Option<KeepRunning>,
    progress: &mut dyn FnMut(&str),
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let p = Platform::start(opts.clone(), progress).await?;
    let mut report = DemoReport {
        deployment: p.deployment.clone(),
        ..Default::default()
    };
    let instances = ctx!(serde_json::to_value(&p.deployment.contracts), "contracts")?
        .as_object()
        .map_or(0, |m| m.len());
    report.row(
        "contracts deployed",
        format!(
            "{} codes, {instances} contracts, wired",
            p.deployment.codes.len()
        ),
    );

    // Users enroll with the matching node before it starts, through the blinding service (its
    // own process from here on).
    let (enrolled, blinding) = crate::demo::research::enroll(&p, progress).await?;
    let serving = enrolled.serving(&p)?;
    // The relayer, its own process (`bithive relayer start`), serving inference and research
    // requests for the escrow, from its config file in the demo home.
    let mut relayer_cfg = p.relayer_config().await?;
    crate::demo::research::enable_matching(&mut relayer_cfg, &enrolled);
    crate::demo::aim::enable_dp(&mut relayer_cfg, &p)?;
    let model_keys = crate::demo::aim::enable_sealed_models(&mut relayer_cfg, &p)?;
    let health = {
        let l = ctx!(
            std::net::TcpListener::bind(("127.0.0.1", 0)),
            "relayer /health port"
        )?;
        ctx!(l.local_addr(), "relayer /health port")?
    };
    relayer_cfg.metrics_addr = Some(health.to_string());
    let relayer_toml = p.opts.home.join("relayer.toml");
    write_serialized(&relayer_toml, toml::to_string(&relayer_cfg), "relayer.toml")?;
    let relayer = RoleProcess::start(
        "relayer",
        vec![
            "relayer".into(),
            "start".into(),
            "--config".into(),
            relayer_toml.into(),
        ],
        Ready::Listening(health),
        // It finishes the round in progress before it exits.
        std::time::Duration::from_secs(60),
    )
    .await?;
    report.processes = [("blinding service", &blinding), ("relayer", &relayer)]
        .iter()
        .map(|(n, r)| (n.to_string(), r.pid().unwrap_or(0)))
        .collect();
    progress(&format!(
        "relayer started as its own process (pid {}, `bithive relayer start --config relayer.toml`, /health on {}): inference worker on the ONNX models; matching worker with a BitChat node; differential-privacy answerer",
        relayer.pid().unwrap_or(0),
        relayer.ready
    ));
    let mut result = story::story(&p, enrolled, &model_keys, &mut report, progress).await;
    if result.is_ok() {
        match p.governance_summary().await {
            Ok(s) => report.row("governance", s),
            Err(e) => result = Err(e),
        }
    }
    report.row(
        "roles apart",
        format!(
            "{} as their own processes, the key authority's commands too (this one: the chain, users, researcher)",
            report
                .processes
                .iter()
                .map(|(n, pid)| format!("{n} pid {pid}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    if let (Ok(()), Some(keep)) = (&result, keep) {
        result = keep_running(&p, &keep, &serving, health, progress).await;
    }
    let relayer_stopped = relayer.stop().await;
    let blinding_stopped = blinding.stop().await;
    p.shutdown().await;
    result?;
    relayer_stopped?;
    blinding_stopped?;
    report.row(
        "demo wall time",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    Ok(report)
}

/// Serves the blinding service and the web app against the platform until ctrl-c or SIGTERM.
async fn keep_running(
    p: &Platform,
    keep: &KeepRunning,
    serving: &crate::demo::research::ResearchServing,
    relayer_http: std::net::SocketAddr,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    // The blinding service (its own process since enrollment) serves researchers' browsers too
    // (any origin: the app's port may be 0), for admitted accounts only:
    // `bithive blinding admit --admissions <home>/blinding/admissions.json --researcher ADDRESS`.
    let research = p.opts.home.join(crate::demo::research::RESEARCH_FILE);
    let descriptor = serving.descriptor(&p.chain_id);
    write_serialized(
        &research,
        serde_json::to_vec_pretty(&descriptor),
        "research.json",
    )?;

    let config = crate::webapp_server::WebConfig {
        listen: keep.listen,
        dist: keep.dist.clone(),
        deployment: p.opts.home.join("deployment.json"),
        rpc: p.url.clone(),
        rpc_ca: None,
        research: Some(research),
        rpc_timeout: crate::webapp_server::UPSTREAM_TIMEOUT,
        // Patients' images, sealed in the page to the nodes, go to the node's content store;
        // explanations come from the relayer's HTTP server.
        imaging: Some(crate::webapp_server::ImagingConfig {
            sealing_keys: crate::model_keys::ModelKeys::dir(p),
            store: bithive_content_store::NodeStore::Local(crate::demo::aim::content_store(p)?),
            relayer: format!("http://{relayer_http}"),
            max_input_bytes: bithive_inference::config::InputLimits::default().max_image_bytes
                as u64,
        }),
        // A patient's records, sealed in the page, go to the same store.
        records: Some(crate::webapp_server::RecordsConfig {
            store: bithive_content_store::NodeStore::Local(crate::demo::aim::content_store(p)?),
        }),
        // On the devnet, a new wallet user's first fees come from the deployer's key (idle once
        // the story is told); an external chain's funds are not the demo's to give away.
        faucet: match &p.opts.external {
            Some(_) => None,
            None => Some(crate::webapp_server::FaucetConfig {
                client: std::sync::Arc::new(crate::demo::platform::client(
                    &p.url,
                    &p.chain_id,
                    p.gov.key().clone(),
                )?),
                amount: 1_000_000,
                per_hour: 60,
                served_file: p.opts.home.join("faucet-served.txt"),
            }),
        },
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let web = tokio::spawn({
        let stop = stopped(stop_rx.clone());
        async move {
            let mut tx = Some(tx);
            crate::webapp_server::serve(
                &config,
                move |a| {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(a);
                    }
                },
                stop,
            )
            .await
        }
    });
    if let Ok(addr) = rx.await {
        progress(&format!(
            "kept running: web app on http://{addr}/ (chain {}, RPC {}, blinding service {}); ctrl-c stops",
            p.chain_id, p.url, serving.blinding_url
        ));
    }
    // A signal, or the server failing, ends it.
    let mut web = web;
    let first = tokio::select! {
        _ = crate::webapp_server::shutdown_signal() => None,
        r = &mut web => Some(r),
    };
    let _ = stop_tx.send(true);
    let r = match first {
        None => web.await,
        Some(r) => r,
    };
    match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(fail("web app")(&e)),
        Err(e) => Err(fail("server task")(&e)),
    }
}

pub fn default_options(root: &Path) -> DemoOptions {
    DemoOptions {
        home: std::env::temp_dir().join("bithive-demo"),
        artifacts: root.join("artifacts"),
        inference_config: root.join("offchain/inference/inference.toml"),
        block_time_ms: 200,
        chain_id: None,
        external: None,
    }
}
