//! BitChat congestion control (seed 003, section 4.8) for quinn.
//!
//! [`BitChatCore`] is a pure state machine (no I/O, explicit timestamps); [`BitChat`] and
//! [`BitChatFactory`] plug it into quinn-proto's `congestion::Controller` interface.
//! See README.md for how each seed rule was read.

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
