//! Served work (ADR 007): the escrow tells rewards, in the transaction that pays a job, that the
//! job's node served the job's units and what fee it paid. Only the configured escrow may, so a
//! node's [`ServedWork`] holds exactly the units of jobs it was paid for; nobody can report
//! units into it. The counts only grow.

use bithive_interface::rewards::{events as ev, ServedWork};
use cosmwasm_std::{Deps, DepsMut, MessageInfo, Response, StdResult, Uint128};

use crate::error::{ContractError, ContractResult};
use crate::state::{CONFIG, SERVED};

/// The escrow only. Adds one paid job to `node`'s served work.
#[inline(never)]
pub fn record(
    deps: DepsMut,
    info: MessageInfo,
    node: String,
    units: Uint128,
    fee: Uint128,
) -> ContractResult {
    let config = CONFIG.load(deps.storage)?;
    if config.escrow.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized);
    }
    if units.is_zero() {
        return Err(ContractError::InvalidConfig(
            "served units must be positive",
        ));
    }
    let node = deps.api.addr_validate(&node)?;
    let mut served = SERVED.may_load(deps.storage, &node)?.unwrap_or_default();
    served.jobs = served
        .jobs
        .checked_add(1)
        .ok_or(ContractError::InvalidConfig("served job count exhausted"))?;
    served.units = served.units.checked_add(units)?;
    served.fees = served.fees.checked_add(fee)?;
    SERVED.save(deps.storage, &node, &served)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::RECORD_SERVED)
        .add_attribute(ev::attr::NODE, node)
        .add_attribute(ev::attr::UNITS, units)
        .add_attribute(ev::attr::FEE, fee)
        .add_attribute(ev::attr::JOBS, served.jobs.to_string()))
}

pub fn query(deps: Deps, node: String) -> StdResult<ServedWork> {
    let node = deps.api.addr_validate(&node)?;
    Ok(SERVED.may_load(deps.storage, &node)?.unwrap_or_default())
}
