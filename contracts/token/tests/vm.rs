//! The committed artifact itself, executed in cosmwasm-vm 3 through bithive-vm-host: instantiate,
//! transfer, send to a receiver contract, allowance flows, minting, queries, migration, and a
//! message fuzzer that must only ever produce contract errors, never a VM abort.

use bithive_cw_test_fixtures::artifact;
use bithive_vm_host::{Chain, ChainConfig, HostError, TxResponse};
use proptest::prelude::*;
use serde_json::{json, Value};

struct Env {
    chain: Chain,
    token: String,
    receiver: String,
    owner: String,
    minter: String,
    alice: String,
    bob: String,
}

fn setup() -> Env {
    let mut chain = Chain::new(ChainConfig::default()).unwrap();
    let token_code = chain.store_code(&artifact("bithive_token.wasm")).unwrap();
    let recv_code = chain
        .store_code(&artifact("reference/cw20_receiver_probe.wasm"))
        .unwrap();
    let (owner, minter, alice, bob) = (
        chain.addr("owner"),
        chain.addr("minter"),
        chain.addr("alice"),
        chain.addr("bob"),
    );
    let (token, _) = chain
        .instantiate(
            token_code,
            &owner,
            &json!({
                "name": "BitSpark Token", "symbol": "BTK", "decimals": 6,
                "initial_balances": [{"address": alice, "amount": "1000000"}],
                "owner": null, "cap": "2100000000000000",
                "minters": [{"minter": minter, "allowance": "500000000000"}],
                "marketing": null
            }),
            &[],
            "btk",
            Some(&owner),
        )
        .unwrap();
    let (receiver, _) = chain
        .instantiate(recv_code, &owner, &json!({}), &[], "probe", None)
        .unwrap();
    Env {
        chain,
        token,
        receiver,
        owner,
        minter,
        alice,
        bob,
    }
}

impl Env {
    /// Executes `msg` on the token as `sender`, with no funds attached.
    fn exec_token(&mut self, sender: &str, msg: &Value) -> Result<TxResponse, HostError> {
        self.chain.execute(&self.token, sender, msg, &[])
    }

    /// Executes `msg` on the token as `sender` and expects it to succeed.
    fn exec_ok(&mut self, sender: &str, msg: &Value) -> TxResponse {
        self.exec_token(sender, msg).unwrap()
    }

    /// Executes `msg` on the token as `sender` and expects it to fail.
    fn exec_err(&mut self, sender: &str, msg: &Value) -> HostError {
        self.exec_token(sender, msg).unwrap_err()
    }
}

fn balance(e: &Env, who: &str) -> u128 {
    let v: Value = e
        .chain
        .query(&e.token, &json!({"balance": {"address": who}}))
        .unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

#[test]
fn instantiate_transfer_and_queries() {
    let mut e = setup();
    let info: Value = e.chain.query(&e.token, &json!({"token_info": {}})).unwrap();
    assert_eq!(
        info,
        json!({"name": "BitSpark Token", "symbol": "BTK", "decimals": 6, "total_supply": "1000000"})
    );
    let (alice, bob) = (e.alice.clone(), e.bob.clone());
    let tx = e.exec_ok(
        &alice,
        &json!({"transfer": {"recipient": bob, "amount": "250"}}),
    );
    assert_eq!(tx.attr("wasm", "action"), Some("transfer"));
    assert_eq!(tx.attr("wasm", "_contract_address"), Some(e.token.as_str()));
    assert!(tx.gas_used > 0);
    assert_eq!((balance(&e, &alice), balance(&e, &bob)), (999_750, 250));
    let accounts: Value = e
        .chain
        .query(&e.token, &json!({"all_accounts": {}}))
        .unwrap();
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 2);
    let err = e.exec_err(
        &bob,
        &json!({"transfer": {"recipient": alice, "amount": "0"}}),
    );
    assert!(
        matches!(&err, HostError::Contract(m) if m.contains("greater than zero")),
        "{err}"
    );
    // cw2 name is ours.
    let raw = e.chain.raw(&e.token, b"contract_info").unwrap();
    assert!(String::from_utf8(raw)
        .unwrap()
        .contains("crates.io:bithive-token"));
}

#[test]
fn send_reaches_receiver_contract_and_failure_reverts() {
    let mut e = setup();
    let (alice, receiver) = (e.alice.clone(), e.receiver.clone());
    let msg = cosmwasm_std::to_json_binary(&json!({"pay": 7})).unwrap();
    let tx = e.exec_ok(
        &alice,
        &json!({"send": {"contract": receiver, "amount": "40", "msg": msg}}),
    );
    // The receiver ran: its wasm event follows the token's.
    let actions: Vec<_> = tx
        .events
        .iter()
        .filter(|ev| ev.ty == "wasm")
        .map(|ev| ev.attributes[1].value.clone())
        .collect();
    assert_eq!(actions, vec!["send", "received"]);
    let got: Value = e.chain.query(&receiver, &json!({"received": {}})).unwrap();
    assert_eq!(
        got,
        json!([{"token": e.token, "sender": alice, "amount": "40", "msg": msg}])
    );
    assert_eq!(balance(&e, &receiver), 40);

    let fail = cosmwasm_std::to_json_binary(&"fail").unwrap();
    let err = e.exec_err(
        &alice,
        &json!({"send": {"contract": receiver, "amount": "5", "msg": fail}}),
    );
    assert!(err.is_contract_error(), "{err}");
    assert_eq!(balance(&e, &receiver), 40);
    assert_eq!(balance(&e, &alice), 999_960);
}

#[test]
fn allowance_flows() {
    let mut e = setup();
    let (alice, bob, receiver) = (e.alice.clone(), e.bob.clone(), e.receiver.clone());
    e.exec_ok(
        &alice,
        &json!({"increase_allowance": {"spender": bob, "amount": "100"}}),
    );
    e.exec_ok(
        &bob,
        &json!({"transfer_from": {"owner": alice, "recipient": bob, "amount": "30"}}),
    );
    e.exec_ok(
        &bob,
        &json!({"burn_from": {"owner": alice, "amount": "20"}}),
    );
    e.exec_ok(
        &bob,
        &json!({"send_from": {"owner": alice, "contract": receiver, "amount": "50", "msg": ""}}),
    );
    let a: Value = e
        .chain
        .query(
            &e.token,
            &json!({"allowance": {"owner": alice, "spender": bob}}),
        )
        .unwrap();
    assert_eq!(a["allowance"], "0");
    assert!(e
        .exec_err(
            &bob,
            &json!({"transfer_from": {"owner": alice, "recipient": bob, "amount": "1"}})
        )
        .is_contract_error());
    let all: Value = e
        .chain
        .query(&e.token, &json!({"all_allowances": {"owner": alice}}))
        .unwrap();
    assert_eq!(all["allowances"].as_array().unwrap().len(), 1);
    let info: Value = e.chain.query(&e.token, &json!({"token_info": {}})).unwrap();
    assert_eq!(info["total_supply"], "999980");
}

#[test]
fn minting_cap_and_migration() {
    let mut e = setup();
    let (minter, bob, owner) = (e.minter.clone(), e.bob.clone(), e.owner.clone());
    let tx = e.exec_ok(
        &minter,
        &json!({"mint": {"recipient": bob, "amount": "500000000000"}}),
    );
    assert_eq!(tx.attr("wasm", "minter_allowance"), Some("0"));
    let err = e.exec_err(&minter, &json!({"mint": {"recipient": bob, "amount": "1"}}));
    assert!(
        matches!(&err, HostError::Contract(m) if m.contains("mint allowance")),
        "{err}"
    );
    let mi: Value = e.chain.query(&e.token, &json!({"mint_info": {}})).unwrap();
    assert_eq!(mi["minted"], "500001000000");
    // Migrating the artifact onto itself (same version) is accepted by the contract.
    let code = e.chain.contract_info(&e.token).unwrap().code_id;
    let tx = e.chain.migrate(&e.token, &owner, code, &json!({})).unwrap();
    assert_eq!(tx.attr("wasm", "action"), Some("migrate"));
}

thread_local! {
    static FUZZ_ENV: std::cell::RefCell<Option<Env>> = const { std::cell::RefCell::new(None) };
}

/// Any JSON value, biased towards the token's message vocabulary.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("transfer"),
        Just("send"),
        Just("mint"),
        Just("burn"),
        Just("increase_allowance"),
        Just("transfer_from"),
        Just("recipient"),
        Just("amount"),
        Just("contract"),
        Just("msg"),
        Just("owner"),
        Just("spender"),
        Just("expires"),
        Just("at_height"),
        Just("set_minter"),
        Just("update_ownership"),
        Just("upload_logo"),
        Just("embedded"),
        Just("png"),
        Just("x")
    ]
    .prop_map(str::to_string);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n.to_string())),
        Just(json!("340282366920938463463374607431768211456")), // u128::MAX + 1
        Just(json!("-1")),
        "[a-z0-9]{0,70}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Malformed and random messages: contract errors are fine, VM failures are not.
    #[test]
    fn fuzz_messages_never_abort_the_vm(
        value in json_value(),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        sender in 0usize..4,
    ) {
        // One chain for all cases (compiling the module per case would dominate): state left by
        // accepted random messages only widens what later cases explore.
        FUZZ_ENV.with(|cell| {
        let mut slot = cell.borrow_mut();
        let e = slot.get_or_insert_with(setup);
        let senders = [e.owner.clone(), e.minter.clone(), e.alice.clone(), e.bob.clone()];
        let token = e.token.clone();
        let as_json = serde_json::to_vec(&value).unwrap();
        for msg in [as_json.as_slice(), bytes.as_slice()] {
            match e.chain.execute_raw(&token, &senders[sender], msg, &[]) {
                Ok(_) => {}
                Err(err) => prop_assert!(err.is_contract_error(), "execute {}: {err}", String::from_utf8_lossy(msg)),
            }
            match e.chain.query_raw(&token, msg) {
                Ok(_) => {}
                Err(err) => prop_assert!(err.is_contract_error(), "query {}: {err}", String::from_utf8_lossy(msg)),
            }
        }
        Ok(())
        })?;
    }
}
