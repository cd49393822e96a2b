use bithive_cw_common::{clamp_limit, PageAfter};
use bithive_interface::model_registry::ModelRef;
use cosmwasm_std::{to_json_binary, Binary, Decimal, Deps, StdError, StdResult};

use crate::error::ContractError;
use crate::msg::{ModelResponse, ModelsResponse, QueryMsg};
use crate::state::{Model, BY_OWNER, CONFIG, LATEST, MODELS, VERSIONS};

fn response(deps: Deps, model: Model) -> StdResult<ModelResponse> {
    let generic = |e: &dyn std::fmt::Display| StdError::generic_err(e.to_string());
    let mean_tscore = match model.tscore_count {
        0 => None,
        n => {
            let count = Decimal::checked_from_ratio(n, 1u64).map_err(|e| generic(&e))?;
            Some(
                model
                    .tscore_sum
                    .checked_div(count)
                    .map_err(|e| generic(&e))?,
            )
        }
    };
    Ok(ModelResponse {
        model,
        mean_tscore,
        price_asset: CONFIG.load(deps.storage)?.price_asset,
    })
}

fn by_id(deps: Deps, model_id: u64) -> Result<ModelResponse, ContractError> {
    let model = MODELS
        .may_load(deps.storage, model_id)?
        .ok_or(ContractError::ModelNotFound { model_id })?;
    Ok(response(deps, model)?)
}

fn latest(deps: Deps, name: &str) -> StdResult<Option<u64>> {
    LATEST.may_load(deps.storage, name)
}

fn version(deps: Deps, name: &str, v: u32) -> StdResult<Option<u64>> {
    VERSIONS.may_load(deps.storage, (name, v))
}

fn page(deps: Deps, ids: impl Iterator<Item = StdResult<u64>>) -> StdResult<ModelsResponse> {
    let models = ids
        .map(|id| response(deps, MODELS.load(deps.storage, id?)?))
        .collect::<StdResult<_>>()?;
    Ok(ModelsResponse { models })
}

pub fn query(deps: Deps, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.admin,
        )?)?,
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?)?,
        QueryMsg::Model { model_id } => to_json_binary(&by_id(deps, model_id)?)?,
        QueryMsg::Latest { name } => {
            let id = latest(deps, &name)?.ok_or(ContractError::NameNotFound { name })?;
            to_json_binary(&by_id(deps, id)?)?
        }
        QueryMsg::Version { name, version: v } => {
            let id = version(deps, &name, v)?
                .ok_or(ContractError::VersionNotFound { name, version: v })?;
            to_json_binary(&by_id(deps, id)?)?
        }
        QueryMsg::Resolve { model } => {
            let id = match ModelRef::parse(&model) {
                Some(ModelRef::Latest(name)) => latest(deps, name)?,
                Some(ModelRef::Version(name, v)) => version(deps, name, v)?,
                None => None,
            };
            let found = id.map(|id| by_id(deps, id)).transpose()?;
            to_json_binary(&found)?
        }
        QueryMsg::Models { start_after, limit } => {
            let ids = MODELS.keys_after(deps.storage, start_after, clamp_limit(limit));
            to_json_binary(&page(deps, ids)?)?
        }
        QueryMsg::ModelsByOwner {
            owner,
            start_after,
            limit,
        } => {
            let owner = deps.api.addr_validate(&owner)?;
            let ids =
                BY_OWNER
                    .prefix(&owner)
                    .keys_after(deps.storage, start_after, clamp_limit(limit));
            to_json_binary(&page(deps, ids)?)?
        }
        QueryMsg::Versions {
            name,
            start_after,
            limit,
        } => {
            let ids = VERSIONS
                .prefix(&name)
                .range_after(deps.storage, start_after, clamp_limit(limit))
                .map(|r| r.map(|(_, id)| id));
            to_json_binary(&page(deps, ids)?)?
        }
    })
}
