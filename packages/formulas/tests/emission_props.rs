//! Emission properties: over 100 simulated years of calls at random times, the sum of the
//! distributed deltas equals the split of the last due amount and never exceeds the cap.

use bithive_formulas::emission::{due, Split, CAP, DAY_SECONDS};
use cosmwasm_std::Uint128;
use proptest::prelude::*;

const HUNDRED_YEARS: u64 = 36_525 * DAY_SECONDS;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn emitted_never_exceeds_cap(mut times in proptest::collection::vec(0..HUNDRED_YEARS, 1..200)) {
        times.sort_unstable();
        let mut last_due = Uint128::zero();
        let mut minted = Uint128::zero();
        for t in times {
            let d = due(t);
            prop_assert!(d >= last_due);
            let delta = Split::delta(last_due, d);
            minted += delta.total();
            last_due = d;
            prop_assert!(minted <= d);
            prop_assert!(d.u128() < CAP);
            // Carried remainder is at most 3 base units.
            prop_assert!(d.u128() - minted.u128() <= 3);
        }
        let s = Split::of_cumulative(last_due);
        prop_assert_eq!(minted, s.total());
    }

    #[test]
    fn due_is_monotonic(a in 0..u64::MAX, b in 0..u64::MAX) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(due(lo) <= due(hi));
        prop_assert!(due(hi).u128() < CAP);
    }
}
