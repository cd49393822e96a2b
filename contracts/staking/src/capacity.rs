//! Capacity history: what a node's registered capacity was during a range of epochs, so
//! over-capacity evidence is judged by the capacity of the report's epochs, never by a later
//! change (a node lowering its capacity cannot make earlier honest reports slashable; raising it
//! later cannot clear a report signed before).

use cosmwasm_std::{Addr, Order, StdResult, Storage};
use cw_storage_plus::Bound;

use crate::attestors::epoch_of;
use crate::state::{CapacitySpan, Config, CAPACITY_LOG};

/// Records that `node`'s capacity went from `old` (None: it was just registered) to `new` now.
pub fn log_change(
    storage: &mut dyn Storage,
    config: &Config,
    node: &Addr,
    old: Option<u32>,
    new: u32,
    now: u64,
) -> StdResult<()> {
    let epoch = epoch_of(config, now);
    let max = match (CAPACITY_LOG.may_load(storage, (node, epoch))?, old) {
        (Some(span), _) => span.max.max(new),
        (None, Some(o)) => o.max(new),
        (None, None) => new,
    };
    CAPACITY_LOG.save(storage, (node, epoch), &CapacitySpan { max, last: new })
}

/// The largest capacity `node` had registered at any time during epochs `from..=to` (at most
/// `to - from + 2` reads: the spans of the range and the last change before it). None when
/// nothing is known of it then (registered later, or before the history started).
pub fn max_in(storage: &dyn Storage, node: &Addr, from: u64, to: u64) -> StdResult<Option<u32>> {
    let prefix = CAPACITY_LOG.prefix(node);
    // The value in force when `from` began.
    let mut best = prefix
        .range(
            storage,
            None,
            Some(Bound::exclusive(from)),
            Order::Descending,
        )
        .next()
        .transpose()?
        .map(|(_, span)| span.last);
    for item in prefix.range(
        storage,
        Some(Bound::inclusive(from)),
        Some(Bound::inclusive(to)),
        Order::Ascending,
    ) {
        let (_, span) = item?;
        best = Some(best.map_or(span.max, |b| b.max(span.max)));
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Config;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Decimal, Uint128};

    fn config() -> Config {
        let a = Addr::unchecked("x");
        Config {
            governance: a.clone(),
            compliance: a.clone(),
            token: a.clone(),
            slash_recipient: a,
            work_reporter: None,
            genesis: 0,
            epoch_seconds: 10,
            attestor_set_size: 1,
            window_epochs: 1,
            lock_seconds: 1,
            unbonding_seconds: 1,
            max_claims: 1,
            fraud_slash: Decimal::percent(10),
            min_bond: Uint128::one(),
            topup_grace_seconds: 0,
        }
    }

    #[test]
    fn history_keeps_the_largest_value_of_each_epoch() {
        let mut s = MockStorage::new();
        let c = config();
        let n = Addr::unchecked("n");
        // Epoch 1: registered at 4. Epoch 3: 4 -> 8 -> 2. Epoch 6: 2 -> 1.
        log_change(&mut s, &c, &n, None, 4, 10).unwrap();
        log_change(&mut s, &c, &n, Some(4), 8, 30).unwrap();
        log_change(&mut s, &c, &n, Some(8), 2, 35).unwrap();
        log_change(&mut s, &c, &n, Some(2), 1, 60).unwrap();
        assert_eq!(max_in(&s, &n, 0, 0).unwrap(), None);
        assert_eq!(max_in(&s, &n, 0, 1).unwrap(), Some(4));
        assert_eq!(max_in(&s, &n, 2, 2).unwrap(), Some(4));
        assert_eq!(max_in(&s, &n, 3, 3).unwrap(), Some(8));
        assert_eq!(max_in(&s, &n, 4, 5).unwrap(), Some(2));
        assert_eq!(max_in(&s, &n, 5, 7).unwrap(), Some(2));
        assert_eq!(max_in(&s, &n, 7, 9).unwrap(), Some(1));
    }
}
