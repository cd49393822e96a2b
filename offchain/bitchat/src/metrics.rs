//! Prometheus metrics of a node.

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub frames_received: IntCounter,
    /// Dropped input by reason: malformed, oversized, replayed, spoofed, rate_limited, expired,
    /// unauthenticated, undecryptable, queue_full, unexpected.
    pub dropped: IntCounterVec,
    pub messages_delivered: IntCounter,
    pub receipts_received: IntCounter,
    pub mailbox_stored: IntCounter,
    pub mailbox_refused: IntCounter,
    pub mailbox_envelopes: IntGauge,
    pub chunks_served: IntCounter,
    pub chunks_fetched: IntCounter,
    pub auth_failures: IntCounter,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let c = |name: &str, help: &str| {
            let m = IntCounter::new(name, help).unwrap_or_else(|_| unreachable_counter());
            let _ = registry.register(Box::new(m.clone()));
            m
        };
        let dropped = IntCounterVec::new(
            Opts::new("bitchat_dropped_total", "Input dropped, by reason"),
            &["reason"],
        )
        .unwrap_or_else(|_| {
            IntCounterVec::new(Opts::new("x", "x"), &["reason"]).unwrap_or_else(|_| unreachable!())
        });
        let _ = registry.register(Box::new(dropped.clone()));
        let mailbox_envelopes = IntGauge::new("bitchat_mailbox_envelopes", "Envelopes stored")
            .unwrap_or_else(|_| unreachable!());
        let _ = registry.register(Box::new(mailbox_envelopes.clone()));
        Self {
            frames_received: c("bitchat_frames_received_total", "Frames received"),
            messages_delivered: c(
                "bitchat_messages_delivered_total",
                "Messages delivered to the app",
            ),
            receipts_received: c(
                "bitchat_receipts_received_total",
                "Delivery receipts received",
            ),
            mailbox_stored: c(
                "bitchat_mailbox_stored_total",
                "Envelopes stored for offline peers",
            ),
            mailbox_refused: c(
                "bitchat_mailbox_refused_total",
                "Envelopes refused by the mailbox",
            ),
            chunks_served: c("bitchat_chunks_served_total", "Chunks served"),
            chunks_fetched: c(
                "bitchat_chunks_fetched_total",
                "Chunks fetched and verified",
            ),
            auth_failures: c(
                "bitchat_auth_failures_total",
                "Peers that failed authentication",
            ),
            dropped,
            mailbox_envelopes,
            registry,
        }
    }

    pub fn drop_reason(&self, reason: &str) {
        self.dropped.with_label_values(&[reason]).inc();
    }

    pub fn dropped_count(&self, reason: &str) -> u64 {
        self.dropped.with_label_values(&[reason]).get()
    }

    /// Text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn unreachable_counter() -> IntCounter {
    // Names above are valid constants; this path cannot be taken.
    unreachable!("invalid metric name")
}
