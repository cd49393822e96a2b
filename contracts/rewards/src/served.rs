//! Served work (ADR 007): the escrow tells rewards, in the transaction that settles a job bound
//! to a node, how it settled: paid (with the model's run cost in units and the fee), expired
//! after the node accepted it, or disputed and lost. Only the configured escrow may, so a node's
//! [`ServedWork`] holds exactly the units of jobs it was paid a fee for and the outcomes the
//! escrow counted; nobody can report into it. The counts only grow.

use bithive_interface::rewards::{events as ev, JobOutcome, ServedWork};
use bithive_interface::staking::StakingContract;
use cosmwasm_std::{Deps, DepsMut, MessageInfo, Response, StdResult};

use crate::error::{ContractError, ContractResult};
use crate::state::{CONFIG, SERVED};

fn bump(n: u64) -> Result<u64, ContractError> {
    n.checked_add(1)
        .ok_or(ContractError::InvalidConfig("job count exhausted"))
}

/// The escrow only. Adds one settled job to `node`'s served work.
#[inline(never)]
pub fn record(
    deps: DepsMut,
    info: MessageInfo,
    node: String,
    outcome: JobOutcome,
) -> ContractResult {
    let config = CONFIG.load(deps.storage)?;
    if config.escrow.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized);
    }
    let node = deps.api.addr_validate(&node)?;
    let mut served = SERVED.may_load(deps.storage, &node)?.unwrap_or_default();
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::RECORD_OUTCOME)
        .add_attribute(ev::attr::NODE, node.clone());
    match outcome {
        JobOutcome::Paid { units, fee } => {
            served.paid = bump(served.paid)?;
            // Judged when the work is paid: a node not pledged then never earns for it.
            let eligible = units.is_zero()
                || StakingContract(config.staking.clone())
                    .pledge_status(&deps.querier, &node)?
                    .eligible;
            if eligible {
                served.units = served.units.checked_add(units)?;
                served.fees = served.fees.checked_add(fee)?;
            } else {
                served.unpledged_units = served.unpledged_units.checked_add(units)?;
            }
            res = res
                .add_attribute(ev::attr::OUTCOME, "paid")
                .add_attribute(ev::attr::UNITS, units)
                .add_attribute(ev::attr::FEE, fee)
                .add_attribute(ev::attr::CREDITED, eligible.to_string());
        }
        JobOutcome::Expired {} => {
            served.expired = bump(served.expired)?;
            res = res.add_attribute(ev::attr::OUTCOME, "expired");
        }
        JobOutcome::DisputedLost {} => {
            served.disputed_lost = bump(served.disputed_lost)?;
            res = res.add_attribute(ev::attr::OUTCOME, "disputed_lost");
        }
    }
    SERVED.save(deps.storage, &node, &served)?;
    Ok(res)
}

pub fn query(deps: Deps, node: String) -> StdResult<ServedWork> {
    let node = deps.api.addr_validate(&node)?;
    Ok(SERVED.may_load(deps.storage, &node)?.unwrap_or_default())
}
