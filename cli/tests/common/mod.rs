//! Helpers of the tests that run on a real wasmd node (`scripts/wasmd-net.sh`), and the demo's
//! table rows, and a raw HTTP/1.1 client for the servers' tests. Each test crate uses part of it.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_cli::demo::platform::{client, new_mnemonic, DENOM, PREFIX};
use bithive_cli::deploy::{deploy, DeployConfig, Deployment};
use bithive_devnet::{Devnet, DevnetConfig, DevnetHandle, GenesisAccount};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Governance `gov` routes `chain_id` over `channel_id` in the attestation contract
/// `attestation`.
pub async fn set_route(gov: &ChainClient, attestation: &str, chain_id: &str, channel_id: &str) {
    bithive_cli::demo::platform::exec(
        gov,
        attestation,
        &bithive_interface::attestation::ExecuteMsg::SetRoute {
            chain_id: chain_id.into(),
            channel_id: Some(channel_id.into()),
        },
        "route",
    )
    .await
    .unwrap();
}

/// Calls `probe` every `every` until it answers `Ok`; once `within` has passed since `started`,
/// fails with its last `Err` (what is still missing).
pub async fn poll<T>(
    started: Instant,
    within: Duration,
    every: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(why) => assert!(started.elapsed() < within, "{why}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// `scripts/wasmd-net.sh ARGS` (a local wasmd network: start, stop, stop-node, start-node),
/// which must succeed.
pub fn wasmd_net(args: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/wasmd-net.sh");
    let out = std::process::Command::new(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wasmd-net.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every validator's RPC of a `wasmd-net.env` (`WASMD_RPCS`, validator 0 first), or its one
/// `WASMD_RPC` for a net written before several validators.
pub fn wasmd_rpcs(env: &BTreeMap<String, String>) -> Vec<String> {
    match env.get("WASMD_RPCS") {
        Some(v) => v
            .trim_matches('"')
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        None => vec![env["WASMD_RPC"].clone()],
    }
}

/// The `KEY=value` lines of a `wasmd-net.env` (`scripts/wasmd-net.sh env`).
pub fn wasmd_env_file(path: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A devnet (chain `chain_id`, 100 ms blocks) whose genesis funds a fresh key, and everything
/// that key deployed there with the committed artifacts (the default plan): the devnet, the
/// deployer's client and the deployment.
pub async fn deployed_devnet(chain_id: &str) -> (DevnetHandle, ChainClient, Deployment) {
    let (devnet, deployer, _, deployment) = deployed_devnet_with_dao(chain_id, 0).await;
    (devnet, deployer, deployment)
}

/// [`deployed_devnet`] governed by a DAO of `members` funded accounts (weight 1 each, a
/// 60-second voting period; none: no DAO), with their clients.
pub async fn deployed_devnet_with_dao(
    chain_id: &str,
    members: usize,
) -> (DevnetHandle, ChainClient, Vec<ChainClient>, Deployment) {
    deployed_devnet_with(chain_id, members, vec![]).await
}

/// [`deployed_devnet_with_dao`], the deployment minting `btk` to the accounts it names (as on a
/// test chain; on a real one every BTK comes from emission).
pub async fn deployed_devnet_with(
    chain_id: &str,
    members: usize,
    btk: Vec<cw20::Cw20Coin>,
) -> (DevnetHandle, ChainClient, Vec<ChainClient>, Deployment) {
    use bithive_cli::deploy::{DaoMember, DaoParams};
    let key = || OperatorKey::from_mnemonic(&new_mnemonic().unwrap(), PREFIX).unwrap();
    let deployer_key = key();
    let member_keys: Vec<OperatorKey> = (0..members).map(|_| key()).collect();
    let config = DevnetConfig {
        chain_id: chain_id.into(),
        block_time_ms: 100,
        rpc_listen: ([127, 0, 0, 1], 0).into(),
        genesis_accounts: std::iter::once(&deployer_key)
            .chain(&member_keys)
            .map(|k| GenesisAccount {
                address: k.address().to_string(),
                coins: format!("1000000000000{DENOM}"),
            })
            .collect(),
        ..DevnetConfig::default()
    };
    let devnet = Devnet::start(config).await.unwrap();
    let dao = (members > 0).then(|| DaoParams {
        members: member_keys
            .iter()
            .map(|k| DaoMember {
                addr: k.address().to_string(),
                weight: 1,
            })
            .collect(),
        voting_period_seconds: 60,
        ..DaoParams::default()
    });
    let deployer = client(&devnet.rpc_url(), chain_id, deployer_key).unwrap();
    let members = member_keys
        .into_iter()
        .map(|k| client(&devnet.rpc_url(), chain_id, k).unwrap())
        .collect();
    let plan = DeployConfig {
        artifacts: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
        dao,
        test_btk_allocations: btk,
        ..DeployConfig::default()
    };
    let deployment = deploy(&deployer, &plan, &mut |_| {}).await.unwrap();
    (devnet, deployer, members, deployment)
}

/// `from` sends `amount` `denom` to `to` (a bank `MsgSend`), committed.
pub async fn bank_send(from: &ChainClient, to: &str, amount: u128, denom: &str) {
    let msg = from.send_msg(to, &[(amount, denom)]).unwrap();
    from.submit(vec![msg], "").await.unwrap();
}

/// Rows of the demo's closing table on any chain (the devnet adds "vesting released" after its
/// two simulated months; an external chain "app pool claim").
pub const STORY_ROWS: &[&str] = &[
    "contracts deployed",
    "inference job",
    "event -> attestation",
    "escrow to node",
    "research request",
    "BitChat delivery",
    "pledges",
    "node compute reward",
    "model registry",
    "data vault",
    "private query",
    "demo wall time",
];

/// One HTTP/1.1 request; returns (status, lower-cased head, body).
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// A command's stdout, asserting it succeeded (its output in the failure message).
pub fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// [`ok`], its stdout parsed as one JSON value (`--json`).
pub fn ok_json(out: std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// Asserts a command failed saying `expected` on stderr.
pub fn refused(out: std::process::Output, expected: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected a refusal ({expected})");
    assert!(err.contains(expected), "{err}");
}

/// `who`'s balance of cw20 `token`.
pub async fn cw20_balance(client: &ChainClient, token: &str, who: &str) -> u128 {
    let b: cw20::BalanceResponse = client
        .query_typed(
            token,
            &cw20::Cw20QueryMsg::Balance {
                address: who.into(),
            },
        )
        .await
        .unwrap();
    b.balance.u128()
}

/// Fresh keys `names` in the keyring file `keyring`, each sent 10 BHIVE by `funder` for fees:
/// their addresses by name.
pub async fn funded_keys(
    keyring: &std::path::Path,
    funder: &ChainClient,
    names: &[&'static str],
) -> BTreeMap<&'static str, String> {
    let keyring = bithive_relayer::keyring::Keyring::new(keyring);
    let mut addr = BTreeMap::new();
    for &name in names {
        keyring.add(name, &new_mnemonic().unwrap(), PREFIX).unwrap();
        let k = keyring.get(name, PREFIX).unwrap();
        bank_send(funder, k.address(), 10_000_000, DENOM).await;
        addr.insert(name, k.address().to_string());
    }
    addr
}

/// A temporary home holding `d` as `deployment.json`, as `bithive deploy` writes it.
pub fn home_with(d: &Deployment) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deployment.json"),
        serde_json::to_vec(d).unwrap(),
    )
    .unwrap();
    dir
}

/// `bithive COMMAND ARGS` against the deployment in `home` (its `deployment.json` and
/// `keyring.json`), over `rpc`, signed by keyring key `key`.
pub fn bithive_as(
    home: &std::path::Path,
    rpc: &str,
    key: &str,
    command: &str,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bithive"))
        .arg(command)
        .args(args)
        .arg("--deployment")
        .arg(home.join("deployment.json"))
        .args(["--rpc", rpc])
        .arg("--keyring")
        .arg(home.join("keyring.json"))
        .args(["--key", key])
        .output()
        .unwrap()
}
