use bithive_cw_common::{clamp_limit, PageAfter};
use bithive_interface::data_vault::{
    AddressesResponse, DatasetsResponse, DpQueriesResponse, Endorsement, EndorsementsResponse,
    GrantResponse, GrantsResponse, MemberResponse, MembersResponse, QuerierBudgetResponse,
    ReadingKeyResponse, Record,
};
use cosmwasm_std::{to_json_binary, Addr, Binary, Deps, Empty, Env, StdResult};
use cw721::msg::{AllNftInfoResponse, CollectionInfoAndExtensionResponse, NftInfoResponse};
use cw721::query as q;
use cw_storage_plus::Map;

use crate::error::ContractError;
use crate::execute::consent::check_live;
use crate::execute::dataset::membership_live;
use crate::msg::QueryMsg;
use crate::state::{
    Grant, ANSWERERS, CONFIG, CURATORS, DATASETS, DATASET_QUERIES, ENDORSEMENTS, GRANTS,
    GRANTS_BY_GRANTEE, MEMBERS, QUERIER_SPENT, QUERIES, READING_KEYS, RECORDS,
};

fn nft_info(deps: Deps, token_id: String) -> StdResult<NftInfoResponse<Record>> {
    let base = q::query_nft_info::<Option<Empty>>(deps.storage, token_id.clone())?;
    Ok(NftInfoResponse {
        token_uri: base.token_uri,
        extension: RECORDS.load(deps.storage, &token_id)?,
    })
}

fn grant_response(deps: Deps, env: &Env, grant: Option<Grant>) -> GrantResponse {
    let live = grant
        .as_ref()
        .is_some_and(|g| check_live(deps.storage, env.block.time, g).is_ok());
    GrantResponse { grant, live }
}

fn addresses(
    deps: Deps,
    map: Map<&Addr, Empty>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<AddressesResponse> {
    let start = start_after.map(Addr::unchecked);
    let addresses = map
        .keys_after(deps.storage, start.as_ref(), clamp_limit(limit))
        .map(|r| r.map(|a| a.to_string()))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(AddressesResponse { addresses })
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
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Grant {
            token_id,
            grantee,
            purpose,
        } => {
            let grantee = deps.api.addr_validate(&grantee)?;
            let g = GRANTS.may_load(deps.storage, (&token_id, &grantee, purpose.as_str()))?;
            to_json_binary(&grant_response(deps, &env, g))
        }
        QueryMsg::Grants {
            token_id,
            start_after,
            limit,
        } => {
            let start = start_after.map(|(a, p)| (Addr::unchecked(a), p));
            let start = start.as_ref().map(|(a, p)| (a, p.as_str()));
            let grants = GRANTS
                .sub_prefix(&token_id)
                .range_after(deps.storage, start, clamp_limit(limit))
                .map(|r| r.map(|(_, g)| grant_response(deps, &env, Some(g))))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&GrantsResponse { grants })
        }
        QueryMsg::GrantsOf {
            grantee,
            start_after,
            limit,
        } => {
            let grantee = deps.api.addr_validate(&grantee)?;
            let start = start_after.as_ref().map(|(t, p)| (t.as_str(), p.as_str()));
            let grants = GRANTS_BY_GRANTEE
                .sub_prefix(&grantee)
                .keys_after(deps.storage, start, clamp_limit(limit))
                .map(|r| {
                    r.and_then(|(token, purpose)| {
                        let g = GRANTS.may_load(deps.storage, (&token, &grantee, &purpose))?;
                        Ok(grant_response(deps, &env, g))
                    })
                })
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&GrantsResponse { grants })
        }
        QueryMsg::ReadingKey { account } => {
            let account = deps.api.addr_validate(&account)?;
            let reading_key = READING_KEYS.may_load(deps.storage, &account)?;
            to_json_binary(&ReadingKeyResponse {
                account,
                reading_key,
            })
        }
        QueryMsg::Dataset { dataset_id } => {
            to_json_binary(&DATASETS.load(deps.storage, dataset_id)?)
        }
        QueryMsg::Datasets { start_after, limit } => {
            let datasets = DATASETS.values_after(deps.storage, start_after, clamp_limit(limit))?;
            to_json_binary(&DatasetsResponse { datasets })
        }
        QueryMsg::Members {
            dataset_id,
            start_after,
            limit,
        } => {
            let d = DATASETS.load(deps.storage, dataset_id)?;
            let members = MEMBERS
                .prefix(dataset_id)
                .range_after(deps.storage, start_after.as_deref(), clamp_limit(limit))
                .map(|r| {
                    r.map(|(_, m)| MemberResponse {
                        live: membership_live(deps.storage, env.block.time, &d, &m),
                        membership: m,
                    })
                })
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&MembersResponse { members })
        }
        QueryMsg::Endorsements {
            token_id,
            start_after,
            limit,
        } => {
            let start = start_after.map(Addr::unchecked);
            let endorsements = ENDORSEMENTS
                .prefix(&token_id)
                .range_after(deps.storage, start.as_ref(), clamp_limit(limit))
                .map(|r| r.map(|(endorser, at)| Endorsement { endorser, at }))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&EndorsementsResponse { endorsements })
        }
        QueryMsg::QuerierBudget {
            dataset_id,
            querier,
        } => {
            let d = DATASETS.load(deps.storage, dataset_id)?;
            let querier = deps.api.addr_validate(&querier)?;
            let spent = QUERIER_SPENT
                .may_load(deps.storage, (dataset_id, &querier))?
                .unwrap_or_default();
            let left = d.total_epsilon.saturating_sub(d.spent_epsilon);
            let remaining = match d.max_querier_epsilon {
                Some(cap) => cap.saturating_sub(spent).min(left),
                None => left,
            };
            to_json_binary(&QuerierBudgetResponse { spent, remaining })
        }
        QueryMsg::DpQuery { query_id } => to_json_binary(&QUERIES.load(deps.storage, query_id)?),
        QueryMsg::DpQueries {
            dataset_id,
            start_after,
            limit,
        } => {
            let queries = DATASET_QUERIES
                .prefix(dataset_id)
                .keys_after(deps.storage, start_after, clamp_limit(limit))
                .map(|r| r.and_then(|id| QUERIES.load(deps.storage, id)))
                .collect::<StdResult<Vec<_>>>()?;
            to_json_binary(&DpQueriesResponse { queries })
        }
        QueryMsg::Curators { start_after, limit } => {
            to_json_binary(&addresses(deps, CURATORS, start_after, limit)?)
        }
        QueryMsg::Answerers { start_after, limit } => {
            to_json_binary(&addresses(deps, ANSWERERS, start_after, limit)?)
        }
    }?;
    Ok(bin)
}
