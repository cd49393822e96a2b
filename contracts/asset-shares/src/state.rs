use cosmwasm_std::Addr;
use cw_storage_plus::Item;

/// Hook contract notified of balance changes (None: a plain cw20).
pub const HOOK: Item<Option<Addr>> = Item::new("shares_hook");
