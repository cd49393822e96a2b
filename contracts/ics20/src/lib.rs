//! ICS-20 for BTT and BTK: cw-plus `cw20-ics20` 2.0, unchanged, behind its own entry points (a
//! dependency's `#[no_mangle]` entry points are not exported from a cdylib that does not reference
//! them). The artifact pipeline builds, checks and checksums it like every BitHive contract;
//! `bithive deploy` instantiates it with an allowlist of BTT and BTK only.
//!
//! One deviation: `ibc_channel_close` in cw20-ics20 2.0 is `unimplemented!()` (a wasm abort).
//! Here it is a typed refusal with the reason, so a relayer or a user sees why the close failed:
//! tokens escrowed for a channel can only come back over that channel, so it must stay open.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, Ibc3ChannelOpenResponse, IbcBasicResponse, IbcChannelCloseMsg,
    IbcChannelConnectMsg, IbcChannelOpenMsg, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg, IbcReceiveResponse, MessageInfo, Reply, Response, StdError, StdResult,
};
pub use cw20_ics20::msg::{ExecuteMsg, InitMsg, MigrateMsg, QueryMsg};
pub use cw20_ics20::ContractError;

/// The error `ibc_channel_close` answers with.
pub const CHANNEL_CLOSE_REFUSED: &str =
    "ics20 channels cannot be closed: tokens escrowed for a channel return only over that channel";

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InitMsg,
) -> Result<Response, ContractError> {
    cw20_ics20::contract::instantiate(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw20_ics20::contract::execute(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    cw20_ics20::contract::query(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    cw20_ics20::contract::migrate(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, env: Env, reply: Reply) -> Result<Response, ContractError> {
    cw20_ics20::ibc::reply(deps, env, reply)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    deps: DepsMut,
    env: Env,
    msg: IbcChannelOpenMsg,
) -> Result<Option<Ibc3ChannelOpenResponse>, ContractError> {
    cw20_ics20::ibc::ibc_channel_open(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    deps: DepsMut,
    env: Env,
    msg: IbcChannelConnectMsg,
) -> Result<IbcBasicResponse, ContractError> {
    cw20_ics20::ibc::ibc_channel_connect(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    _deps: DepsMut,
    _env: Env,
    _msg: IbcChannelCloseMsg,
) -> StdResult<IbcBasicResponse> {
    Err(StdError::generic_err(CHANNEL_CLOSE_REFUSED))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, cw20_ics20::ContractError> {
    // cw20-ics20 turns every error into an error acknowledgement; its error type is `Never`.
    match cw20_ics20::ibc::ibc_packet_receive(deps, env, msg) {
        Ok(res) => Ok(res),
        Err(never) => match never {},
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    cw20_ics20::ibc::ibc_packet_ack(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    cw20_ics20::ibc::ibc_packet_timeout(deps, env, msg)
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::{mock_dependencies, mock_env, mock_ibc_channel_close_init};
    use cosmwasm_std::IbcOrder;

    #[test]
    fn closing_a_channel_is_refused_with_the_reason() {
        // cw20-ics20 2.0 aborts here (`unimplemented!()`); a relayer or a user must see why.
        let mut deps = mock_dependencies();
        let msg = mock_ibc_channel_close_init("channel-0", IbcOrder::Unordered, "ics20-1");
        let err = super::ibc_channel_close(deps.as_mut(), mock_env(), msg).unwrap_err();
        assert!(
            err.to_string().contains(super::CHANNEL_CLOSE_REFUSED),
            "{err}"
        );
    }
}
