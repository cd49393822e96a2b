//! Slashing: a fraction of every lot and every unbonding claim of a node.

use bithive_formulas::capacity::epoch_unit_limit;
use bithive_interface::attestation::{QueryMsg as AttestationQuery, WorkPayload};
use bithive_interface::rewards::{Config as RewardsConfig, QueryMsg as RewardsQuery};
use bithive_interface::staking::{events as ev, EvidenceProof, OVER_CAPACITY_REASON};
use bithive_signed_attestation::{
    payload_hash, Attestation, AttestationKind, Hash32, PubKey33, SignedAttestation,
    BLS_SIGNATURE_DST,
};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Env, Event, HashFunction,
    HexBinary, MessageInfo, Response, Storage, Uint128, WasmMsg, BLS12_381_G1_GENERATOR,
};
use cw20::Cw20ExecuteMsg;

use crate::attestors::epoch_of;
use crate::capacity;
use crate::error::ContractError;
use crate::execute::sync_bonded;
use crate::state::{
    Config, Node, CAPACITY_LOG_FROM, CONFIG, MAX_ATTESTORS, NODES, OPERATOR_KEYS, TOTALS,
    USED_EVIDENCE,
};

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
    let fraction = CONFIG.load(deps.storage)?.fraud_slash;
    let res = apply(deps, &node, fraction, "fraud: conflicting attestations")?;
    Ok(res
        .add_attribute(ev::attr::JOB_KEY, job_key.to_hex())
        .add_attribute(ev::attr::JOB_ID, a.job_id.clone()))
}

fn attestation_err(e: bithive_signed_attestation::AttestationError) -> ContractError {
    ContractError::Attestation(e.to_string())
}

/// The registered nodes whose operator keys signed `a` (each signature verified; every key must
/// be registered, so a forged or stranger's signature slashes nobody and refuses the evidence).
/// Returns each signer's operator key (for a BLS member: its node's operator key, so a node is
/// slashed once per job whichever proof names it) and node.
fn signers(
    deps: Deps,
    a: &Attestation,
    proof: &EvidenceProof,
    rewards: &RewardsConfig,
) -> Result<Vec<(PubKey33, Addr)>, ContractError> {
    let digest = a.digest().map_err(attestation_err)?;
    let pairs: Vec<(PubKey33, &[u8])> = match proof {
        EvidenceProof::Bls { signers, signature } => {
            return bls_signers(deps, a, &digest, signers, signature, &rewards.reporter)
        }
        EvidenceProof::Single { signature } => {
            if a.is_quorum() {
                return Err(ContractError::BadProof(
                    "a quorum attestation needs its members' signatures",
                ));
            }
            vec![(a.signer, &signature.0[..])]
        }
        EvidenceProof::Secp256k1 { signatures } => {
            if !a.is_quorum() {
                return Err(ContractError::BadProof(
                    "a single-signer attestation has one signature",
                ));
            }
            if signatures.is_empty() || signatures.len() > MAX_ATTESTORS as usize {
                return Err(ContractError::BadProof("1..=100 signatures"));
            }
            signatures
                .iter()
                .map(|s| (s.key, &s.signature.0[..]))
                .collect()
        }
    };
    let mut out: Vec<(PubKey33, Addr)> = Vec::with_capacity(pairs.len());
    for (key, sig) in pairs {
        if out.iter().any(|(k, _)| *k == key) {
            return Err(ContractError::DuplicateSigner(key.to_hex()));
        }
        let node = OPERATOR_KEYS
            .may_load(deps.storage, &key.0)?
            .ok_or(ContractError::UnknownOperator)?;
        let valid = deps
            .api
            .secp256k1_verify(&digest.0, sig, &key.0)
            .unwrap_or(false);
        if !valid {
            return Err(ContractError::Attestation(
                bithive_signed_attestation::AttestationError::BadSignature.to_string(),
            ));
        }
        out.push((key, node));
    }
    Ok(out)
}

/// The members of a BLS-aggregate quorum attestation, verified against the keys they registered
/// (with a proof of possession, so no rogue-key aggregate) in `registry`, the attestation contract
/// that reports work to rewards. Every member must be a registered node with a key there.
fn bls_signers(
    deps: Deps,
    a: &Attestation,
    digest: &Hash32,
    members: &[String],
    signature: &HexBinary,
    registry: &Addr,
) -> Result<Vec<(PubKey33, Addr)>, ContractError> {
    if !a.is_quorum() {
        return Err(ContractError::BadProof(
            "a single-signer attestation has one signature",
        ));
    }
    if members.is_empty() || members.len() > MAX_ATTESTORS as usize {
        return Err(ContractError::BadProof("1..=100 signers"));
    }
    if signature.len() != 96 {
        return Err(ContractError::BadProof(
            "a BLS aggregate signature is 96 bytes",
        ));
    }
    let mut out: Vec<(PubKey33, Addr)> = Vec::with_capacity(members.len());
    let mut keys = Vec::with_capacity(48 * members.len());
    for m in members {
        let addr = deps.api.addr_validate(m)?;
        if out.iter().any(|(_, n)| *n == addr) {
            return Err(ContractError::DuplicateSigner(addr.into_string()));
        }
        let node = NODES
            .may_load(deps.storage, &addr)?
            .ok_or_else(|| ContractError::UnknownNode(addr.to_string()))?;
        let key: Option<HexBinary> = deps
            .querier
            .query_wasm_smart(
                registry,
                &AttestationQuery::BlsKey {
                    node: addr.to_string(),
                },
            )
            .map_err(|_| ContractError::NoBlsRegistry(registry.to_string()))?;
        let key = key.ok_or_else(|| ContractError::NoBlsKey(addr.to_string()))?;
        if key.len() != 48 {
            return Err(ContractError::NoBlsKey(addr.to_string()));
        }
        keys.extend_from_slice(key.as_slice());
        out.push((node.operator_key, addr));
    }
    let api = deps.api;
    let aggregate = api.bls12_381_aggregate_g1(&keys)?;
    let h = api.bls12_381_hash_to_g2(HashFunction::Sha256, &digest.0, BLS_SIGNATURE_DST)?;
    match api.bls12_381_pairing_equality(&BLS12_381_G1_GENERATOR, signature, &aggregate, &h) {
        Ok(true) => Ok(out),
        Ok(false) | Err(_) => Err(ContractError::Attestation(
            bithive_signed_attestation::AttestationError::BadSignature.to_string(),
        )),
    }
}

/// Permissionless fraud proof of an over-capacity `compute_work` report: slashes every
/// registered signer of it (never the subject node unless it signed), once per (job, signer).
pub fn submit_capacity_evidence(
    deps: DepsMut,
    env: Env,
    a: Attestation,
    proof: EvidenceProof,
    payload: Binary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    // Bound to this deployment: this chain's rewards contract, the only consumer of the kind.
    if a.kind != AttestationKind::ComputeWork {
        return Err(ContractError::NotComputeWork);
    }
    if a.chain_id != env.block.chain_id {
        return Err(ContractError::WrongChain(a.chain_id));
    }
    let rewards = config
        .work_reporter
        .clone()
        .ok_or(ContractError::NoWorkReporter)?;
    if a.contract != rewards.as_str() {
        return Err(ContractError::WrongContract {
            expected: rewards.into_string(),
            got: a.contract,
        });
    }
    let bound = payload_hash(AttestationKind::ComputeWork, &payload);
    if a.result_hash != bound && !a.commitments.contains(&bound) {
        return Err(ContractError::PayloadNotBound);
    }
    let work: WorkPayload =
        from_json(&payload).map_err(|e| ContractError::BadPayload(e.to_string()))?;
    let rc: RewardsConfig = deps
        .querier
        .query_wasm_smart(&rewards, &RewardsQuery::Config {})?;
    let signed_by = signers(deps.as_ref(), &a, &proof, &rc)?;
    // The subject: named by the payload, or a single signer's own node.
    let subject = match (&work.node, &proof) {
        (Some(n), _) => deps.api.addr_validate(n)?,
        (None, EvidenceProof::Single { .. }) => signed_by[0].1.clone(),
        (None, EvidenceProof::Secp256k1 { .. } | EvidenceProof::Bls { .. }) => {
            return Err(ContractError::BadPayload(
                "a quorum attestation's payload must name the node".into(),
            ))
        }
    };
    // The largest capacity the subject had in the report's epoch and either neighbour (clock
    // skew between the signer's view and `issued_at`), never a later one.
    let e = epoch_of(&config, a.issued_at);
    let (from, to) = (e.saturating_sub(1), e.saturating_add(1));
    let unknown = || ContractError::CapacityUnknown {
        node: subject.to_string(),
    };
    if from < CAPACITY_LOG_FROM.may_load(deps.storage)?.unwrap_or(0) {
        return Err(unknown());
    }
    let capacity_t = capacity::max_in(deps.storage, &subject, from, to)?.ok_or_else(unknown)?;
    let limit = epoch_unit_limit(capacity_t, rc.evidence_units_per_t());
    if work.units <= limit {
        return Err(ContractError::WithinCapacity {
            units: work.units,
            limit,
        });
    }
    let fraction = config.fraud_slash;
    let mut total = Uint128::zero();
    let mut events = vec![];
    for (key, node) in &signed_by {
        let k = a.over_capacity_key(key).map_err(attestation_err)?;
        // A signer already slashed for this job is skipped (a subset cannot shield the rest).
        if USED_EVIDENCE.has(deps.storage, &k.0) {
            continue;
        }
        USED_EVIDENCE.save(deps.storage, &k.0, &env.block.height)?;
        let amount = take(deps.storage, &config, node, fraction)?;
        total = total.checked_add(amount)?;
        events.push(
            Event::new(ev::SLASH)
                .add_attribute(ev::attr::NODE, node)
                .add_attribute(ev::attr::FRACTION, fraction.to_string())
                .add_attribute(ev::attr::AMOUNT, amount)
                .add_attribute(ev::attr::REASON, OVER_CAPACITY_REASON)
                .add_attribute(ev::attr::EVIDENCE, k.to_hex()),
        );
    }
    if events.is_empty() {
        return Err(ContractError::EvidenceReplayed);
    }
    Ok(Response::new()
        .add_attribute(ev::ACTION, ev::SUBMIT_CAPACITY_EVIDENCE)
        .add_attribute(ev::attr::JOB_ID, a.job_id.clone())
        .add_attribute(ev::attr::SUBJECT, subject)
        .add_attribute(ev::attr::UNITS, work.units)
        .add_attribute(ev::attr::CAPACITY_T, capacity_t.to_string())
        .add_attribute(ev::attr::LIMIT, limit)
        .add_attribute(ev::attr::SIGNERS, events.len().to_string())
        .add_attribute(ev::attr::AMOUNT, total)
        .add_events(events)
        .add_messages(payout(&config, total)?))
}
