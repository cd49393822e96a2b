use bithive_cw_common::PageAfter;
use cosmwasm_std::{to_json_binary, Addr, Binary, Deps, Empty, Env, StdResult};
use cw_storage_plus::{KeyDeserialize, Map, Prefixer, PrimaryKey};

use crate::error::ContractError;
use crate::msg::{EscrowsResponse, QueryMsg};
use crate::state::{
    CHANNELS, CONFIG, CW20_ALLOWLIST, ESCROWS, ESCROWS_BY_PAYEE, ESCROWS_BY_PAYER, ESCROWS_BY_REF,
    JOBS, JOB_MODELS, NODE_OUTCOMES, REPORTERS,
};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 50;

/// One page of escrows from a secondary index `(key, escrow id) -> ()`: the ids under `key`
/// after `start_after`, at most `limit` (bounded by `MAX_LIMIT`), each loaded from `ESCROWS`.
fn escrows_page<'a, K>(
    deps: Deps,
    index: &Map<(K, u64), Empty>,
    key: K,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<EscrowsResponse>
where
    K: PrimaryKey<'a> + Prefixer<'a> + KeyDeserialize,
{
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let escrows = index
        .prefix(key)
        .keys_after(deps.storage, start_after, limit)
        .map(|id| ESCROWS.load(deps.storage, id?))
        .collect::<StdResult<_>>()?;
    Ok(EscrowsResponse { escrows })
}

pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.admin,
        )?)?,
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?)?,
        QueryMsg::Escrow { escrow_id } => to_json_binary(&ESCROWS.load(deps.storage, escrow_id)?)?,
        QueryMsg::EscrowsByPayer {
            payer,
            start_after,
            limit,
        } => {
            let payer = deps.api.addr_validate(&payer)?;
            to_json_binary(&escrows_page(
                deps,
                &ESCROWS_BY_PAYER,
                &payer,
                start_after,
                limit,
            )?)?
        }
        QueryMsg::EscrowsByPayee {
            payee,
            start_after,
            limit,
        } => {
            let payee = deps.api.addr_validate(&payee)?;
            to_json_binary(&escrows_page(
                deps,
                &ESCROWS_BY_PAYEE,
                &payee,
                start_after,
                limit,
            )?)?
        }
        QueryMsg::EscrowsByReference {
            invoice_ref,
            start_after,
            limit,
        } => to_json_binary(&escrows_page(
            deps,
            &ESCROWS_BY_REF,
            invoice_ref.as_str(),
            start_after,
            limit,
        )?)?,
        QueryMsg::Channel { channel_id } => {
            to_json_binary(&CHANNELS.load(deps.storage, channel_id)?)?
        }
        QueryMsg::Job { job_id } => to_json_binary(&JOBS.load(deps.storage, &job_id)?)?,
        QueryMsg::JobModel { job_id } => {
            to_json_binary(&JOB_MODELS.may_load(deps.storage, &job_id)?)?
        }
        QueryMsg::IsReporter { address } => {
            to_json_binary(&REPORTERS.has(deps.storage, &Addr::unchecked(address)))?
        }
        QueryMsg::NodeOutcomes { node } => {
            let node = deps.api.addr_validate(&node)?;
            to_json_binary(
                &NODE_OUTCOMES
                    .may_load(deps.storage, &node)?
                    .unwrap_or_default(),
            )?
        }
        QueryMsg::IsCw20Allowed { address } => {
            to_json_binary(&CW20_ALLOWLIST.has(deps.storage, &Addr::unchecked(address)))?
        }
    })
}
