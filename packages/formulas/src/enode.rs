//! Node efficiency (docs/glossary.md#enode):
//! `Enode = (Pcompute / Penergy) x (Tsuccessful / Ttotal) x Ravailability x Dfactor`.
//!
//! Pcompute in TFLOPS and Penergy in watts, so the first factor is TFLOPS/W (the seed's tier table
//! gives 2.0-2.5 for T1 up to 8.0+ for T4). Ravailability (uptime) is in [0, 1]; Dfactor (data
//! locality) is in [0, MAX_DFACTOR]. The result weights verified work in the compute pool.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};

use crate::FormulaError;

/// Upper bound of the data locality factor (a node cannot claim more than a 2x locality bonus).
pub const MAX_DFACTOR: Decimal = Decimal::raw(2_000_000_000_000_000_000);
/// Upper bound of the efficiency ratio in TFLOPS/W (well above the seed's T4 8.0+).
pub const MAX_EFFICIENCY: Decimal = Decimal::raw(100_000_000_000_000_000_000);

/// Inputs of Enode as reported for one node and one epoch.
#[cw_serde]
pub struct EnodeInputs {
    /// Processing capability, TFLOPS.
    pub pcompute: Decimal,
    /// Energy consumption, watts (> 0).
    pub penergy: Decimal,
    /// Successfully processed tasks.
    pub tasks_successful: u64,
    /// Assigned tasks (> 0, >= successful).
    pub tasks_total: u64,
    /// Uptime in [0, 1].
    pub availability: Decimal,
    /// Data locality factor in [0, 2].
    pub dfactor: Decimal,
}

/// Enode of the given inputs.
pub fn enode(i: &EnodeInputs) -> Result<Decimal, FormulaError> {
    if i.penergy.is_zero() {
        return Err(FormulaError::OutOfRange("penergy"));
    }
    if i.tasks_total == 0 || i.tasks_successful > i.tasks_total {
        return Err(FormulaError::OutOfRange("tasks"));
    }
    if i.availability > Decimal::one() {
        return Err(FormulaError::OutOfRange("availability"));
    }
    if i.dfactor > MAX_DFACTOR {
        return Err(FormulaError::OutOfRange("dfactor"));
    }
    let efficiency = i
        .pcompute
        .checked_div(i.penergy)
        .map_err(|_| FormulaError::Overflow)?;
    if efficiency > MAX_EFFICIENCY {
        return Err(FormulaError::OutOfRange("efficiency"));
    }
    let success = Decimal::from_ratio(i.tasks_successful, i.tasks_total);
    // Bounded factors: 100 * 1 * 1 * 2 cannot overflow Decimal.
    Ok(efficiency * success * i.availability * i.dfactor)
}

/// Reward weight of `units` of verified work done with efficiency `enode`.
pub fn weighted_work(units: Uint128, enode: Decimal) -> Result<Decimal, FormulaError> {
    Decimal::from_atomics(units, 0)
        .map_err(|_| FormulaError::Overflow)?
        .checked_mul(enode)
        .map_err(|_| FormulaError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn t1() -> EnodeInputs {
        // A T1 node: 30 TFLOPS at 12 W-equivalent = 2.5 TFLOPS/W, 95 of 100 tasks, 99 % uptime,
        // neutral locality.
        EnodeInputs {
            pcompute: d("30"),
            penergy: d("12"),
            tasks_successful: 95,
            tasks_total: 100,
            availability: d("0.99"),
            dfactor: d("1"),
        }
    }

    #[test]
    fn worked_example_t1() {
        // 2.5 * 0.95 * 0.99 * 1 = 2.35125
        assert_eq!(enode(&t1()).unwrap(), d("2.35125"));
    }

    #[test]
    fn worked_example_t4_with_locality() {
        // 8 TFLOPS/W, all tasks, 99.9 % uptime, 1.2 locality: 8 * 1 * 0.999 * 1.2 = 9.5904
        let i = EnodeInputs {
            pcompute: d("800"),
            penergy: d("100"),
            tasks_successful: 1000,
            tasks_total: 1000,
            availability: d("0.999"),
            dfactor: d("1.2"),
        };
        assert_eq!(enode(&i).unwrap(), d("9.5904"));
        assert_eq!(
            weighted_work(Uint128::new(10), d("9.5904")).unwrap(),
            d("95.904")
        );
    }

    #[test]
    fn rejects_bad_inputs() {
        let mut i = t1();
        i.penergy = Decimal::zero();
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("penergy")));
        let mut i = t1();
        i.tasks_successful = 101;
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("tasks")));
        let mut i = t1();
        i.tasks_total = 0;
        i.tasks_successful = 0;
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("tasks")));
        let mut i = t1();
        i.availability = d("1.5");
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("availability")));
        let mut i = t1();
        i.dfactor = d("2.5");
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("dfactor")));
        let mut i = t1();
        i.pcompute = d("1000000");
        i.penergy = d("1");
        assert_eq!(enode(&i), Err(FormulaError::OutOfRange("efficiency")));
    }
}
