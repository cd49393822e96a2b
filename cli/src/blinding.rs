//! `bithive blinding serve`: the blinding service's OPRF over HTTP (offchain/matching/docs/ROLES.md,
//! step 2). A client sends H(x)*r for random r and gets H(x)*r*a back; the service sees uniformly
//! random points only. Since anyone who may query it without limit could blind a dictionary of
//! the small attribute space (the matching node, which holds every user's H(x)*a, would then
//! read every profile), a call is evaluated only when signed by an admitted chain account within
//! its role's quota of points per epoch, never for a denied one (the node's operator):
//! `bithive_matching::admission`. The admissions file is re-read when it changes (`bithive
//! blinding admit` edits it); the ledger of every account's use is appended to (a journal) before
//! each answer, so a restart renews no quota. Every client address also has a token bucket of points, and
//! all evaluations together are bounded.
//!
//! Routes: `POST /v1/oprf` (`bithive_matching::admission::OprfCall` in,
//! `bithive_matching::service::OprfPoints` out; errors are `ServiceError` JSON: 400 bad input,
//! 401 unsigned or a bad signature, 403 not admitted, denied or a user's budget used, 409 a
//! replayed nonce, 413 body too large, 429 over a researcher's quota or the address's rate with
//! `Retry-After`, 503 busy),
//! `GET /health`, `GET /metrics` (Prometheus). CORS: any page may call it (it holds no cookies),
//! unless `allow_origin` names one. Client addresses are told apart by their TCP peer address:
//! behind a reverse proxy, rate-limit there.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bithive_bitchat::ratelimit::{PeerLimiter, RateLimit};
use bithive_matching::admission::{
    self, AdmissionError, Admissions, Ledger, OprfCall, Policy, Quotas,
};
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
    /// Open connections, header and idle timeouts (a socket that says nothing is closed).
    pub connections: bithive_http_serve::Limits,
    /// Callers' chain, account prefix and quotas.
    pub policy: Policy,
    /// Who may call (`bithive_matching::admission::Admissions`, JSON); missing: nobody yet.
    pub admissions: PathBuf,
    /// Every account's use this epoch (written by the service, mode 0600).
    pub ledger: PathBuf,
}

impl Default for BlindingConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            points_per_sec: 8.0,
            burst: 2.0 * MAX_OPRF_POINTS as f64,
            max_in_flight: 4,
            allow_origin: None,
            connections: bithive_http_serve::Limits {
                max_connections: 256,
                // One address cannot take every slot (issue #43: idle sockets from one client
                // blocked `/health` and `/v1/oprf` for everyone).
                max_per_address: Some(16),
                header_timeout: Some(Duration::from_secs(10)),
                idle_timeout: Some(Duration::from_secs(30)),
            },
            policy: Policy {
                chain_id: String::new(),
                prefix: "bithive".into(),
                quotas: Quotas::default(),
            },
            admissions: "blinding-admissions.json".into(),
            ledger: "blinding-ledger.json".into(),
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
    #[error("the chain id callers sign for is empty (--chain-id)")]
    ChainId,
    #[error("every quota must be at least one point and the epoch at least one second")]
    Quotas,
    #[error("{path}: {why}")]
    File { path: PathBuf, why: String },
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

/// `bithive blinding admit`: adds the admissions and denials asked for, refusing to admit a
/// denied account, and says what the file holds now.
pub fn admit(args: &crate::cli::AdmitArgs) -> anyhow::Result<()> {
    use admission::Role;
    let mut a = read_admissions(&args.admissions)?;
    for addr in &args.deny {
        a.deny(addr);
    }
    for (role, addrs) in [
        (Role::User, &args.users),
        (Role::Researcher, &args.researchers),
    ] {
        for addr in addrs {
            if addr.is_empty() || !addr.contains('1') {
                anyhow::bail!("{addr:?} is not a bech32 account address");
            }
            a.admit(role, addr)?;
        }
    }
    write_admissions(&args.admissions, &a)?;
    println!(
        "{}: {} users, {} researchers, {} denied",
        args.admissions.display(),
        a.users.len(),
        a.researchers.len(),
        a.deny.len()
    );
    Ok(())
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
                "OPRF calls by outcome (ok, bad_input, unauthenticated, not_admitted, budget_used, replayed, over_quota, too_large, rate_limited, busy, error)",
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

/// The admission check's state: the admissions (re-read when their file changes) and the
/// ledger (each charge appended to its journal before the call is answered).
struct Gate {
    policy: Policy,
    admissions_path: PathBuf,
    admissions: Admissions,
    admissions_seen: Option<SystemTime>,
    ledger: Ledger,
    journal: LedgerJournal,
}

/// How long a starting service waits for another one (a restart's old process, draining) to
/// let go of the ledger.
const LEDGER_LOCK_WAIT: Duration = Duration::from_secs(10);

/// One line of the ledger's journal: an account's use after a change.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerLine {
    account: String,
    usage: bithive_matching::admission::Usage,
}

/// The ledger on disk, append-only: one JSON line per change (the last line of an account
/// wins), synced before the call it charges is answered, so a call costs one short write however
/// many accounts there are (the whole ledger was rewritten on every call before). Compacted at
/// start once it holds more than twice as many lines as accounts. A torn last line (a crash
/// mid-write) is dropped: its call was never answered. A ledger in the earlier format (one JSON
/// object) is read and rewritten as a journal. Mode 0600.
struct LedgerJournal {
    path: PathBuf,
    file: std::fs::File,
    /// Held for the service's life: a second service on the same ledger (a rolling restart's
    /// old process still draining) would append to a file the new one compacted away, and the
    /// two would each grant the quota.
    _lock: std::fs::File,
    /// The file's length after the last complete line.
    len: u64,
    /// A failed append left bytes past `len` that could not be cut: cut first, or refuse.
    damaged: bool,
}

impl LedgerJournal {
    fn open(path: &Path) -> Result<(Self, Ledger), BlindingError> {
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        use std::os::unix::fs::OpenOptionsExt;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| file_error(&lock_path, e))?;
        // A restart's old process may still be draining: wait for it a while, then give up.
        let deadline = Instant::now() + LEDGER_LOCK_WAIT;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => {
                    return Err(file_error(
                        &lock_path,
                        format!(
                            "{e}: another blinding service holds this ledger (waited {} s)",
                            LEDGER_LOCK_WAIT.as_secs()
                        ),
                    ))
                }
            }
        }
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8(b).map_err(|e| file_error(path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(file_error(path, e)),
        };
        let mut ledger = Ledger::default();
        let mut lines = 0usize;
        let mut rewrite = false;
        if text.trim_start().starts_with("{\"accounts\"") {
            ledger = serde_json::from_str(&text).map_err(|e| file_error(path, e))?;
            rewrite = true;
        } else {
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let (line, tail, complete) = match rest.split_once('\n') {
                    Some((l, t)) => (l, t, true),
                    None => (rest, "", false),
                };
                rest = tail;
                match serde_json::from_str::<LedgerLine>(line) {
                    Ok(l) => {
                        ledger.accounts.insert(l.account, l.usage);
                        lines += 1;
                    }
                    // Only the very end may be torn, and only by a crash mid-append.
                    Err(_) if !complete => {
                        tracing::warn!(path = %path.display(), "ledger: a torn last line (a crash mid-write) dropped");
                        rewrite = true;
                    }
                    Err(e) => {
                        return Err(file_error(path, format!("ledger line {}: {e}", lines + 1)))
                    }
                }
            }
        }
        // A last line without its newline (written, not terminated) would have the next append
        // glued onto it: rewritten too.
        if !text.is_empty() && !text.ends_with('\n') {
            rewrite = true;
        }
        if rewrite || lines > 2 * ledger.accounts.len() + 64 {
            let mut out = Vec::new();
            for (account, usage) in &ledger.accounts {
                serde_json::to_writer(
                    &mut out,
                    &LedgerLine {
                        account: account.clone(),
                        usage: *usage,
                    },
                )
                .map_err(|e| file_error(path, e))?;
                out.push(b'\n');
            }
            bithive_secret_file::replace(path, out.into()).map_err(|e| file_error(path, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| file_error(path, e))?;
        let len = file.metadata().map_err(|e| file_error(path, e))?.len();
        // A file just created is only durable once its directory entry is.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| file_error(dir, e))?;
        }
        Ok((
            Self {
                path: path.to_path_buf(),
                file,
                _lock: lock,
                len,
                damaged: false,
            },
            ledger,
        ))
    }

    /// Appends one account's use and syncs it.
    fn append(
        &mut self,
        account: &str,
        usage: bithive_matching::admission::Usage,
    ) -> Result<(), String> {
        use std::io::Write;
        let mut line = serde_json::to_vec(&LedgerLine {
            account: account.to_string(),
            usage,
        })
        .map_err(|e| e.to_string())?;
        line.push(b'\n');
        if self.damaged {
            self.file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data())
                .map_err(|e| {
                    format!(
                        "{}: a partial line could not be cut back: {e}",
                        self.path.display()
                    )
                })?;
            self.damaged = false;
        }
        match self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
        {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // A fragment left behind would be glued to the next line: cut back to the last
                // complete one. Should that fail too, later calls retry the cut first and are
                // refused while it fails.
                let cut = self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data());
                let why = format!("{}: {e}", self.path.display());
                Err(match cut {
                    Ok(()) => why,
                    Err(c) => {
                        self.damaged = true;
                        format!("{why}; and cutting the partial line back failed: {c}")
                    }
                })
            }
        }
    }
}

fn file_error(path: &Path, why: impl std::fmt::Display) -> BlindingError {
    BlindingError::File {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

/// A JSON file the service keeps, or its default when there is none yet.
fn read_json_or_default<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
) -> Result<T, BlindingError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| file_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(file_error(path, e)),
    }
}

/// Reads the admissions file; a missing file admits nobody.
pub fn read_admissions(path: &Path) -> Result<Admissions, BlindingError> {
    read_json_or_default(path)
}

/// Replaces the admissions file atomically (the service picks it up on its next call).
pub fn write_admissions(path: &Path, admissions: &Admissions) -> Result<(), BlindingError> {
    let bytes = serde_json::to_vec_pretty(admissions).map_err(|e| file_error(path, e))?;
    bithive_secret_file::replace(path, bytes.into()).map_err(|e| file_error(path, e))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Gate {
    fn open(config: &BlindingConfig) -> Result<Self, BlindingError> {
        let (journal, ledger) = LedgerJournal::open(&config.ledger)?;
        Ok(Self {
            policy: config.policy.clone(),
            admissions_path: config.admissions.clone(),
            admissions_seen: modified(&config.admissions),
            admissions: read_admissions(&config.admissions)?,
            ledger,
            journal,
        })
    }

    /// Re-reads the admissions when their file changed; a file that does not parse keeps the
    /// previous admissions (and says so in the log).
    fn refresh(&mut self) {
        let seen = modified(&self.admissions_path);
        if seen == self.admissions_seen {
            return;
        }
        match read_admissions(&self.admissions_path) {
            Ok(a) => {
                tracing::info!(
                    users = a.users.len(),
                    researchers = a.researchers.len(),
                    denied = a.deny.len(),
                    "admissions re-read"
                );
                self.admissions = a;
                self.admissions_seen = seen;
            }
            Err(e) => {
                tracing::error!(error = %e, "admissions file not re-read; the previous one holds")
            }
        }
    }

    /// Checks and charges one call; the ledger is on disk before the call is answered (also
    /// when a refusal used up the call's nonce).
    fn admit(&mut self, req: &OprfCall, now_ms: u64) -> Result<(), Refusal> {
        self.refresh();
        // A charge changes the signer's entry only; nothing else is copied or written.
        let signer = req.auth.as_ref().map(|a| a.signer.clone());
        let before = signer
            .as_ref()
            .and_then(|s| self.ledger.accounts.get(s).copied());
        let verdict = admission::admit(
            req,
            &self.policy,
            &self.admissions,
            &mut self.ledger,
            now_ms,
        );
        if let Some(signer) = signer {
            let after = self.ledger.accounts.get(&signer).copied();
            if let Some(usage) = after.filter(|u| Some(*u) != before) {
                if let Err(why) = self.journal.append(&signer, usage) {
                    // Not on disk: not charged, not answered.
                    match before {
                        Some(b) => self.ledger.accounts.insert(signer, b),
                        None => self.ledger.accounts.remove(&signer),
                    };
                    return Err(Refusal::Ledger(why));
                }
            }
        }
        let who = verdict.map_err(Refusal::Admission)?;
        tracing::debug!(signer = %who.signer, role = ?who.role, points = req.points.len(), "admitted");
        Ok(())
    }
}

enum Refusal {
    Admission(AdmissionError),
    Ledger(String),
}

#[derive(Clone)]
struct AppState {
    gate: Arc<Mutex<Gate>>,
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
    if config.policy.chain_id.is_empty() {
        return Err(BlindingError::ChainId);
    }
    let q = &config.policy.quotas;
    if q.user_points == 0 || q.researcher_points == 0 || q.epoch_secs == 0 {
        return Err(BlindingError::Quotas);
    }
    let origin = config.allow_origin.as_deref().unwrap_or("*");
    let state = AppState {
        gate: Arc::new(Mutex::new(Gate::open(config)?)),
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
    // A connection cap and header and idle timeouts (issue #43: 1,000 idle connections were
    // held 40 s, and under a 128-descriptor limit 200 idle sockets blocked `/health` and
    // `/v1/oprf` for everyone).
    bithive_http_serve::serve(
        listener,
        app,
        config.connections,
        bithive_http_serve::stop_on(shutdown),
        bithive_http_serve::busy_error(),
    )
    .await;
    Ok(())
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
    let (request, points) = match serde_json::from_slice::<OprfCall>(&body)
        .map_err(|e| {
            format!("not an OPRF request ({{\"points\": [hex, ...], \"auth\": {{...}}}}): {e}")
        })
        .and_then(|r| {
            let points = OprfPoints {
                points: r.points.clone(),
            }
            .decode()
            .map_err(|e| e.to_string())?;
            Ok((r, points))
        }) {
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
    let gate = s.gate.clone();
    let n = points.len();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    // The signature check, the charge and the ledger's write, then the key: off the runtime.
    let answered = tokio::task::spawn_blocking(move || {
        let mut gate = gate
            .lock()
            .map_err(|_| Refusal::Ledger("poisoned".into()))?;
        gate.admit(&request, now)?;
        drop(gate);
        Ok::<_, Refusal>(service.evaluate(&points))
    })
    .await;
    let answered = match answered {
        Ok(Err(Refusal::Admission(e))) => return refused(&s, e),
        Ok(Err(Refusal::Ledger(why))) => {
            tracing::error!(error = %why, "ledger not written; call refused");
            return error(
                &s,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                "internal error".into(),
            );
        }
        Ok(Ok(r)) => Ok(r),
        Err(e) => Err(e),
    };
    match answered {
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

/// A call the admission check refused, with the status that says why.
fn refused(s: &AppState, e: AdmissionError) -> Response {
    let (status, outcome) = match &e {
        AdmissionError::Unsigned
        | AdmissionError::BadSignature(_)
        | AdmissionError::WrongPrefix(..)
        | AdmissionError::Prefix(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AdmissionError::Denied(_) | AdmissionError::NotAdmitted(_) => {
            (StatusCode::FORBIDDEN, "not_admitted")
        }
        AdmissionError::BudgetUsed { .. } => (StatusCode::FORBIDDEN, "budget_used"),
        AdmissionError::StaleNonce { .. } => (StatusCode::CONFLICT, "replayed"),
        AdmissionError::FutureNonce { .. } => (StatusCode::BAD_REQUEST, "bad_input"),
        AdmissionError::OverQuota {
            retry_after_secs, ..
        } => {
            let secs = (*retry_after_secs).max(1);
            let mut r = error(
                s,
                StatusCode::TOO_MANY_REQUESTS,
                "over_quota",
                e.to_string(),
            );
            r.headers_mut().insert(
                HeaderName::from_static("retry-after"),
                HeaderValue::from(secs),
            );
            return r;
        }
    };
    error(s, status, outcome, e.to_string())
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

#[cfg(test)]
mod ledger_journal {
    use super::*;
    use bithive_matching::admission::Usage;

    fn usage(points: u64, nonce: u64) -> Usage {
        Usage {
            epoch: 0,
            points,
            last_nonce: nonce,
        }
    }

    #[test]
    fn charges_survive_a_restart_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let (mut j, l) = LedgerJournal::open(&path).unwrap();
        assert!(l.accounts.is_empty());
        j.append("a", usage(4, 1)).unwrap();
        j.append("b", usage(8, 1)).unwrap();
        j.append("a", usage(12, 2)).unwrap();
        drop(j);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A crash mid-append: the torn line's call was never answered.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, br#"{"account":"a","usa"#).unwrap();
        drop(f);
        let (_, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(l.accounts["a"], usage(12, 2), "the last complete line wins");
        assert_eq!(l.accounts["b"], usage(8, 1));
        assert_eq!(l.accounts.len(), 2);
        // Rewritten compactly without the torn line.
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    }

    #[test]
    fn a_damaged_line_before_the_end_is_refused_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        std::fs::write(
            &path,
            "{\"account\":\"a\",\"usage\":{\"epoch\":0,\"points\":4,\"last_nonce\":1}}\nnot json\n",
        )
        .unwrap();
        let e = LedgerJournal::open(&path).err().unwrap().to_string();
        assert!(e.contains("ledger line 2"), "{e}");
    }

    #[test]
    fn the_earlier_whole_file_ledger_is_converted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let mut old = Ledger::default();
        old.accounts.insert("a".into(), usage(16, 7));
        std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
        let (mut j, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(l, old);
        j.append("b", usage(1, 1)).unwrap();
        drop(j);
        let (_, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(l.accounts.len(), 2);
        assert_eq!(l.accounts["a"], usage(16, 7));
    }

    #[test]
    fn a_second_service_on_the_same_ledger_is_refused_and_an_unterminated_line_is_mended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        // A complete last line without its newline: the next append must not be glued to it.
        std::fs::write(
            &path,
            "{\"account\":\"a\",\"usage\":{\"epoch\":0,\"points\":4,\"last_nonce\":1}}",
        )
        .unwrap();
        let (mut j, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(l.accounts["a"], usage(4, 1));
        j.append("b", usage(2, 2)).unwrap();
        let held = std::time::Instant::now();
        let e = LedgerJournal::open(&path).err().unwrap().to_string();
        assert!(e.contains("another blinding service"), "{e}");
        assert!(held.elapsed() >= LEDGER_LOCK_WAIT);
        drop(j);
        let (_, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(
            (l.accounts["a"], l.accounts["b"]),
            (usage(4, 1), usage(2, 2))
        );
    }

    #[test]
    fn a_long_journal_is_compacted_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        let (mut j, _) = LedgerJournal::open(&path).unwrap();
        for n in 1..=200 {
            j.append("a", usage(n, n)).unwrap();
        }
        drop(j);
        let (_, l) = LedgerJournal::open(&path).unwrap();
        assert_eq!(l.accounts["a"], usage(200, 200));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
