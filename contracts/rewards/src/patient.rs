//! Patient incentives (BTT): one reward per activity id, computed with Rpatient and clamped to the
//! activity's range, confirmed by a registered institution's signed attestation, under a
//! per-patient daily cap.

use bithive_formulas::rpatient::{rpatient, RpatientInputs};
use bithive_interface::rewards::events as ev;
use bithive_interface::rewards::patient_claim::statement as patient_claim_statement;
use bithive_signed_attestation::PubKey33;
use cosmwasm_std::{
    to_json_binary, Addr, DepsMut, Env, MessageInfo, Response, Storage, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::msg::PatientClaim;
use crate::state::{
    Config, Verifier, ACTIVITIES, CONFIG, MAX_ATTESTATION_AGE, PATIENT, PATIENT_DAY, VERIFIERS,
};

pub const MAX_ACTIVITY_ID: usize = 128;

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn fund(deps: DepsMut, amount: Uint128) -> Result<Response, ContractError> {
    let mut pool = PATIENT.load(deps.storage)?;
    pool.balance = pool.balance.checked_add(amount)?;
    pool.funded = pool.funded.checked_add(amount)?;
    PATIENT.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::FUND_PATIENT_POOL)
        .add_attribute(ev::attr::AMOUNT, amount))
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn set_verifier(
    deps: DepsMut,
    info: MessageInfo,
    pubkey: PubKey33,
    institution: String,
    active: bool,
) -> Result<Response, ContractError> {
    if CONFIG.load(deps.storage)?.governance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    if institution.is_empty() || institution.len() > 128 {
        return Err(ContractError::InvalidConfig(
            "institution must be 1-128 bytes",
        ));
    }
    if !matches!(pubkey.0[0], 2 | 3) {
        return Err(ContractError::InvalidConfig(
            "verifier key must be a compressed secp256k1 key",
        ));
    }
    VERIFIERS.save(
        deps.storage,
        &pubkey.0,
        &Verifier {
            institution: institution.clone(),
            active,
        },
    )?;
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SET_VERIFIER)
        .add_attribute(ev::attr::PUBKEY, pubkey.to_hex())
        .add_attribute(ev::attr::INSTITUTION, institution)
        .add_attribute(ev::attr::ACTIVE, active.to_string()))
}

// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn claim(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    claim: PatientClaim,
) -> Result<Response, ContractError> {
    let PatientClaim {
        activity_id,
        activity,
        verifier,
        issued_at,
        nonce,
        signature,
    } = claim;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    check_activity_id(deps.storage, &activity_id)?;
    if issued_at > now || now - issued_at > MAX_ATTESTATION_AGE {
        return Err(ContractError::Attestation(
            "attestation is from the future or older than 30 days".into(),
        ));
    }
    match VERIFIERS.may_load(deps.storage, &verifier.0)? {
        Some(v) if v.active => {}
        _ => return Err(ContractError::UnknownVerifier),
    }
    // The statement the verifier must have signed, rebuilt from this claim: the patient, the
    // activity and every formula input are bound by the result hash.
    let attestation = patient_claim_statement(
        &env.block.chain_id,
        env.contract.address.as_str(),
        info.sender.as_str(),
        &activity_id,
        &activity,
        verifier,
        issued_at,
        nonce.u64(),
    );
    let api = deps.api;
    attestation
        .verify_with(&signature, |h, s, k| api.secp256k1_verify(h, s, k))
        .map_err(|e| ContractError::Attestation(e.to_string()))?;

    let res = pay(deps, &env, &config, &info.sender, &activity_id, &activity)?;
    Ok(res
        .add_attribute(ev::ACTION, ev::CLAIM_PATIENT)
        .add_attribute(ev::attr::VERIFIER, verifier.to_hex()))
}

/// The reporter (the attestation contract) credits an activity attested by a registered node
/// or a quorum: same formula, cap, pool and once-per-activity rule as a verifier claim.
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn credit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    patient: String,
    activity_id: String,
    activity: RpatientInputs,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.reporter {
        return Err(ContractError::Unauthorized);
    }
    check_activity_id(deps.storage, &activity_id)?;
    let patient = deps.api.addr_validate(&patient)?;
    let res = pay(deps, &env, &config, &patient, &activity_id, &activity)?;
    Ok(res
        .add_attribute(ev::ACTION, ev::CREDIT_PATIENT)
        .add_attribute(ev::attr::REPORTER, info.sender))
}

fn check_activity_id(storage: &dyn Storage, activity_id: &str) -> Result<(), ContractError> {
    if activity_id.is_empty() || activity_id.len() > MAX_ACTIVITY_ID {
        return Err(ContractError::InvalidConfig(
            "activity id must be 1-128 bytes",
        ));
    }
    if ACTIVITIES.has(storage, activity_id) {
        return Err(ContractError::ActivityClaimed(activity_id.to_string()));
    }
    Ok(())
}

/// Rpatient of the activity, within the patient's daily cap, from the pool, once per activity.
fn pay(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    patient: &Addr,
    activity_id: &str,
    activity: &RpatientInputs,
) -> Result<Response, ContractError> {
    let now = env.block.time.seconds();
    let amount = rpatient(activity)?;
    let day = now / 86_400;
    let used = PATIENT_DAY
        .may_load(deps.storage, (patient, day))?
        .unwrap_or_default();
    let after = used.checked_add(amount)?;
    if after > config.patient_daily_cap {
        return Err(ContractError::DailyCap {
            used: used.to_string(),
            cap: config.patient_daily_cap.to_string(),
        });
    }
    let mut pool = PATIENT.load(deps.storage)?;
    if pool.balance < amount {
        return Err(ContractError::PoolEmpty(pool.balance.to_string()));
    }
    pool.balance -= amount;
    pool.paid = pool.paid.checked_add(amount)?;
    PATIENT.save(deps.storage, &pool)?;
    PATIENT_DAY.save(deps.storage, (patient, day), &after)?;
    ACTIVITIES.save(deps.storage, activity_id, &env.block.height)?;
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: config.btt.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: patient.to_string(),
                amount,
            })?,
            funds: vec![],
        })
        .add_attribute(ev::attr::PATIENT, patient.as_str())
        .add_attribute(ev::attr::ACTIVITY_ID, activity_id)
        .add_attribute(ev::attr::ACTIVITY, format!("{:?}", activity.activity))
        .add_attribute(ev::attr::AMOUNT, amount))
}
