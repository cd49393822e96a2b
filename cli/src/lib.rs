//! The `bithive` command as a library: the command line, the deploy plan and the demo story, so
//! tests drive exactly what the binary runs.

pub mod cli;
pub mod demo;
/// The deploy plan lives in `bithive-deploy` (shared with the devnet test fixture).
pub use bithive_deploy as deploy;
pub mod platform;
pub mod research;
