//! Helpers every BitHive contract uses the same way.

pub mod contract;
pub mod error;
#[cfg(feature = "funds")]
pub mod funds;
pub mod migrate;
pub mod pagination;

/// Attribute naming what happened: the key of every contract's `action` attribute.
pub const ACTION: &str = "action";

pub use migrate::{ensure_upgrade, ensure_upgrade_renamed, MigrateError};
pub use pagination::{clamp_limit, DEFAULT_LIMIT, MAX_LIMIT};
