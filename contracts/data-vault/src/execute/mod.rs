//! Execute handlers: records (cw721), consent and access log, reading keys, provenance, datasets
//! and queries, admin.

pub mod admin;
pub mod consent;
pub mod dataset;
pub mod nft;
pub mod provenance;
pub mod reading_key;

use bithive_cw_common::funds::allowlisted_cw20;
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cw20::Cw20ReceiveMsg;

use crate::error::ContractError;
use crate::msg::ReceiveMsg;

pub type Res = Result<Response, ContractError>;

/// cw20 payments: only from allowlisted tokens, on behalf of the cw20 sender.
pub fn receive_cw20(deps: DepsMut, env: Env, info: MessageInfo, wrapper: Cw20ReceiveMsg) -> Res {
    let (sender, funds) = allowlisted_cw20(deps.storage, deps.api, &info, &wrapper)?;
    match cosmwasm_std::from_json(&wrapper.msg)? {
        ReceiveMsg::SubmitQuery(m) => dataset::submit_query(deps, env, sender, funds, m),
    }
}
