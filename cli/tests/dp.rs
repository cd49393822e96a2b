//! `bithive dp` as a curator, a patient and a researcher use it, against the demo platform's
//! devnet with the real relayer answering (its `[dp]` answerer, the operator account). The
//! institute creates a dataset with an epsilon budget; the patient puts three lab panels with
//! `bithive vault put` and joins them, each key sealed to the answerer; the researcher asks a
//! count and a mean and reads the noisy answers. Refused in words with nothing paid: a dataset
//! by an account that is no curator, a record joined for an account that answers nothing, a
//! query above the per-query epsilon, a query above the researcher's own cap while the dataset
//! still has budget for others.

use std::path::{Path, PathBuf};
use std::process::Output;

use bithive_cli::demo::platform::{Platform, PlatformOptions, DENOM};
use bithive_interface::data_vault::{DpAnswer, DpQueryStatus, ExecuteMsg, QueryMsg};
use serde_json::Value;

mod common;

use common::{ok, refused};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bithive(home: &Path, rpc: &str, key: &str, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bithive"));
    cmd.args(args)
        .arg("--keyring")
        .arg(home.join("keyring.json"))
        .args(["--key", key]);
    if args[1] != "identity" {
        cmd.arg("--deployment")
            .arg(home.join("deployment.json"))
            .args(["--rpc", rpc]);
    }
    if args[1] == "put" || args.get(2) == Some(&"join") {
        cmd.arg("--store-dir")
            .arg(home.join("content-store"))
            .arg("--store-key-file")
            .arg(home.join("content-store.key"));
    }
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_researcher_pays_for_noisy_answers_within_the_budget_and_not_beyond() {
    assert!(
        std::env::var_os("ORT_DYLIB_PATH").is_some(),
        "ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)"
    );
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("p");
    let opts = PlatformOptions {
        home: home.clone(),
        artifacts: root().join("artifacts"),
        inference_config: root().join("offchain/inference/inference.toml"),
        block_time_ms: 200,
        chain_id: None,
        external: None,
    };
    let p = Platform::start(opts, &mut |_| {}).await.unwrap();
    let mut cfg = p.relayer_config().await.unwrap();
    bithive_cli::demo::aim::enable_dp(&mut cfg, &p).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relayer = tokio::spawn(bithive_relayer::runtime::run_until(cfg, async move {
        let _ = stop_rx.await;
    }));
    let vault = p.deployment.contracts.data_vault.clone();
    let answerer = p.operator_key.address().to_string();
    p.govern(
        "the institute curates, the relayer answers",
        vec![
            (
                vault.clone(),
                serde_json::to_value(ExecuteMsg::UpdateCurators {
                    add: vec![p.institute.address().to_string()],
                    remove: vec![],
                })
                .unwrap(),
            ),
            (
                vault.clone(),
                serde_json::to_value(ExecuteMsg::UpdateAnswerers {
                    add: vec![answerer.clone()],
                    remove: vec![],
                })
                .unwrap(),
            ),
        ],
    )
    .await
    .unwrap();
    let rpc = p.url.clone();
    let run = |key: &str, args: &[&str]| bithive(&home, &rpc, key, args);

    let create = |key: &str| {
        run(
            key,
            &[
                "dp",
                "dataset",
                "create",
                "--name",
                "hba1c-panels",
                "--type",
                "lab-panel",
                "--total-epsilon",
                "2",
                "--max-query-epsilon",
                "1",
                "--max-researcher-epsilon",
                "1.5",
                "--price-per-epsilon",
                "1000",
                "--asset",
                DENOM,
                "--json",
            ],
        )
    };
    refused(create("patient"), "admin or curator only");
    let created: Value = serde_json::from_str(&ok(create("institute"))).unwrap();
    let ds = created["dataset_id"].as_u64().unwrap().to_string();

    // Three panels, encrypted before they are stored, joined with keys only the answerer opens.
    let answerer_key = ok(run("operator", &["vault", "identity"]))
        .trim()
        .to_string();
    let researcher = p.researcher.address().to_string();
    for (i, value) in [48, 54, 71].into_iter().enumerate() {
        let file = home.join(format!("panel-{i}.json"));
        std::fs::write(&file, format!(r#"{{"hba1c_mmol_mol":{value}}}"#)).unwrap();
        let put: Value = serde_json::from_str(&ok(run(
            "patient",
            &[
                "vault",
                "put",
                file.to_str().unwrap(),
                "--type",
                "lab-panel",
                "--json",
            ],
        )))
        .unwrap();
        let token = put["token_id"].as_str().unwrap().to_string();
        let join = |to: &str| {
            run(
                "patient",
                &[
                    "dp",
                    "dataset",
                    "join",
                    &ds,
                    "--record",
                    &token,
                    "--answerer",
                    to,
                    "--answerer-key",
                    &answerer_key,
                ],
            )
        };
        if i == 0 {
            refused(join(&researcher), "not one of the vault's answerers");
        }
        ok(join(&answerer));
    }
    let shown = ok(run("researcher", &["dp", "dataset", "show", &ds]));
    assert!(
        shown.contains("records    3") && shown.contains("epsilon 2 left of 2"),
        "{shown}"
    );

    // A count at epsilon 1, answered by the relayer from the three records.
    let count: Value = serde_json::from_str(&ok(run(
        "researcher",
        &["dp", "query", &ds, "--count", "--epsilon", "1", "--json"],
    )))
    .unwrap();
    let status: DpQueryStatus = serde_json::from_value(count["status"].clone()).unwrap();
    let DpQueryStatus::Answered {
        answer: DpAnswer::Count { .. },
        answerer: by,
        ..
    } = status
    else {
        panic!("not answered: {count}");
    };
    assert_eq!(by.as_str(), answerer);

    // Above the per-query epsilon, and above what is left: refused, nothing paid.
    let spent_before: Vec<Value> = queries(&p, &vault, &ds).await;
    refused(
        run(
            "researcher",
            &["dp", "query", &ds, "--count", "--epsilon", "1.5"],
        ),
        "takes at most 1 a query",
    );
    let mean = |eps: &str| {
        run(
            "researcher",
            &[
                "dp",
                "query",
                &ds,
                "--mean",
                "hba1c_mmol_mol",
                "--lower",
                "20",
                "--upper",
                "120",
                "--epsilon",
                eps,
            ],
        )
    };
    let words = ok(mean("0.5"));
    assert!(
        words.contains("mean of hba1c_mmol_mol in 20..120 at epsilon 0.5")
            && words.contains("\n  answer "),
        "{words}"
    );
    // The dataset has 0.5 left, but not for this researcher: its own cap is spent.
    refused(mean("0.5"), "you may spend only 0 more");
    assert_eq!(
        queries(&p, &vault, &ds).await.len(),
        spent_before.len() + 1,
        "only the mean was paid"
    );
    let shown = ok(run("researcher", &["dp", "dataset", "show", &ds]));
    assert!(
        shown.contains("epsilon 0.5 left of 2") && shown.contains("spent 1.5, may still spend 0"),
        "{shown}"
    );

    let _ = stop_tx.send(());
    relayer.await.unwrap().unwrap();
}

/// The dataset's queries, as the chain has them.
async fn queries(p: &Platform, vault: &str, ds: &str) -> Vec<Value> {
    let r: Value = p
        .gov
        .query_typed(
            vault,
            &QueryMsg::DpQueries {
                dataset_id: ds.parse().unwrap(),
                start_after: None,
                limit: Some(30),
            },
        )
        .await
        .unwrap();
    r["queries"].as_array().unwrap().clone()
}
