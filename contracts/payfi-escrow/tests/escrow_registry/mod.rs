//! The escrow and the model registry as cw-multi-test contracts, with the instantiate messages
//! that wire them to each other. Shared by `model_registry.rs` and `model_gas.rs`.
#![allow(dead_code)]

use bithive_cw_test_fixtures::contract;
use bithive_interface::model_registry as reg;
use bithive_payfi_escrow::msg::InstantiateMsg;
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::Contract;

/// payfi-escrow (with its reply entry point).
pub fn escrow_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_payfi_escrow, reply)
}

/// The model registry.
pub fn registry_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_model_registry)
}

/// An escrow with no admin, no cw20s and no staking: `fee_bps` to `collector`, `reporter` as its
/// only reporter and a dispute window of `job_dispute_seconds`.
pub fn escrow_init(
    fee_bps: u16,
    collector: &Addr,
    reporter: &Addr,
    job_dispute_seconds: u64,
) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        fee_bps,
        fee_collector: collector.to_string(),
        cw20_allowlist: vec![],
        reporters: vec![reporter.to_string()],
        staking: None,
        job_dispute_seconds,
    }
}

/// A registry with no admin or evaluator that accepts jobs from `escrow`, priced in `denom`.
pub fn registry_init(escrow: &Addr, denom: &str) -> reg::InstantiateMsg {
    reg::InstantiateMsg {
        admin: None,
        evaluator: None,
        escrow: Some(escrow.to_string()),
        price_asset: reg::AssetInfo::Native(denom.into()),
    }
}
