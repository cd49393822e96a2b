//! Wallet and registry files of a real deployment on the devnet (#21 item 2): `bithive deploy`'s
//! plan, then `bithive chain-info` (the library call and the built binary). Names, symbols and
//! decimals come from the token contracts; the files pass the chain registry's schemas in
//! `testing/ecosystem` and Keplr's rules; a deployment missing a field, or an RPC URL with
//! credentials, is refused with a clear message and writes nothing.
mod common;

use std::path::Path;
use std::process::Command;

use bithive_cli::demo::platform::{DENOM, PREFIX};
use bithive_cli::deploy::{DeployConfig, Deployment};
use bithive_cli::wallet::{self, WalletError, WalletOptions};
use bithive_wallet_files::keplr::{AppCurrency, ChainInfo};
use bithive_wallet_files::{ASSETLIST_FILE, CHAIN_FILE, KEPLR_FILE};
use serde_json::Value;

use common::deployed_devnet;

fn registry_schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testing/ecosystem/chain-registry")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: the chain-registry schemas live in testing/ecosystem (see its README)",
            path.display()
        )
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&serde_json::from_str(&text).unwrap())
        .unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_registry_files(dir: &Path) {
    for (file, schema) in [
        (CHAIN_FILE, "chain.schema.json"),
        (ASSETLIST_FILE, "assetlist.schema.json"),
    ] {
        let v = read(&dir.join(file));
        let errors: Vec<String> = registry_schema(schema)
            .iter_errors(&v)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_info_of_a_devnet_deployment() {
    let (devnet, gov, d) = deployed_devnet("bithive-devnet-7").await;
    let url = devnet.rpc_url();
    // The deployment records what the deployer paid fees with.
    let fees = d.fees.clone().expect("fees recorded");
    assert_eq!(fees.denom, DENOM);
    assert_eq!(fees.gas_price.to_string(), "0.025");
    assert_eq!(fees.max_gas_price.to_string(), "0.1");

    let dir = tempfile::tempdir().unwrap();
    let opts = WalletOptions {
        rpc: url.clone(),
        ..Default::default()
    };
    let w = wallet::write(gov.rpc().as_ref(), &d, &opts, dir.path())
        .await
        .unwrap();
    check_registry_files(dir.path());
    let keplr: ChainInfo = serde_json::from_value(read(&dir.path().join(KEPLR_FILE))).unwrap();
    keplr.validate().unwrap();
    assert_eq!(keplr, w.files.keplr);
    assert_eq!(keplr.chain_id, "bithive-devnet-7");
    assert_eq!(keplr.rpc, url);
    // The devnet's REST port, derived and said so.
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(keplr.rest, "http://127.0.0.1:1317");
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("rest") && n.contains("1317")),
        "{:?}",
        w.notes
    );
    // No x/staking on the devnet: no stake currency.
    assert!(keplr.stake_currency.is_none());
    assert_eq!(keplr.bech32_config.bech32_prefix_acc_addr, PREFIX);
    // Names, symbols and decimals as the token contracts answer them (the deploy plan instantiates
    // "BitHive Token" BTT and "BitSpark Token" BTK with the plan's decimals).
    let cw20: Vec<_> = keplr
        .currencies
        .iter()
        .filter_map(|c| match c {
            AppCurrency::Cw20(t) => Some((
                t.contract_address.as_str(),
                t.coin_denom.as_str(),
                t.coin_minimal_denom.as_str(),
                t.coin_decimals,
            )),
            AppCurrency::Native(_) => None,
        })
        .collect();
    let decimals = DeployConfig::default().decimals;
    let btt_denom = format!("cw20:{}:BitHive Token", d.contracts.btt);
    let btk_denom = format!("cw20:{}:BitSpark Token", d.contracts.btk);
    assert_eq!(
        cw20,
        vec![
            (
                d.contracts.btt.as_str(),
                "BTT",
                btt_denom.as_str(),
                decimals
            ),
            (
                d.contracts.btk.as_str(),
                "BTK",
                btk_denom.as_str(),
                decimals
            ),
        ]
    );
    let assets = read(&dir.path().join(ASSETLIST_FILE));
    assert_eq!(assets["assets"][1]["address"], d.contracts.btt.as_str());
    assert_eq!(assets["assets"][2]["symbol"], "BTK");
    let chain = read(&dir.path().join(CHAIN_FILE));
    assert_eq!(chain["chain_name"], "bithivedevnet");
    assert_eq!(chain["network_type"], "devnet");

    // Clear errors for a deployment missing what the files need; nothing is written.
    let empty = tempfile::tempdir().unwrap();
    let mut no_btk = d.clone();
    no_btk.contracts.btk.clear();
    let mut old = d.clone();
    old.fees = None;
    let mut bad_btt = d.clone();
    bad_btt.contracts.btt = d.contracts.vesting.clone();
    for (what, broken, needle) in [
        ("no btk", no_btk, "contracts.btk is missing"),
        ("no fees", old, "--gas-price"),
        ("btt is not a cw20", bad_btt, "cw20 token_info"),
    ] {
        let e = wallet::write(gov.rpc().as_ref(), &broken, &opts, empty.path())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(needle), "{what}: {e}");
        if what == "no btk" {
            assert!(matches!(e, WalletError::Deployment(_)));
        }
    }
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);

    // The binary: `bithive chain-info` next to deployment.json.
    let bin = env!("CARGO_BIN_EXE_bithive");
    let run_dir = tempfile::tempdir().unwrap();
    let dep = run_dir.path().join("deployment.json");
    std::fs::write(&dep, serde_json::to_string_pretty(&d).unwrap()).unwrap();
    let o = Command::new(bin)
        .args([
            "chain-info",
            "--deployment",
            dep.to_str().unwrap(),
            "--rpc",
            &url,
        ])
        .args(["--rest", "http://127.0.0.1:1318"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    for f in [KEPLR_FILE, CHAIN_FILE, ASSETLIST_FILE] {
        assert!(stdout.contains(f), "{stdout}");
    }
    check_registry_files(run_dir.path());
    let keplr: ChainInfo = serde_json::from_value(read(&run_dir.path().join(KEPLR_FILE))).unwrap();
    assert_eq!(keplr.rest, "http://127.0.0.1:1318");
    // The deployment records the public endpoints the files give...
    let recorded: Deployment = serde_json::from_value(read(&dep)).unwrap();
    let endpoints = recorded.endpoints.clone().expect("endpoints recorded");
    assert_eq!(
        (endpoints.rpc.as_str(), endpoints.rest.as_str()),
        (url.as_str(), "http://127.0.0.1:1318")
    );
    assert_eq!(
        Deployment {
            endpoints: None,
            ..recorded
        },
        d,
        "nothing else in the deployment changes"
    );
    // ...so running it again with neither --rpc nor --rest keeps both (it used to fall back to
    // port 1317 of the RPC host).
    std::fs::remove_file(run_dir.path().join(KEPLR_FILE)).unwrap();
    let o = Command::new(bin)
        .args(["chain-info", "--deployment", dep.to_str().unwrap()])
        .env_remove("BITHIVE_RPC_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let keplr: ChainInfo = serde_json::from_value(read(&run_dir.path().join(KEPLR_FILE))).unwrap();
    assert_eq!(
        (keplr.rpc.as_str(), keplr.rest.as_str()),
        (url.as_str(), "http://127.0.0.1:1318")
    );

    // Attack: an RPC URL carrying a token (as BITHIVE_RPC_URL may) must not be published.
    let secret_url = url.replace("http://", "http://user:s3cret-token@");
    let leak_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        leak_dir.path().join("deployment.json"),
        serde_json::to_string(&d).unwrap(),
    )
    .unwrap();
    let leak_dep = leak_dir.path().join("deployment.json");
    let o = Command::new(bin)
        .args(["chain-info", "--deployment", leak_dep.to_str().unwrap()])
        .env("BITHIVE_RPC_URL", &secret_url)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("credentials"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert_eq!(std::fs::read_dir(leak_dir.path()).unwrap().count(), 1);
    // With the public endpoint named, the same private RPC serves the queries.
    let o = Command::new(bin)
        .args(["chain-info", "--deployment", leak_dep.to_str().unwrap()])
        .args(["--public-rpc", &url])
        .env("BITHIVE_RPC_URL", &secret_url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    for f in [KEPLR_FILE, CHAIN_FILE, ASSETLIST_FILE, "deployment.json"] {
        let text = std::fs::read_to_string(leak_dir.path().join(f)).unwrap();
        assert!(!text.contains("s3cret"), "{f}");
    }
    // A deployment that records none, and no --rpc: refused, naming what is missing.
    let bare = tempfile::tempdir().unwrap();
    let bare_dep = bare.path().join("deployment.json");
    std::fs::write(&bare_dep, serde_json::to_string(&d).unwrap()).unwrap();
    let o = Command::new(bin)
        .args(["chain-info", "--deployment", bare_dep.to_str().unwrap()])
        .env_remove("BITHIVE_RPC_URL")
        .output()
        .unwrap();
    assert!(!o.status.success(), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("no --rpc URL") && stderr.contains("records no public RPC"),
        "{stderr}"
    );
    devnet.shutdown().await;
}
