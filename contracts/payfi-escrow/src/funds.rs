//! Payments in and out, and the fee split.

use cosmwasm_std::{
    to_json_binary, Addr, BankMsg, Coin, CosmosMsg, MessageInfo, StdError, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::state::AssetInfo;

pub const BPS_DENOMINATOR: u128 = 10_000;
/// Fee cap: 10 %.
pub const MAX_FEE_BPS: u16 = 1_000;

/// The one native coin attached (any bank denom, `ibc/...` included).
pub fn native_payment(info: &MessageInfo) -> Result<(AssetInfo, Uint128), ContractError> {
    let coin = cw_utils::one_coin(info)?;
    Ok((AssetInfo::Native(coin.denom), coin.amount))
}

/// Splits a gross payout into (to recipient, fee). The fee rounds down.
pub fn split_fee(gross: Uint128, fee_bps: u16) -> Result<(Uint128, Uint128), ContractError> {
    let fee = gross.multiply_ratio(u128::from(fee_bps), BPS_DENOMINATOR);
    Ok((gross.checked_sub(fee)?, fee))
}

pub fn pay(asset: &AssetInfo, to: &Addr, amount: Uint128) -> Result<Option<CosmosMsg>, StdError> {
    if amount.is_zero() {
        return Ok(None);
    }
    Ok(Some(match asset {
        AssetInfo::Native(denom) => BankMsg::Send {
            to_address: to.to_string(),
            amount: vec![Coin::new(amount, denom.clone())],
        }
        .into(),
        // Transfer, never Send: a payee contract cannot block or re-enter a payout.
        AssetInfo::Cw20(token) => WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: to.to_string(),
                amount,
            })?,
            funds: vec![],
        }
        .into(),
    }))
}

/// Messages paying `gross` to `to`, minus the fee which goes to `collector`.
pub fn pay_with_fee(
    asset: &AssetInfo,
    to: &Addr,
    collector: &Addr,
    gross: Uint128,
    fee_bps: u16,
) -> Result<(Vec<CosmosMsg>, Uint128, Uint128), ContractError> {
    let (net, fee) = split_fee(gross, fee_bps)?;
    let msgs = [pay(asset, to, net)?, pay(asset, collector, fee)?]
        .into_iter()
        .flatten()
        .collect();
    Ok((msgs, net, fee))
}
