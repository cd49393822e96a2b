use bithive_interface::attestation::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, StdAck, StdResult,
};

use crate::error::{ContractError, ContractResult};
use crate::execute::{self, validate_config};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};

bithive_cw_common::contract_version!();
/// The cw2 name before the crate was renamed: deployments made with it migrate to this code.
pub const FORMER_CONTRACT_NAMES: &[&str] = &["crates.io:bithive-attestation-contract"];
/// Reply id of the self-call that processes a received packet.
pub const REPLY_RECEIVE: u64 = 1;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let api = deps.api;
    let opt = |s: Option<String>| s.map(|s| api.addr_validate(&s)).transpose();
    let mut quorum_kinds = msg.quorum_kinds;
    quorum_kinds.sort();
    quorum_kinds.dedup();
    let config = Config {
        governance: api.addr_validate(&msg.governance)?,
        staking: api.addr_validate(&msg.staking)?,
        escrow: opt(msg.escrow)?,
        rewards: opt(msg.rewards)?,
        asset_nft: opt(msg.asset_nft)?,
        model_registry: opt(msg.model_registry)?,
        quorum_threshold: msg.quorum_threshold,
        quorum_kinds,
        max_age_seconds: msg.max_age_seconds,
        max_future_seconds: msg.max_future_seconds,
        ibc_timeout_seconds: msg.ibc_timeout_seconds,
        peers: msg.peers,
    };
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::INSTANTIATE))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Submit {
            attestation,
            signature,
            payload,
        } => execute::submit(deps, env, attestation, signature, payload),
        ExecuteMsg::SubmitQuorum {
            attestation,
            proof,
            payload,
        } => execute::submit_quorum(deps, env, attestation, proof, payload),
        ExecuteMsg::RegisterBlsKey {
            public_key,
            proof_of_possession,
        } => execute::register_bls_key(deps, info, public_key, proof_of_possession),
        ExecuteMsg::UpdatePeers { add, remove } => execute::update_peers(deps, info, add, remove),
        ExecuteMsg::SetRoute {
            chain_id,
            channel_id,
        } => execute::set_route(deps, env, info, chain_id, channel_id),
        ExecuteMsg::RetryPacket { id } => execute::retry_packet(deps, env, id),
        ExecuteMsg::ProcessPacket { channel_id, packet } => {
            execute::process_packet(deps, env, info, channel_id, packet)
        }
        ExecuteMsg::UpdateConfig {
            escrow,
            rewards,
            asset_nft,
            model_registry,
            quorum_threshold,
            quorum_kinds,
            max_age_seconds,
            max_future_seconds,
            ibc_timeout_seconds,
        } => execute::update_config(
            deps,
            info,
            escrow,
            rewards,
            asset_nft,
            model_registry,
            quorum_threshold,
            quorum_kinds,
            max_age_seconds,
            max_future_seconds,
            ibc_timeout_seconds,
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

/// Only the packet-processing self-call replies (on error): its state changes were reverted by
/// the host; the reply turns the error into the acknowledgement.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, msg: Reply) -> ContractResult {
    if msg.id != REPLY_RECEIVE {
        return Err(ContractError::UnknownReply(msg.id));
    }
    match msg.result.into_result() {
        Ok(_) => Ok(Response::new()),
        Err(error) => Ok(Response::new()
            .add_attribute(ev::ACTION, ev::RECEIVE_REFUSED)
            .add_attribute(ev::attr::ERROR, error.clone())
            .set_data(StdAck::error(error).to_binary())),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.governance,
        )?),
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Attestation {
            job_id,
            kind,
            contract,
            chain_id,
        } => to_json_binary(&query::attestation(
            deps, &env, job_id, kind, contract, chain_id,
        )?),
        QueryMsg::BySigner {
            signer,
            start_after,
            limit,
        } => to_json_binary(&query::by_signer(deps, signer, start_after, limit)?),
        QueryMsg::NonceUsed { signer, nonce } => {
            to_json_binary(&query::nonce_used(deps, signer, nonce))
        }
        QueryMsg::BlsKey { node } => to_json_binary(&query::bls_key(deps, node)?),
        QueryMsg::Route { chain_id } => to_json_binary(&query::route(deps, chain_id)?),
        QueryMsg::Channels { start_after, limit } => {
            to_json_binary(&query::channels(deps, start_after, limit)?)
        }
        QueryMsg::PendingPackets { start_after, limit } => {
            to_json_binary(&query::pending(deps, start_after, limit)?)
        }
        QueryMsg::Packet { id } => to_json_binary(&query::packet(deps, id)?),
        QueryMsg::ValuationRound { token_id } => {
            let c = CONFIG.load(deps.storage)?.asset_nft;
            to_json_binary(&query::round(deps, c, &token_id)?)
        }
        QueryMsg::EvaluationRound { model_id } => {
            let c = CONFIG.load(deps.storage)?.model_registry;
            to_json_binary(&query::round(deps, c, &model_id.to_string())?)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult {
    let from = bithive_cw_common::ensure_upgrade_renamed(
        deps.storage,
        CONTRACT_NAME,
        FORMER_CONTRACT_NAMES,
        CONTRACT_VERSION,
    )?;
    upgrade_state(deps.storage)?;
    Ok(bithive_cw_common::migrate::response_from(
        &from,
        CONTRACT_VERSION,
    ))
}

/// Brings state written by earlier versions to this one: the 0.1 config (`peer_port`) becomes
/// one with no pinned peer, and the reverse route index is built from the routes (governance
/// set them, so they are few).
fn upgrade_state(storage: &mut dyn cosmwasm_std::Storage) -> ContractResult<()> {
    use crate::state::{ConfigV1, ROUTED, ROUTES};
    if CONFIG.load(storage).is_err() {
        let old: ConfigV1 = cw_storage_plus::Item::new("config").load(storage)?;
        CONFIG.save(storage, &old.upgrade())?;
    }
    let routes: Vec<(String, String)> = ROUTES
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .collect::<Result<_, _>>()?;
    for (chain, channel) in routes {
        ROUTED.save(storage, &channel, &chain)?;
    }
    Ok(())
}
