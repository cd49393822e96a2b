//! The relayer's differential-privacy answerer on the devnet with the real artifacts, attacked:
//! - a record owner joins a dataset with a record key the answerer cannot open, to stop every
//!   query of that dataset;
//! - a record owner declares the sha256 of one ciphertext (say, one an issuer endorsed) while its
//!   content id points at other bytes, to have fabricated values counted.
//!
//! The answerer leaves both members out (its `member_skipped` count says so) and answers from the
//! others.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bithive_chain_client::ChainClient;
use bithive_cli::demo::platform::{
    bitchat_identity, exec, exec_outcome, query, Platform, PlatformOptions, DAY, DENOM,
};
use bithive_content_store::record::{key_header, seal_record};
use bithive_content_store::ContentStore;
use bithive_interface::data_vault::{
    events, Admission, AssetInfo, CreateDatasetMsg, DpQuery, DpQueryStatus, ExecuteMsg, QueryKind,
    QueryMsg, RecordMsg, RecordType, SubmitQueryMsg,
};
use bithive_interface::WASM_EVENT;
use cosmwasm_std::{Binary, Decimal, HexBinary, Timestamp, Uint128};
use sha2::{Digest, Sha256};

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn attr(out: &bithive_chain_client::TxOutcome, key: &str) -> String {
    out.attr(WASM_EVENT, key).unwrap().to_string()
}

/// `owner` stores a lab panel in the node's store, mints it and returns (token id, record key,
/// the ciphertext's sha256).
async fn record(
    p: &Platform,
    store: &bithive_content_store::LocalStore,
    owner: &ChainClient,
    value: i64,
) -> (String, [u8; 32], [u8; 32]) {
    record_declaring(p, store, owner, value, None).await
}

/// [`record`], declaring `declared` as the ciphertext's sha256 instead of the stored bytes'.
async fn record_declaring(
    p: &Platform,
    store: &bithive_content_store::LocalStore,
    owner: &ChainClient,
    value: i64,
    declared: Option<[u8; 32]>,
) -> (String, [u8; 32], [u8; 32]) {
    let plain = format!(r#"{{"hba1c_mmol_mol":{value}}}"#);
    let (sealed, key) = seal_record(plain.as_bytes()).unwrap();
    let cid = store.put(&sealed).await.unwrap();
    let sha256 = declared.unwrap_or_else(|| Sha256::digest(&sealed).into());
    let mint = ExecuteMsg::Mint {
        record: RecordMsg {
            content_id: cid.to_string(),
            record_type: RecordType::LabPanel,
            size: sealed.len() as u64,
            ciphertext_sha256: HexBinary::from(sha256.as_slice()),
        },
    };
    let out = exec_outcome(owner, &p.deployment.contracts.data_vault, &mint, "mint")
        .await
        .unwrap();
    (attr(&out, events::attr::TOKEN_ID), key, sha256)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_with_an_unreadable_key_does_not_stop_the_dataset() {
    assert!(
        std::env::var_os("ORT_DYLIB_PATH").is_some(),
        "ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)"
    );
    let dir = tempfile::tempdir().unwrap();
    let opts = PlatformOptions {
        home: dir.path().join("p"),
        artifacts: root().join("artifacts"),
        inference_config: root().join("offchain/inference/inference.toml"),
        block_time_ms: 200,
        chain_id: None,
        external: None,
    };
    let p = Platform::start(opts, &mut |_| {}).await.unwrap();
    let mut cfg = p.relayer_config().await.unwrap();
    bithive_cli::demo::aim::enable_dp(&mut cfg, &p).unwrap();
    // Its /metrics, to see which members it left out.
    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    cfg.metrics_addr = Some(metrics_addr.to_string());
    let store = bithive_cli::demo::aim::content_store(&p).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relayer = tokio::spawn(bithive_relayer::runtime::run_until(cfg, async move {
        let _ = stop_rx.await;
    }));
    let vault = p.deployment.contracts.data_vault.clone();
    // The DAO appoints the deployer's account a curator (it creates the dataset) and the
    // relayer's operator account the answerer.
    let answerer = p.operator_key.address().to_string();
    let curator = ExecuteMsg::UpdateCurators {
        add: vec![p.gov.address().to_string()],
        remove: vec![],
    };
    let add = ExecuteMsg::UpdateAnswerers {
        add: vec![answerer.clone()],
        remove: vec![],
    };
    p.govern(
        "a curator and the answerer",
        vec![
            (vault.clone(), serde_json::to_value(curator).unwrap()),
            (vault.clone(), serde_json::to_value(add).unwrap()),
        ],
    )
    .await
    .unwrap();

    let created = exec_outcome(
        &p.gov,
        &vault,
        &ExecuteMsg::CreateDataset(CreateDatasetMsg {
            name: "attacked".into(),
            record_type: RecordType::LabPanel,
            total_epsilon: Decimal::percent(200),
            max_query_epsilon: Decimal::one(),
            price_asset: AssetInfo::Native(DENOM.into()),
            price_per_epsilon: Uint128::new(1_000),
            max_querier_epsilon: Decimal::percent(200),
            query_ttl_seconds: DAY,
            max_members: 100,
            // Open: the attacker's record gets in; the answerer must cope with it.
            admission: Admission::Open {},
        }),
        "create dataset",
    )
    .await
    .unwrap();
    let dataset_id: u64 = attr(&created, events::attr::DATASET_ID).parse().unwrap();
    let answerer_noise = bitchat_identity(&p.operator_key).unwrap().noise_public();
    let now = p.gov.rpc().latest_block_time().await.unwrap();
    let join = |token_id: &str, wrapped: Vec<u8>| ExecuteMsg::JoinDataset {
        dataset_id,
        token_id: token_id.into(),
        expires_at: Timestamp::from_seconds(now + 30 * DAY),
        wrapped_key: Binary::from(wrapped),
    };

    // Two honest members: keys sealed to the answerer, bound to vault, record and answerer.
    let patient_id = bitchat_identity(p.patient.key()).unwrap();
    let seal_key = |token: &str, key: &[u8; 32]| {
        patient_id
            .seal_to(&answerer_noise, &key_header(&vault, token, &answerer), key)
            .unwrap()
    };
    let mut honest_sha256 = [0u8; 32];
    for value in [50, 60] {
        let (token, key, sha256) = record(&p, &store, &p.patient, value).await;
        honest_sha256 = sha256;
        exec(
            &p.patient,
            &vault,
            &join(&token, seal_key(&token, &key)),
            "join",
        )
        .await
        .unwrap();
    }
    // The forger: a readable key, but the record names an honest ciphertext's sha256 while its
    // content id holds a fabricated value.
    let (forged, key, _) =
        record_declaring(&p, &store, &p.patient, 9_999, Some(honest_sha256)).await;
    exec(
        &p.patient,
        &vault,
        &join(&forged, seal_key(&forged, &key)),
        "join",
    )
    .await
    .unwrap();
    // The attacker: a real record, joined with a key nobody can open.
    let (bad_token, _, _) = record(&p, &store, &p.institute, 70).await;
    exec(
        &p.institute,
        &vault,
        &join(&bad_token, vec![7u8; 96]),
        "join",
    )
    .await
    .unwrap();

    let submit = ExecuteMsg::SubmitQuery(SubmitQueryMsg {
        dataset_id,
        kind: QueryKind::Count {},
        epsilon: Decimal::one(),
    });
    let any = p
        .researcher
        .execute_msg_with_funds(&vault, &submit, &[(1_000, DENOM)])
        .unwrap();
    let out = p.researcher.submit(vec![any], "").await.unwrap();
    let query_id: u64 = attr(&out, events::attr::QUERY_ID).parse().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let q: DpQuery = query(&p.gov, &vault, &QueryMsg::DpQuery { query_id }, "query")
            .await
            .unwrap();
        if q.status != DpQueryStatus::Pending || Instant::now() > deadline {
            break q.status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let DpQueryStatus::Answered { answerer: by, .. } = status else {
        panic!("the query was not answered despite the bad member: {status:?}");
    };
    assert_eq!(by.as_str(), answerer);
    // Exactly the two attacking members were left out, on every pass over the members (each
    // attempt at the query reads them all; a pass is an answer or a failure): the unreadable key
    // and the forged record. Without the sha256 check only the first would be.
    let count = |body: &str, outcome: &str| -> u64 {
        body.lines()
            .filter(|l| !l.starts_with('#') && l.contains("dp_queries_total{"))
            .filter(|l| l.contains(&format!("outcome=\"{outcome}\"")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    // The answer is on chain before the relayer counts it: read until it has.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (passes, skipped, body) = loop {
        let (status, _, body) = common::http(metrics_addr, "GET", "/metrics", "").await;
        assert_eq!(status, 200);
        let passes = count(&body, "answered") + count(&body, "failed");
        if passes >= 1 || Instant::now() > deadline {
            break (passes, count(&body, "member_skipped"), body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(passes >= 1, "{body}");
    assert_eq!(skipped, 2 * passes, "{body}");

    let _ = stop_tx.send(());
    relayer.await.unwrap().unwrap();
    p.shutdown().await;
}
