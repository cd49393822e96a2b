//! `bithive web`: serves the web app (`web/dist`, built by `scripts/build-webapp.sh`) with the
//! deployment, and forwards `/rpc` to the chain's CometBFT RPC, all on one origin. One origin
//! because the page talks to the chain with CosmJS over RPC and a node may not send CORS headers
//! (the devnet does not yet): the browser then allows the calls without any.
//!
//! Routes: `GET /deployment.json` (the file `bithive deploy` wrote, read on each request),
//! `GET /keplr-chain-info.json` (the wallet chain info written beside it, the only ChainInfo the
//! page suggests to the wallet), `GET /research.json` (the research service descriptor, when
//! one is configured: the page may then also connect to its blinding service's origin),
//! `/rpc` and `/rpc/...` (POST JSON-RPC or GET, forwarded to the configured RPC URL only),
//! with the imaging service ([`imaging`]: `--sealing-keys`, a content store and `--relayer-http`)
//! also `GET /sealing.json`, `POST /v1/inputs` and `GET /v1/explanations/<name>`, with a
//! content store ([`records`]) also `POST` and `GET /v1/records/<token id>`, everything else a file under the dist directory (`/` is `index.html`). File paths are
//! restricted to `[A-Za-z0-9._-]` segments, none starting with a dot, so no request reads outside
//! the dist directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use bithive_matching::service::ResearchService;
use bithive_wallet_files::KEPLR_FILE;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

pub mod faucet;
pub mod imaging;
pub mod records;
pub use faucet::FaucetConfig;
pub use imaging::ImagingConfig;
pub use records::RecordsConfig;

/// Largest RPC request body forwarded (CometBFT's default `max_body_bytes`).
const MAX_RPC_BODY: usize = 1_000_000;
/// Largest RPC answer passed back (a block with its results fits many times over).
const MAX_RPC_ANSWER: usize = 32 * 1024 * 1024;
/// The whole exchange with the chain's RPC, connect to last byte: past it the page gets a 504
/// (issue #43: a node that never answered held the call 40 s with no answer at all).
pub const UPSTREAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Open connections, header and idle timeouts of `bithive web`.
pub const LIMITS: bithive_http_serve::Limits = bithive_http_serve::Limits {
    max_connections: 512,
    // A browser opens a handful per host; 64 leaves room for tabs behind one NAT.
    max_per_address: Some(64),
    header_timeout: Some(std::time::Duration::from_secs(10)),
    idle_timeout: Some(std::time::Duration::from_secs(60)),
};

/// Where the page gets its files, its deployment and its chain.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub listen: SocketAddr,
    /// The built app (`web/dist`).
    pub dist: PathBuf,
    /// `deployment.json` as `bithive deploy` writes it.
    pub deployment: PathBuf,
    /// The chain's CometBFT RPC URL: `http://` or `https://`, `host[:port][/path]`.
    pub rpc: String,
    /// PEM certificates trusted for an `https` RPC besides the public (Mozilla) roots.
    pub rpc_ca: Option<PathBuf>,
    /// `research.json` (`bithive_matching::service::ResearchService`), read once at start.
    pub research: Option<PathBuf>,
    /// The whole exchange with the chain's RPC per call ([`UPSTREAM_TIMEOUT`] by default):
    /// past it the page gets a 504.
    pub rpc_timeout: std::time::Duration,
    /// A patient's images sealed in the page ([`imaging`]), when configured.
    pub imaging: Option<ImagingConfig>,
    /// Where a patient's records sealed in the page are kept ([`records`]), when configured.
    pub records: Option<RecordsConfig>,
    /// A faucet for new accounts' first fees ([`faucet`]; a devnet or testnet), when configured.
    pub faucet: Option<FaucetConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0} has no index.html: build the app with scripts/build-webapp.sh")]
    NoDist(PathBuf),
    #[error("rpc URL {0}: only http:// or https://host[:port][/path] is forwarded")]
    RpcUrl(String),
    #[error("rpc CA file {path}: {why}")]
    RpcCa { path: PathBuf, why: String },
    #[error("research service file {path}: {why}")]
    Research { path: PathBuf, why: String },
    #[error("imaging service: {0}")]
    Imaging(String),
    #[error("records service: {0}")]
    Records(String),
    #[error("faucet: {0}")]
    Faucet(String),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Clone, Debug)]
struct Upstream {
    /// `host:port` to connect to (the scheme's port when the URL names none).
    connect: String,
    /// The URL's authority as written: the `Host` header.
    authority: String,
    /// Path prefix of the RPC URL, without a trailing slash.
    base: String,
    /// `https`: the name the node's certificate must carry, and the roots it must chain to.
    tls: Option<(ServerName<'static>, Arc<rustls::ClientConfig>)>,
}

#[derive(Clone, Debug)]
struct AppState {
    dist: PathBuf,
    deployment: PathBuf,
    upstream: Upstream,
    /// The research service descriptor as served (checked JSON), if any.
    research: Option<Arc<Vec<u8>>>,
    rpc_timeout: std::time::Duration,
}

/// Reads and checks the research service file; returns its bytes and the blinding origin.
fn research_file(path: &Path) -> Result<(Vec<u8>, String), WebError> {
    let err = |why: String| WebError::Research {
        path: path.to_path_buf(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let service: ResearchService =
        serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?;
    let origin = service.blinding_origin().ok_or_else(|| {
        err(format!(
            "blinding_url {:?} is not http(s)://host[:port]",
            service.blinding_url
        ))
    })?;
    Ok((bytes, origin))
}

/// The TLS client config for `https` RPC URLs: the public roots, plus `extra` PEM certificates.
fn tls_config(extra: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, WebError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra {
        let bad = |why: String| WebError::RpcCa {
            path: path.to_path_buf(),
            why,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots
                .add(cert.map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?;
            n += 1;
        }
        if n == 0 {
            return Err(bad("no PEM certificate in it".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WebError::RpcCa {
            path: extra.map(Path::to_path_buf).unwrap_or_default(),
            why: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn parse_rpc(url: &str, ca: Option<&Path>) -> Result<Upstream, WebError> {
    let bad = || WebError::RpcUrl(url.to_string());
    let (rest, https) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(r), _) => (r, false),
        (_, Some(r)) => (r, true),
        _ => return Err(bad()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    // `host`, `host:port`, `[v6]` or `[v6]:port`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(bad());
    }
    let connect = match port {
        Some(_) => authority.to_string(),
        None => format!("{authority}:{}", if https { 443 } else { 80 }),
    };
    let tls = if https {
        let name = ServerName::try_from(host.to_string()).map_err(|_| bad())?;
        Some((name, tls_config(ca)?))
    } else {
        None
    };
    Ok(Upstream {
        connect,
        authority: authority.to_string(),
        base: path.trim_end_matches('/').to_string(),
        tls,
    })
}

/// The app's router (also used by tests without a socket).
pub fn router(config: &WebConfig) -> Result<Router, WebError> {
    if !config.dist.join("index.html").is_file() {
        return Err(WebError::NoDist(config.dist.clone()));
    }
    let research = config.research.as_deref().map(research_file).transpose()?;
    let csp = content_security_policy(research.as_ref().map(|(_, o)| o.as_str()));
    let state = AppState {
        dist: config.dist.clone(),
        deployment: config.deployment.clone(),
        upstream: parse_rpc(&config.rpc, config.rpc_ca.as_deref())?,
        research: research.map(|(b, _)| Arc::new(b)),
        rpc_timeout: config.rpc_timeout,
    };
    let imaging = config
        .imaging
        .as_ref()
        .map(|i| imaging::routes(i, &config.rpc, config.deployment.clone()))
        .transpose()?;
    let mut app = Router::new()
        .route("/rpc", any(rpc))
        .route("/rpc/{*rest}", any(rpc))
        .fallback(static_file)
        .with_state(state);
    if let Some(routes) = imaging {
        app = app.merge(routes);
    }
    if let Some(records) = &config.records {
        app = app.merge(records::routes(
            records,
            &config.rpc,
            config.deployment.clone(),
        )?);
    }
    if let Some(faucet) = &config.faucet {
        app = app.merge(faucet::routes(faucet)?);
    }
    Ok(app.layer(axum::middleware::map_response_with_state(csp, harden)))
}

/// Binds and serves until `shutdown` resolves; `on_listen` gets the bound address first.
pub async fn serve(
    config: &WebConfig,
    on_listen: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| WebError::Bind {
            addr: config.listen,
            source,
        })?;
    on_listen(listener.local_addr()?);
    // A connection cap and header and idle timeouts (`axum::serve` has none: issue #43).
    bithive_http_serve::serve(
        listener,
        app,
        LIMITS,
        bithive_http_serve::stop_on(shutdown),
        bithive_http_serve::busy_error(),
    )
    .await;
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // No SIGTERM handler: ctrl-c alone stops it.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// The page's policy: scripts, styles and connections from this origin only
/// (`wasm-unsafe-eval` for the researcher's blinding package), plus connections to the research
/// service's blinding service when one is configured (checked to be a bare origin).
fn content_security_policy(blinding_origin: Option<&str>) -> HeaderValue {
    let connect = match blinding_origin {
        Some(o) => format!("'self' {o}"),
        None => "'self'".into(),
    };
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; \
         form-action 'none'"
    ))
    // The origin has only [A-Za-z0-9-.:[]/] characters: always a header value.
    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Headers every answer carries: no framing by other sites (a wallet page must not be
/// clickjacked), no MIME sniffing, and the content security policy.
async fn harden(State(csp): State<HeaderValue>, mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

/// A refusal with its reason in plain words.
fn refuse(status: StatusCode, why: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{why}\n"),
    )
        .into_response()
}

/// Uploads of one kind (images, records) read at once: each holds its file in memory.
const CONCURRENT_UPLOADS: usize = 2;
/// How long an upload waits for one of those slots.
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// A slot of `uploads` (made with [`CONCURRENT_UPLOADS`]), taken before a body is read, so that
/// no more bodies than that are ever in memory; a `503` when none frees up in [`UPLOAD_WAIT`].
async fn upload_slot(
    uploads: &Arc<tokio::sync::Semaphore>,
) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
    match tokio::time::timeout(UPLOAD_WAIT, uploads.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy with other uploads: try again in a moment\n",
        )),
    }
}

/// Contract `contract`'s answer to smart query `msg`: a `404` with `not_found`'s words when the
/// contract says "not found", a `502` when the answer does not parse (`unreadable`) or the
/// chain's RPC did not answer.
async fn query_contract<T: serde::de::DeserializeOwned>(
    rpc: &bithive_chain_client::HttpEndpoint,
    contract: &str,
    msg: &impl serde::Serialize,
    unreadable: &'static str,
    not_found: impl FnOnce() -> String,
) -> Result<T, Response> {
    let msg =
        serde_json::to_vec(msg).map_err(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "query\n"))?;
    match bithive_chain_client::query::wasm_smart(rpc, contract, &msg).await {
        Ok(raw) => {
            serde_json::from_slice(&raw).map_err(|_| plain(StatusCode::BAD_GATEWAY, unreadable))
        }
        Err(bithive_chain_client::ChainError::Query { log, .. }) if log.contains("not found") => {
            Err(refuse(StatusCode::NOT_FOUND, not_found()))
        }
        Err(e) => {
            tracing::warn!(%contract, error = %e, "contract query failed");
            Err(plain(
                StatusCode::BAD_GATEWAY,
                "the chain's RPC did not answer\n",
            ))
        }
    }
}

/// Stores `body`, already checked to be the file content id `cid` names, in `store`: `201` with
/// `{"cid": ..}`, also when it is there already (a retry after a lost answer writes nothing).
async fn store_checked(
    store: &bithive_content_store::NodeStore,
    cid: &str,
    body: &[u8],
) -> Response {
    use bithive_content_store::ContentStore as _;
    let created = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "cid": cid }).to_string(),
    );
    let Ok(parsed) = cid.parse::<bithive_content_store::Cid>() else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "content id\n");
    };
    if matches!(store.has(&parsed).await, Ok(true)) {
        return created.into_response();
    }
    match store.put(body).await {
        Ok(stored) if stored == parsed => created.into_response(),
        Ok(stored) => {
            tracing::error!(%stored, %cid, "the store named another content id");
            plain(
                StatusCode::BAD_GATEWAY,
                "the store named another content id\n",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "storing a file failed");
            plain(
                StatusCode::BAD_GATEWAY,
                "the content store did not take the file\n",
            )
        }
    }
}

/// The deployment file, read on each request (a redeploy needs no restart), or a 503.
async fn read_deployment(path: &Path) -> Result<bithive_deploy_plan::Deployment, Response> {
    tokio::fs::read(path)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "no deployment to check the request against\n",
            )
        })
}

/// A request path as a file under the dist directory, or None when it is not a safe one.
pub fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let path = path.strip_prefix('/')?;
    if path.is_empty() {
        return Some(PathBuf::from("index.html"));
    }
    let mut out = PathBuf::new();
    for seg in path.split('/') {
        let ok = !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if !ok {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn static_file(State(s): State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if uri.path() == "/research.json" {
        return match &s.research {
            Some(bytes) => (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                bytes.as_ref().clone(),
            )
                .into_response(),
            None => plain(StatusCode::NOT_FOUND, "no research service configured\n"),
        };
    }
    let (file, cache) = if uri.path() == "/deployment.json" {
        (s.deployment.clone(), "no-store")
    } else if uri.path() == format!("/{KEPLR_FILE}") {
        // Written beside deployment.json by `bithive deploy` / `bithive chain-info`.
        (s.deployment.with_file_name(KEPLR_FILE), "no-store")
    } else {
        match safe_relative_path(uri.path()) {
            Some(rel) => {
                // Vite's hashed bundles never change; everything else is re-read.
                let immutable = rel.starts_with("assets");
                (
                    s.dist.join(rel),
                    if immutable {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-cache"
                    },
                )
            }
            None => return plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&file)),
                (header::CACHE_CONTROL, cache),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Forwards one RPC call to the configured node (never anywhere else).
async fn rpc(State(s): State<AppState>, req: Request) -> Response {
    match tokio::time::timeout(s.rpc_timeout, forward(&s.upstream, req)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "rpc forward failed");
            plain(StatusCode::BAD_GATEWAY, "the chain's RPC did not answer\n")
        }
        Err(_) => {
            tracing::warn!("rpc forward timed out");
            plain(
                StatusCode::GATEWAY_TIMEOUT,
                "the chain's RPC did not answer in time\n",
            )
        }
    }
}

async fn forward(up: &Upstream, req: Request) -> anyhow::Result<Response> {
    let method = req.method().clone();
    if method != Method::GET && method != Method::POST {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "GET or POST\n"));
    }
    let rest = req
        .uri()
        .path()
        .strip_prefix("/rpc")
        .unwrap_or_default()
        .to_string();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let path = format!("{}{rest}{query}", up.base);
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    let body = match axum::body::to_bytes(req.into_body(), MAX_RPC_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large\n",
            ))
        }
    };
    let out = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, &up.authority)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))?;
    let stream = tokio::net::TcpStream::connect(&up.connect).await?;
    let answer = match &up.tls {
        None => send(stream, out).await?,
        Some((name, config)) => {
            let tls = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name.clone(), stream)
                .await?;
            send(tls, out).await?
        }
    };
    let (parts, incoming) = answer.into_parts();
    // Read whole under the caller's deadline: an upstream that trickles its body cannot hold
    // the page's call past it.
    let bytes = axum::body::to_bytes(Body::new(incoming), MAX_RPC_ANSWER)
        .await
        .map_err(|e| anyhow::anyhow!("the RPC's answer: {e}"))?;
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = parts.status;
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    Ok(r)
}

/// One HTTP/1.1 exchange over `io` (plain TCP or TLS).
async fn send<IO>(
    io: IO,
    req: axum::http::Request<Body>,
) -> anyhow::Result<hyper::Response<hyper::body::Incoming>>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender.send_request(req).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_path_leaves_the_dist_directory() {
        // Attack: read the keyring or any file beside the app through the static route.
        for evil in [
            "/../keyring.json",
            "/assets/../../keyring.json",
            "/..",
            "/.env",
            "/assets/.hidden",
            "//etc/passwd",
            "/%2e%2e/keyring.json",
            "/a\\..\\b",
            "relative",
        ] {
            assert_eq!(safe_relative_path(evil), None, "{evil}");
        }
        assert_eq!(safe_relative_path("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            safe_relative_path("/assets/index-AbC_12.js"),
            Some(PathBuf::from("assets/index-AbC_12.js"))
        );
    }

    #[test]
    fn http_and_https_rpc_urls() {
        let u = parse_rpc("http://127.0.0.1:26657", None).unwrap();
        assert_eq!(
            (u.connect.as_str(), u.base.as_str(), u.tls.is_none()),
            ("127.0.0.1:26657", "", true)
        );
        let u = parse_rpc("http://node:80/rpc/", None).unwrap();
        assert_eq!((u.connect.as_str(), u.base.as_str()), ("node:80", "/rpc"));
        let u = parse_rpc("https://rpc.example.org/cometbft", None).unwrap();
        assert_eq!(
            (u.connect.as_str(), u.authority.as_str(), u.base.as_str()),
            ("rpc.example.org:443", "rpc.example.org", "/cometbft")
        );
        assert!(u.tls.is_some());
        let u = parse_rpc("http://[::1]:26657", None).unwrap();
        assert_eq!(u.connect, "[::1]:26657");
        for bad in [
            "ftp://x",
            "http://",
            "https://",
            "http://user@host:1/",
            "http://host:port/",
            "http://host:99999",
            "https://[::1",
            "http://:26657",
        ] {
            assert!(parse_rpc(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ca.pem");
        std::fs::write(&f, "not a certificate").unwrap();
        let err = parse_rpc("https://node:443", Some(&f))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no PEM certificate"), "{err}");
        let missing = dir.path().join("missing.pem");
        assert!(parse_rpc("https://node:443", Some(&missing)).is_err());
    }
}
