//! The pure link model: decides for each packet whether it is dropped and when it is delivered.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Two-state bursty loss model (Gilbert-Elliott): per packet, move between Good and Bad with the
/// given probabilities, then drop with the current state's loss probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    pub p_good_to_bad: f64,
    pub p_bad_to_good: f64,
    pub loss_in_good: f64,
    pub loss_in_bad: f64,
}

impl GilbertElliott {
    /// Long-run loss rate of the chain.
    pub fn mean_loss(&self) -> f64 {
        let denom = self.p_good_to_bad + self.p_bad_to_good;
        if denom == 0.0 {
            return self.loss_in_good;
        }
        let bad = self.p_good_to_bad / denom;
        bad * self.loss_in_bad + (1.0 - bad) * self.loss_in_good
    }
}

/// One direction of an emulated link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub delay: Duration,
    /// Uniform extra delay in `[0, jitter]` (may reorder packets).
    pub jitter: Duration,
    /// Independent random loss probability.
    pub loss: f64,
    /// Bursty loss; applied in addition to `loss` when set.
    pub gilbert: Option<GilbertElliott>,
    /// Bottleneck rate in bits per second (`None` = unlimited).
    pub rate_bps: Option<u64>,
    /// Drop-tail queue size in bytes in front of the bottleneck.
    pub queue_bytes: usize,
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            gilbert: None,
            rate_bps: None,
            queue_bytes: 1 << 20,
            seed: 1,
        }
    }
}

impl LinkConfig {
    /// A link with `rtt / 2` one-way delay, `rate_bps`, and a one-BDP drop-tail queue.
    pub fn symmetric(rtt: Duration, rate_bps: u64, loss: f64, seed: u64) -> Self {
        let bdp = (rate_bps as f64 / 8.0 * rtt.as_secs_f64()) as usize;
        Self {
            delay: rtt / 2,
            loss,
            rate_bps: Some(rate_bps),
            queue_bytes: bdp.max(64 * 1500),
            seed,
            ..Self::default()
        }
    }
}

/// What happens to one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Deliver(Instant),
    DropRandom,
    DropQueue,
}

/// Deterministic (per seed) state of one direction.
#[derive(Debug)]
pub struct LinkModel {
    cfg: LinkConfig,
    rng: SmallRng,
    gilbert_bad: bool,
    /// When the bottleneck finishes serializing everything accepted so far.
    busy_until: Option<Instant>,
}

impl LinkModel {
    pub fn new(cfg: LinkConfig) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(cfg.seed),
            cfg,
            gilbert_bad: false,
            busy_until: None,
        }
    }

    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }

    /// Bytes waiting in the bottleneck queue at `now` (virtual-clock FIFO).
    pub fn backlog_bytes(&self, now: Instant) -> usize {
        match (self.busy_until, self.cfg.rate_bps) {
            (Some(b), Some(rate)) => {
                (b.saturating_duration_since(now).as_secs_f64() * rate as f64 / 8.0) as usize
            }
            _ => 0,
        }
    }

    fn random_drop(&mut self) -> bool {
        let mut drop = self.cfg.loss > 0.0 && self.rng.gen::<f64>() < self.cfg.loss;
        if let Some(g) = self.cfg.gilbert {
            let flip = if self.gilbert_bad {
                g.p_bad_to_good
            } else {
                g.p_good_to_bad
            };
            if self.rng.gen::<f64>() < flip {
                self.gilbert_bad = !self.gilbert_bad;
            }
            let p = if self.gilbert_bad {
                g.loss_in_bad
            } else {
                g.loss_in_good
            };
            drop |= self.rng.gen::<f64>() < p;
        }
        drop
    }

    /// Decide the fate of a packet of `len` bytes arriving at `now`.
    pub fn on_packet(&mut self, now: Instant, len: usize) -> Verdict {
        if self.random_drop() {
            return Verdict::DropRandom;
        }
        let departs = match self.cfg.rate_bps {
            Some(rate) if rate > 0 => {
                if self.backlog_bytes(now) + len > self.cfg.queue_bytes {
                    return Verdict::DropQueue;
                }
                let tx = Duration::from_secs_f64(len as f64 * 8.0 / rate as f64);
                let start = self.busy_until.map_or(now, |b| b.max(now));
                let done = start + tx;
                self.busy_until = Some(done);
                done
            }
            _ => now,
        };
        let jitter = if self.cfg.jitter.is_zero() {
            Duration::ZERO
        } else {
            self.cfg.jitter.mul_f64(self.rng.gen::<f64>())
        };
        Verdict::Deliver(departs + self.cfg.delay + jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_after_delay_and_serialization() {
        let t = Instant::now();
        let mut m = LinkModel::new(LinkConfig {
            delay: Duration::from_millis(10),
            rate_bps: Some(8_000_000), // 1 byte per microsecond
            ..LinkConfig::default()
        });
        assert_eq!(
            m.on_packet(t, 1000),
            Verdict::Deliver(t + Duration::from_micros(11_000))
        );
        // Second packet queues behind the first.
        assert_eq!(
            m.on_packet(t, 1000),
            Verdict::Deliver(t + Duration::from_micros(12_000))
        );
        assert_eq!(m.backlog_bytes(t), 2000);
    }

    #[test]
    fn drop_tail_when_queue_full() {
        let t = Instant::now();
        let mut m = LinkModel::new(LinkConfig {
            rate_bps: Some(8_000),
            queue_bytes: 2500,
            ..LinkConfig::default()
        });
        assert!(matches!(m.on_packet(t, 1000), Verdict::Deliver(_)));
        assert!(matches!(m.on_packet(t, 1000), Verdict::Deliver(_)));
        assert_eq!(m.on_packet(t, 1000), Verdict::DropQueue);
        // After the queue drains, packets pass again.
        assert!(matches!(
            m.on_packet(t + Duration::from_secs(3), 1000),
            Verdict::Deliver(_)
        ));
    }

    #[test]
    fn random_loss_rate_matches_config() {
        let t = Instant::now();
        let mut m = LinkModel::new(LinkConfig {
            loss: 0.05,
            seed: 9,
            ..LinkConfig::default()
        });
        let n = 100_000;
        let dropped = (0..n)
            .filter(|_| m.on_packet(t, 100) == Verdict::DropRandom)
            .count();
        let p = dropped as f64 / n as f64;
        assert!((p - 0.05).abs() < 0.005, "{p}");
    }

    #[test]
    fn gilbert_elliott_is_bursty_with_expected_mean() {
        let g = GilbertElliott {
            p_good_to_bad: 0.01,
            p_bad_to_good: 0.25,
            loss_in_good: 0.0,
            loss_in_bad: 0.5,
        };
        let t = Instant::now();
        let mut m = LinkModel::new(LinkConfig {
            gilbert: Some(g),
            seed: 3,
            ..LinkConfig::default()
        });
        let drops: Vec<bool> = (0..200_000)
            .map(|_| m.on_packet(t, 100) == Verdict::DropRandom)
            .collect();
        let p = drops.iter().filter(|d| **d).count() as f64 / drops.len() as f64;
        assert!(
            (p - g.mean_loss()).abs() < 0.005,
            "{p} vs {}",
            g.mean_loss()
        );
        // Burstiness: P(drop | previous drop) far above the mean.
        let pairs = drops.windows(2).filter(|w| w[0]).count() as f64;
        let both = drops.windows(2).filter(|w| w[0] && w[1]).count() as f64;
        assert!(
            both / pairs > 3.0 * p,
            "conditional {} vs mean {p}",
            both / pairs
        );
    }

    #[test]
    fn jitter_stays_within_bound() {
        let t = Instant::now();
        let mut m = LinkModel::new(LinkConfig {
            delay: Duration::from_millis(5),
            jitter: Duration::from_millis(2),
            ..LinkConfig::default()
        });
        for _ in 0..1000 {
            let Verdict::Deliver(at) = m.on_packet(t, 100) else {
                panic!("no loss configured")
            };
            let d = at - t;
            assert!(d >= Duration::from_millis(5) && d <= Duration::from_millis(7));
        }
    }
}
