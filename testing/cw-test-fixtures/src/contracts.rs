//! The BitHive contracts in a multi-test app: a generic [`instantiate`], and the instantiate
//! messages of the economics contracts (staking, vesting, rewards, emission) as the suites deploy
//! them by default. A suite that needs another value overrides it with struct-update syntax:
//!
//! ```
//! use bithive_cw_test_fixtures::contracts::staking_instantiate;
//! use bithive_interface::staking::InstantiateMsg;
//!
//! let msg = InstantiateMsg {
//!     attestor_set_size: 5,
//!     ..staking_instantiate("gov", "btk", 0)
//! };
//! assert_eq!((msg.attestor_set_size, msg.window_epochs), (5, 7));
//! ```
//!
//! The messages are `bithive-interface`'s (each contract's `msg` module re-exports them), so this
//! crate does not depend on the contracts, which dev-depend on it; [`crate::contract!`] wraps a
//! contract's entry points for the same reason.

use bithive_interface::{emission, rewards, staking, vesting};
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::{App, Executor};
use serde::Serialize;

/// One BTK (or BTT) in base units (6 decimals).
pub const BTK: u128 = 1_000_000;
/// The epoch of the default messages.
pub const DAY: u64 = 86_400;

/// Instantiates stored code `code_id` from `sender` with `msg`, no funds, no wasm admin (panics,
/// naming `label`, if it fails).
pub fn instantiate<M: Serialize>(
    app: &mut App,
    code_id: u64,
    sender: &Addr,
    msg: &M,
    label: &str,
) -> Addr {
    instantiate_with_admin(app, code_id, sender, msg, label, None)
}

/// [`instantiate`] with `wasm_admin` as the contract's wasm admin (who may migrate it).
pub(crate) fn instantiate_with_admin(
    app: &mut App,
    code_id: u64,
    sender: &Addr,
    msg: &impl Serialize,
    label: &str,
    wasm_admin: Option<String>,
) -> Addr {
    app.instantiate_contract(code_id, sender.clone(), msg, &[], label, wasm_admin)
        .unwrap_or_else(|e| panic!("instantiate {label}: {e:?}"))
}

/// Staking of `token` from `genesis`: `gov` governs, is the compliance officer and receives
/// slashes; daily epochs, 3 attestors over a 7-epoch window, 7 days unbonding, 4 claims, 10 %
/// fraud slash, no work reporter; the contract's defaults for the rest.
pub fn staking_instantiate(
    gov: impl Into<String>,
    token: impl Into<String>,
    genesis: u64,
) -> staking::InstantiateMsg {
    let gov = gov.into();
    staking::InstantiateMsg {
        governance: gov.clone(),
        compliance: gov.clone(),
        token: token.into(),
        slash_recipient: gov,
        work_reporter: None,
        genesis,
        epoch_seconds: DAY,
        attestor_set_size: 3,
        window_epochs: 7,
        lock_seconds: None,
        unbonding_seconds: 7 * DAY,
        max_claims: 4,
        fraud_slash: Decimal::percent(10),
        min_bond: None,
        topup_grace_seconds: None,
    }
}

/// Vesting owned by `owner`, accepting the cw20 `token`.
pub fn vesting_instantiate(
    owner: impl Into<String>,
    token: impl Into<String>,
) -> vesting::InstantiateMsg {
    vesting::InstantiateMsg {
        owner: owner.into(),
        cw20_allowlist: vec![token.into()],
    }
}

/// Rewards in `btk` (compute pool) and `btt` (patient pool) over `staking`, paying through
/// `vesting`, from `genesis`: `gov` governs and reports work; daily epochs, 2 000 BTT a patient a
/// day; the contract's defaults for the rest (no challenge window, no escrow).
pub fn rewards_instantiate(
    gov: impl Into<String>,
    btk: impl Into<String>,
    btt: impl Into<String>,
    staking: impl Into<String>,
    vesting: impl Into<String>,
    genesis: u64,
) -> rewards::InstantiateMsg {
    let gov = gov.into();
    rewards::InstantiateMsg {
        governance: gov.clone(),
        btk: btk.into(),
        btt: btt.into(),
        staking: staking.into(),
        vesting: vesting.into(),
        reporter: gov,
        genesis,
        epoch_seconds: DAY,
        patient_daily_cap: Uint128::new(2_000 * BTK),
        max_units_per_t: None,
        challenge_seconds: None,
        escrow: None,
        max_btk_per_fee: None,
    }
}

/// Emission of `token` owned by `owner`, from the instantiation block: both pool shares to
/// `pool`, the foundation and operations shares vested in `vesting` for `owner`.
pub fn emission_instantiate(
    owner: impl Into<String>,
    token: impl Into<String>,
    vesting: impl Into<String>,
    pool: impl Into<String>,
) -> emission::InstantiateMsg {
    let (owner, pool) = (owner.into(), pool.into());
    emission::InstantiateMsg {
        owner: owner.clone(),
        token: token.into(),
        genesis: None,
        compute_pool: pool.clone(),
        app_pool: pool,
        vesting: vesting.into(),
        foundation: owner.clone(),
        operations: owner,
    }
}

/// Staking's governance call making `reporter` (the rewards contract) its work reporter, all else
/// unchanged.
pub fn staking_work_reporter(reporter: impl Into<String>) -> staking::ExecuteMsg {
    staking::ExecuteMsg::UpdateConfig {
        compliance: None,
        slash_recipient: None,
        work_reporter: Some(reporter.into()),
        fraud_slash: None,
        attestor_set_size: None,
        min_bond: None,
        topup_grace_seconds: None,
    }
}
