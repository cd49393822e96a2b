//! BitHive devnet: a single-node local Cosmos chain in Rust, like Anvil for Ethereum.
//!
//! It executes the real CosmWasm artifacts in `cosmwasm-vm` through [`bithive_vm_host`] (wasmd
//! semantics: addresses, storage gas, submessages, events) and speaks what clients use of a
//! CometBFT 0.38 node: JSON-RPC over HTTP and websocket, Cosmos SDK protobuf transactions
//! (SIGN_MODE_DIRECT secp256k1) and the gRPC queries reached through `abci_query`.
//!
//! - [`app`]: accounts, ante checks, message execution, blocks (no I/O),
//! - [`node`]: the app behind a lock, the block log, block production,
//! - [`rpc`] / `ws`: the HTTP and websocket servers,
//! - [`Devnet::start`]: all of it on a tokio runtime, with a handle for shutdown,
//! - [`ibc`]: a built-in packet relay between two devnets (local simulation of IBC).

pub mod abci;
pub mod app;
pub mod blocklog;
pub mod cli;
pub mod config;
pub mod cors;
mod error;
pub mod ibc;
pub mod json;
pub mod mempool;
pub mod node;
pub mod page;
pub mod query;
pub mod rest;
pub mod rpc;
pub mod search;
pub use bithive_devnet_wire::tx;
/// The HTTP listener with its connection cap and timeouts (shared with the product servers).
pub use bithive_http_serve as server;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{DevnetConfig, GenesisAccount};
pub use error::DevnetError;
pub use node::Node;

pub struct Devnet;

/// A running devnet: its RPC address, on-demand blocks, and a clean shutdown.
pub struct DevnetHandle {
    rpc_addr: SocketAddr,
    rest_addr: SocketAddr,
    node: Arc<Node>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Devnet {
    /// Opens (or replays) the chain, binds the RPC listener and starts the block timer.
    pub async fn start(config: DevnetConfig) -> Result<DevnetHandle, DevnetError> {
        let listen = config.rpc_listen;
        let rest_listen = config.rest_addr();
        let interval = config.block_interval();
        let node = tokio::task::spawn_blocking(move || Node::open(config))
            .await
            .map_err(|e| DevnetError::Config(format!("startup task: {e}")))??;
        let node = Arc::new(node);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let rpc_addr = listener.local_addr()?;
        let rest_listener = tokio::net::TcpListener::bind(rest_listen).await?;
        let rest_addr = rest_listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();

        let origins = &node.config().cors_allowed_origins;
        let app = cors::apply(rpc::router(node.clone()), origins);
        let limits = node.config().rpc_limits();
        // RPC and REST share one cap: one process, one descriptor limit (issue #43: 900 each,
        // 1,800 in all, against a common limit of 1,024 descriptors).
        let slots = server::slots(&limits);
        let busy: server::BusyBody = std::sync::Arc::new(|max| {
            serde_json::json!({
                "jsonrpc": "2.0",
                "id": -1,
                "error": {
                    "code": -32603,
                    "message": "Internal error",
                    "data": format!("too many open connections (max_connections {max}, RPC and REST together); retry later"),
                },
            })
            .to_string()
        });
        tasks.push(tokio::spawn(server::serve_with(
            listener,
            app,
            limits,
            slots.clone(),
            stopped.clone(),
            busy.clone(),
        )));
        // The REST server: the RPC's listener code and limits, its own port.
        let rest_app = cors::apply(rest::router(node.clone()), origins);
        tasks.push(tokio::spawn(server::serve_with(
            rest_listener,
            rest_app,
            limits,
            slots,
            stopped.clone(),
            busy,
        )));

        if let Some(every) = interval {
            let n = node.clone();
            let mut rx = stopped.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = rx.wait_for(|s| *s) => return,
                    }
                    let n = n.clone();
                    match tokio::task::spawn_blocking(move || n.produce_block()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e @ DevnetError::Halted(_))) => {
                            tracing::error!(error = %e, "block production stopped");
                            return;
                        }
                        Ok(Err(e)) => tracing::error!(error = %e, "block production failed"),
                        Err(e) => tracing::error!(error = %e, "block task failed"),
                    }
                }
            }));
        }
        tracing::info!(%rpc_addr, %rest_addr, chain_id = %node.config().chain_id, height = node.app().height(), "devnet started");
        Ok(DevnetHandle {
            rpc_addr,
            rest_addr,
            node,
            stop,
            tasks,
        })
    }
}

impl DevnetHandle {
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// The Cosmos SDK REST (gRPC-gateway) address.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// `http://<rest_addr>`: a Keplr `ChainInfo`'s `rest`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Produces a block now with whatever the mempool holds; returns its height.
    pub async fn produce_block(&self) -> Result<u64, DevnetError> {
        let n = self.node.clone();
        tokio::task::spawn_blocking(move || n.produce_block())
            .await
            .map_err(|e| DevnetError::Config(format!("block task: {e}")))?
    }

    /// Moves the block clock `seconds` forward and commits a block at the new time.
    pub async fn advance_time(&self, seconds: u64) -> Result<u64, DevnetError> {
        self.node.advance_time(seconds)?;
        self.produce_block().await
    }

    /// Stops the timer and the server (in-flight requests finish); the block log is already
    /// durable, so nothing else needs flushing.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        tracing::info!("devnet stopped");
    }
}
