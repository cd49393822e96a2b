//! `bithive gov`: the DAO that governs a deployment (ADR 009), as its members use it. Proposals
//! are typed BitHive actions (a parameter, the registry link, a node's compliance, an app-pool
//! developer, a migration, a treasury payment) built from the interface crate's messages, shown
//! in plain words before anything is signed; `list`, `show`, `vote` and `execute` read and drive
//! DAO DAO's proposal module.
//!
//! Guards a member's client applies (the DAO itself executes whatever passes):
//! - a proposal's messages may only target the deployment's own contracts (or pay from the
//!   treasury), and a migration only to a code id the deployment stored;
//! - `vote yes` on a proposal that breaks either rule is refused (say `no`, or `--force`), so a
//!   member never approves a message it was not shown in plain words.

use bithive_chain_client::ChainClient;

use crate::chain_args::ChainArgs;
use bithive_deploy_plan::gov::{check_execute, explain, explain_json, Explained};
use bithive_deploy_plan::{Deployment, Role};
use bithive_interface::dao::{
    self, core::ProposalModule, pre_propose_single, proposal_single,
    proposal_single::ProposalCreationPolicy,
};
use bithive_interface::{rewards, staking};
use clap::{Args, Subcommand, ValueEnum};
use cosmwasm_std::{BankMsg, Coin, CosmosMsg, Decimal, Uint128, WasmMsg};
use serde_json::{json, Value};

/// Why a governance command stopped.
#[derive(Debug, thiserror::Error)]
pub enum GovError {
    /// The deployment has no DAO.
    #[error("the deployment has no DAO (deploy with --dao FILE): its deployer governs it")]
    NoDao,
    /// An action that no proposal may carry.
    #[error("{0}")]
    Refused(String),
    /// A chain query or transaction failed.
    #[error("{what}: {source}")]
    Chain {
        /// What was being done.
        what: String,
        /// The chain client's error.
        #[source]
        source: bithive_chain_client::ChainError,
    },
}

fn chain(what: &str) -> impl Fn(bithive_chain_client::ChainError) -> GovError + '_ {
    move |source| GovError::Chain {
        what: what.to_string(),
        source,
    }
}

/// A contract of the deployment a proposal may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Staking.
    Staking,
    /// Rewards.
    Rewards,
    /// Attestation.
    Attestation,
    /// PayFi escrow.
    PayfiEscrow,
    /// Model registry.
    ModelRegistry,
    /// Data vault.
    DataVault,
    /// Asset NFT.
    AssetNft,
    /// Fractional vault.
    Fractional,
    /// Emission.
    Emission,
    /// Vesting.
    Vesting,
    /// ICS-20.
    Ics20,
    /// ICS-721 (asset NFTs over IBC).
    Ics721,
}

impl Target {
    /// The deployment's role.
    pub fn role(self) -> Role {
        match self {
            Target::Staking => Role::Staking,
            Target::Rewards => Role::Rewards,
            Target::Attestation => Role::Attestation,
            Target::PayfiEscrow => Role::PayfiEscrow,
            Target::ModelRegistry => Role::ModelRegistry,
            Target::DataVault => Role::DataVault,
            Target::AssetNft => Role::AssetNft,
            Target::Fractional => Role::Fractional,
            Target::Emission => Role::Emission,
            Target::Vesting => Role::Vesting,
            Target::Ics20 => Role::Ics20,
            Target::Ics721 => Role::Ics721,
        }
    }
}

/// What the treasury pays in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asset {
    /// BTT (cw20).
    Btt,
    /// BTK (cw20).
    Btk,
    /// A native denom.
    Native(String),
}

impl std::str::FromStr for Asset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "btt" => Asset::Btt,
            "btk" => Asset::Btk,
            _ if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '/') => {
                Asset::Native(s.to_string())
            }
            _ => return Err(format!("{s:?}: btt, btk or a native denom")),
        })
    }
}

/// A typed BitHive action a proposal carries.
#[derive(Clone, Debug, PartialEq, Subcommand)]
pub enum Action {
    /// Set one field of a contract's `update_config` (e.g. staking fraud_slash 0.2)
    SetParam {
        /// The contract
        #[arg(long, value_enum)]
        contract: Target,
        /// The `update_config` field
        #[arg(long)]
        param: String,
        /// Its value: JSON (a number, "text", null) or plain text
        #[arg(long)]
        value: String,
    },
    /// Point the escrow at the deployment's model registry (jobs must name a registered model)
    LinkRegistry,
    /// Set a node's compliance level M in [0, 1] on staking (0 withdraws it: the node leaves
    /// the set allowed to serve)
    SetCompliance {
        /// The node's account
        #[arg(long)]
        node: String,
        /// The level
        #[arg(long)]
        level: Decimal,
    },
    /// Set an app-pool developer's weight on rewards (0 removes it)
    SetDeveloper {
        /// The developer's account
        #[arg(long)]
        developer: String,
        /// Its weight
        #[arg(long)]
        weight: Uint128,
    },
    /// Migrate a contract to a code id the deployment stored
    Migrate {
        /// The contract
        #[arg(long, value_enum)]
        contract: Target,
        /// The code id (one of deployment.json's codes)
        #[arg(long)]
        code_id: u64,
        /// The migrate message (JSON)
        #[arg(long, default_value = "{}")]
        msg: String,
    },
    /// Pay from the DAO's treasury
    Spend {
        /// The recipient
        #[arg(long)]
        to: String,
        /// Amount in base units
        #[arg(long)]
        amount: Uint128,
        /// btt, btk or a native denom
        #[arg(long)]
        asset: Asset,
    },
}

/// A parameter's value as typed on the command line: JSON where it is JSON (an integer, a
/// "string", null, an object), except that a number with a fraction is a decimal, which
/// CosmWasm writes as a string ("0.2"); plain text otherwise.
fn param_value(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(n)) if !(n.is_u64() || n.is_i64()) => Value::String(text.trim().into()),
        Ok(v) => v,
        Err(_) => Value::String(text.to_string()),
    }
}

/// A call of `contract` with `msg` and no funds, as a proposal carries it.
pub(crate) fn wasm_execute(contract: &str, msg: &Value) -> CosmosMsg {
    WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: cosmwasm_std::to_json_binary(msg).expect("JSON value"),
        funds: vec![],
    }
    .into()
}

impl Action {
    /// The message the DAO executes for this action on deployment `d`; refuses what no
    /// proposal may carry.
    pub fn to_msg(&self, d: &Deployment) -> Result<CosmosMsg, GovError> {
        let c = &d.contracts;
        let refuse = |m: String| Err(GovError::Refused(m));
        Ok(match self {
            Action::SetParam {
                contract,
                param,
                value,
            } => {
                let role = contract.role();
                let value = param_value(value);
                let msg = json!({ "update_config": { param.as_str(): value } });
                // The field must survive the contract's own parsing: a field it does not have
                // would be dropped silently and the proposal would change nothing.
                let read = check_execute(role, &msg);
                if read
                    .as_ref()
                    .map(|r| r["update_config"].get(param.as_str()))
                    != Ok(Some(&value))
                {
                    let why = read.err().map(|e| format!(": {e}")).unwrap_or_default();
                    return refuse(format!(
                        "{}'s update_config has no field {param} taking {value}{why}",
                        role.label()
                    ));
                }
                wasm_execute(c.get(role), &msg)
            }
            Action::LinkRegistry => {
                let msg = json!({ "update_config": { "model_registry": c.model_registry } });
                check_execute(Role::PayfiEscrow, &msg).map_err(GovError::Refused)?;
                wasm_execute(&c.payfi_escrow, &msg)
            }
            Action::SetCompliance { node, level } => {
                if *level > Decimal::one() {
                    return refuse(format!("compliance level {level}: must be in [0, 1]"));
                }
                let msg = serde_json::to_value(staking::ExecuteMsg::SetCompliance {
                    node: node.clone(),
                    level: *level,
                })
                .expect("JSON");
                wasm_execute(&c.staking, &msg)
            }
            Action::SetDeveloper { developer, weight } => {
                let msg = serde_json::to_value(rewards::ExecuteMsg::SetDeveloper {
                    developer: developer.clone(),
                    weight: *weight,
                })
                .expect("JSON");
                wasm_execute(&c.rewards, &msg)
            }
            Action::Migrate {
                contract,
                code_id,
                msg,
            } => {
                let role = contract.role();
                let kind = d
                    .codes
                    .iter()
                    .find(|(_, code)| code.code_id == *code_id)
                    .map(|(kind, _)| kind.as_str());
                match kind {
                    None => {
                        return refuse(format!(
                            "code {code_id} is not one of the deployment's stored codes: a \
                             migration may only run code the deployment checked against \
                             artifacts/checksums.txt"
                        ))
                    }
                    Some(k) if k != role.artifact().kind() => {
                        return refuse(format!(
                            "code {code_id} is the deployment's {k}, not {}'s own code ({})",
                            role.label(),
                            role.artifact().kind()
                        ))
                    }
                    Some(_) => {}
                }
                let msg: Value = serde_json::from_str(msg)
                    .map_err(|e| GovError::Refused(format!("the migrate message: {e}")))?;
                WasmMsg::Migrate {
                    contract_addr: c.get(role).to_string(),
                    new_code_id: *code_id,
                    msg: cosmwasm_std::to_json_binary(&msg).expect("JSON value"),
                }
                .into()
            }
            Action::Spend { to, amount, asset } => {
                if amount.is_zero() {
                    return refuse("a payment of 0".into());
                }
                match asset {
                    Asset::Btt | Asset::Btk => {
                        let token = if *asset == Asset::Btt { &c.btt } else { &c.btk };
                        let msg = serde_json::to_value(cw20::Cw20ExecuteMsg::Transfer {
                            recipient: to.clone(),
                            amount: *amount,
                        })
                        .expect("JSON");
                        wasm_execute(token, &msg)
                    }
                    Asset::Native(denom) => BankMsg::Send {
                        to_address: to.clone(),
                        amount: vec![Coin::new(*amount, denom)],
                    }
                    .into(),
                }
            }
        })
    }
}

/// A proposal as `bithive gov` reads it: its messages as JSON, so that one with a message kind
/// this client cannot build still lists and shows (with an objection, `explain_json`).
pub type Proposal = proposal_single::ProposalResponse<Value>;

/// The DAO's contracts a member talks to, found from the core as any client would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dao {
    /// dao-dao-core: the DAO.
    pub core: String,
    /// dao-proposal-single.
    pub proposals: String,
    /// dao-pre-propose-single: where proposals are submitted.
    pub pre_propose: String,
}

impl Dao {
    /// Finds the DAO of deployment `d`.
    pub async fn of(client: &ChainClient, d: &Deployment) -> Result<Dao, GovError> {
        if d.contracts.dao.is_empty() {
            return Err(GovError::NoDao);
        }
        let core = d.contracts.dao.clone();
        let modules: Vec<ProposalModule> = client
            .query_typed(
                &core,
                &dao::core::QueryMsg::ProposalModules {
                    start_after: None,
                    limit: None,
                },
            )
            .await
            .map_err(chain("the DAO's proposal modules"))?;
        let proposals = modules
            .into_iter()
            .find(|m| m.status == dao::core::ProposalModuleStatus::Enabled)
            .ok_or_else(|| GovError::Refused("the DAO has no enabled proposal module".into()))?
            .address;
        let policy: ProposalCreationPolicy = client
            .query_typed(
                &proposals,
                &proposal_single::QueryMsg::ProposalCreationPolicy {},
            )
            .await
            .map_err(chain("the proposal creation policy"))?;
        let pre_propose = match policy {
            ProposalCreationPolicy::Module { addr } => addr,
            ProposalCreationPolicy::Anyone {} => {
                return Err(GovError::Refused(
                    "this DAO lets anyone propose (no pre-propose module): not a DAO `bithive \
                     deploy` installed"
                        .into(),
                ))
            }
        };
        Ok(Dao {
            core,
            proposals,
            pre_propose,
        })
    }

    /// `member` submits a proposal of `msgs`; its id.
    pub async fn propose(
        &self,
        member: &ChainClient,
        title: &str,
        description: &str,
        msgs: Vec<CosmosMsg>,
    ) -> Result<u64, GovError> {
        self.submit(member, title, description, msgs, None).await
    }

    /// [`Dao::propose`], with the proposer's own vote cast in the same transaction.
    async fn submit(
        &self,
        member: &ChainClient,
        title: &str,
        description: &str,
        msgs: Vec<CosmosMsg>,
        vote: Option<pre_propose_single::AutoVote>,
    ) -> Result<u64, GovError> {
        let msg = pre_propose_single::ExecuteMsg::Propose {
            msg: pre_propose_single::ProposeMessage::Propose {
                title: title.into(),
                description: description.into(),
                msgs,
                vote,
            },
        };
        let out = member
            .execute_batch(&[(self.pre_propose.clone(), to_value(&msg))])
            .await
            .map_err(chain("propose"))?;
        out.attr("wasm", "proposal_id")
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| GovError::Refused("the proposal module named no proposal_id".into()))
    }

    /// `member` votes on proposal `id`.
    pub async fn vote(
        &self,
        member: &ChainClient,
        id: u64,
        vote: proposal_single::Vote,
    ) -> Result<(), GovError> {
        let msg = proposal_single::ExecuteMsg::Vote {
            proposal_id: id,
            vote,
            rationale: None,
        };
        member
            .execute_batch(&[(self.proposals.clone(), to_value(&msg))])
            .await
            .map_err(chain("vote"))?;
        Ok(())
    }

    /// `member` executes passed proposal `id` (the DAO sends its messages).
    pub async fn execute(&self, member: &ChainClient, id: u64) -> Result<(), GovError> {
        let msg = proposal_single::ExecuteMsg::Execute { proposal_id: id };
        member
            .execute_batch(&[(self.proposals.clone(), to_value(&msg))])
            .await
            .map_err(chain("execute"))?;
        Ok(())
    }

    /// Proposal `id`.
    pub async fn proposal(&self, client: &ChainClient, id: u64) -> Result<Proposal, GovError> {
        client
            .query_typed(
                &self.proposals,
                &proposal_single::QueryMsg::Proposal { proposal_id: id },
            )
            .await
            .map_err(chain("the proposal"))
    }

    /// The newest proposals first, at most `limit`.
    pub async fn newest(
        &self,
        client: &ChainClient,
        limit: u64,
    ) -> Result<Vec<Proposal>, GovError> {
        let r: proposal_single::ProposalListResponse<Value> = client
            .query_typed(
                &self.proposals,
                &proposal_single::QueryMsg::ReverseProposals {
                    start_before: None,
                    limit: Some(limit),
                },
            )
            .await
            .map_err(chain("the proposals"))?;
        Ok(r.proposals)
    }

    /// Proposes, has `voters` vote yes and the last of them execute: governance in one call, for
    /// the demo and tests. Every step is a member's own signed transaction, in as few as DAO DAO
    /// allows: the proposer's yes goes with its proposal, and the last voter votes and executes
    /// in one transaction.
    pub async fn pass(
        &self,
        voters: &[&ChainClient],
        title: &str,
        msgs: Vec<CosmosMsg>,
    ) -> Result<u64, GovError> {
        let (proposer, others) = voters
            .split_first()
            .ok_or_else(|| GovError::Refused("no member to propose".into()))?;
        let id = self
            .submit(
                proposer,
                title,
                title,
                msgs,
                Some(pre_propose_single::AutoVote {
                    vote: proposal_single::Vote::Yes,
                    rationale: None,
                }),
            )
            .await?;
        let Some((last, middle)) = others.split_last() else {
            self.execute(proposer, id).await?;
            return Ok(id);
        };
        for v in middle {
            self.vote(v, id, proposal_single::Vote::Yes).await?;
        }
        let vote = proposal_single::ExecuteMsg::Vote {
            proposal_id: id,
            vote: proposal_single::Vote::Yes,
            rationale: None,
        };
        let execute = proposal_single::ExecuteMsg::Execute { proposal_id: id };
        last.execute_batch(&[
            (self.proposals.clone(), to_value(&vote)),
            (self.proposals.clone(), to_value(&execute)),
        ])
        .await
        .map_err(chain("vote and execute"))?;
        Ok(id)
    }
}

fn to_value<M: serde::Serialize>(msg: &M) -> Value {
    serde_json::to_value(msg).expect("messages serialise")
}

/// The status of a proposal in plain words.
pub fn status_words(s: &proposal_single::Status) -> String {
    use proposal_single::Status as S;
    match s {
        S::Open => "open".into(),
        S::Rejected => "rejected".into(),
        S::Passed => "passed (may be executed)".into(),
        S::Executed => "executed".into(),
        S::Closed => "closed".into(),
        S::ExecutionFailed => "execution failed".into(),
        S::VetoTimelock { .. } => "in its veto window".into(),
        S::Vetoed => "vetoed".into(),
    }
}

/// One proposal in plain words: id, status, tally, expiry and each message.
pub fn describe(p: &Proposal, d: &Deployment) -> String {
    let q = &p.proposal;
    let mut out = format!(
        "proposal {}: {}\n  status: {}\n  votes: yes {} / no {} / abstain {} of {} total weight\n  \
         voting ends: {}\n  proposed by {}\n",
        p.id,
        q.title,
        status_words(&q.status),
        q.votes.yes,
        q.votes.no,
        q.votes.abstain,
        q.total_power,
        expiration_words(&q.expiration),
        q.proposer
    );
    for (i, m) in q.msgs.iter().enumerate() {
        let e = explain_json(m, d);
        out.push_str(&format!("  {}. {}\n", i + 1, e.words));
        if let Some(o) = e.objection {
            out.push_str(&format!("     WARNING: {o}\n"));
        }
    }
    out
}

fn expiration_words(e: &dao::Expiration) -> String {
    match e {
        dao::Expiration::AtHeight(h) => format!("at height {h}"),
        dao::Expiration::AtTime(t) => format!("at unix time {}", t.seconds()),
        dao::Expiration::Never {} => "never".into(),
    }
}

/// `bithive gov`.
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Propose a typed action (shown in plain words before it is signed); members only
    Propose(Box<ProposeArgs>),
    /// The newest proposals with status and tally
    List(ListArgs),
    /// One proposal: status, tally, time left and its actions in plain words
    Show(ShowArgs),
    /// Vote on a proposal (yes is refused on a proposal that calls outside the deployment or
    /// migrates to a code it did not store, unless --force)
    Vote(VoteArgs),
    /// Execute a passed proposal: the DAO sends its messages
    Execute(ShowArgs),
}

/// `bithive gov propose`.
#[derive(Debug, Args)]
pub struct ProposeArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The proposal's title
    #[arg(long)]
    pub title: String,
    /// What it is for [default: the action in plain words]
    #[arg(long)]
    pub description: Option<String>,
    /// Print the proposal in plain words and stop: nothing is signed
    #[arg(long)]
    pub dry_run: bool,
    /// The action
    #[command(subcommand)]
    pub action: Action,
}

/// `bithive gov list`.
#[derive(Clone, Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// How many
    #[arg(long, default_value_t = 20)]
    pub limit: u64,
}

/// `bithive gov show` / `execute`.
#[derive(Clone, Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The proposal id
    pub id: u64,
}

/// How a member votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Position {
    /// For
    Yes,
    /// Against
    No,
    /// Counted, neither for nor against
    Abstain,
}

/// `bithive gov vote`.
#[derive(Clone, Debug, Args)]
pub struct VoteArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The proposal id
    pub id: u64,
    /// yes, no or abstain
    #[arg(value_enum)]
    pub position: Position,
    /// Vote yes even on a proposal this client objects to
    #[arg(long)]
    pub force: bool,
}

/// Refuses a yes vote on a proposal with an objection, unless forced.
pub fn check_yes(p: &Proposal, d: &Deployment, force: bool) -> Result<(), GovError> {
    let objections: Vec<String> = p
        .proposal
        .msgs
        .iter()
        .filter_map(|m| explain_json(m, d).objection)
        .collect();
    if objections.is_empty() || force {
        return Ok(());
    }
    Err(GovError::Refused(format!(
        "not voting yes on proposal {}: {} (vote no, or --force)",
        p.id,
        objections.join("; ")
    )))
}

impl From<Position> for proposal_single::Vote {
    fn from(p: Position) -> Self {
        match p {
            Position::Yes => proposal_single::Vote::Yes,
            Position::No => proposal_single::Vote::No,
            Position::Abstain => proposal_single::Vote::Abstain,
        }
    }
}

/// Runs a `bithive gov` command.
pub fn run(cmd: &GovCommand) -> anyhow::Result<()> {
    let chain_args = match cmd {
        GovCommand::Propose(a) => &a.chain,
        GovCommand::List(a) => &a.chain,
        GovCommand::Show(a) | GovCommand::Execute(a) => &a.chain,
        GovCommand::Vote(a) => &a.chain,
    };
    let d = chain_args.deployment()?;
    // Plain words of the action before anything is signed (a dry run stops there).
    if let GovCommand::Propose(a) = cmd {
        let msg = a.action.to_msg(&d)?;
        let e = explain(&msg, &d);
        // With --json, stdout holds only the JSON; the words still come first, on stderr.
        let words = format!("proposal: {}\n  1. {}", a.title, e.words);
        if a.chain.json {
            eprintln!("{words}");
        } else {
            println!("{words}");
        }
        if let Some(o) = &e.objection {
            anyhow::bail!("refused: {o}");
        }
        if a.dry_run {
            return Ok(());
        }
    }
    let client = chain_args.client(
        &d,
        matches!(cmd, GovCommand::List(_) | GovCommand::Show(_)),
        "a member's key signs this",
    )?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let dao = Dao::of(&client, &d).await?;
        match cmd {
            GovCommand::Propose(a) => {
                let msg = a.action.to_msg(&d)?;
                let description = a
                    .description
                    .clone()
                    .unwrap_or_else(|| explain(&msg, &d).words);
                let id = dao.propose(&client, &a.title, &description, vec![msg]).await?;
                print(chain_args.json, json!({ "proposal_id": id }), &format!("proposal {id} submitted: members vote with `bithive gov vote {id} yes|no|abstain`"));
            }
            GovCommand::List(a) => {
                let list = dao.newest(&client, a.limit).await?;
                if chain_args.json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else if list.is_empty() {
                    println!("no proposals yet");
                } else {
                    for p in &list {
                        println!(
                            "{:>4}  {:<26} yes {} / no {} of {}  {}",
                            p.id,
                            status_words(&p.proposal.status),
                            p.proposal.votes.yes,
                            p.proposal.votes.no,
                            p.proposal.total_power,
                            p.proposal.title
                        );
                    }
                }
            }
            GovCommand::Show(a) => {
                let p = dao.proposal(&client, a.id).await?;
                if chain_args.json {
                    let explained: Vec<Explained> =
                        p.proposal.msgs.iter().map(|m| explain_json(m, &d)).collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({ "proposal": p, "explained": explained }))?
                    );
                } else {
                    print!("{}", describe(&p, &d));
                }
            }
            GovCommand::Vote(a) => {
                let p = dao.proposal(&client, a.id).await?;
                if !chain_args.json {
                    print!("{}", describe(&p, &d));
                }
                if a.position == Position::Yes {
                    check_yes(&p, &d, a.force)?;
                }
                dao.vote(&client, a.id, a.position.into()).await?;
                let p = dao.proposal(&client, a.id).await?;
                print(chain_args.json, json!({ "proposal": p }), &format!("voted; proposal {} is {}", a.id, status_words(&p.proposal.status)));
            }
            GovCommand::Execute(a) => {
                dao.execute(&client, a.id).await?;
                let p = dao.proposal(&client, a.id).await?;
                print(chain_args.json, json!({ "proposal": p }), &format!("proposal {} is {}", a.id, status_words(&p.proposal.status)));
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}

fn print(json: bool, value: Value, words: &str) {
    if json {
        println!("{value}");
    } else {
        println!("{words}");
    }
}
