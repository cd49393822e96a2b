//! The small HTTP/1.1 endpoints (`/metrics`, `/health`) of BitChat nodes and the relayer: GET
//! only, one request per connection, with a connection cap and read/write deadlines so that idle
//! or slow clients cannot hold the server (issue #27). At the cap a new connection takes the
//! slot of the oldest one still silent (no complete request head yet), so connections that say
//! nothing cannot keep a liveness probe's `/health` unanswered (issue #43: 70 idle local
//! connections did, against a cap of 64); only when every slot is answering a request is a new
//! one refused with 503.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};

use crate::accept::{accept_loop, ACCEPT_BACKOFF};

/// Longest request head read; the rest of a longer one is never read.
pub const MAX_REQUEST_HEAD: usize = 2048;

/// What an endpoint accepts. TOML: `[metrics_limits]` with these keys.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointLimits {
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Time to receive the request head (slowloris bound).
    pub read_timeout_ms: u64,
    /// Time to send the answer to a client that does not read.
    pub write_timeout_ms: u64,
}

impl Default for EndpointLimits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            read_timeout_ms: 5_000,
            write_timeout_ms: 5_000,
        }
    }
}

/// One answer.
pub struct Reply {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    pub fn ok(content_type: &'static str, body: String) -> Self {
        Self {
            status: "200 OK",
            content_type,
            body,
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: "404 Not Found",
            content_type: "text/plain",
            body: "not found\n".into(),
        }
    }

    fn encode(&self) -> Vec<u8> {
        format!(
            "HTTP/1.1 {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            self.status,
            self.content_type,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 5\r\nconnection: close\r\n\r\nbusy\n";
const BAD_METHOD: &[u8] =
    b"HTTP/1.1 405 Method Not Allowed\r\nallow: GET\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Serves `route(path)` for GET requests until the task is aborted.
pub async fn serve<R>(listener: TcpListener, limits: EndpointLimits, route: R)
where
    R: Fn(&str) -> Reply + Send + Sync + 'static,
{
    let route = Arc::new(route);
    serve_async(listener, limits, move |path: String| {
        std::future::ready(route(&path))
    })
    .await
}

/// [`serve`] for a route that answers asynchronously (work that must not block the executor);
/// the answer is awaited between the request's read and write deadlines.
pub async fn serve_async<R, F>(listener: TcpListener, limits: EndpointLimits, route: R)
where
    R: Fn(String) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = Reply> + Send + 'static,
{
    let listener = Arc::new(listener);
    let route = Arc::new(route);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let silent = Arc::new(Silent::default());
    let accept = move || {
        let l = listener.clone();
        async move { l.accept().await.map(|(sock, _)| sock) }
    };
    accept_loop(
        accept,
        move |sock: TcpStream| {
            let route = route.clone();
            let silent = silent.clone();
            match permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(async move {
                        handle(sock, limits, &*route, &silent).await;
                        drop(permit);
                    });
                }
                // At the cap: the oldest silent connection makes room, if there is one.
                Err(_) if silent.evict_oldest() => {
                    let permits = permits.clone();
                    tokio::spawn(async move {
                        let got =
                            tokio::time::timeout(Duration::from_secs(1), permits.acquire_owned())
                                .await;
                        match got {
                            Ok(Ok(permit)) => {
                                handle(sock, limits, &*route, &silent).await;
                                drop(permit);
                            }
                            _ => {
                                let _ = sock.try_write(BUSY);
                            }
                        }
                    });
                }
                // Every slot is answering: one non-blocking write, no task, then the socket
                // is dropped (a request already received makes that a reset: the client sees
                // an error).
                Err(_) => {
                    let _ = sock.try_write(BUSY);
                }
            }
        },
        ACCEPT_BACKOFF,
    )
    .await
}

/// The connections still waiting for their request head, oldest first, each with the switch
/// that closes it.
#[derive(Default)]
struct Silent {
    next: std::sync::atomic::AtomicU64,
    waiting: Mutex<BTreeMap<u64, oneshot::Sender<()>>>,
}

impl Silent {
    fn enter(&self) -> (u64, oneshot::Receiver<()>) {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(id, tx);
        }
        (id, rx)
    }

    fn leave(&self, id: u64) {
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(&id);
        }
    }

    /// Closes the oldest silent connection; false when there is none.
    fn evict_oldest(&self) -> bool {
        let oldest = self.waiting.lock().ok().and_then(|mut w| w.pop_first());
        match oldest {
            Some((_, close)) => close.send(()).is_ok(),
            None => false,
        }
    }
}

async fn handle<R, F>(mut sock: TcpStream, limits: EndpointLimits, route: &R, silent: &Silent)
where
    R: Fn(String) -> F,
    F: std::future::Future<Output = Reply>,
{
    let read = Duration::from_millis(limits.read_timeout_ms);
    let (id, evicted) = silent.enter();
    let head = tokio::select! {
        h = tokio::time::timeout(read, read_head(&mut sock)) => h,
        _ = evicted => {
            tracing::debug!("endpoint: a silent connection closed to make room");
            return;
        }
    };
    silent.leave(id);
    let Ok(Some(head)) = head else {
        return;
    };
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
    let bytes = if method == "GET" {
        route(path.to_string()).await.encode()
    } else {
        BAD_METHOD.to_vec()
    };
    let write = Duration::from_millis(limits.write_timeout_ms);
    let _ = tokio::time::timeout(write, sock.write_all(&bytes)).await;
}

/// The request line, once the head is complete (or [`MAX_REQUEST_HEAD`] bytes came); None when
/// the client closed first.
async fn read_head(sock: &mut TcpStream) -> Option<String> {
    let mut buf = vec![0u8; MAX_REQUEST_HEAD];
    let mut len = 0;
    while len < buf.len() {
        let n = sock.read(&mut buf[len..]).await.ok()?;
        if n == 0 {
            return None;
        }
        len += n;
        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    Some(head.lines().next().unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start(limits: EndpointLimits) -> std::net::SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(serve(l, limits, |path: &str| match path {
            "/metrics" => Reply::ok("text/plain", "up 1\n".into()),
            _ => Reply::not_found(),
        }));
        addr
    }

    async fn get(addr: std::net::SocketAddr, req: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(req).await;
        let mut out = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out)).await;
        out
    }

    #[tokio::test]
    async fn routes_get_and_refuses_other_methods() {
        let addr = start(EndpointLimits::default()).await;
        let ok = get(addr, b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(
            ok.starts_with("HTTP/1.1 200 OK") && ok.ends_with("up 1\n"),
            "{ok}"
        );
        let nf = get(addr, b"GET /nope HTTP/1.1\r\n\r\n").await;
        assert!(nf.starts_with("HTTP/1.1 404"), "{nf}");
        let post = get(addr, b"POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    }

    /// Issue #27: idle connections held the metrics listener's tasks forever (no read timeout,
    /// no cap); issue #43: at the cap they kept `/health` unanswered, so a liveness probe would
    /// restart a healthy relayer. Now a request at the cap takes the oldest silent
    /// connection's slot, and idle clients are dropped after `read_timeout_ms`.
    #[tokio::test]
    async fn silent_clients_make_room_and_are_timed_out() {
        let limits = EndpointLimits {
            max_connections: 4,
            read_timeout_ms: 300,
            write_timeout_ms: 300,
        };
        let addr = start(limits).await;
        let mut idle = Vec::new();
        for _ in 0..70 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The probe is answered although 70 silent connections came first.
        let ok = get(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        // Every silent one is closed by the server (evicted, refused or timed out).
        for s in &mut idle {
            let mut b = [0u8; 64];
            tokio::time::timeout(Duration::from_secs(5), s.read(&mut b))
                .await
                .expect("idle connection not closed by the server")
                .ok();
        }
        let ok = get(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    }

    /// When every slot is answering (none silent), one more is refused with 503 at once.
    #[tokio::test]
    async fn busy_slots_refuse_with_503() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let limits = EndpointLimits {
            max_connections: 2,
            ..EndpointLimits::default()
        };
        tokio::spawn(serve_async(l, limits, |_path: String| async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            Reply::ok("text/plain", "slow\n".into())
        }));
        let slow: Vec<_> = (0..2)
            .map(|_| tokio::spawn(get(addr, b"GET /x HTTP/1.1\r\n\r\n")))
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut busy = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut busy)).await;
        assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
        for t in slow {
            assert!(t.await.unwrap().ends_with("slow\n"));
        }
    }

    /// A request head longer than MAX_REQUEST_HEAD is cut there, not read forever.
    #[tokio::test]
    async fn long_heads_are_cut() {
        let addr = start(EndpointLimits::default()).await;
        let mut req = b"GET /metrics HTTP/1.1\r\nx: ".to_vec();
        req.extend(std::iter::repeat_n(b'a', 10 * MAX_REQUEST_HEAD));
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(&req).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
    }
}
