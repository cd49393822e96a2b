//! Timing helpers of the benches.

use std::time::{Duration, Instant};

/// Median wall time of `iters` runs of `f`.
pub fn median(iters: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
