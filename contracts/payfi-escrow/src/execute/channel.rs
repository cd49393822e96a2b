//! Unidirectional payment channels with cumulative secp256k1 vouchers.

use bithive_cw_common::next_id;
use bithive_interface::payfi_escrow::events as ev;
use cosmwasm_std::{Addr, Binary, DepsMut, Env, MessageInfo, Response, Uint128};

use super::Res;
use crate::error::ContractError;
use crate::funds::{pay, pay_with_fee};
use crate::msg::{OpenChannelMsg, VoucherForm};
use crate::state::{AssetInfo, Channel, ADR36_V1_UNTIL, CHANNELS, CHANNEL_SEQ, CONFIG};
use bithive_payfi_voucher::{TextVoucher, VoucherAsset};

pub const MIN_CHALLENGE_SECS: u64 = 60;
pub const MAX_CHALLENGE_SECS: u64 = 30 * 24 * 3600;

fn load(deps: &DepsMut, id: u64) -> Result<Channel, ContractError> {
    CHANNELS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::ChannelNotFound { id })
}

fn require_live(c: &Channel) -> Result<(), ContractError> {
    if c.closed {
        return Err(ContractError::ChannelClosed { id: c.id });
    }
    Ok(())
}

pub fn open(
    deps: DepsMut,
    payer: Addr,
    (asset, amount): (AssetInfo, Uint128),
    msg: OpenChannelMsg,
) -> Res {
    if amount.is_zero() {
        return Err(ContractError::Invalid {
            field: "deposit",
            reason: "must be positive",
        });
    }
    if msg.pubkey.len() != 33 || !matches!(msg.pubkey[0], 0x02 | 0x03) {
        return Err(ContractError::Invalid {
            field: "pubkey",
            reason: "must be a 33-byte compressed secp256k1 key",
        });
    }
    if !(MIN_CHALLENGE_SECS..=MAX_CHALLENGE_SECS).contains(&msg.challenge_period_secs) {
        return Err(ContractError::Invalid {
            field: "challenge_period_secs",
            reason: "60 seconds to 30 days",
        });
    }
    let payee = deps.api.addr_validate(&msg.payee)?;
    if payee == payer {
        return Err(ContractError::Invalid {
            field: "payee",
            reason: "must differ from the payer",
        });
    }
    let fee_bps = CONFIG.load(deps.storage)?.fee_bps;
    let id = next_id(deps.storage, &CHANNEL_SEQ, "channel id")?;
    let channel = Channel {
        id,
        payer: payer.clone(),
        payee: payee.clone(),
        pubkey: msg.pubkey,
        asset,
        deposit: amount,
        redeemed: Uint128::zero(),
        fee_bps,
        challenge_period_secs: msg.challenge_period_secs,
        close_requested_at: None,
        closed: false,
        paid_to_payee: Uint128::zero(),
        fees_paid: Uint128::zero(),
        refunded: Uint128::zero(),
    };
    CHANNELS.save(deps.storage, id, &channel)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::OPEN_CHANNEL)
        .add_attribute(ev::attr::CHANNEL_ID, id.to_string())
        .add_attribute(ev::attr::PAYER, payer)
        .add_attribute(ev::attr::PAYEE, payee)
        .add_attribute(ev::attr::DEPOSIT, amount))
}

pub fn top_up(
    deps: DepsMut,
    sender: Addr,
    (asset, amount): (AssetInfo, Uint128),
    channel_id: u64,
) -> Res {
    let mut c = load(&deps, channel_id)?;
    if sender != c.payer {
        return Err(ContractError::Unauthorized { role: "payer" });
    }
    require_live(&c)?;
    if asset != c.asset {
        return Err(ContractError::Invalid {
            field: "asset",
            reason: "must be the channel's asset",
        });
    }
    c.deposit = c.deposit.checked_add(amount)?;
    CHANNELS.save(deps.storage, channel_id, &c)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::TOP_UP_CHANNEL)
        .add_attribute(ev::attr::CHANNEL_ID, channel_id.to_string())
        .add_attribute(ev::attr::DEPOSIT, c.deposit))
}

pub fn redeem(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    channel_id: u64,
    cumulative: Uint128,
    (signature, form): (Binary, VoucherForm),
) -> Res {
    let mut c = load(&deps, channel_id)?;
    if info.sender != c.payee {
        return Err(ContractError::Unauthorized { role: "payee" });
    }
    require_live(&c)?;
    if cumulative <= c.redeemed {
        return Err(ContractError::VoucherAlreadyRedeemed {
            cumulative: cumulative.to_string(),
            redeemed: c.redeemed.to_string(),
        });
    }
    if cumulative > c.deposit {
        return Err(ContractError::VoucherExceedsDeposit {
            cumulative: cumulative.to_string(),
            deposit: c.deposit.to_string(),
        });
    }
    // Either form binds this chain, this contract, the channel and the running total; the
    // ADR-36 one also names the payer as its signer, and its text the payee and the asset
    // (what a wallet shows and signs, ADR 011).
    let (chain, contract) = (&env.block.chain_id, env.contract.address.as_str());
    let digests = match form {
        VoucherForm::Raw => vec![bithive_payfi_voucher::voucher_digest(
            chain,
            contract,
            channel_id,
            cumulative.u128(),
        )],
        VoucherForm::Adr36 => {
            let text = TextVoucher {
                chain_id: chain,
                contract,
                channel_id,
                payee: c.payee.as_str(),
                asset: match &c.asset {
                    AssetInfo::Native(denom) => VoucherAsset::Native(denom),
                    AssetInfo::Cw20(token) => VoucherAsset::Cw20(token.as_str()),
                },
                cumulative: cumulative.u128(),
            };
            let mut d = vec![text.adr36_digest(c.payer.as_str())];
            // A channel opened before the migration to v2: its payer may have signed v1 texts.
            if channel_id <= ADR36_V1_UNTIL.may_load(deps.storage)?.unwrap_or(0) {
                d.push(bithive_payfi_voucher::adr36_voucher_digest_v1(
                    c.payer.as_str(),
                    chain,
                    contract,
                    channel_id,
                    cumulative.u128(),
                ));
            }
            d
        }
    };
    let mut valid = false;
    for digest in &digests {
        valid = deps
            .api
            .secp256k1_verify(digest, &signature, &c.pubkey)
            .map_err(|_| ContractError::BadVoucherSignature {})?;
        if valid {
            break;
        }
    }
    if !valid {
        return Err(ContractError::BadVoucherSignature {});
    }
    let delta = cumulative.checked_sub(c.redeemed)?;
    c.redeemed = cumulative;
    let collector = CONFIG.load(deps.storage)?.fee_collector;
    let (msgs, net, fee) = pay_with_fee(&c.asset, &c.payee, &collector, delta, c.fee_bps)?;
    c.paid_to_payee = c.paid_to_payee.checked_add(net)?;
    c.fees_paid = c.fees_paid.checked_add(fee)?;
    CHANNELS.save(deps.storage, channel_id, &c)?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute(ev::ACTION, ev::REDEEM_VOUCHER)
        .add_attribute(ev::attr::CHANNEL_ID, channel_id.to_string())
        .add_attribute(ev::attr::CUMULATIVE, cumulative)
        .add_attribute(ev::attr::FORM, form.as_str())
        .add_attribute(ev::attr::PAID, net)
        .add_attribute(ev::attr::FEE, fee))
}

pub fn request_close(deps: DepsMut, env: Env, info: MessageInfo, channel_id: u64) -> Res {
    let mut c = load(&deps, channel_id)?;
    if info.sender != c.payer {
        return Err(ContractError::Unauthorized { role: "payer" });
    }
    require_live(&c)?;
    if c.close_requested_at.is_none() {
        c.close_requested_at = Some(env.block.time);
        CHANNELS.save(deps.storage, channel_id, &c)?;
    }
    let ends = env.block.time.plus_seconds(c.challenge_period_secs);
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REQUEST_CLOSE)
        .add_attribute(ev::attr::CHANNEL_ID, channel_id.to_string())
        .add_attribute(ev::attr::CHALLENGE_ENDS, ends.seconds().to_string()))
}

fn close(deps: DepsMut, mut c: Channel, action: &'static str) -> Res {
    let back = c.deposit.checked_sub(c.redeemed)?;
    c.refunded = c.refunded.checked_add(back)?;
    c.closed = true;
    CHANNELS.save(deps.storage, c.id, &c)?;
    Ok(Response::new()
        .add_messages(pay(&c.asset, &c.payer, back)?)
        .add_attribute(ev::ACTION, action)
        .add_attribute(ev::attr::CHANNEL_ID, c.id.to_string())
        .add_attribute(ev::attr::REFUNDED, back))
}

pub fn finalize_close(deps: DepsMut, env: Env, info: MessageInfo, channel_id: u64) -> Res {
    let c = load(&deps, channel_id)?;
    if info.sender != c.payer {
        return Err(ContractError::Unauthorized { role: "payer" });
    }
    require_live(&c)?;
    let requested = c
        .close_requested_at
        .ok_or(ContractError::CloseNotRequested {})?;
    let ends = requested.plus_seconds(c.challenge_period_secs);
    if env.block.time < ends {
        return Err(ContractError::ChallengePeriod {
            ends: ends.seconds().to_string(),
        });
    }
    close(deps, c, ev::FINALIZE_CLOSE)
}

pub fn payee_close(deps: DepsMut, info: MessageInfo, channel_id: u64) -> Res {
    let c = load(&deps, channel_id)?;
    if info.sender != c.payee {
        return Err(ContractError::Unauthorized { role: "payee" });
    }
    require_live(&c)?;
    close(deps, c, ev::PAYEE_CLOSE)
}
