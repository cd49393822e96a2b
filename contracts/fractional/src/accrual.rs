//! The revenue accumulator, storage-only (no messages), so it can be property-tested directly.
//!
//! Per vault and revenue asset, `acc_per_share` grows by `amount * SCALE / total_shares` on each
//! deposit (the integer remainder is carried to the next deposit). Each holder keeps the
//! accumulator value at its last balance change; a balance change first credits
//! `old_balance * (acc - snapshot)` to the holder. Deposits and claims touch one pool and one
//! holder entry per asset: O(1) in the number of holders.

use cosmwasm_std::{Addr, Storage, Uint128, Uint256};

use crate::error::ContractError;
use crate::state::{AssetInfo, Pool, Vault, ACCRUALS, POOLS, SCALE};

/// Credits `holder` for holding `balance` shares since its last settlement, for every asset.
pub fn settle(
    storage: &mut dyn Storage,
    vault: &Vault,
    holder: &Addr,
    balance: Uint128,
) -> Result<(), ContractError> {
    for asset in &vault.revenue_assets {
        let key = asset.key();
        let pool = POOLS
            .may_load(storage, (vault.id, &key))?
            .unwrap_or_default();
        let mut acc = ACCRUALS
            .may_load(storage, (vault.id, &key, holder))?
            .unwrap_or_default();
        let delta = pool.acc_per_share.checked_sub(acc.acc_snapshot)?;
        if !delta.is_zero() {
            acc.pending = acc
                .pending
                .checked_add(Uint256::from(balance).checked_mul(delta)?)?;
            acc.acc_snapshot = pool.acc_per_share;
            ACCRUALS.save(storage, (vault.id, &key, holder), &acc)?;
        }
    }
    Ok(())
}

/// Spreads `amount` of `asset` over the vault's `total_shares`. Only the vault's revenue
/// assets (fixed at lock) are accepted.
pub fn deposit(
    storage: &mut dyn Storage,
    vault: &Vault,
    asset: &AssetInfo,
    amount: Uint128,
) -> Result<(), ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    if !vault.revenue_assets.contains(asset) {
        return Err(ContractError::RevenueAssetNotAccepted {
            vault_id: vault.id,
            asset: asset.key(),
        });
    }
    let key = asset.key();
    let mut pool = POOLS
        .may_load(storage, (vault.id, &key))?
        .unwrap_or_default();
    let total = Uint256::from(vault.total_shares);
    if total.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    pool.carry = pool
        .carry
        .checked_add(Uint256::from(amount).checked_mul(Uint256::from(SCALE))?)?;
    let inc = pool.carry.checked_div(total)?;
    pool.carry = pool.carry.checked_sub(inc.checked_mul(total)?)?;
    pool.acc_per_share = pool.acc_per_share.checked_add(inc)?;
    pool.deposited = pool.deposited.checked_add(amount)?;
    POOLS.save(storage, (vault.id, &key), &pool)?;
    Ok(())
}

/// Settles `holder` at `balance`, then takes every whole unit it earned. Returns the payouts.
pub fn take_claim(
    storage: &mut dyn Storage,
    vault: &Vault,
    holder: &Addr,
    balance: Uint128,
) -> Result<Vec<(AssetInfo, Uint128)>, ContractError> {
    settle(storage, vault, holder, balance)?;
    let scale = Uint256::from(SCALE);
    let mut out = Vec::new();
    for asset in &vault.revenue_assets {
        let key = asset.key();
        let Some(mut acc) = ACCRUALS.may_load(storage, (vault.id, &key, holder))? else {
            continue;
        };
        let units = acc.pending.checked_div(scale)?;
        if units.is_zero() {
            continue;
        }
        acc.pending = acc.pending.checked_sub(units.checked_mul(scale)?)?;
        ACCRUALS.save(storage, (vault.id, &key, holder), &acc)?;
        let units = Uint128::try_from(units)
            .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?;
        let mut pool: Pool = POOLS.load(storage, (vault.id, &key))?;
        pool.claimed = pool.claimed.checked_add(units)?;
        POOLS.save(storage, (vault.id, &key), &pool)?;
        out.push((asset.clone(), units));
    }
    Ok(out)
}

/// What `take_claim` would pay, without writing.
pub fn claimable(
    storage: &dyn Storage,
    vault: &Vault,
    holder: &Addr,
    balance: Uint128,
) -> Result<Vec<(AssetInfo, Uint128)>, ContractError> {
    let scale = Uint256::from(SCALE);
    let mut out = Vec::new();
    for asset in &vault.revenue_assets {
        let key = asset.key();
        let pool = POOLS
            .may_load(storage, (vault.id, &key))?
            .unwrap_or_default();
        let acc = ACCRUALS
            .may_load(storage, (vault.id, &key, holder))?
            .unwrap_or_default();
        let pending = acc.pending.checked_add(
            Uint256::from(balance)
                .checked_mul(pool.acc_per_share.checked_sub(acc.acc_snapshot)?)?,
        )?;
        let units = Uint128::try_from(pending.checked_div(scale)?)
            .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?;
        out.push((asset.clone(), units));
    }
    Ok(out)
}
