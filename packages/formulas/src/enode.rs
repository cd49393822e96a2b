//! enode formula (see the crate README).
