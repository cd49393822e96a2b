//! `/metrics` (Prometheus text), `/health` and `/v1/explanations/<name>` (sealed explanations of
//! image results, [`crate::explanations`]) on a small HTTP/1.1 server (GET only).
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpListener;

use bithive_bitchat::endpoint::{self, EndpointLimits, Reply};

use crate::explanations::ExplanationStore;
use crate::metrics::Metrics;
use crate::pipeline::{unix_now, Health};

pub struct HealthView {
    pub chains: Vec<(String, Arc<Health>, u64)>,
}

/// The `/health` answer.
#[derive(serde::Serialize)]
struct HealthReport<'a> {
    ok: bool,
    chains: Vec<ChainHealth<'a>>,
}

#[derive(serde::Serialize)]
struct ChainHealth<'a> {
    chain_id: &'a str,
    ok: bool,
    last_height: u64,
    /// `None` until the first successful poll.
    seconds_since_poll: Option<u64>,
}

impl HealthView {
    /// Healthy when every chain polled successfully within 10 poll intervals (at least 30 s).
    fn render(&self) -> (bool, String) {
        let now = unix_now();
        let chains: Vec<ChainHealth> = self
            .chains
            .iter()
            .map(|(chain, h, poll_ms)| {
                let last = h.last_poll_ok.load(Ordering::Relaxed);
                let max_age = (poll_ms * 10 / 1000).max(30);
                ChainHealth {
                    chain_id: chain,
                    ok: last > 0 && now.saturating_sub(last) <= max_age,
                    last_height: h.last_height.load(Ordering::Relaxed),
                    seconds_since_poll: (last != 0).then(|| now.saturating_sub(last)),
                }
            })
            .collect();
        let ok = chains.iter().all(|c| c.ok);
        let body = serde_json::to_string(&HealthReport { ok, chains })
            .unwrap_or_else(|_| r#"{"ok":false}"#.into());
        (ok, body)
    }
}

/// Serves until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    limits: EndpointLimits,
    metrics: Arc<Metrics>,
    health: Arc<HealthView>,
    explanations: Option<ExplanationStore>,
) {
    endpoint::serve(listener, limits, move |path: &str| match path {
        p if p.starts_with("/v1/explanations/") => explanations
            .as_ref()
            .and_then(|s| s.answer(&p["/v1/explanations/".len()..]))
            .map_or_else(Reply::not_found, |body| Reply::ok("application/json", body)),
        "/metrics" => Reply::ok("text/plain; version=0.0.4", metrics.render()),
        "/health" => {
            let (ok, body) = health.render();
            Reply {
                status: if ok {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                },
                content_type: "application/json",
                body,
            }
        }
        _ => Reply::not_found(),
    })
    .await
}
