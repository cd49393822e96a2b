//! Test-only cw20 receiver used by the VM tests of token send flows: records each
//! `Receive(Cw20ReceiveMsg)` with the token that sent it, and refuses the hook message `"fail"`
//! (to prove that a failing receiver rolls the whole send back).

use cosmwasm_schema::cw_serde;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError, StdResult,
};
use cw20::Cw20ReceiveMsg;
use cw_storage_plus::Item;

#[cw_serde]
pub struct Received {
    pub token: String,
    pub sender: String,
    pub amount: cosmwasm_std::Uint128,
    pub msg: Binary,
}

#[cw_serde]
pub enum ExecuteMsg {
    Receive(Cw20ReceiveMsg),
}

#[cw_serde]
pub enum QueryMsg {
    Received {},
}

const RECEIVED: Item<Vec<Received>> = Item::new("received");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    RECEIVED.save(deps.storage, &vec![])?;
    Ok(Response::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, _: Env, info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    let ExecuteMsg::Receive(r) = msg;
    if r.msg.as_slice() == b"\"fail\"" {
        return Err(StdError::generic_err("receiver refused"));
    }
    let mut all = RECEIVED.load(deps.storage)?;
    all.push(Received {
        token: info.sender.into_string(),
        sender: r.sender,
        amount: r.amount,
        msg: r.msg,
    });
    RECEIVED.save(deps.storage, &all)?;
    Ok(Response::new().add_attribute("action", "received"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Received {} => to_json_binary(&RECEIVED.load(deps.storage)?),
    }
}
