//! Runs one inference job and prints its attestable result as JSON.
//!
//! bithive-infer [--config inference.toml] --model NAME (--row v1,v2,... | --image FILE)
//!               [--job-id ID] [--consensus MODEL]... [--peer LABEL]... [--status]
//!
//! The config's environment overrides apply (ORT_DYLIB_PATH, BITHIVE_INFERENCE_*).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bithive_inference::{Engine, EngineConfig, Job, JobInput};

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let mut config_path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/inference.toml"));
    let (mut model, mut input, mut job_id) = (None, None, "cli-job".to_string());
    let (mut consensus, mut peers, mut status) = (Vec::new(), Vec::new(), false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--config" => config_path = PathBuf::from(val()?),
            "--model" => model = Some(val()?),
            "--job-id" => job_id = val()?,
            "--consensus" => consensus.push(val()?),
            "--peer" => peers.push(val()?),
            "--status" => status = true,
            "--row" => {
                let row = val()?
                    .split(',')
                    .map(|v| v.trim().parse::<f32>())
                    .collect::<Result<Vec<_>, _>>()
                    .context("--row takes comma-separated numbers")?;
                input = Some(JobInput::Tabular(row));
            }
            "--image" => {
                let path = val()?;
                input = Some(JobInput::Image(
                    std::fs::read(&path).with_context(|| format!("read {path}"))?,
                ));
            }
            other => bail!("unknown argument {other} (see the source header for usage)"),
        }
    }
    let config = EngineConfig::load(&config_path)?;
    let engine = Engine::start(config)?;
    if status {
        println!("{}", serde_json::to_string_pretty(&engine.status())?);
        return Ok(());
    }
    let model = model.context("--model is required")?;
    let input = input.context("--row or --image is required")?;
    let mut job = Job::new(job_id, model, input);
    job.consensus_models = consensus;
    job.peer_labels = peers;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(engine.infer(&job))?;
    engine.shutdown();
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
