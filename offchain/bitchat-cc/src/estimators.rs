//! Small filters used by the controller: bandwidth (Westwood) and loss rate (per 100 ACKs).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Delivery-rate estimator: EWMA average (`avgbw`) and a max over the last rounds (`BWE`).
#[derive(Debug, Clone)]
pub struct BandwidthEstimator {
    gain: f64,
    average: f64,
    recent: VecDeque<f64>,
    max_rounds: usize,
}

impl BandwidthEstimator {
    pub fn new(gain: f64, max_rounds: usize) -> Self {
        Self {
            gain: gain.clamp(0.0, 1.0),
            average: 0.0,
            recent: VecDeque::new(),
            max_rounds: max_rounds.max(1),
        }
    }

    /// One delivery-rate sample in bytes per second.
    pub fn on_sample(&mut self, rate: f64) {
        if !rate.is_finite() || rate < 0.0 {
            return;
        }
        self.average = if self.average == 0.0 {
            rate
        } else {
            (1.0 - self.gain) * self.average + self.gain * rate
        };
        if self.recent.len() == self.max_rounds {
            self.recent.pop_front();
        }
        self.recent.push_back(rate);
    }

    pub fn average(&self) -> f64 {
        self.average
    }

    pub fn max(&self) -> f64 {
        self.recent.iter().copied().fold(0.0, f64::max)
    }
}

/// Counts acknowledged and lost packets over a window of ACKs.
#[derive(Debug, Clone)]
pub struct LossRateWindow {
    every: u64,
    acked: u64,
    lost: u64,
}

impl LossRateWindow {
    pub fn new(every: u64) -> Self {
        Self {
            every: every.max(1),
            acked: 0,
            lost: 0,
        }
    }
    pub fn on_acked(&mut self, packets: u64) {
        self.acked += packets;
    }
    pub fn on_lost(&mut self, packets: u64) {
        self.lost += packets;
    }
    pub fn full(&self) -> bool {
        self.acked >= self.every
    }
    /// Loss rate `lost / (acked + lost)` of the window, then start a new window.
    pub fn take_rate(&mut self) -> f64 {
        let total = self.acked + self.lost;
        let p = if total == 0 {
            0.0
        } else {
            self.lost as f64 / total as f64
        };
        self.acked = 0;
        self.lost = 0;
        p
    }
}

/// Windowed minimum RTT: the minimum over the current and the previous period (so samples age
/// out after one to two periods). A lifetime minimum lets a flow that started behind another
/// flow's standing queue believe that queue is propagation delay, which starves the older flow.
/// Ageing alone lets a standing queue age into the estimate instead; the RTT probe driven by
/// [`ExpiringMinRtt`] drains it every few seconds.
#[derive(Debug, Clone)]
pub struct WindowedMinRtt {
    period: Duration,
    current: Option<Duration>,
    previous: Option<Duration>,
    current_started: Option<Instant>,
}

impl WindowedMinRtt {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            current: None,
            previous: None,
            current_started: None,
        }
    }

    pub fn on_sample(&mut self, now: Instant, rtt: Duration) {
        let started = *self.current_started.get_or_insert(now);
        if now.saturating_duration_since(started) >= self.period {
            self.previous = self.current;
            self.current = None;
            self.current_started = Some(now);
        }
        self.current = Some(self.current.map_or(rtt, |c| c.min(rtt)));
    }

    pub fn get(&self) -> Option<Duration> {
        match (self.current, self.previous) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Minimum RTT that expires (BBR's filter): the estimate is the lowest sample since it was last
/// set, and a sample that matches it renews it. When no sample has matched it for `expiry` (the
/// queue never drained in that time), the next sample replaces it and
/// [`ExpiringMinRtt::on_sample`] reports the expiry, so the owner drains its queue to measure the
/// propagation delay again (see `BitChatCore`'s RTT probe). Without the probe a standing queue
/// ages into the [`WindowedMinRtt`], and every saturated flow's target, and the queue with it,
/// creeps up until the buffer overflows.
#[derive(Debug, Clone)]
pub struct ExpiringMinRtt {
    expiry: Duration,
    /// The estimate and when a sample last set or matched it.
    min: Option<(Duration, Instant)>,
}

impl ExpiringMinRtt {
    pub fn new(expiry: Duration) -> Self {
        Self { expiry, min: None }
    }

    /// Feeds one RTT sample; true when the estimate had expired (it is now this sample).
    pub fn on_sample(&mut self, now: Instant, rtt: Duration) -> bool {
        let expired = self
            .min
            .is_some_and(|(_, at)| now.saturating_duration_since(at) >= self.expiry);
        if expired || self.min.is_none_or(|(m, _)| rtt <= m) {
            self.min = Some((rtt, now));
        }
        expired
    }

    pub fn get(&self) -> Option<Duration> {
        self.min.map(|(m, _)| m)
    }
}
