//! A small wasmd in a library: executes CosmWasm artifacts in `cosmwasm-vm` 3 the way a wasmd
//! chain does, so tests, benchmarks and the devnet run the real optimized wasm.
//!
//! - code store with compiled-module cache, contract addresses as wasmd derives them
//!   (`BuildContractAddressClassic`),
//! - one key-value store per contract, with wasmd's storage gas (SDK `KVGasConfig`),
//! - bank balances for native and `ibc/...` denoms,
//! - message dispatch (bank send/burn, wasm execute/instantiate/migrate/update-admin/clear-admin),
//!   submessages with `reply_on`, nested revert of state on failure,
//! - events as wasmd emits them (`execute`, `instantiate`, `wasm`, `wasm-<type>`, `transfer`),
//! - IBC: `IbcMsg::SendPacket` (ibc-go's `send_packet` event) and the channel and packet entry
//!   points ([`Chain::ibc_call`]) for a relayer to drive,
//! - queries between contracts (smart, raw, contract info) and to the bank.
//!
//! Contract errors (`ContractResult::Err`) and VM failures (abort, out of gas, invalid module)
//! are kept apart in [`HostError`], so a fuzzer can assert that bad input only ever yields the
//! former.

mod address;
mod chain;
mod error;
#[cfg(feature = "plan")]
pub mod plan;
mod store;

pub use address::{contract_address, make_addr};
pub use chain::{
    coin, sweep_stale_cache_dirs, Chain, ChainConfig, ContractInfo, IbcCall, IbcOutcome, TxMsg,
    TxOutcome, TxResponse, CACHE_DIR_PREFIX,
};
/// The cosmwasm-std (3.x) types the host speaks, e.g. for building IBC calls.
pub use cosmwasm_std;
pub use cosmwasm_std::{Attribute, BankMsg, Binary, Coin, CosmosMsg, Event, Timestamp, WasmMsg};
pub use error::HostError;
pub use store::{GasConfig, HistoryEntry, HistoryOp, SDK_TO_CW_GAS};
