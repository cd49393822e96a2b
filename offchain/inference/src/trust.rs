//! The five Tscore inputs of one result (definitions in the README), fed to the shared formula
//! `bithive_formulas::tscore`.

use bithive_formulas::tscore::{tscore, TscoreError, TscoreInputs, TscoreWeights};
use cosmwasm_std::Decimal;

/// Fractional digits kept when a float quantity enters the fixed-point formula.
/// 6 digits: f32 carries about 7 significant digits, and nodes on different hardware (CPU, GPU)
/// then usually agree on the quantized value.
pub const QUANTUM_DIGITS: u32 = 6;

pub use bithive_inference_result::TrustBreakdown;

/// Clamps to [0, 1] and rounds half away from zero to 6 decimals.
pub fn unit_decimal(x: f64) -> Decimal {
    let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    let scale = 10u64.pow(QUANTUM_DIGITS) as f64;
    let atomics = (x * scale).round() as u128;
    Decimal::from_atomics(atomics, QUANTUM_DIGITS).unwrap_or(Decimal::one())
}

/// Mconfidence: the top-1 probability.
pub fn m_confidence(probabilities: &[f32]) -> Decimal {
    let top = probabilities.iter().copied().fold(0.0f32, f32::max);
    unit_decimal(top as f64)
}

/// Ufactor: Shannon entropy of the probabilities divided by ln(K), K = number of classes
/// (0 = certain, 1 = uniform). Computed in f64 from the f32 probabilities.
pub fn u_factor(probabilities: &[f32]) -> Decimal {
    if probabilities.len() < 2 {
        return Decimal::zero();
    }
    let entropy: f64 = probabilities
        .iter()
        .map(|&p| p as f64)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    unit_decimal(entropy / (probabilities.len() as f64).ln())
}

/// Hconsensus: the share of other opinions (other models on the same input, other nodes'
/// labels) that agree with `label`; 0 when there is no other opinion.
pub fn h_consensus(label: &str, others: &[String]) -> Decimal {
    if others.is_empty() {
        return Decimal::zero();
    }
    let agree = others.iter().filter(|o| o.as_str() == label).count();
    Decimal::from_ratio(agree as u128, others.len() as u128)
}

/// All five inputs and the score.
pub fn assess(
    weights: TscoreWeights,
    d_quality: Decimal,
    probabilities: &[f32],
    label: &str,
    others: &[String],
    evidence: Decimal,
) -> Result<TrustBreakdown, TscoreError> {
    let inputs = TscoreInputs {
        d_quality,
        m_confidence: m_confidence(probabilities),
        h_consensus: h_consensus(label, others),
        u_factor: u_factor(probabilities),
        e_evidence: evidence,
    };
    Ok(TrustBreakdown {
        weights,
        inputs,
        tscore: tscore(&weights, &inputs)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn oncology() -> TscoreWeights {
        TscoreWeights {
            alpha: d("0.5"),
            beta: d("0.3"),
            gamma: d("0.2"),
        }
    }

    #[test]
    fn input_definitions() {
        assert_eq!(m_confidence(&[0.25, 0.75]), d("0.75"));
        assert_eq!(u_factor(&[0.5, 0.5]), Decimal::one());
        assert_eq!(u_factor(&[1.0, 0.0]), Decimal::zero());
        // H(0.9, 0.1) / ln 2 = 0.46899562... -> 0.468996.
        assert_eq!(u_factor(&[0.9, 0.1]), d("0.468996"));
        let others = ["benign".to_string(), "benign".into(), "malignant".into()];
        assert_eq!(
            h_consensus("benign", &others),
            Decimal::from_ratio(2u128, 3u128)
        );
        assert_eq!(h_consensus("benign", &[]), Decimal::zero());
        assert_eq!(unit_decimal(1.2), Decimal::one());
        assert_eq!(unit_decimal(f64::NAN), Decimal::zero());
    }

    /// README worked example 1: a confident tabular result confirmed by two other models.
    #[test]
    fn worked_example_confident_with_consensus() {
        let others = ["benign".to_string(), "benign".into()];
        let t = assess(
            oncology(),
            d("1"),
            &[0.02, 0.98],
            "benign",
            &others,
            d("0.962264"),
        )
        .unwrap();
        assert_eq!(t.inputs.m_confidence, d("0.98"));
        assert_eq!(t.inputs.u_factor, d("0.141441"));
        assert_eq!(t.inputs.h_consensus, d("1"));
        // 0.5*(1*0.98) + 0.3*1*(1-0.141441) + 0.2*0.962264
        // = 0.49 + 0.2575677 + 0.1924528 = 0.9400205
        assert_eq!(t.tscore, d("0.9400205"));
    }

    /// README worked example 2: an uncertain result, one feature out of range, one dissenting peer.
    #[test]
    fn worked_example_uncertain_and_disputed() {
        let others = ["malignant".to_string()];
        let dq = Decimal::from_ratio(29u128, 30u128);
        let t = assess(
            oncology(),
            dq,
            &[0.45, 0.55],
            "benign",
            &others,
            d("0.962264"),
        )
        .unwrap();
        assert_eq!(t.inputs.h_consensus, Decimal::zero());
        // 0.5*(29/30*0.55) + 0 + 0.2*0.962264 = 0.265833333333333333 + 0.1924528
        assert_eq!(t.tscore, d("0.458286133333333333"));
    }

    /// README worked example 3: the untrained image model (Eevidence = 0) alone.
    #[test]
    fn worked_example_untrained_image_model() {
        let w = TscoreWeights {
            alpha: d("0.4"),
            beta: d("0.4"),
            gamma: d("0.2"),
        };
        let t = assess(w, d("1"), &[0.8, 0.2], "class_0", &[], Decimal::zero()).unwrap();
        // 0.4*(1*0.8) + 0.4*0*(...) + 0.2*0 = 0.32
        assert_eq!(t.tscore, d("0.32"));
    }
}
