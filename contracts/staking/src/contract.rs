use bithive_interface::staking::{events as ev, DEFAULT_MIN_BOND, DEFAULT_TOPUP_GRACE_SECONDS};
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Env, MessageInfo, Order, Response, StdResult,
    Uint128,
};

use crate::error::ContractResult;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{Config, Node, Totals, CONFIG, INDEX_BUILT, NODES, TOTALS};
use crate::{attestors, execute, query, slashing};

bithive_cw_common::contract_version!();
/// 540 days (docs/glossary.md#lock-period).
pub const DEFAULT_LOCK_SECONDS: u64 = 540 * 86_400;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let api = deps.api;
    let config = Config {
        governance: api.addr_validate(&msg.governance)?,
        compliance: api.addr_validate(&msg.compliance)?,
        token: api.addr_validate(&msg.token)?,
        slash_recipient: api.addr_validate(&msg.slash_recipient)?,
        work_reporter: msg
            .work_reporter
            .map(|r| api.addr_validate(&r))
            .transpose()?,
        genesis: msg.genesis,
        epoch_seconds: msg.epoch_seconds,
        attestor_set_size: msg.attestor_set_size,
        window_epochs: msg.window_epochs,
        lock_seconds: msg.lock_seconds.unwrap_or(DEFAULT_LOCK_SECONDS),
        unbonding_seconds: msg.unbonding_seconds,
        max_claims: msg.max_claims,
        fraud_slash: msg.fraud_slash,
        min_bond: msg.min_bond.unwrap_or(Uint128::new(DEFAULT_MIN_BOND)),
        topup_grace_seconds: msg
            .topup_grace_seconds
            .unwrap_or(DEFAULT_TOPUP_GRACE_SECONDS),
    };
    execute::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    TOTALS.save(deps.storage, &Totals::default())?;
    INDEX_BUILT.save(deps.storage, &cosmwasm_std::Empty {})?;
    Ok(Response::new().add_attribute(ev::ACTION, ev::INSTANTIATE))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> ContractResult {
    match msg {
        ExecuteMsg::RegisterNode {
            capacity_t,
            tier,
            operator_key,
            operator_signature,
        } => execute::register(
            deps,
            env,
            info,
            capacity_t,
            tier,
            operator_key,
            operator_signature,
        ),
        ExecuteMsg::UpdateNode { capacity_t, tier } => {
            execute::update_node(deps, env, info, capacity_t, tier)
        }
        ExecuteMsg::SetEndpoint { endpoint } => execute::set_endpoint(deps, info, endpoint),
        ExecuteMsg::Receive(w) => execute::receive(deps, env, info, w),
        ExecuteMsg::Unbond { amount } => execute::unbond(deps, env, info, amount),
        ExecuteMsg::ClaimUnbonded {} => execute::claim_unbonded(deps, env, info),
        ExecuteMsg::SubmitEvidence { first, second } => {
            slashing::submit_evidence(deps, env, *first, *second)
        }
        ExecuteMsg::SubmitReexecution {
            attestation,
            payload,
            verdicts,
        } => slashing::submit_reexecution(deps, env, *attestation, payload, verdicts),
        ExecuteMsg::Slash {
            node,
            fraction,
            reason,
        } => slashing::governance_slash(deps, info, node, fraction, reason),
        ExecuteMsg::SetCompliance { node, level } => {
            execute::set_compliance(deps, info, node, level)
        }
        ExecuteMsg::RecordWork { node, units } => {
            execute::record_work(deps, env, info, node, units)
        }
        ExecuteMsg::AdvanceAttestorSet { limit } => attestors::advance(deps, env, limit),
        ExecuteMsg::UpdateConfig {
            compliance,
            slash_recipient,
            work_reporter,
            fraud_slash,
            attestor_set_size,
            min_bond,
            topup_grace_seconds,
        } => execute::update_config(
            deps,
            info,
            compliance,
            slash_recipient,
            work_reporter,
            fraud_slash,
            attestor_set_size,
            min_bond,
            topup_grace_seconds,
        ),
        // Two steps (ADR 008): the governance proposes, the proposed account accepts.
        ExecuteMsg::UpdateOwnership(action) => Ok(bithive_cw_common::handover::execute(
            deps,
            &env.block,
            &info.sender,
            (&CONFIG, |c| &mut c.governance),
            action,
            ev::UPDATE_OWNERSHIP,
        )?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Ownership {} => to_json_binary(&bithive_cw_common::handover::ownership(
            deps.storage,
            &CONFIG.load(deps.storage)?.governance,
        )?),
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Node { node } => to_json_binary(&query::node(deps, &env, node)?),
        QueryMsg::Nodes { start_after, limit } => {
            to_json_binary(&query::nodes(deps, &env, start_after, limit)?)
        }
        QueryMsg::PledgeStatus { node } => to_json_binary(&query::pledge_status(deps, &env, node)?),
        QueryMsg::Totals {} => to_json_binary(&TOTALS.load(deps.storage)?),
        QueryMsg::Vscore { node } => to_json_binary(&query::vscore(deps, &env, node)?),
        QueryMsg::AttestorSet {} => to_json_binary(&query::attestor_set(deps, &env)?),
        QueryMsg::EvidenceUsed { job_key } => to_json_binary(&query::evidence_used(deps, job_key)?),
    }
}

/// Key prefix of the former capacity history map `capacity_log` (cw-storage-plus: the namespace
/// with its 2-byte length).
const CAPACITY_LOG_PREFIX: &[u8] = b"\x00\x0ccapacity_log";

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult {
    let response =
        bithive_cw_common::migrate::response(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    // The bonded-node index came with `min_bond` in the config (#20): a stored config without
    // it is from before the index. Any other contract already has the index and is not
    // walked: registration is free, so a walk over every registration could be made to exceed
    // any gas limit and block every later upgrade (issue #43).
    let raw = deps.storage.get(b"config").unwrap_or_default();
    let pre_index =
        !INDEX_BUILT.exists(deps.storage) && !raw.windows(10).any(|w| w == b"\"min_bond\"");
    // Stored configs load with the default min_bond and grace; store them explicitly.
    let config = CONFIG.load(deps.storage)?;
    execute::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    if pre_index {
        // Build the bonded-node index: iterates the nodes registered before it existed, once.
        let nodes: Vec<(Addr, Node)> = NODES
            .range(deps.storage, None, None, Order::Ascending)
            .collect::<StdResult<_>>()?;
        for (addr, node) in &nodes {
            execute::sync_bonded(deps.storage, &config, addr, node)?;
        }
    }
    // The capacity history of over-capacity evidence (removed with it, ADR 007: units come from
    // the escrow, not from a signed report) is dropped: its keys are never read again.
    let mut end = CAPACITY_LOG_PREFIX.to_vec();
    *end.last_mut().expect("non-empty prefix") += 1;
    let log: Vec<Vec<u8>> = deps
        .storage
        .range_keys(Some(CAPACITY_LOG_PREFIX), Some(&end), Order::Ascending)
        .collect();
    for k in log {
        deps.storage.remove(&k);
    }
    deps.storage.remove(b"capacity_log_from");
    INDEX_BUILT.save(deps.storage, &cosmwasm_std::Empty {})?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Lot, Tier};
    use crate::state::BONDED;
    use bithive_signed_attestation::PubKey33;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
    use cosmwasm_std::{Decimal, Storage};

    fn node(amount: u128) -> Node {
        Node {
            capacity_t: 1,
            tier: Tier::T1,
            operator_key: PubKey33([2; 33]),
            lots: vec![Lot {
                amount: Uint128::new(amount),
                unlock_at: 0,
            }],
            claims: vec![],
            compliance: Decimal::zero(),
            registered_at: 0,
            slashed: Uint128::zero(),
        }
    }

    /// A staking contract instantiated by `gov` with the defaults.
    fn instantiate_plain(
        deps: &mut cosmwasm_std::OwnedDeps<
            cosmwasm_std::MemoryStorage,
            cosmwasm_std::testing::MockApi,
            cosmwasm_std::testing::MockQuerier,
        >,
    ) {
        let api = deps.api;
        let a = |s: &str| api.addr_make(s).to_string();
        let msg = InstantiateMsg {
            governance: a("gov"),
            compliance: a("gov"),
            token: a("btk"),
            slash_recipient: a("gov"),
            work_reporter: None,
            genesis: 0,
            epoch_seconds: 86_400,
            attestor_set_size: 3,
            window_epochs: 3,
            lock_seconds: None,
            unbonding_seconds: 1,
            max_claims: 3,
            fraud_slash: Decimal::percent(10),
            min_bond: None,
            topup_grace_seconds: None,
        };
        let info = message_info(&api.addr_make("gov"), &[]);
        instantiate(deps.as_mut(), mock_env(), info, msg).unwrap();
    }

    /// A contract deployed before #20 (config without min_bond/grace, no bonded-node index)
    /// loads its config with the defaults, and `migrate` builds the index from the nodes.
    #[test]
    fn migrate_builds_the_bonded_index_from_older_state() {
        let mut deps = mock_dependencies();
        let api = deps.api;
        instantiate_plain(&mut deps);
        // Rewrite the stored config as an older version wrote it.
        let json = String::from_utf8(
            cosmwasm_std::to_json_vec(&CONFIG.load(&deps.storage).unwrap()).unwrap(),
        )
        .unwrap();
        let old = json.replace(
            r#","min_bond":"100000000","topup_grace_seconds":2592000"#,
            "",
        );
        assert_ne!(old, json);
        deps.storage.set(b"config", old.as_bytes());
        // Older state has the capacity history of over-capacity evidence.
        deps.storage.set(b"capacity_log_from", b"0");
        let mut log_key = CAPACITY_LOG_PREFIX.to_vec();
        log_key.extend_from_slice(b"rich-epoch-0");
        deps.storage.set(&log_key, br#"{"max":1,"last":1}"#);
        let c = CONFIG.load(&deps.storage).unwrap();
        assert_eq!(c.min_bond, Uint128::new(DEFAULT_MIN_BOND));
        assert_eq!(c.topup_grace_seconds, DEFAULT_TOPUP_GRACE_SECONDS);
        let (rich, poor, stale) = (
            api.addr_make("rich"),
            api.addr_make("poor"),
            api.addr_make("stale"),
        );
        NODES
            .save(&mut deps.storage, &rich, &node(100_000_000))
            .unwrap();
        NODES
            .save(&mut deps.storage, &poor, &node(99_999_999))
            .unwrap();
        NODES.save(&mut deps.storage, &stale, &node(1)).unwrap();
        BONDED.save(&mut deps.storage, &stale, &()).unwrap();
        // Older state has no index marker either.
        INDEX_BUILT.remove(&mut deps.storage);
        cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(INDEX_BUILT.exists(&deps.storage));
        assert!(BONDED.has(&deps.storage, &rich));
        assert!(!BONDED.has(&deps.storage, &poor));
        assert!(!BONDED.has(&deps.storage, &stale));
        assert!(deps.storage.get(b"config").unwrap().len() > old.len());
        // The old capacity history is dropped, and only it.
        assert!(deps.storage.get(b"capacity_log_from").is_none());
        let kept: Vec<Vec<u8>> = deps
            .storage
            .range_keys(None, None, Order::Ascending)
            .collect();
        assert!(kept.iter().all(|k| !k.starts_with(CAPACITY_LOG_PREFIX)));
        assert!(NODES.has(&deps.storage, &rich));
    }

    /// Issue #43: `migrate` walked every registration, and registration is free, so enough
    /// sybil registrations would make every upgrade run out of gas. A contract instantiated
    /// with the index is never walked: a node stored without its index entry stays so.
    #[test]
    fn migrate_does_not_walk_the_registrations_of_a_contract_with_the_index() {
        let mut deps = mock_dependencies();
        let api = deps.api;
        instantiate_plain(&mut deps);
        assert!(INDEX_BUILT.exists(&deps.storage));
        for i in 0..1_000 {
            let n = api.addr_make(&format!("sybil-{i}"));
            NODES
                .save(&mut deps.storage, &n, &node(100_000_000))
                .unwrap();
        }
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(!BONDED.has(&deps.storage, &api.addr_make("sybil-0")));
        // A contract deployed between #20 and the marker (index built, no marker) is not
        // walked either: its config has min_bond.
        INDEX_BUILT.remove(&mut deps.storage);
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(!BONDED.has(&deps.storage, &api.addr_make("sybil-0")));
        assert!(INDEX_BUILT.exists(&deps.storage));
    }
}
