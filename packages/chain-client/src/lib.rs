//! Cosmos SDK chain client over CometBFT RPC only (no gRPC): several endpoints with failover,
//! queries through `abci_query`, transactions built and signed with cosmrs (SIGN_MODE_DIRECT,
//! secp256k1), simulated gas times an adjustment, fees in a configured denom (incl. `ibc/...`)
//! with a max gas price, several messages per tx, local sequence tracking that recovers from
//! "account sequence mismatch", and confirmation by polling `tx`.
//!
//! The chain endpoint is the [`RpcEndpoint`] trait: [`HttpEndpoint`] talks to a real node
//! (tendermint-rpc `HttpClient`), [`FailoverRpc`] rotates over several, and [`FaultyEndpoint`]
//! injects faults (outages, lost answers, timeouts, results missing at the tip, poison blocks, a
//! node behind the tip) around any of them for tests, which run on the in-process devnet.

pub mod client;
pub mod error;
pub mod failover;
pub mod fault;
pub mod gov;
pub mod http;
pub mod keys;
pub mod query;
pub mod rpc;
pub mod tx;

pub use client::{ChainClient, ConfirmConfig, TxOutcome};
pub use error::ChainError;
pub use failover::FailoverRpc;
pub use fault::{Fault, FaultyEndpoint, Method};
pub use http::{CompatVersion, HttpEndpoint};
pub use keys::OperatorKey;
pub use rpc::{
    AbciQueryResult, BlockEvents, BroadcastResult, Event, RpcEndpoint, TxEvents, TxResult,
};
pub use tx::GasConfig;

/// Re-exported so users build messages with the same cosmrs version.
pub use cosmrs;
