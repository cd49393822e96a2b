use bithive_cw_common::PageAfter;
use cosmwasm_std::{Addr, Deps, Env, StdResult, Uint128};

use crate::attestors::{epoch_of, score, window_total};
use crate::error::ContractError;
use crate::execute::{pledge_terms, PledgeTerms};
use crate::msg::{
    AttestorSetResponse, NodeResponse, NodesResponse, PledgeStatusResponse, VscoreResponse,
};
use crate::state::{Node, ATTESTORS, CONFIG, ENDPOINTS, NODES, SCAN, TOTALS, USED_EVIDENCE};

/// What `n` has bonded and its pledge terms now.
fn bonded_terms(deps: Deps, env: &Env, n: &Node) -> StdResult<(Uint128, PledgeTerms)> {
    let config = CONFIG.load(deps.storage)?;
    let bonded = n.bonded();
    let terms = pledge_terms(&config, n.capacity_t, bonded, env.block.time.seconds());
    Ok((bonded, terms))
}

fn node_response(deps: Deps, env: &Env, addr: Addr, n: Node) -> StdResult<NodeResponse> {
    let (bonded, terms) = bonded_terms(deps, env, &n)?;
    Ok(NodeResponse {
        capacity_t: n.capacity_t,
        tier: n.tier,
        operator_key: n.operator_key,
        bonded,
        unbonding: n.unbonding(),
        full_rate: terms.full_rate,
        eligible: terms.eligible,
        required_pledge: terms.required,
        lots: n.lots,
        claims: n.claims,
        compliance: n.compliance,
        slashed: n.slashed,
        endpoint: ENDPOINTS.may_load(deps.storage, &addr)?,
        node: addr.into(),
    })
}

pub fn node(deps: Deps, env: &Env, node: String) -> StdResult<NodeResponse> {
    let addr = deps.api.addr_validate(&node)?;
    let n = NODES.load(deps.storage, &addr)?;
    node_response(deps, env, addr, n)
}

pub fn nodes(
    deps: Deps,
    env: &Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<NodesResponse> {
    let limit = bithive_cw_common::clamp_limit(limit);
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let nodes = NODES
        .range_after(deps.storage, start.as_ref(), limit)
        .map(|r| r.and_then(|(a, n)| node_response(deps, env, a, n)))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(NodesResponse { nodes })
}

pub fn pledge_status(deps: Deps, env: &Env, node: String) -> StdResult<PledgeStatusResponse> {
    let addr = deps.api.addr_validate(&node)?;
    let Some(n) = NODES.may_load(deps.storage, &addr)? else {
        return Ok(PledgeStatusResponse {
            registered: false,
            bonded: Uint128::zero(),
            required: Uint128::zero(),
            full_rate: false,
            eligible: false,
            capacity_t: 0,
            grace_until: None,
            tier: None,
        });
    };
    let (bonded, terms) = bonded_terms(deps, env, &n)?;
    Ok(PledgeStatusResponse {
        registered: true,
        bonded,
        required: terms.required,
        full_rate: terms.full_rate,
        eligible: terms.eligible,
        capacity_t: n.capacity_t,
        grace_until: terms.grace_until,
        tier: Some(n.tier),
    })
}

pub fn vscore(deps: Deps, env: &Env, node: String) -> StdResult<VscoreResponse> {
    let addr = deps.api.addr_validate(&node)?;
    let n = NODES.load(deps.storage, &addr)?;
    let config = CONFIG.load(deps.storage)?;
    let epoch = epoch_of(&config, env.block.time.seconds());
    let totals = TOTALS.load(deps.storage)?;
    let work = window_total(deps.storage, &config, epoch)?;
    score(deps.storage, &config, &addr, &n, epoch, totals.bonded, work)
        .map_err(|e: ContractError| cosmwasm_std::StdError::generic_err(e.to_string()))
}

pub fn attestor_set(deps: Deps, env: &Env) -> StdResult<AttestorSetResponse> {
    let config = CONFIG.load(deps.storage)?;
    let set = ATTESTORS.may_load(deps.storage)?;
    let scan = SCAN.may_load(deps.storage)?;
    Ok(AttestorSetResponse {
        epoch: set.as_ref().map(|s| s.epoch),
        members: set.map(|s| s.members).unwrap_or_default(),
        current_epoch: epoch_of(&config, env.block.time.seconds()),
        scanning: scan.map(|s| (s.epoch, s.scanned)),
    })
}

pub fn evidence_used(deps: Deps, job_key: String) -> StdResult<bool> {
    let key = bithive_signed_attestation::Hash32::from_hex(&job_key)
        .ok_or_else(|| cosmwasm_std::StdError::generic_err("job_key must be 32 bytes hex"))?;
    Ok(USED_EVIDENCE.has(deps.storage, &key.0))
}
