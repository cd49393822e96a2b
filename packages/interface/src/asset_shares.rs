use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};

pub use cw20::Cw20ExecuteMsg as ExecuteMsg;
pub use cw20_base::msg::QueryMsg;

#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    /// The only account allowed to mint (the fractional vault).
    pub minter: String,
    /// Contract told about every balance change before anything else runs (the fractional vault).
    pub hook: Option<String>,
}

/// One account whose balance is about to change, with its balance before the change.
#[cw_serde]
pub struct BalanceChange {
    pub address: Addr,
    pub old_balance: Uint128,
}

/// Sent to the hook contract as `{"share_hook": {...}}`, as the first message of every balance
/// change (so it runs before a cw20 `Send` receiver can act).
#[cw_serde]
pub struct ShareHookMsg {
    pub changes: Vec<BalanceChange>,
}

#[cw_serde]
pub enum HookExecuteMsg {
    ShareHook(ShareHookMsg),
}

pub use crate::MigrateMsg;

crate::helpers::events! {
    actions: [
        // Emitted by cw20-base for the standard cw20 messages this contract forwards to it.
        TRANSFER,
        SEND,
        BURN,
        MINT,
        TRANSFER_FROM,
    ],
    attributes: [],
}
