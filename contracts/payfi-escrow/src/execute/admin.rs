use bithive_interface::payfi_escrow::events as ev;
use bithive_interface::payfi_escrow::MAX_JOB_DISPUTE_SECONDS;
use cosmwasm_std::{DepsMut, Empty, MessageInfo, Response};

use super::Res;
use crate::error::ContractError;
use crate::funds::MAX_FEE_BPS;
use crate::state::{CONFIG, REPORTERS};
use bithive_cw_common::funds::update_cw20_allowlist;

fn assert_admin(deps: &DepsMut, info: &MessageInfo) -> Result<(), ContractError> {
    if CONFIG.load(deps.storage)?.admin != info.sender {
        return Err(ContractError::Unauthorized { role: "admin" });
    }
    Ok(())
}

pub fn check_fee(bps: u16) -> Result<(), ContractError> {
    if bps > MAX_FEE_BPS {
        return Err(ContractError::FeeTooHigh {
            bps,
            max: MAX_FEE_BPS,
        });
    }
    Ok(())
}

pub fn check_dispute_window(seconds: u64) -> Result<u64, ContractError> {
    if seconds > MAX_JOB_DISPUTE_SECONDS {
        return Err(ContractError::Invalid {
            field: "job_dispute_seconds",
            reason: "at most 30 days",
        });
    }
    Ok(seconds)
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    fee_bps: Option<u16>,
    fee_collector: Option<String>,
    (staking, job_dispute_seconds, model_registry, rewards): (
        Option<String>,
        Option<u64>,
        Option<String>,
        Option<String>,
    ),
) -> Res {
    assert_admin(&deps, &info)?;
    let mut c = CONFIG.load(deps.storage)?;
    if let Some(b) = fee_bps {
        check_fee(b)?;
        c.fee_bps = b;
    }
    if let Some(f) = fee_collector {
        c.fee_collector = deps.api.addr_validate(&f)?;
    }
    if let Some(s) = staking {
        c.staking = Some(deps.api.addr_validate(&s)?);
    }
    // Jobs already reported keep the window they were reported with.
    if let Some(w) = job_dispute_seconds {
        c.job_dispute_seconds = check_dispute_window(w)?;
    }
    // Jobs already created keep the model snapshot they were created with.
    if let Some(r) = model_registry {
        c.model_registry = Some(deps.api.addr_validate(&r)?);
    }
    // Jobs paid from now on tell it their served units.
    if let Some(r) = rewards {
        c.rewards = Some(deps.api.addr_validate(&r)?);
    }
    CONFIG.save(deps.storage, &c)?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_CONFIG)
        .add_attribute(ev::attr::FEE_BPS, c.fee_bps.to_string());
    if let Some(r) = &c.model_registry {
        res = res.add_attribute(ev::attr::MODEL_REGISTRY, r);
    }
    if let Some(r) = &c.rewards {
        res = res.add_attribute(ev::attr::REWARDS, r);
    }
    Ok(res)
}

pub fn update_cw20(deps: DepsMut, info: MessageInfo, add: Vec<String>, remove: Vec<String>) -> Res {
    assert_admin(&deps, &info)?;
    update_cw20_allowlist(deps.storage, deps.api, &add, &remove)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_CW20_ALLOWLIST))
}

pub fn update_reporters(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Res {
    assert_admin(&deps, &info)?;
    for a in add {
        REPORTERS.save(deps.storage, &deps.api.addr_validate(&a)?, &Empty {})?;
    }
    for a in remove {
        REPORTERS.remove(deps.storage, &deps.api.addr_validate(&a)?);
    }
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_REPORTERS))
}
