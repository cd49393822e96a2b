//! `relayer start` with `probe_addr` and `[attestor]`, on the devnet with the whole deployment
//! and real time: a node's relayer answers probes and benchmark challenges on its endpoint, and
//! an attestor's relayer, given nothing but its config, finds the node in staking, probes and
//! benchmarks it through a whole rewards epoch (on the real engine, ONNX Runtime from
//! ORT_DYLIB_PATH) and publishes its signed tallies for the other attestors when the epoch ends.
#![cfg(feature = "inference")]
mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use bithive_deploy_plan::{DeployConfig, Role};
use bithive_interface::rewards::{Config as RewardsConfig, QueryMsg as RewardsQuery};
use bithive_relayer::config::{AttestorSection, ChainConfig, Config};
use bithive_relayer::keyring::Keyring;
use bithive_relayer::work_report::TallyShare;
use common::{
    bond, bond_attestor, client, devnet_funding, get, http, register, set_endpoint, CHAIN, DENOM,
    PLEDGE_4T,
};

const EPOCH: u64 = 12;

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn chain(rpc: &str, key: &str, node: &str, contracts: BTreeMap<String, String>) -> ChainConfig {
    ChainConfig {
        chain_id: CHAIN.into(),
        rpc: vec![rpc.into()],
        compat: Default::default(),
        rpc_timeout_ms: 2_000,
        account_prefix: "bithive".into(),
        key: key.into(),
        gas_price: 0.025,
        gas_adjustment: 1.4,
        max_gas_price: 0.1,
        fee_denom: DENOM.into(),
        max_gas: 60_000_000,
        contracts,
        jobs: vec![],
        poll_interval_ms: 200,
        start_height: None,
        batch_size: 10,
        blocks_per_poll: 50,
        confirm_timeout_ms: 10_000,
        attest_on: None,
        node: Some(node.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attestor_relayer_probes_a_node_through_an_epoch_and_publishes_its_tallies() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::new(dir.path().join("keyring.json"));
    let mut keys = Vec::new();
    for (i, name) in ["gov", "node", "attestor"].iter().enumerate() {
        let m = bip39::Mnemonic::from_entropy(&[i as u8 + 40; 32]).unwrap();
        keyring.add(name, &m.to_string(), "bithive").unwrap();
        keys.push(keyring.get(name, "bithive").unwrap());
    }
    let devnet = devnet_funding(&keys.iter().collect::<Vec<_>>(), 250).await;
    let rpc = devnet.rpc_url();
    let gov = client(http(&devnet), keys[0].clone());
    let d = bithive_deploy_plan::chain::deploy(
        &gov,
        &DeployConfig {
            artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
            rewards_epoch_seconds: EPOCH,
            // The node's pledge (only pledged nodes are benchmarked) and the attestor's bond.
            test_btk_allocations: vec![
                cw20::Cw20Coin {
                    address: keys[1].address().to_string(),
                    amount: PLEDGE_4T.into(),
                },
                cw20::Cw20Coin {
                    address: keys[2].address().to_string(),
                    amount: 100_000_000u128.into(),
                },
            ],
            ..DeployConfig::default()
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    let (node_addr, attestor_addr) = (free_addr(), free_addr());
    for (k, addr) in [(&keys[1], node_addr), (&keys[2], attestor_addr)] {
        register(&gov, &d.contracts.staking, &devnet, k).await;
        let url = format!("http://{addr}");
        set_endpoint(
            &client(http(&devnet), k.clone()),
            &d.contracts.staking,
            &url,
        )
        .await;
    }
    // The node is pledged; the attestor is bonded and in the attestor set (the node runs
    // benchmarks only for members).
    bond(&d, &client(http(&devnet), keys[1].clone()), PLEDGE_4T).await;
    bond_attestor(&gov, &d, &client(http(&devnet), keys[2].clone())).await;
    let contracts: BTreeMap<String, String> = [
        Role::Staking,
        Role::Rewards,
        Role::Attestation,
        Role::PayfiEscrow,
    ]
    .into_iter()
    .map(|r| (r.name().to_string(), d.contracts.get(r).to_string()))
    .collect();
    // The engine's runtime from the environment (ORT_DYLIB_PATH); no models of its own.
    let engine = dir.path().join("engine.toml");
    std::fs::write(&engine, "").unwrap();
    let config = |name: &str, i: usize, addr: SocketAddr, attestor: bool| Config {
        db_path: dir.path().join(format!("{name}.sqlite")),
        metrics_addr: None,
        metrics_limits: Default::default(),
        keyring: dir.path().join("keyring.json"),
        chains: vec![chain(&rpc, name, keys[i].address(), contracts.clone())],
        inference: Some(bithive_relayer::config::InferenceSection {
            config: engine.clone(),
            sealed_models: None,
        }),
        matching: None,
        dp: None,
        probe_addr: Some(addr.to_string()),
        attestor: attestor.then(|| AttestorSection {
            chain_id: CHAIN.into(),
            probes_per_epoch: 4,
            timeout_ms: 2_000,
            late_seconds: 2,
            tick_ms: 200,
            report_delay_seconds: 6,
            bench_per_epoch: 2,
            bench_inputs: 8,
            bench_timeout_ms: 5_000,
            reexec_rate: 1.0,
        }),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut relayers = Vec::new();
    for cfg in [
        config("node", 1, node_addr, false),
        config("attestor", 2, attestor_addr, true),
    ] {
        cfg.validate().unwrap();
        let mut stop = stop_rx.clone();
        relayers.push(tokio::spawn(bithive_relayer::runtime::run_until(
            cfg,
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        )));
    }

    // The first epoch the attestor sees from its start: the one after the current.
    let rewards: RewardsConfig = gov
        .query_typed(&d.contracts.rewards, &RewardsQuery::Config {})
        .await
        .unwrap();
    let now = gov.rpc().latest_block_time().await.unwrap();
    let epoch = (now - rewards.genesis) / EPOCH + 1;
    let url = format!("http://{attestor_addr}/tallies/{CHAIN}/{epoch}");
    let deadline = Instant::now() + Duration::from_secs(4 * EPOCH + 30);
    let share: TallyShare = loop {
        assert!(Instant::now() < deadline, "no tallies published at {url}");
        if let Some((200, body)) = get(&url).await {
            break serde_json::from_str(&body).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let _ = stop_tx.send(true);
    for r in relayers {
        r.await.unwrap().unwrap();
    }

    assert!(share.verify(), "signed by the attestor's operator key");
    assert_eq!(
        share.signature.key.0,
        keys[2].public_key_compressed(),
        "the attestor's key"
    );
    assert_eq!((share.chain_id.as_str(), share.epoch), (CHAIN, epoch));
    let node = keys[1].address();
    let t = share
        .tallies
        .iter()
        .find(|t| t.node == node)
        .expect("the node was probed");
    assert_eq!(
        (t.answered, t.probed),
        (4, 4),
        "up all epoch: every probe answered"
    );
    // Its compute was measured by the attestor's own clock on the published workload, and its
    // power is its meter's (where this machine exposes RAPL) or its tier's declared figure.
    let bench = t.bench.expect("the node's benchmark passed");
    assert!(bench.pcompute > cosmwasm_std::Decimal::zero(), "{bench:?}");
    assert!(
        bench.penergy >= cosmwasm_std::Decimal::from_ratio(65u8, 2u8),
        "{bench:?}"
    );
    assert!(
        share.tallies.iter().all(|t| t.node != keys[2].address()),
        "an attestor never probes its own node"
    );
}
