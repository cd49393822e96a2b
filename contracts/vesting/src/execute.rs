use std::collections::BTreeMap;

use bithive_interface::vesting::events as ev;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, BankMsg, Coin, CosmosMsg, DepsMut, Env, MessageInfo, Response,
    Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};

use crate::curve::CurveExt;
use crate::error::ContractError;
use crate::msg::{Asset, NewSchedule, ReceiveMsg};
use crate::state::{
    Schedule, Totals, BY_BENEFICIARY, CONFIG, MAX_ALLOWLIST, MAX_BATCH, NEXT_ID, SCHEDULES, TOTALS,
};

/// Bank denoms: 3-128 characters, a letter first, then letters, digits and `/:._-`
/// (covers `ibc/<hash>` and `factory/<addr>/<sub>`).
pub fn validate_denom(denom: &str) -> Result<(), ContractError> {
    let ok = (3..=128).contains(&denom.len())
        && denom.starts_with(|c: char| c.is_ascii_alphabetic())
        && denom
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ContractError::InvalidDenom(denom.into()))
    }
}

/// The transfer of `amount` of `asset` to `to`.
pub fn payout(asset: &Asset, to: &Addr, amount: Uint128) -> Result<CosmosMsg, ContractError> {
    Ok(match asset {
        Asset::Native(denom) => BankMsg::Send {
            to_address: to.into(),
            amount: vec![Coin::new(amount, denom)],
        }
        .into(),
        Asset::Cw20(token) => WasmMsg::Execute {
            contract_addr: token.clone(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: to.into(),
                amount,
            })?,
            funds: vec![],
        }
        .into(),
    })
}

pub fn create_native(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    schedules: Vec<NewSchedule>,
) -> Result<Response, ContractError> {
    let coin = cw_utils::one_coin(&info)?;
    validate_denom(&coin.denom)?;
    create(deps, env, Asset::Native(coin.denom), coin.amount, schedules)
}

pub fn receive_cw20(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    // info.sender is the token contract that called us: it must be allowlisted.
    let config = CONFIG.load(deps.storage)?;
    if !config.cw20_allowlist.contains(&info.sender) {
        return Err(ContractError::TokenNotAllowed(info.sender.into()));
    }
    match from_json(&wrapper.msg)? {
        ReceiveMsg::Create { schedules } => create(
            deps,
            env,
            Asset::Cw20(info.sender.into()),
            wrapper.amount,
            schedules,
        ),
    }
}

fn create(
    deps: DepsMut,
    _env: Env,
    asset: Asset,
    funded: Uint128,
    schedules: Vec<NewSchedule>,
) -> Result<Response, ContractError> {
    if schedules.is_empty() || schedules.len() > MAX_BATCH {
        return Err(ContractError::BadBatch {
            max: MAX_BATCH as u32,
        });
    }
    let mut expected = Uint128::zero();
    for s in &schedules {
        expected = expected.checked_add(s.amount)?;
    }
    if expected != funded {
        return Err(ContractError::FundsMismatch {
            sent: funded.to_string(),
            expected: expected.to_string(),
        });
    }
    let mut id = NEXT_ID.load(deps.storage)?;
    let first = id;
    for s in schedules {
        s.curve.validate(s.amount)?;
        let beneficiary = deps.api.addr_validate(&s.beneficiary)?;
        let revoker = s.revoker.map(|r| deps.api.addr_validate(&r)).transpose()?;
        let schedule = Schedule {
            beneficiary: beneficiary.clone(),
            revoker,
            asset: asset.clone(),
            amount: s.amount,
            cap: s.amount,
            released: Uint128::zero(),
            curve: s.curve,
            revoked_at: None,
        };
        SCHEDULES.save(deps.storage, id, &schedule)?;
        BY_BENEFICIARY.save(deps.storage, (&beneficiary, id), &())?;
        id += 1;
    }
    NEXT_ID.save(deps.storage, &id)?;
    let key = asset.key();
    let mut totals = TOTALS.may_load(deps.storage, &key)?.unwrap_or_default();
    totals.funded = totals.funded.checked_add(funded)?;
    TOTALS.save(deps.storage, &key, &totals)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::CREATE_SCHEDULES)
        .add_attribute(ev::attr::ASSET, key)
        .add_attribute(ev::attr::AMOUNT, funded)
        .add_attribute(ev::attr::FIRST_ID, first.to_string())
        .add_attribute(ev::attr::LAST_ID, (id - 1).to_string()))
}

/// Pays what has vested on `ids`. With `only_own`, the sender must be the beneficiary of each
/// (Claim); otherwise anyone may push the payments to the beneficiaries (Distribute).
pub fn claim(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    ids: Vec<u64>,
    only_own: bool,
) -> Result<Response, ContractError> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ContractError::BadBatch {
            max: MAX_BATCH as u32,
        });
    }
    let now = env.block.time.seconds();
    // (asset, beneficiary) -> amount, so that one message pays each pair.
    let mut payouts: BTreeMap<(Asset, Addr), Uint128> = BTreeMap::new();
    let mut total = Uint128::zero();
    for id in ids {
        let mut s = SCHEDULES
            .may_load(deps.storage, id)?
            .ok_or(ContractError::NotFound(id))?;
        if only_own && s.beneficiary != info.sender {
            return Err(ContractError::Unauthorized);
        }
        let amount = s.claimable(now);
        if amount.is_zero() {
            continue;
        }
        s.released = s.released.checked_add(amount)?;
        SCHEDULES.save(deps.storage, id, &s)?;
        let key = s.asset.key();
        let mut totals = TOTALS.load(deps.storage, &key)?;
        totals.released = totals.released.checked_add(amount)?;
        TOTALS.save(deps.storage, &key, &totals)?;
        let slot = payouts.entry((s.asset, s.beneficiary)).or_default();
        *slot = slot.checked_add(amount)?;
        total = total.checked_add(amount)?;
    }
    if total.is_zero() {
        return Err(ContractError::NothingToClaim);
    }
    let msgs = payouts
        .iter()
        .map(|((asset, to), amount)| payout(asset, to, *amount))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(
            ev::ACTION,
            if only_own { ev::CLAIM } else { ev::DISTRIBUTE },
        )
        .add_attribute(ev::attr::AMOUNT, total))
}

pub fn revoke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    let mut s = SCHEDULES
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NotFound(id))?;
    let revoker = s.revoker.clone().ok_or(ContractError::Irrevocable(id))?;
    if revoker != info.sender {
        return Err(ContractError::Unauthorized);
    }
    if s.revoked_at.is_some() {
        return Err(ContractError::AlreadyRevoked(id));
    }
    let now = env.block.time.seconds();
    let vested = s.vested(now);
    let unvested = s.cap - vested;
    s.cap = vested;
    s.revoked_at = Some(now);
    SCHEDULES.save(deps.storage, id, &s)?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::REVOKE)
        .add_attribute(ev::attr::SCHEDULE_ID, id.to_string())
        .add_attribute(ev::attr::RETURNED, unvested)
        .add_attribute(ev::attr::VESTED, vested);
    if !unvested.is_zero() {
        let key = s.asset.key();
        let mut totals: Totals = TOTALS.load(deps.storage, &key)?;
        totals.returned = totals.returned.checked_add(unvested)?;
        TOTALS.save(deps.storage, &key, &totals)?;
        res = res.add_message(payout(&s.asset, &revoker, unvested)?);
    }
    Ok(res)
}

pub fn update_allowlist(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    if config.owner != info.sender {
        return Err(ContractError::Unauthorized);
    }
    for a in remove {
        let a = deps.api.addr_validate(&a)?;
        config.cw20_allowlist.retain(|x| *x != a);
    }
    for a in add {
        let a = deps.api.addr_validate(&a)?;
        if !config.cw20_allowlist.contains(&a) {
            config.cw20_allowlist.push(a);
        }
    }
    if config.cw20_allowlist.len() > MAX_ALLOWLIST {
        return Err(ContractError::BadBatch {
            max: MAX_ALLOWLIST as u32,
        });
    }
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_ALLOWLIST))
}
