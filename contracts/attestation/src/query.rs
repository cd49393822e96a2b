use bithive_cw_common::{clamp_limit, PageAfter};
use bithive_signed_attestation::{Attestation, AttestationKind, Hash32, PubKey33, QUORUM_SIGNER};
use cosmwasm_std::{Addr, Deps, Env, HexBinary, Order, StdError, StdResult};
use cw_storage_plus::Bound;

use crate::msg::{AttestationsResponse, ChannelsResponse, PacketsResponse};
use crate::state::{
    record_key, Accepted, Outgoing, ACCEPTED, BLS_KEYS, BY_SIGNER, CHANNELS, CONFIG, NONCES,
    OUTGOING, PENDING, ROUNDS, ROUTES,
};
use crate::verify::expected_contract;

pub fn attestation(
    deps: Deps,
    env: &Env,
    job_id: String,
    kind: AttestationKind,
    contract: Option<String>,
    chain_id: Option<String>,
) -> StdResult<Option<Accepted>> {
    let contract = match contract {
        Some(c) => c,
        None => {
            let config = CONFIG.load(deps.storage)?;
            expected_contract(&config, env, kind)
                .map_err(|e| StdError::generic_err(e.to_string()))?
                .into()
        }
    };
    let probe = Attestation {
        chain_id: chain_id.unwrap_or_else(|| env.block.chain_id.clone()),
        contract,
        job_id,
        kind,
        result_hash: Hash32([0; 32]),
        commitments: vec![],
        issued_at: 0,
        nonce: 0,
        signer: QUORUM_SIGNER,
    };
    // Record-only matching attestations are listed by their signer (`by_signer`).
    let key = record_key(&probe, false).map_err(|e| StdError::generic_err(e.to_string()))?;
    ACCEPTED.may_load(deps.storage, key.as_bytes())
}

pub fn by_signer(
    deps: Deps,
    signer: PubKey33,
    start_after: Option<Hash32>,
    limit: Option<u32>,
) -> StdResult<AttestationsResponse> {
    let limit = clamp_limit(limit);
    let start_bytes = start_after.map(|h| h.0);
    let start = start_bytes.as_ref().map(|b| Bound::exclusive(b.as_slice()));
    let keys: Vec<Vec<u8>> = BY_SIGNER
        .prefix(signer.as_bytes())
        .keys_raw(deps.storage, start, None, Order::Ascending)
        .take(limit)
        .collect();
    let mut attestations = Vec::with_capacity(keys.len());
    for k in keys {
        let h = Hash32::from_slice(&k).ok_or_else(|| StdError::generic_err("bad index key"))?;
        attestations.push((h, ACCEPTED.load(deps.storage, &k)?));
    }
    Ok(AttestationsResponse { attestations })
}

pub fn nonce_used(deps: Deps, signer: PubKey33, nonce: u64) -> bool {
    NONCES.has(deps.storage, (signer.as_bytes(), nonce))
}

pub fn bls_key(deps: Deps, node: String) -> StdResult<Option<HexBinary>> {
    let node = deps.api.addr_validate(&node)?;
    BLS_KEYS.may_load(deps.storage, &node)
}

pub fn route(deps: Deps, chain_id: String) -> StdResult<Option<String>> {
    ROUTES.may_load(deps.storage, &chain_id)
}

pub fn channels(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<ChannelsResponse> {
    let channels =
        CHANNELS.values_after(deps.storage, start_after.as_deref(), clamp_limit(limit))?;
    Ok(ChannelsResponse { channels })
}

pub fn pending(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<PacketsResponse> {
    let ids: Vec<u64> = PENDING
        .keys_after(deps.storage, start_after, clamp_limit(limit))
        .collect::<StdResult<_>>()?;
    let packets = ids
        .into_iter()
        .map(|id| OUTGOING.load(deps.storage, id))
        .collect::<StdResult<_>>()?;
    Ok(PacketsResponse { packets })
}

pub fn packet(deps: Deps, id: u64) -> StdResult<Option<Outgoing>> {
    OUTGOING.may_load(deps.storage, id)
}

/// Last accepted round of `subject` on the consumer `contract` (0: none, or no consumer).
pub fn round(deps: Deps, contract: Option<Addr>, subject: &str) -> StdResult<u64> {
    let Some(contract) = contract else {
        return Ok(0);
    };
    Ok(ROUNDS
        .may_load(deps.storage, (contract.as_str(), subject))?
        .unwrap_or(0))
}
