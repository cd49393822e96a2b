//! Release curves. All times are unix seconds; amounts are cumulative (what has vested by `t`).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;

use crate::ContractError;

pub const DAY: u64 = 86_400;
/// A "month" of the seeds: 30 days.
pub const MONTH: u64 = 30 * DAY;
pub const MAX_POINTS: usize = 32;

#[cw_serde]
pub struct Point {
    pub at: u64,
    /// Cumulative amount vested at `at`.
    pub amount: Uint128,
}

#[cw_serde]
pub enum Curve {
    /// `immediate` vests at `start`; nothing more until `start + cliff`; then the rest vests in
    /// `steps` equal steps, one every `period` seconds (the first at `start + cliff + period`).
    /// `period = 1` is a continuous (per-second) release.
    Stepped {
        start: u64,
        immediate: Uint128,
        cliff: u64,
        period: u64,
        steps: u64,
    },
    /// Piecewise linear through `points` (non-decreasing in time and amount): zero before the
    /// first point, the last amount after the last point. Two points at the same time are a jump,
    /// which expresses a cliff.
    Piecewise { points: Vec<Point> },
}

impl Curve {
    /// Contributors (docs/glossary.md#contributor-release): 20 % at once, the rest 1/180 a day.
    pub fn contributor(start: u64, amount: Uint128) -> Curve {
        Curve::Stepped {
            start,
            immediate: amount.multiply_ratio(20u128, 100u128),
            cliff: 0,
            period: DAY,
            steps: 180,
        }
    }

    /// Contributors' locked part when the 20 % was already paid out: 1/180 a day.
    pub fn daily_180(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: 0,
            period: DAY,
            steps: 180,
        }
    }

    /// Foundation and operations (docs/glossary.md#foundation-release): locked one month, then
    /// 10 % a month.
    pub fn foundation(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: MONTH,
            period: MONTH,
            steps: 10,
        }
    }

    /// Team style (docs/glossary.md#vesting-curves): 20 months locked, then 5 % a month.
    pub fn team(start: u64) -> Curve {
        Curve::Stepped {
            start,
            immediate: Uint128::zero(),
            cliff: 20 * MONTH,
            period: MONTH,
            steps: 20,
        }
    }

    /// Checks the curve against the schedule amount. Rejects rates that round to zero.
    pub fn validate(&self, amount: Uint128) -> Result<(), ContractError> {
        if amount.is_zero() {
            return Err(ContractError::InvalidCurve("zero amount"));
        }
        match self {
            Curve::Stepped {
                start,
                immediate,
                cliff,
                period,
                steps,
            } => {
                if *immediate > amount {
                    return Err(ContractError::InvalidCurve("immediate exceeds amount"));
                }
                if *period == 0 || *steps == 0 {
                    return Err(ContractError::InvalidCurve(
                        "period and steps must be positive",
                    ));
                }
                period
                    .checked_mul(*steps)
                    .and_then(|d| d.checked_add(*cliff))
                    .and_then(|d| d.checked_add(*start))
                    .ok_or(ContractError::InvalidCurve("end time overflows"))?;
                let rest = amount - *immediate;
                if !rest.is_zero() && rest < Uint128::from(*steps) {
                    return Err(ContractError::DustRate("amount per step rounds to zero"));
                }
                Ok(())
            }
            Curve::Piecewise { points } => {
                if points.is_empty() || points.len() > MAX_POINTS {
                    return Err(ContractError::InvalidCurve("1 to 32 points"));
                }
                for w in points.windows(2) {
                    if w[1].at < w[0].at || w[1].amount < w[0].amount {
                        return Err(ContractError::InvalidCurve("points must be non-decreasing"));
                    }
                }
                if points.last().map(|p| p.amount) != Some(amount) {
                    return Err(ContractError::InvalidCurve(
                        "last point must equal the amount",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Cumulative amount vested at `t` for a schedule of `amount` (validated curve).
    pub fn vested(&self, amount: Uint128, t: u64) -> Uint128 {
        match self {
            Curve::Stepped {
                start,
                immediate,
                cliff,
                period,
                steps,
            } => {
                if t < *start {
                    return Uint128::zero();
                }
                let immediate = (*immediate).min(amount);
                let since_cliff = match (t - start).checked_sub(*cliff) {
                    Some(s) => s,
                    None => return immediate,
                };
                let done = (since_cliff / (*period).max(1)).min(*steps);
                let rest = amount - immediate;
                immediate + rest.multiply_ratio(done, (*steps).max(1))
            }
            Curve::Piecewise { points } => {
                let Some(first) = points.first() else {
                    return Uint128::zero();
                };
                if t < first.at {
                    return Uint128::zero();
                }
                // Last point at or before t (points are sorted by time).
                let i = points.partition_point(|p| p.at <= t) - 1;
                let p = &points[i];
                let v = match points.get(i + 1) {
                    None => p.amount,
                    Some(q) => {
                        // q.at > t >= p.at, so the span is positive.
                        let rise = q.amount - p.amount;
                        p.amount + rise.multiply_ratio(t - p.at, q.at - p.at)
                    }
                };
                v.min(amount)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    #[test]
    fn contributor_shape() {
        let a = Uint128::new(1_800_000);
        let c = Curve::contributor(T0, a);
        c.validate(a).unwrap();
        assert_eq!(c.vested(a, T0 - 1), Uint128::zero());
        assert_eq!(c.vested(a, T0), Uint128::new(360_000));
        assert_eq!(c.vested(a, T0 + DAY - 1), Uint128::new(360_000));
        // 1/180 of the 1,440,000 rest per day = 8,000.
        assert_eq!(c.vested(a, T0 + DAY), Uint128::new(368_000));
        assert_eq!(c.vested(a, T0 + 180 * DAY), a);
        assert_eq!(c.vested(a, T0 + 999 * DAY), a);
    }

    #[test]
    fn foundation_shape() {
        let a = Uint128::new(1_000);
        let c = Curve::foundation(T0);
        c.validate(a).unwrap();
        assert_eq!(c.vested(a, T0 + MONTH), Uint128::zero());
        assert_eq!(c.vested(a, T0 + 2 * MONTH - 1), Uint128::zero());
        assert_eq!(c.vested(a, T0 + 2 * MONTH), Uint128::new(100));
        assert_eq!(c.vested(a, T0 + 6 * MONTH), Uint128::new(500));
        assert_eq!(c.vested(a, T0 + 11 * MONTH), a);
    }

    #[test]
    fn team_shape() {
        let a = Uint128::new(2_000);
        let c = Curve::team(T0);
        assert_eq!(c.vested(a, T0 + 20 * MONTH + MONTH - 1), Uint128::zero());
        assert_eq!(c.vested(a, T0 + 21 * MONTH), Uint128::new(100));
        assert_eq!(c.vested(a, T0 + 40 * MONTH), a);
    }

    #[test]
    fn piecewise_cliff_and_linear() {
        let a = Uint128::new(1_000);
        // Cliff at +100 jumping to 250, then linear to 1000 at +400.
        let c = Curve::Piecewise {
            points: vec![
                Point {
                    at: T0 + 100,
                    amount: Uint128::zero(),
                },
                Point {
                    at: T0 + 100,
                    amount: Uint128::new(250),
                },
                Point {
                    at: T0 + 400,
                    amount: a,
                },
            ],
        };
        c.validate(a).unwrap();
        assert_eq!(c.vested(a, T0 + 99), Uint128::zero());
        assert_eq!(c.vested(a, T0 + 100), Uint128::new(250));
        assert_eq!(c.vested(a, T0 + 250), Uint128::new(625));
        assert_eq!(c.vested(a, T0 + 400), a);
        assert_eq!(c.vested(a, u64::MAX), a);
    }

    #[test]
    fn rejects_bad_curves() {
        let a = Uint128::new(100);
        let stepped = |immediate: u128, period, steps| Curve::Stepped {
            start: T0,
            immediate: Uint128::new(immediate),
            cliff: 0,
            period,
            steps,
        };
        assert!(stepped(101, 1, 1).validate(a).is_err());
        assert!(stepped(0, 0, 1).validate(a).is_err());
        assert!(stepped(0, 1, 0).validate(a).is_err());
        assert_eq!(
            stepped(0, 1, 101).validate(a),
            Err(ContractError::DustRate("amount per step rounds to zero"))
        );
        assert!(stepped(0, u64::MAX, 2).validate(a).is_err());
        assert!(stepped(100, 1, 1000).validate(a).is_ok());
        let pw = |pts: Vec<(u64, u128)>| Curve::Piecewise {
            points: pts
                .into_iter()
                .map(|(at, x)| Point {
                    at,
                    amount: Uint128::new(x),
                })
                .collect(),
        };
        assert!(pw(vec![]).validate(a).is_err());
        assert!(pw(vec![(2, 0), (1, 100)]).validate(a).is_err());
        assert!(pw(vec![(1, 50), (2, 40), (3, 100)]).validate(a).is_err());
        assert!(pw(vec![(1, 0), (2, 99)]).validate(a).is_err());
        assert!(Curve::contributor(T0, a).validate(Uint128::zero()).is_err());
    }
}
