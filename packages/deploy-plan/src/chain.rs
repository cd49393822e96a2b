//! The chain driver of the plan (feature `chain`): checks the artifacts against
//! `checksums.txt`, then carries out each step as a signed Cosmos SDK transaction with
//! [`ChainClient`], so the same plan runs against the devnet, a local wasmd and a public testnet.
//! `bithive deploy` and the relayer's devnet tests deploy through it. What is deployed, in which
//! order, with which messages and admins is the plan's; nothing here decides it.

use bithive_chain_client::{ChainClient, ChainError};

use crate::artifact::{load_artifacts, ArtifactError};
use crate::Artifact;
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
    /// The deployer may not store code on this chain.
    #[error(
        "code upload on this chain is restricted (code_upload_access: {0}): rerun with --via-gov \
         to store the codes through governance proposals"
    )]
    UploadRestricted(String),
    /// A governance proposal to store a code did not pass.
    #[error("governance: {0}")]
    Governance(String),
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

/// Code upload through x/gov, for chains where only governance may store code (wasmd
/// `code_upload_access` = Nobody): each artifact the chain does not hold yet (by checksum) is
/// proposed as a `MsgStoreCode` of the gov module account, the deployer pays each deposit, and
/// the deployment goes on once the validators passed them all.
#[derive(Clone, Debug)]
pub struct ViaGov {
    /// Deposit of each proposal in `denom` base units; None: the chain's `min_deposit`.
    pub deposit: Option<u128>,
    /// The deposit's denom.
    pub denom: String,
    /// How long to wait for the votes.
    pub timeout: std::time::Duration,
}

/// Runs the whole plan with `client`'s account as deployer (admin of every contract, governance
/// and owner until handed over), reporting each step through `progress`.
pub async fn deploy(
    client: &ChainClient,
    config: &DeployConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployment, DeployError> {
    deploy_with(client, config, None, progress).await
}

/// [`deploy`], storing the codes through governance when `via_gov` is given.
pub async fn deploy_with(
    client: &ChainClient,
    config: &DeployConfig,
    via_gov: Option<&ViaGov>,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployment, DeployError> {
    config.validate()?;
    let artifacts = load_artifacts(&config.artifacts)?;
    let me = client.address().to_string();
    let mut by_gov = std::collections::BTreeMap::new();
    match via_gov {
        Some(g) => by_gov = store_via_gov(client, config, &artifacts, g, progress).await?,
        None => {
            // Best effort: a chain that does not answer the query is tried anyway.
            if let Ok(access) = client.upload_access().await {
                if !access.allows(&me) {
                    return Err(DeployError::UploadRestricted(format!("{access:?}")));
                }
            }
        }
    }
    let genesis = client
        .rpc()
        .latest_block_time()
        .await
        .map_err(step_failed("latest block time"))?;
    let mut plan = DeployPlan::new(config.clone(), client.chain_id(), &me, genesis)?;
    while let Some(step) = plan.poll()? {
        let outcome = match &step {
            Step::Store(artifact) if via_gov.is_some() => {
                let (_, checksum) = &artifacts[artifact];
                let code_id = *by_gov.get(artifact).ok_or_else(|| {
                    PlanError::Missing(format!(
                        "the code of {} stored by governance",
                        artifact.kind()
                    ))
                })?;
                progress(&format!(
                    "stored {:<13} code {code_id:>3}  (by governance)",
                    artifact.kind()
                ));
                Outcome::Stored {
                    code_id,
                    checksum: checksum.clone(),
                }
            }
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

/// Stores every artifact the deployment needs through x/gov ([`ViaGov`]): the codes the chain
/// already holds (by checksum) are used as they are, the others are proposed, and this waits
/// until every proposal passed. The code id of each artifact.
async fn store_via_gov(
    client: &ChainClient,
    config: &DeployConfig,
    artifacts: &std::collections::BTreeMap<Artifact, (Vec<u8>, String)>,
    g: &ViaGov,
    progress: &mut dyn FnMut(&str),
) -> Result<std::collections::BTreeMap<Artifact, u64>, DeployError> {
    use bithive_chain_client::gov::ProposalStatus;
    let needed: Vec<Artifact> = Artifact::ALL
        .into_iter()
        .chain(
            config
                .dao
                .is_some()
                .then_some(Artifact::DAO)
                .into_iter()
                .flatten(),
        )
        .collect();
    let deposit = match g.deposit {
        Some(d) => d,
        None => client
            .gov_min_deposit(&g.denom)
            .await
            .map_err(step_failed("gov min_deposit"))?
            .ok_or_else(|| {
                DeployError::Governance(format!(
                    "the chain's min_deposit names no {}: give --gov-deposit in a denom it \
                     takes",
                    g.denom
                ))
            })?,
    };
    // A rerun waits on the proposals an earlier run made (their summary names the checksum).
    let open = client
        .my_open_proposals()
        .await
        .map_err(step_failed("open gov proposals"))?;
    let on_chain = |codes: &[(u64, String)], sum: &str| {
        codes
            .iter()
            .rev()
            .find(|(_, s)| s == sum)
            .map(|(id, _)| *id)
    };
    let codes = client
        .stored_codes()
        .await
        .map_err(step_failed("stored codes"))?;
    let mut found = std::collections::BTreeMap::new();
    let mut pending = Vec::new();
    let mut to_propose = Vec::new();
    for a in needed {
        let (_, sum) = &artifacts[&a];
        if let Some(id) = on_chain(&codes, sum) {
            progress(&format!("{}: already on chain as code {id}", a.kind()));
            found.insert(a, id);
        } else if let Some((id, _)) = open.iter().find(|(_, s)| s.contains(sum.as_str())) {
            progress(&format!(
                "{}: waiting on gov proposal {id} made earlier",
                a.kind()
            ));
            pending.push((a, *id));
        } else {
            to_propose.push(a);
        }
    }
    // Every deposit must be affordable before the first is paid.
    let balance = client
        .fee_balance()
        .await
        .map_err(step_failed("deployer balance"))?;
    let owed = deposit.saturating_mul(to_propose.len() as u128);
    if g.denom == client.gas().fee_denom && balance < owed {
        return Err(DeployError::Governance(format!(
            "{} code proposals need {owed}{} of deposits; the deployer holds {balance}",
            to_propose.len(),
            g.denom
        )));
    }
    let mut submitted = Vec::new();
    for a in to_propose {
        let (wasm, sum) = &artifacts[&a];
        let title = format!("Store the BitHive {} contract", a.kind());
        let summary = format!(
            "Stores {} (sha256 {sum}, {} bytes), built reproducibly by BitHive's artifact \
             pipeline, for the deployment {}.",
            a.file(),
            wasm.len(),
            config.label_prefix
        );
        let id = client
            .propose_store_code(wasm, &title, &summary, deposit, &g.denom)
            .await
            .map_err(step_failed(&format!("propose storing {}", a.kind())))?;
        progress(&format!(
            "{}: gov proposal {id} (deposit {deposit}{}), waiting for the validators' votes",
            a.kind(),
            g.denom
        ));
        pending.push((a, id));
        submitted.push(id);
    }
    let started = std::time::Instant::now();
    let mut waiting = pending.clone();
    while !waiting.is_empty() {
        let mut still = Vec::new();
        for (a, id) in waiting {
            let status = match client.proposal_status(id).await {
                Ok(status) => status,
                // A node too busy to answer (a timeout, a dropped connection) is asked again
                // on the next round, until the timeout below: minutes of voting are not
                // thrown away for one lost answer.
                Err(e) if e.is_transport() && started.elapsed() <= g.timeout => {
                    progress(&format!(
                        "{}: proposal {id}'s status did not come ({e}); asking again",
                        a.kind()
                    ));
                    still.push((a, id));
                    continue;
                }
                Err(e) => return Err(step_failed("gov proposal status")(e)),
            };
            match status {
                ProposalStatus::Passed => progress(&format!("{}: proposal {id} passed", a.kind())),
                // A proposal this run paid the deposit of is in its voting period at once,
                // unless the deposit was below min_deposit.
                ProposalStatus::DepositPeriod if submitted.contains(&id) => {
                    return Err(DeployError::Governance(format!(
                        "proposal {id} to store {} waits for more deposit: {deposit}{} is below \
                         the chain's min_deposit (--gov-deposit)",
                        a.kind(),
                        g.denom
                    )))
                }
                ProposalStatus::Rejected => {
                    return Err(DeployError::Governance(format!(
                        "proposal {id} to store {} was rejected (voted down, or too few votes \
                         before its voting period ended): nothing was instantiated",
                        a.kind()
                    )))
                }
                ProposalStatus::Failed => {
                    return Err(DeployError::Governance(format!(
                        "proposal {id} to store {} passed but storing the code failed: nothing \
                         was instantiated",
                        a.kind()
                    )))
                }
                _ => still.push((a, id)),
            }
        }
        waiting = still;
        if waiting.is_empty() {
            break;
        }
        if started.elapsed() > g.timeout {
            return Err(DeployError::Governance(format!(
                "after {:?}, proposals {} are still open: rerun the same command once they \
                 passed (codes already stored are reused)",
                g.timeout,
                waiting
                    .iter()
                    .map(|(_, id)| id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let codes = client
        .stored_codes()
        .await
        .map_err(step_failed("stored codes"))?;
    for (a, id) in pending {
        let (_, sum) = &artifacts[&a];
        let code = on_chain(&codes, sum).ok_or_else(|| {
            DeployError::Governance(format!(
                "proposal {id} passed but the chain holds no code with {}'s checksum",
                a.kind()
            ))
        })?;
        found.insert(a, code);
    }
    Ok(found)
}

fn step_failed(name: &str) -> impl Fn(ChainError) -> DeployError + '_ {
    move |source| DeployError::Chain {
        step: name.to_string(),
        source,
    }
}
