use bithive_interface::rewards::{events as ev, DEFAULT_MAX_BTK_PER_FEE, DEFAULT_MAX_UNITS_PER_T};
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Binary, Decimal256, Deps, DepsMut, Env, MessageInfo, Response,
    StdResult, Uint128,
};
use cw20::Cw20ReceiveMsg;

use crate::error::{ContractError, ContractResult};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, ReceiveMsg};
use crate::state::{AppPool, ComputePool, Config, PatientPool, APP, COMPUTE, CONFIG, PATIENT};
use crate::{app, challenge, compute, patient, query, served};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if msg.epoch_seconds == 0 {
        return Err(ContractError::InvalidConfig(
            "epoch_seconds must be positive",
        ));
    }
    if msg.patient_daily_cap.is_zero() {
        return Err(ContractError::InvalidConfig(
            "patient_daily_cap must be positive",
        ));
    }
    let max_units_per_t = msg
        .max_units_per_t
        .unwrap_or(Uint128::new(DEFAULT_MAX_UNITS_PER_T));
    if max_units_per_t.is_zero() {
        return Err(ContractError::InvalidConfig(
            "max_units_per_t must be positive",
        ));
    }
    let challenge_seconds = msg.challenge_seconds.unwrap_or(0);
    check_challenge(challenge_seconds)?;
    let api = deps.api;
    let config = Config {
        governance: api.addr_validate(&msg.governance)?,
        btk: api.addr_validate(&msg.btk)?,
        btt: api.addr_validate(&msg.btt)?,
        staking: api.addr_validate(&msg.staking)?,
        vesting: api.addr_validate(&msg.vesting)?,
        reporter: api.addr_validate(&msg.reporter)?,
        genesis: msg.genesis,
        epoch_seconds: msg.epoch_seconds,
        patient_daily_cap: msg.patient_daily_cap,
        max_units_per_t,
        challenge_seconds,
        units_per_t_ceiling: max_units_per_t,
        escrow: msg.escrow.map(|e| api.addr_validate(&e)).transpose()?,
        max_btk_per_fee: check_btk_per_fee(
            msg.max_btk_per_fee
                .unwrap_or(Decimal256::from_ratio(DEFAULT_MAX_BTK_PER_FEE, 1u8)),
        )?,
    };
    let epoch = compute::epoch_of(&config, env.block.time.seconds());
    CONFIG.save(deps.storage, &config)?;
    COMPUTE.save(
        deps.storage,
        &ComputePool {
            epoch,
            ..ComputePool::default()
        },
    )?;
    APP.save(deps.storage, &AppPool::default())?;
    PATIENT.save(deps.storage, &PatientPool::default())?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::INSTANTIATE))
}

fn receive(deps: DepsMut, env: Env, info: MessageInfo, w: Cw20ReceiveMsg) -> ContractResult {
    let config = CONFIG.load(deps.storage)?;
    match from_json(&w.msg)? {
        ReceiveMsg::FundComputePool {} if info.sender == config.btk => {
            compute::fund(deps, env, w.amount)
        }
        ReceiveMsg::FundAppPool {} if info.sender == config.btk => app::fund(deps, w.amount),
        ReceiveMsg::FundPatientPool {} if info.sender == config.btt => {
            patient::fund(deps, w.amount)
        }
        _ => Err(ContractError::WrongToken(info.sender.into())),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Receive(w) => receive(deps, env, info, w),
        ExecuteMsg::ReportWork { node, measured } => {
            compute::report_work(deps, env, info, node, measured)
        }
        ExecuteMsg::RecordOutcome { node, outcome } => served::record(deps, info, node, outcome),
        ExecuteMsg::FinalizeWork { id } => challenge::finalize(deps, env, id),
        ExecuteMsg::DisputeWork { id, reason } => challenge::dispute(deps, env, info, id, reason),
        ExecuteMsg::ResolveWork { id, valid } => challenge::resolve(deps, env, info, id, valid),
        ExecuteMsg::ForfeitEpoch { node } => compute::forfeit_epoch(deps, env, info, node),
        ExecuteMsg::ClaimCompute {} => compute::claim(deps, env, info),
        ExecuteMsg::SetDeveloper { developer, weight } => {
            app::set_developer(deps, info, developer, weight)
        }
        ExecuteMsg::ClaimApp {} => app::claim(deps, env, info),
        ExecuteMsg::SetVerifier {
            pubkey,
            institution,
            active,
        } => patient::set_verifier(deps, info, pubkey, institution, active),
        ExecuteMsg::ClaimPatient { claim } => patient::claim(deps, env, info, *claim),
        ExecuteMsg::CreditPatient {
            patient,
            activity_id,
            activity,
        } => patient::credit(deps, env, info, patient, activity_id, activity),
        ExecuteMsg::UpdateConfig {
            reporter,
            patient_daily_cap,
            max_units_per_t,
            challenge_seconds,
            escrow,
            max_btk_per_fee,
        } => update_config(
            deps,
            info,
            reporter,
            patient_daily_cap,
            (max_units_per_t, challenge_seconds, escrow, max_btk_per_fee),
        ),
        // Two steps (ADR 008): the governance proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.governance),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
    }
}

/// A positive cap: at zero no served work could ever earn.
fn check_btk_per_fee(m: Decimal256) -> ContractResult<Decimal256> {
    if m.is_zero() {
        return Err(ContractError::InvalidConfig(
            "max_btk_per_fee must be positive",
        ));
    }
    Ok(m)
}

fn check_challenge(seconds: u64) -> ContractResult<()> {
    if seconds > bithive_interface::rewards::MAX_CHALLENGE_SECONDS {
        return Err(ContractError::InvalidConfig(
            "challenge_seconds must be at most 7 days",
        ));
    }
    Ok(())
}

#[inline(never)]
fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    reporter: Option<String>,
    patient_daily_cap: Option<Uint128>,
    (max_units_per_t, challenge_seconds, escrow, max_btk_per_fee): (
        Option<Uint128>,
        Option<u64>,
        Option<String>,
        Option<Decimal256>,
    ),
) -> ContractResult {
    let mut c = CONFIG.load(deps.storage)?;
    if c.governance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    if let Some(r) = reporter {
        c.reporter = deps.api.addr_validate(&r)?;
    }
    if let Some(cap) = patient_daily_cap {
        if cap.is_zero() {
            return Err(ContractError::InvalidConfig(
                "patient_daily_cap must be positive",
            ));
        }
        c.patient_daily_cap = cap;
    }
    if let Some(m) = max_units_per_t {
        if m.is_zero() {
            return Err(ContractError::InvalidConfig(
                "max_units_per_t must be positive",
            ));
        }
        c.max_units_per_t = m;
    }
    if let Some(w) = challenge_seconds {
        check_challenge(w)?;
        c.challenge_seconds = w;
    }
    if let Some(e) = escrow {
        c.escrow = Some(deps.api.addr_validate(&e)?);
    }
    if let Some(m) = max_btk_per_fee {
        c.max_btk_per_fee = check_btk_per_fee(m)?;
    }
    CONFIG.save(deps.storage, &c)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CONFIG))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.governance,
        )?),
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::ComputePool {} => to_json_binary(&COMPUTE.load(deps.storage)?),
        QueryMsg::NodeRewards { node } => to_json_binary(&query::node_rewards(deps, &env, node)?),
        QueryMsg::AppPool {} => to_json_binary(&APP.load(deps.storage)?),
        QueryMsg::Developer { developer } => to_json_binary(&query::developer(deps, developer)?),
        QueryMsg::PatientPool {} => to_json_binary(&PATIENT.load(deps.storage)?),
        QueryMsg::Activity { activity_id } => to_json_binary(&query::activity(deps, activity_id)?),
        QueryMsg::PatientDaily { patient, day } => {
            to_json_binary(&query::patient_daily(deps, &env, patient, day)?)
        }
        QueryMsg::Verifier { pubkey } => to_json_binary(&query::verifier(deps, pubkey)?),
        QueryMsg::Served { node } => to_json_binary(&served::query(deps, node)?),
        QueryMsg::PendingWork { id } => to_json_binary(&query::pending_work(deps, id)?),
        QueryMsg::PendingWorks { start_after, limit } => {
            to_json_binary(&query::pending_works(deps, start_after, limit)?)
        }
    }
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
