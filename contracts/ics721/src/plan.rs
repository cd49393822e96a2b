//! What a received packet does, decided once and checked before anything moves: every token
//! comes home (released from escrow) or every token becomes a voucher (minted, or a parked
//! voucher handed out again). `ibc_packet_receive` plans to refuse early with a readable error
//! acknowledgement; the self-call that does the work plans again on the same state and turns the
//! plan into messages, so the checks and the work cannot drift apart.

use bithive_interface::asset_nft::{
    self as nft, AssetMetadata, AssetMetadataMsg, ComplianceMarker, Jurisdiction,
};
use cosmwasm_std::{Addr, Deps, Env, QuerierWrapper, StdResult};
use cw721::msg::{NftInfoResponse, OwnerOfResponse};

use crate::error::ContractError;
use crate::msg::{NonFungibleTokenPacketData, VoucherClass};
use crate::packet;
use crate::state::{pinned_peer, ChannelInfo, CHANNELS, CONFIG, OUTGOING, VOUCHER_CLASSES};

pub enum Plan {
    /// Tokens of this chain's `collection` come home over the channel they left by.
    Home {
        collection: Addr,
        receiver: Addr,
        token_ids: Vec<String>,
    },
    /// Tokens of another chain's class become vouchers in the prepared collection.
    Vouchers {
        class: VoucherClass,
        receiver: Addr,
        tokens: Vec<VoucherToken>,
    },
}

pub struct VoucherToken {
    pub token_id: String,
    pub token_uri: Option<String>,
    pub metadata: AssetMetadataMsg,
    /// The voucher exists, parked here since it last went home: it is handed out, not minted.
    pub parked: bool,
}

fn owner_of(q: &QuerierWrapper, collection: &Addr, token_id: &str) -> StdResult<Addr> {
    let r: OwnerOfResponse = q.query_wasm_smart(
        collection,
        &nft::QueryMsg::OwnerOf {
            token_id: token_id.into(),
            include_expired: None,
        },
    )?;
    Ok(Addr::unchecked(r.owner))
}

pub fn asset_of(
    q: &QuerierWrapper,
    collection: &Addr,
    token_id: &str,
) -> Result<NftInfoResponse<AssetMetadata>, ContractError> {
    q.query_wasm_smart(
        collection,
        &nft::QueryMsg::NftInfo {
            token_id: token_id.into(),
        },
    )
    .map_err(|e| ContractError::NotAnAssetCollection {
        collection: collection.to_string(),
        reason: e.to_string(),
    })
}

/// The receiver must be approved in every jurisdiction marked `ApprovedHoldersOnly` (what the
/// collection's transfer and mint enforce; checked here to refuse with the reason).
fn check_holder(
    q: &QuerierWrapper,
    collection: &Addr,
    jurisdictions: &[Jurisdiction],
    receiver: &Addr,
) -> Result<(), ContractError> {
    for j in jurisdictions {
        if !j.markers.contains(&ComplianceMarker::ApprovedHoldersOnly) {
            continue;
        }
        let approved: bool = q.query_wasm_smart(
            collection,
            &nft::QueryMsg::HolderApproved {
                jurisdiction: j.code.clone(),
                holder: receiver.to_string(),
            },
        )?;
        if !approved {
            return Err(ContractError::ReceiverNotApproved {
                receiver: receiver.to_string(),
                jurisdiction: j.code.clone(),
                collection: collection.to_string(),
            });
        }
    }
    Ok(())
}

/// The open channel `channel_id` on this chain.
pub fn open_channel(deps: Deps, channel_id: &str) -> Result<ChannelInfo, ContractError> {
    match CHANNELS.may_load(deps.storage, channel_id)? {
        Some(c) if c.open => Ok(c),
        _ => Err(ContractError::UnknownChannel(channel_id.into())),
    }
}

pub fn peer_pinned(deps: Deps, channel: &ChannelInfo) -> StdResult<bool> {
    let config = CONFIG.load(deps.storage)?;
    Ok(pinned_peer(&config, &channel.connection_id, &channel.counterparty_port).is_some())
}

/// Plans `p`, received over `channel_id` (this chain's end, port `port`) from the counterparty
/// end (`src_port`, `src_channel`).
pub fn plan(
    deps: Deps,
    env: &Env,
    (port, channel_id): (&str, &str),
    (src_port, src_channel): (&str, &str),
    p: &NonFungibleTokenPacketData,
) -> Result<Plan, ContractError> {
    let channel = open_channel(deps, channel_id)?;
    // IBC core delivers only the channel's counterparty's packets; checked again because the
    // class-id prefix that brings a token home is read against this end.
    if (src_port, src_channel)
        != (
            &channel.counterparty_port[..],
            &channel.counterparty_channel[..],
        )
    {
        return Err(ContractError::packet(format!(
            "sent from {src_port}/{src_channel}, not the channel's counterparty"
        )));
    }
    packet::check_shape(p)?;
    let receiver = deps
        .api
        .addr_validate(&p.receiver)
        .map_err(|e| ContractError::packet(format!("receiver {}: {e}", p.receiver)))?;
    let q = &deps.querier;

    // Home: the class carries the sender end's prefix over a collection of this chain, and this
    // chain recorded sending each token out on this very channel.
    let home = packet::strip_source_prefix(src_port, src_channel, &p.class_id)
        .and_then(|c| deps.api.addr_validate(c).ok());
    let mut coming_home = 0;
    if let Some(collection) = &home {
        for id in &p.token_ids {
            if OUTGOING
                .may_load(deps.storage, (collection, id))?
                .is_some_and(|o| o.channel_id == channel_id)
            {
                coming_home += 1;
            }
        }
    }
    if coming_home > 0 {
        if coming_home != p.token_ids.len() {
            return Err(ContractError::MixedActions);
        }
        let collection = home.expect("counted only with a home collection");
        for id in &p.token_ids {
            let asset = asset_of(q, &collection, id)?;
            check_holder(q, &collection, &asset.extension.jurisdictions, &receiver)?;
        }
        return Ok(Plan::Home {
            collection,
            receiver,
            token_ids: p.token_ids.clone(),
        });
    }

    // Vouchers: only from a peer still pinned, only of a prepared class, only asset data.
    if !peer_pinned(deps, &channel)? {
        return Err(ContractError::PeerUnpinned(format!(
            "{}/{}",
            channel.connection_id, channel.counterparty_port
        )));
    }
    let local = packet::voucher_class_id(port, channel_id, &p.class_id);
    let class = VOUCHER_CLASSES
        .may_load(deps.storage, &local)?
        .ok_or_else(|| ContractError::ClassNotPrepared {
            channel_id: channel_id.into(),
            class_id: p.class_id.clone(),
        })?;
    packet::class_data(p)?;
    let metadata = packet::token_metadata(p)?;
    let mut tokens = Vec::with_capacity(p.token_ids.len());
    for (i, (id, metadata)) in p.token_ids.iter().zip(metadata).enumerate() {
        let parked = match owner_of(q, &class.collection, id) {
            Err(_) => false,
            Ok(owner)
                if owner == env.contract.address
                    && !OUTGOING.has(deps.storage, (&class.collection, id)) =>
            {
                // A voucher comes back as the same asset: its jurisdictions cannot change.
                let held = asset_of(q, &class.collection, id)?;
                if held.extension.jurisdictions != metadata.jurisdictions
                    || held.extension.class != metadata.class
                {
                    return Err(ContractError::ClassNotHonoured {
                        class_id: p.class_id.clone(),
                        reason: format!("token {id} returns with other jurisdictions or class"),
                    });
                }
                true
            }
            Ok(_) => {
                return Err(ContractError::TokenPresent {
                    collection: class.collection.to_string(),
                    token_id: id.clone(),
                })
            }
        };
        check_holder(q, &class.collection, &metadata.jurisdictions, &receiver)?;
        tokens.push(VoucherToken {
            token_id: id.clone(),
            token_uri: packet::token_uri(p, i),
            metadata,
            parked,
        });
    }
    Ok(Plan::Vouchers {
        class,
        receiver,
        tokens,
    })
}
