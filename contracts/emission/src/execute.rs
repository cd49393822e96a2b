use bithive_formulas::emission::{due, Split};
use bithive_interface::emission::events as ev;
use bithive_interface::vesting::Curve;
use bithive_interface::vesting::{NewSchedule, ReceiveMsg as VestingHook};
use cosmwasm_std::{
    to_json_binary, CosmosMsg, DepsMut, Env, MessageInfo, Response, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::msg::PoolHook;
use crate::state::{CONFIG, STATE, VESTING_FLUSH_SECONDS};

fn cw20_msg(token: &str, msg: &Cw20ExecuteMsg) -> Result<CosmosMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: token.into(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

/// Smallest foundation/operations amount put into vesting (one base unit per monthly step).
const MIN_VESTING: u128 = 10;

pub fn distribute(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let now = env.block.time.seconds();
    let elapsed = now
        .checked_sub(config.genesis)
        .ok_or(ContractError::NothingDue)?;
    let due_now = due(elapsed);
    let split = Split::delta(state.accounted, due_now);
    let total = split.total();
    if total.is_zero() {
        return Err(ContractError::NothingDue);
    }
    state.accounted = due_now;
    state.minted = state.minted.checked_add(total)?;
    state.pending_foundation = state.pending_foundation.checked_add(split.foundation)?;
    state.pending_operations = state.pending_operations.checked_add(split.operations)?;

    let token = config.token.as_str();
    let mut msgs = vec![cw20_msg(
        token,
        &Cw20ExecuteMsg::Mint {
            recipient: env.contract.address.to_string(),
            amount: total,
        },
    )?];
    for (pool, amount, hook) in [
        (
            &config.compute_pool,
            split.compute,
            PoolHook::FundComputePool {},
        ),
        (&config.app_pool, split.app, PoolHook::FundAppPool {}),
    ] {
        if !amount.is_zero() {
            msgs.push(cw20_msg(
                token,
                &Cw20ExecuteMsg::Send {
                    contract: pool.to_string(),
                    amount,
                    msg: to_json_binary(&hook)?,
                },
            )?);
        }
    }

    let mut flushed = Uint128::zero();
    let due_flush = now >= state.last_flush.saturating_add(VESTING_FLUSH_SECONDS);
    if due_flush
        && state.pending_foundation.u128() >= MIN_VESTING
        && state.pending_operations.u128() >= MIN_VESTING
    {
        let schedules = vec![
            NewSchedule {
                beneficiary: config.foundation.to_string(),
                revoker: None,
                amount: state.pending_foundation,
                curve: Curve::foundation(now),
            },
            NewSchedule {
                beneficiary: config.operations.to_string(),
                revoker: None,
                amount: state.pending_operations,
                curve: Curve::foundation(now),
            },
        ];
        flushed = state.pending_foundation + state.pending_operations;
        msgs.push(cw20_msg(
            token,
            &Cw20ExecuteMsg::Send {
                contract: config.vesting.to_string(),
                amount: flushed,
                msg: to_json_binary(&VestingHook::Create { schedules })?,
            },
        )?);
        state.pending_foundation = Uint128::zero();
        state.pending_operations = Uint128::zero();
        state.last_flush = now;
    }
    STATE.save(deps.storage, &state)?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::DISTRIBUTE)
        .add_attribute(ev::attr::MINTED, total)
        .add_attribute(ev::attr::COMPUTE, split.compute)
        .add_attribute(ev::attr::APP, split.app)
        .add_attribute(ev::attr::FOUNDATION, split.foundation)
        .add_attribute(ev::attr::OPERATIONS, split.operations)
        .add_attribute(ev::attr::VESTED, flushed)
        .add_attribute(ev::attr::DUE, due_now))
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    compute_pool: Option<String>,
    app_pool: Option<String>,
    vesting: Option<String>,
    foundation: Option<String>,
    operations: Option<String>,
) -> Result<Response, ContractError> {
    let mut c = CONFIG.load(deps.storage)?;
    if c.owner != info.sender {
        return Err(ContractError::Unauthorized);
    }
    let api = deps.api;
    let set = |slot: &mut cosmwasm_std::Addr, v: Option<String>| -> Result<(), ContractError> {
        if let Some(v) = v {
            *slot = api.addr_validate(&v)?;
        }
        Ok(())
    };
    set(&mut c.compute_pool, compute_pool)?;
    set(&mut c.app_pool, app_pool)?;
    set(&mut c.vesting, vesting)?;
    set(&mut c.foundation, foundation)?;
    set(&mut c.operations, operations)?;
    CONFIG.save(deps.storage, &c)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CONFIG))
}
