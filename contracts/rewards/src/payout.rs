//! Contributor release (docs/glossary.md#contributor-release): 20 % of a claim is paid at once,
//! the rest goes into an irrevocable vesting schedule releasing 1/180 a day.

use bithive_interface::vesting::Curve;
use bithive_interface::vesting::{NewSchedule, ReceiveMsg as VestingHook};
use cosmwasm_std::{to_json_binary, Addr, CosmosMsg, Uint128, WasmMsg};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::state::Config;

pub const RELEASE_DAYS: u128 = 180;

fn cw20(token: &Addr, msg: &Cw20ExecuteMsg) -> Result<CosmosMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

/// Messages paying `amount` BTK to `to`; returns (messages, paid now, vested).
pub fn contributor_release(
    config: &Config,
    to: &Addr,
    amount: Uint128,
    now: u64,
) -> Result<(Vec<CosmosMsg>, Uint128, Uint128), ContractError> {
    let now_part = amount.multiply_ratio(20u128, 100u128);
    let locked = amount - now_part;
    // Vesting refuses steps that round to zero: a claim this small is paid out whole.
    if locked.u128() < RELEASE_DAYS {
        return Ok((
            vec![cw20(
                &config.btk,
                &Cw20ExecuteMsg::Transfer {
                    recipient: to.to_string(),
                    amount,
                },
            )?],
            amount,
            Uint128::zero(),
        ));
    }
    let schedule = NewSchedule {
        beneficiary: to.to_string(),
        revoker: None,
        amount: locked,
        curve: Curve::daily_180(now),
    };
    let mut msgs = vec![];
    if !now_part.is_zero() {
        msgs.push(cw20(
            &config.btk,
            &Cw20ExecuteMsg::Transfer {
                recipient: to.to_string(),
                amount: now_part,
            },
        )?);
    }
    msgs.push(cw20(
        &config.btk,
        &Cw20ExecuteMsg::Send {
            contract: config.vesting.to_string(),
            amount: locked,
            msg: to_json_binary(&VestingHook::Create {
                schedules: vec![schedule],
            })?,
        },
    )?);
    Ok((msgs, now_part, locked))
}
