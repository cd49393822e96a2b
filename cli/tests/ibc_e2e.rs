//! The IBC path end to end on two devnets with the built-in relay (local simulation of IBC):
//! a job paid on chain B is attested on chain A by a relayer in cross-chain mode (`attest_on`:
//! it watches B and posts on A); A's attestation contract forwards it over its channel, and B's
//! contract checks it again against B's own registry (the operator key is registered on both
//! chains) and pays the node B holds for that key. Both contracts pin each other as peers
//! (connection, port) before the handshake, and B accepts packets only on its route to A. Then
//! a packet times out (B's clock runs past it before it is relayed): nothing is paid, the
//! record stays, a retry delivers it, and nothing is delivered twice, also after B restarts
//! from its block log.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bithive_cli::demo::platform::{exec, query, Platform, PlatformOptions};
use bithive_devnet::ibc::{IbcEnd, IbcLink, RelayStats, CONNECTION_ID};
use bithive_interface::attestation::{
    Accepted, ExecuteMsg as AttestationMsg, Outgoing, PacketStatus, PeerEndpoint,
    QueryMsg as AttestationQuery,
};
use bithive_interface::payfi_escrow::{Job, JobStatus};
use bithive_signed_attestation::{signing, Attestation, AttestationKind, Hash32, PubKey33};
use sha2::{Digest, Sha256};

mod common;

const VERSION: &str = "bithive-attestation-1";
const PRICE: u128 = 2_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn platform(home: &Path, chain_id: &str) -> Platform {
    let opts = PlatformOptions {
        home: home.to_path_buf(),
        artifacts: root().join("artifacts"),
        inference_config: root().join("offchain/inference/inference.toml"),
        block_time_ms: 200,
        chain_id: Some(chain_id.into()),
        external: None,
    };
    Platform::start(opts, &mut |_| {}).await.unwrap()
}

fn end(p: &Platform) -> IbcEnd {
    IbcEnd::new(
        p.devnet().unwrap().node().clone(),
        p.deployment.contracts.attestation.clone(),
    )
}

/// A's node operator attests B's inference job on chain A.
async fn attest_on_a(a: &Platform, b: &Platform, job_id: &str) {
    let secret: [u8; 32] = a.operator_key.k256().to_bytes().into();
    let key = signing::signing_key(&secret).unwrap();
    let now = a.node.rpc().latest_block_time().await.unwrap();
    let att = Attestation {
        chain_id: b.chain_id.clone(),
        contract: b.deployment.contracts.payfi_escrow.clone(),
        job_id: b.job_id(job_id),
        kind: AttestationKind::Inference,
        result_hash: Hash32(Sha256::digest(job_id.as_bytes()).into()),
        commitments: vec![],
        issued_at: now,
        nonce: bithive_cli::demo::platform::random_nonce().unwrap(),
        signer: signing::public_key(&key),
    };
    let signed = signing::sign(att, &key).unwrap();
    exec(
        &a.node,
        &a.deployment.contracts.attestation,
        &AttestationMsg::Submit {
            attestation: signed.attestation,
            signature: signed.signature,
            payload: None,
        },
        "attest on A",
    )
    .await
    .unwrap();
}

async fn job(b: &Platform, job_id: &str) -> Job {
    b.job(job_id).await.unwrap()
}

/// The node a job was reported for (held for the escrow's dispute window, or paid), if any.
async fn paid_node(b: &Platform, job_id: &str) -> Option<String> {
    match job(b, job_id).await.status {
        JobStatus::Reported { node, .. } | JobStatus::Paid { node } => Some(node.into_string()),
        _ => None,
    }
}

async fn packet_status(a: &Platform, id: u64) -> PacketStatus {
    let v: Option<Outgoing> = query(
        &a.gov,
        &a.deployment.contracts.attestation,
        &AttestationQuery::Packet { id },
        "packet",
    )
    .await
    .unwrap();
    v.expect("packet recorded").status
}

/// Governance of `p` (its DAO, by proposal) pins `other`'s attestation contract (over the
/// devnets' connection).
async fn pin_peer(p: &Platform, other: &Platform) {
    let pin = AttestationMsg::UpdatePeers {
        add: vec![PeerEndpoint {
            connection_id: CONNECTION_ID.into(),
            port_id: end(other).port(),
        }],
        remove: vec![],
    };
    p.govern(
        "pin the peer's attestation contract",
        vec![(
            p.deployment.contracts.attestation.clone(),
            serde_json::to_value(pin).unwrap(),
        )],
    )
    .await
    .unwrap();
}

/// Governance of `p` (its DAO, by proposal) routes `chain_id` over `channel_id`.
async fn set_route(p: &Platform, chain_id: &str, channel_id: &str) {
    let route = AttestationMsg::SetRoute {
        chain_id: chain_id.into(),
        channel_id: Some(channel_id.into()),
    };
    p.govern(
        "route a chain's attestations",
        vec![(
            p.deployment.contracts.attestation.clone(),
            serde_json::to_value(route).unwrap(),
        )],
    )
    .await
    .unwrap();
}

async fn pass(link: IbcLink) -> (IbcLink, RelayStats) {
    tokio::task::spawn_blocking(move || {
        let mut link = link;
        let stats = link.relay_pending().unwrap();
        (link, stats)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_paid_on_one_chain_is_attested_from_another_over_ibc() {
    let dir = tempfile::tempdir().unwrap();
    let a = platform(&dir.path().join("a"), "bithive-a").await;
    let mut b = platform(&dir.path().join("b"), "bithive-b").await;
    // A's operator key is registered on B too, by the account that is its node there: B pays
    // whom its own registry names, never whom a packet names.
    let b_node_of_a =
        bithive_cli::demo::platform::client(&b.url, &b.chain_id, b.operator_key.clone()).unwrap();
    b.register_node(&b_node_of_a, &a.operator_key)
        .await
        .unwrap();
    let a_node = b_node_of_a.address().to_string();

    // No channel opens before the peers are pinned.
    let (ea, eb) = (end(&a), end(&b));
    let unpinned = tokio::task::spawn_blocking(move || IbcLink::open(ea, eb, VERSION))
        .await
        .unwrap();
    assert!(unpinned.is_err(), "a channel opened to an unpinned peer");
    pin_peer(&a, &b).await;
    pin_peer(&b, &a).await;

    // Handshake through both contracts' entry points.
    let (ea, eb) = (end(&a), end(&b));
    let link = tokio::task::spawn_blocking(move || IbcLink::open(ea, eb, VERSION))
        .await
        .unwrap()
        .unwrap();
    let (ch_a, ch_b) = (link.channels().0.to_string(), link.channels().1.to_string());
    // A wrong version is refused by the contracts, and allocates nothing.
    let (ea, eb) = (end(&a), end(&b));
    let refused = tokio::task::spawn_blocking(move || IbcLink::open(ea, eb, "ics20-1"))
        .await
        .unwrap();
    assert!(refused.is_err(), "a channel of another version opened");
    set_route(&a, &b.chain_id, &ch_a).await;
    set_route(&b, &a.chain_id, &ch_b).await;

    // 1. A relayer in cross-chain mode: it watches B's escrow, runs the model, and posts the
    // attestation on A (`attest_on`, signed by A's registered operator key); the running relay
    // delivers it to B, whose escrow pays A's node.
    let mut cfg = a.relayer_config().await.unwrap();
    cfg.chains[0].jobs.clear();
    let mut on_b = b.relayer_config().await.unwrap().chains.remove(0);
    on_b.attest_on = Some(a.chain_id.clone());
    // On B the relayer works for A's operator's node there.
    on_b.node = Some(a_node.clone());
    on_b.contracts.remove("attestation");
    cfg.chains.push(on_b);
    cfg.validate().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relayer = tokio::spawn(bithive_relayer::runtime::run_until(cfg, async move {
        let _ = stop_rx.await;
    }));
    let relay = link.spawn(Duration::from_millis(100));
    let before = bithive_cli::demo::platform::native_balance(&b.gov, &a_node)
        .await
        .unwrap();
    b.create_inference_job_for("x-1", PRICE, &a_node)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let j = job(&b, "x-1").await;
        if paid_node(&b, "x-1").await.as_deref() == Some(a_node.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "job x-1 not reported on B: {j:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reported over IBC; the escrow holds it for its dispute window, then pays.
    let waited = b.finalize_job(&b.job_id("x-1")).await.unwrap();
    // A's clock keeps pace with B's (the packet timeouts below compare them).
    a.devnet().unwrap().advance_time(waited).await.unwrap();
    let after = bithive_cli::demo::platform::native_balance(&b.gov, &a_node)
        .await
        .unwrap();
    assert!(after > before, "node not paid on B");
    let deadline = Instant::now() + Duration::from_secs(10);
    while packet_status(&a, 1).await != PacketStatus::Delivered {
        assert!(Instant::now() < deadline, "packet 1 never acknowledged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    relay.stop().await;
    let _ = stop_tx.send(());
    relayer.await.unwrap().unwrap();
    // The record on A is the relayer's (the job's chain and contract are B's).
    let rec: Option<Accepted> = query(
        &a.gov,
        &a.deployment.contracts.attestation,
        &AttestationQuery::Attestation {
            job_id: b.job_id("x-1"),
            kind: AttestationKind::Inference,
            contract: Some(b.deployment.contracts.payfi_escrow.clone()),
            chain_id: Some(b.chain_id.clone()),
        },
        "record on A",
    )
    .await
    .unwrap();
    let rec = rec.expect("x-1 recorded on A");
    assert_eq!(
        rec.attestation.signer,
        PubKey33(a.operator_key.public_key_compressed()),
        "{rec:?}"
    );

    // 2. Timed out: B's clock passes the packet's timeout before anyone relays it.
    b.create_inference_job_for("x-2", PRICE, &a_node)
        .await
        .unwrap();
    attest_on_a(&a, &b, "x-2").await;
    assert_eq!(packet_status(&a, 2).await, PacketStatus::InFlight);
    b.devnet().unwrap().advance_time(700).await.unwrap();
    let link = IbcLink::existing(end(&a), end(&b), ch_a.clone(), ch_b.clone());
    let (link, stats) = pass(link).await;
    assert_eq!((stats.timed_out, stats.received), (1, 0), "{stats:?}");
    assert_eq!(packet_status(&a, 2).await, PacketStatus::TimedOut);
    assert_eq!(paid_node(&b, "x-2").await, None);

    // Retried once A's clock caught up: delivered, paid once.
    a.devnet().unwrap().advance_time(700).await.unwrap();
    exec(
        &a.node,
        &a.deployment.contracts.attestation,
        &AttestationMsg::RetryPacket { id: 2 },
        "retry",
    )
    .await
    .unwrap();
    let (link, stats) = pass(link).await;
    assert_eq!((stats.received, stats.acknowledged), (1, 1), "{stats:?}");
    assert_eq!(packet_status(&a, 2).await, PacketStatus::Delivered);
    assert_eq!(paid_node(&b, "x-2").await, Some(a_node.clone()));
    let (_, stats) = pass(link).await;
    assert!(stats.is_idle(), "relayed twice: {stats:?}");

    // 3. B restarts from its block log: the relayed messages replay with it.
    b.restart_devnet().await.unwrap();
    assert_eq!(paid_node(&b, "x-2").await, Some(a_node.clone()));
    let fresh = IbcLink::existing(end(&a), end(&b), ch_a, ch_b);
    let (_, stats) = pass(fresh).await;
    assert!(stats.is_idle(), "work redone after restart: {stats:?}");
    a.shutdown().await;
    b.shutdown().await;
}
