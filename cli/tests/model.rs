//! `bithive model` as an institute and a stranger use it, on a devnet deployment with one node
//! allowed to run models (registered, compliant, bonded) and one on the key authority's roster
//! that is not: the institute publishes `bc_logreg` from its manifest, sealed to the allowed
//! node only (which opens what was stored; the other cannot), lists and shows it, re-keys and
//! deprecates it; a stranger cannot publish under its name, re-key or deprecate it; a manifest
//! whose ONNX does not match is refused before anything is stored or signed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use bithive_chain_client::{ChainClient, OperatorKey};
use bithive_cli::demo::platform::{client, new_mnemonic, DENOM, PREFIX};
use bithive_content_store::model::open_model;
use bithive_content_store::{ContentStore, LocalStore, LocalStoreConfig, StoreKey};
use bithive_dgkbe::bgw::BgwPublicParams;
use bithive_dgkbe::RoaringBitmap;
use bithive_interface::model_registry::ModelResponse;
use bithive_interface::staking::{ReceiveMsg as StakingReceive, Tier, DEFAULT_MIN_BOND};
use bithive_matching::authority::KeyAuthoritySecret;

use common::{bank_send, deployed_devnet_with, ok_json, refused};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../offchain/inference/models")
}

/// `bithive model ARGS` against the deployment in `dir`, signed by keyring key `key` (if any).
fn model(dir: &Path, rpc: &str, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bithive"));
    cmd.arg("model")
        .args(args)
        .arg("--deployment")
        .arg(dir.join("deployment.json"))
        .args(["--rpc", rpc])
        .arg("--keyring")
        .arg(dir.join("keyring.json"));
    if let Some(k) = key {
        cmd.args(["--key", k]);
    }
    cmd.output().unwrap()
}

async fn models(c: &ChainClient, registry: &str) -> Vec<ModelResponse> {
    let r: bithive_interface::model_registry::ModelsResponse = c
        .query_typed(
            registry,
            &bithive_interface::model_registry::QueryMsg::Models {
                start_after: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    r.models
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_institute_publishes_rekeys_and_deprecates_its_model_and_nobody_else_can() {
    let key = || OperatorKey::from_mnemonic(&new_mnemonic().unwrap(), PREFIX).unwrap();
    let (node, idle) = (key(), key());
    let btk = vec![cw20::Cw20Coin {
        address: node.address().to_string(),
        amount: DEFAULT_MIN_BOND.into(),
    }];
    let (devnet, gov, _, d) = deployed_devnet_with("model-cli-1", 0, btk).await;
    let rpc = devnet.rpc_url();
    let c = &d.contracts;

    // The node is registered, compliant and bonded: allowed. `idle` is on the key authority's
    // roster but never registered: not allowed.
    bank_send(&gov, node.address(), 10_000_000, DENOM).await;
    let node_client = client(&rpc, &d.chain_id, node.clone()).unwrap();
    bithive_relayer::registration::register_node(
        &gov,
        &c.staking,
        &node_client,
        &node,
        4,
        Tier::T1,
    )
    .await
    .unwrap();
    node_client
        .execute_batch(&[(
            c.btk.clone(),
            bithive_interface::token::ExecuteMsg::Send {
                contract: c.staking.clone(),
                amount: DEFAULT_MIN_BOND.into(),
                msg: cosmwasm_std::to_json_binary(&StakingReceive::Bond {}).unwrap(),
            },
        )])
        .await
        .unwrap();

    // The model key authority's public files, and the keys it issued.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::write(
        home.join("deployment.json"),
        serde_json::to_vec(&d).unwrap(),
    )
    .unwrap();
    let keys_dir = home.join("model-keys");
    std::fs::create_dir_all(&keys_dir).unwrap();
    let all: RoaringBitmap = (1..=4).collect();
    let authority = KeyAuthoritySecret::generate()
        .unwrap()
        .instance(4, &all, 0)
        .unwrap();
    let published = authority.publish();
    std::fs::write(keys_dir.join("params.bin"), &published.params).unwrap();
    std::fs::write(
        keys_dir.join("encryption-key.bin"),
        &published.encryption_key,
    )
    .unwrap();
    let roster = vec![
        (node.address().to_string(), 1u32),
        (idle.address().to_string(), 2),
    ];
    std::fs::write(
        keys_dir.join("roster.json"),
        serde_json::to_vec(&roster).unwrap(),
    )
    .unwrap();
    let pp = BgwPublicParams::from_bytes(&published.params).unwrap();

    // The nodes' content store.
    let store_dir = home.join("store");
    let store_key = home.join("store.key");
    std::fs::write(&store_key, hex::encode([7u8; 32])).unwrap();
    let store = LocalStore::open(LocalStoreConfig::new(
        &store_dir,
        StoreKey::from_bytes([7; 32]),
    ))
    .unwrap();

    // The institute's and a stranger's keys in the keyring, with gas.
    let keyring = bithive_relayer::keyring::Keyring::new(home.join("keyring.json"));
    for name in ["institute", "stranger"] {
        keyring.add(name, &new_mnemonic().unwrap(), PREFIX).unwrap();
        let k = keyring.get(name, PREFIX).unwrap();
        bank_send(&gov, k.address(), 10_000_000, DENOM).await;
    }
    let institute = keyring.get("institute", PREFIX).unwrap();
    let manifest = models_dir().join("bc_logreg.toml");
    let manifest = manifest.to_str().unwrap();
    let sealing = [
        "--model-keys",
        keys_dir.to_str().unwrap(),
        "--store-dir",
        store_dir.to_str().unwrap(),
        "--store-key-file",
        store_key.to_str().unwrap(),
    ];
    let publish = |key: &str, manifest: &str, extra: &[&str]| {
        let mut args = vec![
            "publish",
            "--manifest",
            manifest,
            "--price",
            "0.1",
            "--licence",
            "Apache-2.0",
            "--json",
        ];
        args.extend(sealing);
        args.extend(extra);
        model(home, &rpc, Some(key), &args)
    };

    // A dry run says to whom it would be sealed, and sends nothing.
    let dry = ok_json(publish("institute", manifest, &["--dry-run"]));
    assert_eq!(dry["sealed_to"], serde_json::json!([node.address()]));
    assert!(models(&gov, &c.model_registry).await.is_empty());

    // A manifest whose ONNX is not the one it names: refused, nothing stored or sent.
    let forged = home.join("forged");
    std::fs::create_dir_all(&forged).unwrap();
    let text = std::fs::read_to_string(manifest).unwrap();
    let sha = text
        .lines()
        .find_map(|l| l.strip_prefix("sha256 = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    std::fs::write(
        forged.join("bc_logreg.toml"),
        text.replace(&sha, &"0".repeat(64)),
    )
    .unwrap();
    std::fs::copy(
        models_dir().join("bc_logreg.onnx"),
        forged.join("bc_logreg.onnx"),
    )
    .unwrap();
    refused(
        publish(
            "institute",
            forged.join("bc_logreg.toml").to_str().unwrap(),
            &[],
        ),
        "its manifest says",
    );
    assert_eq!(files(&store_dir), 0);

    // A roster naming the allowed node under a second index (whose holder would open the model
    // unchecked): refused before anything is stored.
    let doubled = home.join("doubled-keys");
    std::fs::create_dir_all(&doubled).unwrap();
    for f in ["params.bin", "encryption-key.bin"] {
        std::fs::copy(keys_dir.join(f), doubled.join(f)).unwrap();
    }
    let twice = vec![
        (node.address().to_string(), 1u32),
        (node.address().to_string(), 3),
    ];
    std::fs::write(
        doubled.join("roster.json"),
        serde_json::to_vec(&twice).unwrap(),
    )
    .unwrap();
    let mut args = vec![
        "publish",
        "--manifest",
        manifest,
        "--price",
        "0.1",
        "--licence",
        "Apache-2.0",
        "--model-keys",
        doubled.to_str().unwrap(),
        "--store-dir",
        store_dir.to_str().unwrap(),
        "--store-key-file",
        store_key.to_str().unwrap(),
    ];
    refused(model(home, &rpc, Some("institute"), &args), "appears twice");
    assert_eq!(files(&store_dir), 0);
    args.clear();

    // Published: sealed to the allowed node only, stored, in the registry at 0.1 BTT.
    let out = ok_json(publish("institute", manifest, &[]));
    assert_eq!(out["sealed_to"], serde_json::json!([node.address()]));
    let m: ModelResponse = serde_json::from_value(out["model"].clone()).unwrap();
    assert_eq!(
        (m.model.name.as_str(), m.model.version, m.model.price.u128()),
        ("bc_logreg", 1, 100_000)
    );
    assert_eq!(m.model.owner.as_str(), institute.address());
    assert_eq!(m.model.input_spec, "float32[1,30] tabular row");
    let cid = m.model.content_id.parse().unwrap();
    let sealed = store.get(&cid).await.unwrap();
    assert_eq!(sealed.len() as u64, m.model.size_bytes);
    let opened = open_model(
        &sealed,
        "bc_logreg",
        &mut authority.user_key(1).unwrap(),
        &pp,
    )
    .unwrap();
    assert_eq!(
        opened.onnx.as_slice(),
        std::fs::read(models_dir().join("bc_logreg.onnx"))
            .unwrap()
            .as_slice()
    );
    assert!(open_model(
        &sealed,
        "bc_logreg",
        &mut authority.user_key(2).unwrap(),
        &pp
    )
    .is_err());

    // A version not above the latest: refused before sealing (nothing more stored).
    let stored = files(&store_dir);
    refused(
        publish("institute", manifest, &["--model-version", "1"]),
        "a new version must be higher",
    );
    assert_eq!(files(&store_dir), stored);

    // Anyone lists and shows it (no key).
    let list = ok_json(model(home, &rpc, None, &["list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let shown = ok_json(model(home, &rpc, None, &["show", "bc_logreg@1", "--json"]));
    assert_eq!(shown["model"]["id"], m.model.id);
    let words = model(home, &rpc, None, &["show", &format!("#{}", m.model.id)]);
    let words = String::from_utf8_lossy(&words.stdout);
    assert!(words.contains("0.1 BTT a run"), "{words}");
    assert!(words.contains("not evaluated yet"), "{words}");
    refused(
        model(home, &rpc, None, &["show", "no_such_model"]),
        "no model no_such_model",
    );
    refused(
        model(home, &rpc, None, &["show", "bc_logreg@x"]),
        "NAME@VERSION",
    );

    // A stranger: not under the institute's name, not its re-key or deprecation.
    refused(
        publish("stranger", manifest, &[]),
        "only its owner publishes",
    );
    let mut rekey = vec!["rekey", "bc_logreg", "--manifest", manifest, "--json"];
    rekey.extend(sealing);
    refused(
        model(home, &rpc, Some("stranger"), &rekey),
        "only its owner re-keys",
    );
    refused(
        model(home, &rpc, Some("stranger"), &["deprecate", "bc_logreg"]),
        "only its owner deprecates",
    );
    refused(
        model(home, &rpc, None, &["deprecate", "bc_logreg"]),
        "--key NAME",
    );
    assert_eq!(models(&gov, &c.model_registry).await.len(), 1);

    // The owner re-keys: a new file under a fresh key, the same model.
    let out = ok_json(model(home, &rpc, Some("institute"), &rekey));
    let rekeyed = models(&gov, &c.model_registry).await.remove(0);
    assert_eq!(out["content_id"], rekeyed.model.content_id);
    assert_ne!(rekeyed.model.content_id, m.model.content_id);
    assert_eq!(rekeyed.model.onnx_sha256, m.model.onnx_sha256);

    // And deprecates it: shown as such, and once only.
    ok_json(model(
        home,
        &rpc,
        Some("institute"),
        &["deprecate", "bc_logreg", "--json"],
    ));
    assert!(models(&gov, &c.model_registry).await[0].model.deprecated);
    refused(
        model(home, &rpc, Some("institute"), &["deprecate", "bc_logreg"]),
        "already deprecated",
    );
    devnet.shutdown().await;
}

/// Files under `dir`, at any depth (0 when it does not exist).
fn files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                files(&e.path())
            } else {
                1
            }
        })
        .sum()
}
