//! Vscore and the active attestor set (top K by Vscore), recomputed once per epoch by a
//! permissionless crank that scans at most `limit` nodes per call.

use bithive_formulas::vscore::{share, vscore};
use bithive_interface::staking::events as ev;
use cosmwasm_std::{Addr, Decimal, DepsMut, Env, Order, Response, StdResult, Storage, Uint128};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::msg::VscoreResponse;
use crate::state::{
    AttestorSet, Config, Member, Node, Scan, ATTESTORS, BONDED, CONFIG, EPOCH_WORK, MAX_SCAN,
    NODES, NODE_WORK, SCAN, TOTALS,
};

pub fn epoch_of(config: &Config, now: u64) -> u64 {
    now.saturating_sub(config.genesis) / config.epoch_seconds
}

/// The completed epochs of the sliding window ending before `epoch`.
fn window(config: &Config, epoch: u64) -> std::ops::Range<u64> {
    epoch.saturating_sub(config.window_epochs as u64)..epoch
}

pub fn window_total(storage: &dyn Storage, config: &Config, epoch: u64) -> StdResult<Uint128> {
    let mut sum = Uint128::zero();
    for e in window(config, epoch) {
        sum += EPOCH_WORK.may_load(storage, e)?.unwrap_or_default();
    }
    Ok(sum)
}

fn node_window(
    storage: &dyn Storage,
    config: &Config,
    node: &Addr,
    epoch: u64,
) -> StdResult<Uint128> {
    let mut sum = Uint128::zero();
    for e in window(config, epoch) {
        sum += NODE_WORK.may_load(storage, (node, e))?.unwrap_or_default();
    }
    Ok(sum)
}

pub fn score(
    storage: &dyn Storage,
    config: &Config,
    addr: &Addr,
    node: &Node,
    epoch: u64,
    total_bonded: Uint128,
    total_work: Uint128,
) -> Result<VscoreResponse, ContractError> {
    let stake = share(node.bonded(), total_bonded);
    let compute = share(node_window(storage, config, addr, epoch)?, total_work);
    let compliance = node.compliance;
    let v = vscore(stake, compute, compliance).map_err(|_| ContractError::BadCompliance)?;
    Ok(VscoreResponse {
        stake,
        compute,
        compliance,
        vscore: v,
    })
}

/// Inserts into a list sorted by Vscore descending (ties: address ascending), keeping `k`.
fn insert_top(top: &mut Vec<Member>, m: Member, k: usize) {
    let pos = top
        .iter()
        .position(|x| m.vscore > x.vscore || (m.vscore == x.vscore && m.node < x.node))
        .unwrap_or(top.len());
    if pos < k {
        top.insert(pos, m);
        top.truncate(k);
    }
}

pub fn advance(deps: DepsMut, env: Env, limit: u32) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let epoch = epoch_of(&config, env.block.time.seconds());
    if let Some(set) = ATTESTORS.may_load(deps.storage)? {
        if set.epoch == epoch {
            return Err(ContractError::AttestorSetCurrent(epoch));
        }
    }
    let mut scan = match SCAN.may_load(deps.storage)? {
        Some(s) if s.epoch == epoch => s,
        _ => Scan {
            epoch,
            cursor: None,
            top: vec![],
            scanned: 0,
        },
    };
    let limit = limit.clamp(1, MAX_SCAN) as usize;
    let totals = TOTALS.load(deps.storage)?;
    let total_work = window_total(deps.storage, &config, epoch)?;
    let start = scan.cursor.as_ref().map(Bound::exclusive);
    // Only the bonded-node index: unbonded registrations (free) never cost the crank a step.
    let batch: Vec<Addr> = BONDED
        .keys(deps.storage, start, None, Order::Ascending)
        .take(limit)
        .collect::<StdResult<_>>()?;
    let k = config.attestor_set_size as usize;
    for addr in &batch {
        let Some(node) = NODES.may_load(deps.storage, addr)? else {
            continue;
        };
        // Governance may have raised min_bond since the node was indexed.
        if node.bonded() < config.min_bond {
            continue;
        }
        let s = score(
            deps.storage,
            &config,
            addr,
            &node,
            epoch,
            totals.bonded,
            total_work,
        )?;
        if s.vscore > Decimal::zero() {
            insert_top(
                &mut scan.top,
                Member {
                    node: addr.clone(),
                    vscore: s.vscore,
                },
                k,
            );
        }
    }
    scan.scanned += batch.len() as u64;
    let done = batch.len() < limit;
    let mut res = Response::new()
        .add_attribute(ev::ACTION, ev::ADVANCE_ATTESTOR_SET)
        .add_attribute(ev::attr::EPOCH, epoch.to_string())
        .add_attribute(ev::attr::SCANNED, scan.scanned.to_string());
    if done {
        res = res
            .add_attribute(ev::attr::MEMBERS, scan.top.len().to_string())
            .add_attribute(ev::attr::COMPLETE, "true");
        ATTESTORS.save(
            deps.storage,
            &AttestorSet {
                epoch,
                members: scan.top,
            },
        )?;
        SCAN.remove(deps.storage);
    } else {
        scan.cursor = batch.last().cloned();
        SCAN.save(deps.storage, &scan)?;
        res = res.add_attribute(ev::attr::COMPLETE, "false");
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: &str, v: u64) -> Member {
        Member {
            node: Addr::unchecked(n),
            vscore: Decimal::percent(v),
        }
    }

    #[test]
    fn top_k_keeps_best_sorted() {
        let mut top = vec![];
        for (n, v) in [
            ("a", 10),
            ("b", 50),
            ("c", 30),
            ("d", 50),
            ("e", 5),
            ("f", 40),
        ] {
            insert_top(&mut top, m(n, v), 3);
        }
        let names: Vec<_> = top.iter().map(|x| x.node.as_str()).collect();
        assert_eq!(names, vec!["b", "d", "f"]);
    }
}
