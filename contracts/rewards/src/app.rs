//! App pool: dApp developers with governance-set weights share the 15 % application share
//! through a reward-per-weight accumulator (O(1) per message). The remainder of each spread is
//! carried exactly (`remainder`), never spread twice.

use bithive_interface::rewards::events as ev;
use cosmwasm_std::{Decimal256, DepsMut, Env, MessageInfo, Response, Uint128, Uint256};

use crate::error::ContractError;
use crate::payout::contributor_release;
use crate::state::{AppPool, Developer, APP, CONFIG, DEVELOPERS};

fn dec(x: Uint128) -> Result<Decimal256, ContractError> {
    Ok(Decimal256::from_atomics(Uint256::from(x), 0)?)
}

/// Spreads `undistributed` + `remainder` over the current weights. Developers are credited
/// exactly `per_weight x total_weight` (weights are integers, so no further rounding); the rest,
/// fraction included, stays for the next spread.
fn spread(pool: &mut AppPool) -> Result<(), ContractError> {
    let available = dec(pool.undistributed)?.checked_add(pool.remainder)?;
    if pool.total_weight.is_zero() || available.is_zero() {
        return Ok(());
    }
    let total = dec(pool.total_weight)?;
    let per_weight = available.checked_div(total)?;
    let credit = per_weight.checked_mul(total)?;
    let rest = available.checked_sub(credit)?;
    let whole = Uint128::try_from(rest.to_uint_floor())?;
    pool.acc = pool.acc.checked_add(per_weight)?;
    pool.undistributed = whole;
    pool.remainder = rest.checked_sub(dec(whole)?)?;
    Ok(())
}

fn settle(pool: &AppPool, dev: &mut Developer) -> Result<(), ContractError> {
    let delta = pool.acc - dev.snapshot;
    dev.pending = dev
        .pending
        .checked_add(delta.checked_mul(dec(dev.weight)?)?)?;
    dev.snapshot = pool.acc;
    Ok(())
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn fund(deps: DepsMut, amount: Uint128) -> Result<Response, ContractError> {
    let mut pool = APP.load(deps.storage)?;
    pool.funded = pool.funded.checked_add(amount)?;
    pool.undistributed = pool.undistributed.checked_add(amount)?;
    spread(&mut pool)?;
    APP.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::FUND_APP_POOL)
        .add_attribute(ev::attr::AMOUNT, amount))
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn set_developer(
    deps: DepsMut,
    info: MessageInfo,
    developer: String,
    weight: Uint128,
) -> Result<Response, ContractError> {
    if CONFIG.load(deps.storage)?.governance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    let addr = deps.api.addr_validate(&developer)?;
    let mut pool = APP.load(deps.storage)?;
    let mut dev = DEVELOPERS
        .may_load(deps.storage, &addr)?
        .unwrap_or_default();
    settle(&pool, &mut dev)?;
    pool.total_weight = pool
        .total_weight
        .checked_sub(dev.weight)?
        .checked_add(weight)?;
    dev.weight = weight;
    // Funds that arrived while nobody had weight go to the new weights.
    spread(&mut pool)?;
    DEVELOPERS.save(deps.storage, &addr, &dev)?;
    APP.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_DEVELOPER)
        .add_attribute(ev::attr::DEVELOPER, addr)
        .add_attribute(ev::attr::WEIGHT, weight))
}

pub fn claimable(pool: &AppPool, dev: &Developer) -> Result<Uint128, ContractError> {
    let mut d = dev.clone();
    settle(pool, &mut d)?;
    Ok(Uint128::try_from(d.pending.to_uint_floor())?)
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn claim(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut pool = APP.load(deps.storage)?;
    let mut dev: Developer = DEVELOPERS
        .may_load(deps.storage, &info.sender)?
        .ok_or(ContractError::NothingToClaim)?;
    settle(&pool, &mut dev)?;
    let amount = Uint128::try_from(dev.pending.to_uint_floor())?;
    if amount.is_zero() {
        return Err(ContractError::NothingToClaim);
    }
    dev.pending -= dec(amount)?;
    dev.claimed = dev.claimed.checked_add(amount)?;
    pool.paid = pool.paid.checked_add(amount)?;
    DEVELOPERS.save(deps.storage, &info.sender, &dev)?;
    APP.save(deps.storage, &pool)?;
    let (msgs, now_part, vested) =
        contributor_release(&config, &info.sender, amount, env.block.time.seconds())?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::CLAIM_APP)
        .add_attribute(ev::attr::DEVELOPER, info.sender)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::PAID_NOW, now_part)
        .add_attribute(ev::attr::VESTING, vested))
}
