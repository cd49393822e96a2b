//! The work bounds of a node: the most work units its registered capacity can do in one epoch,
//! and the most its measured throughput can (ADR 007). The rewards contract pays a report's units
//! up to the lower of the two.

use cosmwasm_std::{Decimal, Uint128};

/// Work units one TFLOPS of the published benchmark does in a second: a unit is 1,000
/// multiply-accumulates and a multiply-accumulate is 2 floating-point operations, so
/// 10^12 / 2 / 1,000 = 5 x 10^8.
pub const UNITS_PER_TFLOPS_SECOND: u128 = 500_000_000;

/// Most work units a node whose attestors measured `pcompute` TFLOPS on the published workload
/// can compute in `epoch_seconds` busy all the time (floored, saturating; never panics). Units
/// served beyond it were not computed by the machine that was measured.
pub fn measured_unit_limit(pcompute: Decimal, epoch_seconds: u64) -> Uint128 {
    Uint128::new(UNITS_PER_TFLOPS_SECOND)
        .saturating_mul(Uint128::from(epoch_seconds))
        .checked_mul_floor(pcompute)
        .unwrap_or(Uint128::MAX)
}

/// Most work units a node of `capacity_t` T may report in one epoch when each T can do
/// `max_units_per_t` units: `capacity_t x max_units_per_t` (saturating; never panics).
pub fn epoch_unit_limit(capacity_t: u32, max_units_per_t: Uint128) -> Uint128 {
    Uint128::from(capacity_t).saturating_mul(max_units_per_t)
}

/// Most epochs of work one report is bounded over. A report counts the jobs paid since the node's
/// previous report; when a close comes late (a stalled chain, a relayer restarted) that is two or
/// more epochs of jobs, and a bound of one epoch would leave the node's real work unpaid. A node
/// silent for longer is bounded as if for this many (the relayer closes this many recent ended
/// epochs, `relayer/src/reporter.rs`).
pub const MAX_REPORT_SPAN: u64 = 4;

/// Most work units counted in one epoch of the pool for a node whose reported work spans `span`
/// epochs (taken as 1..=[`MAX_REPORT_SPAN`]): the lower of `span` epochs of its capacity and
/// twice what its measured `pcompute` computes in `span` epochs (the benchmark's figure
/// includes its transit and is a low estimate). Saturating; never panics.
pub fn report_unit_limit(
    capacity_t: u32,
    max_units_per_t: Uint128,
    pcompute: Decimal,
    epoch_seconds: u64,
    span: u64,
) -> Uint128 {
    let span = span.clamp(1, MAX_REPORT_SPAN);
    epoch_unit_limit(capacity_t, max_units_per_t)
        .saturating_mul(Uint128::from(span))
        .min(
            measured_unit_limit(pcompute, epoch_seconds.saturating_mul(span))
                .saturating_mul(Uint128::new(2)),
        )
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

    #[test]
    fn measured_limit_is_the_throughput_over_the_epoch() {
        // 0.02 TFLOPS (a CPU core on the published workload) for a day: 8.64 x 10^11 units.
        let p = Decimal::percent(2);
        assert_eq!(
            measured_unit_limit(p, 86_400),
            Uint128::new(864_000_000_000)
        );
        assert_eq!(
            measured_unit_limit(Decimal::zero(), 86_400),
            Uint128::zero()
        );
        assert_eq!(measured_unit_limit(Decimal::MAX, u64::MAX), Uint128::MAX);
        // Floored: 10^-9 TFLOPS for 1 s is half a unit.
        assert_eq!(
            measured_unit_limit(Decimal::raw(1_000_000_000), 1),
            Uint128::zero()
        );
    }

    #[test]
    fn a_report_spans_at_most_max_report_span_epochs() {
        let (c, m, p) = (4, Uint128::new(1_000_000), Decimal::MAX);
        assert_eq!(report_unit_limit(c, m, p, 60, 0), Uint128::new(4_000_000));
        assert_eq!(report_unit_limit(c, m, p, 60, 1), Uint128::new(4_000_000));
        assert_eq!(report_unit_limit(c, m, p, 60, 2), Uint128::new(8_000_000));
        assert_eq!(
            report_unit_limit(c, m, p, 60, 1_000),
            Uint128::new(4_000_000 * u128::from(MAX_REPORT_SPAN))
        );
        // The measured bound, twice over the span: 1,000 units a day measured.
        let slow = Decimal::from_ratio(1_000u128, 500_000_000u128 * 86_400);
        assert_eq!(
            report_unit_limit(c, m, slow, 86_400, 1),
            Uint128::new(1_998)
        );
        assert_eq!(
            report_unit_limit(c, m, slow, 86_400, 2),
            Uint128::new(3_998)
        );
    }

    proptest! {
        /// A longer span never lowers the bound, and no span counts more than
        /// MAX_REPORT_SPAN epochs of capacity.
        #[test]
        fn report_limit_grows_with_the_span_up_to_its_cap(
            c in 0u32..2048,
            m in 0u128..u64::MAX as u128,
            p in 0u64..u64::MAX,
            secs in 0u64..1_000_000,
            a in 0u64..100,
            b in 0u64..100,
        ) {
            let (m, p) = (Uint128::new(m), Decimal::raw(u128::from(p)));
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(report_unit_limit(c, m, p, secs, lo) <= report_unit_limit(c, m, p, secs, hi));
            prop_assert!(
                report_unit_limit(c, m, p, secs, hi)
                    <= epoch_unit_limit(c, m).saturating_mul(Uint128::from(MAX_REPORT_SPAN))
            );
        }
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
