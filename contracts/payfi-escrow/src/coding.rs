//! Healthcare payment coding: structured fields with bounded lengths and code-only charsets, so
//! nothing resembling free text (a name, a note, a record) can be stored with a payment.

use crate::error::ContractError;

pub use bithive_interface::payfi_escrow::{PaymentCoding, PaymentType};

pub const MAX_PROCEDURE_CODES: usize = 10;
pub const MAX_DIAGNOSIS_CODES: usize = 12;

fn invalid(field: &'static str, reason: &'static str) -> ContractError {
    ContractError::InvalidCoding { field, reason }
}

fn code_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.')
}

pub fn validate_invoice_ref(r: &str) -> Result<(), ContractError> {
    if r.is_empty() || r.len() > 40 {
        return Err(invalid("invoice_ref", "1 to 40 characters"));
    }
    if !r
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'))
    {
        return Err(invalid("invoice_ref", "character not allowed"));
    }
    Ok(())
}

pub fn validate(c: &PaymentCoding) -> Result<(), ContractError> {
    if c.procedure_codes.len() > MAX_PROCEDURE_CODES {
        return Err(invalid("procedure_codes", "at most 10"));
    }
    for p in &c.procedure_codes {
        if p.len() < 3 || p.len() > 10 || !code_chars(p) {
            return Err(invalid("procedure_codes", "3 to 10 of A-Z 0-9 ."));
        }
    }
    if c.diagnosis_codes.len() > MAX_DIAGNOSIS_CODES {
        return Err(invalid("diagnosis_codes", "at most 12"));
    }
    for d in &c.diagnosis_codes {
        let first_is_letter = d.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if d.len() < 3 || d.len() > 8 || !code_chars(d) || !first_is_letter {
            return Err(invalid(
                "diagnosis_codes",
                "ICD-10 style: letter then A-Z 0-9 .",
            ));
        }
    }
    validate_invoice_ref(&c.invoice_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding() -> PaymentCoding {
        PaymentCoding {
            payment_type: PaymentType::Diagnostic,
            procedure_codes: vec!["70551".into(), "G0008".into()],
            diagnosis_codes: vec!["E11.9".into()],
            invoice_ref: "INV-2026/0042".into(),
        }
    }

    #[test]
    fn accepts_structured_codes() {
        assert_eq!(validate(&coding()), Ok(()));
    }

    #[test]
    fn rejects_free_text() {
        let mut c = coding();
        c.invoice_ref = "John Doe, MRN 1234".into();
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.diagnosis_codes = vec!["diabetes".into()];
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.procedure_codes = vec!["MRI brain".into()];
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.diagnosis_codes = vec!["911".into()];
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.invoice_ref = String::new();
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.invoice_ref = "x".repeat(41);
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.procedure_codes = vec!["99213".into(); 11];
        assert!(validate(&c).is_err());
        let mut c = coding();
        c.diagnosis_codes = vec!["E11.9".into(); 13];
        assert!(validate(&c).is_err());
    }
}
