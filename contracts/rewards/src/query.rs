use bithive_cw_common::PageAfter;
use bithive_signed_attestation::PubKey33;
use cosmwasm_std::{Deps, Env, StdError, StdResult, Uint128};

use crate::msg::{DeveloperResponse, NodeRewardsResponse};
use crate::state::{
    PendingWork, Verifier, ACTIVITIES, APP, DEVELOPERS, PATIENT_DAY, PENDING_WORK, VERIFIERS,
};
use crate::{app, compute};

fn std_err(e: crate::ContractError) -> StdError {
    StdError::generic_err(e.to_string())
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn node_rewards(deps: Deps, env: &Env, node: String) -> StdResult<NodeRewardsResponse> {
    let addr = deps.api.addr_validate(&node)?;
    let (claimable, open_weight, claimed) = compute::preview(deps, env, &addr).map_err(std_err)?;
    Ok(NodeRewardsResponse {
        claimable,
        open_weight,
        claimed,
    })
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn developer(deps: Deps, developer: String) -> StdResult<DeveloperResponse> {
    let addr = deps.api.addr_validate(&developer)?;
    let dev = DEVELOPERS
        .may_load(deps.storage, &addr)?
        .unwrap_or_default();
    let pool = APP.load(deps.storage)?;
    Ok(DeveloperResponse {
        weight: dev.weight,
        claimable: app::claimable(&pool, &dev).map_err(std_err)?,
        claimed: dev.claimed,
    })
}

pub fn activity(deps: Deps, activity_id: String) -> StdResult<Option<u64>> {
    ACTIVITIES.may_load(deps.storage, &activity_id)
}

pub fn patient_daily(
    deps: Deps,
    env: &Env,
    patient: String,
    day: Option<u64>,
) -> StdResult<Uint128> {
    let addr = deps.api.addr_validate(&patient)?;
    let day = day.unwrap_or(env.block.time.seconds() / 86_400);
    Ok(PATIENT_DAY
        .may_load(deps.storage, (&addr, day))?
        .unwrap_or_default())
}

pub fn pending_work(deps: Deps, id: u64) -> StdResult<Option<PendingWork>> {
    PENDING_WORK.may_load(deps.storage, id)
}

#[inline(never)]
pub fn pending_works(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<Vec<PendingWork>> {
    let limit = bithive_cw_common::clamp_limit(limit);
    PENDING_WORK.values_after(deps.storage, start_after, limit)
}

pub fn verifier(deps: Deps, pubkey: PubKey33) -> StdResult<Option<Verifier>> {
    VERIFIERS.may_load(deps.storage, &pubkey.0)
}
