//! Execute handlers, one module per product.

pub mod admin;
pub mod channel;
pub mod escrow;
pub mod job;

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cw20::Cw20ReceiveMsg;

use crate::error::ContractError;
use crate::msg::ReceiveMsg;
use crate::state::{AssetInfo, CW20_ALLOWLIST};

pub type Res = Result<Response, ContractError>;

/// cw20 deposits: only from allowlisted tokens, on behalf of the cw20 sender.
pub fn receive_cw20(deps: DepsMut, env: Env, info: MessageInfo, wrapper: Cw20ReceiveMsg) -> Res {
    if !CW20_ALLOWLIST.has(deps.storage, &info.sender) {
        return Err(ContractError::Cw20NotAccepted {
            contract: info.sender.to_string(),
        });
    }
    let sender = deps.api.addr_validate(&wrapper.sender)?;
    let funds = (AssetInfo::Cw20(info.sender), wrapper.amount);
    match cosmwasm_std::from_json(&wrapper.msg)? {
        ReceiveMsg::CreateEscrow(m) => escrow::create(deps, env, sender, funds, m),
        ReceiveMsg::OpenChannel(m) => channel::open(deps, sender, funds, m),
        ReceiveMsg::TopUpChannel { channel_id } => channel::top_up(deps, sender, funds, channel_id),
        ReceiveMsg::CreateJob(m) => job::create(deps, env, sender, funds, m),
    }
}
