use bithive_cw_common::{clamp_limit, PageAfter};
use cosmwasm_std::{Deps, StdResult};
use cw20::MinterResponse;

use crate::msg::{MintInfoResponse, MinterAllowance, MintersResponse};
use crate::state::{MINTERS, MINT_STATE};

pub fn minter(deps: Deps) -> StdResult<Option<MinterResponse>> {
    let owner = cw_ownable::get_ownership(deps.storage)?.owner;
    let cap = MINT_STATE.load(deps.storage)?.cap;
    Ok(owner.map(|o| MinterResponse {
        minter: o.into_string(),
        cap,
    }))
}

pub fn mint_info(deps: Deps) -> StdResult<MintInfoResponse> {
    let s = MINT_STATE.load(deps.storage)?;
    Ok(MintInfoResponse {
        cap: s.cap,
        minted: s.minted,
        remaining: s.cap.map(|c| c.saturating_sub(s.minted)),
    })
}

pub fn minter_allowance(deps: Deps, minter: String) -> StdResult<MinterAllowance> {
    let addr = deps.api.addr_validate(&minter)?;
    let allowance = MINTERS.may_load(deps.storage, &addr)?.unwrap_or_default();
    Ok(MinterAllowance { minter, allowance })
}

pub fn minters(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<MintersResponse> {
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let minters = MINTERS
        .range_after(deps.storage, start.as_ref(), clamp_limit(limit))
        .map(|r| {
            r.map(|(addr, allowance)| MinterAllowance {
                minter: addr.into_string(),
                allowance,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(MintersResponse { minters })
}
