//! A tiny packet-level bottleneck simulator that drives controllers with synthetic ACK/loss
//! traces (deterministic: seeded LCG for random loss).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use bithive_bitchat_cc::{BitChatConfig, BitChatCore};

pub const MTU: u64 = 1200;

pub struct Link {
    pub rate_bytes_per_sec: f64,
    pub one_way: Duration,
    pub queue_bytes: u64,
    pub random_loss: f64,
    /// Extra delay of each ACK, uniform in `[0, ack_jitter)`: host processing and ACK timing,
    /// which the loopback bench shows as an RTT 10-15 % above the minimum with an empty queue.
    pub ack_jitter: Duration,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ack,
    Lost,
}

pub struct FlowResult {
    pub delivered: u64,
    #[allow(dead_code)]
    pub max_window: u64,
    pub losses: u64,
    pub cc: BitChatCore,
}

struct Flow {
    cc: BitChatCore,
    inflight: u64,
    delivered: u64,
    srtt: Option<Duration>,
    min_rtt: Duration,
    max_window: u64,
    losses: u64,
    start: Duration,
}

struct Lcg(u64);
impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

type Event = Reverse<(Duration, Kind, usize, Duration, Duration)>;

/// Runs flows (each starting at its offset in `starts`) for `duration` over `link`.
pub fn run(link: &Link, starts: &[Duration], duration: Duration, seed: u64) -> Vec<FlowResult> {
    run_with(
        BitChatConfig::default(),
        link,
        starts,
        duration,
        Duration::ZERO,
        seed,
    )
}

/// Like [`run`] with a given controller configuration, counting delivered bytes only from
/// `measure_from` on.
pub fn run_with(
    cfg: BitChatConfig,
    link: &Link,
    starts: &[Duration],
    duration: Duration,
    measure_from: Duration,
    seed: u64,
) -> Vec<FlowResult> {
    let t0 = Instant::now();
    let mut flows: Vec<Flow> = starts
        .iter()
        .map(|s| Flow {
            cc: BitChatCore::new(cfg.clone(), t0 + *s, MTU as u16),
            inflight: 0,
            delivered: 0,
            srtt: None,
            min_rtt: Duration::from_secs(3600),
            max_window: 0,
            losses: 0,
            start: *s,
        })
        .collect();
    // (time, kind, flow, sent time, rtt sample)
    let mut events: BinaryHeap<Event> = BinaryHeap::new();
    let mut next_free = Duration::ZERO;
    let mut rng = Lcg(seed);
    let mut now = Duration::ZERO;
    let tx = Duration::from_secs_f64(MTU as f64 / link.rate_bytes_per_sec);
    loop {
        // Send what every started flow's window allows.
        for (i, f) in flows.iter_mut().enumerate() {
            if now < f.start {
                continue;
            }
            while f.inflight + MTU <= f.cc.window() {
                f.inflight += MTU;
                let backlog = next_free.saturating_sub(now).as_secs_f64() * link.rate_bytes_per_sec;
                let dropped =
                    rng.next_f64() < link.random_loss || backlog as u64 + MTU > link.queue_bytes;
                if dropped {
                    // Detected about one RTT later (by later ACKs).
                    let at = now + 2 * link.one_way + tx * 3;
                    events.push(Reverse((at, Kind::Lost, i, now, Duration::ZERO)));
                } else {
                    next_free = next_free.max(now) + tx;
                    // Drawn only when enabled, so jitter-free runs keep their loss sequence.
                    let jitter = if link.ack_jitter.is_zero() {
                        Duration::ZERO
                    } else {
                        link.ack_jitter.mul_f64(rng.next_f64())
                    };
                    let at = next_free + 2 * link.one_way + jitter;
                    events.push(Reverse((at, Kind::Ack, i, now, at - now)));
                }
            }
        }
        let next_start = flows.iter().map(|f| f.start).filter(|s| *s > now).min();
        let Some(Reverse((at, kind, i, sent, rtt))) = events.pop() else {
            match next_start {
                Some(s) => {
                    now = s;
                    continue;
                }
                None => break,
            }
        };
        if let Some(s) = next_start {
            if s < at {
                events.push(Reverse((at, kind, i, sent, rtt)));
                now = s;
                continue;
            }
        }
        now = at;
        if now > duration {
            break;
        }
        let f = &mut flows[i];
        f.inflight = f.inflight.saturating_sub(MTU);
        match kind {
            Kind::Ack => {
                if now >= measure_from {
                    f.delivered += MTU;
                }
                f.min_rtt = f.min_rtt.min(rtt);
                let srtt = match f.srtt {
                    Some(s) => (s * 7 + rtt) / 8,
                    None => rtt,
                };
                f.srtt = Some(srtt);
                f.cc.on_ack(t0 + now, t0 + sent, MTU, false, srtt);
            }
            Kind::Lost => {
                f.losses += 1;
                f.cc.on_congestion_event(t0 + now, t0 + sent, false, MTU);
            }
        }
        f.max_window = f.max_window.max(f.cc.window());
    }
    flows
        .into_iter()
        .map(|f| FlowResult {
            delivered: f.delivered,
            max_window: f.max_window,
            losses: f.losses,
            cc: f.cc,
        })
        .collect()
}
