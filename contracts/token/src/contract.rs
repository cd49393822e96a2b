//! Entry points. Behaviour shared with cw20-base is delegated to it; this contract adds typed
//! input checks in front of it and replaces its single-minter model.

use bithive_interface::token::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult, Uint128,
};
use cw20_base::allowances as base_allowances;
use cw20_base::contract as base;
use cw20_base::enumerable as base_enum;

use crate::error::{ContractError, ContractResult};
use crate::execute;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{MintState, MINTERS, MINT_STATE};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    let supply = execute::validate_initial_balances(deps.as_ref(), &msg.initial_balances)?;
    if let Some(cap) = msg.cap {
        if cap.is_zero() {
            return Err(ContractError::ZeroCap {});
        }
        if supply > cap {
            return Err(ContractError::InitialSupplyOverCap { supply, cap });
        }
    }
    let mut minters = Vec::with_capacity(msg.minters.len());
    for m in &msg.minters {
        let addr = deps.api.addr_validate(&m.minter)?;
        if minters
            .iter()
            .any(|(a, _): &(cosmwasm_std::Addr, Uint128)| *a == addr)
        {
            return Err(ContractError::DuplicateMinter {
                minter: m.minter.clone(),
            });
        }
        minters.push((addr, m.allowance));
    }

    // cw20-base stores token info, balances, marketing and logo (validating the logo); minting
    // is ours, so it gets no minter.
    base::instantiate(
        deps.branch(),
        env,
        info.clone(),
        cw20_base::msg::InstantiateMsg {
            name: msg.name,
            symbol: msg.symbol,
            decimals: msg.decimals,
            initial_balances: msg.initial_balances,
            mint: None,
            marketing: msg.marketing,
        },
    )?;
    // cw20-base recorded its own name; this contract is not cw20-base.
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;

    let owner = msg.owner.unwrap_or_else(|| info.sender.to_string());
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(&owner))?;
    MINT_STATE.save(
        deps.storage,
        &MintState {
            cap: msg.cap,
            minted: supply,
        },
    )?;
    for (addr, allowance) in &minters {
        MINTERS.save(deps.storage, addr, allowance)?;
    }

    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::OWNER, owner)
        .add_attribute(ev::attr::INITIAL_SUPPLY, supply)
        .add_attribute(ev::attr::CAP, cap_attr(msg.cap))
        .add_attribute(ev::attr::MINTERS, minters.len().to_string()))
}

pub(crate) fn cap_attr(cap: Option<Uint128>) -> String {
    cap.map_or_else(|| "none".to_string(), |c| c.to_string())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    use execute::nonzero;
    match msg {
        ExecuteMsg::Transfer { recipient, amount } => Ok(base::execute_transfer(
            deps,
            env,
            info,
            recipient,
            nonzero(amount)?,
        )?),
        ExecuteMsg::Burn { amount } => Ok(base::execute_burn(deps, env, info, nonzero(amount)?)?),
        ExecuteMsg::Send {
            contract,
            amount,
            msg,
        } => Ok(base::execute_send(
            deps,
            env,
            info,
            contract,
            nonzero(amount)?,
            msg,
        )?),
        ExecuteMsg::IncreaseAllowance {
            spender,
            amount,
            expires,
        } => execute::increase_allowance(deps, env, info, spender, amount, expires),
        ExecuteMsg::DecreaseAllowance {
            spender,
            amount,
            expires,
        } => Ok(base_allowances::execute_decrease_allowance(
            deps,
            env,
            info,
            spender,
            nonzero(amount)?,
            expires,
        )?),
        ExecuteMsg::TransferFrom {
            owner,
            recipient,
            amount,
        } => Ok(base_allowances::execute_transfer_from(
            deps,
            env,
            info,
            owner,
            recipient,
            nonzero(amount)?,
        )?),
        ExecuteMsg::SendFrom {
            owner,
            contract,
            amount,
            msg,
        } => Ok(base_allowances::execute_send_from(
            deps,
            env,
            info,
            owner,
            contract,
            nonzero(amount)?,
            msg,
        )?),
        ExecuteMsg::BurnFrom { owner, amount } => Ok(base_allowances::execute_burn_from(
            deps,
            env,
            info,
            owner,
            nonzero(amount)?,
        )?),
        ExecuteMsg::Mint { recipient, amount } => execute::mint(deps, info, recipient, amount),
        ExecuteMsg::SetMinter { minter, allowance } => {
            execute::set_minter(deps, info, minter, allowance)
        }
        ExecuteMsg::RemoveMinter { minter } => execute::remove_minter(deps, info, minter),
        ExecuteMsg::UpdateMarketing {
            project,
            description,
            marketing,
        } => Ok(base::execute_update_marketing(
            deps,
            env,
            info,
            project,
            description,
            marketing,
        )?),
        ExecuteMsg::UploadLogo(logo) => Ok(base::execute_upload_logo(deps, env, info, logo)?),
        ExecuteMsg::UpdateOwnership(action) => {
            let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
            Ok(Response::new()
                .add_attribute(ev::ACTION, ev::UPDATE_OWNERSHIP)
                .add_attributes(ownership.into_attributes()))
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Balance { address } => to_json_binary(&base::query_balance(deps, address)?),
        QueryMsg::TokenInfo {} => to_json_binary(&base::query_token_info(deps)?),
        QueryMsg::Minter {} => to_json_binary(&query::minter(deps)?),
        QueryMsg::Allowance { owner, spender } => {
            to_json_binary(&base_allowances::query_allowance(deps, owner, spender)?)
        }
        QueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        } => to_json_binary(&base_enum::query_owner_allowances(
            deps,
            owner,
            start_after,
            limit,
        )?),
        QueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        } => to_json_binary(&base_enum::query_spender_allowances(
            deps,
            spender,
            start_after,
            limit,
        )?),
        QueryMsg::AllAccounts { start_after, limit } => {
            to_json_binary(&base_enum::query_all_accounts(deps, start_after, limit)?)
        }
        QueryMsg::MarketingInfo {} => to_json_binary(&base::query_marketing_info(deps)?),
        QueryMsg::DownloadLogo {} => to_json_binary(&base::query_download_logo(deps)?),
        QueryMsg::MintInfo {} => to_json_binary(&query::mint_info(deps)?),
        QueryMsg::MinterAllowance { minter } => {
            to_json_binary(&query::minter_allowance(deps, minter)?)
        }
        QueryMsg::Minters { start_after, limit } => {
            to_json_binary(&query::minters(deps, start_after, limit)?)
        }
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult {
    let from = bithive_cw_common::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::MIGRATE)
        .add_attribute(ev::attr::FROM_VERSION, from.to_string())
        .add_attribute(ev::attr::TO_VERSION, CONTRACT_VERSION))
}
