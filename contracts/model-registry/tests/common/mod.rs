//! Contracts and messages shared by the model registry's suites (`multitest.rs`, `vm.rs`, `gas.rs`).
#![allow(dead_code)]

use bithive_model_registry::msg::{AssetInfo, InstantiateMsg, PublishMsg};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::Contract;

/// The registry as a cw-multi-test contract (no migrate entry point).
pub fn registry_contract() -> Box<dyn Contract<Empty>> {
    bithive_cw_test_fixtures::contract!(bithive_model_registry)
}

#[allow(unused_imports)]
pub use bithive_cw_test_fixtures::suite::MODEL_CID as CID;

/// `name` v`version`: a radiology classifier of [`CID`] priced at 250, Apache-2.0.
pub fn publish(name: &str, version: u32) -> PublishMsg {
    bithive_cw_test_fixtures::suite::model_publish(name, version, 250)
}

/// A registry with no admin, priced in `ubtt`, that takes accuracy from `evaluator` and jobs
/// from `escrow`.
pub fn registry_init(evaluator: &Addr, escrow: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        evaluator: Some(evaluator.to_string()),
        escrow: Some(escrow.to_string()),
        price_asset: AssetInfo::Native("ubtt".into()),
    }
}
