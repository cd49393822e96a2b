//! Every balance-changing cw20 message runs cw20-base's own handler, then puts a `share_hook`
//! with the pre-change balances of the touched accounts first in the response.

use cosmwasm_std::{
    to_json_binary, Addr, Deps, DepsMut, Env, MessageInfo, Response, SubMsg, WasmMsg,
};
use cw20_base::allowances as allow;
use cw20_base::contract as base;
use cw20_base::state::{BALANCES, TOKEN_INFO};

use crate::error::ContractError;
use crate::msg::{BalanceChange, ExecuteMsg, HookExecuteMsg, ShareHookMsg};
use crate::state::HOOK;

fn snapshot(deps: Deps, accounts: &[&str]) -> Result<Vec<BalanceChange>, ContractError> {
    accounts
        .iter()
        .map(|a| {
            let address = deps.api.addr_validate(a)?;
            let old_balance = BALANCES
                .may_load(deps.storage, &address)?
                .unwrap_or_default();
            Ok(BalanceChange {
                address,
                old_balance,
            })
        })
        .collect()
}

fn with_hook(
    deps: Deps,
    res: Response,
    changes: Vec<BalanceChange>,
) -> Result<Response, ContractError> {
    let Some(hook) = HOOK.load(deps.storage)? else {
        return Ok(res);
    };
    let msg = WasmMsg::Execute {
        contract_addr: hook.to_string(),
        msg: to_json_binary(&HookExecuteMsg::ShareHook(ShareHookMsg { changes }))?,
        funds: vec![],
    };
    let mut res = res;
    res.messages.insert(0, SubMsg::new(msg));
    Ok(res)
}

pub fn execute(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let sender: Addr = info.sender.clone();
    // Issue #20: only the minter (the vault, burning shares sent back to it for redeem or
    // reunify) may burn; the vault's `total_shares` would not see anyone else's burn.
    if matches!(msg, ExecuteMsg::Burn { .. } | ExecuteMsg::BurnFrom { .. }) {
        let minter = TOKEN_INFO.load(deps.storage)?.mint.map(|m| m.minter);
        if minter.as_ref() != Some(&sender) {
            return Err(ContractError::BurnNotAllowed {});
        }
    }
    let touched: Vec<String> = match &msg {
        ExecuteMsg::Transfer { recipient, .. } => vec![sender.to_string(), recipient.clone()],
        ExecuteMsg::Send { contract, .. } => vec![sender.to_string(), contract.clone()],
        ExecuteMsg::Burn { .. } => vec![sender.to_string()],
        ExecuteMsg::Mint { recipient, .. } => vec![recipient.clone()],
        ExecuteMsg::TransferFrom {
            owner, recipient, ..
        } => vec![owner.clone(), recipient.clone()],
        ExecuteMsg::SendFrom {
            owner, contract, ..
        } => vec![owner.clone(), contract.clone()],
        ExecuteMsg::BurnFrom { owner, .. } => vec![owner.clone()],
        _ => vec![],
    };
    let touched: Vec<&str> = touched.iter().map(String::as_str).collect();
    let changes = snapshot(deps.as_ref(), &touched)?;
    let res = match msg {
        ExecuteMsg::Transfer { recipient, amount } => {
            base::execute_transfer(deps.branch(), env, info, recipient, amount)?
        }
        ExecuteMsg::Send {
            contract,
            amount,
            msg,
        } => base::execute_send(deps.branch(), env, info, contract, amount, msg)?,
        ExecuteMsg::Burn { amount } => base::execute_burn(deps.branch(), env, info, amount)?,
        ExecuteMsg::Mint { recipient, amount } => {
            base::execute_mint(deps.branch(), env, info, recipient, amount)?
        }
        ExecuteMsg::IncreaseAllowance {
            spender,
            amount,
            expires,
        } => allow::execute_increase_allowance(deps.branch(), env, info, spender, amount, expires)?,
        ExecuteMsg::DecreaseAllowance {
            spender,
            amount,
            expires,
        } => allow::execute_decrease_allowance(deps.branch(), env, info, spender, amount, expires)?,
        ExecuteMsg::TransferFrom {
            owner,
            recipient,
            amount,
        } => allow::execute_transfer_from(deps.branch(), env, info, owner, recipient, amount)?,
        ExecuteMsg::BurnFrom { owner, amount } => {
            allow::execute_burn_from(deps.branch(), env, info, owner, amount)?
        }
        ExecuteMsg::SendFrom {
            owner,
            contract,
            amount,
            msg,
        } => allow::execute_send_from(deps.branch(), env, info, owner, contract, amount, msg)?,
        ExecuteMsg::UpdateMarketing {
            project,
            description,
            marketing,
        } => base::execute_update_marketing(
            deps.branch(),
            env,
            info,
            project,
            description,
            marketing,
        )?,
        ExecuteMsg::UploadLogo(logo) => base::execute_upload_logo(deps.branch(), env, info, logo)?,
        ExecuteMsg::UpdateMinter { new_minter } => {
            base::execute_update_minter(deps.branch(), env, info, new_minter)?
        }
    };
    if touched.is_empty() {
        return Ok(res);
    }
    with_hook(deps.as_ref(), res, changes)
}
