//! The BitChat congestion-control state machine, free of any I/O
//! (docs/glossary.md#bitchat-congestion-control).
//!
//! Every input is an explicit event with its own timestamp, so the machine can be driven by
//! quinn (see [`crate::quinn_adapter`]) or by synthetic ACK/loss traces in tests.

use std::time::{Duration, Instant};

use crate::config::BitChatConfig;
use crate::estimators::{BandwidthEstimator, ExpiringMinRtt, LossRateWindow, WindowedMinRtt};

/// Which stage of the window controller is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Window grows by the acknowledged bytes (W += 1 per ACKed packet).
    SlowStart,
    /// Reno-style additive increase, gated by the Vegas DIFF prediction.
    CongestionAvoidance,
    /// The flow reached its maximum: the window tracks 1.25x the measured saturation window.
    Saturated,
}

/// Why slow start ended (exposed for tests and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowStartExit {
    /// The ACK-rate change K exceeded its threshold (predicted congestion, no loss needed).
    AckRateChange,
    /// The window reached the slow-start threshold.
    Threshold,
    /// A loss was detected.
    Loss,
}

/// Counters the controller keeps for observability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControllerStats {
    pub acks: u64,
    pub congestion_events: u64,
    pub quick_recoveries: u64,
    pub saturation_entries: u64,
    pub param_updates: u64,
    pub persistent_congestions: u64,
    /// K exits undone because the ACK rate kept following the window.
    pub spurious_exits: u64,
    /// RTT probes (queue drains after the minimum RTT expired).
    pub rtt_probes: u64,
}

/// An RTT probe in progress: the window is held at `probe_rtt_packets` so that the queue
/// drains and the RTT samples show the propagation delay again.
#[derive(Debug, Clone, Copy)]
struct RttProbe {
    /// Window to return to.
    saved_window: u64,
    started_at: Instant,
    /// Set once a packet sent during the probe is acknowledged (the queue has drained).
    ends_at: Option<Instant>,
}

/// Window saved at a loss, restored by quick recovery if the loss proves non-congestive.
#[derive(Debug, Clone, Copy)]
struct UndoState {
    window: u64,
    ssthresh: u64,
    phase: Phase,
    new_acks: u32,
}

/// One measurement round: ends when a packet sent after the round began is acknowledged.
#[derive(Debug, Clone, Copy)]
struct Round {
    /// Packets sent at or after this instant belong to the next round.
    started_at: Instant,
    acked: u64,
    /// Window when the round started.
    window: u64,
    /// Whether any ACK of this round was application-limited (its rate sample is not trusted).
    app_limited: bool,
}

/// The BitChat controller core.
#[derive(Debug, Clone)]
pub struct BitChatCore {
    cfg: BitChatConfig,
    mtu: u64,
    window: u64,
    ssthresh: u64,
    phase: Phase,
    slow_start_exit: Option<SlowStartExit>,
    min_rtt: Option<Duration>,
    min_rtt_filter: WindowedMinRtt,
    /// Lowest RTT since the last drained queue; its expiry starts an RTT probe.
    probe_trigger: ExpiringMinRtt,
    rtt_probe: Option<RttProbe>,
    rtt: Option<Duration>,
    round: Round,
    /// Rate samples and windows of the last completed rounds (newest last).
    prev_rate: Option<f64>,
    prev_window_growth: Option<f64>,
    rounds_completed: u64,
    /// Consecutive rounds with K above the threshold.
    k_rounds: u32,
    /// Rounds of conservative slow start left after a K exit.
    css_rounds_left: u32,
    bandwidth: BandwidthEstimator,
    /// Losses before this instant belong to the current recovery period.
    recovery_start: Option<Instant>,
    undo: Option<UndoState>,
    /// Whether the last loss looked congestive (queue present when it happened).
    last_loss_congestive: bool,
    loss_window: LossRateWindow,
    /// Multiplicative backoff `a` of `ssthresh = wnd * a` (adapted every N ACKs).
    backoff_a: f64,
    /// Additive backoff `b` in packets (negative) of `wnd += b`.
    backoff_b: f64,
    stats: ControllerStats,
}

impl BitChatCore {
    pub fn new(cfg: BitChatConfig, now: Instant, mtu: u16) -> Self {
        let mtu = u64::from(mtu.max(1200));
        let window = cfg.initial_window;
        Self {
            backoff_a: cfg.base_backoff_a,
            backoff_b: cfg.base_backoff_b,
            loss_window: LossRateWindow::new(cfg.adapt_every_acks),
            min_rtt_filter: WindowedMinRtt::new(cfg.min_rtt_period),
            probe_trigger: ExpiringMinRtt::new(cfg.min_rtt_expiry),
            rtt_probe: None,
            bandwidth: BandwidthEstimator::new(cfg.bandwidth_ewma_gain, cfg.bandwidth_max_rounds),
            cfg,
            mtu,
            window,
            ssthresh: u64::MAX,
            phase: Phase::SlowStart,
            slow_start_exit: None,
            min_rtt: None,
            rtt: None,
            round: Round {
                started_at: now,
                acked: 0,
                window,
                app_limited: false,
            },
            prev_rate: None,
            prev_window_growth: None,
            rounds_completed: 0,
            k_rounds: 0,
            css_rounds_left: 0,
            recovery_start: None,
            undo: None,
            last_loss_congestive: false,
            stats: ControllerStats::default(),
        }
    }

    pub fn window(&self) -> u64 {
        self.window
    }
    pub fn ssthresh(&self) -> u64 {
        self.ssthresh
    }
    pub fn phase(&self) -> Phase {
        self.phase
    }
    pub fn slow_start_exit(&self) -> Option<SlowStartExit> {
        self.slow_start_exit
    }
    pub fn stats(&self) -> ControllerStats {
        self.stats
    }
    pub fn config(&self) -> &BitChatConfig {
        &self.cfg
    }
    /// Current `(a, b)` loss backoff parameters.
    pub fn backoff_params(&self) -> (f64, f64) {
        (self.backoff_a, self.backoff_b)
    }
    /// Average (EWMA) delivery rate in bytes per second.
    pub fn avg_bandwidth(&self) -> f64 {
        self.bandwidth.average()
    }
    /// Windowed-max delivery rate in bytes per second (Westwood estimate).
    pub fn max_bandwidth(&self) -> f64 {
        self.bandwidth.max()
    }
    /// Windowed minimum RTT.
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }
    pub fn mtu(&self) -> u64 {
        self.mtu
    }

    fn min_window(&self) -> u64 {
        self.cfg.min_window_packets * self.mtu
    }

    /// Vegas DIFF (docs/seeds.md#seed-003-48-transmission-and-congestion-control):
    /// `minrtt * (wnd/minrtt - wnd/rtt)`, the bytes this flow keeps queued.
    pub fn vegas_diff(&self) -> Option<f64> {
        let (min, rtt) = (self.min_rtt?, self.rtt?);
        if rtt.is_zero() {
            return None;
        }
        let w = self.window as f64;
        let ratio = min.as_secs_f64() / rtt.as_secs_f64();
        Some(w * (1.0 - ratio).max(0.0))
    }

    /// Vegas threshold: `avgbw * 0.35`, read as 0.35 of the bandwidth-delay product so that
    /// both sides of the comparison are bytes (the seed compares a window with a rate).
    pub fn vegas_threshold(&self) -> Option<f64> {
        let min = self.min_rtt?;
        let bw = self.bandwidth.average();
        if bw <= 0.0 {
            return None;
        }
        Some(self.cfg.vegas_alpha * bw * min.as_secs_f64())
    }

    /// True when the delay signal says a queue is building (congestion predicted).
    fn queue_building(&self) -> bool {
        match (self.vegas_diff(), self.vegas_threshold()) {
            (Some(d), Some(t)) => d >= t,
            _ => false,
        }
    }

    /// Saturation window: `saturation_rate_gain` (1.1) x the window that carries this flow's
    /// rate `W / sRTT` at min RTT, i.e. `1.1 x W x minRTT / sRTT` (FAST TCP's target), plus a
    /// fixed allowance of `saturation_queue_packets` (32) packets. The allowance is the same for
    /// every flow, which makes equal rates the only equilibrium between BitChat flows (see
    /// `saturation_step`); the proportional 10 % keeps the pipe full when the RTT jitters by a
    /// few milliseconds.
    pub fn saturation_window(&self) -> Option<u64> {
        let min = self.min_rtt?;
        let bw = self.window_rate()?;
        let w = self.cfg.saturation_rate_gain * bw * min.as_secs_f64()
            + self.cfg.saturation_queue_packets * self.mtu as f64;
        Some((w as u64).max(self.min_window()))
    }

    /// The rate the window gives at the smoothed RTT, `W / sRTT` (FAST TCP's rate estimate).
    /// It moves with the window within one RTT, where the measured delivery rate (an EWMA per
    /// round) lags by several: with the lagging estimate a flow that shrinks keeps its old
    /// target for a while, which slowed convergence between two flows about threefold in the
    /// simulator (see the README's fairness analysis).
    fn window_rate(&self) -> Option<f64> {
        let rtt = self.rtt?.as_secs_f64();
        (rtt > 0.0).then(|| self.window as f64 / rtt)
    }

    /// True when this flow keeps at least the queue its saturation window implies.
    fn saturation_queue_reached(&self) -> bool {
        let (Some(d), Some(min)) = (self.vegas_diff(), self.min_rtt) else {
            return false;
        };
        let Some(bw) = self.window_rate() else {
            return false;
        };
        d >= (self.cfg.saturation_rate_gain - 1.0) * bw * min.as_secs_f64()
            + self.cfg.saturation_queue_packets * self.mtu as f64
    }

    /// Westwood window after a loss: `BWE * RTTmin` with the windowed-max estimate.
    pub fn westwood_window(&self) -> Option<u64> {
        let min = self.min_rtt?;
        let bw = self.bandwidth.max();
        if bw <= 0.0 {
            return None;
        }
        Some((bw * min.as_secs_f64()) as u64)
    }

    /// A packet of `bytes` acknowledged at `now`; it was sent at `sent`; `srtt` is the smoothed
    /// RTT. The minimum RTT is filtered here from `now - sent` samples (windowed, see
    /// [`WindowedMinRtt`]; [`ExpiringMinRtt`] starts an RTT probe when no sample came down to the
    /// lowest one for `min_rtt_expiry`).
    pub fn on_ack(
        &mut self,
        now: Instant,
        sent: Instant,
        bytes: u64,
        app_limited: bool,
        srtt: Duration,
    ) {
        self.stats.acks += 1;
        let sample = now.saturating_duration_since(sent);
        if !sample.is_zero() {
            self.min_rtt_filter.on_sample(now, sample);
            if self.probe_trigger.on_sample(now, sample) && self.rtt_probe.is_none() {
                self.start_rtt_probe(now);
            }
        }
        self.min_rtt = self.min_rtt_filter.get();
        self.rtt = Some(srtt);
        if self.rtt_probe.is_some() {
            // Rounds of the probe measure the probe's window, not the path.
            self.round.app_limited = true;
            if sent >= self.round.started_at {
                self.end_round(now);
            }
            self.continue_rtt_probe(now, sent);
            return;
        }
        self.round.acked += bytes;
        self.round.app_limited |= app_limited;
        self.loss_window.on_acked(1);
        if self.loss_window.full() {
            self.adapt_parameters();
        }

        let in_recovery = self.recovery_start.is_some_and(|r| sent <= r);
        if !in_recovery {
            self.quick_recovery_check();
        }

        if sent >= self.round.started_at {
            self.end_round(now);
        }

        // During recovery from a congestive loss the window is frozen (one reduction per
        // epoch, as NewReno); after a random loss it keeps probing.
        if app_limited || (in_recovery && self.last_loss_congestive) {
            return;
        }
        self.grow(bytes);
    }

    /// The minimum RTT expired: hold the window at a few packets so that this flow's queue
    /// drains (and, with the window this small, the whole queue unless another flow keeps more
    /// than one BDP queued), then measure the minimum again. Every flow on the bottleneck sees
    /// the drained queue renew its own minimum, so their probes fall together afterwards.
    fn start_rtt_probe(&mut self, now: Instant) {
        self.stats.rtt_probes += 1;
        // A pending undo would restore a pre-loss window in the middle of the probe.
        self.undo = None;
        self.rtt_probe = Some(RttProbe {
            saved_window: self.window,
            started_at: now,
            ends_at: None,
        });
        self.window = self.window.min(self.probe_window());
    }

    fn probe_window(&self) -> u64 {
        (self.cfg.probe_rtt_packets * self.mtu).max(self.min_window())
    }

    fn continue_rtt_probe(&mut self, now: Instant, sent: Instant) {
        let Some(mut probe) = self.rtt_probe else {
            return;
        };
        match probe.ends_at {
            // The first packet sent during the probe left only once the old flight was
            // acknowledged: from here the samples see the drained queue.
            None if sent >= probe.started_at => {
                let hold = self
                    .cfg
                    .probe_rtt_duration
                    .max(self.min_rtt.unwrap_or_default());
                probe.ends_at = Some(now + hold);
                self.rtt_probe = Some(probe);
            }
            Some(end) if now >= end => self.end_rtt_probe(),
            _ => {}
        }
    }

    fn end_rtt_probe(&mut self) {
        if let Some(probe) = self.rtt_probe.take() {
            self.window = self.window.max(probe.saved_window);
            // The probe's rounds carry no rate to compare the next one with (K, saturation).
            self.prev_rate = None;
            self.prev_window_growth = None;
        }
    }

    /// Two new ACKs after a loss with no queue in sight: the loss was random, restore the window.
    fn quick_recovery_check(&mut self) {
        let Some(mut undo) = self.undo else { return };
        undo.new_acks += 1;
        if undo.new_acks < self.cfg.quick_recovery_acks {
            self.undo = Some(undo);
            return;
        }
        self.undo = None;
        if self.last_loss_congestive || self.queue_building() {
            return;
        }
        // Restore the pre-loss state: the loss carried no congestion information. A loss in
        // slow start returns to slow start even when the window has already regrown past the
        // saved one (the avoidance step is fast below the target; K still ends slow start at
        // the bottleneck). Otherwise only a window still below the saved one is restored:
        // against Cubic, whose standing queue ages into the windowed minimum RTT so that its
        // overflow losses look random, restoring the phase as well took a larger share.
        if undo.window <= self.window && undo.phase != Phase::SlowStart {
            return;
        }
        self.window = self.window.max(undo.window);
        self.ssthresh = undo.ssthresh.max(self.ssthresh);
        if undo.phase == Phase::SlowStart {
            self.slow_start_exit = None;
        }
        self.phase = undo.phase;
        self.stats.quick_recoveries += 1;
    }

    fn grow(&mut self, bytes: u64) {
        match self.phase {
            Phase::SlowStart => {
                self.window = self.window.saturating_add(bytes);
                if self.window >= self.ssthresh {
                    self.window = self.ssthresh;
                    self.leave_slow_start(SlowStartExit::Threshold);
                }
            }
            Phase::CongestionAvoidance => {
                // Saturated once the Vegas prediction fires, or once this flow keeps its
                // allowance queued (otherwise a flow left in avoidance grows past a saturated
                // competitor and the shares never meet).
                if self.queue_building() || self.saturation_queue_reached() {
                    self.enter_saturation();
                    return;
                }
                // ACK-driven growth (docs/seeds.md#seed-003-48-transmission-and-congestion-control):
                // 1 MSS per window of ACKed bytes, scaled by the headroom left below the Vegas
                // threshold, so it may exceed 1 MSS per RTT.
                let headroom = match (self.vegas_diff(), self.vegas_threshold()) {
                    (Some(d), Some(t)) if t > 0.0 => ((t - d) / t).clamp(0.0, 1.0),
                    _ => 0.0,
                };
                let mut inc =
                    (self.mtu as f64 * bytes as f64 / self.window as f64) * (1.0 + headroom);
                if self.css_rounds_left > 0 {
                    // Conservative slow start after a K exit: probe at 1/4 of slow-start speed
                    // so that a spurious exit (noisy ACK rate) can be recognized.
                    inc += bytes as f64 * self.cfg.css_growth;
                }
                // Below its saturation target a flow grows at least by the saturated update's
                // step. With the additive increase alone, two flows left in avoidance grow by
                // the same 1-2 MSS per RTT and keep whatever split slow start left them (the
                // bench showed 77/21 Mbit/s over 8 s); the FAST step is larger for the flow
                // further below its target, so the split closes at the saturated rate.
                if let Some(step) = self.saturation_step(bytes) {
                    inc = inc.max(step);
                }
                self.window = self.window.saturating_add(inc.max(1.0) as u64);
            }
            Phase::Saturated => {
                let Some(step) = self.saturation_step(bytes) else {
                    return;
                };
                let next = (self.window as f64 + step).max(self.min_window() as f64);
                self.window = next as u64;
            }
        }
    }

    /// FAST-style update towards the saturation target for `bytes` acknowledged, in both
    /// directions: a share `saturation_update_gain` of the distance per window of ACKs. The
    /// distance is `allowance - r x (queue delay - 0.1 x minRTT)`: both flows see the same queue
    /// delay, so the one with the larger rate `r` is pushed down (or grows less) and the flows
    /// converge at a rate of gain x allowance / window per RTT instead of the 1 MSS / window of
    /// a proportional decrease with additive increase.
    fn saturation_step(&self, bytes: u64) -> Option<f64> {
        let target = self.saturation_window()? as f64;
        let w = self.window as f64;
        Some((target - w) * self.cfg.saturation_update_gain * bytes as f64 / w)
    }

    fn leave_slow_start(&mut self, why: SlowStartExit) {
        if self.phase == Phase::SlowStart {
            self.phase = Phase::CongestionAvoidance;
            self.slow_start_exit = Some(why);
        }
    }

    fn enter_saturation(&mut self) {
        if self.phase != Phase::Saturated {
            self.phase = Phase::Saturated;
            self.stats.saturation_entries += 1;
        }
    }

    /// Close the measurement round: new bandwidth sample, ACK-rate change K, saturation check.
    fn end_round(&mut self, now: Instant) {
        let round = self.round;
        let elapsed = now.saturating_duration_since(round.started_at);
        if elapsed < self.cfg.min_round_duration {
            return; // too short to measure a rate: keep accumulating
        }
        self.round = Round {
            started_at: now,
            acked: 0,
            window: self.window,
            app_limited: false,
        };
        let rate = round.acked as f64 / elapsed.as_secs_f64();
        self.rounds_completed += 1;
        if !round.app_limited {
            self.bandwidth.on_sample(rate);
        }
        let window_growth = self.window as f64 / round.window.max(1) as f64;
        let prev_rate = self.prev_rate.replace(rate);
        // The ACK rate of this round reflects the window of the previous round.
        let prev_growth = self.prev_window_growth.replace(window_growth);
        let (Some(prev_rate), Some(prev_growth)) = (prev_rate, prev_growth) else {
            return;
        };
        if round.app_limited || prev_rate <= 0.0 {
            return;
        }
        let rate_growth = rate / prev_rate;
        match self.phase {
            Phase::SlowStart => {
                if self.rounds_completed < self.cfg.min_slow_start_rounds
                    || self.window < self.cfg.k_min_window_packets * self.mtu
                    || prev_growth <= 1.0
                {
                    return;
                }
                let k = ack_rate_change(rate_growth, prev_growth);
                if k <= self.cfg.k_threshold {
                    self.k_rounds = 0;
                    return;
                }
                // Rate samples are noisy (ACK batching, timer granularity): act only when K
                // stays above the threshold for `k_confirm_rounds` consecutive rounds.
                self.k_rounds += 1;
                if self.k_rounds >= self.cfg.k_confirm_rounds {
                    // Predicted congestion: set ssthresh and start avoidance early, at 1.25x the
                    // window of the highest measured rate (the EWMA lags behind in slow start).
                    self.ssthresh = self.window;
                    if let Some(min) = self.min_rtt {
                        let sat =
                            self.cfg.saturation_gain * self.bandwidth.max() * min.as_secs_f64();
                        let sat = (sat as u64).max(self.min_window());
                        self.window = self.window.min(sat);
                    }
                    self.leave_slow_start(SlowStartExit::AckRateChange);
                    self.css_rounds_left = self.cfg.css_rounds;
                }
            }
            Phase::CongestionAvoidance if self.css_rounds_left > 0 => {
                self.css_rounds_left -= 1;
                if self.queue_building() {
                    // The exit was right: a queue is forming.
                    self.css_rounds_left = 0;
                    self.enter_saturation();
                } else if prev_growth > 1.05
                    && rate_followed_window(rate_growth, prev_growth) >= self.cfg.css_follow
                {
                    // The ACK rate keeps following the window: the bottleneck was not reached,
                    // resume slow start.
                    self.css_rounds_left = 0;
                    self.ssthresh = u64::MAX;
                    self.phase = Phase::SlowStart;
                    self.slow_start_exit = None;
                    self.stats.spurious_exits += 1;
                }
            }
            Phase::CongestionAvoidance => {
                // Increments within 5 % of the flow while a queue builds: the flow is at its maximum.
                if rate_growth <= 1.0 + self.cfg.saturation_band && self.queue_building() {
                    self.enter_saturation();
                }
            }
            Phase::Saturated => {
                // Capacity freed up: the rate grew beyond the band and no queue is building.
                if rate_growth > 1.0 + self.cfg.saturation_band && !self.queue_building() {
                    self.phase = Phase::CongestionAvoidance;
                }
            }
        }
    }

    /// Every `adapt_every_acks` ACKs: recompute `(a, b)` from the measured loss rate.
    fn adapt_parameters(&mut self) {
        let p = self.loss_window.take_rate();
        self.stats.param_updates += 1;
        let (a, b) = backoff_for_loss_rate(&self.cfg, p);
        self.backoff_a = a;
        self.backoff_b = b;
    }

    /// Packets sent at `sent` were declared lost (`lost_bytes`), detected at `now`.
    pub fn on_congestion_event(
        &mut self,
        now: Instant,
        sent: Instant,
        persistent: bool,
        lost_bytes: u64,
    ) {
        self.loss_window
            .on_lost(lost_bytes.div_ceil(self.mtu).max(1));
        // A loss during an RTT probe is judged against the window the flow had before it.
        self.end_rtt_probe();
        if persistent {
            self.stats.persistent_congestions += 1;
            self.undo = None;
            self.recovery_start = Some(now);
            self.ssthresh = (self.window / 2).max(self.min_window());
            self.window = self.min_window();
            self.phase = Phase::CongestionAvoidance;
            return;
        }
        if self.recovery_start.is_some_and(|r| sent <= r) {
            return; // same congestion epoch
        }
        self.stats.congestion_events += 1;
        self.css_rounds_left = 0;
        self.recovery_start = Some(now);
        self.last_loss_congestive = self.queue_building();
        self.undo = Some(UndoState {
            window: self.window,
            ssthresh: self.ssthresh,
            phase: self.phase,
            new_acks: 0,
        });
        // Congestive losses use the base backoff; the loss-adapted one applies to random loss.
        let (a, b) = if self.last_loss_congestive {
            (self.cfg.base_backoff_a, self.cfg.base_backoff_b)
        } else {
            (self.backoff_a, self.backoff_b)
        };
        let w = self.window as f64;
        let multiplicative = (w * a + b * self.mtu as f64).max(0.0) as u64;
        let westwood = self.westwood_window().unwrap_or(0).min(self.window);
        let new_window = multiplicative.max(westwood).max(self.min_window());
        self.ssthresh = new_window;
        self.window = new_window;
        if self.phase == Phase::SlowStart {
            self.leave_slow_start(SlowStartExit::Loss);
        } else {
            self.phase = Phase::CongestionAvoidance;
        }
    }

    pub fn on_mtu_update(&mut self, mtu: u16) {
        self.mtu = u64::from(mtu.max(1200));
        self.window = self.window.max(self.min_window());
    }
}

/// ACK-rate change K: the share of the window growth that did not turn into ACK-rate growth.
/// In slow start both double each round (K = 0); once the bottleneck is full the ACK rate stays
/// flat while the window doubles (K = 0.5).
pub fn ack_rate_change(rate_growth: f64, window_growth: f64) -> f64 {
    if window_growth <= 0.0 {
        return 0.0;
    }
    (1.0 - rate_growth / window_growth).clamp(0.0, 1.0)
}

/// Share of the window growth that turned into ACK-rate growth: 1 while the path keeps up,
/// 0 when the rate is flat.
pub fn rate_followed_window(rate_growth: f64, window_growth: f64) -> f64 {
    if window_growth <= 1.0 {
        return 0.0;
    }
    ((rate_growth - 1.0) / (window_growth - 1.0)).clamp(0.0, 1.0)
}

/// Loss-rate-adaptive backoff `(a, b)`: the more (random) loss the path shows, the less the
/// window is cut, so that a lossy link is not mistaken for a congested one.
pub fn backoff_for_loss_rate(cfg: &BitChatConfig, p: f64) -> (f64, f64) {
    if p < 0.002 {
        (cfg.base_backoff_a, cfg.base_backoff_b)
    } else if p < 0.01 {
        (0.8, -1.0)
    } else if p < 0.03 {
        (0.85, -1.0)
    } else {
        (0.9, 0.0)
    }
}
