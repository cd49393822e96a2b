//! The escrow and the model registry as cw-multi-test contracts, with the instantiate messages
//! that wire them to each other, the escrow's config changes and its job messages. Shared by
//! `multitest.rs`, `model_registry.rs` and `model_gas.rs`.
#![allow(dead_code)]

use bithive_cw_test_fixtures::contract;
use bithive_interface::model_registry as reg;
use bithive_payfi_escrow::msg::{ExecuteMsg, InstantiateMsg};
use cosmwasm_std::{Addr, Empty};
use cw_multi_test::Contract;

/// The registry's price asset (a native denom).
pub const BTT: &str = "ubtt";
/// Price of the model the tests publish.
pub const PRICE: u128 = 250;
/// Escrow fee: 1 %.
pub const FEE_BPS: u16 = 100;

/// payfi-escrow (with its reply and migrate entry points).
pub fn escrow_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_payfi_escrow, reply, migrate)
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

/// The rewards contract (served units, ADR 007).
pub fn rewards_contract() -> Box<dyn Contract<Empty>> {
    contract!(bithive_rewards)
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

/// An escrow `UpdateConfig` that changes only the fields set here (the admin and the fee
/// collector never: no test moves them): `ConfigChange { fee_bps: Some(5), ..Default::default() }.msg()`.
#[derive(Default)]
pub struct ConfigChange {
    pub fee_bps: Option<u16>,
    pub staking: Option<String>,
    pub job_dispute_seconds: Option<u64>,
    pub model_registry: Option<String>,
    pub rewards: Option<String>,
}

impl ConfigChange {
    pub fn msg(self) -> ExecuteMsg {
        ExecuteMsg::UpdateConfig {
            fee_bps: self.fee_bps,
            fee_collector: None,
            staking: self.staking,
            job_dispute_seconds: self.job_dispute_seconds,
            model_registry: self.model_registry,
            rewards: self.rewards,
        }
    }
}

/// The `UpdateConfig` that links the escrow to `registry`.
pub fn link_registry(registry: &Addr) -> ExecuteMsg {
    ConfigChange {
        model_registry: Some(registry.to_string()),
        ..ConfigChange::default()
    }
    .msg()
}

/// `reporter`'s report that `node` ran job `job_id` (no Tscore).
pub fn report_job(job_id: &str, node: &Addr) -> ExecuteMsg {
    ExecuteMsg::ReportJob {
        job_id: job_id.into(),
        node: node.to_string(),
        tscore: None,
    }
}

pub fn finalize_job(job_id: &str) -> ExecuteMsg {
    ExecuteMsg::FinalizeJob {
        job_id: job_id.into(),
    }
}

pub fn dispute_job(job_id: &str, reason: &str) -> ExecuteMsg {
    ExecuteMsg::DisputeJob {
        job_id: job_id.into(),
        reason: reason.into(),
    }
}

pub fn resolve_job_dispute(job_id: &str, pay_node: bool) -> ExecuteMsg {
    ExecuteMsg::ResolveJobDispute {
        job_id: job_id.into(),
        pay_node,
    }
}

pub fn refund_job(job_id: &str) -> ExecuteMsg {
    ExecuteMsg::RefundJob {
        job_id: job_id.into(),
    }
}
