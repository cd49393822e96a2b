//! Release curves (the types live in `bithive-interface`); validation stays here because its
//! errors are this contract's.

use cosmwasm_std::Uint128;

use crate::ContractError;

pub use bithive_interface::vesting::{Curve, Point, DAY, MAX_POINTS, MONTH};

/// Schedule-time checks of a [`Curve`].
pub trait CurveExt {
    fn validate(&self, amount: Uint128) -> Result<(), ContractError>;
}

impl CurveExt for Curve {
    /// Checks the curve against the schedule amount. Rejects rates that round to zero.
    fn validate(&self, amount: Uint128) -> Result<(), ContractError> {
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
