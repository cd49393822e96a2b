//! vscore formula (see the crate README).
