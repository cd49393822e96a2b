//! Entry points (the IBC ones are in `ibc.rs`).

use bithive_interface::ics721::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response,
    StdResult,
};

use crate::error::{ContractError, ContractResult};
use crate::execute::{self, validate_config};
use crate::msg::{Config, ExecuteMsg, Held, InstantiateMsg, MigrateMsg, QueryMsg, VoucherClass};
use crate::query;
use crate::state::{CONFIG, HELD, VOUCHER_CLASSES, VOUCHER_COLLECTIONS};

bithive_cw_common::contract_version!();

/// The self-call carrying out a received packet (reply on error: the error acknowledgement).
pub const REPLY_RECEIVE: u64 = 1;
/// A voucher collection instantiated by `prepare_class` (reply on success: record it).
pub const REPLY_PREPARE: u64 = 2;
/// A refund its collection refused (reply on error: hold the token for its sender).
pub const REPLY_REFUND: u64 = 3;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let config = Config {
        governance: deps.api.addr_validate(&msg.governance)?,
        asset_nft_code_id: msg.asset_nft_code_id,
        default_timeout_seconds: msg.default_timeout_seconds,
        peers: msg.peers,
    };
    validate_config(deps.as_ref(), &config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::INSTANTIATE))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::ReceiveNft(hook) => execute::send(deps, env, info, hook),
        ExecuteMsg::UpdatePeers { add, remove } => execute::update_peers(deps, info, add, remove),
        ExecuteMsg::PrepareClass {
            channel_id,
            class_id,
            name,
            symbol,
        } => execute::prepare_class(deps, env, info, channel_id, class_id, name, symbol),
        ExecuteMsg::ReturnHeld {
            collection,
            token_id,
            recipient,
        } => execute::return_held(deps, info, collection, token_id, recipient),
        ExecuteMsg::ProcessPacket {
            channel_id,
            counterparty_port,
            counterparty_channel,
            packet,
        } => execute::process_packet(
            deps,
            env,
            info,
            channel_id,
            (counterparty_port, counterparty_channel),
            packet,
        ),
        // Two steps (ADR 008): the governance proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.governance),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> ContractResult {
    match msg.id {
        // The packet's work was reverted by the host; the reply makes its error the ack.
        REPLY_RECEIVE => match msg.result.into_result() {
            Ok(_) => Ok(Response::new()),
            Err(error) => Ok(Response::new()
                .add_attribute(ev::ACTION, ev::RECEIVE_REFUSED)
                .add_attribute(ev::attr::ERROR, error.clone())
                .set_data(crate::packet::ack_error(error))),
        },
        REPLY_PREPARE => {
            let (channel_id, class_id, local): (String, String, String) = from_json(&msg.payload)?;
            let collection = instantiated_address(msg)?;
            let collection = deps.api.addr_validate(&collection)?;
            VOUCHER_COLLECTIONS.save(deps.storage, &collection, &local)?;
            VOUCHER_CLASSES.save(
                deps.storage,
                &local,
                &VoucherClass {
                    collection: collection.clone(),
                    channel_id,
                    class_id,
                    local_class_id: local.clone(),
                },
            )?;
            Ok(Response::new()
                .add_attribute(ev::attr::COLLECTION, collection)
                .add_attribute(ev::attr::CLASS_ID, local))
        }
        REPLY_REFUND => {
            let (collection, token_id, sender): (String, String, String) = from_json(&msg.payload)?;
            let error = msg.result.into_result().err().unwrap_or_default();
            let collection = Addr::unchecked(collection);
            HELD.save(
                deps.storage,
                (&collection, &token_id),
                &Held {
                    owner: Addr::unchecked(&sender),
                },
            )?;
            Ok(Response::new()
                .add_attribute(ev::ACTION, ev::HOLD)
                .add_attribute(ev::attr::COLLECTION, collection)
                .add_attribute(ev::attr::TOKEN_IDS, token_id)
                .add_attribute(ev::attr::SENDER, sender)
                .add_attribute(ev::attr::ERROR, error))
        }
        id => Err(ContractError::UnknownReply(id)),
    }
}

/// The address in an instantiate submessage's response (CosmWasm 2's `msg_responses`, or the
/// `data` older hosts fill).
fn instantiated_address(msg: Reply) -> Result<String, ContractError> {
    let res = msg
        .result
        .into_result()
        .map_err(cosmwasm_std::StdError::generic_err)?;
    #[allow(deprecated)]
    let data = res
        .msg_responses
        .first()
        .map(|r| r.value.clone())
        .or(res.data)
        .ok_or_else(|| cosmwasm_std::StdError::generic_err("instantiate returned no data"))?;
    Ok(cw_utils::parse_instantiate_response_data(&data)?.contract_address)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.governance,
        )?),
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Channels { start_after, limit } => {
            to_json_binary(&query::channels(deps, start_after, limit)?)
        }
        QueryMsg::VoucherClass {
            channel_id,
            class_id,
        } => to_json_binary(&query::voucher_class(deps, &env, &channel_id, &class_id)?),
        QueryMsg::VoucherClasses { start_after, limit } => {
            to_json_binary(&query::voucher_classes(deps, start_after, limit)?)
        }
        QueryMsg::Outgoing {
            collection,
            token_id,
        } => to_json_binary(&query::outgoing(deps, collection, token_id)?),
        QueryMsg::Held {
            collection,
            token_id,
        } => to_json_binary(&query::held(deps, collection, token_id)?),
    }
}

bithive_cw_common::migrate_entry_point!(MigrateMsg, ContractError);
