//! Compute-job escrow: paid to the job's bound node when an authorized reporter names it (after
//! a dispute window in which the payer may contest the result, when the config sets one),
//! refunded on expiry. A job's id is `<payer>/<payer's id>`, derived here, so a job id cannot be
//! front-run; its node is chosen by the payer or claimed by an eligible node before it works, so
//! nobody else can be paid for a job another node ran.

use bithive_interface::attestation::MATCHING_MODEL;
use bithive_interface::model_registry::{self, ModelRegistryContract};
use bithive_interface::payfi_escrow::events as ev;
use bithive_interface::payfi_escrow::{
    job_id as full_job_id, JobModel, MAX_DISPUTE_REASON_LEN, MAX_JOB_ID_LEN, OPEN_CLAIMS_PER_T,
};
use bithive_interface::rewards::{self, JobOutcome, RewardsContract};
use bithive_interface::staking::StakingContract;
use cosmwasm_std::{
    Addr, Decimal, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, SubMsg, Uint128,
};
use sha2::{Digest, Sha256};

use super::Res;
use crate::error::ContractError;
use crate::funds::{pay, split_fee};
use crate::msg::CreateJobMsg;
use crate::state::{
    AssetInfo, Config, Job, JobStatus, NodeOutcomes, ACCEPTED, CLAIM_SLOTS, CONFIG, JOBS,
    JOB_MODELS, NODE_OUTCOMES, OPEN_CLAIMS, REPORTERS,
};

/// Reply id of the best-effort `record_job` sent to the model registry when a job pays.
pub const RECORD_JOB_REPLY: u64 = 1;
/// Reply id of the best-effort `record_outcome` sent to rewards when a job bound to a node
/// settles.
pub const RECORD_OUTCOME_REPLY: u64 = 2;

fn validate_job_id(id: &str) -> Result<(), ContractError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    {
        return Err(ContractError::Invalid {
            field: "job_id",
            reason: "1 to 64 of A-Z a-z 0-9 - _ . :",
        });
    }
    Ok(())
}

pub const MAX_MODEL_LEN: usize = 64;
pub const MAX_INPUT_BYTES: usize = 4096;

fn validate_spec(model: &str, input: &[u8]) -> Result<(), ContractError> {
    if model.is_empty()
        || model.len() > MAX_MODEL_LEN
        || !model.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        })
    {
        return Err(ContractError::Invalid {
            field: "model",
            reason: "1 to 64 of a-z 0-9 . _ - @",
        });
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(ContractError::Invalid {
            field: "input",
            reason: "at most 4096 bytes",
        });
    }
    Ok(())
}

fn describe(asset: &AssetInfo) -> String {
    match asset {
        AssetInfo::Native(d) => format!("native:{d}"),
        AssetInfo::Cw20(a) => format!("cw20:{a}"),
    }
}

/// Issue #23: the registered model a job's `model` names, checked and snapshotted: it exists,
/// is not deprecated, and the deposit is in the price asset and covers the price after the fee
/// (the fee is taken on the whole deposit, the owner's price from the rest).
fn registered_model(
    deps: &DepsMut,
    registry: &Addr,
    model: &str,
    (asset, amount): (&AssetInfo, Uint128),
    fee_bps: u16,
) -> Result<JobModel, ContractError> {
    let found: model_registry::ModelResponse = ModelRegistryContract(registry.clone())
        .resolve(&deps.querier, model)?
        .ok_or_else(|| ContractError::UnknownModel {
            model: model.to_string(),
        })?;
    if found.model.deprecated {
        return Err(ContractError::ModelDeprecated {
            model: model.to_string(),
            model_id: found.model.id,
        });
    }
    if found.price_asset != *asset {
        return Err(ContractError::WrongAsset {
            expected: describe(&found.price_asset),
        });
    }
    let (net, fee) = split_fee(amount, fee_bps)?;
    if net < found.model.price {
        return Err(ContractError::Underfunded {
            amount: amount.to_string(),
            fee: fee.to_string(),
            price: found.model.price.to_string(),
        });
    }
    Ok(JobModel {
        registry: registry.clone(),
        model_id: found.model.id,
        owner: found.model.owner,
        price: found.model.price,
        tscore: None,
        units: found.model.run_cost.unwrap_or_default(),
    })
}

fn load(deps: &DepsMut, job_id: &str) -> Result<Job, ContractError> {
    JOBS.may_load(deps.storage, job_id)?
        .ok_or_else(|| ContractError::JobNotFound {
            job_id: job_id.to_string(),
        })
}

/// A job still open and not expired: what a claim and a report need.
fn load_open(deps: &DepsMut, env: &Env, job_id: &str) -> Result<Job, ContractError> {
    let job = load(deps, job_id)?;
    if job.status != JobStatus::Open {
        return Err(ContractError::JobSettled {
            job_id: job_id.to_string(),
        });
    }
    if env.block.time >= job.expires_at {
        return Err(ContractError::Expired {
            at: job.expires_at.to_string(),
        });
    }
    Ok(job)
}

pub fn create(
    deps: DepsMut,
    env: Env,
    payer: Addr,
    (asset, amount): (AssetInfo, Uint128),
    msg: CreateJobMsg,
) -> Res {
    validate_job_id(&msg.job_id)?;
    // Issue #20: ids are scoped to the payer, so nobody can take a payer's id first.
    let job_id = full_job_id(payer.as_str(), &msg.job_id);
    if job_id.len() > MAX_JOB_ID_LEN {
        return Err(ContractError::Invalid {
            field: "job_id",
            reason: "payer address, '/' and job id: at most 128 bytes",
        });
    }
    validate_spec(&msg.model, msg.input.as_slice())?;
    if amount.is_zero() {
        return Err(ContractError::Invalid {
            field: "amount",
            reason: "must be positive",
        });
    }
    if msg.expires_at <= env.block.time {
        return Err(ContractError::Invalid {
            field: "expires_at",
            reason: "must be in the future",
        });
    }
    if JOBS.has(deps.storage, &job_id) {
        return Err(ContractError::JobExists { job_id });
    }
    let node = msg.node.map(|n| deps.api.addr_validate(&n)).transpose()?;
    let config = CONFIG.load(deps.storage)?;
    let registered = match &config.model_registry {
        // A research request is matched by the matching node, not run as a model: it has no
        // registry entry, owner or price (the payer prices it; the node it names is paid).
        Some(_) if msg.model == MATCHING_MODEL => None,
        None => None,
        Some(r) => Some(registered_model(
            &deps,
            r,
            &msg.model,
            (&asset, amount),
            config.fee_bps,
        )?),
    };
    let input_hash = HexBinary::from(Sha256::digest(msg.input.as_slice()).as_slice()).to_hex();
    let job = Job {
        job_id: job_id.clone(),
        model: msg.model,
        input: msg.input,
        input_hash,
        payer: payer.clone(),
        asset,
        amount,
        fee_bps: config.fee_bps,
        expires_at: msg.expires_at,
        status: JobStatus::Open,
        node,
    };
    JOBS.save(deps.storage, &job_id, &job)?;
    if let Some(m) = &registered {
        JOB_MODELS.save(deps.storage, &job_id, m)?;
    }
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::CREATE_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::PAYER, payer)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::MODEL, job.model)
        .add_attribute(ev::attr::INPUT_HASH, job.input_hash);
    if let Some(n) = job.node {
        res = res.add_attribute(ev::attr::NODE, n);
    }
    if let Some(m) = registered {
        res = res
            .add_attribute(ev::attr::MODEL_ID, m.model_id.to_string())
            .add_attribute(ev::attr::MODEL_OWNER, m.owner)
            .add_attribute(ev::attr::MODEL_PRICE, m.price);
    }
    Ok(res)
}

/// The sender binds an open, unbound job to itself, or accepts one its payer bound to it. It
/// must be a staking node eligible to earn, so a claim costs a pledge (sybil accounts cannot
/// hoard jobs), it may hold at most `OPEN_CLAIMS_PER_T` accepted, unreported jobs per T of its
/// registered capacity (a pledged node cannot hoard them either), and the first claim wins. Accepting is what makes an expired job count against
/// the node (`node_outcomes`): anyone can bind a job to any node, so an unaccepted one cannot.
pub fn claim(deps: DepsMut, env: Env, info: MessageInfo, job_id: String) -> Res {
    let staking = CONFIG
        .load(deps.storage)?
        .staking
        .ok_or(ContractError::NoStaking)?;
    let mut job = load_open(&deps, &env, &job_id)?;
    if let Some(node) = job.node {
        if node != info.sender || ACCEPTED.has(deps.storage, &job_id) {
            return Err(ContractError::JobClaimed {
                job_id,
                node: node.into(),
            });
        }
    }
    let status = StakingContract(staking).pledge_status(&deps.querier, info.sender.as_str())?;
    if !status.registered || !status.eligible {
        return Err(ContractError::NotEligibleNode(info.sender.into()));
    }
    let max = status.capacity_t.max(1).saturating_mul(OPEN_CLAIMS_PER_T);
    let open = OPEN_CLAIMS
        .may_load(deps.storage, &info.sender)?
        .unwrap_or(0);
    if open >= max {
        return Err(ContractError::TooManyOpenClaims {
            node: info.sender.into(),
            open,
            max,
        });
    }
    OPEN_CLAIMS.save(deps.storage, &info.sender, &(open + 1))?;
    CLAIM_SLOTS.save(deps.storage, &job_id, &Empty {})?;
    job.node = Some(info.sender.clone());
    JOBS.save(deps.storage, &job_id, &job)?;
    ACCEPTED.save(deps.storage, &job_id, &Empty {})?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::CLAIM_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::NODE, info.sender))
}

/// Reports are accepted strictly before expiry, refunds strictly from expiry on: the two can
/// never both apply.
pub fn report(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: String,
    node: String,
    tscore: Option<Decimal>,
) -> Res {
    if !REPORTERS.has(deps.storage, &info.sender) {
        return Err(ContractError::Unauthorized { role: "reporter" });
    }
    let mut job = load_open(&deps, &env, &job_id)?;
    let node = deps.api.addr_validate(&node)?;
    match &job.node {
        None => return Err(ContractError::JobNotClaimed { job_id }),
        Some(bound) if *bound != node => {
            return Err(ContractError::NotJobNode {
                job_id,
                bound: bound.to_string(),
                node: node.into(),
            })
        }
        Some(_) => {}
    }
    // The job leaves Open: its node's claim slot is free again.
    release_claim(deps.storage, &job_id, &node)?;
    let config = CONFIG.load(deps.storage)?;
    let window = config.job_dispute_seconds;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::REPORT_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id.clone())
        .add_attribute(ev::attr::NODE, node.clone());
    // The attested Tscore goes to the model's record when the job pays (registered models).
    if let Some(t) = tscore {
        if t > Decimal::one() {
            return Err(ContractError::Invalid {
                field: "tscore",
                reason: "in [0, 1]",
            });
        }
        if let Some(mut m) = JOB_MODELS.may_load(deps.storage, &job_id)? {
            m.tscore = Some(t);
            JOB_MODELS.save(deps.storage, &job_id, &m)?;
        }
        res = res.add_attribute(ev::attr::TSCORE, t.to_string());
    }
    if window == 0 {
        return pay_node(deps, &config, job, node, res);
    }
    let until = env.block.time.plus_seconds(window);
    job.status = JobStatus::Reported {
        node,
        disputable_until: until,
    };
    JOBS.save(deps.storage, &job_id, &job)?;
    Ok(res.add_attribute(ev::attr::DISPUTABLE_UNTIL, until.seconds().to_string()))
}

/// Pays the job and marks it paid: the one place a job pays, reached only from a non-final
/// status, so each payout happens once. The fee is taken on the whole deposit; a registered
/// model's owner gets its snapshotted price from the rest (creation checked it fits); the node
/// gets what is left. The registry is then told, best effort: a failing record is reported in
/// `model_record_failed` and never blocks the payment. So is rewards, of the paid job and its
/// served units (ADR 007), when the job paid a fee.
fn pay_node(deps: DepsMut, config: &Config, mut job: Job, node: Addr, mut res: Response) -> Res {
    let (net, fee) = split_fee(job.amount, job.fee_bps)?;
    let registered = JOB_MODELS.may_load(deps.storage, &job.job_id)?;
    let owner_price = registered.as_ref().map_or(Uint128::zero(), |m| m.price);
    let to_node = net.checked_sub(owner_price)?;
    let mut msgs = vec![pay(&job.asset, &node, to_node)?];
    if let Some(m) = &registered {
        msgs.push(pay(&job.asset, &m.owner, m.price)?);
        res = res
            .add_attribute(ev::attr::MODEL_OWNER, m.owner.clone())
            .add_attribute(ev::attr::OWNER_PAID, m.price);
    }
    msgs.push(pay(&job.asset, &config.fee_collector, fee)?);
    // Paid before the records are sent: nothing the registry or rewards does can see an unpaid
    // job. A job too small to pay a fee costs a self-dealer nothing, so it does not count and
    // earns no units (ADR 007).
    let units = registered.as_ref().map_or(Uint128::zero(), |m| m.units);
    let told = if fee.is_zero() {
        None
    } else {
        count(deps.storage, config, &node, JobOutcome::Paid { units, fee })?
    };
    job.status = JobStatus::Paid { node };
    JOBS.save(deps.storage, &job.job_id, &job)?;
    res = res
        .add_messages(msgs.into_iter().flatten())
        .add_attribute(ev::attr::PAID, to_node)
        .add_attribute(ev::attr::FEE, fee);
    if told.is_some() && !units.is_zero() {
        res = res.add_attribute(ev::attr::SERVED_UNITS, units);
    }
    if let Some(m) = registered {
        let record =
            ModelRegistryContract(m.registry).call(model_registry::ExecuteMsg::RecordJob {
                model_id: m.model_id,
                job_id: job.job_id,
                tscore: m.tscore,
            })?;
        res = res.add_submessage(SubMsg::reply_on_error(record, RECORD_JOB_REPLY));
    }
    Ok(res.add_submessages(told))
}

/// Anyone, after the window: an undisputed report pays its node.
pub fn finalize(deps: DepsMut, env: Env, job_id: String) -> Res {
    let job = load(&deps, &job_id)?;
    let JobStatus::Reported {
        node,
        disputable_until,
    } = job.status.clone()
    else {
        return Err(ContractError::JobNotReported { job_id });
    };
    if env.block.time < disputable_until {
        return Err(ContractError::DisputeWindowOpen {
            job_id,
            until: disputable_until.to_string(),
        });
    }
    let res = Response::new()
        .add_attribute(ev::ACTION, ev::FINALIZE_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::NODE, node.clone());
    let config = CONFIG.load(deps.storage)?;
    pay_node(deps, &config, job, node, res)
}

/// The payer, inside the window: holds the payment for the admin to resolve.
pub fn dispute(deps: DepsMut, env: Env, info: MessageInfo, job_id: String, reason: String) -> Res {
    let mut job = load(&deps, &job_id)?;
    if info.sender != job.payer {
        return Err(ContractError::Unauthorized { role: "job payer" });
    }
    if reason.is_empty() || reason.len() > MAX_DISPUTE_REASON_LEN {
        return Err(ContractError::Invalid {
            field: "reason",
            reason: "1 to 256 bytes",
        });
    }
    let node = match &job.status {
        JobStatus::Reported {
            node,
            disputable_until,
        } if env.block.time < *disputable_until => node.clone(),
        _ => return Err(ContractError::NotDisputable { job_id }),
    };
    job.status = JobStatus::Disputed {
        node: node.clone(),
        reason: reason.clone(),
    };
    JOBS.save(deps.storage, &job_id, &job)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::DISPUTE_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::NODE, node)
        .add_attribute(ev::attr::REASON, reason))
}

/// Admin: a disputed job pays its node or refunds its payer (whole deposit, no fee).
pub fn resolve(deps: DepsMut, info: MessageInfo, job_id: String, pay_to_node: bool) -> Res {
    let config = CONFIG.load(deps.storage)?;
    if config.admin != info.sender {
        return Err(ContractError::Unauthorized { role: "admin" });
    }
    let mut job = load(&deps, &job_id)?;
    let JobStatus::Disputed { node, .. } = job.status.clone() else {
        return Err(ContractError::JobNotDisputed { job_id });
    };
    let res = Response::new()
        .add_attribute(ev::ACTION, ev::RESOLVE_JOB_DISPUTE)
        .add_attribute(ev::attr::JOB_ID, job_id.clone())
        .add_attribute(ev::attr::NODE, node.clone());
    if pay_to_node {
        return pay_node(deps, &config, job, node, res);
    }
    let told = count(deps.storage, &config, &node, JobOutcome::DisputedLost {})?;
    job.status = JobStatus::Refunded;
    JOBS.save(deps.storage, &job_id, &job)?;
    Ok(res
        .add_submessages(told)
        .add_messages(pay(&job.asset, &job.payer, job.amount)?)
        .add_attribute(ev::attr::REFUNDED, job.amount))
}

pub fn refund(deps: DepsMut, env: Env, job_id: String) -> Res {
    let mut job = load(&deps, &job_id)?;
    if job.status != JobStatus::Open {
        return Err(ContractError::JobSettled { job_id });
    }
    if env.block.time < job.expires_at {
        return Err(ContractError::NotExpired {
            until: job.expires_at.to_string(),
        });
    }
    // A job its node accepted and never got reported is that node's failure; one it never
    // accepted (anyone may bind a job to any node) or an unbound one is nobody's.
    let mut told = None;
    if let Some(node) = &job.node {
        release_claim(deps.storage, &job_id, node)?;
        if ACCEPTED.has(deps.storage, &job_id) {
            let config = CONFIG.load(deps.storage)?;
            told = count(deps.storage, &config, node, JobOutcome::Expired {})?;
        }
    }
    job.status = JobStatus::Refunded;
    JOBS.save(deps.storage, &job_id, &job)?;
    Ok(Response::new()
        .add_submessages(told)
        .add_messages(pay(&job.asset, &job.payer, job.amount)?)
        .add_attribute(ev::ACTION, ev::REFUND_JOB)
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::REFUNDED, job.amount))
}

/// A claimed job leaving Open (reported or refunded, each reached once from Open) frees its
/// node's claim slot; a job accepted before the count existed holds none and frees none.
fn release_claim(
    storage: &mut dyn cosmwasm_std::Storage,
    job_id: &str,
    node: &Addr,
) -> Result<(), ContractError> {
    if CLAIM_SLOTS.has(storage, job_id) {
        CLAIM_SLOTS.remove(storage, job_id);
        let open = OPEN_CLAIMS.may_load(storage, node)?.unwrap_or(0);
        OPEN_CLAIMS.save(storage, node, &open.saturating_sub(1))?;
    }
    Ok(())
}

/// Adds a settled job to `node`'s outcomes (`NodeOutcomes`) and, with `rewards` configured,
/// returns the message that tells rewards (ADR 007): best effort, a refusal is reported in
/// `rewards_record_failed` and never blocks the settlement.
fn count(
    storage: &mut dyn cosmwasm_std::Storage,
    config: &Config,
    node: &Addr,
    outcome: JobOutcome,
) -> Result<Option<SubMsg>, ContractError> {
    let mut o: NodeOutcomes = NODE_OUTCOMES.may_load(storage, node)?.unwrap_or_default();
    match outcome {
        JobOutcome::Paid { .. } => o.paid += 1,
        JobOutcome::Expired {} => o.expired += 1,
        JobOutcome::DisputedLost {} => o.disputed_lost += 1,
    }
    NODE_OUTCOMES.save(storage, node, &o)?;
    let Some(rewards) = &config.rewards else {
        return Ok(None);
    };
    let msg = RewardsContract(rewards.clone()).call(rewards::ExecuteMsg::RecordOutcome {
        node: node.to_string(),
        outcome,
    })?;
    Ok(Some(SubMsg::reply_on_error(msg, RECORD_OUTCOME_REPLY)))
}
