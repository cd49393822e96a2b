//! Entry points.

use bithive_interface::payfi_escrow::events as ev;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Reply, Response, SubMsgResult};

use crate::error::{ContractError, ContractResult};
use crate::execute::{admin, channel, escrow, job, receive_cw20};
use crate::funds::native_payment;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, ADR36_V1_UNTIL, CHANNEL_SEQ, CONFIG, REPORTERS};
use bithive_cw_common::funds::update_cw20_allowlist;

bithive_cw_common::contract_version!();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    admin::check_fee(msg.fee_bps)?;
    let config = Config {
        admin: match msg.admin {
            Some(a) => deps.api.addr_validate(&a)?,
            None => info.sender,
        },
        fee_bps: msg.fee_bps,
        fee_collector: deps.api.addr_validate(&msg.fee_collector)?,
        staking: msg
            .staking
            .map(|s| deps.api.addr_validate(&s))
            .transpose()?,
        job_dispute_seconds: admin::check_dispute_window(msg.job_dispute_seconds)?,
        // Set by `update_config` (the registry is deployed knowing the escrow's address).
        model_registry: None,
        // Likewise: rewards learns the escrow's address after both exist.
        rewards: None,
    };
    CONFIG.save(deps.storage, &config)?;
    // Every channel of this escrow is opened under the v2 voucher text.
    ADR36_V1_UNTIL.save(deps.storage, &0)?;
    update_cw20_allowlist(deps.storage, deps.api, &msg.cw20_allowlist, &[])?;
    for a in msg.reporters {
        REPORTERS.save(deps.storage, &deps.api.addr_validate(&a)?, &Empty {})?;
    }
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::INSTANTIATE)
        .add_attribute(ev::attr::ADMIN, config.admin)
        .add_attribute(ev::attr::FEE_BPS, config.fee_bps.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::Receive(m) => receive_cw20(deps, env, info, m),
        ExecuteMsg::CreateEscrow(m) => {
            let funds = native_payment(&info)?;
            escrow::create(deps, env, info.sender, funds, m)
        }
        ExecuteMsg::ReleaseMilestone {
            escrow_id,
            milestone,
        } => escrow::release(deps, info, escrow_id, milestone),
        ExecuteMsg::Refund { escrow_id } => escrow::refund(deps, env, escrow_id),
        ExecuteMsg::Dispute { escrow_id } => escrow::dispute(deps, info, escrow_id),
        ExecuteMsg::Resolve {
            escrow_id,
            payee_amount,
        } => escrow::resolve(deps, info, escrow_id, payee_amount),
        ExecuteMsg::OpenChannel(m) => {
            let funds = native_payment(&info)?;
            channel::open(deps, info.sender, funds, m)
        }
        ExecuteMsg::TopUpChannel { channel_id } => {
            let funds = native_payment(&info)?;
            channel::top_up(deps, info.sender, funds, channel_id)
        }
        ExecuteMsg::RedeemVoucher {
            channel_id,
            cumulative,
            signature,
            form,
        } => channel::redeem(
            deps,
            env,
            info,
            channel_id,
            cumulative,
            (signature, form.unwrap_or_default()),
        ),
        ExecuteMsg::RequestClose { channel_id } => {
            channel::request_close(deps, env, info, channel_id)
        }
        ExecuteMsg::FinalizeClose { channel_id } => {
            channel::finalize_close(deps, env, info, channel_id)
        }
        ExecuteMsg::PayeeClose { channel_id } => channel::payee_close(deps, info, channel_id),
        ExecuteMsg::CreateJob(m) => {
            let funds = native_payment(&info)?;
            job::create(deps, env, info.sender, funds, m)
        }
        ExecuteMsg::ClaimJob { job_id } => job::claim(deps, env, info, job_id),
        ExecuteMsg::ReportJob {
            job_id,
            node,
            tscore,
        } => job::report(deps, env, info, job_id, node, tscore),
        ExecuteMsg::FinalizeJob { job_id } => job::finalize(deps, env, job_id),
        ExecuteMsg::DisputeJob { job_id, reason } => job::dispute(deps, env, info, job_id, reason),
        ExecuteMsg::ResolveJobDispute { job_id, pay_node } => {
            job::resolve(deps, info, job_id, pay_node)
        }
        ExecuteMsg::RefundJob { job_id } => job::refund(deps, env, job_id),
        ExecuteMsg::UpdateConfig {
            fee_bps,
            fee_collector,
            staking,
            job_dispute_seconds,
            model_registry,
            rewards,
        } => admin::update_config(
            deps,
            info,
            fee_bps,
            fee_collector,
            (staking, job_dispute_seconds, model_registry, rewards),
        ),
        // Two steps (ADR 008): the admin proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.admin),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
        ExecuteMsg::UpdateCw20Allowlist { add, remove } => {
            admin::update_cw20(deps, info, add, remove)
        }
        ExecuteMsg::UpdateReporters { add, remove } => {
            admin::update_reporters(deps, info, add, remove)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    crate::query::query(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, msg: Reply) -> ContractResult {
    match (msg.id, msg.result) {
        // The payment stands; the registry's refusal is only reported.
        (job::RECORD_JOB_REPLY, SubMsgResult::Err(e)) => {
            Ok(Response::new().add_attribute(ev::attr::MODEL_RECORD_FAILED, e))
        }
        (job::RECORD_JOB_REPLY, SubMsgResult::Ok(_)) => Ok(Response::new()),
        // Likewise rewards' refusal of an outcome (a misconfigured `rewards`).
        (job::RECORD_OUTCOME_REPLY, SubMsgResult::Err(e)) => {
            Ok(Response::new().add_attribute(ev::attr::REWARDS_RECORD_FAILED, e))
        }
        (job::RECORD_OUTCOME_REPLY, SubMsgResult::Ok(_)) => Ok(Response::new()),
        _ => Err(ContractError::Invalid {
            field: "reply",
            reason: "unknown reply id",
        }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult {
    let response =
        bithive_cw_common::migrate::response(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    // Rewrites the config in the current shape: a config stored before `model_registry`
    // existed loads with `None` (serde default) and is saved with it.
    if let Some(config) = CONFIG.may_load(deps.storage)? {
        CONFIG.save(deps.storage, &config)?;
    }
    // From an escrow before the v2 voucher text: its channels so far keep taking the v1 text
    // their payers' wallets may have signed; every channel opened from now on takes v2 only.
    if ADR36_V1_UNTIL.may_load(deps.storage)?.is_none() {
        let last = CHANNEL_SEQ.may_load(deps.storage)?.unwrap_or(0);
        ADR36_V1_UNTIL.save(deps.storage, &last)?;
    }
    Ok(response)
}
