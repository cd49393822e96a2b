//! Issue #27: a fee-less `Simulate` of a `MsgStoreCode` wrote about 1.4 MB to disk
//! (the wasm and its compiled module, into the VM's cache directory). A simulation now writes
//! nothing: not the block log, not the cache. Its own test binary (one process, one chain), so
//! the cache directories of this process are this chain's alone.

mod common;

use common::*;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::prost::Message;
use serde_json::json;

/// Bytes under this process's VM cache directories and under `home`.
fn disk_use(home: &std::path::Path) -> u64 {
    let prefix = format!(
        "{}{}-",
        bithive_vm_host::CACHE_DIR_PREFIX,
        std::process::id()
    );
    let tmp = std::env::temp_dir();
    let cache: u64 = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| dir_size(&e.path()))
        .sum();
    cache + dir_size(home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_writes_nothing_to_disk() {
    let alice = Key::new(31);
    let dir = tempfile::tempdir().unwrap();
    let h = start(&[&alice], Some(dir.path().to_path_buf()), 0).await;
    let url = h.rpc_url();
    let before = disk_use(dir.path());
    // Fee-less and gas 0, as a client estimating gas sends it.
    let wasm = artifact("bithive_token.wasm");
    let tx = alice.sign(vec![store(&alice.address, wasm)], 1, 0, 0, 0);
    let req = SimulateRequest {
        tx_bytes: tx,
        ..Default::default()
    };
    let r = rpc(
        &url,
        "abci_query",
        json!({ "path": "/cosmos.tx.v1beta1.Service/Simulate", "data": hex::encode(req.encode_to_vec()) }),
    )
    .await;
    let resp = &r["result"]["response"];
    assert_eq!(resp["code"], 0, "{r}");
    let value = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        resp["value"].as_str().unwrap(),
    )
    .unwrap();
    let sim = SimulateResponse::decode(value.as_slice()).unwrap();
    assert!(sim.gas_info.unwrap().gas_used > 0);
    assert_eq!(disk_use(dir.path()), before, "simulate wrote to disk");
    assert_eq!(h.node().app().height(), 1);
    h.shutdown().await;
}
