//! Milestone escrows with an optional arbiter (e.g. an insurer).

use bithive_cw_common::next_id;
use bithive_interface::payfi_escrow::events as ev;
use cosmwasm_std::{Addr, DepsMut, Empty, Env, MessageInfo, Response, Uint128};

use super::Res;
use crate::coding;
use crate::error::ContractError;
use crate::funds::{pay, pay_with_fee};
use crate::msg::CreateEscrowMsg;
use crate::state::{
    AssetInfo, Escrow, EscrowStatus, Milestone, CONFIG, ESCROWS, ESCROWS_BY_PAYEE,
    ESCROWS_BY_PAYER, ESCROWS_BY_REF, ESCROW_SEQ,
};

pub const MAX_MILESTONES: usize = 32;

fn load(deps: &DepsMut, id: u64) -> Result<Escrow, ContractError> {
    ESCROWS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::EscrowNotFound { id })
}

fn require_open(e: &Escrow) -> Result<(), ContractError> {
    match e.status {
        EscrowStatus::Open => Ok(()),
        EscrowStatus::Disputed => Err(ContractError::EscrowNotOpen {
            id: e.id,
            status: "disputed",
        }),
        EscrowStatus::Closed => Err(ContractError::EscrowNotOpen {
            id: e.id,
            status: "closed",
        }),
    }
}

fn remaining(e: &Escrow) -> Result<Uint128, ContractError> {
    Ok(e.total
        .checked_sub(e.paid_to_payee)?
        .checked_sub(e.fees_paid)?
        .checked_sub(e.refunded)?)
}

pub fn create(
    deps: DepsMut,
    env: Env,
    payer: Addr,
    (asset, amount): (AssetInfo, Uint128),
    msg: CreateEscrowMsg,
) -> Res {
    coding::validate(&msg.coding)?;
    if msg.milestones.is_empty() || msg.milestones.len() > MAX_MILESTONES {
        return Err(ContractError::Invalid {
            field: "milestones",
            reason: "1 to 32 milestones",
        });
    }
    if msg.milestones.iter().any(Uint128::is_zero) {
        return Err(ContractError::Invalid {
            field: "milestones",
            reason: "every milestone must be positive",
        });
    }
    let mut sum = Uint128::zero();
    for m in &msg.milestones {
        sum = sum.checked_add(*m)?;
    }
    if sum != amount {
        return Err(ContractError::MilestoneMismatch {
            milestones: sum.to_string(),
            deposited: amount.to_string(),
        });
    }
    if msg.expires_at <= env.block.time {
        return Err(ContractError::Invalid {
            field: "expires_at",
            reason: "must be in the future",
        });
    }
    let payee = deps.api.addr_validate(&msg.payee)?;
    let arbiter = msg
        .arbiter
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    if payee == payer || arbiter.as_ref().is_some_and(|a| *a == payer || *a == payee) {
        return Err(ContractError::Invalid {
            field: "parties",
            reason: "payer, payee and arbiter must differ",
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let id = next_id(deps.storage, &ESCROW_SEQ, "escrow id")?;
    let escrow = Escrow {
        id,
        payer: payer.clone(),
        payee: payee.clone(),
        arbiter,
        asset,
        total: amount,
        milestones: msg
            .milestones
            .into_iter()
            .map(|amount| Milestone {
                amount,
                released: false,
            })
            .collect(),
        expires_at: msg.expires_at,
        fee_bps: config.fee_bps,
        status: EscrowStatus::Open,
        paid_to_payee: Uint128::zero(),
        fees_paid: Uint128::zero(),
        refunded: Uint128::zero(),
        coding: msg.coding,
        created_at: env.block.time,
    };
    ESCROWS.save(deps.storage, id, &escrow)?;
    ESCROWS_BY_PAYER.save(deps.storage, (&payer, id), &Empty {})?;
    ESCROWS_BY_PAYEE.save(deps.storage, (&payee, id), &Empty {})?;
    ESCROWS_BY_REF.save(deps.storage, (&escrow.coding.invoice_ref, id), &Empty {})?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::CREATE_ESCROW)
        .add_attribute(ev::attr::ESCROW_ID, id.to_string())
        .add_attribute(ev::attr::PAYER, payer)
        .add_attribute(ev::attr::PAYEE, payee)
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(ev::attr::INVOICE_REF, escrow.coding.invoice_ref))
}

pub fn release(deps: DepsMut, info: MessageInfo, escrow_id: u64, index: u32) -> Res {
    let mut e = load(&deps, escrow_id)?;
    if info.sender != e.payer && Some(&info.sender) != e.arbiter.as_ref() {
        return Err(ContractError::Unauthorized {
            role: "payer or arbiter",
        });
    }
    require_open(&e)?;
    let m = e
        .milestones
        .get_mut(index as usize)
        .ok_or(ContractError::NoSuchMilestone { index })?;
    if m.released {
        return Err(ContractError::MilestoneReleased { index });
    }
    m.released = true;
    let gross = m.amount;
    let collector = CONFIG.load(deps.storage)?.fee_collector;
    let (msgs, net, fee) = pay_with_fee(&e.asset, &e.payee, &collector, gross, e.fee_bps)?;
    e.paid_to_payee = e.paid_to_payee.checked_add(net)?;
    e.fees_paid = e.fees_paid.checked_add(fee)?;
    if e.milestones.iter().all(|m| m.released) {
        e.status = EscrowStatus::Closed;
    }
    ESCROWS.save(deps.storage, escrow_id, &e)?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::RELEASE_MILESTONE)
        .add_attribute(ev::attr::ESCROW_ID, escrow_id.to_string())
        .add_attribute(ev::attr::MILESTONE, index.to_string())
        .add_attribute(ev::attr::PAID, net)
        .add_attribute(ev::attr::FEE, fee))
}

pub fn refund(deps: DepsMut, env: Env, escrow_id: u64) -> Res {
    let mut e = load(&deps, escrow_id)?;
    require_open(&e)?;
    if env.block.time < e.expires_at {
        return Err(ContractError::NotExpired {
            until: e.expires_at.to_string(),
        });
    }
    let amount = remaining(&e)?;
    e.refunded = e.refunded.checked_add(amount)?;
    e.status = EscrowStatus::Closed;
    ESCROWS.save(deps.storage, escrow_id, &e)?;
    Ok(Response::new()
        .add_messages(pay(&e.asset, &e.payer, amount)?)
        .add_attribute(ev::ACTION, ev::REFUND_ESCROW)
        .add_attribute(ev::attr::ESCROW_ID, escrow_id.to_string())
        .add_attribute(ev::attr::REFUNDED, amount))
}

pub fn dispute(deps: DepsMut, info: MessageInfo, escrow_id: u64) -> Res {
    let mut e = load(&deps, escrow_id)?;
    if info.sender != e.payer && info.sender != e.payee {
        return Err(ContractError::Unauthorized {
            role: "payer or payee",
        });
    }
    if e.arbiter.is_none() {
        return Err(ContractError::NoArbiter {});
    }
    require_open(&e)?;
    e.status = EscrowStatus::Disputed;
    ESCROWS.save(deps.storage, escrow_id, &e)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::DISPUTE_ESCROW)
        .add_attribute(ev::attr::ESCROW_ID, escrow_id.to_string())
        .add_attribute(ev::attr::BY, info.sender))
}

pub fn resolve(deps: DepsMut, info: MessageInfo, escrow_id: u64, payee_amount: Uint128) -> Res {
    let mut e = load(&deps, escrow_id)?;
    if Some(&info.sender) != e.arbiter.as_ref() {
        return Err(ContractError::Unauthorized { role: "arbiter" });
    }
    if e.status != EscrowStatus::Disputed {
        return Err(ContractError::EscrowNotOpen {
            id: escrow_id,
            status: "not disputed",
        });
    }
    let left = remaining(&e)?;
    if payee_amount > left {
        return Err(ContractError::ResolveTooMuch {
            amount: payee_amount.to_string(),
            remaining: left.to_string(),
        });
    }
    let collector = CONFIG.load(deps.storage)?.fee_collector;
    let (mut msgs, net, fee) =
        pay_with_fee(&e.asset, &e.payee, &collector, payee_amount, e.fee_bps)?;
    let back = left.checked_sub(payee_amount)?;
    msgs.extend(pay(&e.asset, &e.payer, back)?);
    e.paid_to_payee = e.paid_to_payee.checked_add(net)?;
    e.fees_paid = e.fees_paid.checked_add(fee)?;
    e.refunded = e.refunded.checked_add(back)?;
    e.status = EscrowStatus::Closed;
    ESCROWS.save(deps.storage, escrow_id, &e)?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::RESOLVE_ESCROW)
        .add_attribute(ev::attr::ESCROW_ID, escrow_id.to_string())
        .add_attribute(ev::attr::PAID, net)
        .add_attribute(ev::attr::FEE, fee)
        .add_attribute(ev::attr::REFUNDED, back))
}
