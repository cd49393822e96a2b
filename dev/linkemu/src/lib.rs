//! Userspace link emulator: a UDP relay on loopback that applies, per direction, a drop-tail
//! bottleneck queue with a rate limit, one-way delay with jitter, and random (Bernoulli) or
//! bursty (Gilbert-Elliott) loss. Used where the kernel has no netem.
//!
//! The loss/queue model ([`LinkModel`]) is pure and deterministic for a seed; [`LinkEmulator`]
//! is the thin tokio relay around it.

mod model;
mod relay;

pub use model::{GilbertElliott, LinkConfig, LinkModel, Verdict};
pub use relay::{bind_udp, LinkEmulator, LinkStats, LinkStatsSnapshot};
