//! Records as cw721 0.22 tokens. Ownership lives in cw721's own storage and transfer, send and
//! burn run cw721's own functions, but only after an explicit owner check: cw721 would also let
//! an approved spender or operator move a token, and a person's record must move only by their
//! own transaction (approvals are refused at the entry point as well). Every transfer and burn
//! bumps the record's epoch, voiding its grants and dataset consents in one write.

use bithive_interface::data_vault::events as ev;
use bithive_interface::data_vault::{MintResponse, RecordMsg};
use cosmwasm_std::{to_json_binary, Binary, DepsMut, Empty, Env, MessageInfo, Response, Storage};
use cw721::execute as cw721_exec;
use cw721::state::{Cw721Config, NftInfo};

use super::Res;
use crate::error::ContractError;
use crate::state::{epoch, next, Record, EPOCHS, RECORDS, TOKEN_SEQ};
use crate::validate;

type Nft = NftInfo<Option<Empty>>;

fn store() -> Cw721Config<'static, Option<Empty>> {
    Cw721Config::default()
}

/// The record's cw721 token, if the sender owns it.
pub fn owned(
    storage: &dyn Storage,
    info: &MessageInfo,
    token_id: &str,
) -> Result<Nft, ContractError> {
    let token = store()
        .nft_info
        .may_load(storage, token_id)?
        .ok_or_else(|| ContractError::RecordNotFound {
            token_id: token_id.to_string(),
        })?;
    if token.owner != info.sender {
        return Err(ContractError::Unauthorized {
            role: "record owner",
        });
    }
    Ok(token)
}

fn bump_epoch(storage: &mut dyn Storage, token_id: &str) -> Result<u64, ContractError> {
    let e = epoch(storage, token_id)?
        .checked_add(1)
        .ok_or(cosmwasm_std::OverflowError::new(
            cosmwasm_std::OverflowOperation::Add,
        ))?;
    EPOCHS.save(storage, token_id, &e)?;
    Ok(e)
}

pub fn mint(deps: DepsMut, env: Env, info: MessageInfo, msg: RecordMsg) -> Res {
    validate::record(&msg)?;
    let token_id = next(deps.storage, &TOKEN_SEQ)?.to_string();
    let token: Nft = NftInfo {
        owner: info.sender.clone(),
        approvals: vec![],
        token_uri: None,
        extension: None,
    };
    let s = store();
    s.nft_info.save(deps.storage, &token_id, &token)?;
    s.increment_tokens(deps.storage)?;
    let record = Record {
        content_id: msg.content_id,
        record_type: msg.record_type,
        size: msg.size,
        ciphertext_sha256: msg.ciphertext_sha256,
        minted_at: env.block.time,
    };
    RECORDS.save(deps.storage, &token_id, &record)?;
    Ok(Response::new()
        .set_data(to_json_binary(&MintResponse {
            token_id: token_id.clone(),
        })?)
        .add_attribute(ev::ACTION, ev::MINT)
        .add_attribute(ev::attr::OWNER, info.sender)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::CONTENT_ID, record.content_id)
        .add_attribute(ev::attr::RECORD_TYPE, record.record_type.as_str()))
}

pub fn transfer(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    recipient: String,
    token_id: String,
) -> Res {
    owned(deps.storage, &info, &token_id)?;
    cw721_exec::transfer_nft::<Option<Empty>>(deps.branch(), &env, &info, &recipient, &token_id)?;
    let e = bump_epoch(deps.storage, &token_id)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::TRANSFER_NFT)
        .add_attribute(ev::attr::SENDER, info.sender)
        .add_attribute(ev::attr::RECIPIENT, recipient)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::EPOCH, e.to_string()))
}

pub fn send(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    contract: String,
    token_id: String,
    msg: Binary,
) -> Res {
    owned(deps.storage, &info, &token_id)?;
    let res = cw721_exec::send_nft::<Option<Empty>, Empty>(
        deps.branch(),
        &env,
        &info,
        contract,
        token_id.clone(),
        msg,
    )?;
    let e = bump_epoch(deps.storage, &token_id)?;
    Ok(res.add_attribute(ev::attr::EPOCH, e.to_string()))
}

pub fn burn(mut deps: DepsMut, env: Env, info: MessageInfo, token_id: String) -> Res {
    owned(deps.storage, &info, &token_id)?;
    let res = cw721_exec::burn_nft::<Empty>(deps.branch(), &env, &info, token_id.clone())?;
    RECORDS.remove(deps.storage, &token_id);
    let e = bump_epoch(deps.storage, &token_id)?;
    Ok(res.add_attribute(ev::attr::EPOCH, e.to_string()))
}
