use bithive_interface::vesting::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::error::{ContractError, ContractResult};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, CONFIG, MAX_ALLOWLIST, NEXT_ID};
use crate::{execute, query};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if msg.cw20_allowlist.len() > MAX_ALLOWLIST {
        return Err(ContractError::BadBatch {
            max: MAX_ALLOWLIST as u32,
        });
    }
    let owner = deps.api.addr_validate(&msg.owner)?;
    let cw20_allowlist = msg
        .cw20_allowlist
        .iter()
        .map(|a| deps.api.addr_validate(a))
        .collect::<StdResult<Vec<_>>>()?;
    CONFIG.save(
        deps.storage,
        &Config {
            owner: owner.clone(),
            cw20_allowlist,
        },
    )?;
    NEXT_ID.save(deps.storage, &1)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::OWNER, owner))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Create { schedules } => execute::create_native(deps, env, info, schedules),
        ExecuteMsg::Receive(wrapper) => execute::receive_cw20(deps, env, info, wrapper),
        ExecuteMsg::Claim { ids } => execute::claim(deps, env, info, ids, true),
        ExecuteMsg::Distribute { ids } => execute::claim(deps, env, info, ids, false),
        ExecuteMsg::Revoke { id } => execute::revoke(deps, env, info, id),
        ExecuteMsg::UpdateAllowlist { add, remove } => {
            execute::update_allowlist(deps, info, add, remove)
        }
        // Two steps (ADR 008): the owner proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.owner),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.owner,
        )?),
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Schedule { id } => to_json_binary(&query::schedule(deps, &env, id)?),
        QueryMsg::Vested { id, at } => to_json_binary(&query::vested(deps, &env, id, at)?),
        QueryMsg::Claimable { id } => to_json_binary(&query::schedule(deps, &env, id)?.claimable),
        QueryMsg::SchedulesByBeneficiary {
            beneficiary,
            start_after,
            limit,
        } => to_json_binary(&query::by_beneficiary(
            deps,
            &env,
            beneficiary,
            start_after,
            limit,
        )?),
        QueryMsg::Schedules { start_after, limit } => {
            to_json_binary(&query::all(deps, &env, start_after, limit)?)
        }
        QueryMsg::Totals { asset } => to_json_binary(&query::totals(deps, asset)?),
    }
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
