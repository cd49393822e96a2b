//! Entry points.

use bithive_interface::fractional::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Reply, Response, SubMsgResult,
};

use crate::error::{ContractError, ContractResult};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, CONFIG, NFT_CONTRACTS};
use crate::{execute as ex, query};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender,
    };
    CONFIG.save(
        deps.storage,
        &Config {
            admin: admin.clone(),
            share_code_id: msg.share_code_id,
        },
    )?;
    for a in msg.nft_contracts {
        NFT_CONTRACTS.save(deps.storage, &deps.api.addr_validate(&a)?, &Empty {})?;
    }
    bithive_cw_common::funds::update_cw20_allowlist(
        deps.storage,
        deps.api,
        &msg.cw20_allowlist,
        &[],
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::ADMIN, admin))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::ReceiveNft(m) => ex::receive_nft(deps, env, info, m),
        ExecuteMsg::Receive(m) => ex::receive_cw20(deps, info, m),
        ExecuteMsg::ShareHook(m) => ex::share_hook(deps, info, m),
        ExecuteMsg::DepositRevenue { vault_id } => ex::deposit_native(deps, info, vault_id),
        ExecuteMsg::Buyout { vault_id } => ex::buyout_native(deps, info, vault_id),
        ExecuteMsg::Claim { vault_id } => ex::claim(deps, info, vault_id),
        ExecuteMsg::UpdateConfig {
            share_code_id,
            add_nft_contracts,
            remove_nft_contracts,
            add_cw20,
            remove_cw20,
        } => ex::update_config(
            deps,
            info,
            share_code_id,
            add_nft_contracts,
            remove_nft_contracts,
            add_cw20,
            remove_cw20,
        ),
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

/// The share token's address: from the instantiate response (msg_responses, or the legacy
/// data field), else from the `instantiate` event.
fn instantiated_address(reply: &Reply) -> ContractResult<Addr> {
    let SubMsgResult::Ok(res) = &reply.result else {
        return Err(ContractError::NoShareAddress {});
    };
    if let Some(r) = res.msg_responses.first() {
        if let Ok(parsed) = cw_utils::parse_instantiate_response_data(r.value.as_slice()) {
            return Ok(Addr::unchecked(parsed.contract_address));
        }
    }
    #[allow(deprecated)]
    if let Some(data) = &res.data {
        if let Ok(parsed) = cw_utils::parse_instantiate_response_data(data.as_slice()) {
            return Ok(Addr::unchecked(parsed.contract_address));
        }
    }
    res.events
        .iter()
        .filter(|e| e.ty == "instantiate")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "_contract_address")
        .map(|a| Addr::unchecked(a.value.clone()))
        .ok_or(ContractError::NoShareAddress {})
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, reply: Reply) -> ContractResult {
    let addr = instantiated_address(&reply)?;
    let addr = deps.api.addr_validate(addr.as_str())?;
    // Reply ids are vault ids (set in `receive_nft`).
    ex::share_token_created(deps, reply.id, addr)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    query::query(deps, env, msg)
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
