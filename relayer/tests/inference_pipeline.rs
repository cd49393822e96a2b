//! The inference worker on the real engine (offchain/inference, ONNX Runtime from
//! ORT_DYLIB_PATH as exported by scripts/setup.sh) through the whole relayer pipeline: the
//! attestation accepted on chain states the engine's result hash and the input hash.
#![cfg(feature = "inference")]
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bithive_inference::config::{ModelEntry, RuntimeConfig};
use bithive_inference::{Engine, EngineConfig, Job};
use bithive_interface::attestation::{Accepted, QueryMsg as AttestationQuery};
use bithive_relayer::inference_worker::{parse_input, InferenceWorker};
use bithive_signed_attestation::AttestationKind;
use common::*;
use sha2::{Digest, Sha256};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

fn engine() -> Engine {
    let dylib = std::env::var("ORT_DYLIB_PATH").expect("ORT_DYLIB_PATH (source scripts/setup.sh)");
    let cfg = EngineConfig {
        runtime: RuntimeConfig {
            dylib_path: Some(dylib.into()),
            ..RuntimeConfig::default()
        },
        models: vec![ModelEntry {
            manifest: models_dir().join("bc_logreg.toml"),
            sha256: None,
        }],
        ..EngineConfig::default()
    };
    Engine::start(cfg).expect("ONNX Runtime")
}

fn rows() -> Vec<Vec<f32>> {
    let text = std::fs::read_to_string(models_dir().join("bc_test_vectors.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["inputs"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inference_jobs_are_run_and_attested() {
    let engine = Arc::new(engine());
    let mut h = Harness::new(1).await;
    let producer = h.spawn_block_producer(Duration::from_millis(10));
    let inputs: Vec<Vec<u8>> = rows()
        .into_iter()
        .take(3)
        .map(|r| serde_json::to_vec(&r).unwrap())
        .collect();
    let mut ids = Vec::new();
    for i in &inputs {
        ids.push(h.create_job("bc_logreg", i).await);
    }
    // An input the engine refuses (wrong feature count): the job fails, the others go on.
    h.create_job("bc_logreg", b"[1, 2]").await;
    let mut r = h.relayer_with(
        &h.db(),
        10,
        None,
        vec![Arc::new(InferenceWorker::new(engine.clone()))],
    );
    drive(&mut r, Duration::from_secs(60), async || {
        h.accepted().await.len() == 3
    })
    .await;
    for (id, input) in ids.iter().zip(&inputs) {
        let expected = engine
            .infer(&Job::new(
                id.clone(),
                "bc_logreg",
                parse_input(input).unwrap(),
            ))
            .await
            .unwrap();
        let q = AttestationQuery::Attestation {
            job_id: id.clone(),
            kind: AttestationKind::Inference,
            contract: None,
            chain_id: None,
        };
        let accepted: Option<Accepted> = h
            .gov
            .query_typed(&h.d.contracts.attestation, &q)
            .await
            .unwrap();
        let att = accepted.expect("accepted on chain").attestation;
        assert_eq!(att.kind, AttestationKind::Inference);
        assert_eq!(att.result_hash.to_hex(), expected.result_sha256);
        let input_hash: [u8; 32] = Sha256::digest(input).into();
        assert_eq!(att.commitments[0].0, input_hash);
        assert_eq!(att.signer.0, h.key.public_key_compressed());
    }
    // The refused job ends failed, not retried forever.
    drive(&mut r, Duration::from_secs(20), async || {
        let s = bithive_relayer::Store::open(&h.db()).unwrap();
        s.count_by_state()
            .unwrap()
            .contains(&(bithive_relayer::JobState::Failed, 1))
    })
    .await;
    producer.abort();
}
