use bithive_cw_common::PageAfter;
use cosmwasm_std::{Deps, Env, StdResult, Uint128};

use crate::msg::{Asset, ConfigResponse, ScheduleResponse, SchedulesResponse, TotalsResponse};
use crate::state::{Schedule, BY_BENEFICIARY, CONFIG, NEXT_ID, SCHEDULES, TOTALS};

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        owner: c.owner.into(),
        cw20_allowlist: c.cw20_allowlist.into_iter().map(Into::into).collect(),
        next_id: NEXT_ID.load(deps.storage)?,
    })
}

fn response(id: u64, s: Schedule, now: u64) -> ScheduleResponse {
    ScheduleResponse {
        id,
        vested_now: s.vested(now),
        claimable: s.claimable(now),
        beneficiary: s.beneficiary.into(),
        revoker: s.revoker.map(Into::into),
        asset: s.asset,
        amount: s.amount,
        cap: s.cap,
        released: s.released,
        curve: s.curve,
        revoked_at: s.revoked_at,
    }
}

pub fn schedule(deps: Deps, env: &Env, id: u64) -> StdResult<ScheduleResponse> {
    Ok(response(
        id,
        SCHEDULES.load(deps.storage, id)?,
        env.block.time.seconds(),
    ))
}

pub fn vested(deps: Deps, env: &Env, id: u64, at: Option<u64>) -> StdResult<Uint128> {
    let s = SCHEDULES.load(deps.storage, id)?;
    Ok(s.vested(at.unwrap_or(env.block.time.seconds())))
}

pub fn by_beneficiary(
    deps: Deps,
    env: &Env,
    beneficiary: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SchedulesResponse> {
    let who = deps.api.addr_validate(&beneficiary)?;
    let limit = bithive_cw_common::clamp_limit(limit);
    let now = env.block.time.seconds();
    let schedules = BY_BENEFICIARY
        .prefix(&who)
        .keys_after(deps.storage, start_after, limit)
        .map(|id| {
            let id = id?;
            Ok(response(id, SCHEDULES.load(deps.storage, id)?, now))
        })
        .collect::<StdResult<Vec<_>>>()?;
    Ok(SchedulesResponse { schedules })
}

pub fn all(
    deps: Deps,
    env: &Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<SchedulesResponse> {
    let limit = bithive_cw_common::clamp_limit(limit);
    let now = env.block.time.seconds();
    let schedules = SCHEDULES
        .range_after(deps.storage, start_after, limit)
        .map(|r| r.map(|(id, s)| response(id, s, now)))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(SchedulesResponse { schedules })
}

pub fn totals(deps: Deps, asset: Asset) -> StdResult<TotalsResponse> {
    let t = TOTALS
        .may_load(deps.storage, &asset.key())?
        .unwrap_or_default();
    Ok(TotalsResponse {
        funded: t.funded,
        released: t.released,
        returned: t.returned,
    })
}
