//! Trustworthiness score of a healthcare AI result (docs/glossary.md#tscore):
//!
//! ```text
//! Tscore = alpha * (Dquality * Mconfidence) + beta * Hconsensus * (1 - Ufactor) + gamma * Eevidence
//! ```
//!
//! Every input and weight is a [`Decimal`] in `[0, 1]` and the weights of a specialty sum to exactly
//! 1, so `Tscore` is in `[0, 1]` (0-100 %): each term is at most its weight. What each input means
//! for an inference result is defined by the engine (`offchain/inference/README.md`); this module
//! only fixes the arithmetic so that contracts and off-chain code agree bit for bit.
//!
//! Fixed-point evaluation order (each product truncated to 18 decimals, as `Decimal` does):
//! `t1 = alpha * (Dquality * Mconfidence)`, `t2 = (beta * Hconsensus) * (1 - Ufactor)`,
//! `t3 = gamma * Eevidence`, `Tscore = t1 + t2 + t3`.

use cosmwasm_std::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Specialty weights (alpha, beta, gamma): each in `[0, 1]`, summing to exactly 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TscoreWeights {
    /// Weight of data quality times model confidence.
    pub alpha: Decimal,
    /// Weight of consensus times certainty (`1 - Ufactor`).
    pub beta: Decimal,
    /// Weight of the evidence.
    pub gamma: Decimal,
}

/// The five per-result inputs, each in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TscoreInputs {
    /// Input data quality.
    pub d_quality: Decimal,
    /// The model's own confidence in its output.
    pub m_confidence: Decimal,
    /// Agreement with other models or nodes on the same input.
    pub h_consensus: Decimal,
    /// Predictive uncertainty.
    pub u_factor: Decimal,
    /// Strength of the evidence behind the model.
    pub e_evidence: Decimal,
}

/// Why weights or inputs were refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TscoreError {
    /// A weight or an input is above 1.
    #[error("Tscore input {name} = {value} is outside [0, 1]")]
    OutOfRange {
        /// Its name (`alpha`, `beta`, `gamma`, or the glossary's `Dquality` etc.).
        name: &'static str,
        /// The value given.
        value: Decimal,
    },
    /// The weights are each in range but do not sum to exactly 1.
    #[error("Tscore weights alpha + beta + gamma = {sum}, must be exactly 1")]
    WeightsSum {
        /// Their sum.
        sum: Decimal,
    },
    /// A checked sum or product overflowed (impossible for values in range; kept so that
    /// nothing panics).
    #[error("Tscore weights overflow")]
    Overflow,
}

impl TscoreWeights {
    /// Checks the ranges and that the weights sum to exactly 1.
    pub fn validate(&self) -> Result<(), TscoreError> {
        in_unit("alpha", self.alpha)?;
        in_unit("beta", self.beta)?;
        in_unit("gamma", self.gamma)?;
        let sum = self
            .alpha
            .checked_add(self.beta)
            .and_then(|s| s.checked_add(self.gamma))
            .map_err(|_| TscoreError::Overflow)?;
        if sum != Decimal::one() {
            return Err(TscoreError::WeightsSum { sum });
        }
        Ok(())
    }
}

impl TscoreInputs {
    /// Checks that every input is in `[0, 1]`.
    pub fn validate(&self) -> Result<(), TscoreError> {
        in_unit("Dquality", self.d_quality)?;
        in_unit("Mconfidence", self.m_confidence)?;
        in_unit("Hconsensus", self.h_consensus)?;
        in_unit("Ufactor", self.u_factor)?;
        in_unit("Eevidence", self.e_evidence)?;
        Ok(())
    }
}

fn in_unit(name: &'static str, value: Decimal) -> Result<(), TscoreError> {
    if value > Decimal::one() {
        return Err(TscoreError::OutOfRange { name, value });
    }
    Ok(())
}

/// Computes Tscore in `[0, 1]`. Validates weights and inputs first; never panics.
pub fn tscore(weights: &TscoreWeights, inputs: &TscoreInputs) -> Result<Decimal, TscoreError> {
    weights.validate()?;
    inputs.validate()?;
    // All factors are in [0, 1], so no product or sum can exceed 1: the checked operations
    // below cannot fail, but stay checked so that no future change can panic.
    let overflow = |_| TscoreError::Overflow;
    let t1 = (inputs.d_quality.checked_mul(inputs.m_confidence))
        .and_then(|dm| weights.alpha.checked_mul(dm))
        .map_err(overflow)?;
    let one_minus_u = Decimal::one()
        .checked_sub(inputs.u_factor)
        .map_err(|_| TscoreError::Overflow)?;
    let t2 = (weights.beta.checked_mul(inputs.h_consensus))
        .and_then(|bh| bh.checked_mul(one_minus_u))
        .map_err(overflow)?;
    let t3 = weights
        .gamma
        .checked_mul(inputs.e_evidence)
        .map_err(overflow)?;
    t1.checked_add(t2)
        .and_then(|s| s.checked_add(t3))
        .map_err(|_| TscoreError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn w(a: &str, b: &str, g: &str) -> TscoreWeights {
        TscoreWeights {
            alpha: d(a),
            beta: d(b),
            gamma: d(g),
        }
    }

    fn x(dq: &str, mc: &str, hc: &str, uf: &str, ev: &str) -> TscoreInputs {
        TscoreInputs {
            d_quality: d(dq),
            m_confidence: d(mc),
            h_consensus: d(hc),
            u_factor: d(uf),
            e_evidence: d(ev),
        }
    }

    #[test]
    fn worked_example_oncology_full_agreement() {
        // 0.5*(1*0.9) + 0.3*1*(1-0.2) + 0.2*0.95 = 0.45 + 0.24 + 0.19
        let t = tscore(&w("0.5", "0.3", "0.2"), &x("1", "0.9", "1", "0.2", "0.95")).unwrap();
        assert_eq!(t, d("0.88"));
    }

    #[test]
    fn worked_example_no_consensus_partial_quality() {
        // 0.5*(0.9*0.8) + 0.3*0*(1-0.5) + 0.2*0.962264 = 0.36 + 0 + 0.1924528
        let t = tscore(
            &w("0.5", "0.3", "0.2"),
            &x("0.9", "0.8", "0", "0.5", "0.962264"),
        )
        .unwrap();
        assert_eq!(t, d("0.5524528"));
    }

    #[test]
    fn worked_example_untrained_image_model() {
        // Eevidence 0: 0.4*(1*0.6) + 0.4*0.5*(1-0.970951) + 0.2*0 = 0.24 + 0.0058098
        let t = tscore(
            &w("0.4", "0.4", "0.2"),
            &x("1", "0.6", "0.5", "0.970951", "0"),
        )
        .unwrap();
        assert_eq!(t, d("0.2458098"));
    }

    #[test]
    fn extremes_are_zero_and_one() {
        let wt = w("0.5", "0.3", "0.2");
        assert_eq!(
            tscore(&wt, &x("1", "1", "1", "0", "1")).unwrap(),
            Decimal::one()
        );
        assert_eq!(
            tscore(&wt, &x("0", "1", "1", "1", "0")).unwrap(),
            Decimal::zero()
        );
    }

    #[test]
    fn products_truncate_to_18_decimals() {
        // 1/3 truncated: alpha*(D*M) = 1 * (0.333..3 * 1); beta = gamma = 0.
        let third = Decimal::from_ratio(1u128, 3u128);
        let t = tscore(
            &TscoreWeights {
                alpha: Decimal::one(),
                beta: Decimal::zero(),
                gamma: Decimal::zero(),
            },
            &TscoreInputs {
                d_quality: third,
                m_confidence: third,
                h_consensus: Decimal::zero(),
                u_factor: Decimal::zero(),
                e_evidence: Decimal::zero(),
            },
        )
        .unwrap();
        assert_eq!(t, d("0.111111111111111110"));
    }

    #[test]
    fn rejects_weights_not_summing_to_one() {
        assert_eq!(
            tscore(&w("0.5", "0.3", "0.3"), &x("1", "1", "1", "0", "1")),
            Err(TscoreError::WeightsSum { sum: d("1.1") })
        );
        assert!(matches!(
            tscore(&w("0.5", "0.3", "0.1"), &x("1", "1", "1", "0", "1")),
            Err(TscoreError::WeightsSum { .. })
        ));
    }

    #[test]
    fn rejects_inputs_above_one() {
        let err = tscore(&w("0.5", "0.3", "0.2"), &x("1", "1.01", "1", "0", "1")).unwrap_err();
        assert_eq!(
            err,
            TscoreError::OutOfRange {
                name: "Mconfidence",
                value: d("1.01")
            }
        );
        let err = tscore(&w("1.5", "0", "0"), &x("1", "1", "1", "0", "1")).unwrap_err();
        assert!(matches!(err, TscoreError::OutOfRange { name: "alpha", .. }));
    }

    #[test]
    fn stays_in_unit_interval_and_is_monotone_on_a_grid() {
        let steps: Vec<Decimal> = (0..=4u64).map(|i| Decimal::percent(i * 25)).collect();
        let wt = w("0.45", "0.35", "0.2");
        for &dq in &steps {
            for &mc in &steps {
                for &hc in &steps {
                    for &uf in &steps {
                        for &ev in &steps {
                            let base = TscoreInputs {
                                d_quality: dq,
                                m_confidence: mc,
                                h_consensus: hc,
                                u_factor: uf,
                                e_evidence: ev,
                            };
                            let t = tscore(&wt, &base).unwrap();
                            assert!(t <= Decimal::one());
                            // More uncertainty never raises the score.
                            let more_uncertain = TscoreInputs {
                                u_factor: Decimal::one(),
                                ..base
                            };
                            assert!(tscore(&wt, &more_uncertain).unwrap() <= t);
                            // More evidence never lowers it.
                            let more_evidence = TscoreInputs {
                                e_evidence: Decimal::one(),
                                ..base
                            };
                            assert!(tscore(&wt, &more_evidence).unwrap() >= t);
                        }
                    }
                }
            }
        }
    }
}
