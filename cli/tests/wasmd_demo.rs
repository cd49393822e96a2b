//! The demo story on a real chain (#26 item 3): `bithive demo --rpc` on a running wasmd node.
//! With `BITHIVE_DEMO_COMPARE=1`, the same binary's devnet demo runs after it in the same run, so
//! their wall times compare (BENCHMARKS.md); the test command leaves that second run out, since
//! `cli/tests/demo.rs` runs the devnet story with the same checks (#49: 6 minutes of a warm run).
//!
//!     WASMD_NET_ENV=HOME/wasmd-net.env cargo test -p bithive-cli --test wasmd_demo -- --ignored
//!
//! On wasmd: a funded account pays the run's fresh keys; `bithive deploy` with seconds-long
//! dispute and challenge windows and rewards epoch; the relayer follows wasmd's blocks (inference,
//! matching with BitChat delivery, private queries); emission's first crank, the treasury's
//! app-pool claim that funds the pledges, the quorum-attested compute work and the node's claim
//! into vesting, its early claim refused. Every step checks its on-chain result (the demo fails
//! with the step's name otherwise); this test checks the exit status and the closing table.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `bithive demo ARGS` from the repository root; returns stdout and the wall time.
fn demo(args: &[&str]) -> (String, f64) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_bithive"))
        .arg("demo")
        .args(args)
        .current_dir(root())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bithive demo {args:?}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, secs)
}

fn check_rows(table: &str, extra: &[&str]) {
    for row in common::STORY_ROWS.iter().chain(extra) {
        assert!(
            table.lines().any(|l| l.trim_start().starts_with(row)),
            "no row {row:?} in\n{table}"
        );
    }
}

#[test]
#[ignore = "needs a running wasmd net: WASMD_NET_ENV=HOME/wasmd-net.env (scripts/test.d/wasmd.sh)"]
fn the_demo_story_runs_on_wasmd() {
    assert!(
        std::env::var_os("ORT_DYLIB_PATH").is_some(),
        "ORT_DYLIB_PATH is not set: run through scripts/test.sh (source scripts/setup.sh)"
    );
    let path = std::env::var("WASMD_NET_ENV")
        .expect("WASMD_NET_ENV: the wasmd-net.env of a running wasmd net");
    let env = common::wasmd_env_file(&path);
    let dir = tempfile::tempdir().unwrap();
    let (on_wasmd, wasmd_secs) = demo(&[
        "--home",
        dir.path().join("wasmd").to_str().unwrap(),
        "--rpc",
        &env["WASMD_RPC"],
        "--rest",
        &env["WASMD_REST"],
        "--chain-id",
        &env["WASMD_CHAIN_ID"],
        "--funder-mnemonic-file",
        &env["WASMD_DEPLOYER_MNEMONIC_FILE"],
        "--prefix",
        &env["WASMD_PREFIX"],
        "--denom",
        &env["WASMD_DENOM"],
        "--gas-price",
        &env["WASMD_MIN_GAS_PRICE"],
    ]);
    println!("{on_wasmd}");
    check_rows(&on_wasmd, &["emission, first day", "app pool claim"]);
    assert!(on_wasmd.contains("full rate: pledged"), "{on_wasmd}");
    assert!(on_wasmd.contains("an early claim refused"), "{on_wasmd}");
    assert!(
        on_wasmd.contains(&format!("chain {} at", env["WASMD_CHAIN_ID"])),
        "the story did not run on wasmd:\n{on_wasmd}"
    );
    // The deployment the story ran on is wasmd's.
    let d: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("wasmd/deployment.json")).unwrap())
            .unwrap();
    assert_eq!(d["chain_id"], env["WASMD_CHAIN_ID"].as_str());

    println!("demo story wall time on wasmd (bithive demo, debug build): {wasmd_secs:.1} s");
    if std::env::var("BITHIVE_DEMO_COMPARE").as_deref() != Ok("1") {
        return;
    }
    let (on_devnet, devnet_secs) = demo(&["--home", dir.path().join("devnet").to_str().unwrap()]);
    check_rows(&on_devnet, &["vesting released"]);
    println!(
        "demo story wall time (bithive demo, debug build, one run): wasmd {wasmd_secs:.1} s, \
         devnet {devnet_secs:.1} s ({:.2}x); on wasmd the story waits out its 10 s windows and \
         30 s rewards epoch in real time, on the devnet the clock is moved",
        wasmd_secs / devnet_secs
    );
}
