//! Entry points.

use bithive_cw_common::funds::{one_native, update_cw20_allowlist};
use bithive_interface::data_vault::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response};
use cw721::state::{CollectionInfo, Cw721Config};

use crate::error::{ContractError, ContractResult};
use crate::execute::{admin, consent, dataset, nft, provenance, reading_key, receive_cw20};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, ANSWERERS, CONFIG, CURATORS};

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
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender,
    };
    let config = Config {
        admin: admin.clone(),
        max_grant_seconds: crate::validate::max_grant_seconds(msg.max_grant_seconds)?,
    };
    CONFIG.save(deps.storage, &config)?;
    for a in &msg.curators {
        CURATORS.save(deps.storage, &deps.api.addr_validate(a)?, &Empty {})?;
    }
    for a in &msg.answerers {
        ANSWERERS.save(deps.storage, &deps.api.addr_validate(a)?, &Empty {})?;
    }
    update_cw20_allowlist(deps.storage, deps.api, &msg.cw20_allowlist, &[])?;
    // cw721's collection record, so its queries (and indexers reading it) see the collection.
    Cw721Config::<Option<Empty>>::default()
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
        .add_attribute(ev::attr::ADMIN, admin))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::TransferNft {
            recipient,
            token_id,
        } => nft::transfer(deps, env, info, recipient, token_id),
        ExecuteMsg::SendNft {
            contract,
            token_id,
            msg,
        } => nft::send(deps, env, info, contract, token_id, msg),
        ExecuteMsg::Approve { .. }
        | ExecuteMsg::Revoke { .. }
        | ExecuteMsg::ApproveAll { .. }
        | ExecuteMsg::RevokeAll { .. } => Err(ContractError::ApprovalsDisabled {}),
        ExecuteMsg::Mint { record } => nft::mint(deps, env, info, record),
        ExecuteMsg::Burn { token_id } => nft::burn(deps, env, info, token_id),
        ExecuteMsg::GrantAccess {
            token_id,
            grantee,
            purpose,
            expires_at,
            wrapped_key,
        } => consent::grant(
            deps,
            env,
            info,
            token_id,
            grantee,
            purpose,
            (expires_at, wrapped_key),
        ),
        ExecuteMsg::RevokeAccess {
            token_id,
            grantee,
            purpose,
        } => consent::revoke(deps, env, info, token_id, grantee, purpose),
        ExecuteMsg::SetReadingKey { public_key } => reading_key::set(deps, env, info, public_key),
        ExecuteMsg::RemoveReadingKey {} => reading_key::remove(deps, info),
        ExecuteMsg::LogAccess { token_id, purpose } => {
            consent::log_access(deps, env, info, token_id, purpose)
        }
        ExecuteMsg::CreateDataset(m) => dataset::create(deps, info, m),
        ExecuteMsg::CloseDataset { dataset_id } => dataset::close(deps, info, dataset_id),
        ExecuteMsg::JoinDataset {
            dataset_id,
            token_id,
            expires_at,
            wrapped_key,
        } => dataset::join(
            deps,
            env,
            info,
            dataset_id,
            token_id,
            (expires_at, wrapped_key),
        ),
        ExecuteMsg::LeaveDataset {
            dataset_id,
            token_id,
        } => dataset::leave(deps, env, info, dataset_id, token_id),
        ExecuteMsg::RemoveMember {
            dataset_id,
            token_id,
        } => dataset::remove_member(deps, info, dataset_id, token_id),
        ExecuteMsg::EndorseRecord {
            token_id,
            ciphertext_sha256,
        } => provenance::endorse(deps, env, info, token_id, ciphertext_sha256),
        ExecuteMsg::WithdrawEndorsement { token_id } => provenance::withdraw(deps, info, token_id),
        ExecuteMsg::SubmitQuery(m) => {
            let funds = one_native(&info)?;
            dataset::submit_query(deps, env, info.sender, funds, m)
        }
        ExecuteMsg::Receive(m) => receive_cw20(deps, env, info, m),
        ExecuteMsg::SubmitAnswer { query_id, answer } => {
            dataset::answer(deps, env, info, query_id, answer)
        }
        ExecuteMsg::RefundQuery { query_id } => dataset::refund(deps, env, query_id),
        ExecuteMsg::UpdateConfig { max_grant_seconds } => {
            admin::update_config(deps, info, max_grant_seconds)
        }
        // Two steps (ADR 008): the admin proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.admin),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
        ExecuteMsg::UpdateCurators { add, remove } => {
            admin::update_set(deps, info, admin::Set::Curators, add, remove)
        }
        ExecuteMsg::UpdateAnswerers { add, remove } => {
            admin::update_set(deps, info, admin::Set::Answerers, add, remove)
        }
        ExecuteMsg::UpdateCw20Allowlist { add, remove } => {
            admin::update_cw20(deps, info, add, remove)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    crate::query::query(deps, env, msg)
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
