//! Slashing: a fraction of every lot and every unbonding claim of a node.

use std::collections::BTreeSet;

use bithive_formulas::quantized::{agrees, MAX_VALUES};
use bithive_interface::attestation::InferencePayload;
use bithive_interface::rewards::ExecuteMsg as RewardsMsg;
use bithive_interface::staking::{events as ev, ReexecutionVerdict};
use bithive_signed_attestation::{
    payload_hash, reexecution_digest, AttestationKind, SignedAttestation, QUORUM_SIGNER,
};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Decimal, DepsMut, Env, MessageInfo, Response, Storage,
    Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::execute::sync_bonded;
use crate::state::{Config, Node, ATTESTORS, CONFIG, NODES, OPERATOR_KEYS, TOTALS, USED_EVIDENCE};

/// Cuts `fraction` off the node's lots and claims; returns (from bonded, from unbonding).
pub fn cut(node: &mut Node, fraction: Decimal) -> (Uint128, Uint128) {
    let mut from_bonded = Uint128::zero();
    for lot in node.lots.iter_mut() {
        let c = lot.amount.mul_floor(fraction);
        lot.amount -= c;
        from_bonded += c;
    }
    let mut from_unbonding = Uint128::zero();
    for claim in node.claims.iter_mut() {
        let c = claim.amount.mul_floor(fraction);
        claim.amount -= c;
        from_unbonding += c;
    }
    node.lots.retain(|l| !l.amount.is_zero());
    node.claims.retain(|c| !c.amount.is_zero());
    (from_bonded, from_unbonding)
}

/// Cuts `fraction` off `addr`'s pledge and updates the totals; returns the amount taken (to be
/// sent to `slash_recipient` by the caller).
fn take(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    fraction: Decimal,
) -> Result<Uint128, ContractError> {
    if fraction.is_zero() || fraction > Decimal::one() {
        return Err(ContractError::BadFraction);
    }
    let mut node = NODES
        .may_load(storage, addr)?
        .ok_or_else(|| ContractError::UnknownNode(addr.to_string()))?;
    let (b, u) = cut(&mut node, fraction);
    let total = b.checked_add(u)?;
    node.slashed = node.slashed.checked_add(total)?;
    NODES.save(storage, addr, &node)?;
    sync_bonded(storage, config, addr, &node)?;
    let mut totals = TOTALS.load(storage)?;
    totals.bonded = totals.bonded.checked_sub(b)?;
    totals.unbonding = totals.unbonding.checked_sub(u)?;
    totals.slashed = totals.slashed.checked_add(total)?;
    TOTALS.save(storage, &totals)?;
    Ok(total)
}

/// The transfer of slashed tokens to `slash_recipient` (None when nothing was taken).
fn payout(config: &Config, total: Uint128) -> Result<Option<WasmMsg>, ContractError> {
    if total.is_zero() {
        return Ok(None);
    }
    Ok(Some(WasmMsg::Execute {
        contract_addr: config.token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: config.slash_recipient.to_string(),
            amount: total,
        })?,
        funds: vec![],
    }))
}

fn apply(
    deps: DepsMut,
    addr: &Addr,
    fraction: Decimal,
    reason: &str,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let total = take(deps.storage, &config, addr, fraction)?;
    let res = Response::new()
        .add_attribute(ev::ACTION, ev::SLASH)
        .add_attribute(ev::attr::NODE, addr)
        .add_attribute(ev::attr::FRACTION, fraction.to_string())
        .add_attribute(ev::attr::AMOUNT, total)
        .add_attribute(ev::attr::REASON, reason);
    Ok(res.add_messages(payout(&config, total)?))
}

pub fn governance_slash(
    deps: DepsMut,
    info: MessageInfo,
    node: String,
    fraction: Decimal,
    reason: String,
) -> Result<Response, ContractError> {
    if CONFIG.load(deps.storage)?.governance != info.sender {
        return Err(ContractError::Unauthorized);
    }
    if reason.len() > 256 {
        return Err(ContractError::InvalidConfig("reason longer than 256 bytes"));
    }
    let addr = deps.api.addr_validate(&node)?;
    apply(deps, &addr, fraction, &reason)
}

pub fn submit_evidence(
    deps: DepsMut,
    env: Env,
    first: SignedAttestation,
    second: SignedAttestation,
) -> Result<Response, ContractError> {
    let (a, b) = (&first.attestation, &second.attestation);
    if !a.conflicts_with(b) {
        return Err(ContractError::NotConflicting);
    }
    let node = OPERATOR_KEYS
        .may_load(deps.storage, &a.signer.0)?
        .ok_or(ContractError::UnknownOperator)?;
    let job_key = a
        .job_key()
        .map_err(|e| ContractError::Attestation(e.to_string()))?;
    if USED_EVIDENCE.has(deps.storage, &job_key.0) {
        return Err(ContractError::EvidenceReplayed);
    }
    let api = deps.api;
    for s in [&first, &second] {
        s.verify_with(|h, sig, pk| api.secp256k1_verify(h, sig, pk))
            .map_err(|e| ContractError::Attestation(e.to_string()))?;
    }
    USED_EVIDENCE.save(deps.storage, &job_key.0, &env.block.height)?;
    let config = CONFIG.load(deps.storage)?;
    let res = apply(
        deps,
        &node,
        config.fraud_slash,
        "fraud: conflicting attestations",
    )?;
    // Equivocation costs the epoch too: otherwise a node about to be proven wrong by
    // re-execution would prove its own equivocation first and keep its weight.
    Ok(res
        .add_attribute(ev::attr::JOB_KEY, job_key.to_hex())
        .add_attribute(ev::attr::JOB_ID, a.job_id.clone())
        .add_messages(forfeit(&config, &node)?))
}

/// Fewest verdicts a re-execution proof needs, however small the attestor set: one attestor
/// alone never slashes.
pub const MIN_VERDICTS: u32 = 2;

/// Rewards' `forfeit_epoch` of `node` (when a work reporter is configured): fraud, proven
/// either way, costs the node its weight of the epoch collecting.
fn forfeit(config: &Config, node: &Addr) -> Result<Option<WasmMsg>, ContractError> {
    let Some(rewards) = &config.work_reporter else {
        return Ok(None);
    };
    Ok(Some(WasmMsg::Execute {
        contract_addr: rewards.to_string(),
        msg: to_json_binary(&RewardsMsg::ForfeitEpoch {
            node: node.to_string(),
        })?,
        funds: vec![],
    }))
}

/// Fraud proven by re-execution (ADR 007, decision 6): the node signed outputs that more than
/// half of the current attestor set, each re-running the job, found wrong. Anyone may submit
/// it; everything is checked here, against keys this contract holds:
/// - the attestation is an inference attestation signed by a registered node's operator key;
/// - the payload is bound to it (its hash is among the commitments) and carries the node's
///   quantized outputs;
/// - each verdict is signed by a distinct current attestor-set member other than the node, over
///   its own outputs, and those outputs disagree with the node's beyond the tolerance;
/// - more than half of the set's members other than the node signed, and at least
///   [`MIN_VERDICTS`]; their re-runs agree with one another;
/// - the attestation's job key was never used as evidence.
// Kept out of line: inlined into one dispatch function the wasm exceeds the 100-locals limit.
#[inline(never)]
pub fn submit_reexecution(
    deps: DepsMut,
    env: Env,
    signed: SignedAttestation,
    payload: Binary,
    verdicts: Vec<ReexecutionVerdict>,
) -> Result<Response, ContractError> {
    let a = &signed.attestation;
    if a.kind != AttestationKind::Inference {
        return Err(ContractError::NotReexecutable(
            "not an inference attestation",
        ));
    }
    if a.signer == QUORUM_SIGNER {
        return Err(ContractError::NotReexecutable(
            "signed by a quorum, not a node",
        ));
    }
    if a.chain_id != env.block.chain_id {
        return Err(ContractError::WrongChain(a.chain_id.clone()));
    }
    let node = OPERATOR_KEYS
        .may_load(deps.storage, &a.signer.0)?
        .ok_or(ContractError::UnknownOperator)?;
    let job_key = a
        .job_key()
        .map_err(|e| ContractError::Attestation(e.to_string()))?;
    if USED_EVIDENCE.has(deps.storage, &job_key.0) {
        return Err(ContractError::EvidenceReplayed);
    }
    let api = deps.api;
    signed
        .verify_with(|h, sig, pk| api.secp256k1_verify(h, sig, pk))
        .map_err(|e| ContractError::Attestation(e.to_string()))?;
    let bound = payload_hash(AttestationKind::Inference, payload.as_slice());
    if a.result_hash != bound && !a.commitments.contains(&bound) {
        return Err(ContractError::PayloadNotBound);
    }
    let p: InferencePayload =
        from_json(&payload).map_err(|e| ContractError::BadPayload(e.to_string()))?;
    let signed_outputs = p
        .outputs
        .filter(|o| !o.is_empty() && o.len() <= MAX_VALUES)
        .ok_or(ContractError::NotReexecutable(
            "the payload carries no quantized outputs",
        ))?;
    let set = ATTESTORS
        .may_load(deps.storage)?
        .map(|s| s.members)
        .unwrap_or_default();
    let members: BTreeSet<&Addr> = set.iter().map(|m| &m.node).collect();
    let staking = env.contract.address.to_string();
    let mut signers = BTreeSet::new();
    for v in &verdicts {
        let who = OPERATOR_KEYS
            .may_load(deps.storage, &v.key.0)?
            .filter(|w| members.contains(w) && *w != node)
            .ok_or_else(|| ContractError::NotAnAttestor(v.key.to_hex()))?;
        if !signers.insert(who.clone()) {
            return Err(ContractError::DuplicateSigner(v.key.to_hex()));
        }
        if v.outputs.len() > MAX_VALUES {
            return Err(ContractError::NotReexecutable(
                "a verdict's outputs are too long",
            ));
        }
        if agrees(&v.outputs, &signed_outputs) {
            return Err(ContractError::VerdictAgrees(who.to_string()));
        }
        // The re-runs must agree with one another: attestors who each got something else
        // found an input whose result is not reproducible, not a cheating node.
        if !agrees(&v.outputs, &verdicts[0].outputs) {
            return Err(ContractError::VerdictsDisagree);
        }
        let digest = reexecution_digest(&a.chain_id, &staking, &job_key, &v.outputs)
            .map_err(|e| ContractError::Attestation(e.to_string()))?;
        if !api.secp256k1_verify(&digest.0, &v.signature.0, &v.key.0)? {
            return Err(ContractError::BadProof(
                "a verdict's signature does not verify",
            ));
        }
    }
    // The node's own seat, if it holds one, cannot sign against it: the majority is of the
    // other members.
    let of = members.iter().filter(|m| ***m != node).count() as u32;
    let got = signers.len() as u32;
    if 2 * got <= of || got < MIN_VERDICTS {
        return Err(ContractError::TooFewVerdicts { got, members: of });
    }
    USED_EVIDENCE.save(deps.storage, &job_key.0, &env.block.height)?;
    let config = CONFIG.load(deps.storage)?;
    let res = apply(deps, &node, config.fraud_slash, "fraud: re-execution")?
        .add_attribute(ev::attr::JOB_KEY, job_key.to_hex())
        .add_attribute(ev::attr::JOB_ID, a.job_id.clone())
        .add_attribute(
            ev::attr::VERDICTS,
            signers
                .iter()
                .map(Addr::as_str)
                .collect::<Vec<_>>()
                .join(","),
        );
    Ok(res.add_messages(forfeit(&config, &node)?))
}
