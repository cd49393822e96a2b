//! Per-peer token buckets (bounded: the table holds at most `max_peers` entries).

use std::collections::HashMap;
use std::time::Instant;

use crate::identity::AccountId;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: f64,
}

#[derive(Debug)]
pub struct PeerLimiter {
    limit: RateLimit,
    max_peers: usize,
    buckets: HashMap<AccountId, (f64, Instant)>,
}

impl PeerLimiter {
    pub fn new(limit: RateLimit, max_peers: usize) -> Self {
        Self {
            limit,
            max_peers,
            buckets: HashMap::new(),
        }
    }

    /// Take one token for `peer`; false when the peer is over its rate.
    pub fn allow(&mut self, peer: AccountId, now: Instant) -> bool {
        if !self.buckets.contains_key(&peer) && self.buckets.len() >= self.max_peers {
            // Forget full buckets (idle peers) first; refuse if none can be forgotten.
            let burst = self.limit.burst;
            let per_sec = self.limit.per_sec;
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < burst
            });
            if self.buckets.len() >= self.max_peers {
                return false;
            }
        }
        let (tokens, at) = self.buckets.entry(peer).or_insert((self.limit.burst, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.limit.per_sec;
        *tokens = (*tokens + refill).min(self.limit.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
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
}
