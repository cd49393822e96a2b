//! Patient incentive (docs/glossary.md#rpatient):
//! `Rpatient = (Avalue x Cfactor) + (Hconsistency x Tmultiplier) x Padjustment`,
//! read with the usual precedence (the personal adjustment scales the consistency bonus), then
//! clamped to the range of the activity type (docs/glossary.md#activity-types). The chronic
//! programme is paid per day, so its range is multiplied by the number of days claimed.
//!
//! Values are in BTT (Decimal), the result in BTT base units (6 decimals, floored).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};

use crate::FormulaError;

/// Base units per BTT.
pub const BTT_UNIT: u128 = 1_000_000;
/// Longest chronic-programme period one claim may cover.
pub const MAX_CHRONIC_DAYS: u32 = 31;
/// Upper bounds of the multiplicative factors (anything above is rejected as a bad report):
/// `cfactor` at most 2.
pub const MAX_CFACTOR: Decimal = Decimal::raw(2_000_000_000_000_000_000);
/// Largest accepted `tmultiplier`: 3.
pub const MAX_TMULTIPLIER: Decimal = Decimal::raw(3_000_000_000_000_000_000);
/// Largest accepted `padjustment`: 2.
pub const MAX_PADJUSTMENT: Decimal = Decimal::raw(2_000_000_000_000_000_000);

/// The six activity types (docs/glossary.md#activity-types).
#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum ActivityType {
    /// Regular health check-up, confirmed by the institution: 200-600 BTT.
    Checkup,
    /// Chronic disease management programme: 10-30 BTT a day.
    ChronicProgramme,
    /// Complete treatment cycle: 400-1,500 BTT.
    TreatmentCompletion,
    /// Health education participation: 80-200 BTT.
    Education,
    /// Data sharing authorization: 150-450 BTT.
    DataSharing,
    /// Computational resource contribution: 300-2,500 BTT.
    ComputeContribution,
}

impl ActivityType {
    /// Every activity type, in `code` order.
    pub const ALL: [ActivityType; 6] = [
        ActivityType::Checkup,
        ActivityType::ChronicProgramme,
        ActivityType::TreatmentCompletion,
        ActivityType::Education,
        ActivityType::DataSharing,
        ActivityType::ComputeContribution,
    ];

    /// Range in whole BTT (per day for the chronic programme).
    pub fn range_btt(self) -> (u128, u128) {
        match self {
            ActivityType::Checkup => (200, 600),
            ActivityType::ChronicProgramme => (10, 30),
            ActivityType::TreatmentCompletion => (400, 1_500),
            ActivityType::Education => (80, 200),
            ActivityType::DataSharing => (150, 450),
            ActivityType::ComputeContribution => (300, 2_500),
        }
    }

    /// Stable one-byte code (used in signed payloads).
    pub fn code(self) -> u8 {
        match self {
            ActivityType::Checkup => 1,
            ActivityType::ChronicProgramme => 2,
            ActivityType::TreatmentCompletion => 3,
            ActivityType::Education => 4,
            ActivityType::DataSharing => 5,
            ActivityType::ComputeContribution => 6,
        }
    }
}

/// Inputs of one patient reward.
#[cw_serde]
pub struct RpatientInputs {
    /// The activity rewarded; selects the range the result is clamped to.
    pub activity: ActivityType,
    /// Days covered (chronic programme only; 1 for every other type).
    pub days: u32,
    /// Base value of the activity, BTT.
    pub avalue: Decimal,
    /// Completion quality factor, [0, 2].
    pub cfactor: Decimal,
    /// Historical engagement bonus, BTT.
    pub hconsistency: Decimal,
    /// Sustained-participation multiplier, [0, 3].
    pub tmultiplier: Decimal,
    /// Personal adjustment, [0, 2].
    pub padjustment: Decimal,
}

/// Reward in BTT base units, clamped to the activity's range.
pub fn rpatient(i: &RpatientInputs) -> Result<Uint128, FormulaError> {
    let days = match i.activity {
        ActivityType::ChronicProgramme => {
            if i.days == 0 || i.days > MAX_CHRONIC_DAYS {
                return Err(FormulaError::OutOfRange("days"));
            }
            i.days as u128
        }
        _ => {
            if i.days != 1 {
                return Err(FormulaError::OutOfRange("days"));
            }
            1
        }
    };
    if i.cfactor > MAX_CFACTOR {
        return Err(FormulaError::OutOfRange("cfactor"));
    }
    if i.tmultiplier > MAX_TMULTIPLIER {
        return Err(FormulaError::OutOfRange("tmultiplier"));
    }
    if i.padjustment > MAX_PADJUSTMENT {
        return Err(FormulaError::OutOfRange("padjustment"));
    }
    let (lo, hi) = i.activity.range_btt();
    let (lo, hi) = (
        Decimal::from_atomics(lo * days, 0),
        Decimal::from_atomics(hi * days, 0),
    );
    let (lo, hi) = (
        lo.map_err(|_| FormulaError::Overflow)?,
        hi.map_err(|_| FormulaError::Overflow)?,
    );
    let base = i
        .avalue
        .checked_mul(i.cfactor)
        .map_err(|_| FormulaError::Overflow)?;
    let bonus = i
        .hconsistency
        .checked_mul(i.tmultiplier)
        .and_then(|x| x.checked_mul(i.padjustment))
        .map_err(|_| FormulaError::Overflow)?;
    let raw = base
        .checked_add(bonus)
        .map_err(|_| FormulaError::Overflow)?;
    let clamped = raw.clamp(lo, hi);
    // hi <= 2,500 * 31 BTT, so the product fits easily.
    Ok((Uint128::new(BTT_UNIT).mul_floor(clamped)).min(Uint128::new(hi_units(i.activity, days))))
}

fn hi_units(activity: ActivityType, days: u128) -> u128 {
    activity.range_btt().1 * days * BTT_UNIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn inputs(
        activity: ActivityType,
        avalue: &str,
        c: &str,
        h: &str,
        t: &str,
        p: &str,
    ) -> RpatientInputs {
        RpatientInputs {
            activity,
            days: 1,
            avalue: d(avalue),
            cfactor: d(c),
            hconsistency: d(h),
            tmultiplier: d(t),
            padjustment: d(p),
        }
    }

    #[test]
    fn worked_example_checkup() {
        // 300 * 1.2 + 50 * 1.5 * 1.1 = 360 + 82.5 = 442.5 BTT, inside 200-600.
        let r = rpatient(&inputs(
            ActivityType::Checkup,
            "300",
            "1.2",
            "50",
            "1.5",
            "1.1",
        ))
        .unwrap();
        assert_eq!(r, Uint128::new(442_500_000));
    }

    #[test]
    fn precedence_is_multiplication_first() {
        // If the adjustment scaled the whole sum, 100*1 + 100*1 * 2 would be 400; it is 300.
        let r = rpatient(&inputs(ActivityType::Checkup, "100", "1", "100", "1", "2")).unwrap();
        assert_eq!(r, Uint128::new(300_000_000));
    }

    #[test]
    fn clamps_to_range() {
        let low = rpatient(&inputs(ActivityType::Education, "10", "1", "0", "1", "1")).unwrap();
        assert_eq!(low, Uint128::new(80_000_000));
        let high = rpatient(&inputs(
            ActivityType::Education,
            "1000",
            "2",
            "500",
            "3",
            "2",
        ))
        .unwrap();
        assert_eq!(high, Uint128::new(200_000_000));
        for a in ActivityType::ALL {
            let (lo, hi) = a.range_btt();
            let zero = rpatient(&inputs(a, "0", "0", "0", "0", "0")).unwrap();
            assert_eq!(zero.u128(), lo * BTT_UNIT);
            let max = rpatient(&inputs(a, "100000", "2", "100000", "3", "2")).unwrap();
            assert_eq!(max.u128(), hi * BTT_UNIT);
        }
    }

    #[test]
    fn chronic_is_per_day() {
        let mut i = inputs(ActivityType::ChronicProgramme, "20", "1", "2", "1", "1");
        i.days = 7;
        // 22 BTT is the per-claim raw value; the 7-day range is 70-210, so it clamps to 70.
        assert_eq!(rpatient(&i).unwrap(), Uint128::new(70_000_000));
        i.avalue = d("150");
        // 150 + 2 = 152 within 70-210.
        assert_eq!(rpatient(&i).unwrap(), Uint128::new(152_000_000));
        i.days = 0;
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("days")));
        i.days = 32;
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("days")));
    }

    #[test]
    fn rejects_bad_factors() {
        let mut i = inputs(ActivityType::DataSharing, "200", "2.1", "0", "1", "1");
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("cfactor")));
        i.cfactor = d("1");
        i.days = 2;
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("days")));
        i.days = 1;
        i.tmultiplier = d("3.5");
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("tmultiplier")));
        i.tmultiplier = d("1");
        i.padjustment = d("9");
        assert_eq!(rpatient(&i), Err(FormulaError::OutOfRange("padjustment")));
    }
}
