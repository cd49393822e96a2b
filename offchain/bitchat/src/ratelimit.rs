//! Token buckets per key (a peer's account, a client's IP address), bounded: the table holds
//! at most `max_peers` entries.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::identity::AccountId;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: f64,
}

#[derive(Debug)]
pub struct PeerLimiter<K = AccountId> {
    limit: RateLimit,
    max_peers: usize,
    buckets: HashMap<K, (f64, Instant)>,
}

impl<K: Hash + Eq + Copy> PeerLimiter<K> {
    pub fn new(limit: RateLimit, max_peers: usize) -> Self {
        Self {
            limit,
            max_peers,
            buckets: HashMap::new(),
        }
    }

    /// Take one token for `peer`; false when the peer is over its rate.
    pub fn allow(&mut self, peer: K, now: Instant) -> bool {
        self.take(peer, 1.0, now).is_ok()
    }

    /// Take `cost` tokens for `peer`, or say how long until it could (`Duration::MAX` when
    /// the cost exceeds the burst, or the table is full of active peers).
    pub fn take(&mut self, peer: K, cost: f64, now: Instant) -> Result<(), Duration> {
        if cost > self.limit.burst {
            return Err(Duration::MAX);
        }
        if !self.buckets.contains_key(&peer) && self.buckets.len() >= self.max_peers {
            // Forget full buckets (idle peers) first; refuse if none can be forgotten.
            let burst = self.limit.burst;
            let per_sec = self.limit.per_sec;
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < burst
            });
            if self.buckets.len() >= self.max_peers {
                return Err(Duration::from_secs(1));
            }
        }
        let (tokens, at) = self.buckets.entry(peer).or_insert((self.limit.burst, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.limit.per_sec;
        *tokens = (*tokens + refill).min(self.limit.burst);
        *at = now;
        if *tokens >= cost {
            *tokens -= cost;
            Ok(())
        } else if self.limit.per_sec > 0.0 {
            Err(Duration::from_secs_f64(
                (cost - *tokens) / self.limit.per_sec,
            ))
        } else {
            Err(Duration::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_limits_and_refills() {
        let mut l = PeerLimiter::new(
            RateLimit {
                per_sec: 10.0,
                burst: 5.0,
            },
            2,
        );
        let t = Instant::now();
        let p = AccountId([1; 20]);
        assert_eq!((0..10).filter(|_| l.allow(p, t)).count(), 5);
        assert!(l.allow(p, t + Duration::from_millis(100)));
        assert!(!l.allow(p, t + Duration::from_millis(100)));
        // Table is bounded.
        assert!(l.allow(AccountId([2; 20]), t));
        assert!(!l.allow(AccountId([3; 20]), t));
    }

    #[test]
    fn a_cost_is_taken_whole_or_not_at_all_with_the_wait_until_it_could() {
        let mut l = PeerLimiter::<u8>::new(
            RateLimit {
                per_sec: 10.0,
                burst: 20.0,
            },
            4,
        );
        let t = Instant::now();
        assert_eq!(l.take(1, 15.0, t), Ok(()));
        // 5 left: 8 more would need 0.3 s of refill; nothing is taken meanwhile.
        assert_eq!(l.take(1, 8.0, t), Err(Duration::from_secs_f64(0.3)));
        assert_eq!(l.take(1, 5.0, t), Ok(()));
        assert_eq!(l.take(1, 21.0, t), Err(Duration::MAX));
        // Other keys have their own buckets.
        assert_eq!(l.take(2, 20.0, t), Ok(()));
    }
}
