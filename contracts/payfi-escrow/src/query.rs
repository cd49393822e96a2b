use cosmwasm_std::{to_json_binary, Addr, Binary, Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::msg::{EscrowsResponse, QueryMsg};
use crate::state::{
    CHANNELS, CONFIG, CW20_ALLOWLIST, ESCROWS, ESCROWS_BY_PAYEE, ESCROWS_BY_PAYER, ESCROWS_BY_REF,
    JOBS, REPORTERS,
};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 50;

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

fn load_escrows(deps: Deps, ids: StdResult<Vec<u64>>) -> StdResult<EscrowsResponse> {
    let escrows = ids?
        .into_iter()
        .map(|id| ESCROWS.load(deps.storage, id))
        .collect::<StdResult<_>>()?;
    Ok(EscrowsResponse { escrows })
}

pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?)?,
        QueryMsg::Escrow { escrow_id } => to_json_binary(&ESCROWS.load(deps.storage, escrow_id)?)?,
        QueryMsg::EscrowsByPayer {
            payer,
            start_after,
            limit: l,
        } => {
            let payer = deps.api.addr_validate(&payer)?;
            let ids = ESCROWS_BY_PAYER
                .prefix(&payer)
                .keys(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit(l))
                .collect();
            to_json_binary(&load_escrows(deps, ids)?)?
        }
        QueryMsg::EscrowsByPayee {
            payee,
            start_after,
            limit: l,
        } => {
            let payee = deps.api.addr_validate(&payee)?;
            let ids = ESCROWS_BY_PAYEE
                .prefix(&payee)
                .keys(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit(l))
                .collect();
            to_json_binary(&load_escrows(deps, ids)?)?
        }
        QueryMsg::EscrowsByReference {
            invoice_ref,
            start_after,
            limit: l,
        } => {
            let ids = ESCROWS_BY_REF
                .prefix(invoice_ref.as_str())
                .keys(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit(l))
                .collect();
            to_json_binary(&load_escrows(deps, ids)?)?
        }
        QueryMsg::Channel { channel_id } => {
            to_json_binary(&CHANNELS.load(deps.storage, channel_id)?)?
        }
        QueryMsg::Job { job_id } => to_json_binary(&JOBS.load(deps.storage, &job_id)?)?,
        QueryMsg::IsReporter { address } => {
            to_json_binary(&REPORTERS.has(deps.storage, &Addr::unchecked(address)))?
        }
        QueryMsg::IsCw20Allowed { address } => {
            to_json_binary(&CW20_ALLOWLIST.has(deps.storage, &Addr::unchecked(address)))?
        }
    })
}
