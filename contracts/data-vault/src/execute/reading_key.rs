//! Reading keys (ADR 017): each account publishes its own, so a record's owner seals a share to
//! the key the grantee's account set, not to one relayed by whoever stands between them.

use bithive_interface::data_vault::events as ev;
use cosmwasm_std::{DepsMut, Env, HexBinary, MessageInfo, Response};

use super::Res;
use crate::error::ContractError;
use crate::state::{ReadingKey, READING_KEYS};
use crate::validate;

/// Any account, for itself only: the key is stored under the sender.
pub fn set(deps: DepsMut, env: Env, info: MessageInfo, public_key: HexBinary) -> Res {
    validate::reading_key(&public_key)?;
    READING_KEYS.save(
        deps.storage,
        &info.sender,
        &ReadingKey {
            public_key: public_key.clone(),
            set_at: env.block.time,
        },
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_READING_KEY)
        .add_attribute(ev::attr::ACCOUNT, info.sender)
        .add_attribute(ev::attr::PUBLIC_KEY, public_key.to_hex()))
}

/// The sender's own key only; refused when it has none (nothing to withdraw).
pub fn remove(deps: DepsMut, info: MessageInfo) -> Res {
    if !READING_KEYS.has(deps.storage, &info.sender) {
        return Err(ContractError::NoReadingKey {
            account: info.sender.to_string(),
        });
    }
    READING_KEYS.remove(deps.storage, &info.sender);
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REMOVE_READING_KEY)
        .add_attribute(ev::attr::ACCOUNT, info.sender))
}
