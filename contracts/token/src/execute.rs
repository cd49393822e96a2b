//! Execute logic this contract adds to cw20-base: input guards and capped multi-minter minting.

use bithive_interface::token::events as ev;
use cosmwasm_std::{Addr, Deps, DepsMut, Env, MessageInfo, Response, StdResult, Uint128};
use cw20::{Cw20Coin, Expiration};
use cw20_base::allowances as base_allowances;
use cw20_base::state::{ALLOWANCES, BALANCES, TOKEN_INFO};

use crate::error::ContractError;
use crate::state::{MINTERS, MINT_STATE};

/// cw20-base 2.0 accepts zero amounts; a zero transfer or mint is always a client bug here.
pub fn nonzero(amount: Uint128) -> Result<Uint128, ContractError> {
    if amount.is_zero() {
        Err(ContractError::ZeroAmount {})
    } else {
        Ok(amount)
    }
}

/// Checks initial balances (valid, distinct addresses; non-zero amounts; no overflow) and returns
/// their sum, the initial supply.
pub fn validate_initial_balances(
    deps: Deps,
    balances: &[Cw20Coin],
) -> Result<Uint128, ContractError> {
    let mut seen = Vec::with_capacity(balances.len());
    let mut supply = Uint128::zero();
    for coin in balances {
        let addr = deps.api.addr_validate(&coin.address)?;
        if seen.contains(&addr) {
            return Err(ContractError::DuplicateInitialBalance {
                address: coin.address.clone(),
            });
        }
        if coin.amount.is_zero() {
            return Err(ContractError::ZeroInitialBalance {
                address: coin.address.clone(),
            });
        }
        supply = supply.checked_add(coin.amount)?;
        seen.push(addr);
    }
    Ok(supply)
}

/// cw20-base adds to an allowance unchecked (an overflow would abort the VM): check first.
pub fn increase_allowance(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    spender: String,
    amount: Uint128,
    expires: Option<Expiration>,
) -> Result<Response, ContractError> {
    nonzero(amount)?;
    let spender_addr = deps.api.addr_validate(&spender)?;
    let current = ALLOWANCES
        .may_load(deps.storage, (&info.sender, &spender_addr))?
        .unwrap_or_default();
    if current.allowance.checked_add(amount).is_err() {
        return Err(ContractError::AllowanceOverflow { spender });
    }
    Ok(base_allowances::execute_increase_allowance(
        deps, env, info, spender, amount, expires,
    )?)
}

pub fn mint(
    deps: DepsMut,
    info: MessageInfo,
    recipient: String,
    amount: Uint128,
) -> Result<Response, ContractError> {
    nonzero(amount)?;
    let recipient_addr = deps.api.addr_validate(&recipient)?;
    let allowance = MINTERS
        .may_load(deps.storage, &info.sender)?
        .ok_or_else(|| ContractError::NotMinter {
            sender: info.sender.to_string(),
        })?;
    let remaining_allowance =
        allowance
            .checked_sub(amount)
            .map_err(|_| ContractError::MintAllowanceExceeded {
                minter: info.sender.to_string(),
                allowance,
                amount,
            })?;

    let mut state = MINT_STATE.load(deps.storage)?;
    let minted = state.minted.checked_add(amount)?;
    if let Some(cap) = state.cap {
        if minted > cap {
            return Err(ContractError::CapExceeded {
                cap,
                minted: state.minted,
                amount,
            });
        }
    }
    state.minted = minted;
    MINT_STATE.save(deps.storage, &state)?;
    MINTERS.save(deps.storage, &info.sender, &remaining_allowance)?;

    // Supply never exceeds `minted`, so neither it nor any balance can overflow; still checked.
    let mut token = TOKEN_INFO.load(deps.storage)?;
    token.total_supply = token.total_supply.checked_add(amount)?;
    TOKEN_INFO.save(deps.storage, &token)?;
    BALANCES.update(deps.storage, &recipient_addr, |b| -> StdResult<_> {
        Ok(b.unwrap_or_default().checked_add(amount)?)
    })?;

    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::MINT)
        .add_attribute(ev::attr::MINTER, info.sender)
        .add_attribute(ev::attr::TO, recipient)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::MINTER_ALLOWANCE, remaining_allowance))
}

/// The owner only: the validated address it names as (or takes away from) a minter.
fn owner_names(deps: &DepsMut, info: &MessageInfo, minter: &str) -> Result<Addr, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    Ok(deps.api.addr_validate(minter)?)
}

pub fn set_minter(
    deps: DepsMut,
    info: MessageInfo,
    minter: String,
    allowance: Uint128,
) -> Result<Response, ContractError> {
    let addr = owner_names(&deps, &info, &minter)?;
    MINTERS.save(deps.storage, &addr, &allowance)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_MINTER)
        .add_attribute(ev::attr::MINTER, minter)
        .add_attribute(ev::attr::ALLOWANCE, allowance))
}

pub fn remove_minter(
    deps: DepsMut,
    info: MessageInfo,
    minter: String,
) -> Result<Response, ContractError> {
    let addr = owner_names(&deps, &info, &minter)?;
    if !MINTERS.has(deps.storage, &addr) {
        return Err(ContractError::NotMinter { sender: minter });
    }
    MINTERS.remove(deps.storage, &addr);
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REMOVE_MINTER)
        .add_attribute(ev::attr::MINTER, minter))
}
