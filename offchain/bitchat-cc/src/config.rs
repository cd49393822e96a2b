//! Tunables of the BitChat controller. Defaults follow the seed where it gives numbers
//! (docs/seeds.md#seed-003-48-transmission-and-congestion-control).

use std::time::Duration;

/// Parameters of [`crate::BitChatCore`].
#[derive(Debug, Clone, PartialEq)]
pub struct BitChatConfig {
    /// Initial congestion window in bytes.
    pub initial_window: u64,
    /// Smallest window, in packets.
    pub min_window_packets: u64,
    /// ACK-rate change that ends slow start early (seed: K > 0.35).
    pub k_threshold: f64,
    /// Consecutive rounds K must exceed the threshold.
    pub k_confirm_rounds: u32,
    /// Rounds of conservative slow start after a K exit (HyStart++-style spurious-exit check).
    pub css_rounds: u32,
    /// Extra growth per ACKed byte during those rounds (1/4 of slow start).
    pub css_growth: f64,
    /// Share of window growth that must show up as rate growth to call the exit spurious.
    pub css_follow: f64,
    /// Rounds to observe before K may end slow start (rate samples are noisy at first).
    pub min_slow_start_rounds: u64,
    /// Window (packets) below which K is not evaluated.
    pub k_min_window_packets: u64,
    /// Vegas prediction factor: congestion predicted when DIFF >= alpha * avgbw * minrtt
    /// (seed: 0.35).
    pub vegas_alpha: f64,
    /// Slow-start exit cap relative to the measured window (seed: 1.25x).
    pub saturation_gain: f64,
    /// Saturated window relative to the measured rate x min RTT (the proportional part).
    pub saturation_rate_gain: f64,
    /// Packets each saturated flow keeps queued at the bottleneck on top of the proportional
    /// part (the same for every flow, which makes equal rates the only equilibrium between
    /// BitChat flows).
    pub saturation_queue_packets: f64,
    /// Share of the distance to the saturation target covered per window of ACKs.
    pub saturation_update_gain: f64,
    /// Relative rate increment under which the flow counts as saturated (seed: 5 %).
    pub saturation_band: f64,
    /// Loss-rate window for re-computing `(a, b)` (seed: every 100 ACKs).
    pub adapt_every_acks: u64,
    /// New ACKs after a loss that trigger quick recovery (seed: two).
    pub quick_recovery_acks: u32,
    /// Base multiplicative backoff `a` (used for congestive loss).
    pub base_backoff_a: f64,
    /// Base additive backoff `b`, in packets (negative).
    pub base_backoff_b: f64,
    /// EWMA gain of the average bandwidth (Westwood+ uses 1/8 per RTT; we use 1/4 per round).
    pub bandwidth_ewma_gain: f64,
    /// Rounds the windowed-max bandwidth remembers.
    pub bandwidth_max_rounds: usize,
    /// Ageing period of the windowed minimum RTT (samples live one to two periods).
    pub min_rtt_period: Duration,
    /// When no RTT sample has come down to the lowest one seen since the last probe for this
    /// long, the flow probes the minimum RTT (BBR: 10 s).
    pub min_rtt_expiry: Duration,
    /// Window during an RTT probe, in packets (BBR: 4): small enough to drain the queue even
    /// when the other flows on the bottleneck do not probe at the same time.
    pub probe_rtt_packets: u64,
    /// How long the probe keeps the small window once its first packet is acknowledged
    /// (at least one minimum RTT; BBR: 200 ms).
    pub probe_rtt_duration: Duration,
    /// Shortest round that yields a rate sample (timer granularity guard).
    pub min_round_duration: Duration,
}

impl Default for BitChatConfig {
    fn default() -> Self {
        Self {
            initial_window: 10 * 1200,
            min_window_packets: 2,
            k_threshold: 0.35,
            k_confirm_rounds: 1,
            css_rounds: 5,
            css_growth: 0.25,
            css_follow: 0.65,
            min_slow_start_rounds: 3,
            k_min_window_packets: 16,
            vegas_alpha: 0.35,
            saturation_gain: 1.25,
            saturation_band: 0.05,
            saturation_rate_gain: 1.1,
            saturation_queue_packets: 32.0,
            saturation_update_gain: 0.5,
            adapt_every_acks: 100,
            quick_recovery_acks: 2,
            base_backoff_a: 0.7,
            base_backoff_b: -2.0,
            bandwidth_ewma_gain: 0.25,
            bandwidth_max_rounds: 4,
            min_rtt_period: Duration::from_secs(2),
            min_rtt_expiry: Duration::from_secs(10),
            probe_rtt_packets: 4,
            probe_rtt_duration: Duration::from_millis(200),
            min_round_duration: Duration::from_millis(2),
        }
    }
}
