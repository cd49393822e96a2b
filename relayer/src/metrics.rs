//! Prometheus metrics of the relayer (one registry per process, `chain` label everywhere).
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

pub struct Metrics {
    pub registry: Registry,
    pub events_seen: IntCounterVec,
    pub jobs_by_state: IntGaugeVec,
    pub last_height: IntGaugeVec,
    pub tx_submit_seconds: HistogramVec,
    pub tx_confirm_seconds: HistogramVec,
    pub broadcast_errors: IntCounterVec,
    pub simulate_errors: IntCounterVec,
    pub rpc_errors: IntCounterVec,
    pub blocks_skipped: IntCounterVec,
    pub rpc_failovers: IntGaugeVec,
    pub wallet_balance: GaugeVec,
    pub attestations_committed: IntCounterVec,
    /// Data-vault queries this answerer handled, by outcome (answered, failed), and dataset
    /// members it could not read and left out (member_skipped).
    pub dp_queries: IntCounterVec,
}

fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: T) -> T {
    // Names are static and unique: registration cannot collide.
    let _ = r.register(Box::new(m.clone()));
    m
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("bithive_relayer".into()), None).unwrap_or_default();
        let buckets = vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
        let opts = |n: &str, h: &str| Opts::new(n, h);
        Metrics {
            events_seen: reg(
                &r,
                IntCounterVec::new(
                    opts("events_seen_total", "job events seen on chain"),
                    &["chain"],
                )
                .expect("valid"),
            ),
            jobs_by_state: reg(
                &r,
                IntGaugeVec::new(opts("jobs", "jobs in the work queue by state"), &["state"])
                    .expect("valid"),
            ),
            last_height: reg(
                &r,
                IntGaugeVec::new(
                    opts("last_processed_height", "last block scanned"),
                    &["chain"],
                )
                .expect("valid"),
            ),
            tx_submit_seconds: reg(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("tx_submit_seconds", "simulate+sign+broadcast_tx_sync")
                        .buckets(buckets.clone()),
                    &["chain"],
                )
                .expect("valid"),
            ),
            tx_confirm_seconds: reg(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("tx_confirm_seconds", "broadcast to committed")
                        .buckets(buckets),
                    &["chain"],
                )
                .expect("valid"),
            ),
            broadcast_errors: reg(
                &r,
                IntCounterVec::new(
                    opts("broadcast_errors_total", "failed broadcasts"),
                    &["chain"],
                )
                .expect("valid"),
            ),
            simulate_errors: reg(
                &r,
                IntCounterVec::new(
                    opts("simulate_errors_total", "failed simulations"),
                    &["chain"],
                )
                .expect("valid"),
            ),
            rpc_errors: reg(
                &r,
                IntCounterVec::new(
                    opts("rpc_errors_total", "event source rpc errors"),
                    &["chain"],
                )
                .expect("valid"),
            ),
            blocks_skipped: reg(
                &r,
                IntCounterVec::new(
                    opts(
                        "blocks_skipped_total",
                        "blocks whose results could not be decoded, skipped after retries",
                    ),
                    &["chain"],
                )
                .expect("valid"),
            ),
            rpc_failovers: reg(
                &r,
                IntGaugeVec::new(opts("rpc_failovers", "rpc endpoint switches"), &["chain"])
                    .expect("valid"),
            ),
            wallet_balance: reg(
                &r,
                GaugeVec::new(
                    opts("wallet_balance", "operator balance in the fee denom"),
                    &["chain", "denom"],
                )
                .expect("valid"),
            ),
            attestations_committed: reg(
                &r,
                IntCounterVec::new(
                    opts(
                        "attestations_committed_total",
                        "attestations committed on chain",
                    ),
                    &["chain"],
                )
                .expect("valid"),
            ),
            dp_queries: reg(
                &r,
                IntCounterVec::new(
                    opts(
                        "dp_queries_total",
                        "differential-privacy queries handled, by outcome",
                    ),
                    &["chain", "outcome"],
                )
                .expect("valid"),
            ),
            registry: r,
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
