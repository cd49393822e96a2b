//! Multi-message transactions: atomicity, gas limits, simulation, store-code messages, admin
//! events, with the committed cw20 artifact.

use std::path::PathBuf;

use bithive_vm_host::{coin, BankMsg, Chain, ChainConfig, CosmosMsg, HostError, TxMsg, WasmMsg};
use serde_json::json;

fn token_wasm() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/bithive_token.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn send(to: &str, amount: u128) -> TxMsg {
    CosmosMsg::Bank(BankMsg::Send {
        to_address: to.into(),
        amount: vec![coin(amount, "ubhive")],
    })
    .into()
}

#[test]
fn messages_are_atomic_and_report_the_failing_index() {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let (a, b) = (chain.addr("a"), chain.addr("b"));
    chain.mint_native(&a, &[coin(100, "ubhive")]).unwrap();
    let out = chain.run_tx_with(&a, vec![send(&b, 60), send(&b, 60)], u64::MAX);
    assert!(matches!(
        out.result,
        Err(HostError::InsufficientFunds { .. })
    ));
    assert_eq!(out.failed_msg, Some(1));
    assert_eq!(
        (chain.balance(&a, "ubhive"), chain.balance(&b, "ubhive")),
        (100, 0)
    );

    let out = chain.run_tx_with(&a, vec![send(&b, 10), send(&b, 20)], u64::MAX);
    let resp = out.result.unwrap();
    assert_eq!(resp.msg_event_starts.len(), 2);
    assert_eq!(resp.events[resp.msg_event_starts[1]].ty, "coin_spent");
    assert_eq!(chain.balance(&b, "ubhive"), 30);
}

#[test]
fn store_instantiate_gas_limit_and_simulation() {
    let mut chain = Chain::new(ChainConfig {
        call_cost: 60_000 * bithive_vm_host::SDK_TO_CW_GAS,
        ..ChainConfig::default()
    })
    .unwrap();
    let a = chain.addr("a");
    // Simulation stores nothing.
    let sim = chain.simulate(&a, vec![TxMsg::StoreCode(token_wasm())], u64::MAX);
    assert!(sim.result.unwrap().attr("store_code", "code_id") == Some("1"));
    assert_eq!(chain.code_count(), 0);
    // Too little gas for the compile cost: out of gas, nothing stored.
    let out = chain.run_tx_with(&a, vec![TxMsg::StoreCode(token_wasm())], 1000);
    assert!(matches!(out.result, Err(HostError::OutOfGas)));
    assert_eq!(chain.code_count(), 0);
    let out = chain.run_tx_with(&a, vec![TxMsg::StoreCode(token_wasm())], u64::MAX);
    let resp = out.result.unwrap();
    assert_eq!(resp.attr("store_code", "code_id"), Some("1"));
    assert_eq!(chain.code_count(), 1);

    let init = json!({
        "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
        "initial_balances": [{"address": a, "amount": "1000"}],
        "owner": null, "cap": null, "minters": [], "marketing": null
    });
    let inst = |admin: Option<String>| -> TxMsg {
        CosmosMsg::Wasm(WasmMsg::Instantiate {
            admin,
            code_id: 1,
            msg: serde_json::to_vec(&init).unwrap().into(),
            funds: vec![],
            label: "btk".into(),
        })
        .into()
    };
    // Below the per-call cost: out of gas, and the instance counter is rolled back too.
    let out = chain.run_tx_with(&a, vec![inst(Some(a.clone()))], 1_000_000);
    assert!(matches!(out.result, Err(HostError::OutOfGas)));
    let out = chain.run_tx_with(&a, vec![inst(Some(a.clone()))], u64::MAX);
    let resp = out.result.unwrap();
    let token = resp
        .attr("instantiate", "_contract_address")
        .unwrap()
        .to_string();
    assert_eq!(token, bithive_vm_host::contract_address("bithive", 1, 1));
    assert!(out.gas_used > 60_000 * bithive_vm_host::SDK_TO_CW_GAS);

    let b = chain.addr("b");
    let update: TxMsg = CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
        contract_addr: token.clone(),
        admin: b.clone(),
    })
    .into();
    let resp = chain
        .run_tx_with(&a, vec![update], u64::MAX)
        .result
        .unwrap();
    assert_eq!(
        resp.attr("update_contract_admin", "new_admin_address"),
        Some(b.as_str())
    );
    assert_eq!(chain.contract_info(&token).unwrap().admin, Some(b.clone()));
    let clear: TxMsg = CosmosMsg::Wasm(WasmMsg::ClearAdmin {
        contract_addr: token.clone(),
    })
    .into();
    assert!(matches!(
        chain.run_tx_with(&a, vec![clear.clone()], u64::MAX).result,
        Err(HostError::Unauthorized(_))
    ));
    chain.run_tx_with(&b, vec![clear], u64::MAX).result.unwrap();
    assert_eq!(chain.contract_info(&token).unwrap().admin, None);
    assert_eq!(chain.contracts().len(), 1);
}

/// Issue #27: a chain killed with SIGKILL leaves its module-cache directory behind. A new chain
/// removes those of dead processes, and never a live one's (its own included).
#[test]
fn module_caches_of_dead_processes_are_swept() {
    let base = std::env::temp_dir();
    // pid_max is at most 2^22 on Linux: this pid is never alive.
    let stale = base.join(format!("{}4294967-test", bithive_vm_host::CACHE_DIR_PREFIX));
    std::fs::create_dir_all(stale.join("modules")).unwrap();
    std::fs::write(stale.join("modules/m.bin"), b"compiled").unwrap();
    let chain = Chain::new(ChainConfig::default()).unwrap();
    assert!(!stale.exists(), "the dead process's cache dir is left");
    // A live process's directory (this one's, from the chain just made) stays.
    let mine = format!(
        "{}{}-",
        bithive_vm_host::CACHE_DIR_PREFIX,
        std::process::id()
    );
    bithive_vm_host::sweep_stale_cache_dirs(&base);
    let live = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(&mine));
    assert!(live, "a live chain's cache dir was removed");
    drop(chain);
}
