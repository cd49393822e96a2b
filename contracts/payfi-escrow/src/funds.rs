//! Payouts and the fee split. Deposits (native incl. `ibc/...`, allowlisted cw20) and the
//! payout messages themselves are shared with fractional: `bithive_cw_common::funds`.

use cosmwasm_std::{Addr, CosmosMsg, StdError, Uint128};

use crate::error::ContractError;
use crate::state::AssetInfo;

pub use bithive_cw_common::funds::one_native as native_payment;

pub const BPS_DENOMINATOR: u128 = 10_000;
/// Fee cap: 10 %.
pub const MAX_FEE_BPS: u16 = 1_000;

/// Splits a gross payout into (to recipient, fee). The fee rounds down.
pub fn split_fee(gross: Uint128, fee_bps: u16) -> Result<(Uint128, Uint128), ContractError> {
    let fee = gross.multiply_ratio(u128::from(fee_bps), BPS_DENOMINATOR);
    Ok((gross.checked_sub(fee)?, fee))
}

/// The message paying `amount` to `to` (none for zero).
pub fn pay(asset: &AssetInfo, to: &Addr, amount: Uint128) -> Result<Option<CosmosMsg>, StdError> {
    asset.pay(to, amount)
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
