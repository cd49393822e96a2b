//! Execute handlers. Ownership, approvals and operators are cw721 0.22's own functions on its own
//! storage; this module adds the compliance gate in front of them and the asset operations.

use bithive_interface::asset_nft::events as ev;
use cosmwasm_std::{
    Addr, Binary, DepsMut, Empty, Env, HexBinary, MessageInfo, Order, Response, Storage, Uint128,
};
use cw721::execute as cw721_exec;
use cw721::state::{Cw721Config, NftInfo};
use cw721::Expiration;

use crate::error::ContractError;
use crate::msg::{AssetMetadataMsg, ValuationParams};
use crate::state::{
    AssetMetadata, ComplianceMarker, Config, DigitalTwin, ValuationEntry, APPROVED_HOLDERS, ASSETS,
    CONFIG, LATEST_VALUATIONS, USED_IDS, VALUATIONS, VALUATION_SEQ, VALUERS,
};
use crate::{twin_update_digest, validate};

type Res = Result<Response, ContractError>;
type Nft = NftInfo<Option<Empty>>;

fn nft_store() -> Cw721Config<'static, Option<Empty>> {
    Cw721Config::default()
}

fn load_asset(storage: &dyn Storage, token_id: &str) -> Result<AssetMetadata, ContractError> {
    ASSETS
        .may_load(storage, token_id)?
        .ok_or_else(|| ContractError::TokenNotFound {
            token_id: token_id.to_string(),
        })
}

/// The config, when `info` is from its admin.
fn admin_config(storage: &dyn Storage, info: &MessageInfo) -> Result<Config, ContractError> {
    let config = CONFIG.load(storage)?;
    if info.sender != config.admin {
        return Err(ContractError::Unauthorized { role: "admin" });
    }
    Ok(config)
}

/// Saves asset `token_id`; the event is `action` with the token id.
fn save_asset(
    storage: &mut dyn Storage,
    token_id: String,
    asset: &AssetMetadata,
    action: &str,
) -> Res {
    ASSETS.save(storage, &token_id, asset)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, action)
        .add_attribute(ev::attr::TOKEN_ID, token_id))
}

/// Every jurisdiction of the asset marked `ApprovedHoldersOnly` must have approved `recipient`,
/// unless it is the collection's custodian (the ICS-721 contract of a voucher collection).
pub fn check_compliance(
    deps: &DepsMut,
    asset: &AssetMetadata,
    recipient: &str,
) -> Result<(), ContractError> {
    let recipient = deps.api.addr_validate(recipient)?;
    if CONFIG.load(deps.storage)?.custodian.as_ref() == Some(&recipient) {
        return Ok(());
    }
    for j in &asset.jurisdictions {
        if j.markers.contains(&ComplianceMarker::ApprovedHoldersOnly)
            && !APPROVED_HOLDERS.has(deps.storage, (j.code.as_str(), &recipient))
        {
            return Err(ContractError::RecipientNotApproved {
                recipient: recipient.to_string(),
                jurisdiction: j.code.clone(),
            });
        }
    }
    Ok(())
}

pub fn transfer_nft(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    recipient: String,
    token_id: String,
) -> Res {
    let asset = load_asset(deps.storage, &token_id)?;
    check_compliance(&deps, &asset, &recipient)?;
    cw721_exec::transfer_nft::<Option<Empty>>(deps, &env, &info, &recipient, &token_id)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::TRANSFER_NFT)
        .add_attribute(ev::attr::SENDER, info.sender)
        .add_attribute(ev::attr::RECIPIENT, recipient)
        .add_attribute(ev::attr::TOKEN_ID, token_id))
}

pub fn send_nft(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    contract: String,
    token_id: String,
    msg: Binary,
) -> Res {
    let asset = load_asset(deps.storage, &token_id)?;
    check_compliance(&deps, &asset, &contract)?;
    Ok(cw721_exec::send_nft::<Option<Empty>, Empty>(
        deps, &env, &info, contract, token_id, msg,
    )?)
}

pub fn approve(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    spender: String,
    token_id: String,
    expires: Option<Expiration>,
) -> Res {
    Ok(cw721_exec::approve::<Option<Empty>, Empty>(
        deps, &env, &info, spender, token_id, expires,
    )?)
}

pub fn revoke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    spender: String,
    token_id: String,
) -> Res {
    Ok(cw721_exec::revoke::<Option<Empty>, Empty>(
        deps, &env, &info, spender, token_id,
    )?)
}

pub fn approve_all(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
    expires: Option<Expiration>,
) -> Res {
    Ok(cw721_exec::approve_all::<Empty>(
        deps, &env, &info, operator, expires,
    )?)
}

pub fn revoke_all(deps: DepsMut, env: Env, info: MessageInfo, operator: String) -> Res {
    Ok(cw721_exec::revoke_all::<Empty>(
        deps, &env, &info, operator,
    )?)
}

/// Mint writes cw721's token record directly (cw721's `mint` would link the `url` crate for
/// token_uri parsing, a large share of the wasm; the URI is validated by charset here instead).
pub fn mint(
    deps: DepsMut,
    info: MessageInfo,
    token_id: String,
    owner: String,
    token_uri: Option<String>,
    extension: AssetMetadataMsg,
) -> Res {
    admin_config(deps.storage, &info)?;
    validate::token_id(&token_id)?;
    validate::metadata(&extension)?;
    let token_uri = token_uri.filter(|u| !u.is_empty());
    if let Some(uri) = &token_uri {
        validate::description_uri(uri)?;
    }
    if USED_IDS.has(deps.storage, &token_id) {
        return Err(ContractError::TokenIdUsed { token_id });
    }
    let owner_addr = deps.api.addr_validate(&owner)?;
    let asset = AssetMetadata {
        class: extension.class,
        description_uri: extension.description_uri,
        content_hash: extension.content_hash,
        jurisdictions: extension.jurisdictions,
        certifications: extension.certifications,
        twin: DigitalTwin {
            device_pubkey: extension.device_pubkey,
            state_hash: None,
            nonce: 0,
            updated_at: None,
        },
    };
    check_compliance(&deps, &asset, owner_addr.as_str())?;

    let store = nft_store();
    let token: Nft = NftInfo {
        owner: owner_addr,
        approvals: vec![],
        token_uri,
        extension: None,
    };
    store.nft_info.save(deps.storage, &token_id, &token)?;
    store.increment_tokens(deps.storage)?;
    USED_IDS.save(deps.storage, &token_id, &Empty {})?;
    ASSETS.save(deps.storage, &token_id, &asset)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::MINT)
        .add_attribute(ev::attr::MINTER, info.sender)
        .add_attribute(ev::attr::OWNER, owner)
        .add_attribute(ev::attr::TOKEN_ID, token_id))
}

pub fn burn(mut deps: DepsMut, env: Env, info: MessageInfo, token_id: String) -> Res {
    let res = cw721_exec::burn_nft::<Empty>(deps.branch(), &env, &info, token_id.clone())?;
    ASSETS.remove(deps.storage, &token_id);
    Ok(res)
}

/// Admin only: points the config's address `field` at `value`; the event is `action`, with
/// `value` under `key`.
fn update_address(
    deps: DepsMut,
    info: &MessageInfo,
    field: fn(&mut Config) -> &mut Addr,
    (action, key): (&str, &str),
    value: String,
) -> Res {
    let mut config = admin_config(deps.storage, info)?;
    *field(&mut config) = deps.api.addr_validate(&value)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, action)
        .add_attribute(key, value))
}

pub fn update_compliance_officer(deps: DepsMut, info: MessageInfo, officer: String) -> Res {
    let event = (ev::UPDATE_COMPLIANCE_OFFICER, ev::attr::OFFICER);
    update_address(deps, &info, |c| &mut c.compliance_officer, event, officer)
}

pub fn update_valuation_params(deps: DepsMut, info: MessageInfo, params: ValuationParams) -> Res {
    let mut config = admin_config(deps.storage, &info)?;
    validate::valuation_params(&params)?;
    config.valuation = params;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::UPDATE_VALUATION_PARAMS))
}

pub fn set_valuer(deps: DepsMut, info: MessageInfo, valuer: String, add: bool) -> Res {
    admin_config(deps.storage, &info)?;
    let addr = deps.api.addr_validate(&valuer)?;
    if add {
        VALUERS.save(deps.storage, &addr, &Empty {})?;
    } else {
        VALUERS.remove(deps.storage, &addr);
    }
    Ok(Response::new()
        .add_attribute(
            ev::ACTION,
            if add {
                ev::ADD_VALUER
            } else {
                ev::REMOVE_VALUER
            },
        )
        .add_attribute(ev::attr::VALUER, valuer))
}

pub fn set_device_key(
    deps: DepsMut,
    info: MessageInfo,
    token_id: String,
    device_pubkey: Option<Binary>,
) -> Res {
    admin_config(deps.storage, &info)?;
    if let Some(key) = &device_pubkey {
        validate::device_pubkey(key)?;
    }
    let mut asset = load_asset(deps.storage, &token_id)?;
    // Nonce continues: a re-registered key cannot replay updates signed for the old one.
    asset.twin.device_pubkey = device_pubkey;
    save_asset(deps.storage, token_id, &asset, ev::SET_DEVICE_KEY)
}

pub fn set_certifications(
    deps: DepsMut,
    info: MessageInfo,
    token_id: String,
    certifications: Vec<crate::state::Certification>,
) -> Res {
    admin_config(deps.storage, &info)?;
    validate::certifications(&certifications)?;
    let mut asset = load_asset(deps.storage, &token_id)?;
    asset.certifications = certifications;
    save_asset(deps.storage, token_id, &asset, ev::SET_CERTIFICATIONS)
}

pub fn set_holder(
    deps: DepsMut,
    info: MessageInfo,
    jurisdiction: String,
    holder: String,
    approve: bool,
) -> Res {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.compliance_officer {
        return Err(ContractError::Unauthorized {
            role: "compliance officer",
        });
    }
    validate::jurisdiction_code(&jurisdiction)?;
    let addr = deps.api.addr_validate(&holder)?;
    if approve {
        APPROVED_HOLDERS.save(deps.storage, (&jurisdiction, &addr), &Empty {})?;
    } else {
        APPROVED_HOLDERS.remove(deps.storage, (&jurisdiction, &addr));
    }
    Ok(Response::new()
        .add_attribute(
            ev::ACTION,
            if approve {
                ev::APPROVE_HOLDER
            } else {
                ev::REVOKE_HOLDER
            },
        )
        .add_attribute(ev::attr::JURISDICTION, jurisdiction)
        .add_attribute(ev::attr::HOLDER, holder))
}

pub fn update_twin(
    deps: DepsMut,
    env: Env,
    token_id: String,
    state_hash: HexBinary,
    nonce: u64,
    signature: Binary,
) -> Res {
    validate::hash32("state_hash", &state_hash)?;
    let mut asset = load_asset(deps.storage, &token_id)?;
    let key = asset
        .twin
        .device_pubkey
        .clone()
        .ok_or_else(|| ContractError::NoDeviceKey {
            token_id: token_id.clone(),
        })?;
    let expected = asset
        .twin
        .nonce
        .checked_add(1)
        .ok_or(ContractError::BadNonce {
            expected: u64::MAX,
            got: nonce,
        })?;
    if nonce != expected {
        return Err(ContractError::BadNonce {
            expected,
            got: nonce,
        });
    }
    let digest = twin_update_digest(
        &env.block.chain_id,
        env.contract.address.as_str(),
        &token_id,
        nonce,
        state_hash.as_slice(),
    );
    let ok = deps
        .api
        .secp256k1_verify(&digest, &signature, &key)
        .map_err(|_| ContractError::BadSignature {})?;
    if !ok {
        return Err(ContractError::BadSignature {});
    }
    asset.twin.state_hash = Some(state_hash.clone());
    asset.twin.nonce = nonce;
    asset.twin.updated_at = Some(env.block.time);
    Ok(save_asset(deps.storage, token_id, &asset, ev::UPDATE_TWIN)?
        .add_attribute(ev::attr::NONCE, nonce.to_string())
        .add_attribute(ev::attr::STATE_HASH, state_hash.to_hex()))
}

pub fn submit_valuation(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    value: Uint128,
) -> Res {
    if !VALUERS.has(deps.storage, &info.sender) {
        return Err(ContractError::NotValuer {
            valuer: info.sender.to_string(),
        });
    }
    if value.is_zero() {
        return Err(ContractError::InvalidField {
            field: "value",
            reason: "must be positive",
        });
    }
    load_asset(deps.storage, &token_id)?;
    let seq = VALUATION_SEQ
        .may_load(deps.storage, &token_id)?
        .unwrap_or_default()
        .checked_add(1)
        .ok_or(cosmwasm_std::StdError::generic_err(
            "valuation seq overflow",
        ))?;
    VALUATION_SEQ.save(deps.storage, &token_id, &seq)?;
    let entry = ValuationEntry {
        seq,
        valuer: info.sender.clone(),
        value,
        submitted_at: env.block.time,
    };
    if seq > 1
        && LATEST_VALUATIONS
            .prefix(token_id.as_str())
            .range(deps.storage, None, None, Order::Ascending)
            .next()
            .is_none()
    {
        // A token valued before the per-valuer index existed: indexed once, now, from its
        // fresh entries only (newest first, stopping at the first stale one: bounded by the
        // freshness window, not by the token's whole history).
        let params = CONFIG.load(deps.storage)?.valuation;
        let cutoff = env
            .block
            .time
            .seconds()
            .saturating_sub(params.freshness_secs);
        let mut latest: Vec<(Addr, u64)> = Vec::new();
        for item in
            VALUATIONS
                .prefix(token_id.as_str())
                .range(deps.storage, None, None, Order::Descending)
        {
            let (s, e) = item?;
            if e.submitted_at.seconds() < cutoff {
                break;
            }
            if !latest.iter().any(|(v, _)| *v == e.valuer) {
                latest.push((e.valuer, s));
            }
        }
        for (valuer, s) in latest {
            LATEST_VALUATIONS.save(deps.storage, (token_id.as_str(), &valuer), &s)?;
        }
    }
    VALUATIONS.save(deps.storage, (&token_id, seq), &entry)?;
    LATEST_VALUATIONS.save(deps.storage, (token_id.as_str(), &info.sender), &seq)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SUBMIT_VALUATION)
        .add_attribute(ev::attr::TOKEN_ID, token_id)
        .add_attribute(ev::attr::VALUER, info.sender)
        .add_attribute(ev::attr::VALUE, value)
        .add_attribute(ev::attr::SEQ, seq.to_string()))
}

/// The latest submissions of the `window` current valuers who submitted last, one per valuer
/// (its newest), still fresh, newest first: one valuer cannot fill the window however often it
/// submits (issue #43). Reads one entry per valuer that ever valued the token (valuers are
/// appointed by the admin, so they are few). With more valuers than `window`, those who submit
/// most often hold the window: set `window` to the number of valuers.
pub fn fresh_submissions(
    storage: &dyn Storage,
    env: &Env,
    token_id: &str,
    params: &ValuationParams,
) -> Result<Vec<ValuationEntry>, ContractError> {
    let cutoff = env
        .block
        .time
        .seconds()
        .saturating_sub(params.freshness_secs);
    let mut latest: Vec<ValuationEntry> = Vec::new();
    for item in LATEST_VALUATIONS
        .prefix(token_id)
        .range(storage, None, None, Order::Ascending)
    {
        let (valuer, seq) = item?;
        // A removed valuer's last word no longer counts.
        if !VALUERS.has(storage, &valuer) {
            continue;
        }
        let entry = VALUATIONS.load(storage, (token_id, seq))?;
        if entry.submitted_at.seconds() >= cutoff {
            latest.push(entry);
        }
    }
    latest.sort_by_key(|e| std::cmp::Reverse(e.seq));
    latest.truncate(params.window as usize);
    Ok(latest)
}

/// Median of the values; the mean of the two middle values (rounded down) for an even count.
pub fn median(values: &mut [Uint128]) -> Option<Uint128> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[mid])
    } else {
        let (a, b) = (values[mid - 1], values[mid]);
        // a <= b, so a + (b - a) / 2 cannot overflow.
        Some(a + (b - a) / Uint128::new(2))
    }
}

#[cfg(test)]
mod tests {
    use super::median;
    use cosmwasm_std::Uint128;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn median_splits_the_values(values in proptest::collection::vec(0u128..u128::MAX, 1..32)) {
            let mut v: Vec<Uint128> = values.iter().copied().map(Uint128::new).collect();
            let m = median(&mut v).unwrap();
            // At least half the values are <= m and at least half are >= m.
            let below = v.iter().filter(|x| **x <= m).count();
            let above = v.iter().filter(|x| **x >= m).count();
            prop_assert!(2 * below >= v.len() && 2 * above >= v.len());
            prop_assert!(m >= *v.iter().min().unwrap() && m <= *v.iter().max().unwrap());
        }
    }

    #[test]
    fn median_examples() {
        let u = |xs: &[u128]| xs.iter().copied().map(Uint128::new).collect::<Vec<_>>();
        assert_eq!(median(&mut u(&[])), None);
        assert_eq!(median(&mut u(&[5])), Some(Uint128::new(5)));
        assert_eq!(median(&mut u(&[9, 1, 5])), Some(Uint128::new(5)));
        assert_eq!(median(&mut u(&[1, 4])), Some(Uint128::new(2)));
        assert_eq!(
            median(&mut u(&[u128::MAX, u128::MAX - 2])),
            Some(Uint128::new(u128::MAX - 1))
        );
    }
}
