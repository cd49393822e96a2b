//! `bithive blinding serve`: the blinding service's OPRF over HTTP (offchain/matching/docs/ROLES.md,
//! step 2). A client sends H(x)*r for random r and gets H(x)*r*a back; the service sees uniformly
//! random points only. Since anyone who may query it without limit could blind a dictionary of
//! the small attribute space, every client address has a token bucket of points, and all
//! evaluations together are bounded.
//!
//! Routes: `POST /v1/oprf` (`bithive_matching::service::OprfPoints` in and out; errors are
//! `ServiceError` JSON: 400 bad input, 413 body too large, 429 over the client's rate with
//! `Retry-After`, 503 busy), `GET /health`, `GET /metrics` (Prometheus). CORS: any page may call
//! it (it holds no cookies and answers nothing about anyone), unless `allow_origin` names one.
//! Clients are told apart by their TCP peer address: behind a reverse proxy, rate-limit there.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bithive_bitchat::ratelimit::{PeerLimiter, RateLimit};
use bithive_matching::client::BlindingService;
use bithive_matching::service::{BlindingSecret, OprfPoints, ServiceError, MAX_OPRF_POINTS};
use prometheus::{Encoder, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};
use tokio::sync::Semaphore;

/// Largest request body: 256 points of 66 JSON bytes each, with room to spare.
const MAX_BODY: usize = 32 * 1024;
/// Client addresses remembered at once (idle ones are forgotten first).
const MAX_CLIENTS: usize = 100_000;

#[derive(Clone, Debug)]
pub struct BlindingConfig {
    pub listen: SocketAddr,
    /// Points a client address may have evaluated per second, on average.
    pub points_per_sec: f64,
    /// Points a client address may have evaluated at once (at least one full call).
    pub burst: f64,
    /// Calls evaluated at the same time, over all clients (more are refused with 503).
    pub max_in_flight: usize,
    /// The one origin allowed to call from a page; None allows any.
    pub allow_origin: Option<String>,
}

impl Default for BlindingConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            points_per_sec: 8.0,
            burst: 2.0 * MAX_OPRF_POINTS as f64,
            max_in_flight: 4,
            allow_origin: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlindingError {
    #[error("the burst ({0}) must allow one full call of {MAX_OPRF_POINTS} points")]
    Burst(f64),
    #[error("points per second must be positive and finite, not {0}")]
    Rate(f64),
    #[error("max in flight must be at least 1")]
    InFlight,
    #[error("allowed origin {0:?} is not a header value")]
    Origin(String),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Secret(#[from] bithive_matching::service::BlindingSecretError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// The key the service applies, from its secret file; with `create`, a missing file is created
/// (mode 0600) with a fresh key first.
pub fn load_service(
    secret_file: &std::path::Path,
    create: bool,
) -> Result<BlindingService, BlindingError> {
    if create && !secret_file.exists() {
        BlindingSecret::generate()?.save(secret_file)?;
        tracing::info!(file = %secret_file.display(), "new blinding service key");
    }
    Ok(BlindingSecret::load(secret_file)?.service())
}

struct Metrics {
    registry: Registry,
    calls: IntCounterVec,
    points: IntCounter,
}

impl Metrics {
    fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let calls = IntCounterVec::new(
            Opts::new(
                "bithive_blinding_calls_total",
                "OPRF calls by outcome (ok, bad_input, too_large, rate_limited, busy, error)",
            ),
            &["outcome"],
        )?;
        let points = IntCounter::new(
            "bithive_blinding_points_total",
            "Points evaluated with the service key",
        )?;
        registry.register(Box::new(calls.clone()))?;
        registry.register(Box::new(points.clone()))?;
        Ok(Self {
            registry,
            calls,
            points,
        })
    }
}

#[derive(Clone)]
struct AppState {
    service: Arc<BlindingService>,
    limiter: Arc<Mutex<PeerLimiter<IpAddr>>>,
    in_flight: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    allow_origin: HeaderValue,
}

pub fn router(
    config: &BlindingConfig,
    service: Arc<BlindingService>,
) -> Result<Router, BlindingError> {
    if !(config.burst >= MAX_OPRF_POINTS as f64 && config.burst.is_finite()) {
        return Err(BlindingError::Burst(config.burst));
    }
    if !(config.points_per_sec > 0.0 && config.points_per_sec.is_finite()) {
        return Err(BlindingError::Rate(config.points_per_sec));
    }
    if config.max_in_flight == 0 {
        return Err(BlindingError::InFlight);
    }
    let origin = config.allow_origin.as_deref().unwrap_or("*");
    let state = AppState {
        service,
        limiter: Arc::new(Mutex::new(PeerLimiter::new(
            RateLimit {
                per_sec: config.points_per_sec,
                burst: config.burst,
            },
            MAX_CLIENTS,
        ))),
        in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
        metrics: Arc::new(Metrics::new()?),
        allow_origin: HeaderValue::from_str(origin)
            .map_err(|_| BlindingError::Origin(origin.to_string()))?,
    };
    Ok(Router::new()
        .route("/v1/oprf", axum::routing::post(oprf).options(preflight))
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state))
}

/// Binds and serves until `shutdown` resolves; `on_listen` gets the bound address first.
pub async fn serve(
    config: &BlindingConfig,
    service: Arc<BlindingService>,
    on_listen: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BlindingError> {
    let app = router(config, service)?;
    let bind = |source| BlindingError::Bind {
        addr: config.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(bind)?;
    on_listen(listener.local_addr().map_err(bind)?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(bind)
}

fn cors(mut r: Response, s: &AppState) -> Response {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, s.allow_origin.clone());
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn error(s: &AppState, status: StatusCode, outcome: &str, why: String) -> Response {
    s.metrics.calls.with_label_values(&[outcome]).inc();
    cors(
        (status, axum::Json(ServiceError { error: why })).into_response(),
        s,
    )
}

async fn preflight(State(s): State<AppState>) -> Response {
    let mut r = cors(StatusCode::NO_CONTENT.into_response(), &s);
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    r
}

async fn oprf(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                &s,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {MAX_BODY} bytes"),
            )
        }
        Err(e) => return error(&s, e.status(), "bad_input", e.body_text()),
    };
    let points = match serde_json::from_slice::<OprfPoints>(&body)
        .map_err(|e| format!("not an OPRF request ({{\"points\": [hex, ...]}}): {e}"))
        .and_then(|p| p.decode().map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(why) => return error(&s, StatusCode::BAD_REQUEST, "bad_input", why),
    };
    // Charged before the work: a flood of bad points costs the sender its own budget.
    let charge = match s.limiter.lock() {
        Ok(mut l) => l.take(peer.ip(), points.len() as f64, Instant::now()),
        Err(_) => Err(Duration::from_secs(1)),
    };
    if let Err(wait) = charge {
        tracing::debug!(client = %peer.ip(), "rate limited");
        return rate_limited(&s, wait, points.len());
    }
    let Ok(_permit) = s.in_flight.clone().try_acquire_owned() else {
        return error(
            &s,
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the service is busy; try again shortly".into(),
        );
    };
    let service = s.service.clone();
    let n = points.len();
    match tokio::task::spawn_blocking(move || service.evaluate(&points)).await {
        Ok(Ok(answers)) => {
            s.metrics.calls.with_label_values(&["ok"]).inc();
            s.metrics.points.inc_by(n as u64);
            cors(axum::Json(OprfPoints::encode(&answers)).into_response(), &s)
        }
        Ok(Err(e)) => error(&s, StatusCode::BAD_REQUEST, "bad_input", e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "OPRF evaluation task");
            error(
                &s,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                "internal error".into(),
            )
        }
    }
}

fn rate_limited(s: &AppState, wait: Duration, points: usize) -> Response {
    let secs = wait.as_secs_f64().ceil().clamp(1.0, 3600.0) as u64;
    let mut r = error(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many points from this address ({points} asked); try again in {secs} s"),
    );
    r.headers_mut().insert(
        HeaderName::from_static("retry-after"),
        HeaderValue::from(secs),
    );
    r
}

async fn metrics(State(s): State<AppState>) -> Response {
    let mut out = Vec::new();
    match TextEncoder::new().encode(&s.metrics.registry.gather(), &mut out) {
        Ok(()) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
