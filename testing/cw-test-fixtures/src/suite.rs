//! What several contracts' suites would otherwise each write again: naming a test's accounts,
//! the migrate refusals every contract checks, a cw20 `send` to a contract, an event's attribute,
//! a model for the
//! model registry, the table and assertions of a "storage is flat in N" test, and the table of
//! a `*_gas` example.

use std::time::Instant;

use bithive_interface::model_registry::PublishMsg;
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{Addr, DepsMut, Empty, Env, MessageInfo, Response, StdResult, Uint128};
#[doc(hidden)]
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::gas::{print_gas_row, StorageCost};

/// Binds each name to the address `make` gives for it: `addrs!(|n| api.addr_make(n); admin,
/// payer)` is `let admin = api.addr_make("admin"); let payer = api.addr_make("payer");`.
#[macro_export]
macro_rules! addrs {
    ($make:expr; $($name:ident),+ $(,)?) => {
        let make = $make;
        $(let $name = make(stringify!($name));)+
    };
}

/// The addresses of a suite's nodes: `node0` to `node{n - 1}`.
pub fn node_addrs(api: &MockApi, n: usize) -> Vec<Addr> {
    (0..n).map(|i| api.addr_make(&format!("node{i}"))).collect()
}

/// Instantiates `code` with `msg` by `admin`, who is also its wasm admin (and may migrate it).
pub fn instantiate_migratable(
    app: &mut App,
    code: u64,
    admin: &Addr,
    msg: &impl Serialize,
    label: &str,
) -> Addr {
    let wasm_admin = Some(admin.to_string());
    crate::contracts::instantiate_with_admin(app, code, admin, msg, label, wasm_admin)
}

/// A contract that runs the test's `execute` (a hostile or probing receiver), with an
/// instantiate and a query that accept `{}` and do nothing.
pub fn execute_only<T>(
    execute: fn(DepsMut, Env, MessageInfo, T) -> StdResult<Response>,
) -> Box<dyn Contract<Empty>>
where
    T: DeserializeOwned + 'static,
{
    Box::new(ContractWrapper::new(
        execute,
        crate::plain_init,
        crate::plain_query,
    ))
}

/// Clones fields of `owner` into locals of the same names (to hold them while `owner` is
/// borrowed mutably): `cloned!(t => alice, bob)` is `let alice = t.alice.clone(); let bob =
/// t.bob.clone();`.
#[macro_export]
macro_rules! cloned {
    ($owner:ident => $($field:ident),+ $(,)?) => {
        $(let $field = $owner.$field.clone();)+
    };
}

/// Asserts `contract::migrate` (with message `msg`) upgrades the mock dependencies `deps` from
/// the contract's own `CONTRACT_NAME` at the older version `from`, and that cw2 then says
/// `CONTRACT_VERSION`. The calling crate depends on cosmwasm-std and cw2.
#[macro_export]
macro_rules! assert_upgrades {
    ($($contract:ident)::+, $msg:expr, $deps:expr, $from:expr) => {{
        let deps = $deps;
        let name = $($contract)::+::CONTRACT_NAME;
        ::cw2::set_contract_version(deps.as_mut().storage, name, $from).unwrap();
        let env = ::cosmwasm_std::testing::mock_env();
        if let Err(e) = $($contract)::+::migrate(deps.as_mut(), env, $msg) {
            panic!("migrating up from {}: {e:?}", $from);
        }
        let v = ::cw2::get_contract_version(deps.as_ref().storage).unwrap();
        assert_eq!(v.version, $($contract)::+::CONTRACT_VERSION, "cw2 after the upgrade");
    }};
}

/// Asserts `contract::migrate` (with message `msg`) refuses a downgrade, from the contract's
/// own `CONTRACT_NAME` at version `newer`, and the state of another contract (`other` at 0.0.1),
/// each with its `bithive_cw_common::MigrateError` in the caller's `ContractError::Migrate`.
/// Evaluates to the mock dependencies it ran on (cw2 still says `other`). The calling crate has
/// `ContractError` in scope and depends on cosmwasm-std, cw2 and bithive-cw-common (as every
/// contract does).
///
/// `assert_migrate_refusals!(bithive_x::contract, MigrateMsg {}, "9.0.0", "other")`
#[macro_export]
macro_rules! assert_migrate_refusals {
    ($($contract:ident)::+, $msg:expr, $newer:expr, $other:expr) => {{
        use ::bithive_cw_common::MigrateError;
        let env = ::cosmwasm_std::testing::mock_env();
        let mut deps = ::cosmwasm_std::testing::mock_dependencies();
        let name = $($contract)::+::CONTRACT_NAME;
        ::cw2::set_contract_version(deps.as_mut().storage, name, $newer).unwrap();
        let r = $($contract)::+::migrate(deps.as_mut(), env.clone(), $msg);
        assert!(
            matches!(r, Err(ContractError::Migrate(MigrateError::Downgrade { .. }))),
            "migrating down from {}: {r:?}",
            $newer
        );
        ::cw2::set_contract_version(deps.as_mut().storage, $other, "0.0.1").unwrap();
        let r = $($contract)::+::migrate(deps.as_mut(), env, $msg);
        assert!(
            matches!(r, Err(ContractError::Migrate(MigrateError::WrongContract { .. }))),
            "migrating {}'s state: {r:?}",
            $other
        );
        deps
    }};
}

pub use crate::cw20_send;

/// The value of attribute `key` in the `wasm` events of `res` (the first, when several have it).
pub fn wasm_attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .filter(|e| e.ty == bithive_interface::WASM_EVENT)
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// `ipfs add --cid-version 1` of "hello world\n": a real CIDv1.
pub const MODEL_CID: &str = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

/// The model registry's `publish` of `name` v`version`: a radiology classifier of
/// [`MODEL_CID`] priced at `price`, Apache-2.0.
pub fn model_publish(name: &str, version: u32, price: u128) -> PublishMsg {
    PublishMsg {
        name: name.into(),
        version,
        specialty: "radiology".into(),
        input_spec: "float32[1,3,224,224] RGB in [0,1]".into(),
        output_spec: "float32[1,5] class probabilities".into(),
        onnx_sha256: "ab".repeat(32),
        content_id: MODEL_CID.into(),
        size_bytes: 1_234_567,
        price: Uint128::new(price),
        licence: "Apache-2.0".into(),
    }
}

/// Prints and checks a "storage is flat in N" table: each operation's storage cost with `small`
/// and with `large` `things` in the contract (the two measurements list the same operations in
/// the same order). The operations must touch the same number of keys at both sizes and cost
/// the same SDK gas within 1 % (bytes differ only by the width of ids).
#[track_caller]
pub fn assert_storage_flat(
    things: &str,
    sizes: (u32, u32),
    small: &[(&str, StorageCost)],
    large: &[(&str, StorageCost)],
) {
    let rows: Vec<_> = pairs(small, large)
        .map(|(name, a, b)| (name, *a, *b))
        .collect();
    crate::gas::assert_flat(things, sizes.0, sizes.1, &rows);
}

/// Each operation with its figures at the small and at the large size (both lists name the
/// same operations in the same order).
#[track_caller]
fn pairs<'a, T>(
    small: &'a [(&'a str, T)],
    large: &'a [(&'a str, T)],
) -> impl Iterator<Item = (&'a str, &'a T, &'a T)> {
    let names = |rows: &[(&'a str, T)]| rows.iter().map(|(n, _)| *n).collect::<Vec<_>>();
    assert_eq!(
        names(small),
        names(large),
        "both measurements list the same operations"
    );
    small.iter().zip(large).map(|((n, a), (_, b))| (*n, a, b))
}

/// Logs (to stderr) how long the state of `n` took to build and measure.
pub fn log_elapsed(n: impl std::fmt::Display, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!("n = {n}: state built and measured in {secs:.1} s");
}

/// The table of a `*_gas` example: one row per operation with its CosmWasm gas at the two
/// sizes (`small` and `large`, measured at `sizes`, list the same operations in the same order;
/// their last row is the cw20-base transfer the others are compared with at the large size;
/// `label` names a size in the header).
pub fn print_gas_table(
    sizes: (u64, u64),
    label: impl Fn(u64) -> String,
    small: &[(&str, u64)],
    large: &[(&str, u64)],
) {
    let (n, m) = sizes;
    let (at_n, at_m) = (label(n), label(m));
    println!(
        "| operation (CosmWasm gas) | {at_n} | {at_m} | ratio {m}/{n} | vs cw20-base transfer ({m}) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    let reference = large.last().expect("a reference row").1;
    for (name, a, b) in pairs(small, large) {
        print_gas_row(name, *a, *b, reference);
    }
}

/// The note under a `*_gas` example's tables (`sdk_to_cw_gas`: wasmd's multiplier).
pub fn print_sdk_gas_note(sdk_to_cw_gas: u64) {
    println!(
        "\nSDK gas = CosmWasm gas / {sdk_to_cw_gas} (wasmd v0.61's multiplier); wasmd's fixed per-call costs are not included."
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockApi;

    #[test]
    fn addrs_binds_each_name_and_cloned_copies_fields() {
        let api = MockApi::default();
        addrs!(|n| api.addr_make(n); alice, bob);
        assert_eq!(
            (&alice, &bob),
            (&api.addr_make("alice"), &api.addr_make("bob"))
        );
        struct Pair {
            alice: cosmwasm_std::Addr,
            bob: cosmwasm_std::Addr,
        }
        let pair = Pair { alice, bob };
        cloned!(pair => alice, bob);
        assert_eq!((alice, bob), (pair.alice, pair.bob));
    }

    #[test]
    #[should_panic(expected = "ratio")]
    fn storage_flat_refuses_a_growing_cost() {
        let a = StorageCost {
            reads: 1,
            read_bytes: 10,
            ..StorageCost::default()
        };
        let b = StorageCost {
            read_bytes: 1_000,
            ..a
        };
        assert_storage_flat("things", (1, 2), &[("read", a)], &[("read", b)]);
    }
}
