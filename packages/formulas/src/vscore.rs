//! Validator (attestor) score (docs/glossary.md#vscore):
//! `Vscore = 0.3 * S + 0.4 * C + 0.3 * M`, with S the stake share, C the verified compute share
//! over a sliding window and M the compliance level, each in [0, 1]; so Vscore is in [0, 1].

use cosmwasm_std::{Decimal, Uint128};

use crate::FormulaError;

/// Weight of the stake share.
pub const W_STAKE: Decimal = Decimal::permille(300);
/// Weight of the compute share.
pub const W_COMPUTE: Decimal = Decimal::permille(400);
/// Weight of the compliance level.
pub const W_COMPLIANCE: Decimal = Decimal::permille(300);

/// Vscore from its three components, each in [0, 1].
pub fn vscore(
    stake: Decimal,
    compute: Decimal,
    compliance: Decimal,
) -> Result<Decimal, FormulaError> {
    for (name, v) in [
        ("stake", stake),
        ("compute", compute),
        ("compliance", compliance),
    ] {
        if v > Decimal::one() {
            return Err(FormulaError::OutOfRange(name));
        }
    }
    // Each product is at most 0.4 and the sum at most 1: no overflow possible.
    Ok(stake * W_STAKE + compute * W_COMPUTE + compliance * W_COMPLIANCE)
}

/// `part / whole` as a share in [0, 1]; zero when `whole` is zero.
pub fn share(part: Uint128, whole: Uint128) -> Decimal {
    if whole.is_zero() {
        return Decimal::zero();
    }
    Decimal::checked_from_ratio(part.min(whole), whole).unwrap_or(Decimal::one())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn worked_example() {
        // 20 % of the stake, 50 % of the verified compute, fully compliant:
        // 0.3*0.2 + 0.4*0.5 + 0.3*1 = 0.06 + 0.2 + 0.3 = 0.56
        assert_eq!(vscore(d("0.2"), d("0.5"), d("1")).unwrap(), d("0.56"));
        assert_eq!(vscore(d("1"), d("1"), d("1")).unwrap(), Decimal::one());
        assert_eq!(
            vscore(Decimal::zero(), Decimal::zero(), Decimal::zero()).unwrap(),
            Decimal::zero()
        );
        // Compute weighs more than stake.
        assert!(
            vscore(d("0"), d("0.5"), d("0")).unwrap() > vscore(d("0.5"), d("0"), d("0")).unwrap()
        );
    }

    #[test]
    fn rejects_out_of_range() {
        assert_eq!(
            vscore(d("1.01"), d("0"), d("0")),
            Err(FormulaError::OutOfRange("stake"))
        );
        assert_eq!(
            vscore(d("0"), d("0"), d("2")),
            Err(FormulaError::OutOfRange("compliance"))
        );
    }

    #[test]
    fn shares() {
        assert_eq!(share(Uint128::new(1), Uint128::new(4)), d("0.25"));
        assert_eq!(share(Uint128::new(1), Uint128::zero()), Decimal::zero());
        assert_eq!(share(Uint128::new(9), Uint128::new(4)), Decimal::one());
    }
}
