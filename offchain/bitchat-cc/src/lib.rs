//! BitChat congestion control (docs/glossary.md#bitchat-congestion-control) for quinn.
//!
//! [`BitChatCore`] is a pure state machine (no I/O, explicit timestamps); [`BitChat`] and
//! [`BitChatFactory`] plug it into quinn-proto's `congestion::Controller` interface.
//! See README.md for how each seed rule was read
//! (docs/seeds.md#seed-003-48-transmission-and-congestion-control).

mod config;
mod core;
mod estimators;
mod quinn_adapter;

pub use crate::config::BitChatConfig;
pub use crate::core::{
    ack_rate_change, backoff_for_loss_rate, rate_followed_window, BitChatCore, ControllerStats,
    Phase, SlowStartExit,
};
pub use crate::estimators::{BandwidthEstimator, ExpiringMinRtt, LossRateWindow, WindowedMinRtt};
pub use crate::quinn_adapter::{BitChat, BitChatFactory};

/// Jain's fairness index of the flows' shares (goodputs, say): 1 when all are equal, 1/n when
/// one flow takes everything, 0 when nothing moved.
pub fn jain(xs: &[f64]) -> f64 {
    let s: f64 = xs.iter().sum();
    let s2: f64 = xs.iter().map(|x| x * x).sum();
    if s2 == 0.0 {
        return 0.0;
    }
    s * s / (xs.len() as f64 * s2)
}
