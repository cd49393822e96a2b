use bithive_formulas::emission::{daily_rate, due, halvings, CAP};
use cosmwasm_std::{Deps, Env, StdResult, Uint128};

use crate::msg::{ConfigResponse, StatusResponse};
use crate::state::{CONFIG, STATE};

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        owner: c.owner.into(),
        token: c.token.into(),
        genesis: c.genesis,
        compute_pool: c.compute_pool.into(),
        app_pool: c.app_pool.into(),
        vesting: c.vesting.into(),
        foundation: c.foundation.into(),
        operations: c.operations.into(),
    })
}

pub fn status(deps: Deps, env: &Env) -> StdResult<StatusResponse> {
    let c = CONFIG.load(deps.storage)?;
    let s = STATE.load(deps.storage)?;
    let now = env.block.time.seconds();
    let elapsed = now.saturating_sub(c.genesis);
    let started = now >= c.genesis;
    Ok(StatusResponse {
        now,
        halvings: halvings(elapsed),
        daily_rate: if started {
            daily_rate(elapsed)
        } else {
            Uint128::zero()
        },
        due_now: if started {
            due(elapsed)
        } else {
            Uint128::zero()
        },
        accounted: s.accounted,
        minted: s.minted,
        pending_foundation: s.pending_foundation,
        pending_operations: s.pending_operations,
        cap: Uint128::new(CAP),
    })
}
