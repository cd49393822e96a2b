//! Contracts and messages shared by the model registry's suites (`multitest.rs`, `vm.rs`, `gas.rs`).
#![allow(dead_code)]

use bithive_cw_test_fixtures::contract;
use bithive_model_registry::msg::{AssetInfo, InstantiateMsg, PublishMsg};
use cosmwasm_std::{Addr, Empty, Uint128};
use cw_multi_test::Contract;

/// The registry as a cw-multi-test contract (no migrate entry point).
pub fn registry_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_model_registry)
}

/// `ipfs add --cid-version 1` of "hello world\n": a real CIDv1.
pub const CID: &str = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";

/// `name` v`version`: a radiology classifier of [`CID`] priced at 250, Apache-2.0.
pub fn publish(name: &str, version: u32) -> PublishMsg {
    PublishMsg {
        name: name.into(),
        version,
        specialty: "radiology".into(),
        input_spec: "float32[1,3,224,224] RGB in [0,1]".into(),
        output_spec: "float32[1,5] class probabilities".into(),
        onnx_sha256: "ab".repeat(32),
        content_id: CID.into(),
        size_bytes: 1_234_567,
        price: Uint128::new(250),
        licence: "Apache-2.0".into(),
    }
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
