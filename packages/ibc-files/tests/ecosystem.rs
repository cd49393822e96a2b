//! The chain-registry IBC file held to the registry's own schema (`ibc_data.schema.json` in
//! `testing/ecosystem`, kept in the repository with its source and licence) and to the shape of its example (juno-osmosis).
use std::path::{Path, PathBuf};

use bithive_ibc_files::registry::IbcData;
use bithive_ibc_files::{Channel, ChannelEnd, Link, LinkEnd, Ordering};
use serde_json::Value;

fn ecosystem() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testing/ecosystem/chain-registry");
    assert!(
        dir.join("ibc_data.schema.json").is_file(),
        "{} is missing: the chain-registry schemas live in testing/ecosystem (see its README)",
        dir.display()
    );
    dir
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&read(&ecosystem().join("ibc_data.schema.json")))
        .unwrap()
}

fn errors(instance: &Value) -> Vec<String> {
    validator()
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn end(port: &str, channel: &str) -> ChannelEnd {
    ChannelEnd {
        port_id: port.into(),
        channel_id: channel.into(),
    }
}

fn link() -> Link {
    Link {
        // Deliberately out of alphabetical order: the file must sort them.
        a: LinkEnd {
            chain_id: "wasm-test-2".into(),
            chain_name: "wasmtest".into(),
            client_id: "07-tendermint-0".into(),
            connection_id: "connection-0".into(),
        },
        b: LinkEnd {
            chain_id: "bithive-wasmd-test-1".into(),
            chain_name: "bithivewasmdtest".into(),
            client_id: "07-tendermint-1".into(),
            connection_id: "connection-2".into(),
        },
        channels: vec![
            Channel {
                a: end("transfer", "channel-0"),
                b: end("transfer", "channel-3"),
                ordering: Ordering::Unordered,
                version: "ics20-1".into(),
            },
            Channel {
                a: end("transfer", "channel-1"),
                b: end(
                    "wasm.bithive1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs0c3gzr",
                    "channel-4",
                ),
                ordering: Ordering::Unordered,
                version: "ics20-1".into(),
            },
        ],
    }
}

#[test]
fn the_example_passes_the_schema() {
    // The validator itself accepts the registry's own example (so a pass below means something).
    let example = read(&ecosystem().join("examples/juno-osmosis.ibc.json"));
    assert_eq!(errors(&example), Vec::<String>::new());
}

#[test]
fn our_file_passes_the_schema_with_the_chains_in_order() {
    let data = IbcData::new(&link()).unwrap();
    let v: Value = serde_json::from_str(&data.to_json().unwrap()).unwrap();
    assert_eq!(errors(&v), Vec::<String>::new());
    assert_eq!(data.file_name(), "bithivewasmdtest-wasmtest.json");
    assert_eq!(v["chain_1"]["chain_id"], "bithive-wasmd-test-1");
    assert_eq!(v["chain_1"]["connection_id"], "connection-2");
    // The channel ends follow their chains when the file swaps them.
    assert_eq!(
        v["channels"][1]["chain_1"]["port_id"]
            .as_str()
            .unwrap()
            .get(..5),
        Some("wasm.")
    );
    assert_eq!(v["channels"][1]["chain_2"]["channel_id"], "channel-1");
    // Same keys as the registry's example, level by level.
    let example = read(&ecosystem().join("examples/juno-osmosis.ibc.json"));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v), keys(&example));
    assert_eq!(keys(&v["chain_1"]), keys(&example["chain_1"]));
    assert_eq!(keys(&v["channels"][0]), keys(&example["channels"][0]));
}

#[test]
fn the_schema_refuses_what_it_should() {
    // The checks are live: a file missing a connection, or with a bad ordering, fails.
    let mut v: Value =
        serde_json::from_str(&IbcData::new(&link()).unwrap().to_json().unwrap()).unwrap();
    v["chain_1"]
        .as_object_mut()
        .unwrap()
        .remove("connection_id");
    assert!(!errors(&v).is_empty());
    let mut v: Value =
        serde_json::from_str(&IbcData::new(&link()).unwrap().to_json().unwrap()).unwrap();
    v["channels"][0]["ordering"] = "sorted".into();
    assert!(!errors(&v).is_empty());
}

/// The file `bithive ibc files` wrote for two live chains (scripts/test.d/ibc.sh sets
/// `IBC_DATA_FILE`), held to the same schema.
#[test]
#[ignore = "run by scripts/test.d/ibc.sh on the file written for two wasmd chains"]
fn the_written_file_passes_the_schema() {
    let path = std::env::var("IBC_DATA_FILE").expect("IBC_DATA_FILE: the _IBC file to check");
    let v = read(Path::new(&path));
    assert_eq!(errors(&v), Vec::<String>::new(), "{path}");
    assert!(
        !v["channels"].as_array().unwrap().is_empty(),
        "{path} lists no channel"
    );
}
