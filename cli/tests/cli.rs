//! The `bithive` command line: `--help` on every subcommand, env fallbacks (values never shown
//! in help), completions, and the built binary itself.
use std::process::Command as Process;

use bithive_cli::cli::{BlindingCommand, Cli, Command, DemoArgs};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

#[path = "../../relayer/tests/support/clap_help.rs"]
mod clap_help;
use clap_help::{assert_help_and_version, completion_scripts};

#[test]
fn help_on_every_subcommand() {
    assert_help_and_version(
        &Cli::command(),
        &[
            &[],
            &["demo"],
            &["devnet", "start"],
            &["deploy"],
            &["chain-info"],
            &["relayer", "start"],
            &["keys", "add"],
            &["keys", "list"],
            &["keys", "show"],
            &["completions"],
            &["web"],
            &["rewards", "sign-patient-claim"],
            &["gov", "propose"],
            &["gov", "propose", "set-param"],
            &["gov", "list"],
            &["gov", "show"],
            &["gov", "vote"],
            &["gov", "execute"],
            &["model", "list"],
            &["model", "show"],
            &["model", "publish"],
            &["model", "rekey"],
            &["model", "deprecate"],
            &["vault", "put"],
            &["vault", "list"],
            &["vault", "get"],
            &["vault", "grant"],
            &["vault", "revoke"],
            &["vault", "log"],
            &["vault", "identity"],
            &["chat", "card"],
            &["chat", "run"],
            &["chat", "relay"],
        ],
    );
}

/// clap's own checks on every subcommand, listed above or not (e.g. an option that clashes
/// with the automatic `--version`).
#[test]
fn every_subcommand_is_well_formed() {
    Cli::command().debug_assert();
}

/// The demo options `bithive demo ARGS...` parses to.
fn demo_options(args: &[&str]) -> bithive_cli::demo::DemoOptions {
    let argv = ["bithive", "demo"].iter().chain(args);
    let Command::Demo(d) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not demo")
    };
    d.options()
}

/// `bithive demo --rpc` runs on an external chain: it needs the chain id and a funder, and the
/// devnet default (no --rpc) stays when neither is given.
#[test]
fn demo_on_an_external_chain_needs_its_chain_id_and_funder() {
    for args in [
        &["bithive", "demo", "--rpc", "http://127.0.0.1:26657"][..],
        &[
            "bithive",
            "demo",
            "--rpc",
            "http://127.0.0.1:26657",
            "--chain-id",
            "c-1",
        ],
        &["bithive", "demo", "--chain-id", "c-1"],
    ] {
        let err = Cli::try_parse_from(args).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument, "{args:?}");
    }
    let o = demo_options(&[
        "--rpc",
        "http://127.0.0.1:26657",
        "--chain-id",
        "c-1",
        "--funder-mnemonic-file",
        "funder.txt",
        "--prefix",
        "wasm",
        "--denom",
        "ustake",
        "--gas-price",
        "0.1",
    ]);
    assert_eq!(o.chain_id.as_deref(), Some("c-1"));
    let x = o.external.expect("an external chain");
    assert_eq!(x.rpc, "http://127.0.0.1:26657");
    assert_eq!(x.funder_mnemonic_file, std::path::Path::new("funder.txt"));
    assert_eq!((x.prefix.as_str(), x.denom.as_str()), ("wasm", "ustake"));
    assert_eq!(x.gas_price, 0.1);
    assert_eq!((x.window_seconds, x.epoch_seconds), (10, 30));
    assert!(demo_options(&[]).external.is_none());
}

#[test]
fn flags_and_defaults_as_before() {
    let o = demo_options(&[
        "--home",
        "/tmp/h",
        "--artifacts",
        "art",
        "--inference-config",
        "inf.toml",
        "--block-time-ms",
        "50",
    ]);
    assert_eq!(o.home, std::path::Path::new("/tmp/h"));
    assert_eq!(o.artifacts, std::path::Path::new("art"));
    assert_eq!(o.inference_config, std::path::Path::new("inf.toml"));
    assert_eq!(o.block_time_ms, 50);

    let Command::Demo(d) = Cli::try_parse_from(["bithive", "demo"]).unwrap().command else {
        panic!("not demo")
    };
    let defaults = bithive_cli::demo::default_options(std::path::Path::new("."));
    let DemoArgs {
        artifacts,
        inference_config,
        block_time_ms,
        ..
    } = d;
    assert_eq!(artifacts, defaults.artifacts);
    assert_eq!(inference_config, defaults.inference_config);
    assert_eq!(block_time_ms, defaults.block_time_ms);

    let cli = Cli::try_parse_from([
        "bithive",
        "devnet",
        "start",
        "--rpc",
        "127.0.0.1:0",
        "--block-time-ms",
        "0",
        "--genesis-account",
        "bithive1x=5ubhive",
    ])
    .unwrap();
    let Command::Devnet(bithive_cli::cli::DevnetCommand::Start(a)) = cli.command else {
        panic!("not devnet start")
    };
    let config = a.to_config().unwrap();
    assert_eq!(config.rpc_listen.port(), 0);
    assert_eq!(config.block_time_ms, 0);
    assert_eq!(config.genesis_accounts.len(), 1);

    assert!(Cli::try_parse_from(["bithive", "devnet", "start", "--bogus"]).is_err());
    assert!(Cli::try_parse_from(["bithive", "nope"]).is_err());
}

#[test]
fn web_and_demo_keep_running_flags() {
    let cli = Cli::try_parse_from([
        "bithive",
        "web",
        "--rpc",
        "http://127.0.0.1:26657",
        "--listen",
        "127.0.0.1:0",
    ])
    .unwrap();
    let Command::Web(w) = cli.command else {
        panic!("not web")
    };
    let c = w.config().unwrap();
    assert!(c.imaging.is_none());
    assert_eq!(c.rpc, "http://127.0.0.1:26657");
    assert_eq!(c.listen.port(), 0);
    assert_eq!(c.dist, std::path::Path::new("web/dist"));
    assert_eq!(c.deployment, std::path::Path::new("deployment.json"));

    let Command::Demo(d) = Cli::try_parse_from(["bithive", "demo"]).unwrap().command else {
        panic!("not demo")
    };
    assert!(
        d.keep_running().is_none(),
        "the demo stops after its story by default"
    );
    let Command::Demo(d) = Cli::try_parse_from([
        "bithive",
        "demo",
        "--keep-running",
        "--web-listen",
        "127.0.0.1:9090",
    ])
    .unwrap()
    .command
    else {
        panic!("not demo")
    };
    let keep = d.keep_running().unwrap();
    assert_eq!(keep.listen.port(), 9090);
    assert_eq!(keep.dist, std::path::Path::new("web/dist"));
}

#[test]
fn blinding_serve_flags() {
    let cli = Cli::try_parse_from([
        "bithive",
        "blinding",
        "serve",
        "--secret-file",
        "/tmp/k.json",
        "--init",
        "--points-per-second",
        "2.5",
        "--allow-origin",
        "https://app.example",
        "--chain-id",
        "bithive-1",
        "--researcher-points",
        "128",
    ])
    .unwrap();
    let Command::Blinding(BlindingCommand::Serve(b)) = cli.command else {
        panic!("not blinding serve")
    };
    assert!(b.init);
    assert_eq!(b.secret_file, std::path::Path::new("/tmp/k.json"));
    let c = b.config();
    assert_eq!(c.points_per_sec, 2.5);
    assert_eq!(c.allow_origin.as_deref(), Some("https://app.example"));
    let d = bithive_cli::blinding::BlindingConfig::default();
    assert_eq!((c.burst, c.max_in_flight), (d.burst, d.max_in_flight));
    assert_eq!(c.listen.port(), 8090);
    // Callers sign for a chain: it must be named; the quotas and files have defaults.
    assert_eq!(c.policy.chain_id, "bithive-1");
    assert_eq!(c.policy.quotas.researcher_points, 128);
    assert_eq!(c.policy.quotas.user_points, d.policy.quotas.user_points);
    assert_eq!(c.admissions, d.admissions);
    assert!(Cli::try_parse_from(["bithive", "blinding", "serve", "--burst", "x"]).is_err());
    let admit = Cli::try_parse_from([
        "bithive",
        "blinding",
        "admit",
        "--admissions",
        "/tmp/a.json",
        "--researcher",
        "bithive1abc",
        "--deny",
        "bithive1node",
    ])
    .unwrap();
    let Command::Blinding(BlindingCommand::Admit(a)) = admit.command else {
        panic!("not blinding admit")
    };
    assert_eq!(
        (a.researchers, a.deny),
        (
            vec!["bithive1abc".to_string()],
            vec!["bithive1node".to_string()]
        )
    );
}

/// The only test that sets environment variables (deploy's, which no other test reads).
#[test]
fn env_fills_deploy_and_is_not_shown() {
    let secret_rpc = "http://user:s3cret-token@127.0.0.1:9";
    std::env::set_var("BITHIVE_RPC_URL", secret_rpc);
    std::env::set_var("BITHIVE_CHAIN_ID", "env-chain-7");
    std::env::set_var("BITHIVE_KEY", "env-deployer");
    let cli = Cli::try_parse_from(["bithive", "deploy", "--chain-id", "flag-chain"]).unwrap();
    let help = Cli::command()
        .try_get_matches_from(["bithive", "deploy", "--help"])
        .unwrap_err()
        .to_string();
    std::env::remove_var("BITHIVE_RPC_URL");
    std::env::remove_var("BITHIVE_CHAIN_ID");
    std::env::remove_var("BITHIVE_KEY");

    let Command::Deploy(d) = cli.command else {
        panic!("not deploy")
    };
    assert_eq!(d.rpc, secret_rpc);
    assert_eq!(
        d.chain_id, "flag-chain",
        "the flag wins over the environment"
    );
    assert_eq!(d.key, "env-deployer");
    assert_eq!(d.keys.keyring, std::path::Path::new("keyring.json"));
    assert!((d.gas_price - 0.025).abs() < f64::EPSILON);
    assert_eq!(d.fee_denom, "ubhive");
    assert_eq!(d.out, std::path::Path::new("deployment.json"));
    assert!(help.contains("BITHIVE_RPC_URL"), "{help}");
    for value in [secret_rpc, "s3cret", "env-chain-7", "env-deployer"] {
        assert!(!help.contains(value), "help shows {value}:\n{help}");
    }
    // Without the environment, the missing required flags are an error, not a panic.
    assert!(Cli::try_parse_from(["bithive", "deploy"]).is_err());
}

#[test]
fn completions_generate() {
    for (shell, text) in completion_scripts(&Cli::command(), "bithive") {
        assert!(
            text.contains("deploy") && text.contains("genesis-account"),
            "{shell}"
        );
    }
}

/// The built binary: help, version, completions, and errors for bad input.
#[test]
fn binary_help_version_completions() {
    let bin = env!("CARGO_BIN_EXE_bithive");
    let run = |args: &[&str]| Process::new(bin).args(args).output().unwrap();
    for args in [
        &["--help"][..],
        &["devnet", "start", "--help"],
        &["relayer", "start", "--help"],
        &["keys", "add", "--help"],
        &["deploy", "--help"],
        &["chain-info", "--help"],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage: bithive"));
    }
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("bithive {}", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&["completions", "bash"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("_bithive"));
    let o = run(&["devnet", "start", "--genesis-account", "no-equals"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}
