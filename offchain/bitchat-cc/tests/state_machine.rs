//! Unit tests of the controller state machine on synthetic ACK and loss traces.

mod sim;

use std::time::{Duration, Instant};

use bithive_bitchat_cc::{
    ack_rate_change, backoff_for_loss_rate, jain, BitChatConfig, BitChatCore, ExpiringMinRtt,
    Phase, SlowStartExit,
};
use proptest::prelude::*;
use sim::{Link, MTU};

const MS: Duration = Duration::from_millis(1);

fn core(t0: Instant) -> BitChatCore {
    BitChatCore::new(BitChatConfig::default(), t0, MTU as u16)
}

/// Acks one window of packets spread over `rtt`, each sent `rtt` earlier; returns the new time.
fn ack_window(cc: &mut BitChatCore, now: Instant, rtt: Duration) -> Instant {
    let packets = (cc.window() / MTU).max(1);
    let step = rtt / packets as u32;
    let mut t = now;
    for _ in 0..packets {
        t += step;
        cc.on_ack(t, t - rtt, MTU, false, rtt);
    }
    t
}

/// Drive a controller with ACKs arriving at a constant `bw` bytes/s: the ACK rate stays flat
/// while slow start doubles the window, so K ends slow start (asserted).
fn warmed_up(bw: f64, rtt: Duration) -> (BitChatCore, Instant) {
    let t0 = Instant::now();
    let mut cc = core(t0);
    // Ack at exactly `bw`: one packet every MTU/bw seconds for a few RTTs.
    let gap = Duration::from_secs_f64(MTU as f64 / bw);
    let mut t = t0;
    let n = (4.0 * rtt.as_secs_f64() / gap.as_secs_f64()) as usize;
    for _ in 0..n {
        t += gap;
        cc.on_ack(t, t - rtt, MTU, false, rtt);
        if cc.phase() != Phase::SlowStart {
            break;
        }
    }
    assert_eq!(cc.slow_start_exit(), Some(SlowStartExit::AckRateChange));
    assert_ne!(cc.phase(), Phase::SlowStart);
    (cc, t)
}

#[test]
fn k_is_zero_when_rate_follows_window_and_half_when_flat() {
    assert_eq!(ack_rate_change(2.0, 2.0), 0.0);
    assert!((ack_rate_change(1.0, 2.0) - 0.5).abs() < 1e-12);
    assert!((ack_rate_change(1.3, 2.0) - 0.35).abs() < 1e-12);
    assert_eq!(ack_rate_change(3.0, 2.0), 0.0);
}

#[test]
fn slow_start_grows_window_by_acked_bytes() {
    let t0 = Instant::now();
    let mut cc = core(t0);
    let w0 = cc.window();
    let rtt = 50 * MS;
    let t = ack_window(&mut cc, t0, rtt);
    assert_eq!(cc.phase(), Phase::SlowStart);
    assert_eq!(cc.window(), 2 * w0, "one window of ACKs doubles the window");
    ack_window(&mut cc, t, rtt);
    assert_eq!(cc.window(), 4 * w0);
}

#[test]
fn slow_start_exits_on_ack_rate_change_before_any_loss() {
    // 20 Mbit/s, 50 ms RTT, a deep buffer: the ACK rate flattens at the bottleneck long before
    // the queue overflows, so K > 0.35 must end slow start with no loss.
    let link = Link {
        rate_bytes_per_sec: 20e6 / 8.0,
        one_way: 25 * MS,
        queue_bytes: 10_000_000,
        random_loss: 0.0,
        ack_jitter: Duration::ZERO,
    };
    let out = sim::run(&link, &[Duration::ZERO], Duration::from_secs(3), 1);
    let f = &out[0];
    assert_eq!(f.losses, 0);
    assert_eq!(f.cc.slow_start_exit(), Some(SlowStartExit::AckRateChange));
    let bdp = 20e6 / 8.0 * 0.05;
    // The window settles near 1.1x the BDP plus the 32-packet allowance, not at the 10 MB buffer.
    let w = f.cc.window() as f64;
    assert!(w > 0.8 * bdp && w < 2.5 * bdp, "window {w} vs bdp {bdp}");
    // Goodput close to the link rate.
    let goodput = f.delivered as f64 / 3.0;
    assert!(
        goodput > 0.75 * link.rate_bytes_per_sec,
        "goodput {goodput}"
    );
}

#[test]
fn vegas_diff_grows_window_without_queue_and_saturates_with_one() {
    let bw = 1_000_000.0;
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(bw, rtt);
    // Force congestion avoidance via a loss, then quick recovery must not fire (checked elsewhere).
    cc.on_congestion_event(t, t - rtt, false, MTU);
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
    // Acks of packets sent after the loss, no queue (rtt == min): window grows.
    let w = cc.window();
    for _ in 0..50 {
        t += MS;
        cc.on_ack(t, t - rtt + MS, MTU, false, rtt);
    }
    assert!(cc.window() > w, "no queue: additive increase");
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
    // Now the RTT doubles: DIFF = W/2 >> 0.35 * bw * minrtt -> saturation.
    let diff_threshold = cc.vegas_threshold().unwrap();
    t += MS;
    cc.on_ack(t, t - rtt, MTU, false, 2 * rtt);
    assert!(cc.vegas_diff().unwrap() >= diff_threshold);
    assert_eq!(cc.phase(), Phase::Saturated);
}

#[test]
fn saturated_window_converges_to_the_fast_fixed_point() {
    // 10 MB/s x 40 ms = 333 packets.
    let bw = 10_000_000.0;
    let rtt = 40 * MS;
    let allowance = 32.0 * MTU as f64;
    let (mut cc, mut t) = warmed_up(bw, rtt);
    // The target is 1.1 x the window's rate (W / sRTT) x minRTT plus the allowance; with no
    // queue (sRTT = minRTT) that is 1.1 x W + 32 packets.
    let target = cc.saturation_window().unwrap() as f64;
    let expected = 1.1 * cc.window() as f64 + allowance;
    assert!(
        (target - expected).abs() <= MTU as f64,
        "{target} vs {expected}"
    );
    // A queue appears: the smoothed RTT is 3x the minimum. The flow is saturated and its window
    // shrinks, never grows, towards the fixed point W = 1.1 x W / 3 + allowance, i.e.
    // allowance / (1 - 1.1 / 3) = 50.5 packets: FAST TCP's equilibrium, where the flow keeps
    // 10 % of its window at minRTT plus the allowance queued.
    let w0 = cc.window();
    let gap = Duration::from_secs_f64(2.0 * MTU as f64 / bw);
    let mut last = cc.window();
    for _ in 0..10_000 {
        t += gap;
        cc.on_ack(t, t - 3 * rtt, MTU, false, 3 * rtt);
        assert!(
            cc.window() <= last.max(target as u64),
            "window must not grow while saturated"
        );
        last = cc.window();
    }
    assert_eq!(cc.phase(), Phase::Saturated);
    assert!(cc.stats().saturation_entries >= 1);
    let fixed_point = allowance / (1.0 - 1.1 / 3.0);
    assert!(cc.window() < w0);
    assert!(
        (cc.window() as f64 - fixed_point).abs() <= 2.0 * MTU as f64,
        "window {} fixed point {fixed_point}",
        cc.window()
    );
    let new_target = cc.saturation_window().unwrap() as f64;
    assert!(
        (new_target - cc.window() as f64).abs() <= 2.0 * MTU as f64,
        "at the fixed point the target is the window: {new_target} vs {}",
        cc.window()
    );
}

#[test]
fn westwood_window_after_loss_is_not_halved_on_an_empty_pipe() {
    let bw = 2_000_000.0;
    let rtt = 50 * MS;
    let (mut cc, t) = warmed_up(bw, rtt);
    let westwood = cc.westwood_window().unwrap() as f64;
    assert!(
        (westwood - bw * 0.05).abs() < 0.15 * westwood,
        "BWE*RTTmin = {westwood}"
    );
    let before = cc.window();
    cc.on_congestion_event(t, t - rtt, false, MTU);
    let after = cc.window();
    let mult = (before as f64 * 0.7 - 2.0 * MTU as f64) as u64;
    assert_eq!(after, mult.max((westwood as u64).min(before)).max(2 * MTU));
    assert!(after as f64 >= 0.85 * westwood);
    assert_eq!(cc.ssthresh(), after);
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
}

#[test]
fn one_reduction_per_congestion_epoch() {
    let (mut cc, t) = warmed_up(1_000_000.0, 40 * MS);
    cc.on_congestion_event(t, t - 40 * MS, false, MTU);
    let w = cc.window();
    // Another loss of a packet sent before the epoch began: ignored.
    cc.on_congestion_event(t + MS, t - 30 * MS, false, MTU);
    assert_eq!(cc.window(), w);
    assert_eq!(cc.stats().congestion_events, 1);
}

#[test]
fn quick_recovery_restores_window_after_two_new_acks_when_no_queue() {
    let rtt = 40 * MS;
    // After the K exit the window is 1.25x the measured BDP, above the Westwood estimate, so
    // a loss visibly cuts it.
    let (mut cc, t) = warmed_up(1_000_000.0, rtt);
    let before = cc.window();
    cc.on_congestion_event(t, t - rtt, false, MTU);
    assert!(cc.window() < before);
    // First new ACK (packet sent after the loss): not yet.
    let t1 = t + rtt;
    cc.on_ack(t1, t + MS, MTU, false, rtt);
    assert!(cc.window() < before);
    cc.on_ack(t1 + MS, t + 2 * MS, MTU, false, rtt);
    assert!(
        cc.window() >= before,
        "restored: {} vs {before}",
        cc.window()
    );
    assert_eq!(cc.stats().quick_recoveries, 1);
}

/// Two windows of slow start at `rtt`, then a loss with no queue in sight: returns the
/// controller, the loss time and the window before the loss.
fn random_loss_in_slow_start(rtt: Duration) -> (BitChatCore, Instant, u64) {
    let t0 = Instant::now();
    let mut cc = core(t0);
    let t = ack_window(&mut cc, t0, rtt);
    let t = ack_window(&mut cc, t, rtt);
    let before = cc.window();
    cc.on_congestion_event(t, t - rtt, false, MTU);
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
    assert_eq!(cc.slow_start_exit(), Some(SlowStartExit::Loss));
    (cc, t, before)
}

#[test]
fn random_loss_in_slow_start_is_undone_back_into_slow_start() {
    let rtt = 50 * MS;
    let (mut cc, t, before) = random_loss_in_slow_start(rtt);
    cc.on_ack(t + rtt, t + MS, MTU, false, rtt);
    cc.on_ack(t + rtt + MS, t + 2 * MS, MTU, false, rtt);
    assert_eq!(cc.phase(), Phase::SlowStart);
    assert_eq!(cc.slow_start_exit(), None);
    assert!(cc.window() >= before);
}

/// Quick recovery returns to slow start even when the avoidance step has already grown the
/// window past the saved one during the recovery epoch. With a `window < saved` guard the flow
/// stayed in avoidance instead: at 5 % loss the bench lost 25-35 % of goodput at 200 ms.
#[test]
fn quick_recovery_returns_to_slow_start_after_the_window_regrew() {
    let rtt = 50 * MS;
    let (mut cc, t, before) = random_loss_in_slow_start(rtt);
    // ACKs of packets sent before the loss (same epoch): after a random loss the window keeps
    // growing, here by the avoidance step, until it passes the saved window.
    let mut u = t;
    while cc.window() <= before {
        u += MS;
        assert!(u < t + rtt, "never regrew: {} vs {before}", cc.window());
        cc.on_ack(u, u - rtt, MTU, false, rtt);
    }
    let regrown = cc.window();
    assert_eq!(cc.stats().quick_recoveries, 0);
    // Two ACKs of packets sent after the loss, no queue: back to slow start.
    cc.on_ack(u + rtt, u + MS, MTU, false, rtt);
    cc.on_ack(u + rtt + MS, u + 2 * MS, MTU, false, rtt);
    assert_eq!(cc.phase(), Phase::SlowStart);
    assert_eq!(cc.slow_start_exit(), None);
    assert_eq!(cc.stats().quick_recoveries, 1);
    assert!(cc.window() >= regrown);
}

#[test]
fn spurious_k_exit_returns_to_slow_start_when_the_rate_keeps_following() {
    // The ACK rate stalls for a while (e.g. a busy receiver), K ends slow start, then the
    // rate follows the window again with no queue: conservative slow start detects the
    // spurious exit and resumes slow start.
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(1_000_000.0, rtt);
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
    for _ in 0..12 {
        // One round, ACK-clocked by the window (no bottleneck any more).
        let packets = (cc.window() / MTU).max(1);
        let step = rtt / packets as u32;
        for _ in 0..packets {
            t += step;
            cc.on_ack(t, t - rtt, MTU, false, rtt);
        }
        if cc.phase() == Phase::SlowStart {
            break;
        }
    }
    assert_eq!(cc.phase(), Phase::SlowStart);
    assert_eq!(cc.stats().spurious_exits, 1);
}

#[test]
fn real_k_exit_is_kept_when_a_queue_forms() {
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(1_000_000.0, rtt);
    let gap = Duration::from_secs_f64(MTU as f64 / 1_000_000.0);
    // Rate stays capped and the RTT grows with the window: the exit was right.
    for _ in 0..400 {
        t += gap;
        let srtt = rtt.mul_f64((cc.window() as f64 / 40_000.0).max(1.0));
        cc.on_ack(t, t - rtt, MTU, false, srtt);
    }
    assert_ne!(cc.phase(), Phase::SlowStart);
    assert_eq!(cc.stats().spurious_exits, 0);
}

#[test]
fn no_quick_recovery_when_the_loss_was_congestive() {
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(1_000_000.0, rtt);
    for _ in 0..5 {
        t += MS;
        cc.on_ack(t, t - rtt, MTU, false, 3 * rtt);
    }
    let before = cc.window();
    cc.on_congestion_event(t, t - rtt, false, MTU);
    let cut = cc.window();
    assert!(cut < before);
    cc.on_ack(t + rtt, t + MS, MTU, false, 3 * rtt);
    cc.on_ack(t + rtt + MS, t + 2 * MS, MTU, false, 3 * rtt);
    assert!(cc.window() < before);
    assert_eq!(cc.stats().quick_recoveries, 0);
}

#[test]
fn backoff_parameters_adapt_every_100_acks() {
    let t0 = Instant::now();
    let mut cc = core(t0);
    let rtt = 20 * MS;
    let mut t = t0;
    // 95 acks + 5 losses in the window -> p ~ 5 %.
    for i in 0..99u32 {
        t += MS;
        cc.on_ack(t, t - rtt, MTU, true, rtt);
        if i % 20 == 0 {
            cc.on_congestion_event(t, t - rtt, false, MTU);
        }
    }
    assert_eq!(cc.stats().param_updates, 0);
    assert_eq!(cc.backoff_params(), (0.7, -2.0));
    t += MS;
    cc.on_ack(t, t - rtt, MTU, true, rtt);
    assert_eq!(cc.stats().param_updates, 1);
    assert_eq!(cc.backoff_params(), (0.9, 0.0));
    // A clean window brings the base parameters back.
    for _ in 0..100 {
        t += MS;
        cc.on_ack(t, t - rtt, MTU, true, rtt);
    }
    assert_eq!(cc.stats().param_updates, 2);
    assert_eq!(cc.backoff_params(), (0.7, -2.0));
}

#[test]
fn backoff_table_is_monotone_in_loss_rate() {
    let cfg = BitChatConfig::default();
    let mut last = 0.0;
    for p in [0.0, 0.001, 0.005, 0.02, 0.05, 0.2] {
        let (a, _) = backoff_for_loss_rate(&cfg, p);
        assert!(a >= last);
        last = a;
    }
}

#[test]
fn persistent_congestion_collapses_to_minimum_window() {
    let (mut cc, t) = warmed_up(1_000_000.0, 40 * MS);
    cc.on_congestion_event(t, t - 40 * MS, true, 10 * MTU);
    assert_eq!(cc.window(), 2 * MTU);
}

#[test]
fn random_loss_keeps_goodput_high() {
    // 5 % random loss, 100 ms RTT, 20 Mbit/s: the Westwood window and quick recovery keep the
    // flow well above what a halving controller achieves (~ 1.2/sqrt(p) packets per RTT).
    let link = Link {
        rate_bytes_per_sec: 20e6 / 8.0,
        one_way: 50 * MS,
        queue_bytes: 250_000,
        random_loss: 0.05,
        ack_jitter: Duration::ZERO,
    };
    let out = sim::run(&link, &[Duration::ZERO], Duration::from_secs(10), 7);
    let goodput = out[0].delivered as f64 / 10.0;
    let reno_like = 1.22 / 0.05f64.sqrt() * MTU as f64 / 0.1;
    assert!(
        goodput > 3.0 * reno_like,
        "goodput {goodput} vs reno model {reno_like}"
    );
}

#[test]
fn two_bitchat_flows_share_fairly() {
    let link = Link {
        rate_bytes_per_sec: 20e6 / 8.0,
        one_way: 25 * MS,
        queue_bytes: 125_000,
        random_loss: 0.0,
        ack_jitter: Duration::ZERO,
    };
    let out = sim::run_with(
        BitChatConfig::default(),
        &link,
        &[Duration::ZERO, Duration::from_secs(2)],
        Duration::from_secs(20),
        Duration::from_secs(4),
        3,
    );
    // Compare from 2 s after the second flow started.
    let x: Vec<f64> = out.iter().map(|f| f.delivered as f64).collect();
    let j = jain(&x);
    assert!(j > 0.9, "jain {j}: {x:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Arbitrary ACK/loss traces never break invariants: window >= minimum, no panic.
    #[test]
    fn arbitrary_traces_keep_invariants(
        events in prop::collection::vec((0u8..4, 0u64..200, 1u64..100_000, any::<bool>()), 1..400)
    ) {
        let t0 = Instant::now();
        let mut cc = core(t0);
        let mut t = t0 + Duration::from_millis(500);
        for (kind, dt_ms, bytes, flag) in events {
            t += Duration::from_millis(dt_ms);
            let sent = t - Duration::from_millis(dt_ms.min(400));
            let rtt = Duration::from_millis(1 + dt_ms);
            match kind {
                0 | 1 => cc.on_ack(t, sent, bytes, flag, rtt),
                2 => cc.on_congestion_event(t, sent, flag && dt_ms % 7 == 0, bytes),
                _ => cc.on_mtu_update(1200 + (bytes % 300) as u16),
            }
            prop_assert!(cc.window() >= 2 * 1200);
            prop_assert!(cc.window() < u64::MAX / 2);
        }
    }
}

/// Two flows, the second 0.2 s later (as in the bench, where the second connection starts
/// once the first delivers) or 2 s later, one-BDP drop-tail queue, at 20 and 100 Mbit/s and
/// 50 and 100 ms, measured from 4 s to 12 s. With the earlier rate-proportional saturation
/// target (1.25x, no allowance) the 0.2 s cells gave 0.70 (50 ms / 100 Mbit/s), 0.93
/// (100 ms / 100), 0.81 (100 ms / 20); see the README's fairness analysis. The 0.2 s cells are
/// also run with 12 ms of ACK jitter (the loopback bench's RTT sits 10-15 % above its minimum
/// with an empty queue) over three seeds: with additive increase alone in congestion avoidance
/// seed 7 gave 0.83 at 100 ms / 100 Mbit/s, both flows stuck in avoidance.
#[test]
fn two_bitchat_flows_share_fairly_at_large_bdp() {
    let cells = [(50u32, 100e6), (100, 100e6), (100, 20e6), (50, 20e6)];
    let runs = [
        (200u64, 0u32, 3u64),
        (2000, 0, 3),
        (200, 12, 3),
        (200, 12, 5),
        (200, 12, 7),
    ];
    for (offset_ms, jitter_ms, seed) in runs {
        for (rtt, rate) in cells {
            let link = Link {
                rate_bytes_per_sec: rate / 8.0,
                one_way: rtt / 2 * MS,
                queue_bytes: (rate / 8.0 * f64::from(rtt) / 1000.0) as u64,
                random_loss: 0.0,
                ack_jitter: jitter_ms * MS,
            };
            let out = sim::run_with(
                BitChatConfig::default(),
                &link,
                &[Duration::ZERO, Duration::from_millis(offset_ms)],
                Duration::from_secs(12),
                Duration::from_secs(4),
                seed,
            );
            let x: Vec<f64> = out.iter().map(|f| f.delivered as f64).collect();
            let j = jain(&x);
            assert!(
                j > 0.94,
                "{rtt} ms, {rate} bit/s, offset {offset_ms} ms, jitter {jitter_ms} ms, seed {seed}: jain {j}: {x:?}"
            );
        }
    }
}

/// Below its saturation target a flow in congestion avoidance grows by the saturated update's
/// step (half the distance per window of ACKs), not by the 1-2 MSS per RTT of additive increase
/// alone, which would leave two such flows at whatever split slow start gave them.
#[test]
fn avoidance_below_target_grows_by_the_fast_step() {
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(10_000_000.0, rtt);
    cc.on_congestion_event(t, t - rtt, false, MTU);
    // ACKs of packets sent after the loss, no queue: quick recovery, then avoidance proper.
    t += rtt;
    for _ in 0..4 {
        t += MS;
        cc.on_ack(t, t - rtt, MTU, false, rtt);
    }
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
    let w0 = cc.window() as f64;
    // No queue (sRTT = minRTT): the target is 1.1 x W + 32 packets.
    let target = cc.saturation_window().unwrap() as f64;
    assert!(target > w0 + 32.0 * MTU as f64);
    ack_window(&mut cc, t, rtt);
    let grown = cc.window() as f64 - w0;
    let fast_step = 0.5 * (target - w0);
    assert!(
        grown >= 0.8 * fast_step && grown > 10.0 * MTU as f64,
        "grew {} packets in one RTT, FAST step {} packets",
        grown / MTU as f64,
        fast_step / MTU as f64
    );
    assert_eq!(cc.phase(), Phase::CongestionAvoidance);
}

#[test]
fn expiring_min_rtt_renews_on_matching_samples_and_expires_otherwise() {
    let t0 = Instant::now();
    let mut f = ExpiringMinRtt::new(Duration::from_secs(10));
    assert!(!f.on_sample(t0, 100 * MS));
    // Higher samples do not move it; one that matches it renews it.
    assert!(!f.on_sample(t0 + Duration::from_secs(6), 130 * MS));
    assert!(!f.on_sample(t0 + Duration::from_secs(9), 100 * MS));
    assert!(!f.on_sample(t0 + Duration::from_secs(18), 130 * MS));
    assert_eq!(f.get(), Some(100 * MS));
    // Ten seconds without a sample at the minimum: it expires and takes the new sample.
    assert!(f.on_sample(t0 + Duration::from_secs(19), 130 * MS));
    assert_eq!(f.get(), Some(130 * MS));
    assert!(!f.on_sample(t0 + Duration::from_secs(19) + MS, 101 * MS));
    assert_eq!(f.get(), Some(101 * MS));
}

#[test]
fn rtt_probe_drains_then_restores_the_window() {
    let bw = 10_000_000.0;
    let rtt = 40 * MS;
    let (mut cc, mut t) = warmed_up(bw, rtt);
    let gap = Duration::from_secs_f64(MTU as f64 / bw);
    // A standing queue: every sample is 1.5x the minimum, for just under the expiry.
    let expiry = cc.config().min_rtt_expiry;
    let queued = rtt * 3 / 2;
    let until = t + expiry - 10 * MS;
    while t < until {
        t += gap;
        cc.on_ack(t, t - queued, MTU, false, queued);
    }
    assert_eq!(cc.stats().rtt_probes, 0);
    let before = cc.window();
    // The next samples come after the expiry: the probe holds the window at 4 packets.
    let mut probe_start = None;
    for _ in 0..1000 {
        t += gap;
        cc.on_ack(t, t - queued, MTU, false, queued);
        if cc.stats().rtt_probes == 1 {
            probe_start = Some(t);
            break;
        }
    }
    let probe_start = probe_start.expect("the probe starts once the minimum expired");
    assert_eq!(cc.window(), 4 * MTU);
    // ACKs of the old flight keep coming: the window stays small.
    for _ in 0..20 {
        t += gap;
        cc.on_ack(t, t - queued, MTU, false, queued);
    }
    assert_eq!(cc.window(), 4 * MTU);
    // Packets sent during the probe come back at the propagation delay; the window is held
    // for 200 ms from the first of them, then restored.
    let first = probe_start + rtt + MS;
    t = first;
    cc.on_ack(t, t - rtt, MTU, false, rtt);
    while t + 10 * MS < first + Duration::from_millis(200) {
        t += 10 * MS;
        cc.on_ack(t, t - rtt, MTU, false, rtt);
        assert_eq!(cc.window(), 4 * MTU, "still probing at {:?}", t - first);
    }
    t = first + Duration::from_millis(200);
    cc.on_ack(t, t - rtt, MTU, false, rtt);
    assert!(cc.window() >= before, "{} < {before}", cc.window());
    assert_eq!(cc.min_rtt(), Some(rtt));
    assert_eq!(cc.stats().rtt_probes, 1);
}

/// Two saturated flows for 60 s at 100 ms / 100 Mbit/s: the RTT probes keep the standing queue
/// from ageing into the minimum RTT. Without them (a 1000 s expiry) the minimum reaches 198 ms
/// and the one-BDP buffer overflows thousands of times between 30 and 60 s.
#[test]
fn rtt_probes_keep_the_queue_from_creeping_up() {
    let link = Link {
        rate_bytes_per_sec: 100e6 / 8.0,
        one_way: 50 * MS,
        queue_bytes: (100e6 / 8.0 * 0.1) as u64,
        random_loss: 0.0,
        ack_jitter: Duration::ZERO,
    };
    let starts = [Duration::ZERO, Duration::from_millis(200)];
    let run = |cfg: BitChatConfig, secs: u64, from: u64| {
        sim::run_with(
            cfg,
            &link,
            &starts,
            Duration::from_secs(secs),
            Duration::from_secs(from),
            3,
        )
    };
    let losses = |out: &[sim::FlowResult]| out.iter().map(|f| f.losses).sum::<u64>();
    let cfg = BitChatConfig::default();
    let at30 = losses(&run(cfg.clone(), 30, 30));
    let out = run(cfg.clone(), 60, 30);
    for f in &out {
        assert!(f.cc.stats().rtt_probes >= 4, "{:?}", f.cc.stats());
        let min = f.cc.min_rtt().unwrap();
        assert!(min < 125 * MS, "minimum RTT crept to {min:?}");
    }
    let delivered: u64 = out.iter().map(|f| f.delivered).sum();
    let utilization = delivered as f64 / (link.rate_bytes_per_sec * 30.0);
    assert!(utilization > 0.95, "{utilization}");
    let late = losses(&out) - at30;
    assert!(late < 1000, "{late} losses between 30 and 60 s");

    let no_probe = BitChatConfig {
        min_rtt_expiry: Duration::from_secs(1000),
        ..cfg
    };
    let at30 = losses(&run(no_probe.clone(), 30, 30));
    let out = run(no_probe, 60, 30);
    assert!(out.iter().all(|f| f.cc.min_rtt().unwrap() > 150 * MS));
    assert!(losses(&out) - at30 > 3000);
}
