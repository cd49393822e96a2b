//! rpatient formula (see the crate README).
