//! Consent grants and the access log. A grant is keyed by (record, grantee, purpose) and carries
//! the transfer epoch it was given under; `log_access` checks that epoch against the record's, so
//! a transfer or burn voids every grant at once with no iteration.

use bithive_interface::data_vault::events as ev;
use bithive_interface::data_vault::AccessEvent;
use cosmwasm_std::{Binary, DepsMut, Empty, Env, MessageInfo, Response, Storage, Timestamp};

use super::Res;
use crate::error::ContractError;
use crate::execute::nft::owned;
use crate::state::{epoch, Grant, Purpose, ACCESS_SEQ, CONFIG, GRANTS, GRANTS_BY_GRANTEE, RECORDS};
use crate::validate;

/// Live: not revoked, before its expiry, and given under the record's current epoch.
pub fn check_live(
    storage: &dyn Storage,
    now: Timestamp,
    grant: &Grant,
) -> Result<(), ContractError> {
    let purpose = grant.purpose.as_str();
    if grant.revoked_at.is_some() {
        return Err(ContractError::GrantRevoked {
            token_id: grant.token_id.clone(),
            grantee: grant.grantee.to_string(),
            purpose,
        });
    }
    if grant.epoch != epoch(storage, &grant.token_id)? || !RECORDS.has(storage, &grant.token_id) {
        return Err(ContractError::GrantVoided {
            token_id: grant.token_id.clone(),
            grantee: grant.grantee.to_string(),
        });
    }
    if now >= grant.expires_at {
        return Err(ContractError::GrantExpired {
            token_id: grant.token_id.clone(),
            grantee: grant.grantee.to_string(),
            purpose,
            expired_at: grant.expires_at,
        });
    }
    Ok(())
}

pub fn grant(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    grantee: String,
    purpose: Purpose,
    (expires_at, wrapped_key): (Timestamp, Binary),
) -> Res {
    owned(deps.storage, &info, &token_id)?;
    let max = CONFIG.load(deps.storage)?.max_grant_seconds;
    validate::expiry(env.block.time, expires_at, max)?;
    validate::wrapped_key(&wrapped_key)?;
    let grantee = deps.api.addr_validate(&grantee)?;
    let g = Grant {
        token_id: token_id.clone(),
        grantee: grantee.clone(),
        purpose,
        granted_at: env.block.time,
        expires_at,
        wrapped_key,
        epoch: epoch(deps.storage, &token_id)?,
        revoked_at: None,
    };
    // A new grant for the same key replaces the old one (new expiry, new wrapped key).
    GRANTS.save(deps.storage, (&token_id, &grantee, purpose.as_str()), &g)?;
    GRANTS_BY_GRANTEE.save(
        deps.storage,
        (&grantee, &token_id, purpose.as_str()),
        &Empty {},
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::GRANT_ACCESS)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::GRANTEE, grantee)
        .add_attribute(ev::attr::PURPOSE, purpose.as_str())
        .add_attribute(ev::attr::EXPIRES_AT, expires_at.seconds().to_string())
        .add_attribute(ev::attr::EPOCH, g.epoch.to_string()))
}

/// The owner revokes; the grant stays as a tombstone (so a later access is refused as revoked,
/// not as unknown) with its wrapped key dropped from current state.
pub fn revoke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    grantee: String,
    purpose: Purpose,
) -> Res {
    owned(deps.storage, &info, &token_id)?;
    let grantee = deps.api.addr_validate(&grantee)?;
    let key = (token_id.as_str(), &grantee, purpose.as_str());
    let mut g = GRANTS
        .may_load(deps.storage, key)?
        .ok_or_else(|| ContractError::NoGrant {
            token_id: token_id.clone(),
            grantee: grantee.to_string(),
            purpose: purpose.as_str(),
        })?;
    g.revoked_at = Some(env.block.time);
    g.wrapped_key = Binary::default();
    GRANTS.save(deps.storage, key, &g)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::REVOKE_ACCESS)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::GRANTEE, grantee)
        .add_attribute(ev::attr::PURPOSE, purpose.as_str()))
}

/// The grantee records one access it performs; only under a live grant.
pub fn log_access(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    purpose: Purpose,
) -> Res {
    if !RECORDS.has(deps.storage, &token_id) {
        return Err(ContractError::RecordNotFound { token_id });
    }
    let g = GRANTS
        .may_load(deps.storage, (&token_id, &info.sender, purpose.as_str()))?
        .ok_or_else(|| ContractError::NoGrant {
            token_id: token_id.clone(),
            grantee: info.sender.to_string(),
            purpose: purpose.as_str(),
        })?;
    check_live(deps.storage, env.block.time, &g)?;
    let seq = ACCESS_SEQ
        .may_load(deps.storage, &token_id)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or(cosmwasm_std::OverflowError::new(
            cosmwasm_std::OverflowOperation::Add,
        ))?;
    ACCESS_SEQ.save(deps.storage, &token_id, &seq)?;
    let event = AccessEvent {
        token_id,
        grantee: info.sender.to_string(),
        purpose: purpose.as_str().to_string(),
        time: env.block.time.seconds(),
        seq,
    };
    Ok(Response::new().add_attributes(event.into_event().attributes))
}
