//! Sealed models (issue #23, theft protection) as the inference worker opens them: fetched from
//! the node's content store by the registry's content id, opened with the node's BGW key in
//! memory, checked against the registered sha256 and served. A model sealed to other nodes, a
//! bundle whose ONNX is not the registered one, and content the store does not hold are refused.
#![cfg(feature = "inference")]

use std::path::{Path, PathBuf};

use bithive_content_store::model::{seal_model, ModelFiles};
use bithive_content_store::{ContentStore, LocalStore, LocalStoreConfig, StoreKey};
use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams};
use bithive_dgkbe::RoaringBitmap;
use bithive_inference::config::RuntimeConfig;
use bithive_inference::{Engine, EngineConfig, Job, JobInput};
use bithive_interface::model_registry::{AssetInfo, Model, ModelResponse};
use bithive_matching::authority::KeyAuthoritySecret;
use bithive_relayer::config::SealedModelsSection;
use bithive_relayer::inference_worker::SealedModels;
use bithive_relayer::worker::WorkError;
use cosmwasm_std::{Addr, Decimal, Timestamp, Uint128};
use sha2::{Digest, Sha256};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

fn engine() -> Engine {
    let dylib = std::env::var("ORT_DYLIB_PATH").expect("ORT_DYLIB_PATH (source scripts/setup.sh)");
    Engine::start(EngineConfig {
        runtime: RuntimeConfig {
            dylib_path: Some(dylib.into()),
            ..RuntimeConfig::default()
        },
        ..EngineConfig::default()
    })
    .expect("ONNX Runtime")
}

fn files(name: &str) -> ModelFiles {
    ModelFiles {
        manifest: std::fs::read_to_string(models_dir().join(format!("{name}.toml"))).unwrap(),
        onnx: std::fs::read(models_dir().join(format!("{name}.onnx")))
            .unwrap()
            .into(),
    }
}

fn record(id: u64, name: &str, onnx_sha256: &str, content_id: &str) -> ModelResponse {
    ModelResponse {
        model: Model {
            id,
            name: name.into(),
            version: 1,
            specialty: "oncology".into(),
            input_spec: "row".into(),
            output_spec: "label".into(),
            onnx_sha256: onnx_sha256.into(),
            content_id: content_id.into(),
            size_bytes: 1,
            price: Uint128::one(),
            owner: Addr::unchecked("institute"),
            licence: "Apache-2.0".into(),
            published_at: Timestamp::from_seconds(1),
            superseded_by: None,
            deprecated: false,
            accuracy: None,
            evaluation: None,
            jobs_served: 0,
            tscore_count: 0,
            tscore_sum: Decimal::zero(),
            run_cost: None,
        },
        mean_tscore: None,
        price_asset: AssetInfo::Native("ubhive".into()),
    }
}

struct Node {
    dir: tempfile::TempDir,
    store: LocalStore,
    pp: BgwPublicParams,
    ek: BgwEncryptionKey,
}

/// A node with BGW index `index` of an 8-slot model key authority, and its content store.
fn node(index: u32) -> (Node, SealedModelsSection) {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f);
    std::fs::write(p("store.key"), hex::encode([7u8; 32])).unwrap();
    let store = LocalStore::open(LocalStoreConfig::new(
        p("store"),
        StoreKey::from_bytes([7u8; 32]),
    ))
    .unwrap();
    let all: RoaringBitmap = (1..=8).collect();
    let authority = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(8, &all, 0)
        .unwrap();
    let published = authority.publish();
    std::fs::write(p("params.bin"), &published.params).unwrap();
    let key = authority.user_key(index).unwrap().to_bytes().to_vec();
    bithive_secret_file::create_new(&p("node.key"), key.into()).unwrap();
    let section = SealedModelsSection {
        store_dir: Some(p("store")),
        store_key_file: Some(p("store.key")),
        ipfs_api: None,
        params_file: p("params.bin"),
        key_file: p("node.key"),
    };
    let pp = authority.public_params();
    let ek = authority.encryption_key();
    (Node { dir, store, pp, ek }, section)
}

async fn put_sealed(n: &Node, name: &str, f: &ModelFiles, to: &[u32]) -> String {
    let set: RoaringBitmap = to.iter().copied().collect();
    let sealed = seal_model(name, f, &set, &n.ek, &n.pp).unwrap();
    n.store.put(&sealed).await.unwrap().to_string()
}

fn permanent(r: Result<String, WorkError>) -> String {
    match r {
        Err(WorkError::Permanent(why)) => why,
        other => panic!("expected a permanent refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_model_is_fetched_by_content_id_opened_in_memory_and_served() {
    let (n, section) = node(1);
    let engine = engine();
    let sealed = SealedModels::open(&section, &engine).unwrap();
    let f = files("bc_logreg");
    let sha = hex::encode(Sha256::digest(&*f.onnx));
    let cid = put_sealed(&n, "bc_logreg", &f, &[1, 2]).await;
    let m = record(1, "bc_logreg", &sha, &cid);
    let name = sealed.load(&m).await.unwrap();
    assert_eq!(name, format!("bc_logreg@{sha}"));
    // Served once: a second job does not open it again.
    assert_eq!(sealed.load(&m).await.unwrap(), name);
    let row: Vec<f32> = serde_json::from_str(demo_row()).unwrap();
    let out = sealed
        .engine()
        .await
        .infer(&Job::new("j", name, JobInput::Tabular(row)))
        .await
        .unwrap();
    assert_eq!(out.model_sha256, sha);
    // Nothing of the plaintext was written next to the store.
    let onnx = &f.onnx[200..264];
    for entry in walk(n.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(onnx.len()).any(|w| w == onnx),
            "{} holds model plaintext",
            entry.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_nodes_models_tampered_files_and_missing_content_are_refused() {
    let (n, section) = node(3);
    let engine = engine();
    let sealed = SealedModels::open(&section, &engine).unwrap();
    let f = files("bc_logreg");
    let sha = hex::encode(Sha256::digest(&*f.onnx));

    // Sealed to nodes 1 and 2 only.
    let cid = put_sealed(&n, "bc_logreg", &f, &[1, 2]).await;
    let why = permanent(sealed.load(&record(1, "bc_logreg", &sha, &cid)).await);
    assert!(why.contains("not sealed to this node"), "{why}");

    // Sealed to this node, but the registry's sha256 is another file's.
    let other = files("bc_gbt");
    let cid = put_sealed(&n, "bc_logreg", &other, &[3]).await;
    let why = permanent(sealed.load(&record(2, "bc_logreg", &sha, &cid)).await);
    assert!(why.contains("the sealed ONNX has sha256"), "{why}");

    // Another model's bundle under this model's record.
    let cid = put_sealed(&n, "bc_gbt", &f, &[3]).await;
    let why = permanent(sealed.load(&record(3, "bc_logreg", &sha, &cid)).await);
    assert!(why.contains("not \"bc_logreg\""), "{why}");

    // Content the store does not hold (yet): retried, not failed.
    let (elsewhere, _) = node(1);
    let absent = put_sealed(&elsewhere, "bc_logreg", &f, &[3]).await;
    assert!(matches!(
        sealed.load(&record(4, "bc_logreg", &sha, &absent)).await,
        Err(WorkError::Retryable(_))
    ));
    assert!(sealed.engine().await.status().is_empty());
}

/// A node key of another epoch than the configured parameters is refused when the worker
/// starts, naming the file and never its content.
#[test]
fn a_key_of_another_epoch_is_refused_at_start() {
    let (_node, section) = node(1);
    let all: RoaringBitmap = (1..=8).collect();
    let later = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(8, &all, 1)
        .unwrap()
        .publish()
        .params;
    std::fs::write(&section.params_file, later).unwrap();
    let Err(e) = SealedModels::open(&section, &engine()) else {
        panic!("a key of epoch 0 opened with parameters of epoch 1");
    };
    let text = e.to_string();
    assert!(text.contains("inference.sealed_models.key_file"), "{text}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn demo_row() -> &'static str {
    "[13,20,85,550,0.1,0.1,0.08,0.05,0.18,0.06,0.4,1.2,2.8,40,0.007,0.025,0.03,0.012,0.02,0.0038,15,26,100,700,0.13,0.25,0.27,0.11,0.29,0.084]"
}

/// Two attestors score the registered model on the shipped held-out set: one opens the sealed
/// file with its key in memory, the other runs its own copy of the registered hash. Same report,
/// scikit-learn's balanced accuracy, the same statement; their shares combine into one
/// `submit_quorum`. Shares of another report, another `issued_at` or a repeated key are refused,
/// and a model not sealed to the node cannot be evaluated by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestors_evaluate_a_registered_model_and_their_shares_combine() {
    use bithive_interface::attestation::{EvaluationPayload, ExecuteMsg, QuorumProof};
    use bithive_relayer::evaluation::{
        combine, default_issued_at, evaluate_registered, read_set, sign_share, statement,
    };
    use bithive_signed_attestation::signing::signing_key;

    let set = read_set(&models_dir().join("bc_test_vectors.json")).unwrap();
    let f = files("bc_logreg");
    let sha = hex::encode(Sha256::digest(&*f.onnx));
    let (n, section) = node(1);
    let cid = put_sealed(&n, "bc_logreg", &f, &[1, 2]).await;
    let m = record(1, "bc_logreg", &sha, &cid);
    let engine = engine();
    let sealed = SealedModels::open(&section, &engine).unwrap();
    let from_sealed = evaluate_registered(Some(&sealed), &engine, &m, &set)
        .await
        .unwrap();
    let mut own = engine.empty_like();
    let manifest = bithive_inference::manifest::Manifest::parse(&f.manifest).unwrap();
    own.register_bytes(manifest, &f.onnx, "own copy").unwrap();
    let from_own = evaluate_registered(None, &own, &m, &set).await.unwrap();
    assert_eq!(from_sealed, from_own);
    assert_eq!(from_own.samples(), 143);
    assert!(from_own
        .balanced_accuracy
        .to_string()
        .starts_with("0.962264"));

    let mut shares = Vec::new();
    for (i, e) in [(1u8, &from_sealed), (2u8, &from_own)] {
        let (att, payload) =
            statement("chain-1", "registry", 1, 1, e, default_issued_at(1_234_567)).unwrap();
        assert_eq!(att.issued_at, 1_234_200);
        let p: EvaluationPayload = serde_json::from_slice(&payload).unwrap();
        assert_eq!((p.accuracy, p.samples), (e.balanced_accuracy, 143));
        shares.push(sign_share(att, payload, &signing_key(&[i; 32]).unwrap()).unwrap());
    }
    assert_eq!(shares[0].attestation, shares[1].attestation);
    match combine(&shares).unwrap() {
        ExecuteMsg::SubmitQuorum {
            proof: QuorumProof::Secp256k1 { signatures },
            payload,
            ..
        } => {
            assert_eq!(signatures.len(), 2);
            assert_eq!(payload.as_ref(), Some(&shares[0].payload));
        }
        other => panic!("{other:?}"),
    }
    let e = combine(&[shares[0].clone(), shares[0].clone()]).unwrap_err();
    assert!(e.to_string().contains("repeats a key"), "{e}");
    let mut other = shares[1].clone();
    other.attestation.result_hash.0[0] ^= 1;
    let e = combine(&[shares[0].clone(), other]).unwrap_err();
    assert!(e.to_string().contains("another result"), "{e}");
    let mut late = shares[1].clone();
    late.attestation.issued_at += 600;
    let e = combine(&[shares[0].clone(), late]).unwrap_err();
    assert!(e.to_string().contains("--issued-at"), "{e}");

    // Sealed to node 2 only: node 1 (not holding the model yet) cannot open it, so it cannot
    // evaluate it.
    let cid2 = put_sealed(&n, "bc_logreg", &f, &[2]).await;
    let m2 = record(2, "bc_logreg", &sha, &cid2);
    let fresh = SealedModels::open(&section, &engine).unwrap();
    let e = evaluate_registered(Some(&fresh), &engine, &m2, &set)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not sealed to this node"), "{e}");
    // A local file of another hash is not the registered model.
    let m3 = record(3, "bc_logreg", &"0".repeat(64), &cid);
    assert!(evaluate_registered(None, &own, &m3, &set).await.is_err());
}

/// Sealed job inputs (issue #47): a patient's image sealed to the nodes and bound to its job
/// opens for that job on a recipient node; the same reference named by another job (another
/// payer copying it from the chain), a node outside the recipients, a reference whose sha256 is
/// not the content and an input above the engine's limit are refused; content not held yet is
/// retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_input_opens_only_for_its_job_on_a_recipient() {
    use bithive_content_store::input::{seal_input, SealedInputRef};
    let (n, section) = node(2);
    let engine = engine();
    let sealed = SealedModels::open(&section, &engine).unwrap();
    let image = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../offchain/inference/tests/fixtures/phantom_gray_80x96.png"),
    )
    .unwrap();
    let job = "bithive1patient/xray-1";
    let put = |job: &'static str, to: Vec<u32>| {
        let image = image.clone();
        let n = &n;
        async move {
            let set: RoaringBitmap = to.into_iter().collect();
            let bytes = seal_input(job, &image, &set, &n.ek, &n.pp).unwrap();
            SealedInputRef {
                cid: n.store.put(&bytes).await.unwrap().to_string(),
                sha256: hex::encode(Sha256::digest(&image)),
                bytes: image.len() as u64,
            }
        }
    };
    let reference = put(job, vec![1, 2]).await;
    let opened = sealed.open_input(job, &reference, 1 << 20).await.unwrap();
    assert_eq!(opened, image);
    // The job's input bytes are the reference only: no pixel data on chain.
    let on_chain = reference.to_job_input();
    assert!(on_chain.len() < 300, "{}", on_chain.len());
    assert_eq!(
        SealedInputRef::from_job_input(&on_chain),
        Some(reference.clone())
    );

    // Attack: another payer's job names the same reference.
    let why = permanent(
        sealed
            .open_input("bithive1attacker/xray-1", &reference, 1 << 20)
            .await
            .map(|_| String::new()),
    );
    assert!(why.contains("sealed for another job"), "{why}");
    // Sealed to other nodes.
    let elsewhere = put(job, vec![1, 3]).await;
    let why = permanent(
        sealed
            .open_input(job, &elsewhere, 1 << 20)
            .await
            .map(|_| String::new()),
    );
    assert!(why.contains("recipients"), "{why}");
    // A reference that claims another content.
    let lying = SealedInputRef {
        sha256: "11".repeat(32),
        ..reference.clone()
    };
    let why = permanent(
        sealed
            .open_input(job, &lying, 1 << 20)
            .await
            .map(|_| String::new()),
    );
    assert!(why.contains("not the one the job names"), "{why}");
    // Larger than the engine takes: refused before fetching.
    let why = permanent(
        sealed
            .open_input(job, &reference, 100)
            .await
            .map(|_| String::new()),
    );
    assert!(why.contains("above the engine's limit"), "{why}");
    // Attack: a reference that claims a few bytes but names a large object. The node reads no
    // more than the claim plus the sealed header's bound, and refuses it.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let set: RoaringBitmap = [2].into_iter().collect();
    let big_sealed = seal_input(job, &big, &set, &n.ek, &n.pp).unwrap();
    let liar = SealedInputRef {
        cid: n.store.put(&big_sealed).await.unwrap().to_string(),
        sha256: hex::encode(Sha256::digest(&big)),
        bytes: 10,
    };
    let why = permanent(
        sealed
            .open_input(job, &liar, 1 << 20)
            .await
            .map(|_| String::new()),
    );
    assert!(
        why.to_lowercase().contains("large") || why.contains("limit"),
        "{why}"
    );
    // Not in this node's store yet: retried.
    let (other, _) = node(2);
    let set: RoaringBitmap = [2].into_iter().collect();
    let bytes = seal_input(job, &image, &set, &other.ek, &other.pp).unwrap();
    let absent = SealedInputRef {
        cid: other.store.put(&bytes).await.unwrap().to_string(),
        ..reference.clone()
    };
    assert!(matches!(
        sealed.open_input(job, &absent, 1 << 20).await,
        Err(WorkError::Retryable(_))
    ));
}
