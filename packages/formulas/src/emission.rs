//! BTK emission curve (docs/glossary.md#emission).
//!
//! 500,000 BTK a day for the first 2100 days, then half of that for the next 2100 days, and so on.
//! The cumulative amount `due(t)` is computed from the seconds elapsed since genesis (never from
//! block counts) in exact integer arithmetic over base units (6 decimals):
//!
//! ```text
//! era E = t / ERA_SECONDS, s = t mod ERA_SECONDS
//! due(t) = floor( DAILY * (ERA_SECONDS * (2^(E+1) - 2) + s) / (DAY * 2^E) )
//! ```
//!
//! which is the sum over the finished eras `e < E` of `DAILY * 2100 / 2^e` plus the linear part of
//! era `E`, put over one common denominator so that no rounding happens before the single final
//! floor. `due` is monotonic, and a caller that mints `due(now) - emitted` carries every
//! sub-unit remainder into the next call. It converges to (and never reaches) [`CAP`]: after era 51
//! the missing part is below one base unit and `due` stays at `CAP - 1`.

use cosmwasm_std::{Uint128, Uint256};

/// 10^6 base units per BTK.
pub const UNIT: u128 = 1_000_000;
/// Seconds in a day.
pub const DAY_SECONDS: u64 = 86_400;
/// Days per halving era.
pub const ERA_DAYS: u64 = 2_100;
/// Seconds per halving era.
pub const ERA_SECONDS: u64 = ERA_DAYS * DAY_SECONDS;
/// Emission per day in the first era, in base units.
pub const DAILY_BASE: u128 = 500_000 * UNIT;
/// Hard cap: 2,100,000,000 BTK in base units.
pub const CAP: u128 = 2_100_000_000 * UNIT;
/// From this era on the formula is constant (`CAP - 1`); also keeps `2^E` small.
pub const LAST_ERA: u64 = 64;

/// Number of halvings that happened `elapsed` seconds after genesis.
pub fn halvings(elapsed_seconds: u64) -> u64 {
    elapsed_seconds / ERA_SECONDS
}

/// Cumulative emission due `elapsed_seconds` after genesis, in base units.
pub fn due(elapsed_seconds: u64) -> Uint128 {
    let (era, into_era) = if halvings(elapsed_seconds) >= LAST_ERA {
        (LAST_ERA, 0u64)
    } else {
        (halvings(elapsed_seconds), elapsed_seconds % ERA_SECONDS)
    };
    // 2^(E+1) - 2 with E <= 64 fits in u128; the products below fit in Uint256.
    let pow = 1u128 << era;
    let finished = Uint256::from(ERA_SECONDS) * Uint256::from(2 * pow - 2);
    let numerator = Uint256::from(DAILY_BASE) * (finished + Uint256::from(into_era));
    let denominator = Uint256::from(DAY_SECONDS) * Uint256::from(pow);
    let value = numerator / denominator;
    // value < CAP by construction (see the module doc); the conversion cannot fail, but stay
    // panic-free and saturate at the cap anyway.
    Uint128::try_from(value)
        .unwrap_or(Uint128::new(CAP))
        .min(Uint128::new(CAP))
}

/// Daily emission rate (base units per day) in force `elapsed_seconds` after genesis.
pub fn daily_rate(elapsed_seconds: u64) -> Uint128 {
    let era = halvings(elapsed_seconds).min(127) as u32;
    Uint128::new(DAILY_BASE.checked_shr(era).unwrap_or(0))
}

/// The 75 / 15 / 5 / 5 split (docs/glossary.md#distribution-split) of a cumulative emitted
/// amount. Each share is the floor of its percentage of the cumulative total, so each is monotonic
/// and the amounts handed out between two calls are differences of cumulative shares: rounding
/// never accumulates. The at most 3 base units of `total - shares` are not lost but carried: they
/// are handed out as soon as the cumulative total makes them whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Split {
    /// 75 %: the compute pool (processing power contributors), in base units.
    pub compute: Uint128,
    /// 15 %: the app pool (application value contributors), in base units.
    pub app: Uint128,
    /// 5 %: the science foundation, in base units.
    pub foundation: Uint128,
    /// 5 %: operations, in base units.
    pub operations: Uint128,
}

impl Split {
    /// Split of a cumulative total.
    pub fn of_cumulative(total: Uint128) -> Split {
        let t = total.u128();
        // total <= CAP = 2.1e15, so t * 75 cannot overflow u128.
        let compute = t * 75 / 100;
        let app = t * 15 / 100;
        let foundation = t * 5 / 100;
        let operations = t * 5 / 100;
        Split {
            compute: Uint128::new(compute),
            app: Uint128::new(app),
            foundation: Uint128::new(foundation),
            operations: Uint128::new(operations),
        }
    }

    /// Amounts to hand out when the cumulative total goes from `before` to `after`.
    pub fn delta(before: Uint128, after: Uint128) -> Split {
        let a = Split::of_cumulative(after);
        let b = Split::of_cumulative(before.min(after));
        Split {
            compute: a.compute - b.compute,
            app: a.app - b.app,
            foundation: a.foundation - b.foundation,
            operations: a.operations - b.operations,
        }
    }

    /// Sum of the four shares, in base units.
    pub fn total(&self) -> Uint128 {
        self.compute + self.app + self.foundation + self.operations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BTK: u128 = UNIT;

    #[test]
    fn first_day_is_half_a_million() {
        assert_eq!(due(0), Uint128::zero());
        assert_eq!(due(DAY_SECONDS), Uint128::new(500_000 * BTK));
        // One second: 500,000e6 / 86,400 = 5,787,037.037.. -> floor.
        assert_eq!(due(1), Uint128::new(5_787_037));
        // Half a day is exact.
        assert_eq!(due(DAY_SECONDS / 2), Uint128::new(250_000 * BTK));
    }

    #[test]
    fn first_year_matches_seed_table() {
        // docs/seeds.md#seed-002-62-block-generation-rules: year 1 = 182,500,000;
        // years 1-5 = 912,500,000.
        assert_eq!(due(365 * DAY_SECONDS), Uint128::new(182_500_000 * BTK));
        assert_eq!(due(5 * 365 * DAY_SECONDS), Uint128::new(912_500_000 * BTK));
    }

    #[test]
    fn halving_boundaries() {
        // First era: 2100 days * 500,000 = 1,050,000,000 (half the cap).
        assert_eq!(due(ERA_SECONDS), Uint128::new(1_050_000_000 * BTK));
        assert_eq!(halvings(ERA_SECONDS - 1), 0);
        assert_eq!(halvings(ERA_SECONDS), 1);
        // First day of era 1 emits 250,000.
        assert_eq!(
            due(ERA_SECONDS + DAY_SECONDS) - due(ERA_SECONDS),
            Uint128::new(250_000 * BTK)
        );
        assert_eq!(due(2 * ERA_SECONDS), Uint128::new(1_575_000_000 * BTK));
        assert_eq!(daily_rate(0), Uint128::new(500_000 * BTK));
        assert_eq!(daily_rate(2 * ERA_SECONDS), Uint128::new(125_000 * BTK));
    }

    #[test]
    fn converges_below_cap() {
        assert_eq!(due(u64::MAX), Uint128::new(CAP - 1));
        assert_eq!(due(60 * ERA_SECONDS), Uint128::new(CAP - 1));
        assert!(due(20 * ERA_SECONDS) < Uint128::new(CAP));
        // 100 years: 5 days short of 17.4 eras, already within 0.001 % of the cap.
        let hundred_years = due(36_525 * DAY_SECONDS).u128();
        assert!(CAP - hundred_years < CAP / 100_000);
    }

    #[test]
    fn monotonic_across_many_points() {
        let mut last = Uint128::zero();
        let mut t = 0u64;
        while t < 70 * ERA_SECONDS {
            let d = due(t);
            assert!(d >= last, "due decreased at {t}");
            last = d;
            t += 7_777_777;
        }
    }

    #[test]
    fn split_carries_remainders() {
        let s = Split::of_cumulative(Uint128::new(101));
        assert_eq!(s.compute.u128(), 75);
        assert_eq!(s.app.u128(), 15);
        assert_eq!(s.foundation.u128(), 5);
        assert_eq!(s.operations.u128(), 5);
        // The carried remainder is at most 3 units and becomes whole later.
        assert_eq!(s.total().u128(), 100);
        assert_eq!(Split::of_cumulative(Uint128::new(120)).total().u128(), 120);
        // Splitting 1 unit at a time adds up exactly to the cumulative split.
        let mut acc = Split::default();
        for i in 0..1000u128 {
            let d = Split::delta(Uint128::new(i), Uint128::new(i + 1));
            assert!(d.total().u128() <= 4);
            acc.compute += d.compute;
            acc.app += d.app;
            acc.foundation += d.foundation;
            acc.operations += d.operations;
        }
        assert_eq!(acc, Split::of_cumulative(Uint128::new(1000)));
        assert_eq!(acc.compute.u128(), 750);
        assert_eq!(acc.total().u128(), 1000);
    }
}
