//! ICS-721 for asset NFTs (ADR 013): the wire format (cw-ics721's, so other ICS-721 chains read
//! our packets and we read theirs), the messages of `contracts/ics721` and its events.
//!
//! The wire format is documented with test vectors in `contracts/ics721/README.md`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, IbcTimeout};
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

use crate::asset_nft::AssetMetadataMsg;

/// The channel version on both ends (ICS-721, as cw-ics721 and the Go module `nft-transfer`).
pub const IBC_VERSION: &str = "ics721-1";
/// Version of [`AssetClassData`] and [`AssetTokenData`] this code writes and reads.
pub const ASSET_DATA_VERSION: u32 = 1;
/// Most IBC peers one contract pins.
pub const MAX_PEERS: usize = 16;
/// Most tokens one packet may carry (bounds the work of a receive).
pub const MAX_TOKENS_PER_PACKET: usize = 16;
/// Longest class id accepted (a voucher's id grows by `port/channel/` per hop).
pub const MAX_CLASS_ID_LEN: usize = 512;

/// ICS-721 packet data, byte-compatible with cw-ics721 (`ics721-types`): camelCase keys,
/// `classData` and `tokenData` base64, absent optionals written as `null`. Read leniently: a
/// missing key is `None`, keys in any order, unknown keys ignored.
#[cw_serde]
#[serde(rename_all = "camelCase")]
pub struct NonFungibleTokenPacketData {
    /// The class on the sending chain: a collection's address at home, `port/channel/<class>` for
    /// a voucher.
    pub class_id: String,
    pub class_uri: Option<String>,
    pub class_data: Option<Binary>,
    pub token_ids: Vec<String>,
    pub token_uris: Option<Vec<String>>,
    pub token_data: Option<Vec<Binary>>,
    pub sender: String,
    pub receiver: String,
    pub memo: Option<String>,
}

/// `classData` of a BitHive asset class (JSON, then base64 on the wire).
#[cw_serde]
pub struct AssetClassData {
    /// [`ASSET_DATA_VERSION`]; a class of another version is refused.
    pub bithive_asset_class: u32,
    pub name: String,
    pub symbol: String,
}

/// `tokenData` of one asset token (JSON, then base64 on the wire): its metadata as minted, with
/// the certifications of the moment it left. The valuation history and the digital twin's state
/// stay on the home chain (device signatures name the chain and contract).
#[cw_serde]
pub struct AssetTokenData {
    /// [`ASSET_DATA_VERSION`].
    pub bithive_asset: u32,
    pub metadata: AssetMetadataMsg,
}

/// What the owner puts in cw721 `send_nft`'s `msg` to send a token over a channel (cw-ics721's
/// `IbcOutgoingMsg`, so wallets built for it work unchanged).
#[cw_serde]
pub struct IbcOutgoingMsg {
    /// The receiver's address on the other chain.
    pub receiver: String,
    /// The channel on this chain.
    pub channel_id: String,
    /// Defaults to the config's `default_timeout_seconds` from now.
    #[serde(default)]
    pub timeout: Option<IbcTimeout>,
    #[serde(default)]
    pub memo: Option<String>,
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Pins peers, prepares classes and may hand governance over (two steps).
    pub governance: String,
    /// Code id of `bithive-asset-nft`, instantiated for each voucher class.
    pub asset_nft_code_id: u64,
    /// Timeout of a send whose message names none (> 0).
    pub default_timeout_seconds: u64,
    /// The counterparties a channel may open with (at most [`MAX_PEERS`]); empty: none.
    pub peers: Vec<Peer>,
}

/// A counterparty this contract trusts to carry asset NFTs: the light-client connection on this
/// chain and the counterparty's port (`wasm.<its ics721 contract>`), and the account on this
/// chain that approves holders of the vouchers arriving from it (their compliance officer).
#[cw_serde]
pub struct Peer {
    pub connection_id: String,
    pub port_id: String,
    pub compliance_officer: String,
}

#[cw_serde]
#[derive(Eq, PartialOrd, Ord)]
pub struct PeerEndpoint {
    pub connection_id: String,
    pub port_id: String,
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// cw721's receive hook: an asset NFT sent here with `send_nft` leaves over IBC; `msg` is an
    /// [`IbcOutgoingMsg`]. The collection must be a `bithive-asset-nft` (home) or one of this
    /// contract's voucher collections.
    ReceiveNft(cw721::receiver::Cw721ReceiveMsg),
    /// Governance: pin (`add`; an existing endpoint gets the new officer) or unpin (`remove`).
    UpdatePeers {
        add: Vec<Peer>,
        remove: Vec<PeerEndpoint>,
    },
    /// Governance or the channel peer's compliance officer: this chain accepts tokens of
    /// `class_id` (the sending chain's class id) arriving over `channel_id`. Instantiates the
    /// voucher collection (a `bithive-asset-nft` whose admin is this contract and whose
    /// compliance officer is the peer's), so holders can be approved before anything arrives.
    PrepareClass {
        channel_id: String,
        class_id: String,
        name: String,
        symbol: String,
    },
    /// The sender of a token whose refund the collection refused (its holder approval was
    /// revoked meanwhile): send it to `recipient`, whom the collection must accept.
    ReturnHeld {
        collection: String,
        token_id: String,
        recipient: String,
    },
    /// Internal: a received packet is processed in a submessage to itself, so a failure reverts
    /// everything it did and becomes an error acknowledgement.
    ProcessPacket {
        channel_id: String,
        counterparty_port: String,
        counterparty_channel: String,
        packet: NonFungibleTokenPacketData,
    },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(ChannelsResponse)]
    Channels {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The voucher collection for tokens of `class_id` (the sender's) arriving over `channel_id`.
    #[returns(Option<VoucherClass>)]
    VoucherClass {
        channel_id: String,
        class_id: String,
    },
    #[returns(VoucherClassesResponse)]
    VoucherClasses {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// A token of this chain's `collection` that is out (escrowed here, over a channel).
    #[returns(Option<Outgoing>)]
    Outgoing {
        collection: String,
        token_id: String,
    },
    /// A token whose refund its collection refused, held here for its sender.
    #[returns(Option<Held>)]
    Held {
        collection: String,
        token_id: String,
    },
}

pub use crate::MigrateMsg;

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub asset_nft_code_id: u64,
    pub default_timeout_seconds: u64,
    pub peers: Vec<Peer>,
}

#[cw_serde]
pub struct ChannelInfo {
    pub channel_id: String,
    pub connection_id: String,
    pub counterparty_port: String,
    pub counterparty_channel: String,
    pub open: bool,
}

#[cw_serde]
pub struct ChannelsResponse {
    pub channels: Vec<ChannelInfo>,
}

#[cw_serde]
pub struct VoucherClass {
    /// The `bithive-asset-nft` holding the vouchers.
    pub collection: Addr,
    pub channel_id: String,
    /// The sending chain's class id.
    pub class_id: String,
    /// The class id on this chain: `wasm.<this contract>/<channel>/<class_id>`.
    pub local_class_id: String,
}

#[cw_serde]
pub struct VoucherClassesResponse {
    pub classes: Vec<VoucherClass>,
}

/// A token out over a channel, escrowed here until it comes back (a home token) or until its
/// acknowledgement (a voucher going home).
#[cw_serde]
pub struct Outgoing {
    pub channel_id: String,
    pub sender: Addr,
}

#[cw_serde]
pub struct Held {
    pub owner: Addr,
}

crate::helpers::events! {
    actions: [
        CHANNEL_CLOSE,
        CHANNEL_CONNECT,
        INSTANTIATE,
        /// A token's refund was refused by its collection; held for the sender (`ReturnHeld`).
        HOLD,
        PACKET_ACK,
        PACKET_TIMEOUT,
        PREPARE_CLASS,
        RECEIVE,
        RECEIVE_REFUSED,
        REFUND,
        RETURN_HELD,
        SEND,
        UPDATE_OWNERSHIP,
        UPDATE_PEERS,
    ],
    attributes: [
        CHANNEL_ID,
        CLASS_ID,
        COLLECTION,
        ERROR,
        OUTCOME,
        /// `connection/port` of every pinned peer after the change, comma-separated.
        PEERS,
        RECEIVER,
        SENDER,
        /// Comma-separated.
        TOKEN_IDS,
        PENDING_EXPIRY,
        PENDING_OWNER,
        OWNER,
    ],
}

crate::helpers::contract_helper!(
    /// Address of the ICS-721 contract.
    Ics721Contract,
    ExecuteMsg,
    QueryMsg
);

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_string};

    /// cw-ics721 v0.1.13's own vector (`packages/ics721/src/testing/ibc_tests.rs`,
    /// `test_packet_json`, Apache-2.0): our type writes exactly its bytes.
    #[test]
    fn packet_json_matches_cw_ics721s_vector() {
        let expected = r#"{"classId":"stars1zedxv25ah8fksmg2lzrndrpkvsjqgk4zt5ff7n","classUri":"https://metadata-url.com/my-metadata","classData":"InNvbWVfY2xhc3NfZGF0YSI=","tokenIds":["1","2","3"],"tokenUris":["https://metadata-url.com/my-metadata1","https://metadata-url.com/my-metadata2","https://metadata-url.com/my-metadata3"],"tokenData":["InNvbWVfdG9rZW5fZGF0YV8xIg==","InNvbWVfdG9rZW5fZGF0YV8yIg==","InNvbWVfdG9rZW5fZGF0YV8zIg=="],"sender":"stars1zedxv25ah8fksmg2lzrndrpkvsjqgk4zt5ff7n","receiver":"wasm1fucynrfkrt684pm8jrt8la5h2csvs5cnldcgqc","memo":"some_memo"}"#;
        let json = |s: &str| Binary::from(to_json_string(&s).unwrap().into_bytes());
        let packet = NonFungibleTokenPacketData {
            class_id: "stars1zedxv25ah8fksmg2lzrndrpkvsjqgk4zt5ff7n".into(),
            class_uri: Some("https://metadata-url.com/my-metadata".into()),
            class_data: Some(json("some_class_data")),
            token_ids: vec!["1".into(), "2".into(), "3".into()],
            token_uris: Some(
                (1..=3)
                    .map(|i| format!("https://metadata-url.com/my-metadata{i}"))
                    .collect(),
            ),
            token_data: Some(
                (1..=3)
                    .map(|i| json(&format!("some_token_data_{i}")))
                    .collect(),
            ),
            sender: "stars1zedxv25ah8fksmg2lzrndrpkvsjqgk4zt5ff7n".into(),
            receiver: "wasm1fucynrfkrt684pm8jrt8la5h2csvs5cnldcgqc".into(),
            memo: Some("some_memo".into()),
        };
        assert_eq!(to_json_string(&packet).unwrap(), expected);
        assert_eq!(
            from_json::<NonFungibleTokenPacketData>(expected).unwrap(),
            packet
        );
    }

    /// What the Go module writes (keys sorted, empty fields left out) and what a newer sender may
    /// add (an unknown key) both read.
    #[test]
    fn packets_read_leniently() {
        let go = r#"{"classId":"nft-transfer/channel-0/kitties","receiver":"wasm1r","sender":"cosmos1s","tokenIds":["a"],"extra":1}"#;
        let p: NonFungibleTokenPacketData = from_json(go).unwrap();
        assert_eq!(p.class_id, "nft-transfer/channel-0/kitties");
        assert_eq!(
            (
                p.class_uri,
                p.class_data,
                p.token_uris,
                p.token_data,
                p.memo
            ),
            (None, None, None, None, None)
        );
        let nulls = r#"{"classId":"c","classUri":null,"classData":null,"tokenIds":["a"],"tokenUris":null,"tokenData":null,"sender":"s","receiver":"r","memo":null}"#;
        assert_eq!(
            to_json_string(&from_json::<NonFungibleTokenPacketData>(nulls).unwrap()).unwrap(),
            nulls
        );
    }
}
