//! Entry points.

use bithive_interface::model_registry::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};

use crate::error::{ContractError, ContractResult};
use crate::execute;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, CONFIG, MODEL_SEQ};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let valid = |a: Option<String>| a.map(|a| deps.api.addr_validate(&a)).transpose();
    let config = Config {
        admin: valid(msg.admin)?.unwrap_or(info.sender),
        evaluator: valid(msg.evaluator)?,
        escrow: valid(msg.escrow)?,
        price_asset: execute::validate_asset(deps.as_ref(), msg.price_asset)?,
    };
    CONFIG.save(deps.storage, &config)?;
    MODEL_SEQ.save(deps.storage, &0)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::ADMIN, config.admin))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Publish(m) => execute::publish(deps, env, info, m),
        ExecuteMsg::Deprecate { model_id } => execute::deprecate(deps, info, model_id),
        ExecuteMsg::Rekey {
            model_id,
            content_id,
            size_bytes,
        } => execute::rekey(deps, info, model_id, content_id, size_bytes),
        ExecuteMsg::SetAccuracy {
            model_id,
            accuracy,
            evaluation,
            run_cost,
        } => execute::set_accuracy(deps, info, model_id, accuracy, evaluation, run_cost),
        ExecuteMsg::RecordJob {
            model_id,
            job_id,
            tscore,
        } => execute::record_job(deps, info, model_id, job_id, tscore),
        ExecuteMsg::UpdateConfig { evaluator, escrow } => {
            execute::update_config(deps, info, evaluator, escrow)
        }
        // Two steps (ADR 008): the admin proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.admin),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    crate::query::query(deps, msg)
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
