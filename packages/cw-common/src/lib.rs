//! Helpers every BitHive contract uses the same way.
#![warn(missing_docs)]

pub mod contract;
pub mod error;
#[cfg(feature = "funds")]
pub mod funds;
#[cfg(feature = "handover")]
pub mod handover;
pub mod migrate;
pub mod pagination;
#[cfg(feature = "storage")]
pub mod paging;
#[cfg(feature = "storage")]
pub mod sequence;

/// Attribute naming what happened: the key of every contract's `action` attribute.
pub const ACTION: &str = "action";

pub use migrate::{ensure_upgrade, ensure_upgrade_renamed, MigrateError};
pub use pagination::{clamp_limit, DEFAULT_LIMIT, MAX_LIMIT};
#[cfg(feature = "storage")]
pub use paging::PageAfter;
#[cfg(feature = "storage")]
pub use sequence::next_id;
