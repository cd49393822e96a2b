//! `bithive web`: serves the web app (`web/dist`, built by `scripts/build-webapp.sh`) with the
//! deployment, and forwards `/rpc` to the chain's CometBFT RPC, all on one origin. One origin
//! because the page talks to the chain with CosmJS over RPC and a node may not send CORS headers
//! (the devnet does not yet): the browser then allows the calls without any.
//!
//! Routes: `GET /deployment.json` (the file `bithive deploy` wrote, read on each request),
//! `GET /keplr-chain-info.json` (the wallet chain info written beside it, the only ChainInfo the
//! page suggests to the wallet),
//! `/rpc` and `/rpc/...` (POST JSON-RPC or GET, forwarded to the configured RPC URL only),
//! everything else a file under the dist directory (`/` is `index.html`). File paths are
//! restricted to `[A-Za-z0-9._-]` segments, none starting with a dot, so no request reads outside
//! the dist directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use bithive_wallet_files::KEPLR_FILE;

/// Largest RPC request body forwarded (CometBFT's default `max_body_bytes`).
const MAX_RPC_BODY: usize = 1_000_000;

/// Where the page gets its files, its deployment and its chain.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub listen: SocketAddr,
    /// The built app (`web/dist`).
    pub dist: PathBuf,
    /// `deployment.json` as `bithive deploy` writes it.
    pub deployment: PathBuf,
    /// The chain's CometBFT RPC URL (`http://host:port[/path]`).
    pub rpc: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0} has no index.html: build the app with scripts/build-webapp.sh")]
    NoDist(PathBuf),
    #[error("rpc URL {0}: only http://host:port[/path] is forwarded")]
    RpcUrl(String),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Clone, Debug)]
struct Upstream {
    /// `host:port` to connect to.
    authority: String,
    /// Path prefix of the RPC URL, without a trailing slash.
    base: String,
}

#[derive(Clone, Debug)]
struct AppState {
    dist: PathBuf,
    deployment: PathBuf,
    upstream: Upstream,
}

fn parse_rpc(url: &str) -> Result<Upstream, WebError> {
    let bad = || WebError::RpcUrl(url.to_string());
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    Ok(Upstream {
        authority: authority.to_string(),
        base: path.trim_end_matches('/').to_string(),
    })
}

/// The app's router (also used by tests without a socket).
pub fn router(config: &WebConfig) -> Result<Router, WebError> {
    if !config.dist.join("index.html").is_file() {
        return Err(WebError::NoDist(config.dist.clone()));
    }
    let state = AppState {
        dist: config.dist.clone(),
        deployment: config.deployment.clone(),
        upstream: parse_rpc(&config.rpc)?,
    };
    Ok(Router::new()
        .route("/rpc", any(rpc))
        .route("/rpc/{*rest}", any(rpc))
        .fallback(static_file)
        .with_state(state))
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
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

/// Headers every answer carries: no framing by other sites (a wallet page must not be
/// clickjacked), no MIME sniffing, and scripts, styles and connections from this origin only
/// (`wasm-unsafe-eval` for the researcher's blinding package).
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    harden((status, text).into_response())
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
        Ok(bytes) => harden(
            (
                [
                    (header::CONTENT_TYPE, content_type(&file)),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Forwards one RPC call to the configured node (never anywhere else).
async fn rpc(State(s): State<AppState>, req: Request) -> Response {
    match forward(&s.upstream, req).await {
        Ok(r) => harden(r),
        Err(e) => {
            tracing::warn!(error = %e, "rpc forward failed");
            plain(StatusCode::BAD_GATEWAY, "the chain's RPC did not answer\n")
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
    let stream = tokio::net::TcpStream::connect(&up.authority).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let answer = sender.send_request(out).await?;
    let (parts, incoming) = answer.into_parts();
    let mut r = Response::new(Body::new(incoming));
    *r.status_mut() = parts.status;
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    Ok(r)
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
    fn only_plain_http_rpc_urls() {
        let u = parse_rpc("http://127.0.0.1:26657").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.base.as_str()),
            ("127.0.0.1:26657", "")
        );
        let u = parse_rpc("http://node:80/rpc/").unwrap();
        assert_eq!((u.authority.as_str(), u.base.as_str()), ("node:80", "/rpc"));
        for bad in ["https://x:1", "ftp://x", "http://", "http://user@host:1/"] {
            assert!(parse_rpc(bad).is_err(), "{bad}");
        }
    }
}
