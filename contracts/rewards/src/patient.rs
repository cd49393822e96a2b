//! Patient incentives (BTT): one reward per activity id, computed with Rpatient and clamped to the
//! activity's range, confirmed by a registered institution's signed attestation, under a
//! per-patient daily cap.

use bithive_formulas::rpatient::{rpatient, RpatientInputs};
use bithive_interface::rewards::events as ev;
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33};
use cosmwasm_std::{
    to_json_binary, Addr, Decimal, DepsMut, Env, MessageInfo, Response, Storage, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::msg::PatientClaim;
use crate::state::{
    Config, Verifier, ACTIVITIES, CONFIG, MAX_ATTESTATION_AGE, PATIENT, PATIENT_DAY, VERIFIERS,
};

/// Domain tag of the patient-activity payload.
pub const PAYLOAD_DOMAIN: &[u8] = b"BITHIVE/PATIENT-ACTIVITY/v1\0";
pub const MAX_ACTIVITY_ID: usize = 128;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_dec(out: &mut Vec<u8>, d: Decimal) {
    out.extend_from_slice(&d.atomics().u128().to_be_bytes());
}

/// The attested result hash of a patient claim: sha256 of
/// `domain || u16 len + patient || u16 len + activity_id || type code u8 || days u32 ||
///  avalue, cfactor, hconsistency, tmultiplier, padjustment (each the u128 atomics of the
///  18-decimal value, big-endian)`.
pub fn payload_hash(patient: &str, activity_id: &str, a: &RpatientInputs) -> Hash32 {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(PAYLOAD_DOMAIN);
    put_str(&mut out, patient);
    put_str(&mut out, activity_id);
    out.push(a.activity.code());
    out.extend_from_slice(&a.days.to_be_bytes());
    for d in [
        a.avalue,
        a.cfactor,
        a.hconsistency,
        a.tmultiplier,
        a.padjustment,
    ] {
        put_dec(&mut out, d);
    }
    Hash32(Sha256::digest(out).into())
}

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
    let attestation = Attestation {
        chain_id: env.block.chain_id.clone(),
        contract: env.contract.address.to_string(),
        job_id: activity_id.clone(),
        kind: AttestationKind::PatientActivity,
        result_hash: payload_hash(info.sender.as_str(), &activity_id, &activity),
        commitments: vec![],
        issued_at,
        nonce: nonce.u64(),
        signer: verifier,
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_formulas::rpatient::ActivityType;

    #[test]
    fn payload_layout_is_stable() {
        let a = RpatientInputs {
            activity: ActivityType::Education,
            days: 1,
            avalue: Decimal::percent(150),
            cfactor: Decimal::one(),
            hconsistency: Decimal::zero(),
            tmultiplier: Decimal::one(),
            padjustment: Decimal::one(),
        };
        // The same bytes written out by hand.
        let mut bytes = b"BITHIVE/PATIENT-ACTIVITY/v1\0".to_vec();
        bytes.extend_from_slice(&[0, 3]);
        bytes.extend_from_slice(b"pat");
        bytes.extend_from_slice(&[0, 2]);
        bytes.extend_from_slice(b"a1");
        bytes.push(4);
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        for atomics in [
            1_500_000_000_000_000_000u128,
            10u128.pow(18),
            0,
            10u128.pow(18),
            10u128.pow(18),
        ] {
            bytes.extend_from_slice(&atomics.to_be_bytes());
        }
        assert_eq!(bytes.len(), 28 + 5 + 4 + 1 + 4 + 80);
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(payload_hash("pat", "a1", &a), Hash32(expected));
        // Any input changes the hash.
        let mut b = a.clone();
        b.padjustment = Decimal::percent(101);
        assert_ne!(payload_hash("pat", "a1", &b), payload_hash("pat", "a1", &a));
        assert_ne!(payload_hash("pau", "a1", &a), payload_hash("pat", "a1", &a));
    }
}
