//! BitHive relayer: watches chains for jobs (pull over `block_results` from a persisted cursor),
//! runs them through the engines (one [`worker::JobWorker`] per job kind), signs the canonical
//! attestation with the operator key and posts it to the attestation contract in batches, with
//! a persisted work queue that survives crashes at every state. Layout: chain endpoints behind a
//! trait (`bithive-chain-client`), one sequential pipeline per chain ([`pipeline`]: each round
//! runs its stages in order; no per-role worker tasks), telemetry.

pub mod attest;
pub mod attestor;
pub mod benchmark;
pub mod claim;
pub mod cli;
pub mod config;
pub mod dp_answerer;
pub mod energy;
pub mod error;
#[cfg(feature = "inference")]
pub mod evaluation;
pub mod explanations;
pub mod http;
#[cfg(feature = "inference")]
pub mod inference_worker;
pub mod keyring;
pub mod matching_worker;
pub mod metrics;
pub mod pipeline;
pub mod probe;
pub mod quorum;
pub mod reexecution;
pub mod registration;
pub mod reporter;
pub mod runtime;
pub mod store;
pub mod work_report;
pub mod worker;

pub use config::{ChainConfig, Config, JobKind};
pub use error::RelayerError;
pub use pipeline::{ChainRelayer, Failpoint};
pub use store::{JobState, Store};
