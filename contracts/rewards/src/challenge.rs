//! The challenge window of work reports (issue #20): with `challenge_seconds > 0` a report is
//! held; any attestor-set member may dispute it before the window ends, governance resolves a
//! dispute, and an undisputed report counts once anyone finalizes it after the window. A report
//! counts in the epoch collecting when it is finalized, and only if the node is still eligible.

use bithive_interface::rewards::{events as ev, MAX_REASON_LEN};
use bithive_interface::staking::StakingContract;
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use crate::compute::{credit, record_work, rolled_pool, settled_account};
use crate::error::ContractError;
use crate::state::{PendingWork, WorkStatus, COMPUTE, CONFIG, NODES, PENDING_WORK};

fn load(deps: &DepsMut, id: u64) -> Result<PendingWork, ContractError> {
    PENDING_WORK
        .may_load(deps.storage, id)?
        .ok_or(ContractError::UnknownWork(id))
}

/// Counts a held report now (finalized or resolved valid) and removes it. A node that is no
/// longer eligible (unbonded, slashed below its pledge) gets nothing: the report is dropped.
#[inline(never)]
fn count(deps: DepsMut, env: &Env, w: PendingWork) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    PENDING_WORK.remove(deps.storage, w.id);
    let status = StakingContract(config.staking.clone()).pledge_status(&deps.querier, &w.node)?;
    let res = Response::new()
        .add_attribute(ev::attr::WORK_ID, w.id.to_string())
        .add_attribute(ev::attr::NODE, w.node.clone());
    if !status.registered || !status.eligible {
        return Ok(res.add_attribute(ev::attr::CREDITED, "false"));
    }
    let mut pool = rolled_pool(deps.storage, &config, env.block.time.seconds())?;
    let mut acc = settled_account(deps.storage, &mut pool, &w.node)?;
    let credited = credit(&mut pool, &mut acc, w.weight, w.fees, status.full_rate)?;
    NODES.save(deps.storage, &w.node, &acc)?;
    COMPUTE.save(deps.storage, &pool)?;
    if !credited {
        return Ok(res.add_attribute(ev::attr::CREDITED, "false"));
    }
    Ok(res
        .add_message(record_work(&config, &w.node, w.units)?)
        .add_attribute(ev::attr::CREDITED, "true")
        .add_attribute(ev::attr::UNITS, w.units)
        .add_attribute(ev::attr::WEIGHT, w.weight.to_string())
        .add_attribute(ev::attr::FULL_RATE, status.full_rate.to_string())
        .add_attribute(ev::attr::EPOCH, pool.epoch.to_string()))
}

/// Anyone, from the end of the window on, for an undisputed report.
#[inline(never)]
pub fn finalize(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let w = load(&deps, id)?;
    if w.status != WorkStatus::Pending {
        return Err(ContractError::WorkDisputed(id));
    }
    if env.block.time.seconds() < w.challenge_ends {
        return Err(ContractError::ChallengeOpen {
            id,
            until: w.challenge_ends,
        });
    }
    Ok(count(deps, &env, w)?.add_attribute(ev::ACTION, ev::FINALIZE_WORK))
}

/// A member of staking's current attestor set, or governance, strictly before the window ends.
#[inline(never)]
pub fn dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    reason: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if reason.len() > MAX_REASON_LEN {
        return Err(ContractError::InvalidConfig("reason is at most 256 bytes"));
    }
    let mut w = load(&deps, id)?;
    if w.status != WorkStatus::Pending {
        return Err(ContractError::WorkDisputed(id));
    }
    if env.block.time.seconds() >= w.challenge_ends {
        return Err(ContractError::ChallengeClosed {
            id,
            at: w.challenge_ends,
        });
    }
    if info.sender != config.governance {
        let set = StakingContract(config.staking.clone()).attestor_set(&deps.querier)?;
        if !set.members.iter().any(|m| m.node == info.sender) {
            return Err(ContractError::NotAttestor(info.sender.into()));
        }
    }
    w.status = WorkStatus::Disputed {
        by: info.sender.clone(),
        reason: reason.clone(),
    };
    PENDING_WORK.save(deps.storage, id, &w)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::DISPUTE_WORK)
        .add_attribute(ev::attr::WORK_ID, id.to_string())
        .add_attribute(ev::attr::NODE, w.node)
        .add_attribute(ev::attr::BY, info.sender)
        .add_attribute(ev::attr::REASON, reason))
}

/// Governance: the report counts (`valid`) or is dropped. A dropped report's node can be slashed
/// by governance in staking (`slash`).
#[inline(never)]
pub fn resolve(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    valid: bool,
) -> Result<Response, ContractError> {
    if info.sender != CONFIG.load(deps.storage)?.governance {
        return Err(ContractError::Unauthorized);
    }
    let w = load(&deps, id)?;
    let res = if valid {
        count(deps, &env, w)?
    } else {
        PENDING_WORK.remove(deps.storage, id);
        Response::new()
            .add_attribute(ev::attr::WORK_ID, id.to_string())
            .add_attribute(ev::attr::NODE, w.node)
            .add_attribute(ev::attr::CREDITED, "false")
    };
    Ok(res
        .add_attribute(ev::ACTION, ev::RESOLVE_WORK)
        .add_attribute(ev::attr::VALID, valid.to_string()))
}
