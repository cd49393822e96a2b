//! Storage. The contract never holds a token it cannot account for: every token it owns is
//! out over a channel ([`OUTGOING`]), a voucher that went home ([`VOUCHER_COLLECTIONS`], owned
//! here with no outgoing record: "parked", handed out again when it comes back) or held for a
//! sender whose refund its collection refused ([`HELD`]).

use cosmwasm_std::Addr;
use cw_storage_plus::{Item, Map};

pub use crate::msg::{ChannelInfo, Config, Held, Outgoing, Peer, VoucherClass, IBC_VERSION};

pub const CONFIG: Item<Config> = Item::new("config");
/// Channels by id on this chain, recorded at connect.
pub const CHANNELS: Map<&str, ChannelInfo> = Map::new("channels");
/// Voucher classes by their class id on this chain (`wasm.<this>/<channel>/<sender's class>`).
pub const VOUCHER_CLASSES: Map<&str, VoucherClass> = Map::new("voucher_classes");
/// Voucher collection -> its class id on this chain.
pub const VOUCHER_COLLECTIONS: Map<&Addr, String> = Map::new("voucher_collections");
/// (collection, token id) of every token out over a channel, escrowed here.
pub const OUTGOING: Map<(&Addr, &str), Outgoing> = Map::new("outgoing");
/// (collection, token id) of tokens whose refund was refused, held for their sender.
pub const HELD: Map<(&Addr, &str), Held> = Map::new("held");

/// The pinned peer at (`connection_id`, the counterparty's `port_id`), if any: what a channel
/// needs to open, to send and to bring new vouchers.
pub fn pinned_peer<'a>(config: &'a Config, connection_id: &str, port_id: &str) -> Option<&'a Peer> {
    config
        .peers
        .iter()
        .find(|p| p.connection_id == connection_id && p.port_id == port_id)
}
