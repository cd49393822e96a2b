use bithive_interface::staking::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::error::ContractError;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, Totals, CONFIG, TOTALS};
use crate::{attestors, execute, query, slashing};

pub const CONTRACT_NAME: &str = "crates.io:bithive-staking";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// 540 days (docs/glossary.md#lock-period).
pub const DEFAULT_LOCK_SECONDS: u64 = 540 * 86_400;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let api = deps.api;
    let config = Config {
        governance: api.addr_validate(&msg.governance)?,
        compliance: api.addr_validate(&msg.compliance)?,
        token: api.addr_validate(&msg.token)?,
        slash_recipient: api.addr_validate(&msg.slash_recipient)?,
        work_reporter: msg
            .work_reporter
            .map(|r| api.addr_validate(&r))
            .transpose()?,
        genesis: msg.genesis,
        epoch_seconds: msg.epoch_seconds,
        attestor_set_size: msg.attestor_set_size,
        window_epochs: msg.window_epochs,
        lock_seconds: msg.lock_seconds.unwrap_or(DEFAULT_LOCK_SECONDS),
        unbonding_seconds: msg.unbonding_seconds,
        max_claims: msg.max_claims,
        fraud_slash: msg.fraud_slash,
    };
    execute::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    TOTALS.save(deps.storage, &Totals::default())?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::INSTANTIATE))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RegisterNode {
            capacity_t,
            tier,
            operator_key,
            operator_signature,
        } => execute::register(
            deps,
            env,
            info,
            capacity_t,
            tier,
            operator_key,
            operator_signature,
        ),
        ExecuteMsg::UpdateNode { capacity_t, tier } => {
            execute::update_node(deps, info, capacity_t, tier)
        }
        ExecuteMsg::Receive(w) => execute::receive(deps, env, info, w),
        ExecuteMsg::Unbond { amount } => execute::unbond(deps, env, info, amount),
        ExecuteMsg::ClaimUnbonded {} => execute::claim_unbonded(deps, env, info),
        ExecuteMsg::SubmitEvidence { first, second } => {
            slashing::submit_evidence(deps, env, *first, *second)
        }
        ExecuteMsg::Slash {
            node,
            fraction,
            reason,
        } => slashing::governance_slash(deps, info, node, fraction, reason),
        ExecuteMsg::SetCompliance { node, level } => {
            execute::set_compliance(deps, info, node, level)
        }
        ExecuteMsg::RecordWork { node, units } => {
            execute::record_work(deps, env, info, node, units)
        }
        ExecuteMsg::AdvanceAttestorSet { limit } => attestors::advance(deps, env, limit),
        ExecuteMsg::UpdateConfig {
            governance,
            compliance,
            slash_recipient,
            work_reporter,
            fraud_slash,
            attestor_set_size,
        } => execute::update_config(
            deps,
            info,
            governance,
            compliance,
            slash_recipient,
            work_reporter,
            fraud_slash,
            attestor_set_size,
        ),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Node { node } => to_json_binary(&query::node(deps, &env, node)?),
        QueryMsg::Nodes { start_after, limit } => {
            to_json_binary(&query::nodes(deps, &env, start_after, limit)?)
        }
        QueryMsg::PledgeStatus { node } => to_json_binary(&query::pledge_status(deps, &env, node)?),
        QueryMsg::Totals {} => to_json_binary(&TOTALS.load(deps.storage)?),
        QueryMsg::Vscore { node } => to_json_binary(&query::vscore(deps, &env, node)?),
        QueryMsg::AttestorSet {} => to_json_binary(&query::attestor_set(deps, &env)?),
        QueryMsg::EvidenceUsed { job_key } => to_json_binary(&query::evidence_used(deps, job_key)?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = bithive_cw_common::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::MIGRATE)
        .add_attribute(ev::attr::FROM, from.to_string())
        .add_attribute(ev::attr::VERSION, CONTRACT_VERSION))
}
