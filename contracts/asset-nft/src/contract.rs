//! Entry points.

use bithive_interface::asset_nft::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cw721::state::{CollectionInfo, Cw721Config};

use crate::error::{ContractError, ContractResult};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, CONFIG};
use crate::{execute as ex, query, validate};

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if msg.name.is_empty() || msg.name.len() > 64 {
        return Err(ContractError::InvalidField {
            field: "name",
            reason: "1 to 64 bytes",
        });
    }
    if msg.symbol.is_empty() || msg.symbol.len() > 16 {
        return Err(ContractError::InvalidField {
            field: "symbol",
            reason: "1 to 16 bytes",
        });
    }
    validate::valuation_params(&msg.valuation)?;
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender.clone(),
    };
    let config = Config {
        admin: admin.clone(),
        compliance_officer: deps.api.addr_validate(&msg.compliance_officer)?,
        valuation: msg.valuation,
        custodian: msg
            .custodian
            .map(|c| deps.api.addr_validate(&c))
            .transpose()?,
    };
    CONFIG.save(deps.storage, &config)?;
    // cw721's collection record, so its queries (and indexers reading it) see the collection.
    Cw721Config::<Option<cosmwasm_std::Empty>>::default()
        .collection_info
        .save(
            deps.storage,
            &CollectionInfo {
                name: msg.name,
                symbol: msg.symbol,
                updated_at: env.block.time,
            },
        )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::ADMIN, admin)
        .add_attribute(ev::attr::COMPLIANCE_OFFICER, config.compliance_officer))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::TransferNft {
            recipient,
            token_id,
        } => ex::transfer_nft(deps, env, info, recipient, token_id),
        ExecuteMsg::SendNft {
            contract,
            token_id,
            msg,
        } => ex::send_nft(deps, env, info, contract, token_id, msg),
        ExecuteMsg::Approve {
            spender,
            token_id,
            expires,
        } => ex::approve(deps, env, info, spender, token_id, expires),
        ExecuteMsg::Revoke { spender, token_id } => ex::revoke(deps, env, info, spender, token_id),
        ExecuteMsg::ApproveAll { operator, expires } => {
            ex::approve_all(deps, env, info, operator, expires)
        }
        ExecuteMsg::RevokeAll { operator } => ex::revoke_all(deps, env, info, operator),
        ExecuteMsg::Mint {
            token_id,
            owner,
            token_uri,
            extension,
        } => ex::mint(deps, info, token_id, owner, token_uri, extension),
        ExecuteMsg::Burn { token_id } => ex::burn(deps, env, info, token_id),
        // Two steps (ADR 008): the admin proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.admin),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
        ExecuteMsg::UpdateComplianceOfficer { officer } => {
            ex::update_compliance_officer(deps, info, officer)
        }
        ExecuteMsg::UpdateValuationParams { params } => {
            ex::update_valuation_params(deps, info, params)
        }
        ExecuteMsg::AddValuer { valuer } => ex::set_valuer(deps, info, valuer, true),
        ExecuteMsg::RemoveValuer { valuer } => ex::set_valuer(deps, info, valuer, false),
        ExecuteMsg::SetDeviceKey {
            token_id,
            device_pubkey,
        } => ex::set_device_key(deps, info, token_id, device_pubkey),
        ExecuteMsg::SetCertifications {
            token_id,
            certifications,
        } => ex::set_certifications(deps, info, token_id, certifications),
        ExecuteMsg::ApproveHolder {
            jurisdiction,
            holder,
        } => ex::set_holder(deps, info, jurisdiction, holder, true),
        ExecuteMsg::RevokeHolder {
            jurisdiction,
            holder,
        } => ex::set_holder(deps, info, jurisdiction, holder, false),
        ExecuteMsg::UpdateTwin {
            token_id,
            state_hash,
            nonce,
            signature,
        } => ex::update_twin(deps, env, token_id, state_hash, nonce, signature),
        ExecuteMsg::SubmitValuation { token_id, value } => {
            ex::submit_valuation(deps, env, info, token_id, value)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    query::query(deps, env, msg)
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
