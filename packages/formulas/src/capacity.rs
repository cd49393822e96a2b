//! The work bound of a node: the most work units its registered capacity can do in one epoch.
//! One function, used by the rewards contract to refuse a report above it and by the staking
//! contract to judge an over-capacity report as slashable evidence, so the two never disagree.

use cosmwasm_std::Uint128;

/// Most work units a node of `capacity_t` T may report in one epoch when each T can do
/// `max_units_per_t` units: `capacity_t x max_units_per_t` (saturating; never panics).
pub fn epoch_unit_limit(capacity_t: u32, max_units_per_t: Uint128) -> Uint128 {
    Uint128::from(capacity_t).saturating_mul(max_units_per_t)
}

/// True when `units` are more than `capacity_t` T can do in one epoch.
pub fn above_capacity(units: Uint128, capacity_t: u32, max_units_per_t: Uint128) -> bool {
    units > epoch_unit_limit(capacity_t, max_units_per_t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limit_is_capacity_times_units_per_t() {
        assert_eq!(
            epoch_unit_limit(4, Uint128::new(1_000_000)),
            Uint128::new(4_000_000)
        );
        assert_eq!(epoch_unit_limit(0, Uint128::new(7)), Uint128::zero());
        assert_eq!(epoch_unit_limit(u32::MAX, Uint128::MAX), Uint128::MAX);
    }

    proptest! {
        /// The bound grows with capacity and with units per T, so a larger capacity never makes
        /// a report that was within a smaller one above capacity.
        #[test]
        fn monotone(c in 0u32..2048, d in 0u32..2048, m in 0u128..u64::MAX as u128, u in 0u128..u128::MAX) {
            let (lo, hi) = (c.min(d), c.max(d));
            let units = Uint128::new(u);
            if above_capacity(units, hi, Uint128::new(m)) {
                prop_assert!(above_capacity(units, lo, Uint128::new(m)));
            }
            prop_assert!(epoch_unit_limit(lo, Uint128::new(m)) <= epoch_unit_limit(hi, Uint128::new(m)));
        }
    }
}
