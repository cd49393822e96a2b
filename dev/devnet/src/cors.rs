//! CORS for the RPC and REST servers (issue #21): a page on another origin (the web app, an
//! explorer, a wallet's page) may call them. Preflights (`OPTIONS` with
//! `Access-Control-Request-Method`) are answered here, before any route; every answer to an
//! allowed origin carries `Access-Control-Allow-Origin`. Origins come from
//! `cors_allowed_origins` (`*` by default on a devnet).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";
const METHODS: &str = "GET, POST, OPTIONS";
/// Request headers a page may send when it does not say which (a preflight normally does).
const HEADERS: &str = "Content-Type, Authorization";

#[derive(Clone, Debug)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

impl Cors {
    pub fn new(origins: &[String]) -> Self {
        Cors {
            any: origins.iter().any(|o| o == "*"),
            origins: origins.iter().filter(|o| *o != "*").cloned().collect(),
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow(&self, origin: &str) -> Option<HeaderValue> {
        if self.any {
            return Some(HeaderValue::from_static("*"));
        }
        self.origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            .then(|| HeaderValue::from_str(origin).ok())
            .flatten()
    }
}

/// `router` with CORS for `origins` (unchanged when the list is empty).
pub fn apply(router: Router, origins: &[String]) -> Router {
    if origins.is_empty() {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(Cors::new(origins)),
        handle,
    ))
}

async fn handle(State(cors): State<Arc<Cors>>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let allowed = origin.as_deref().and_then(|o| cors.allow(o));
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(allow) = allowed {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            let asked = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .cloned()
                .unwrap_or_else(|| HeaderValue::from_static(HEADERS));
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE),
            );
        }
        return resp;
    }
    let mut resp = next.run(req).await;
    if let Some(allow) = allowed {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_matched() {
        let any = Cors::new(&["*".into()]);
        assert_eq!(any.allow("http://x").unwrap(), "*");
        let some = Cors::new(&["http://localhost:5173".into()]);
        assert_eq!(
            some.allow("http://localhost:5173").unwrap(),
            "http://localhost:5173"
        );
        assert!(some.allow("http://evil.example").is_none());
        // A header value that cannot be echoed is refused, not a panic.
        let odd = Cors::new(&["http://a\nb".into()]);
        assert!(odd.allow("http://a\nb").is_none());
    }
}
