//! Execute handlers: sending a token (cw721's receive hook), governance, preparing a voucher
//! class, returning a held token, and the self-call that carries out a received packet.

use bithive_interface::asset_nft::{self as nft, AssetMetadataMsg, ValuationParams};
use bithive_interface::ics721::events as ev;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, CosmosMsg, Deps, DepsMut, Env, IbcMsg, IbcTimeout,
    MessageInfo, Response, StdResult, SubMsg, WasmMsg,
};
use cw721::msg::{CollectionInfoAndExtensionResponse, OwnerOfResponse};
use cw721::receiver::Cw721ReceiveMsg;

use crate::contract::REPLY_PREPARE;
use crate::error::{ContractError, ContractResult};
use crate::msg::{
    Config, IbcOutgoingMsg, NonFungibleTokenPacketData, Outgoing, Peer, PeerEndpoint,
    MAX_CLASS_ID_LEN, MAX_PEERS,
};
use crate::packet;
use crate::plan::{self, Plan};
use crate::state::{pinned_peer, CONFIG, HELD, OUTGOING, VOUCHER_CLASSES, VOUCHER_COLLECTIONS};

/// This contract's IBC port (wasmd's rule for a contract's port).
pub fn own_port(env: &Env) -> String {
    format!("wasm.{}", env.contract.address)
}

fn governance(deps: Deps, info: &MessageInfo) -> Result<Config, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.governance {
        return Err(ContractError::Unauthorized { role: "governance" });
    }
    Ok(config)
}

pub fn validate_config(deps: Deps, config: &Config) -> Result<(), ContractError> {
    if config.default_timeout_seconds == 0 {
        return Err(ContractError::InvalidField {
            field: "default_timeout_seconds",
            reason: "must be > 0: a packet without a timeout could hold a token forever".into(),
        });
    }
    if config.peers.len() > MAX_PEERS {
        return Err(ContractError::InvalidField {
            field: "peers",
            reason: format!("at most {MAX_PEERS}"),
        });
    }
    for p in &config.peers {
        if p.connection_id.is_empty() || p.port_id.is_empty() {
            return Err(ContractError::InvalidField {
                field: "peers",
                reason: "connection and port must not be empty".into(),
            });
        }
        deps.api.addr_validate(&p.compliance_officer)?;
    }
    Ok(())
}

fn wasm_execute(contract: &Addr, msg: &impl serde::Serialize) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

pub fn transfer_msg(collection: &Addr, token_id: &str, recipient: &Addr) -> StdResult<CosmosMsg> {
    wasm_execute(
        collection,
        &nft::ExecuteMsg::TransferNft {
            recipient: recipient.to_string(),
            token_id: token_id.into(),
        },
    )
}

/// cw721's receive hook: `info.sender` is the collection, which has already made this contract
/// the token's owner. Sends the packet and records the token as out.
pub fn send(deps: DepsMut, env: Env, info: MessageInfo, hook: Cw721ReceiveMsg) -> ContractResult {
    let collection = info.sender;
    let out: IbcOutgoingMsg = from_json(&hook.msg).map_err(|e| ContractError::InvalidField {
        field: "msg",
        reason: format!("not an IbcOutgoingMsg: {e}"),
    })?;
    let config = CONFIG.load(deps.storage)?;
    let channel = plan::open_channel(deps.as_ref(), &out.channel_id)?;
    if pinned_peer(&config, &channel.connection_id, &channel.counterparty_port).is_none() {
        return Err(ContractError::BadCounterparty(format!(
            "{}/{}",
            channel.connection_id, channel.counterparty_port
        )));
    }
    if out.receiver.is_empty() || out.receiver.len() > packet::MAX_ADDRESS_LEN {
        return Err(ContractError::InvalidField {
            field: "receiver",
            reason: "1 to 128 bytes".into(),
        });
    }
    if out
        .memo
        .as_ref()
        .is_some_and(|m| m.len() > packet::MAX_MEMO_LEN)
    {
        return Err(ContractError::InvalidField {
            field: "memo",
            reason: "at most 1024 bytes".into(),
        });
    }
    let q = &deps.querier;
    // Only the collection itself can have made this contract the owner: a contract calling the
    // hook on behalf of a token it does not hold is refused here.
    let owner: OwnerOfResponse = q
        .query_wasm_smart(
            &collection,
            &nft::QueryMsg::OwnerOf {
                token_id: hook.token_id.clone(),
                include_expired: None,
            },
        )
        .map_err(|e| ContractError::NotAnAssetCollection {
            collection: collection.to_string(),
            reason: e.to_string(),
        })?;
    if owner.owner != env.contract.address.as_str()
        || OUTGOING.has(deps.storage, (&collection, &hook.token_id))
        || HELD.has(deps.storage, (&collection, &hook.token_id))
    {
        return Err(ContractError::NotEscrowed {
            collection: collection.to_string(),
            token_id: hook.token_id,
        });
    }
    let asset = plan::asset_of(q, &collection, &hook.token_id)?;
    let info: CollectionInfoAndExtensionResponse<Option<cosmwasm_std::Empty>> =
        q.query_wasm_smart(&collection, &nft::QueryMsg::ContractInfo {})?;
    // A voucher leaves under its class id on this chain; a home token under its collection.
    let class_id = VOUCHER_COLLECTIONS
        .may_load(deps.storage, &collection)?
        .unwrap_or_else(|| collection.to_string());
    let a = asset.extension;
    let data = NonFungibleTokenPacketData {
        class_id: class_id.clone(),
        class_uri: None,
        class_data: Some(packet::encode_class_data(&info.name, &info.symbol)?),
        token_ids: vec![hook.token_id.clone()],
        token_uris: asset.token_uri.map(|u| vec![u]),
        token_data: Some(vec![packet::encode_token_data(AssetMetadataMsg {
            class: a.class,
            description_uri: a.description_uri,
            content_hash: a.content_hash,
            jurisdictions: a.jurisdictions,
            certifications: a.certifications,
            device_pubkey: a.twin.device_pubkey,
        })?]),
        sender: hook.sender.clone(),
        receiver: out.receiver.clone(),
        memo: out.memo,
    };
    let sender = deps.api.addr_validate(&hook.sender)?;
    OUTGOING.save(
        deps.storage,
        (&collection, &hook.token_id),
        &Outgoing {
            channel_id: out.channel_id.clone(),
            sender,
        },
    )?;
    let timeout = out.timeout.unwrap_or_else(|| {
        IbcTimeout::with_timestamp(env.block.time.plus_seconds(config.default_timeout_seconds))
    });
    Ok(Response::new()
        .add_message(IbcMsg::SendPacket {
            channel_id: out.channel_id.clone(),
            data: to_json_binary(&data)?,
            timeout,
        })
        .add_attribute(ev::ACTION, ev::SEND)
        .add_attribute(ev::attr::CHANNEL_ID, out.channel_id)
        .add_attribute(ev::attr::CLASS_ID, class_id)
        .add_attribute(ev::attr::COLLECTION, collection)
        .add_attribute(ev::attr::TOKEN_IDS, hook.token_id)
        .add_attribute(ev::attr::SENDER, hook.sender)
        .add_attribute(ev::attr::RECEIVER, out.receiver))
}

pub fn update_peers(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<Peer>,
    remove: Vec<PeerEndpoint>,
) -> ContractResult {
    let mut config = governance(deps.as_ref(), &info)?;
    let same =
        |p: &Peer, e: &PeerEndpoint| p.connection_id == e.connection_id && p.port_id == e.port_id;
    config.peers.retain(|p| !remove.iter().any(|e| same(p, e)));
    for peer in add {
        let endpoint = PeerEndpoint {
            connection_id: peer.connection_id.clone(),
            port_id: peer.port_id.clone(),
        };
        config.peers.retain(|p| !same(p, &endpoint));
        config.peers.push(peer);
    }
    validate_config(deps.as_ref(), &config)?;
    CONFIG.save(deps.storage, &config)?;
    let peers: Vec<String> = config
        .peers
        .iter()
        .map(|p| format!("{}/{}", p.connection_id, p.port_id))
        .collect();
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_PEERS)
        .add_attribute(ev::attr::PEERS, peers.join(",")))
}

/// Instantiates the voucher collection of (`channel_id`, `class_id`); the reply records it.
pub fn prepare_class(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    channel_id: String,
    class_id: String,
    name: String,
    symbol: String,
) -> ContractResult {
    let config = CONFIG.load(deps.storage)?;
    let channel = plan::open_channel(deps.as_ref(), &channel_id)?;
    let Some(peer) = pinned_peer(&config, &channel.connection_id, &channel.counterparty_port)
    else {
        return Err(ContractError::PeerUnpinned(format!(
            "{}/{}",
            channel.connection_id, channel.counterparty_port
        )));
    };
    if info.sender != config.governance && info.sender.as_str() != peer.compliance_officer {
        return Err(ContractError::Unauthorized {
            role: "governance or the peer's compliance officer",
        });
    }
    if class_id.is_empty() || class_id.len() > MAX_CLASS_ID_LEN {
        return Err(ContractError::InvalidField {
            field: "class_id",
            reason: "1 to 512 bytes".into(),
        });
    }
    let local = packet::voucher_class_id(&own_port(&env), &channel_id, &class_id);
    if VOUCHER_CLASSES.has(deps.storage, &local) {
        return Err(ContractError::ClassPrepared(local));
    }
    let instantiate = WasmMsg::Instantiate {
        // Governance may migrate voucher collections like every other contract it runs.
        admin: Some(config.governance.to_string()),
        code_id: config.asset_nft_code_id,
        msg: to_json_binary(&nft::InstantiateMsg {
            name,
            symbol,
            admin: Some(env.contract.address.to_string()),
            compliance_officer: peer.compliance_officer.clone(),
            custodian: Some(env.contract.address.to_string()),
            // Valuations stay on the home chain; a voucher collection has no valuers.
            valuation: ValuationParams {
                unit: "home-chain".into(),
                window: 1,
                freshness_secs: 1,
                quorum: 1,
            },
        })?,
        funds: vec![],
        label: format!("bithive ics721 vouchers {channel_id}"),
    };
    let payload = to_json_binary(&(channel_id.clone(), class_id.clone(), local))?;
    Ok(Response::new()
        .add_submessage(SubMsg::reply_on_success(instantiate, REPLY_PREPARE).with_payload(payload))
        .add_attribute(ev::ACTION, ev::PREPARE_CLASS)
        .add_attribute(ev::attr::CHANNEL_ID, channel_id)
        .add_attribute(ev::attr::CLASS_ID, class_id))
}

pub fn return_held(
    deps: DepsMut,
    info: MessageInfo,
    collection: String,
    token_id: String,
    recipient: String,
) -> ContractResult {
    let collection = deps.api.addr_validate(&collection)?;
    let recipient = deps.api.addr_validate(&recipient)?;
    match HELD.may_load(deps.storage, (&collection, &token_id))? {
        Some(h) if h.owner == info.sender => {}
        _ => {
            return Err(ContractError::NotHeld {
                collection: collection.to_string(),
                token_id,
            })
        }
    }
    HELD.remove(deps.storage, (&collection, &token_id));
    Ok(Response::new()
        .add_message(transfer_msg(&collection, &token_id, &recipient)?)
        .add_attribute(ev::ACTION, ev::RETURN_HELD)
        .add_attribute(ev::attr::COLLECTION, collection)
        .add_attribute(ev::attr::TOKEN_IDS, token_id)
        .add_attribute(ev::attr::RECEIVER, recipient))
}

/// The self-call of `ibc_packet_receive`: plans again and carries the plan out. Any failure,
/// the collection's included, reverts all of it and becomes the error acknowledgement.
pub fn process_packet(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    channel_id: String,
    (src_port, src_channel): (String, String),
    packet: NonFungibleTokenPacketData,
) -> ContractResult {
    if info.sender != env.contract.address {
        return Err(ContractError::Unauthorized {
            role: "the contract itself",
        });
    }
    let port = own_port(&env);
    let plan = plan::plan(
        deps.as_ref(),
        &env,
        (&port, &channel_id),
        (&src_port, &src_channel),
        &packet,
    )?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::RECEIVE)
        .add_attribute(ev::attr::CHANNEL_ID, &channel_id)
        .add_attribute(ev::attr::CLASS_ID, &packet.class_id)
        .add_attribute(ev::attr::TOKEN_IDS, packet.token_ids.join(","))
        .add_attribute(ev::attr::RECEIVER, &packet.receiver);
    match plan {
        Plan::Home {
            collection,
            receiver,
            token_ids,
        } => {
            for id in &token_ids {
                OUTGOING.remove(deps.storage, (&collection, id));
                res = res.add_message(transfer_msg(&collection, id, &receiver)?);
            }
            res = res.add_attribute(ev::attr::COLLECTION, collection);
        }
        Plan::Vouchers {
            class,
            receiver,
            tokens,
        } => {
            let c = &class.collection;
            for t in tokens {
                if t.parked {
                    // Handed out again, with the certifications and device key it came back
                    // with (its home chain may have renewed them).
                    res = res
                        .add_message(wasm_execute(
                            c,
                            &nft::ExecuteMsg::SetCertifications {
                                token_id: t.token_id.clone(),
                                certifications: t.metadata.certifications,
                            },
                        )?)
                        .add_message(wasm_execute(
                            c,
                            &nft::ExecuteMsg::SetDeviceKey {
                                token_id: t.token_id.clone(),
                                device_pubkey: t.metadata.device_pubkey,
                            },
                        )?)
                        .add_message(transfer_msg(c, &t.token_id, &receiver)?);
                } else {
                    res = res.add_message(wasm_execute(
                        c,
                        &nft::ExecuteMsg::Mint {
                            token_id: t.token_id,
                            owner: receiver.to_string(),
                            token_uri: t.token_uri,
                            extension: t.metadata,
                        },
                    )?);
                }
            }
            res = res.add_attribute(ev::attr::COLLECTION, c);
        }
    }
    Ok(res)
}
