//! Execute handlers. Each reads and writes a bounded number of keys (the model, its name's
//! latest id, its version key, its owner index): gas does not grow with the number of models.

use bithive_cw_common::funds::validate_denom;
use bithive_interface::model_registry::events as ev;
use cosmwasm_std::{
    Addr, Decimal, Deps, DepsMut, Empty, Env, MessageInfo, Response, Storage, Uint128,
};

use crate::error::ContractError;
use crate::msg::{AssetInfo, PublishMsg};
use crate::state::{Config, Model, BY_OWNER, CONFIG, LATEST, MODELS, MODEL_SEQ, VERSIONS};
use crate::validate;

type Res = Result<Response, ContractError>;

pub fn validate_asset(deps: Deps, asset: AssetInfo) -> Result<AssetInfo, ContractError> {
    Ok(match asset {
        AssetInfo::Native(d) => {
            validate_denom(&d).map_err(|_| ContractError::Invalid {
                field: "price_asset",
                reason: "a bank denom",
            })?;
            AssetInfo::Native(d)
        }
        AssetInfo::Cw20(a) => AssetInfo::Cw20(deps.api.addr_validate(a.as_str())?),
    })
}

fn load(deps: &DepsMut, model_id: u64) -> Result<Model, ContractError> {
    MODELS
        .may_load(deps.storage, model_id)?
        .ok_or(ContractError::ModelNotFound { model_id })
}

pub fn publish(deps: DepsMut, env: Env, info: MessageInfo, m: PublishMsg) -> Res {
    validate::name(&m.name)?;
    validate::specialty(&m.specialty)?;
    validate::spec("input_spec", &m.input_spec)?;
    validate::spec("output_spec", &m.output_spec)?;
    validate::sha256_hex(&m.onnx_sha256)?;
    validate::content_id(&m.content_id)?;
    validate::licence(&m.licence)?;
    if m.size_bytes == 0 {
        return Err(ContractError::Invalid {
            field: "size_bytes",
            reason: "must be positive",
        });
    }
    // A name belongs to its first publisher; a new version must be strictly newer.
    let previous = match LATEST.may_load(deps.storage, &m.name)? {
        None => None,
        Some(id) => {
            let prev = load(&deps, id)?;
            if prev.owner != info.sender {
                return Err(ContractError::NameTaken {
                    name: m.name,
                    owner: prev.owner.into(),
                });
            }
            if m.version <= prev.version {
                return Err(ContractError::VersionNotHigher {
                    name: m.name,
                    latest: prev.version,
                    version: m.version,
                });
            }
            Some(prev)
        }
    };
    let id = MODEL_SEQ
        .load(deps.storage)?
        .checked_add(1)
        .ok_or(ContractError::Invalid {
            field: "model_id",
            reason: "id space exhausted",
        })?;
    MODEL_SEQ.save(deps.storage, &id)?;
    let model = Model {
        id,
        name: m.name,
        version: m.version,
        specialty: m.specialty,
        input_spec: m.input_spec,
        output_spec: m.output_spec,
        onnx_sha256: m.onnx_sha256,
        content_id: m.content_id,
        size_bytes: m.size_bytes,
        price: m.price,
        owner: info.sender,
        licence: m.licence,
        published_at: env.block.time,
        superseded_by: None,
        deprecated: false,
        run_cost: None,
        accuracy: None,
        evaluation: None,
        jobs_served: 0,
        tscore_count: 0,
        tscore_sum: Decimal::zero(),
    };
    MODELS.save(deps.storage, id, &model)?;
    LATEST.save(deps.storage, &model.name, &id)?;
    VERSIONS.save(deps.storage, (&model.name, model.version), &id)?;
    BY_OWNER.save(deps.storage, (&model.owner, id), &Empty {})?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::PUBLISH_MODEL)
        .add_attribute(ev::attr::MODEL_ID, id.to_string())
        .add_attribute(ev::attr::NAME, &model.name)
        .add_attribute(ev::attr::VERSION, model.version.to_string())
        .add_attribute(ev::attr::OWNER, &model.owner)
        .add_attribute(ev::attr::PRICE, model.price)
        .add_attribute(ev::attr::CONTENT_ID, &model.content_id)
        .add_attribute(ev::attr::ONNX_SHA256, &model.onnx_sha256);
    if let Some(mut prev) = previous {
        prev.superseded_by = Some(id);
        MODELS.save(deps.storage, prev.id, &prev)?;
        res = res.add_attribute(ev::attr::SUPERSEDES, prev.id.to_string());
    }
    Ok(res)
}

/// The model `model_id` when `sender` owns it and it is not deprecated.
fn owned_live(deps: &DepsMut, model_id: u64, sender: &Addr) -> Result<Model, ContractError> {
    let model = load(deps, model_id)?;
    if model.owner != *sender {
        return Err(ContractError::Unauthorized {
            role: "model owner",
        });
    }
    if model.deprecated {
        return Err(ContractError::AlreadyDeprecated { model_id });
    }
    Ok(model)
}

pub fn deprecate(deps: DepsMut, info: MessageInfo, model_id: u64) -> Res {
    let mut model = owned_live(&deps, model_id, &info.sender)?;
    model.deprecated = true;
    MODELS.save(deps.storage, model_id, &model)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::DEPRECATE_MODEL)
        .add_attribute(ev::attr::MODEL_ID, model_id.to_string())
        .add_attribute(ev::attr::NAME, model.name)
        .add_attribute(ev::attr::VERSION, model.version.to_string()))
}

/// The owner only: the same model sealed again (new content key, new recipients) at a new
/// content id. The hash, price and history stay: jobs naming it are unaffected.
pub fn rekey(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    content_id: String,
    size_bytes: u64,
) -> Res {
    let mut model = owned_live(&deps, model_id, &info.sender)?;
    validate::content_id(&content_id)?;
    if size_bytes == 0 {
        return Err(ContractError::Invalid {
            field: "size_bytes",
            reason: "must be positive",
        });
    }
    if content_id == model.content_id {
        return Err(ContractError::Invalid {
            field: "content_id",
            reason: "a re-keyed model is stored anew: its content id changes",
        });
    }
    let previous = std::mem::replace(&mut model.content_id, content_id);
    model.size_bytes = size_bytes;
    MODELS.save(deps.storage, model_id, &model)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REKEY_MODEL)
        .add_attribute(ev::attr::MODEL_ID, model_id.to_string())
        .add_attribute(ev::attr::CONTENT_ID, &model.content_id)
        .add_attribute(ev::attr::PREVIOUS_CONTENT_ID, previous)
        .add_attribute(ev::attr::SIZE_BYTES, size_bytes.to_string()))
}

/// `info` must be from the account the config names for `role` (`account`), which must be set.
fn only_configured(
    storage: &dyn Storage,
    info: &MessageInfo,
    role: &'static str,
    account: fn(Config) -> Option<Addr>,
) -> Result<(), ContractError> {
    let addr = account(CONFIG.load(storage)?).ok_or(ContractError::NotConfigured { role })?;
    if info.sender != addr {
        return Err(ContractError::Unauthorized { role });
    }
    Ok(())
}

/// The evaluator (the attestation contract) only: an owner grading its own model is the
/// conflict of interest this registry exists to remove.
pub fn set_accuracy(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    accuracy: Decimal,
    evaluation: String,
    run_cost: Option<Uint128>,
) -> Res {
    only_configured(deps.storage, &info, "evaluator", |c| c.evaluator)?;
    validate::unit("accuracy", accuracy)?;
    validate::evaluation(&evaluation)?;
    if let Some(c) = run_cost {
        validate::run_cost(c)?;
    }
    let mut model = load(&deps, model_id)?;
    model.accuracy = Some(accuracy);
    model.evaluation = Some(evaluation.clone());
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::SET_ACCURACY)
        .add_attribute(ev::attr::MODEL_ID, model_id.to_string())
        .add_attribute(ev::attr::ACCURACY, accuracy.to_string())
        .add_attribute(ev::attr::EVALUATION, evaluation);
    // Jobs created from now on snapshot the new cost; jobs already created keep theirs.
    if let Some(c) = run_cost {
        model.run_cost = Some(c);
        res = res.add_attribute(ev::attr::RUN_COST, c);
    }
    MODELS.save(deps.storage, model_id, &model)?;
    Ok(res)
}

/// `count` plus one; refused once the counter `field` is exhausted.
fn bump(field: &'static str, count: u64) -> Result<u64, ContractError> {
    count.checked_add(1).ok_or(ContractError::Invalid {
        field,
        reason: "counter exhausted",
    })
}

/// The escrow only, once per paid job (the escrow pays a job once). A deprecated or superseded
/// model still records the jobs it served before.
pub fn record_job(
    deps: DepsMut,
    info: MessageInfo,
    model_id: u64,
    job_id: String,
    tscore: Option<Decimal>,
) -> Res {
    only_configured(deps.storage, &info, "escrow", |c| c.escrow)?;
    validate::job_id(&job_id)?;
    let mut model = load(&deps, model_id)?;
    model.jobs_served = bump("jobs_served", model.jobs_served)?;
    if let Some(t) = tscore {
        validate::unit("tscore", t)?;
        model.tscore_count = bump("tscore_count", model.tscore_count)?;
        model.tscore_sum = model.tscore_sum.checked_add(t)?;
    }
    MODELS.save(deps.storage, model_id, &model)?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::RECORD_JOB)
        .add_attribute(ev::attr::MODEL_ID, model_id.to_string())
        .add_attribute(ev::attr::JOB_ID, job_id)
        .add_attribute(ev::attr::JOBS_SERVED, model.jobs_served.to_string());
    if let Some(t) = tscore {
        res = res.add_attribute(ev::attr::TSCORE, t.to_string());
    }
    Ok(res)
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    evaluator: Option<String>,
    escrow: Option<String>,
) -> Res {
    let mut c = CONFIG.load(deps.storage)?;
    if info.sender != c.admin {
        return Err(ContractError::Unauthorized { role: "admin" });
    }
    if let Some(e) = evaluator {
        c.evaluator = Some(deps.api.addr_validate(&e)?);
    }
    if let Some(e) = escrow {
        c.escrow = Some(deps.api.addr_validate(&e)?);
    }
    CONFIG.save(deps.storage, &c)?;
    let opt = |a: &Option<cosmwasm_std::Addr>| a.as_ref().map_or("none".into(), |a| a.to_string());
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::UPDATE_CONFIG)
        .add_attribute(ev::attr::ADMIN, &c.admin)
        .add_attribute(ev::attr::EVALUATOR, opt(&c.evaluator))
        .add_attribute(ev::attr::ESCROW, opt(&c.escrow)))
}
