//! The relayer on a real chain (#26 item 3; #25 with a voucher): `bithive deploy` on a running
//! wasmd node, a node registered with its operator key, `bithive relayer start` following
//! wasmd's blocks and events with the real inference engine, and an inference job paid through the
//! escrow, attested by the relayer and paid to the node exactly once (price less the escrow fee).
//!
//!     WASMD_NET_ENV=HOME/wasmd-net.env cargo test -p bithive-cli --test wasmd_relayer -- --ignored
//!
//! `scripts/test.d/wasmd.sh` runs it with the job paid in the chain's ubhive;
//! `scripts/test.d/ibc.sh` on chain B with the job paid in the BTT voucher that crossed from A:
//! `JOB_DENOM` names the denom and `JOB_FUNDER_MNEMONIC_FILE` an account holding it, which pays the
//! patient the price first. On a network of several validators (`WASMD_RPCS`) the relayer is
//! given every validator's RPC, validator 0's first; with `WASMD_KILL_VALIDATOR=0` that validator
//! is killed once the relayer runs and restarted after the payout (#42 item 7): the relayer fails
//! over, the job is still attested and paid exactly once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_cli::demo::platform::{
    client, new_mnemonic, register_node_on, relayer_config, DEMO_ROW,
};
use bithive_cli::deploy::{deploy, DeployConfig};
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_interface::payfi_escrow::{
    job_id, CreateJobMsg, ExecuteMsg as EscrowMsg, Job, JobStatus, QueryMsg as EscrowQuery,
};
use bithive_signed_attestation::AttestationKind;
use cosmwasm_std::{Binary, Timestamp};
use tokio::process::Command;

mod common;

const PRICE: u128 = 2_000_000;
const FEE_BPS: u128 = 50;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn wasmd_env() -> BTreeMap<String, String> {
    let path = std::env::var("WASMD_NET_ENV")
        .expect("WASMD_NET_ENV: the wasmd-net.env of a running wasmd net");
    common::wasmd_env_file(&path)
}

fn key(mnemonic_file: &str, prefix: &str) -> OperatorKey {
    let m =
        std::fs::read_to_string(mnemonic_file).unwrap_or_else(|e| panic!("{mnemonic_file}: {e}"));
    OperatorKey::from_mnemonic(m.trim(), prefix).unwrap()
}

async fn balance(c: &ChainClient, addr: &str, denom: &str) -> u128 {
    bithive_cli::demo::platform::native_balance_of(c, addr, denom)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a running wasmd net: WASMD_NET_ENV=HOME/wasmd-net.env (scripts/test.d/wasmd.sh; with WASMD_KILL_VALIDATOR, wasmd-networks.sh)"]
async fn the_relayer_attests_an_inference_job_on_wasmd_and_the_node_is_paid_once() {
    assert!(
        std::env::var_os("ORT_DYLIB_PATH").is_some(),
        "ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)"
    );
    let env = wasmd_env();
    let rpcs = common::wasmd_rpcs(&env);
    let kill: Option<usize> = std::env::var("WASMD_KILL_VALIDATOR")
        .ok()
        .map(|i| i.parse().expect("WASMD_KILL_VALIDATOR: a validator index"));
    if let Some(k) = kill {
        // The last validator serves the test's own clients: never that one.
        assert!(k + 1 < rpcs.len(), "WASMD_KILL_VALIDATOR={k} of {rpcs:?}");
    }
    // The test's own clients talk to the last validator, which is never killed.
    let (rpc, chain_id, prefix) = (
        rpcs.last().unwrap().clone(),
        env["WASMD_CHAIN_ID"].clone(),
        env["WASMD_PREFIX"].clone(),
    );
    let fee_denom = env["WASMD_DENOM"].clone();
    let job_denom = std::env::var("JOB_DENOM").unwrap_or_else(|_| fee_denom.clone());
    let home = tempfile::tempdir().unwrap();

    // Keys: the chain's funded deployer; fresh node, operator and patient keys in a keyring
    // the relayer reads (the operator signs attestations).
    let keyring = bithive_relayer::keyring::Keyring::new(home.path().join("keyring.json"));
    let deployer = key(&env["WASMD_DEPLOYER_MNEMONIC_FILE"], &prefix);
    let mut keys = BTreeMap::new();
    for name in ["node", "operator", "patient"] {
        keyring
            .add(name, &new_mnemonic().unwrap(), &prefix)
            .unwrap();
        keys.insert(name, keyring.get(name, &prefix).unwrap());
    }
    let gov = client(&rpc, &chain_id, deployer).unwrap();
    let node = client(&rpc, &chain_id, keys["node"].clone()).unwrap();
    let patient = client(&rpc, &chain_id, keys["patient"].clone()).unwrap();
    for k in keys.values() {
        common::bank_send(&gov, k.address(), 50_000_000, &fee_denom).await;
    }
    if job_denom != fee_denom {
        let file = std::env::var("JOB_FUNDER_MNEMONIC_FILE")
            .expect("JOB_FUNDER_MNEMONIC_FILE: an account holding JOB_DENOM");
        let funder = client(&rpc, &chain_id, key(&file, &prefix)).unwrap();
        common::bank_send(&funder, patient.address(), PRICE, &job_denom).await;
    }

    // The platform, with jobs paid at the report (no dispute window: there is no clock to move
    // on a real chain in a test).
    let cfg = DeployConfig {
        artifacts: root().join("artifacts"),
        job_dispute_seconds: 0,
        ..DeployConfig::default()
    };
    let d = deploy(&gov, &cfg, &mut |_| {}).await.unwrap();
    let c = &d.contracts;
    register_node_on(&gov, c, &node, &keys["operator"])
        .await
        .unwrap();

    // The relayer daemon on wasmd, with the real inference engine.
    let mut rcfg = relayer_config(
        home.path(),
        &root().join("offchain/inference/inference.toml"),
        &rpc,
        &gov,
        &d,
        node.address(),
    )
    .unwrap();
    rcfg.chains[0].rpc = rpcs.clone();
    // Its /metrics, to see the failover it made.
    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    rcfg.metrics_addr = Some(metrics_addr.to_string());
    let cfg_path = home.path().join("relayer.toml");
    std::fs::write(&cfg_path, toml::to_string(&rcfg).unwrap()).unwrap();
    let mut relayer = Command::new(env!("CARGO_BIN_EXE_bithive"))
        .args(["relayer", "start", "--config"])
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // A validator dies under the relayer (its first endpoint): the relayer must move on. First
    // the relayer is up and following the chain through it.
    if let Some(k) = kill {
        let every = Duration::from_millis(300);
        common::poll(Instant::now(), Duration::from_secs(60), every, async || {
            if tokio::net::TcpStream::connect(metrics_addr).await.is_err() {
                return Err(format!(
                    "the relayer's /metrics at {metrics_addr} is not up"
                ));
            }
            let (status, _, body) = common::http(metrics_addr, "GET", "/metrics", "").await;
            match status == 200 && body.contains("last_processed_height") {
                true => Ok(()),
                false => Err(format!(
                    "the relayer's /metrics at {metrics_addr}: {status}"
                )),
            }
        })
        .await;
        common::wasmd_net(&["stop-node", &env["WASMD_NET_HOME"], &k.to_string()]);
        eprintln!("validator {k} ({}) stopped under the relayer", rpcs[k]);
    }

    // The patient pays for a job bound to the node.
    let node_before = balance(&gov, node.address(), &job_denom).await;
    let now = gov.rpc().latest_block_time().await.unwrap();
    let create = EscrowMsg::CreateJob(CreateJobMsg {
        job_id: "wasmd-inference-1".into(),
        expires_at: Timestamp::from_seconds(now + 86_400),
        model: "bc_logreg".into(),
        input: Binary::from(DEMO_ROW.as_bytes()),
        node: Some(node.address().to_string()),
    });
    let msg = patient
        .execute_msg_with_funds(&c.payfi_escrow, &create, &[(PRICE, job_denom.as_str())])
        .unwrap();
    let created = patient.submit(vec![msg], "").await.unwrap().height;
    let id = job_id(patient.address(), "wasmd-inference-1");

    let started = Instant::now();
    let (within, every) = (Duration::from_secs(180), Duration::from_millis(300));
    let job = common::poll(started, within, every, async || {
        let job: Job = gov
            .query_typed(&c.payfi_escrow, &EscrowQuery::Job { job_id: id.clone() })
            .await
            .unwrap();
        match job.status {
            JobStatus::Paid { .. } => Ok(job),
            ref status => Err(format!(
                "job {id} not paid within 180 s on wasmd: {status:?}"
            )),
        }
    })
    .await;
    let JobStatus::Paid { node: paid_to } = &job.status else {
        unreachable!()
    };
    assert_eq!(paid_to.as_str(), node.address());
    let accepted: Option<Accepted> = gov
        .query_typed(
            &c.attestation,
            &AttestationQuery::Attestation {
                job_id: id.clone(),
                kind: AttestationKind::Inference,
                contract: Some(c.payfi_escrow.clone()),
                chain_id: Some(chain_id.clone()),
            },
        )
        .await
        .unwrap();
    let accepted = accepted.expect("the escrow paid, so the attestation contract accepted one");
    let fee = PRICE * FEE_BPS / 10_000;
    let gained = balance(&gov, node.address(), &job_denom).await - node_before;
    assert_eq!(
        gained,
        PRICE - fee,
        "the node is paid the price less the escrow fee"
    );
    eprintln!(
        "wasmd {chain_id}: job {id} paid in {job_denom} at height {created}, attested by the relayer \
         at height {} ({} blocks), node paid {gained} (fee {fee})",
        accepted.height,
        accepted.height.saturating_sub(created)
    );

    // The relayer got there through another validator: it counted a failover.
    if kill.is_some() {
        let (_, _, body) = common::http(metrics_addr, "GET", "/metrics", "").await;
        let failovers: u64 = body
            .lines()
            .find(|l| !l.starts_with('#') && l.contains("rpc_failovers{"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no rpc_failovers in the relayer's /metrics:\n{body}"));
        assert!(failovers >= 1, "the relayer did not fail over: {failovers}");
        eprintln!("the relayer failed over {failovers} time(s)");
    }
    // Nothing is paid twice: the killed validator back, a few more blocks, the same balance.
    if let Some(k) = kill {
        common::wasmd_net(&["start-node", &env["WASMD_NET_HOME"], &k.to_string()]);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        balance(&gov, node.address(), &job_denom).await - node_before,
        PRICE - fee
    );
    relayer.kill().await.unwrap();
}
