//! The interface of every BitHive contract: instantiate, execute, query and migrate messages,
//! query responses, the events each contract emits (names and attribute keys as constants) and
//! typed helpers to call or query a contract. Contracts re-export their module from `msg.rs`;
//! the relayer, CLI and tests read the same types and constants, so a rename breaks them all at
//! compile time instead of on the wire.

mod helpers;

pub mod asset_nft;
pub mod asset_shares;
pub mod attestation;
pub mod data_vault;
pub mod emission;
pub mod fractional;
#[cfg(feature = "ics20")]
pub mod ics20;
pub mod model_registry;
pub mod payfi_escrow;
pub mod rewards;
pub mod staking;
pub mod token;
pub mod vesting;

pub use bithive_formulas::enode::EnodeInputs;
pub use bithive_formulas::rpatient::RpatientInputs;

/// Type of the event carrying a contract's `Response` attributes.
pub const WASM_EVENT: &str = "wasm";
/// Attribute the chain adds to every `wasm` event: the emitting contract.
pub const CONTRACT_ADDRESS: &str = "_contract_address";
/// Attribute naming what happened; its values are each module's `events::` constants.
pub const ACTION: &str = "action";
