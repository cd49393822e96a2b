use bithive_interface::emission::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::error::{ContractError, ContractResult};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, State, CONFIG, STATE};
use crate::{execute, query};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let api = deps.api;
    let genesis = msg.genesis.unwrap_or(env.block.time.seconds());
    let config = Config {
        owner: api.addr_validate(&msg.owner)?,
        token: api.addr_validate(&msg.token)?,
        genesis,
        compute_pool: api.addr_validate(&msg.compute_pool)?,
        app_pool: api.addr_validate(&msg.app_pool)?,
        vesting: api.addr_validate(&msg.vesting)?,
        foundation: api.addr_validate(&msg.foundation)?,
        operations: api.addr_validate(&msg.operations)?,
    };
    CONFIG.save(deps.storage, &config)?;
    STATE.save(
        deps.storage,
        &State {
            last_flush: genesis,
            ..State::default()
        },
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::GENESIS, genesis.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Distribute {} => execute::distribute(deps, env),
        ExecuteMsg::UpdateConfig {
            compute_pool,
            app_pool,
            vesting,
            foundation,
            operations,
        } => execute::update_config(
            deps,
            info,
            compute_pool,
            app_pool,
            vesting,
            foundation,
            operations,
        ),
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
        QueryMsg::Status {} => to_json_binary(&query::status(deps, &env)?),
        QueryMsg::DueAt { elapsed } => to_json_binary(&bithive_formulas::emission::due(elapsed)),
    }
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
