//! The README's main command, end to end: devnet, deploy, relayer with the real inference
//! engine and the matching worker, the paid job attested and paid, the paid research request
//! matched, attested, paid and delivered over BitChat, emission and vesting, the node's pledge
//! and its compute work attested by a quorum of others and paid at the full rate; a published
//! model paid per job, records with a grant and its revocation, and private queries within and
//! past the dataset's budget (issue #23).

use bithive_cli::demo;

mod common;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_runs_end_to_end() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        panic!("ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut opts = demo::default_options(&root());
    opts.home = dir.path().join("demo");
    let mut lines = Vec::new();
    let report = demo::run(&opts, &mut |l: &str| lines.push(l.to_string()))
        .await
        .unwrap_or_else(|e| panic!("demo failed: {e}\nprogress:\n{}", lines.join("\n")));
    // BitHive's fourteen codes and the DAO's five.
    assert_eq!(report.deployment.codes.len(), 19);
    assert!(report.attestation_latency_blocks >= 1, "{report:?}");
    let table = report.table();
    for row in common::STORY_ROWS.iter().chain(&["vesting released"]) {
        assert!(table.contains(row), "{table}");
    }
    // Issue #20: the node earns because it pledged, on work others attested.
    assert!(table.contains("full rate: pledged"), "{table}");
    // Issue #23: the model's owner is paid its price, the second query is refused.
    assert!(table.contains("paid its owner 1.000000 BTT"), "{table}");
    assert!(
        table.contains("a sealed file of another hash: not run"),
        "{table}"
    );
    assert!(table.contains("sealed to 4 bonded nodes"), "{table}");
    // Issue #42: bc_logreg's run cost (90 multiply-accumulates: 1 unit), counted by the
    // attestors from its graph, is what its paid job earned the node in served units.
    assert!(table.contains("1 served work units"), "{table}");
    assert!(table.contains("run cost 1 units attested by"), "{table}");
    assert!(table.contains("re-keyed to 3 when one left"), "{table}");
    // Issue #42, decision 5: every attestor's benchmark of the node passed (Pcompute timed on
    // the attestor's clock, a sample re-run), and the report the quorum signed carries them.
    let bench = lines
        .iter()
        .find(|l| l.contains("benchmarked it on the published workload"))
        .unwrap_or_else(|| panic!("no benchmark line:\n{}", lines.join("\n")));
    assert_eq!(bench.matches(" TFLOPS at ").count(), 3, "{bench}");
    assert!(
        table.contains("the next query refused past the budget"),
        "{table}"
    );
    // Issue #43: the blinding service and the relayer ran as their own processes, the
    // blinding key created by its own (0600, in its directory), never by this one.
    let roles: Vec<&str> = report.processes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(roles, ["blinding service", "relayer"], "{report:?}");
    for (role, pid) in &report.processes {
        assert!(
            *pid != 0 && *pid != std::process::id(),
            "{role} ran in this process"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for secret in [
        demo::research::BLINDING_SECRET_FILE,
        demo::research::KEY_AUTHORITY_SECRET_FILE,
    ] {
        let path = opts.home.join(secret);
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    // The key authority wrote the online users' keys (three recipients and the outsider).
    let keys: Vec<_> = std::fs::read_dir(opts.home.join(demo::research::USER_KEYS_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.iter().all(|k| mode(k) == 0o600), "{keys:?}");
    assert!(table.contains("roles apart"), "{table}");
    // Every governance step was a proposal of the DAO's members, executed by the DAO.
    assert!(
        table.contains("proposals of the DAO's members")
            && table.contains("yes 2 / no 0 of 3 weight, executed"),
        "{table}"
    );
    // The run's deployment file lists every contract.
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(opts.home.join("deployment.json")).unwrap()).unwrap();
    assert!(written["contracts"]["attestation"]
        .as_str()
        .unwrap()
        .starts_with("bithive1"));
}
