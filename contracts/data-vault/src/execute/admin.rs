//! Admin: config, curators, answerers, cw20 allowlist.

use bithive_cw_common::funds::update_cw20_allowlist;
use bithive_interface::data_vault::events as ev;
use cosmwasm_std::{DepsMut, Empty, MessageInfo, Response};

use super::Res;
use crate::error::ContractError;
use crate::state::{ANSWERERS, CONFIG, CURATORS};

fn assert_admin(deps: &DepsMut, info: &MessageInfo) -> Result<(), ContractError> {
    if info.sender != CONFIG.load(deps.storage)?.admin {
        return Err(ContractError::Unauthorized { role: "admin" });
    }
    Ok(())
}

pub fn update_config(deps: DepsMut, info: MessageInfo, max_grant_seconds: Option<u64>) -> Res {
    assert_admin(&deps, &info)?;
    let mut c = CONFIG.load(deps.storage)?;
    if let Some(s) = max_grant_seconds {
        c.max_grant_seconds = crate::validate::max_grant_seconds(s)?;
    }
    CONFIG.save(deps.storage, &c)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_CONFIG)
        .add_attribute(ev::attr::ADMIN, c.admin))
}

pub enum Set {
    Curators,
    Answerers,
}

pub fn update_set(
    deps: DepsMut,
    info: MessageInfo,
    set: Set,
    add: Vec<String>,
    remove: Vec<String>,
) -> Res {
    assert_admin(&deps, &info)?;
    let (map, action) = match set {
        Set::Curators => (CURATORS, ev::UPDATE_CURATORS),
        Set::Answerers => (ANSWERERS, ev::UPDATE_ANSWERERS),
    };
    for a in &add {
        map.save(deps.storage, &deps.api.addr_validate(a)?, &Empty {})?;
    }
    for a in &remove {
        map.remove(deps.storage, &deps.api.addr_validate(a)?);
    }
    Ok(Response::new().add_attribute(ev::ACTION, action))
}

pub fn update_cw20(deps: DepsMut, info: MessageInfo, add: Vec<String>, remove: Vec<String>) -> Res {
    assert_admin(&deps, &info)?;
    update_cw20_allowlist(deps.storage, deps.api, &add, &remove)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CW20_ALLOWLIST))
}
