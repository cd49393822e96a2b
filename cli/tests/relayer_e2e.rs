//! The relayer daemon (the `bithive relayer start` binary) against the devnet, on the real
//! artifacts and inference engine: killed with SIGKILL right after each durable job state, and
//! through a 10 s chain outage. Every job is attested once and paid once.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bithive_cli::demo::platform::{Platform, PlatformOptions};
use bithive_interface::attestation::{AttestationsResponse, QueryMsg as AttestationQuery};
use bithive_relayer::store::{JobState, Store};
use bithive_signed_attestation::PubKey33;
use tokio::process::{Child, Command};

const PRICE: u128 = 2_000_000;
const FEE_BPS: u128 = 50;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn platform(home: &Path) -> Platform {
    assert!(
        std::env::var_os("ORT_DYLIB_PATH").is_some(),
        "ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)"
    );
    let opts = PlatformOptions {
        home: home.to_path_buf(),
        artifacts: root().join("artifacts"),
        inference_config: root().join("offchain/inference/inference.toml"),
        block_time_ms: 200,
        chain_id: None,
        external: None,
    };
    Platform::start(opts, &mut |_| {}).await.unwrap()
}

async fn write_config(p: &Platform) -> PathBuf {
    let path = p.opts.home.join("relayer.toml");
    let text = toml::to_string(&p.relayer_config().await.unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// The relayer's JSON log (its stdout), appended to `relayer.log` beside its config: every run
/// of a test keeps what each relayer it started said, and a failing test prints the end of it.
fn relayer_log(config: &Path) -> PathBuf {
    config.with_file_name("relayer.log")
}

/// Prints the end of the relayers' log when the test fails (CI keeps only the test's output).
struct ShowLogOnFailure(PathBuf);

impl Drop for ShowLogOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(80)..];
        eprintln!(
            "--- the last {} lines of {} ---\n{}",
            tail.len(),
            self.0.display(),
            tail.join("\n")
        );
    }
}

fn relayer(config: &Path, kill_at: Option<&str>) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(relayer_log(config))
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bithive"));
    cmd.args(["relayer", "start", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::from(log))
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    match kill_at {
        Some(at) => cmd.env("BITHIVE_RELAYER_KILL_AT", at),
        None => cmd.env_remove("BITHIVE_RELAYER_KILL_AT"),
    };
    cmd.spawn().unwrap()
}

/// SIGTERM, then the exit status of a graceful stop.
async fn terminate(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().unwrap() as i32;
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("relayer stops within 60 s of SIGTERM")
        .unwrap()
}

/// Attestations the contract accepted from the operator key, by job id.
async fn accepted_jobs(p: &Platform) -> Vec<String> {
    let c = &p.deployment.contracts;
    let q = AttestationQuery::BySigner {
        signer: PubKey33(p.operator_key.public_key_compressed()),
        start_after: None,
        limit: Some(100),
    };
    let v: AttestationsResponse = p.gov.query_typed(&c.attestation, &q).await.unwrap();
    let mut jobs: Vec<String> = v
        .attestations
        .into_iter()
        .map(|(_, accepted)| {
            // The escrow's ids are scoped to the patient: compare the patient's own ids.
            let id = accepted.attestation.job_id;
            let own = p.job_id("");
            id.strip_prefix(&own).map(str::to_string).unwrap_or(id)
        })
        .collect();
    jobs.sort();
    jobs
}

async fn node_balance(p: &Platform) -> u128 {
    bithive_cli::demo::platform::native_balance(&p.node, p.node.address())
        .await
        .unwrap()
}

fn paid(jobs: u128) -> u128 {
    jobs * (PRICE - PRICE * FEE_BPS / 10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relayer_killed_at_each_job_state_attests_every_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = platform(&dir.path().join("crash")).await;
    let config = write_config(&p).await;
    let _log = ShowLogOnFailure(relayer_log(&config));
    let before = node_balance(&p).await;

    let states = [
        "received",
        "working",
        "signed",
        "broadcast-persisted",
        "broadcast-sent",
    ];
    let mut jobs = Vec::new();
    for (i, at) in states.iter().enumerate() {
        let job = format!("crash-{i}");
        p.create_inference_job(&job, PRICE).await.unwrap();
        jobs.push(job);
        let mut child = relayer(&config, Some(at));
        let status = tokio::time::timeout(Duration::from_secs(120), child.wait())
            .await
            .unwrap_or_else(|_| panic!("relayer never reached {at}"))
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "killed at {at}: {status:?}"
        );
    }

    // Restarted without a failpoint, it finishes every job from its database.
    let child = relayer(&config, None);
    for job in &jobs {
        p.wait_reported(job, Duration::from_secs(120))
            .await
            .unwrap();
    }
    let status = terminate(child).await;
    assert!(status.success(), "graceful stop: {status:?}");

    assert_eq!(accepted_jobs(&p).await, jobs, "one attestation per job");
    // Each is paid once its dispute window has passed (and never twice).
    for job in &jobs {
        p.finalize_job(&p.job_id(job)).await.unwrap();
    }
    assert_eq!(node_balance(&p).await - before, paid(jobs.len() as u128));
    let store = Store::open(&p.opts.home.join("relayer.sqlite")).unwrap();
    for job in &jobs {
        // The queue is keyed by the escrow's job id (scoped to the patient).
        let key = format!(
            "{}/{}/inference/{}",
            p.chain_id,
            p.deployment.contracts.payfi_escrow,
            p.job_id(job)
        );
        let rec = store
            .get(&key)
            .unwrap()
            .unwrap_or_else(|| panic!("{key} not in the queue"));
        assert_eq!(rec.state, JobState::Committed, "{key}");
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relayer_rides_out_a_ten_second_chain_outage() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = platform(&dir.path().join("outage")).await;
    let config = write_config(&p).await;
    let _log = ShowLogOnFailure(relayer_log(&config));
    let before = node_balance(&p).await;
    let mut child = relayer(&config, None);

    p.create_inference_job("before", PRICE).await.unwrap();
    p.wait_reported("before", Duration::from_secs(120))
        .await
        .unwrap();

    // A job lands, and the chain goes away at once for 10 s.
    p.create_inference_job("during", PRICE).await.unwrap();
    p.stop_devnet().await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the relayer survives the outage"
    );
    p.restart_devnet().await.unwrap();

    p.create_inference_job("after", PRICE).await.unwrap();
    for job in ["before", "during", "after"] {
        p.wait_reported(job, Duration::from_secs(120))
            .await
            .unwrap();
    }
    let status = terminate(child).await;
    assert!(status.success(), "graceful stop: {status:?}");
    assert_eq!(accepted_jobs(&p).await, ["after", "before", "during"]);
    for job in ["before", "during", "after"] {
        p.finalize_job(&p.job_id(job)).await.unwrap();
    }
    assert_eq!(node_balance(&p).await - before, paid(3));
    p.shutdown().await;
}
