//! Provenance: an issuer (the hospital or lab that produced a record) endorses the record's
//! ciphertext, and datasets with an `Issuers` admission rule admit only endorsed records. Anyone
//! may endorse anything; an endorsement means something only to a dataset that names its author.

use bithive_interface::data_vault::events as ev;
use cosmwasm_std::{DepsMut, Env, HexBinary, MessageInfo, Response};

use super::Res;
use crate::error::ContractError;
use crate::state::{ENDORSEMENTS, RECORDS};

pub fn endorse(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    ciphertext_sha256: HexBinary,
) -> Res {
    let record = RECORDS.may_load(deps.storage, &token_id)?.ok_or_else(|| {
        ContractError::RecordNotFound {
            token_id: token_id.clone(),
        }
    })?;
    // The endorser names the content it vouches for: an endorsement given for one ciphertext
    // can never be read as vouching for another.
    if record.ciphertext_sha256 != ciphertext_sha256 {
        return Err(ContractError::EndorsementMismatch { token_id });
    }
    ENDORSEMENTS.save(
        deps.storage,
        (token_id.as_str(), &info.sender),
        &env.block.time,
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::ENDORSE_RECORD)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::ENDORSER, info.sender))
}

pub fn withdraw(deps: DepsMut, info: MessageInfo, token_id: String) -> Res {
    let key = (token_id.as_str(), &info.sender);
    if !ENDORSEMENTS.has(deps.storage, key) {
        return Err(ContractError::NoEndorsement {
            token_id,
            endorser: info.sender.into_string(),
        });
    }
    ENDORSEMENTS.remove(deps.storage, key);
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::WITHDRAW_ENDORSEMENT)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::ENDORSER, info.sender))
}
