//! `bithive vault` as a patient, a researcher and a stranger use it, on a devnet deployment: the
//! patient puts a lab report (encrypted before it is stored: the store holds no plaintext), reads
//! it back with no key kept anywhere, grants the researcher access for research; the researcher
//! reads it (its access logged first, on chain) and sees the same bytes; after revocation its
//! next read is refused. Refused with nothing read: a read without a grant, a grant by someone
//! who does not own the record, a key sealed to another account's BitChat key. A share sealed
//! to the researcher's reading key (the web app's) opens with `get` as well.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use common::{deployed_devnet, funded_keys, home_with, ok, refused};

/// `bithive vault ARGS` against the deployment in `home`, signed by keyring key `key`.
fn vault(home: &Path, rpc: &str, key: &str, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bithive"));
    cmd.arg("vault").args(args);
    if args[0] == "identity" {
        cmd.arg("--keyring").arg(home.join("keyring.json"));
    } else {
        cmd.arg("--deployment")
            .arg(home.join("deployment.json"))
            .args(["--rpc", rpc])
            .arg("--keyring")
            .arg(home.join("keyring.json"));
        if ["put", "get", "grant"].contains(&args[0]) {
            cmd.arg("--store-dir")
                .arg(home.join("store"))
                .arg("--store-key-file")
                .arg(home.join("store.key"));
        }
    }
    cmd.args(["--key", key]).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_keeps_grants_and_revokes_a_record_and_nobody_else_reads_it() {
    let (devnet, gov, d) = deployed_devnet("vault-cli-1").await;
    let rpc = devnet.rpc_url();
    let dir = home_with(&d);
    let home = dir.path();
    std::fs::write(home.join("store.key"), hex::encode([9u8; 32])).unwrap();
    let addr = funded_keys(
        &home.join("keyring.json"),
        &gov,
        &["patient", "researcher", "stranger"],
    )
    .await;
    let report = br#"{"resourceType":"Observation","code":"4548-4","valueQuantity":{"value":54,"unit":"mmol/mol"}}"#;
    let file = home.join("hba1c.json");
    std::fs::write(&file, report).unwrap();

    // Put: encrypted here; the store holds no plaintext.
    let put: Value = serde_json::from_str(&ok(vault(
        home,
        &rpc,
        "patient",
        &[
            "put",
            file.to_str().unwrap(),
            "--type",
            "lab-panel",
            "--json",
        ],
    )))
    .unwrap();
    let token = put["token_id"].as_str().unwrap().to_string();
    for entry in walk(&home.join("store")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(11).any(|w| w == b"Observation"),
            "plaintext in {entry:?}"
        );
    }
    let list = ok(vault(home, &rpc, "patient", &["list"]));
    assert!(
        list.contains(&token) && list.contains("lab_panel"),
        "{list}"
    );

    // The owner reads it back: the key comes from its signature, kept nowhere.
    let own = home.join("own.json");
    ok(vault(
        home,
        &rpc,
        "patient",
        &["get", &token, "--out", own.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(&own).unwrap(), report);

    // Without a grant the researcher reads nothing, and nothing is logged.
    let theirs = home.join("theirs.json");
    let get = |key: &str| {
        vault(
            home,
            &rpc,
            key,
            &[
                "get",
                &token,
                "--purpose",
                "research",
                "--out",
                theirs.to_str().unwrap(),
            ],
        )
    };
    refused(get("researcher"), "you hold no grant for research");
    let researcher_key = ok(vault(home, &rpc, "researcher", &["identity"]))
        .trim()
        .to_string();
    let stranger_key = ok(vault(home, &rpc, "stranger", &["identity"]))
        .trim()
        .to_string();
    // `sealed_to`: the key given with --to-key and the flags after it, or none (the published
    // reading key).
    let grant = |key: &str, sealed_to: &[&str]| {
        let mut args = vec![
            "grant",
            &token,
            "--to",
            &addr["researcher"],
            "--purpose",
            "research",
            "--days",
            "30",
        ];
        if let Some((k, flags)) = sealed_to.split_first() {
            args.extend(["--to-key", k]);
            args.extend(flags);
        }
        vault(home, &rpc, key, &args)
    };
    refused(
        grant("stranger", &[&researcher_key, "--unpublished-key"]),
        "only its owner shares it",
    );
    // The researcher published no reading key: a key relayed by anyone is bound to nothing, so
    // the owner must say it had the key from them.
    refused(
        grant("patient", &[]),
        "has published no reading key in this vault",
    );
    refused(
        grant("patient", &[&researcher_key]),
        "add --unpublished-key if you had this key from them in person",
    );

    // A key sealed to another account's BitChat key: the researcher's read refuses it.
    ok(grant("patient", &[&stranger_key, "--unpublished-key"]));
    refused(
        get("researcher"),
        "sealed neither to your BitChat key nor to your reading key",
    );
    assert!(!theirs.exists());

    // Granted properly: the researcher reads the same bytes, its access logged.
    ok(grant("patient", &[&researcher_key, "--unpublished-key"]));
    ok(get("researcher"));
    assert_eq!(std::fs::read(&theirs).unwrap(), report);
    let log: Value = serde_json::from_str(&ok(vault(
        home,
        &rpc,
        "patient",
        &["log", &token, "--json"],
    )))
    .unwrap();
    let accesses = log["accesses"].as_array().unwrap();
    // The refused read with the wrong key was logged too: the vault saw a live grant.
    assert_eq!(accesses.len(), 2, "{log}");
    assert!(accesses
        .iter()
        .all(|a| a["grantee"] == addr["researcher"].as_str() && a["purpose"] == "research"));

    // Shared to the researcher's reading key (what its web app's My records screen shows and
    // reads with): `get` opens that too; the key is the account's own in this vault.
    let reading_key = |key: &str, flags: &[&str]| -> Value {
        let mut args = vec!["reading-key", "--json"];
        args.extend(flags);
        serde_json::from_str(&ok(vault(home, &rpc, key, &args))).unwrap()
    };
    let mine = reading_key("researcher", &[]);
    let researcher_reading = mine["reading_key"].as_str().unwrap().to_string();
    assert_eq!(researcher_reading.len(), 64);
    assert_eq!(mine["published"], false);
    let strangers = reading_key("stranger", &[])["reading_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(researcher_reading, strangers);
    assert_ne!(researcher_reading, researcher_key);
    // Published by the researcher's own transaction: the vault now names it by address.
    let published = reading_key("researcher", &["--publish"]);
    assert_eq!(published["reading_key"], researcher_reading.as_str());
    assert_eq!(published["published"], true);
    assert_eq!(reading_key("researcher", &[])["published"], true);
    // ADR 017's swap: a key handed over as the researcher's (the stranger's, or the researcher's
    // BitChat key) is refused once the account published its own.
    refused(
        grant("patient", &[&strangers, "--unpublished-key"]),
        "is not the reading key",
    );
    refused(
        grant("patient", &[&researcher_key]),
        "whoever gave it to you may have swapped it",
    );
    // Looked up by address (no --to-key), or given and equal to the published one.
    ok(grant("patient", &[&researcher_reading]));
    let said = ok(grant("patient", &[]));
    assert!(
        said.contains(&format!("sealed to key {researcher_reading}")),
        "{said}"
    );
    std::fs::remove_file(&theirs).unwrap();
    ok(get("researcher"));
    assert_eq!(std::fs::read(&theirs).unwrap(), report);

    // Revoked: the next read is refused; what was read before stays with the researcher.
    ok(vault(
        home,
        &rpc,
        "patient",
        &[
            "revoke",
            &token,
            "--to",
            &addr["researcher"],
            "--purpose",
            "research",
        ],
    ));
    std::fs::remove_file(&theirs).unwrap();
    refused(get("researcher"), "was revoked");
    assert!(!theirs.exists());

    // Withdrawn: owners no longer find it, and the next share needs a key again.
    assert_eq!(
        reading_key("researcher", &["--withdraw"])["published"],
        false
    );
    refused(
        grant("patient", &[]),
        "has published no reading key in this vault",
    );
    devnet.shutdown().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
