//! Execute handlers, one module per product.

pub mod admin;
pub mod channel;
pub mod escrow;
pub mod job;

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cw20::Cw20ReceiveMsg;

use bithive_cw_common::funds::allowlisted_cw20;

use crate::error::ContractError;
use crate::msg::ReceiveMsg;

pub type Res = Result<Response, ContractError>;

/// cw20 deposits: only from allowlisted tokens, on behalf of the cw20 sender.
pub fn receive_cw20(deps: DepsMut, env: Env, info: MessageInfo, wrapper: Cw20ReceiveMsg) -> Res {
    let (sender, funds) = allowlisted_cw20(deps.storage, deps.api, &info, &wrapper)?;
    match cosmwasm_std::from_json(&wrapper.msg)? {
        ReceiveMsg::CreateEscrow(m) => escrow::create(deps, env, sender, funds, m),
        ReceiveMsg::OpenChannel(m) => channel::open(deps, sender, funds, m),
        ReceiveMsg::TopUpChannel { channel_id } => channel::top_up(deps, sender, funds, channel_id),
        ReceiveMsg::CreateJob(m) => job::create(deps, env, sender, funds, m),
    }
}
