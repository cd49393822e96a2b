//! The interface of every BitHive contract: instantiate, execute, query and migrate messages,
//! query responses, the events each contract emits (names and attribute keys as constants) and
//! typed helpers to call or query a contract. Contracts re-export their module from `msg.rs`;
//! the relayer, CLI and tests read the same types and constants, so a rename breaks them all at
//! compile time instead of on the wire.

mod helpers;

pub mod asset_nft;
pub mod asset_shares;
pub mod attestation;
pub mod dao;
pub mod data_vault;
pub mod emission;
pub mod fractional;
#[cfg(feature = "ics20")]
pub mod ics20;
pub mod ics721;
pub mod model_registry;
pub mod payfi_escrow;
pub mod rewards;
pub mod staking;
pub mod token;
pub mod vesting;

pub use bithive_formulas::enode::EnodeInputs;
pub use bithive_formulas::rpatient::RpatientInputs;

// Every contract's migrate message (a migration takes no parameters); each module re-exports it.
// No doc comment: it would enter every contract's schema.
#[cosmwasm_schema::cw_serde]
pub struct MigrateMsg {}

/// Type of the event carrying a contract's `Response` attributes.
pub const WASM_EVENT: &str = "wasm";
/// Attribute the chain adds to every `wasm` event: the emitting contract.
pub const CONTRACT_ADDRESS: &str = "_contract_address";
/// Attribute naming what happened; its values are each module's `events::` constants.
pub use bithive_cw_common::ACTION;

/// The attributes of one event, looked up by key: what the typed events' `from_attributes` read.
pub(crate) struct Attributes<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Attributes<'a> {
    /// The attributes of an event whose [`ACTION`] is `action`; `None` for another action or
    /// none.
    pub(crate) fn of_action(
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
        action: &str,
    ) -> Option<Self> {
        let attrs = Self(attrs.into_iter().collect());
        (attrs.get(ACTION)? == action).then_some(attrs)
    }

    /// The value of the first attribute named `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of the first attribute named `key`, parsed; `None` if missing or malformed.
    pub(crate) fn parse<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.get(key)?.parse().ok()
    }
}
