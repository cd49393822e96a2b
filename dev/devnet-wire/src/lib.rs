//! The devnet's wire formats, without I/O or a VM (in the spirit of quinn-proto): what a client
//! sends the devnet and the SDK errors it gets back. Every parser here takes any bytes without
//! panicking and is bounded in time and memory; each is a fuzz target (`dev/devnet-wire/fuzz`,
//! issue #27), and keeping them apart from `bithive-devnet` lets the coverage-guided fuzzers build
//! without the VM.
//!
//! - [`jsonrpc`]: JSON-RPC 2.0 requests (POST bodies, batches, GET URI arguments),
//! - [`event_query`]: the `tx_search` / `subscribe` query language,
//! - [`tx`]: Cosmos SDK transactions (`TxRaw`, body, auth info, fee, the supported messages),
//! - [`amino`]: the amino JSON sign bytes of a transaction (`SIGN_MODE_LEGACY_AMINO_JSON`),
//! - [`rest`]: the Cosmos SDK REST (gRPC-gateway) requests,
//! - [`abci`]: the SDK's and wasmd's error codes these answer with.

pub mod abci;
pub mod amino;
pub mod event_query;
pub mod jsonrpc;
pub mod rest;
pub mod tx;
