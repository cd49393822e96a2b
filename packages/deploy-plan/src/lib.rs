//! The one definition of a BitHive deployment (issue #41): which artifacts, in which order, with
//! which instantiate messages, wasm admins and governance addresses, and which wiring calls, as
//! data and pure steps without I/O. Drivers carry the steps out: `bithive deploy` with signed
//! transactions on any chain (the devnet, wasmd), and the VM test worlds (the adversarial suite)
//! on the committed artifacts in cosmwasm-vm. A new contract or a governance change is made here
//! once.
//!
//! ```text
//! let mut plan = DeployPlan::new(config, chain_id, deployer, genesis)?;
//! while let Some(step) = plan.poll()? {
//!     let outcome = match &step {
//!         Step::Store(artifact) => Outcome::Stored { code_id: chain.store(..)?, checksum },
//!         Step::Instantiate(i) => Outcome::Instantiated(chain.instantiate(&i.msg, ..)?),
//!         Step::Execute(e) => { chain.execute(&e.contract, &e.msg)?; Outcome::Executed }
//!     };
//!     plan.report(&step, outcome)?;
//! }
//! let deployment = plan.finish()?;
//! ```
//!
//! A synchronous chain implements [`Driver`] and calls [`DeployPlan::drive`].
//! ```text
//! ```
#![warn(missing_docs)]

mod artifact;
#[cfg(feature = "chain")]
pub mod chain;
pub mod config;
mod deployment;
pub mod gov;
mod plan;

pub use artifact::Artifact;
#[cfg(feature = "load")]
pub use artifact::{load_artifacts, ArtifactError};
pub use config::{
    AttestationParams, DaoMember, DaoParams, DeployConfig, Ics20Params, Ics721Params, StakingParams,
};
pub use deployment::{Contracts, DeployFees, Deployment, PublicEndpoints, Role, StoredCode};
pub use plan::{
    renounce_ownership, DeployPlan, Driver, Execute, Instantiate, Outcome, Step, UpdateAdmin,
    Wiring, DAO_GOVERNED,
};

/// Why a plan cannot go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// The configuration is one no deployment may use.
    #[error("config: {0}")]
    Config(String),
    /// The driver reported a step other than the one handed out.
    #[error("the driver reported {got}, but the plan is waiting for {expected}")]
    OutOfOrder {
        /// The step handed out.
        expected: String,
        /// The step reported.
        got: String,
    },
    /// `poll` was called before the step it handed out was reported.
    #[error("{0} was handed out and not reported")]
    NotReported(String),
    /// A step needs a code or contract the plan has not got (a driver skipped a step).
    #[error("{0} is not deployed yet")]
    Missing(String),
    /// The driver reported something no chain answers.
    #[error("driver: {0}")]
    Driver(String),
    /// `finish` before the last step.
    #[error("the plan is not finished: {0} steps left")]
    Unfinished(usize),
    /// A message could not be serialised (a bug).
    #[error("serialising a message: {0}")]
    Serialize(String),
}
