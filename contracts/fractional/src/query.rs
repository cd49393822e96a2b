use bithive_cw_common::PageAfter;
use cosmwasm_std::{to_json_binary, Binary, Deps, Env, Order, StdResult};
use cw20::{BalanceResponse, Cw20QueryMsg};

use crate::accrual;
use crate::error::ContractError;
use crate::msg::{
    ClaimableResponse, ConfigResponse, PoolInfo, PoolsResponse, QueryMsg, VaultsResponse,
};
use crate::state::{CONFIG, CW20_ALLOWLIST, NFT_CONTRACTS, POOLS, SHARE_TOKENS, VAULTS};

const MAX_LIMIT: u32 = 100;

pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.admin,
        )?)?,
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            // Both lists are admin-managed and small.
            let nft_contracts = NFT_CONTRACTS
                .keys(deps.storage, None, None, Order::Ascending)
                .take(MAX_LIMIT as usize)
                .collect::<StdResult<_>>()?;
            let cw20_allowlist = CW20_ALLOWLIST
                .keys(deps.storage, None, None, Order::Ascending)
                .take(MAX_LIMIT as usize)
                .collect::<StdResult<_>>()?;
            to_json_binary(&ConfigResponse {
                admin: c.admin,
                share_code_id: c.share_code_id,
                nft_contracts,
                cw20_allowlist,
            })?
        }
        QueryMsg::Vault { vault_id } => to_json_binary(&VAULTS.load(deps.storage, vault_id)?)?,
        QueryMsg::Vaults { start_after, limit } => {
            let limit = limit.unwrap_or(10).min(MAX_LIMIT) as usize;
            let vaults = VAULTS.values_after(deps.storage, start_after, limit)?;
            to_json_binary(&VaultsResponse { vaults })?
        }
        QueryMsg::VaultByShareToken { share_token } => {
            let addr = deps.api.addr_validate(&share_token)?;
            let id = SHARE_TOKENS.load(deps.storage, &addr)?;
            to_json_binary(&VAULTS.load(deps.storage, id)?)?
        }
        QueryMsg::Pools { vault_id } => {
            let vault = VAULTS.load(deps.storage, vault_id)?;
            let mut pools = Vec::new();
            for asset in vault.revenue_assets {
                // Declared at lock, no deposit yet: an empty pool.
                let p = POOLS
                    .may_load(deps.storage, (vault_id, &asset.key()))?
                    .unwrap_or_default();
                pools.push(PoolInfo {
                    asset,
                    deposited: p.deposited,
                    claimed: p.claimed,
                });
            }
            to_json_binary(&PoolsResponse { pools })?
        }
        QueryMsg::Claimable { vault_id, holder } => {
            let vault = VAULTS.load(deps.storage, vault_id)?;
            let holder = deps.api.addr_validate(&holder)?;
            let balance = match &vault.share_token {
                Some(t) => {
                    let b: BalanceResponse = deps.querier.query_wasm_smart(
                        t,
                        &Cw20QueryMsg::Balance {
                            address: holder.to_string(),
                        },
                    )?;
                    b.balance
                }
                None => Default::default(),
            };
            let claimable = accrual::claimable(deps.storage, &vault, &holder, balance)?;
            to_json_binary(&ClaimableResponse { claimable })?
        }
    })
}
