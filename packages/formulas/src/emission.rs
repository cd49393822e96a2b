//! emission formula (see the crate README).
