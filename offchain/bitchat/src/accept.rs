//! The accept loop of the small TCP endpoints (`/metrics`, `/health`, see `endpoint`) of BitChat
//! nodes and the relayer: a failed accept is retried after a back-off, never in a spin and never by giving up.

use std::time::Duration;

/// Back-off after a failed accept: doubles from 10 ms to 1 s, reset by a success.
pub const ACCEPT_BACKOFF: (Duration, Duration) =
    (Duration::from_millis(10), Duration::from_secs(1));

/// Calls `accept` forever and hands each connection to `handle`. A failed accept (file
/// descriptors exhausted, a connection reset before it was taken) is retried after a back-off
/// (`(min, max)`, doubling), never in a spin (issue #27: the loop spun at 88 % CPU with no
/// descriptors left) and never by giving up.
pub async fn accept_loop<S, F, Fut>(
    mut accept: F,
    mut handle: impl FnMut(S),
    (min, max): (Duration, Duration),
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<S>>,
{
    let mut backoff = min;
    loop {
        match accept().await {
            Ok(s) => {
                backoff = min;
                handle(s);
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(max);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// Issue #27: accept errors back off (a bounded number of attempts, not a spin) and the loop
    /// still serves the next good connection.
    #[tokio::test]
    async fn accept_errors_back_off_and_do_not_stop_the_loop() {
        let calls = Arc::new(AtomicU32::new(0));
        let served = Arc::new(AtomicU32::new(0));
        let (c, s) = (calls.clone(), served.clone());
        let task = tokio::spawn(accept_loop(
            move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                // Errors, one good connection after the 20th, then errors again (so the loop
                // keeps sleeping instead of taking an always-ready connection forever).
                async move {
                    if n == 20 {
                        Ok(n)
                    } else {
                        Err(std::io::Error::other("too many open files"))
                    }
                }
            },
            move |_| {
                s.fetch_add(1, Ordering::SeqCst);
            },
            (Duration::from_millis(2), Duration::from_millis(20)),
        ));
        // 2 + 4 + 8 + 16 ms, then 20 ms apart: about 8 attempts in 150 ms (a spin: millions).
        tokio::time::sleep(Duration::from_millis(150)).await;
        let attempts = calls.load(Ordering::SeqCst);
        assert!((3..=12).contains(&attempts), "{attempts} accepts in 150 ms");
        assert_eq!(served.load(Ordering::SeqCst), 0);
        // After the errors, connections are served again.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while served.load(Ordering::SeqCst) == 0 {
            assert!(std::time::Instant::now() < deadline, "never served again");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        task.abort();
    }
}
