use bithive_cw_common::PageAfter;
use cosmwasm_std::{to_json_binary, Addr, Binary, Deps, Empty, Env, Order, StdResult};
use cw721::msg::{
    AllNftInfoResponse, CollectionInfoAndExtensionResponse, MinterResponse, NftInfoResponse,
};
use cw721::query as q;
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::execute::{fresh_submissions, median};
use crate::msg::{
    AddressesResponse, CertificationStatus, CertificationsResponse, ConfigResponse, QueryMsg,
    ValuationHistoryResponse, ValuationResponse,
};
use crate::state::{AssetMetadata, APPROVED_HOLDERS, ASSETS, CONFIG, VALUATIONS, VALUERS};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 100;

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

/// A page of addresses (a set's keys, in order) as strings.
fn addresses(keys: impl Iterator<Item = StdResult<Addr>>) -> StdResult<AddressesResponse> {
    let addresses = keys
        .map(|r| r.map(|a| a.to_string()))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(AddressesResponse { addresses })
}

fn asset(deps: Deps, token_id: &str) -> StdResult<AssetMetadata> {
    ASSETS.load(deps.storage, token_id)
}

fn nft_info(deps: Deps, token_id: String) -> StdResult<NftInfoResponse<AssetMetadata>> {
    let base = q::query_nft_info::<Option<Empty>>(deps.storage, token_id.clone())?;
    Ok(NftInfoResponse {
        token_uri: base.token_uri,
        extension: asset(deps, &token_id)?,
    })
}

pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let bin = match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.admin,
        )?),
        QueryMsg::OwnerOf {
            token_id,
            include_expired,
        } => to_json_binary(&q::query_owner_of(
            deps,
            &env,
            token_id,
            include_expired.unwrap_or(false),
        )?),
        QueryMsg::Approval {
            token_id,
            spender,
            include_expired,
        } => {
            let spender = deps.api.addr_validate(&spender)?;
            to_json_binary(&q::query_approval(
                deps,
                &env,
                token_id,
                spender,
                include_expired.unwrap_or(false),
            )?)
        }
        QueryMsg::Approvals {
            token_id,
            include_expired,
        } => to_json_binary(&q::query_approvals(
            deps,
            &env,
            token_id,
            include_expired.unwrap_or(false),
        )?),
        QueryMsg::Operator {
            owner,
            operator,
            include_expired,
        } => to_json_binary(&q::query_operator(
            deps,
            &env,
            owner,
            operator,
            include_expired.unwrap_or(false),
        )?),
        QueryMsg::AllOperators {
            owner,
            include_expired,
            start_after,
            limit,
        } => to_json_binary(&q::query_operators(
            deps,
            &env,
            owner,
            include_expired.unwrap_or(false),
            start_after,
            limit,
        )?),
        QueryMsg::NumTokens {} => to_json_binary(&q::query_num_tokens(deps.storage)?),
        QueryMsg::ContractInfo {} => {
            let info = q::query_collection_info(deps.storage)?;
            to_json_binary(&CollectionInfoAndExtensionResponse::<Option<Empty>> {
                name: info.name,
                symbol: info.symbol,
                extension: None,
                updated_at: info.updated_at,
            })
        }
        QueryMsg::Minter {} => to_json_binary(&MinterResponse {
            minter: Some(CONFIG.load(deps.storage)?.admin.to_string()),
        }),
        QueryMsg::NftInfo { token_id } => to_json_binary(&nft_info(deps, token_id)?),
        QueryMsg::AllNftInfo {
            token_id,
            include_expired,
        } => {
            let access = q::query_owner_of(
                deps,
                &env,
                token_id.clone(),
                include_expired.unwrap_or(false),
            )?;
            to_json_binary(&AllNftInfoResponse {
                access,
                info: nft_info(deps, token_id)?,
            })
        }
        QueryMsg::Tokens {
            owner,
            start_after,
            limit,
        } => to_json_binary(&q::query_tokens(deps, &env, owner, start_after, limit)?),
        QueryMsg::AllTokens { start_after, limit } => {
            to_json_binary(&q::query_all_tokens(deps, &env, start_after, limit)?)
        }
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                admin: c.admin.to_string(),
                compliance_officer: c.compliance_officer.to_string(),
                custodian: c.custodian.as_ref().map(Addr::to_string),
                valuation: c.valuation,
            })
        }
        QueryMsg::Certifications { token_id } => {
            let a = asset(deps, &token_id)?;
            let certifications = a
                .certifications
                .into_iter()
                .map(|c| CertificationStatus {
                    valid: env.block.time < c.expires_at,
                    certification: c,
                })
                .collect();
            to_json_binary(&CertificationsResponse { certifications })
        }
        QueryMsg::Valuation { token_id } => {
            asset(deps, &token_id)?;
            let params = CONFIG.load(deps.storage)?.valuation;
            let fresh = fresh_submissions(deps.storage, &env, &token_id, &params)?;
            let submissions = fresh.len() as u32;
            let quorum_met = submissions >= params.quorum;
            let mut values: Vec<_> = fresh.iter().map(|e| e.value).collect();
            to_json_binary(&ValuationResponse {
                value: if quorum_met {
                    median(&mut values)
                } else {
                    None
                },
                unit: params.unit,
                submissions,
                quorum: params.quorum,
                quorum_met,
                oldest: fresh.last().map(|e| e.submitted_at),
            })
        }
        QueryMsg::ValuationHistory {
            token_id,
            start_before,
            limit: l,
        } => {
            let entries = VALUATIONS
                .prefix(&token_id)
                .range(
                    deps.storage,
                    None,
                    start_before.map(Bound::exclusive),
                    Order::Descending,
                )
                .take(limit(l))
                .map(|r| r.map(|(_, e)| e))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&ValuationHistoryResponse { entries })
        }
        QueryMsg::Valuers {
            start_after,
            limit: l,
        } => {
            let start = start_after.map(Addr::unchecked);
            let keys = VALUERS.keys_after(deps.storage, start.as_ref(), limit(l));
            to_json_binary(&addresses(keys)?)
        }
        QueryMsg::HolderApproved {
            jurisdiction,
            holder,
        } => {
            let holder = deps.api.addr_validate(&holder)?;
            to_json_binary(&APPROVED_HOLDERS.has(deps.storage, (&jurisdiction, &holder)))
        }
        QueryMsg::ApprovedHolders {
            jurisdiction,
            start_after,
            limit: l,
        } => {
            let start = start_after.map(Addr::unchecked);
            let keys = APPROVED_HOLDERS.prefix(&jurisdiction).keys_after(
                deps.storage,
                start.as_ref(),
                limit(l),
            );
            to_json_binary(&addresses(keys)?)
        }
    }?;
    Ok(bin)
}
