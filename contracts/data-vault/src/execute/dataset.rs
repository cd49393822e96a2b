//! Differential-privacy datasets. A dataset has a total epsilon budget; every accepted query
//! spends its epsilon at submission (checked against what is left, so two queries racing for the
//! last of the budget cannot both pass: transactions run one after another) and the budget is
//! never given back, not even on refund (an answer could have been handed over off chain). The
//! payment is held until a registered answerer answers strictly before the query's expiry (it is
//! paid) or until anyone refunds it from the expiry on (the researcher is paid): exactly one of
//! the two, once. Each researcher account spends at most the dataset's `max_querier_epsilon`,
//! and queries are never free, so exhausting the budget costs `total_epsilon x price`.
//!
//! Admission: an `Issuers` dataset admits a record only while one of its issuers endorses it
//! (provenance), and the curator removes (and bars) a record admitted wrongly.

use bithive_interface::data_vault::events as ev;
use bithive_interface::data_vault::{
    CreateDatasetMsg, DpAnswer, SubmitQueryMsg, SubmitQueryResponse,
};
use cosmwasm_std::{
    to_json_binary, to_json_string, Addr, Binary, DepsMut, Empty, Env, MessageInfo, Response,
    Timestamp, Uint128,
};

use super::Res;
use crate::error::ContractError;
use crate::execute::consent::check_live;
use crate::execute::nft::owned;
use crate::state::{
    epoch, next, Dataset, DpQuery, DpQueryStatus, Grant, Membership, Purpose, ANSWERERS, CONFIG,
    CURATORS, DATASETS, DATASET_QUERIES, DATASET_SEQ, ENDORSEMENTS, EXCLUDED, MEMBERS,
    QUERIER_SPENT, QUERIES, QUERY_SEQ, RECORDS,
};
use crate::validate;
use bithive_interface::data_vault::{Admission, AssetInfo};

fn load(deps: &DepsMut, id: u64) -> Result<Dataset, ContractError> {
    DATASETS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::DatasetNotFound { id })
}

fn load_query(deps: &DepsMut, id: u64) -> Result<DpQuery, ContractError> {
    QUERIES
        .may_load(deps.storage, id)?
        .ok_or(ContractError::QueryNotFound { id })
}

pub fn create(deps: DepsMut, info: MessageInfo, m: CreateDatasetMsg) -> Res {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin && !CURATORS.has(deps.storage, &info.sender) {
        return Err(ContractError::Unauthorized {
            role: "admin or curator",
        });
    }
    validate::dataset(&m)?;
    // A cw20 price must be one the vault takes: nothing else could ever pay a query, and
    // clients reading the dataset ask that contract for its decimals.
    if let bithive_interface::data_vault::AssetInfo::Cw20(token) = &m.price_asset {
        let allowed = deps
            .api
            .addr_validate(token.as_str())
            .is_ok_and(|a| bithive_cw_common::funds::is_cw20_allowed(deps.storage, &a));
        if !allowed {
            return Err(validate::invalid(
                "price_asset",
                "a native denom or a cw20 on the vault's allowlist",
            ));
        }
    }
    let admission = validate::admission(deps.api, m.admission)?;
    let id = next(deps.storage, &DATASET_SEQ)?;
    let d = Dataset {
        id,
        name: m.name,
        curator: info.sender.clone(),
        record_type: m.record_type,
        total_epsilon: m.total_epsilon,
        spent_epsilon: Default::default(),
        max_query_epsilon: m.max_query_epsilon,
        price_asset: m.price_asset,
        price_per_epsilon: m.price_per_epsilon,
        max_querier_epsilon: Some(m.max_querier_epsilon),
        query_ttl_seconds: m.query_ttl_seconds,
        max_members: m.max_members,
        members: 0,
        closed: false,
        admission,
    };
    DATASETS.save(deps.storage, id, &d)?;
    Ok(Response::new()
        .set_data(to_json_binary(&id)?)
        .add_attribute(ev::ACTION, ev::CREATE_DATASET)
        .add_attribute(ev::attr::DATASET_ID, id.to_string())
        .add_attribute(ev::attr::OWNER, info.sender)
        .add_attribute(ev::attr::RECORD_TYPE, d.record_type.as_str())
        .add_attribute(ev::attr::EPSILON, d.total_epsilon.to_string()))
}

pub fn close(deps: DepsMut, info: MessageInfo, id: u64) -> Res {
    let mut d = load(&deps, id)?;
    if info.sender != CONFIG.load(deps.storage)?.admin && info.sender != d.curator {
        return Err(ContractError::Unauthorized {
            role: "admin or the dataset's curator",
        });
    }
    d.closed = true;
    DATASETS.save(deps.storage, id, &d)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::CLOSE_DATASET)
        .add_attribute(ev::attr::DATASET_ID, id.to_string()))
}

/// The record's owner consents to research use of it by the dataset's answerers, until
/// `expires_at` (bounded like a grant) or until the record changes hands.
pub fn join(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    token_id: String,
    (expires_at, wrapped_key): (Timestamp, Binary),
) -> Res {
    owned(deps.storage, &info, &token_id)?;
    let mut d = load(&deps, id)?;
    if d.closed {
        return Err(ContractError::DatasetClosed { id });
    }
    let record = RECORDS.load(deps.storage, &token_id)?;
    if record.record_type != d.record_type {
        return Err(ContractError::WrongRecordType { token_id });
    }
    if EXCLUDED.has(deps.storage, (id, token_id.as_str())) {
        return Err(ContractError::RecordExcluded {
            dataset_id: id,
            token_id,
        });
    }
    if !admitted(deps.storage, &d, &token_id) {
        return Err(ContractError::NotEndorsed {
            dataset_id: id,
            token_id,
        });
    }
    let max = CONFIG.load(deps.storage)?.max_grant_seconds;
    validate::expiry(env.block.time, expires_at, max)?;
    validate::wrapped_key(&wrapped_key)?;
    let key = (id, token_id.as_str());
    if !MEMBERS.has(deps.storage, key) {
        if d.members >= d.max_members {
            return Err(ContractError::DatasetFull {
                id,
                max: d.max_members,
            });
        }
        d.members = d
            .members
            .checked_add(1)
            .ok_or(cosmwasm_std::OverflowError::new(
                cosmwasm_std::OverflowOperation::Add,
            ))?;
        DATASETS.save(deps.storage, id, &d)?;
    }
    let m = Membership {
        token_id: token_id.clone(),
        owner: info.sender.clone(),
        joined_at: env.block.time,
        expires_at,
        wrapped_key,
        epoch: epoch(deps.storage, &token_id)?,
    };
    MEMBERS.save(deps.storage, key, &m)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::JOIN_DATASET)
        .add_attribute(ev::attr::DATASET_ID, id.to_string())
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::OWNER, info.sender)
        .add_attribute(ev::attr::EXPIRES_AT, expires_at.seconds().to_string()))
}

/// The record's current owner withdraws it; anyone may prune a consent that is no longer live,
/// so expired or voided consents cannot keep a dataset full.
pub fn leave(deps: DepsMut, env: Env, info: MessageInfo, id: u64, token_id: String) -> Res {
    let mut d = load(&deps, id)?;
    let key = (id, token_id.as_str());
    let m = MEMBERS
        .may_load(deps.storage, key)?
        .ok_or_else(|| ContractError::NotMember {
            dataset_id: id,
            token_id: token_id.clone(),
        })?;
    if membership_live(deps.storage, env.block.time, &d, &m) {
        owned(deps.storage, &info, &token_id)?;
    }
    MEMBERS.remove(deps.storage, key);
    d.members = d.members.saturating_sub(1);
    DATASETS.save(deps.storage, id, &d)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::LEAVE_DATASET)
        .add_attribute(ev::attr::DATASET_ID, id.to_string())
        .add_attribute(ev::attr::TOKEN_ID, token_id))
}

/// The curator (or admin) takes a record out and bars it from joining this dataset again.
pub fn remove_member(deps: DepsMut, info: MessageInfo, id: u64, token_id: String) -> Res {
    let mut d = load(&deps, id)?;
    if info.sender != CONFIG.load(deps.storage)?.admin && info.sender != d.curator {
        return Err(ContractError::Unauthorized {
            role: "admin or the dataset's curator",
        });
    }
    let key = (id, token_id.as_str());
    if !MEMBERS.has(deps.storage, key) {
        return Err(ContractError::NotMember {
            dataset_id: id,
            token_id,
        });
    }
    MEMBERS.remove(deps.storage, key);
    EXCLUDED.save(deps.storage, key, &Empty {})?;
    d.members = d.members.saturating_sub(1);
    DATASETS.save(deps.storage, id, &d)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REMOVE_MEMBER)
        .add_attribute(ev::attr::DATASET_ID, id.to_string())
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::SENDER, info.sender))
}

/// Whether the dataset's admission rule lets the record in now.
fn admitted(storage: &dyn cosmwasm_std::Storage, d: &Dataset, token_id: &str) -> bool {
    match &d.admission {
        Admission::Open {} => true,
        Admission::Issuers { issuers } => issuers.iter().any(|i| {
            // Stored validated at creation.
            ENDORSEMENTS.has(storage, (token_id, &Addr::unchecked(i)))
        }),
    }
}

/// Whether a membership is live now: the grant rule (expiry and transfer epoch) and the dataset's
/// admission rule (an issuer still endorses the record).
pub fn membership_live(
    storage: &dyn cosmwasm_std::Storage,
    now: Timestamp,
    d: &Dataset,
    m: &Membership,
) -> bool {
    let as_grant = Grant {
        token_id: m.token_id.clone(),
        grantee: m.owner.clone(),
        purpose: Purpose::Research,
        granted_at: m.joined_at,
        expires_at: m.expires_at,
        wrapped_key: Binary::default(),
        epoch: m.epoch,
        revoked_at: None,
    };
    check_live(storage, now, &as_grant).is_ok() && admitted(storage, d, &m.token_id)
}

pub fn submit_query(
    deps: DepsMut,
    env: Env,
    researcher: Addr,
    (asset, amount): (AssetInfo, Uint128),
    m: SubmitQueryMsg,
) -> Res {
    let id_ds = m.dataset_id;
    let mut d = load(&deps, id_ds)?;
    if d.closed {
        return Err(ContractError::DatasetClosed { id: id_ds });
    }
    validate::query_kind(&m.kind)?;
    validate::epsilon(m.epsilon)?;
    if m.epsilon > d.max_query_epsilon {
        return Err(ContractError::EpsilonTooLarge {
            epsilon: m.epsilon.to_string(),
            max: d.max_query_epsilon.to_string(),
        });
    }
    let spent = d.spent_epsilon.checked_add(m.epsilon)?;
    if spent > d.total_epsilon {
        return Err(ContractError::BudgetExceeded {
            epsilon: m.epsilon.to_string(),
            remaining: d.total_epsilon.checked_sub(d.spent_epsilon)?.to_string(),
        });
    }
    let mine = QUERIER_SPENT
        .may_load(deps.storage, (id_ds, &researcher))?
        .unwrap_or_default()
        .checked_add(m.epsilon)?;
    if let Some(cap) = d.max_querier_epsilon {
        if mine > cap {
            return Err(ContractError::QuerierBudgetExceeded {
                epsilon: m.epsilon.to_string(),
                remaining: cap.saturating_sub(mine.checked_sub(m.epsilon)?).to_string(),
            });
        }
    }
    if asset != d.price_asset {
        return Err(ContractError::WrongAsset {
            paid: asset.key(),
            expected: d.price_asset.key(),
        });
    }
    let price = d.price_per_epsilon.checked_mul_ceil(m.epsilon)?;
    if amount < price {
        return Err(ContractError::Underpaid {
            paid: amount.to_string(),
            price: price.to_string(),
        });
    }
    d.spent_epsilon = spent;
    DATASETS.save(deps.storage, id_ds, &d)?;
    QUERIER_SPENT.save(deps.storage, (id_ds, &researcher), &mine)?;
    let id = next(deps.storage, &QUERY_SEQ)?;
    let q = DpQuery {
        id,
        dataset_id: id_ds,
        researcher: researcher.clone(),
        kind: m.kind,
        epsilon: m.epsilon,
        asset,
        amount,
        submitted_at: env.block.time,
        expires_at: env.block.time.plus_seconds(d.query_ttl_seconds),
        status: DpQueryStatus::Pending,
    };
    QUERIES.save(deps.storage, id, &q)?;
    DATASET_QUERIES.save(deps.storage, (id_ds, id), &Empty {})?;
    Ok(Response::new()
        .set_data(to_json_binary(&SubmitQueryResponse { query_id: id })?)
        .add_attribute(ev::ACTION, ev::SUBMIT_QUERY)
        .add_attribute(ev::attr::QUERY_ID, id.to_string())
        .add_attribute(ev::attr::DATASET_ID, id_ds.to_string())
        .add_attribute(ev::attr::RESEARCHER, researcher)
        .add_attribute(ev::attr::EPSILON, m.epsilon.to_string())
        .add_attribute(ev::attr::AMOUNT, amount)
        .add_attribute(
            ev::attr::REMAINING_EPSILON,
            d.total_epsilon.checked_sub(spent)?.to_string(),
        ))
}

pub fn answer(deps: DepsMut, env: Env, info: MessageInfo, id: u64, ans: DpAnswer) -> Res {
    if !ANSWERERS.has(deps.storage, &info.sender) {
        return Err(ContractError::Unauthorized { role: "answerer" });
    }
    let mut q = load_query(&deps, id)?;
    settled(&q)?;
    if env.block.time >= q.expires_at {
        return Err(ContractError::QueryExpired {
            id,
            at: q.expires_at,
        });
    }
    validate::answer(&q.kind, &ans)?;
    let answer_json = to_json_string(&ans)?;
    q.status = DpQueryStatus::Answered {
        answerer: info.sender.clone(),
        answer: ans,
        at: env.block.time,
    };
    QUERIES.save(deps.storage, id, &q)?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::ANSWER_QUERY)
        .add_attribute(ev::attr::QUERY_ID, id.to_string())
        .add_attribute(ev::attr::DATASET_ID, q.dataset_id.to_string())
        .add_attribute(ev::attr::ANSWERER, info.sender.clone())
        .add_attribute(ev::attr::AMOUNT, q.amount)
        .add_attribute(ev::attr::ANSWER, answer_json);
    if let Some(msg) = q.asset.pay(&info.sender, q.amount)? {
        res = res.add_message(msg);
    }
    Ok(res)
}

pub fn refund(deps: DepsMut, env: Env, id: u64) -> Res {
    let mut q = load_query(&deps, id)?;
    settled(&q)?;
    if env.block.time < q.expires_at {
        return Err(ContractError::QueryNotExpired {
            id,
            until: q.expires_at,
        });
    }
    q.status = DpQueryStatus::Refunded;
    QUERIES.save(deps.storage, id, &q)?;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::REFUND_QUERY)
        .add_attribute(ev::attr::QUERY_ID, id.to_string())
        .add_attribute(ev::attr::RESEARCHER, q.researcher.clone())
        .add_attribute(ev::attr::AMOUNT, q.amount);
    if let Some(msg) = q.asset.pay(&q.researcher, q.amount)? {
        res = res.add_message(msg);
    }
    Ok(res)
}

fn settled(q: &DpQuery) -> Result<(), ContractError> {
    match q.status {
        DpQueryStatus::Pending => Ok(()),
        DpQueryStatus::Answered { .. } => Err(ContractError::QuerySettled {
            id: q.id,
            status: "answered",
        }),
        DpQueryStatus::Refunded => Err(ContractError::QuerySettled {
            id: q.id,
            status: "refunded",
        }),
    }
}
