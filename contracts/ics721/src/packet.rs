//! The wire format without I/O: packet checks, class ids, the asset data carried in `classData`
//! and `tokenData`, acknowledgements. Everything here is a pure function of its arguments.

use cosmwasm_std::{from_json, to_json_binary, Binary, StdAck, StdResult};

use crate::error::ContractError;
use crate::msg::{
    AssetClassData, AssetTokenData, NonFungibleTokenPacketData, ASSET_DATA_VERSION,
    MAX_CLASS_ID_LEN, MAX_TOKENS_PER_PACKET,
};
use bithive_interface::asset_nft::AssetMetadataMsg;

/// Longest receiver or sender address accepted (bech32 addresses are far shorter).
pub const MAX_ADDRESS_LEN: usize = 128;
/// Longest memo accepted.
pub const MAX_MEMO_LEN: usize = 1024;

/// The class id of a voucher on this chain: `{port}/{channel}/{class id on the sender}`.
pub fn voucher_class_id(port: &str, channel: &str, class_id: &str) -> String {
    format!("{port}/{channel}/{class_id}")
}

/// The class id a token had before it left for the chain at (`port`, `channel`) — the
/// counterparty end the packet came from — when `class_id` carries that end's prefix; `None`
/// otherwise. (A prefix alone does not make a token come home: the home chain must also have
/// recorded sending it out on this channel.)
pub fn strip_source_prefix<'a>(port: &str, channel: &str, class_id: &'a str) -> Option<&'a str> {
    class_id
        .strip_prefix(port)?
        .strip_prefix('/')?
        .strip_prefix(channel)?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
}

/// The shape rules every packet must meet before anything looks at state: what cw-ics721's
/// `validate` checks, and more (no duplicate ids, bounded sizes, asset-nft's token id rule).
pub fn check_shape(p: &NonFungibleTokenPacketData) -> Result<(), ContractError> {
    let bad = |r: &str| Err(ContractError::packet(r));
    if p.class_id.is_empty() {
        return bad("empty class id");
    }
    if p.class_id.len() > MAX_CLASS_ID_LEN {
        return bad("class id longer than 512 bytes");
    }
    if p.token_ids.is_empty() {
        return bad("no token ids");
    }
    if p.token_ids.len() > MAX_TOKENS_PER_PACKET {
        return bad("more than 16 tokens in one packet");
    }
    for (i, id) in p.token_ids.iter().enumerate() {
        bithive_asset_nft::validate::token_id(id)
            .map_err(|e| ContractError::packet(format!("token id {id:?}: {e}")))?;
        if p.token_ids[..i].contains(id) {
            return bad(&format!("token id {id} twice"));
        }
    }
    let n = p.token_ids.len();
    if p.token_uris.as_ref().is_some_and(|u| u.len() != n) {
        return bad("tokenIds and tokenUris differ in length");
    }
    if p.token_data.as_ref().is_some_and(|d| d.len() != n) {
        return bad("tokenIds and tokenData differ in length");
    }
    if p.class_uri.as_deref() == Some("") || p.class_data.as_ref().is_some_and(|d| d.is_empty()) {
        return bad("optional fields may not be empty if present");
    }
    for (field, v) in [("sender", &p.sender), ("receiver", &p.receiver)] {
        if v.is_empty() || v.len() > MAX_ADDRESS_LEN {
            return bad(&format!("{field} empty or longer than 128 bytes"));
        }
    }
    if p.memo.as_ref().is_some_and(|m| m.len() > MAX_MEMO_LEN) {
        return bad("memo longer than 1024 bytes");
    }
    Ok(())
}

/// The class data of a BitHive asset class, refusing another version or none.
pub fn class_data(p: &NonFungibleTokenPacketData) -> Result<AssetClassData, ContractError> {
    let not = |reason: String| ContractError::ClassNotHonoured {
        class_id: p.class_id.clone(),
        reason,
    };
    let raw = p
        .class_data
        .as_ref()
        .ok_or_else(|| not("no classData".into()))?;
    let data: AssetClassData =
        from_json(raw).map_err(|e| not(format!("classData is not a BitHive asset class: {e}")))?;
    if data.bithive_asset_class != ASSET_DATA_VERSION {
        return Err(not(format!(
            "classData version {} (this chain reads {ASSET_DATA_VERSION})",
            data.bithive_asset_class
        )));
    }
    Ok(data)
}

/// Each token's metadata, in `token_ids` order, checked by asset-nft's own rules (what its
/// `mint` would refuse is refused here, with the reason).
pub fn token_metadata(
    p: &NonFungibleTokenPacketData,
) -> Result<Vec<AssetMetadataMsg>, ContractError> {
    let not = |reason: String| ContractError::ClassNotHonoured {
        class_id: p.class_id.clone(),
        reason,
    };
    let data = p
        .token_data
        .as_ref()
        .ok_or_else(|| not("no tokenData".into()))?;
    data.iter()
        .zip(&p.token_ids)
        .map(|(raw, id)| {
            let t: AssetTokenData = from_json(raw).map_err(|e| {
                not(format!(
                    "tokenData of {id} is not BitHive asset metadata: {e}"
                ))
            })?;
            if t.bithive_asset != ASSET_DATA_VERSION {
                return Err(not(format!(
                    "tokenData of {id} has version {} (this chain reads {ASSET_DATA_VERSION})",
                    t.bithive_asset
                )));
            }
            bithive_asset_nft::validate::metadata(&t.metadata)
                .map_err(|e| not(format!("tokenData of {id}: {e}")))?;
            Ok(t.metadata)
        })
        .collect()
}

/// The token URI of the `i`th token, if the packet carries a non-empty one.
pub fn token_uri(p: &NonFungibleTokenPacketData, i: usize) -> Option<String> {
    p.token_uris
        .as_ref()
        .and_then(|u| u.get(i))
        .filter(|u| !u.is_empty())
        .cloned()
}

pub fn encode_class_data(name: &str, symbol: &str) -> StdResult<Binary> {
    to_json_binary(&AssetClassData {
        bithive_asset_class: ASSET_DATA_VERSION,
        name: name.into(),
        symbol: symbol.into(),
    })
}

pub fn encode_token_data(metadata: AssetMetadataMsg) -> StdResult<Binary> {
    to_json_binary(&AssetTokenData {
        bithive_asset: ASSET_DATA_VERSION,
        metadata,
    })
}

/// `{"result":"AQ=="}`, as ibc-go's modules write it.
pub fn ack_success() -> Binary {
    StdAck::success(b"\x01").to_binary()
}

pub fn ack_error(error: impl Into<String>) -> Binary {
    StdAck::error(error.into()).to_binary()
}

/// Whether an acknowledgement reports success: `{"result": ...}` (cw-ics721 writes `"MQ=="`,
/// ibc-go `"AQ=="`) does; an error and anything unreadable do not, so the token is refunded.
pub fn ack_is_success(ack: &[u8]) -> bool {
    matches!(from_json::<StdAck>(ack), Ok(StdAck::Success(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_strip_only_whole_segments() {
        let s = |c| strip_source_prefix("wasm.a1", "channel-10", c);
        assert_eq!(s("wasm.a1/channel-10/a2"), Some("a2"));
        assert_eq!(s("wasm.a1/channel-10/x/y/z"), Some("x/y/z"));
        for no in [
            "",
            "wasm.a1/channel-10/",
            "wasm.a1/channel-1/a2",
            "wasm.a1/channel-100/a2",
            "wasm.a1channel-10/a2",
            "wasm.a/channel-10/a2",
            "☯️☯️",
            "wasm.addre//1/channel-10/addre//2",
        ] {
            assert_eq!(s(no), None, "{no}");
        }
    }

    #[test]
    fn acknowledgements_of_either_success_byte_succeed_and_nothing_else() {
        assert!(ack_is_success(br#"{"result":"MQ=="}"#));
        assert!(ack_is_success(br#"{"result":"AQ=="}"#));
        assert!(ack_is_success(&ack_success()));
        assert_eq!(ack_success().as_slice(), br#"{"result":"AQ=="}"#);
        for no in [
            &br#"{"error":"x"}"#[..],
            br#"{"success":"AQ=="}"#,
            b"",
            b"\x01",
            b"not json",
        ] {
            assert!(!ack_is_success(no), "{}", String::from_utf8_lossy(no));
        }
    }
}
