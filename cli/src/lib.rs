//! The `bithive` command as a library: the command line, the deploy plan and the demo story, so
//! tests drive exactly what the binary runs.

pub mod asset;
pub mod blinding;
pub mod blinding_client;
pub mod chain_args;
pub mod chat;
pub mod cli;
pub mod demo;
pub mod deploy;
pub mod dp;
pub mod escrow;
pub mod gov;
pub mod ibc;
pub mod key_authority;
pub mod log_sink;
pub mod model;
pub mod model_keys;
pub mod rewards;
pub mod store_args;
pub mod vault;
pub mod wallet;
pub mod webapp_server;
pub mod words;
