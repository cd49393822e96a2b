//! The chain driver of the plan (feature `chain`): checks the artifacts against
//! `checksums.txt`, then carries out each step as a signed Cosmos SDK transaction with
//! [`ChainClient`], so the same plan runs against the devnet, a local wasmd and a public testnet.
//! `bithive deploy` and the relayer's devnet tests deploy through it. What is deployed, in which
//! order, with which messages and admins is the plan's; nothing here decides it.

use bithive_chain_client::{ChainClient, ChainError};

use crate::artifact::{load_artifacts, ArtifactError};
use crate::{DeployConfig, DeployFees, DeployPlan, Deployment, Outcome, PlanError, Step};

/// Why [`deploy`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The artifacts could not be read or do not match `checksums.txt`; nothing was uploaded.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The plan refused the config or a step ([`PlanError`]).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A query or transaction on the chain failed.
    #[error("{step}: {source}")]
    Chain {
        /// What was being done (e.g. `store staking`, `instantiate bithive-btk`).
        step: String,
        /// The chain client's error.
        #[source]
        source: ChainError,
    },
}

/// Runs the whole plan with `client`'s account as deployer (admin of every contract, governance
/// and owner until handed over), reporting each step through `progress`.
pub async fn deploy(
    client: &ChainClient,
    config: &DeployConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployment, DeployError> {
    config.validate()?;
    let artifacts = load_artifacts(&config.artifacts)?;
    let me = client.address().to_string();
    let genesis = client
        .rpc()
        .latest_block_time()
        .await
        .map_err(step_failed("latest block time"))?;
    let mut plan = DeployPlan::new(config.clone(), client.chain_id(), &me, genesis)?;
    while let Some(step) = plan.poll()? {
        let outcome = match &step {
            Step::Store(artifact) => {
                let (wasm, checksum) = &artifacts[artifact];
                let kind = artifact.kind();
                let (code_id, _) = client
                    .store_code(wasm.clone())
                    .await
                    .map_err(step_failed(&format!("store {kind}")))?;
                progress(&format!(
                    "stored {kind:<13} code {code_id:>3}  {:>4} KiB",
                    wasm.len() / 1024
                ));
                Outcome::Stored {
                    code_id,
                    checksum: checksum.clone(),
                }
            }
            Step::Instantiate(i) => {
                let (addr, _) = client
                    .instantiate(i.code_id, &i.msg, &i.label, i.admin.as_deref())
                    .await
                    .map_err(step_failed(&format!("instantiate {}", i.label)))?;
                progress(&format!("instantiated {:<22} {addr}", i.label));
                Outcome::Instantiated(addr)
            }
            Step::Execute(e) => {
                let what = e.wiring.describe();
                client
                    .execute_batch(&[(e.contract.clone(), e.msg.clone())])
                    .await
                    .map_err(step_failed(&what))?;
                progress(&what);
                Outcome::Executed
            }
            Step::UpdateAdmin(u) => {
                let what = format!("{}: wasm admin to the DAO", u.role.label());
                client
                    .update_admin(&u.contract, &u.new_admin)
                    .await
                    .map_err(step_failed(&what))?;
                progress(&what);
                Outcome::Executed
            }
        };
        plan.report(&step, outcome)?;
    }
    let mut d = plan.finish()?;
    let gas = client.gas();
    d.fees = DeployFees::from_prices(&gas.fee_denom, gas.gas_price, gas.max_gas_price);
    Ok(d)
}

fn step_failed(name: &str) -> impl Fn(ChainError) -> DeployError + '_ {
    move |source| DeployError::Chain {
        step: name.to_string(),
        source,
    }
}
