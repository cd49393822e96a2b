//! The `bithive-relayer` command line: `--help` on every subcommand, env fallbacks (values never
//! shown in help), completions, and the built binary with a keyring.
use std::io::Write;
use std::process::{Command as Process, Stdio};

use bithive_relayer::cli::{KeysCommand, RelayerCli, RelayerCommand};
use clap::{CommandFactory, Parser};

const MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

mod support {
    pub mod clap_help;
}
use support::clap_help::{assert_help_and_version, completion_scripts};

#[test]
fn help_on_every_subcommand() {
    assert_help_and_version(
        &RelayerCli::command(),
        &[
            &[],
            &["start"],
            &["keys"],
            &["keys", "add"],
            &["keys", "list"],
            &["keys", "show"],
            &["keys", "pop"],
            &["completions"],
        ],
    );
}

#[test]
fn flags_and_defaults_as_before() {
    let cli = RelayerCli::try_parse_from(["bithive-relayer", "start"]).unwrap();
    let RelayerCommand::Start(s) = cli.command else {
        panic!("not start")
    };
    // BITHIVE_RELAYER_CONFIG is only set by `env_fills_options`, on `keys`-free parses.
    if std::env::var_os("BITHIVE_RELAYER_CONFIG").is_none() {
        assert_eq!(s.config, std::path::Path::new("relayer.toml"));
    }
    // Flags after the name, before it, or mixed, as the hand parser took them.
    for argv in [
        &[
            "bithive-relayer",
            "keys",
            "show",
            "op",
            "--prefix",
            "cosmos",
            "--keyring",
            "k.json",
        ][..],
        &[
            "bithive-relayer",
            "keys",
            "show",
            "--keyring",
            "k.json",
            "op",
            "--prefix",
            "cosmos",
        ],
    ] {
        let cli = RelayerCli::try_parse_from(argv).unwrap();
        let RelayerCommand::Keys(KeysCommand::Show { name, keyring }) = cli.command else {
            panic!("not keys show")
        };
        assert_eq!(name, "op");
        assert_eq!(keyring.prefix, "cosmos");
        assert_eq!(keyring.keyring, std::path::Path::new("k.json"));
    }
    assert!(RelayerCli::try_parse_from(["bithive-relayer", "keys", "show"]).is_err());
    assert!(RelayerCli::try_parse_from(["bithive-relayer", "keys", "nope"]).is_err());
    // The mnemonic is never an argument.
    assert!(
        RelayerCli::try_parse_from(["bithive-relayer", "keys", "add", "op", MNEMONIC]).is_err()
    );
}

/// The only test that sets environment variables in this process.
#[test]
fn env_fills_options() {
    std::env::set_var("BITHIVE_RELAYER_CONFIG", "/etc/secret-dir/relayer.toml");
    let cli = RelayerCli::try_parse_from(["bithive-relayer", "start"]).unwrap();
    let help = RelayerCli::command()
        .try_get_matches_from(["bithive-relayer", "start", "--help"])
        .unwrap_err()
        .to_string();
    std::env::remove_var("BITHIVE_RELAYER_CONFIG");
    let RelayerCommand::Start(s) = cli.command else {
        panic!("not start")
    };
    assert_eq!(
        s.config,
        std::path::Path::new("/etc/secret-dir/relayer.toml")
    );
    assert!(help.contains("BITHIVE_RELAYER_CONFIG"), "{help}");
    assert!(!help.contains("secret-dir"), "{help}");
}

#[test]
fn completions_generate() {
    for (shell, text) in completion_scripts(&RelayerCli::command(), "bithive-relayer") {
        assert!(
            text.contains("keys") && text.contains("mnemonic-file"),
            "{shell}"
        );
    }
}

/// The built binary: help, version, completions, and `keys` on a keyring named only by
/// BITHIVE_KEYRING, with the mnemonic from stdin and from BITHIVE_MNEMONIC_FILE.
#[test]
fn binary_keys_from_env() {
    let bin = env!("CARGO_BIN_EXE_bithive-relayer");
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("keyring.json");
    let cmd = |args: &[&str]| {
        let mut c = Process::new(bin);
        c.args(args)
            .current_dir(dir.path())
            .env("BITHIVE_KEYRING", &keyring)
            .env_remove("BITHIVE_MNEMONIC_FILE")
            .env_remove("BITHIVE_RELAYER_MNEMONIC_OP")
            .env_remove("BITHIVE_RELAYER_MNEMONIC_OP2");
        c
    };
    for args in [
        &["--help"][..],
        &["start", "--help"],
        &["keys", "add", "--help"],
    ] {
        let o = cmd(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage: bithive-relayer"));
    }
    let o = cmd(&["--version"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("bithive-relayer {}", env!("CARGO_PKG_VERSION"))
    );
    let o = cmd(&["completions", "fish"]).output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("bithive-relayer"));

    let mut child = cmd(&["keys", "add", "op"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MNEMONIC.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let added = String::from_utf8(o.stdout).unwrap();
    assert!(added.starts_with("op\tbithive1"), "{added}");
    assert!(keyring.exists(), "the keyring came from BITHIVE_KEYRING");

    let file = dir.path().join("m.txt");
    std::fs::write(&file, MNEMONIC).unwrap();
    let o = cmd(&["keys", "add", "op2"])
        .env("BITHIVE_MNEMONIC_FILE", &file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");

    let o = cmd(&["keys", "list"]).output().unwrap();
    let list = String::from_utf8(o.stdout).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    let o = cmd(&["keys", "show", "op", "--prefix", "cosmos"])
        .output()
        .unwrap();
    let show = String::from_utf8(o.stdout).unwrap();
    assert!(show.starts_with("op\tcosmos1"), "{show}");
    assert!(!show.contains("abandon") && !list.contains("abandon") && !added.contains("abandon"));

    // The proof a node account needs to register the operator key: it verifies against the
    // registration digest for exactly that chain, contract and node, and no other.
    let o = cmd(&[
        "keys",
        "pop",
        "op",
        "--chain-id",
        "bithive-1",
        "--staking",
        "bithive1staking",
        "--node",
        "bithive1node",
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{o:?}");
    let text = String::from_utf8(o.stdout).unwrap();
    let field = |name: &str| -> Vec<u8> {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("no {name} in {text}"));
        hex::decode(line).unwrap()
    };
    let (key, sig) = (field("operator_key"), field("operator_signature"));
    assert_eq!(sig.len(), 64);
    let pk = bithive_signed_attestation::PubKey33(key.clone().try_into().unwrap());
    let digest = |node: &str| {
        bithive_signed_attestation::operator_pop_digest("bithive-1", "bithive1staking", node, &pk)
            .unwrap()
            .0
    };
    let verify = bithive_signed_attestation::signing::k256_verify;
    assert!(verify(&digest("bithive1node"), &sig, &key).unwrap());
    assert!(!verify(&digest("bithive1other"), &sig, &key).unwrap());
    assert!(!text.contains("abandon"));
}
