//! The answerer's half of the data vault's differential-privacy queries (issue #23). The node has
//! decrypted the live members' records of a dataset; it computes the true aggregate and releases
//! it through OpenDP's Laplace mechanism, checking with OpenDP's own privacy map that the release
//! costs at most the query's epsilon (neighbouring datasets: one record added or removed).
//!
//! - `count {}`: discrete Laplace on the record count, sensitivity 1, all of epsilon; clamped at
//!   0 (post-processing, free).
//! - `mean {field, lower, upper}`: values clamped to `[lower, upper]`; half of epsilon on a noisy
//!   sum (sensitivity `max(|lower|, |upper|)`), half on a noisy count; the mean is their ratio
//!   (post-processing, free).
//! - `histogram {field, lower, upper, bins}`: equal-width bins over `[lower, upper]`, values
//!   outside clamped into the edge bins; one record moves one bin by one, so a vector discrete
//!   Laplace with L1 sensitivity 1 spends epsilon once for all bins; each bin clamped at 0.
//!
//! Integer-valued fields only (the contract's bounds are integers); scale fixed-point values
//! (e.g. HbA1c in tenths of a percent) before answering.
#![warn(missing_docs)]

use std::str::FromStr;

/// Whether this build samples noise from OpenDP's secure randomness (feature `secure-rng`:
/// OpenSSL's `RAND_priv_bytes`). Without it OpenDP uses `rand::thread_rng`, which it documents as
/// not secure: an answerer built so must say it accepts that (the relayer's
/// `[dp] allow_insecure_rng`).
pub const SECURE_RNG: bool = cfg!(feature = "secure-rng");

use bithive_interface::data_vault::{DpAnswer, QueryKind};
use cosmwasm_std::{Decimal, SignedDecimal};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::{AbsoluteDistance, L1Distance};

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// OpenDP refused to build, map or run a mechanism (its message).
    #[error("opendp: {0}")]
    OpenDp(String),
    /// The query's epsilon is zero or does not convert to a finite `f64`.
    #[error("epsilon must be positive and finite")]
    BadEpsilon,
    /// The query's parameters are unusable (what is wrong: bounds not ordered, no bins).
    #[error("invalid query: {0}")]
    BadQuery(&'static str),
    /// OpenDP's privacy map says a mechanism would cost more than its share of epsilon.
    #[error("the mechanism would spend {spent} > epsilon {epsilon}")]
    OverBudget {
        /// The privacy loss OpenDP's map gives for the mechanism.
        spent: f64,
        /// The mechanism's budget: the query's epsilon, or half of it for each part of a mean.
        epsilon: f64,
    },
    /// A count, sum, sensitivity or result does not fit its integer or decimal type.
    #[error("value out of range")]
    Overflow,
}

impl From<opendp::error::Error> for DpError {
    fn from(e: opendp::error::Error) -> Self {
        DpError::OpenDp(e.to_string())
    }
}

/// One decrypted record as the answerer sees it: the named field's value, if the record has it.
pub type FieldValue = Option<i64>;

fn epsilon_f64(e: Decimal) -> Result<f64, DpError> {
    let f = f64::from_str(&e.to_string()).map_err(|_| DpError::BadEpsilon)?;
    if !(f.is_finite() && f > 0.0) {
        return Err(DpError::BadEpsilon);
    }
    Ok(f)
}

fn dec(x: f64) -> Result<SignedDecimal, DpError> {
    SignedDecimal::from_str(&format!("{x:.6}")).map_err(|_| DpError::Overflow)
}

fn int(x: i64) -> SignedDecimal {
    // |i64| < 2^63 always fits a SignedDecimal (about 1.7e20).
    SignedDecimal::from_str(&x.to_string()).unwrap_or(SignedDecimal::MAX)
}

fn check(spent: f64, epsilon: f64) -> Result<(), DpError> {
    // OpenDP's map rounds conservatively up; allow for the last bits of the division.
    if spent > epsilon * (1.0 + 1e-9) {
        return Err(DpError::OverBudget { spent, epsilon });
    }
    Ok(())
}

/// Discrete Laplace on one integer with the given sensitivity, spending at most `eps`.
fn noisy_scalar(value: i64, sensitivity: i64, eps: f64) -> Result<i64, DpError> {
    let scale = sensitivity as f64 / eps;
    let m = make_laplace::<_, _, MaxDivergence>(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        scale,
        None,
    )?;
    check(m.map(&sensitivity)?, eps)?;
    Ok(m.invoke(&value)?)
}

fn bounds(lower: i64, upper: i64) -> Result<(), DpError> {
    if lower >= upper {
        return Err(DpError::BadQuery("lower must be below upper"));
    }
    Ok(())
}

/// The noisy answer to `kind` over the dataset's live records, spending at most `epsilon`.
pub fn answer(
    kind: &QueryKind,
    epsilon: Decimal,
    records: &[FieldValue],
) -> Result<DpAnswer, DpError> {
    let eps = epsilon_f64(epsilon)?;
    let n = i64::try_from(records.len()).map_err(|_| DpError::Overflow)?;
    match kind {
        // A count below zero says nothing the clamped one does not: clamping is
        // post-processing, free under differential privacy, and spares readers a negative count.
        QueryKind::Count {} => Ok(DpAnswer::Count {
            value: int(noisy_scalar(n, 1, eps)?.max(0)),
        }),
        QueryKind::Mean { lower, upper, .. } => {
            bounds(*lower, *upper)?;
            let values: Vec<i64> = records
                .iter()
                .flatten()
                .map(|v| (*v).clamp(*lower, *upper))
                .collect();
            let sum = values
                .iter()
                .try_fold(0i64, |a, v| a.checked_add(*v))
                .ok_or(DpError::Overflow)?;
            let sens = lower
                .checked_abs()
                .zip(upper.checked_abs())
                .map(|(a, b)| a.max(b).max(1))
                .ok_or(DpError::Overflow)?;
            let count = i64::try_from(values.len()).map_err(|_| DpError::Overflow)?;
            let noisy_sum = noisy_scalar(sum, sens, eps / 2.0)?;
            let noisy_count = noisy_scalar(count, 1, eps / 2.0)?.max(1);
            let mean = (noisy_sum as f64 / noisy_count as f64).clamp(*lower as f64, *upper as f64);
            Ok(DpAnswer::Mean { value: dec(mean)? })
        }
        QueryKind::Histogram {
            lower, upper, bins, ..
        } => {
            bounds(*lower, *upper)?;
            if *bins == 0 {
                return Err(DpError::BadQuery("at least one bin"));
            }
            let bins_n = usize::from(*bins);
            let width = (i128::from(*upper) - i128::from(*lower)) as f64 / bins_n as f64;
            let mut counts = vec![0i64; bins_n];
            for v in records.iter().flatten() {
                let x = (i128::from(*v) - i128::from(*lower)) as f64 / width;
                let i = if x < 0.0 {
                    0
                } else {
                    (x as usize).min(bins_n - 1)
                };
                counts[i] += 1;
            }
            let m = make_laplace::<_, _, MaxDivergence>(
                VectorDomain::new(AtomDomain::<i64>::default()),
                L1Distance::<i64>::default(),
                1.0 / eps,
                None,
            )?;
            check(m.map(&1)?, eps)?;
            let noisy = m.invoke(&counts)?;
            Ok(DpAnswer::Histogram {
                counts: noisy.into_iter().map(|c| int(c.max(0))).collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(d: &SignedDecimal) -> f64 {
        d.to_string().parse().unwrap()
    }

    #[test]
    fn counts_are_never_negative() {
        // An empty dataset at a small epsilon: the noise alone is negative half of the time.
        let eps = Decimal::from_str("0.05").unwrap();
        for _ in 0..200 {
            let DpAnswer::Count { value } = answer(&QueryKind::Count {}, eps, &[]).unwrap() else {
                panic!()
            };
            assert!(f(&value) >= 0.0, "{value}");
            let kind = QueryKind::Histogram {
                field: "x".into(),
                lower: 0,
                upper: 10,
                bins: 4,
            };
            let DpAnswer::Histogram { counts } = answer(&kind, eps, &[]).unwrap() else {
                panic!()
            };
            assert!(counts.iter().all(|c| f(c) >= 0.0), "{counts:?}");
        }
    }

    #[test]
    fn large_epsilon_is_nearly_exact() {
        let records: Vec<FieldValue> = (0..100).map(|i| Some(i % 10)).collect();
        let eps = Decimal::from_str("1000").unwrap();
        let DpAnswer::Count { value } = answer(&QueryKind::Count {}, eps, &records).unwrap() else {
            panic!()
        };
        assert!((f(&value) - 100.0).abs() <= 1.0, "{value}");
        let DpAnswer::Mean { value } = answer(
            &QueryKind::Mean {
                field: "x".into(),
                lower: 0,
                upper: 9,
            },
            eps,
            &records,
        )
        .unwrap() else {
            panic!()
        };
        assert!((f(&value) - 4.5).abs() < 0.2, "{value}");
        let DpAnswer::Histogram { counts } = answer(
            &QueryKind::Histogram {
                field: "x".into(),
                lower: 0,
                upper: 10,
                bins: 5,
            },
            eps,
            &records,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(counts.len(), 5);
        for c in &counts {
            assert!((f(c) - 20.0).abs() <= 1.0, "{c}");
        }
    }

    #[test]
    fn count_noise_has_the_laplace_scale() {
        // Discrete Laplace with scale 1/eps = 2: mean |noise| is close to 2 (a bit less for the
        // discrete version); far from 0 (no noise) and from larger scales.
        let records = vec![None; 50];
        let eps = Decimal::percent(50);
        let runs = 2000;
        let total: f64 = (0..runs)
            .map(
                |_| match answer(&QueryKind::Count {}, eps, &records).unwrap() {
                    DpAnswer::Count { value } => (f(&value) - 50.0).abs(),
                    _ => unreachable!(),
                },
            )
            .sum();
        let mad = total / runs as f64;
        assert!((1.6..2.4).contains(&mad), "mean |noise| {mad}");
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            answer(&QueryKind::Count {}, Decimal::zero(), &[]),
            Err(DpError::BadEpsilon)
        ));
        assert!(matches!(
            answer(
                &QueryKind::Mean {
                    field: "x".into(),
                    lower: 3,
                    upper: 3
                },
                Decimal::one(),
                &[]
            ),
            Err(DpError::BadQuery(_))
        ));
        // Extreme bounds do not overflow the clamp or the histogram width.
        let r = answer(
            &QueryKind::Histogram {
                field: "x".into(),
                lower: i64::MIN,
                upper: i64::MAX,
                bins: 64,
            },
            Decimal::one(),
            &[Some(i64::MIN), Some(0), Some(i64::MAX)],
        )
        .unwrap();
        assert!(matches!(r, DpAnswer::Histogram { counts } if counts.len() == 64));
    }

    #[test]
    fn the_contract_accepts_these_answers() {
        let records: Vec<FieldValue> = vec![Some(5), None, Some(70), Some(-3)];
        for kind in [
            QueryKind::Count {},
            QueryKind::Mean {
                field: "x".into(),
                lower: 0,
                upper: 50,
            },
            QueryKind::Histogram {
                field: "x".into(),
                lower: 0,
                upper: 50,
                bins: 7,
            },
        ] {
            let a = answer(&kind, Decimal::percent(30), &records).unwrap();
            bithive_data_vault::validate::answer(&kind, &a).unwrap();
        }
    }
}
