//! The messages live in `bithive-interface` (one home per message); this re-export keeps the
//! schema tool and `crate::msg::` paths working.

pub use bithive_interface::ics721::*;
