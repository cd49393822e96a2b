//! Compute pool. Work reported during epoch `e` accumulates weight `units x Enode` per node and in
//! total; at the first transaction after `e` ends, the pool's undistributed funds are allocated to
//! `e` as a rate per unit of weight (`EPOCH_CLOSE[e]`); the exact remainder of that division is
//! carried to the next epoch (`remainder`), so no fraction is ever credited twice. A node's record
//! holds only its latest epoch, which is settled into `pending` the next time the node is
//! touched, so every message costs O(1) whatever the number of nodes.

use bithive_formulas::capacity::{report_unit_limit, MAX_REPORT_SPAN};
use bithive_formulas::enode::{enode, weighted_work, EnodeInputs};
use bithive_interface::rewards::{events as ev, MeasuredWork, ServedWork};
use bithive_interface::staking::{
    ExecuteMsg as StakingMsg, PledgeStatusResponse, QueryMsg as StakingQuery,
};
use cosmwasm_std::{
    to_json_binary, Addr, Decimal256, Deps, DepsMut, Env, MessageInfo, Response, StdResult,
    Storage, Uint128, Uint256, WasmMsg,
};

use crate::error::ContractError;
use crate::payout::contributor_release;
use crate::state::{
    ComputePool, Config, EpochClose, NodeAcc, PendingWork, WorkStatus, COMPUTE, CONFIG,
    EPOCH_CLOSE, EPOCH_RATE, NODES, PENDING_WORK, SERVED, WORK_SEQ,
};

pub fn epoch_of(config: &Config, now: u64) -> u64 {
    now.saturating_sub(config.genesis) / config.epoch_seconds
}

fn floor128(d: Decimal256) -> Result<Uint128, ContractError> {
    Ok(Uint128::try_from(d.to_uint_floor())?)
}

fn dec(x: Uint128) -> Result<Decimal256, ContractError> {
    Ok(Decimal256::from_atomics(Uint256::from(x), 0)?)
}

/// Splits `rest` into whole base units and the fraction below one.
fn split_whole(rest: Decimal256) -> Result<(Uint128, Decimal256), ContractError> {
    let whole = floor128(rest)?;
    Ok((whole, rest.checked_sub(dec(whole)?)?))
}

/// Closes the collecting epoch if time has moved past it: the epoch is credited exactly
/// `rate x weight` (rate floored at 18 decimals), and everything else of the pool's funds,
/// fractions included, stays in `undistributed` + `remainder` for the next epoch.
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn roll(
    storage: &mut dyn Storage,
    pool: &mut ComputePool,
    epoch_now: u64,
) -> Result<(), ContractError> {
    if epoch_now <= pool.epoch {
        return Ok(());
    }
    let available = dec(pool.undistributed)?.checked_add(pool.remainder)?;
    if !pool.epoch_weight.is_zero() && !available.is_zero() {
        let rate = available
            .checked_div(pool.epoch_weight)
            .map_err(|_| ContractError::DustWeight)?;
        if !rate.is_zero() {
            // Floored twice (rate, product), so the credit never exceeds the funds.
            let credit = rate.checked_mul(pool.epoch_weight)?;
            let (whole, fraction) = split_whole(available.checked_sub(credit)?)?;
            EPOCH_CLOSE.save(
                storage,
                pool.epoch,
                &EpochClose {
                    rate,
                    weight_left: pool.epoch_weight,
                    credit_left: credit,
                },
            )?;
            pool.undistributed = whole;
            pool.remainder = fraction;
            pool.allocated = pool.allocated.checked_add(credit)?;
        }
    }
    pool.epoch = epoch_now;
    pool.epoch_weight = Decimal256::zero();
    Ok(())
}

/// The compute pool, its collecting epoch [`roll`]ed to the one at `now` (seconds).
pub fn rolled_pool(
    storage: &mut dyn Storage,
    config: &Config,
    now: u64,
) -> Result<ComputePool, ContractError> {
    let mut pool = COMPUTE.load(storage)?;
    roll(storage, &mut pool, epoch_of(config, now))?;
    Ok(pool)
}

/// Rate of a closed epoch (zero when nothing was allocated to it).
fn rate_of(storage: &dyn Storage, epoch: u64) -> StdResult<Decimal256> {
    if let Some(close) = EPOCH_CLOSE.may_load(storage, epoch)? {
        return Ok(close.rate);
    }
    Ok(EPOCH_RATE.may_load(storage, epoch)?.unwrap_or_default())
}

/// What a node earns of `amount` in an epoch whose counted work paid `fees` in escrow fees: at
/// most `max_btk_per_fee x fees` (ADR 007: served work never earns more BTK than the fees it
/// burned allow, so paying one's own jobs cannot pay).
pub fn capped(
    amount: Decimal256,
    fees: Uint128,
    max_btk_per_fee: Decimal256,
) -> Result<Decimal256, ContractError> {
    Ok(amount.min(dec(fees)?.checked_mul(max_btk_per_fee)?))
}

/// Moves a closed epoch's weight into `pending`; the withheld half of under-pledged work goes
/// back to the pool. The epoch's reserved credit shrinks by what the node got; the last node to
/// settle hands the rounding dust back to the pool's `remainder`.
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn settle(
    storage: &mut dyn Storage,
    pool: &mut ComputePool,
    acc: &mut NodeAcc,
    max_btk_per_fee: Decimal256,
) -> Result<(), ContractError> {
    if acc.epoch >= pool.epoch || (acc.w_full.is_zero() && acc.w_half.is_zero()) {
        return Ok(());
    }
    let close = EPOCH_CLOSE.may_load(storage, acc.epoch)?;
    let rate = match &close {
        Some(c) => c.rate,
        None => rate_of(storage, acc.epoch)?,
    };
    let full = acc.w_full.checked_mul(rate)?;
    let half_total = acc.w_half.checked_mul(rate)?;
    let half = half_total.checked_mul(Decimal256::percent(50))?;
    let earned = capped(full.checked_add(half)?, acc.epoch_fees, max_btk_per_fee)?;
    if let Some(mut c) = close {
        c.weight_left = c
            .weight_left
            .checked_sub(acc.w_full.checked_add(acc.w_half)?)?;
        c.credit_left = c.credit_left.checked_sub(full.checked_add(half_total)?)?;
        if c.weight_left.is_zero() {
            pool.remainder = pool.remainder.checked_add(c.credit_left)?;
            EPOCH_CLOSE.remove(storage, acc.epoch);
        } else {
            EPOCH_CLOSE.save(storage, acc.epoch, &c)?;
        }
    }
    acc.pending = acc.pending.checked_add(earned)?;
    // The withheld half and what the fee cap held back go back to the pool.
    let withheld = full.checked_add(half_total)?.checked_sub(earned)?;
    pool.recycle = pool.recycle.checked_add(withheld)?;
    let whole = floor128(pool.recycle)?;
    if !whole.is_zero() {
        pool.recycle -= dec(whole)?;
        pool.undistributed = pool.undistributed.checked_add(whole)?;
        pool.recycled = pool.recycled.checked_add(whole)?;
    }
    acc.w_full = Decimal256::zero();
    acc.w_half = Decimal256::zero();
    Ok(())
}

/// A node's account (a new one if it has none), [`settle`]d, with its per-epoch unit count
/// restarted when the pool collects a later epoch than the account's.
pub fn settled_account(
    storage: &mut dyn Storage,
    pool: &mut ComputePool,
    node: &Addr,
) -> Result<NodeAcc, ContractError> {
    let m = CONFIG.load(storage)?.max_btk_per_fee;
    let mut acc = NODES.may_load(storage, node)?.unwrap_or_default();
    settle(storage, pool, &mut acc, m)?;
    if acc.epoch != pool.epoch {
        acc.epoch_units = Uint128::zero();
        acc.epoch_fees = Uint128::zero();
        acc.epoch_span = 0;
    }
    Ok(acc)
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn fund(deps: DepsMut, env: Env, amount: Uint128) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut pool = rolled_pool(deps.storage, &config, env.block.time.seconds())?;
    pool.undistributed = pool.undistributed.checked_add(amount)?;
    pool.funded = pool.funded.checked_add(amount)?;
    COMPUTE.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::FUND_COMPUTE_POOL)
        .add_attribute(ev::attr::AMOUNT, amount)
        // The epoch whose close allocates it: a funder (or an indexer) reads where it went.
        .add_attribute(ev::attr::EPOCH, pool.epoch.to_string()))
}

/// What a report counts for a node: its served units and fees since its last report, the jobs
/// settled since (as the escrow told them), and where its watermark moves to.
struct Unreported {
    units: Uint128,
    fees: Uint128,
    successful: u64,
    total: u64,
    now: ServedWork,
}

fn unreported(deps: Deps, node: &Addr, acc: &NodeAcc) -> Result<Unreported, ContractError> {
    let served = SERVED.may_load(deps.storage, node)?.unwrap_or_default();
    let seen = &acc.reported;
    let units = served.units.checked_sub(seen.units)?;
    if units.is_zero() {
        return Err(ContractError::NothingServed(node.to_string()));
    }
    Ok(Unreported {
        units,
        fees: served.fees.checked_sub(seen.fees)?,
        successful: served.paid.saturating_sub(seen.paid),
        total: served.total().saturating_sub(seen.total()),
        now: served,
    })
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn report_work(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    node: String,
    measured: MeasuredWork,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.reporter {
        return Err(ContractError::Unauthorized);
    }
    let addr = deps.api.addr_validate(&node)?;
    let status: PledgeStatusResponse = deps.querier.query_wasm_smart(
        &config.staking,
        &StakingQuery::PledgeStatus {
            node: addr.to_string(),
        },
    )?;
    if !status.registered {
        return Err(ContractError::UnknownNode(node));
    }
    // The pledge is the condition for mining: below it (outside a halving's top-up grace) the
    // work earns nothing and is not recorded.
    if !status.eligible {
        return Err(ContractError::NotPledged {
            node,
            bonded: status.bonded,
            required: status.required,
        });
    }
    let mut pool = rolled_pool(deps.storage, &config, env.block.time.seconds())?;
    let mut acc = settled_account(deps.storage, &mut pool, &addr)?;
    let work = unreported(deps.as_ref(), &addr, &acc)?;
    // A meter reading is the node's own word: Penergy is never taken below half its tier's
    // declared power, read here at report time (a tier changed after the benchmark does not
    // lower it). And the tier bounds what was measured: a node is counted at most at its tier's
    // best efficiency (Penergy at least Pcompute over it), so declaring a lower tier than its
    // machine buys nothing beyond that tier's band.
    let penergy = match status.tier {
        Some(tier) => {
            let bound = measured
                .pcompute
                .checked_div(tier.max_efficiency())
                .map_err(|_| {
                    ContractError::Std(cosmwasm_std::StdError::generic_err(
                        "a tier's efficiency bound is positive",
                    ))
                })?;
            measured.penergy.max(tier.penergy_floor()).max(bound)
        }
        None => measured.penergy,
    };
    let inputs = EnodeInputs {
        pcompute: measured.pcompute,
        penergy,
        tasks_successful: work.successful,
        tasks_total: work.total,
        availability: measured.availability,
        dfactor: measured.dfactor,
    };
    let e = enode(&inputs)?;
    // A node is paid for at most its registered capacity's units per epoch of work (the bound
    // its pledge is sized for), and at most twice what the throughput its attestors measured
    // could compute in that time (the benchmark's figure includes the exchange's transit and
    // runs one challenge at a time, so it is a low estimate); what it served beyond that is
    // taken by the report and not paid. The epochs of work are those since its last report (a
    // late close brings two epochs' jobs in one report: CI of df0de73 cut a node's real work),
    // at most MAX_REPORT_SPAN, and reports counted in the same epoch share one bound.
    let span = if acc.reported == ServedWork::default() {
        1
    } else if acc.epoch == pool.epoch {
        acc.epoch_span.max(1)
    } else {
        pool.epoch
            .saturating_sub(acc.epoch)
            .clamp(1, MAX_REPORT_SPAN)
    };
    let limit = report_unit_limit(
        status.capacity_t,
        config.max_units_per_t,
        measured.pcompute,
        config.epoch_seconds,
        span,
    );
    let room = limit.saturating_sub(acc.epoch_units);
    let units = work.units.min(room);
    let weight = Decimal256::from(weighted_work(units, e)?);
    acc.reported = work.now;
    acc.epoch_units = acc.epoch_units.checked_add(units)?;
    acc.epoch_span = span;
    acc.epoch = pool.epoch;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::REPORT_WORK)
        .add_attribute(ev::attr::NODE, addr.clone())
        .add_attribute(ev::attr::UNITS, units)
        .add_attribute(ev::attr::UNITS_OVER_CAPACITY, work.units - units)
        .add_attribute(ev::attr::FEE, work.fees)
        .add_attribute(
            ev::attr::TASKS,
            format!("{}/{}", work.successful, work.total),
        )
        .add_attribute(ev::attr::PENERGY, penergy.to_string())
        .add_attribute(ev::attr::ENODE, e.to_string())
        .add_attribute(ev::attr::WEIGHT, weight.to_string());
    if weight.is_zero() {
        // Nothing to pay (no room left, or an Enode of zero): the served work is taken.
        NODES.save(deps.storage, &addr, &acc)?;
        COMPUTE.save(deps.storage, &pool)?;
        return Ok(res.add_attribute(ev::attr::CREDITED, "false"));
    }
    if config.challenge_seconds > 0 {
        // Held for the challenge window: it counts (and staking records it) on finalize.
        NODES.save(deps.storage, &addr, &acc)?;
        COMPUTE.save(deps.storage, &pool)?;
        let now = env.block.time.seconds();
        let id = WORK_SEQ.may_load(deps.storage)?.unwrap_or_default() + 1;
        WORK_SEQ.save(deps.storage, &id)?;
        let pending = PendingWork {
            id,
            node: addr,
            units,
            enode: inputs,
            weight,
            fees: work.fees,
            reported_at: now,
            challenge_ends: now.saturating_add(config.challenge_seconds),
            status: WorkStatus::Pending,
        };
        PENDING_WORK.save(deps.storage, id, &pending)?;
        return Ok(res
            .add_attribute(ev::attr::WORK_ID, id.to_string())
            .add_attribute(ev::attr::CHALLENGE_ENDS, pending.challenge_ends.to_string()));
    }
    let credited = credit(&mut pool, &mut acc, weight, work.fees, status.full_rate)?;
    NODES.save(deps.storage, &addr, &acc)?;
    COMPUTE.save(deps.storage, &pool)?;
    if !credited {
        // Forfeited by a re-execution proof: the served work is taken and pays nothing.
        return Ok(res.add_attribute(ev::attr::CREDITED, "false"));
    }
    res = res
        .add_message(record_work(&config, &addr, units)?)
        .add_attribute(ev::attr::FULL_RATE, status.full_rate.to_string())
        .add_attribute(ev::attr::EPOCH, pool.epoch.to_string());
    Ok(res)
}

/// Adds verified weight to the collecting epoch (the node's account already settled); false,
/// adding nothing, when the node forfeited this epoch.
pub fn credit(
    pool: &mut ComputePool,
    acc: &mut NodeAcc,
    weight: Decimal256,
    fees: Uint128,
    full_rate: bool,
) -> Result<bool, ContractError> {
    if acc.forfeited == Some(pool.epoch) {
        return Ok(false);
    }
    acc.epoch = pool.epoch;
    acc.epoch_fees = acc.epoch_fees.checked_add(fees)?;
    if full_rate {
        acc.w_full = acc.w_full.checked_add(weight)?;
    } else {
        acc.w_half = acc.w_half.checked_add(weight)?;
    }
    pool.epoch_weight = pool.epoch_weight.checked_add(weight)?;
    Ok(true)
}

/// Staking, when a re-execution proof slashed `node`: its weight of the collecting epoch leaves
/// the epoch (the pool pays it to the others), and later reports in this epoch credit nothing.
/// Weight of closed epochs was already allocated and stays the node's.
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn forfeit_epoch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    node: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.staking {
        return Err(ContractError::Unauthorized);
    }
    let addr = deps.api.addr_validate(&node)?;
    let mut pool = rolled_pool(deps.storage, &config, env.block.time.seconds())?;
    let mut acc = settled_account(deps.storage, &mut pool, &addr)?;
    let lost = if acc.epoch == pool.epoch {
        acc.w_full.checked_add(acc.w_half)?
    } else {
        Decimal256::zero()
    };
    pool.epoch_weight = pool.epoch_weight.checked_sub(lost)?;
    acc.w_full = Decimal256::zero();
    acc.w_half = Decimal256::zero();
    acc.forfeited = Some(pool.epoch);
    NODES.save(deps.storage, &addr, &acc)?;
    COMPUTE.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::FORFEIT_EPOCH)
        .add_attribute(ev::attr::NODE, addr)
        .add_attribute(ev::attr::EPOCH, pool.epoch.to_string())
        .add_attribute(ev::attr::WEIGHT, lost.to_string()))
}

/// Staking's record of verified work (its C term of Vscore).
pub fn record_work(config: &Config, node: &Addr, units: Uint128) -> StdResult<WasmMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: config.staking.to_string(),
        msg: to_json_binary(&StakingMsg::RecordWork {
            node: node.to_string(),
            units,
        })?,
        funds: vec![],
    })
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn claim(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut pool = rolled_pool(deps.storage, &config, now)?;
    let mut acc = NODES
        .may_load(deps.storage, &info.sender)?
        .ok_or(ContractError::NothingToClaim)?;
    settle(deps.storage, &mut pool, &mut acc, config.max_btk_per_fee)?;
    let amount = floor128(acc.pending)?;
    if amount.is_zero() {
        NODES.save(deps.storage, &info.sender, &acc)?;
        COMPUTE.save(deps.storage, &pool)?;
        return Err(ContractError::NothingToClaim);
    }
    acc.pending -= dec(amount)?;
    acc.claimed = acc.claimed.checked_add(amount)?;
    pool.paid = pool.paid.checked_add(amount)?;
    NODES.save(deps.storage, &info.sender, &acc)?;
    COMPUTE.save(deps.storage, &pool)?;
    let (msgs, now_part, vested) = contributor_release(&config, &info.sender, amount, now)?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::CLAIM_COMPUTE)
        .add_attribute(ev::attr::NODE, info.sender)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::PAID_NOW, now_part)
        .add_attribute(ev::attr::VESTING, vested))
}

/// Claimable amount and open weight of a node as if it were settled now (for queries).
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn preview(
    deps: Deps,
    env: &Env,
    node: &Addr,
) -> Result<(Uint128, Decimal256, Uint128), ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let pool = COMPUTE.load(deps.storage)?;
    let Some(acc) = NODES.may_load(deps.storage, node)? else {
        return Ok((Uint128::zero(), Decimal256::zero(), Uint128::zero()));
    };
    let now_epoch = epoch_of(&config, env.block.time.seconds());
    let rate = if acc.epoch < pool.epoch {
        rate_of(deps.storage, acc.epoch)?
    } else if now_epoch > pool.epoch {
        // The collecting epoch is over but not closed yet: simulate its close.
        let available = dec(pool.undistributed)?.checked_add(pool.remainder)?;
        if pool.epoch_weight.is_zero() || available.is_zero() {
            Decimal256::zero()
        } else {
            available
                .checked_div(pool.epoch_weight)
                .map_err(|_| ContractError::DustWeight)?
        }
    } else {
        return Ok((floor128(acc.pending)?, acc.w_full + acc.w_half, acc.claimed));
    };
    let full = acc.w_full.checked_mul(rate)?;
    let half = acc
        .w_half
        .checked_mul(rate)?
        .checked_mul(Decimal256::percent(50))?;
    let earned = capped(
        full.checked_add(half)?,
        acc.epoch_fees,
        config.max_btk_per_fee,
    )?;
    let pending = acc.pending.checked_add(earned)?;
    Ok((floor128(pending)?, Decimal256::zero(), acc.claimed))
}
