//! tscore formula (see the crate README).
