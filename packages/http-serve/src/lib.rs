//! An axum router served over HTTP/1.1 by hyper with a connection cap, a header timeout and an
//! idle timeout (issue #27: with none of them, idle sockets locked out every new client of the
//! devnet; issue #43: the blinding service and `bithive web` had the same hole). `axum::serve`
//! has none of the three, hence this accept loop. Used by the devnet's RPC and REST servers,
//! `bithive blinding serve` and `bithive web`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::{Body as HttpBody, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// What the server accepts.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    /// Open connections one peer address (IPv4, or IPv6 /64) may hold (None: no limit beyond
    /// `max_connections`), so one address cannot take every slot and lock everyone else out.
    /// Leave it None where every client shares an address (a devnet on loopback, a service
    /// behind a reverse proxy: cap per client there). Counted per listener.
    pub max_per_address: Option<usize>,
    /// From a connection's first byte of a request (or its opening), the request's headers and
    /// body must arrive within this. None: no limit.
    pub header_timeout: Option<Duration>,
    /// A connection with no request in progress (keep-alive between requests, a stalled answer,
    /// a silent websocket) is closed after this. None: no limit.
    pub idle_timeout: Option<Duration>,
}

/// A connection's slot under `max_connections` (and its address's under `max_per_address`); a
/// websocket keeps it (a request extension carries it into the upgrade) until it closes.
#[derive(Clone)]
pub struct ConnSlot(#[allow(dead_code)] Arc<(OwnedSemaphorePermit, Option<AddressSlot>)>);

/// Open connections per peer address.
type PerAddress = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The address a connection counts against: an IPv4 address (also one mapped into IPv6), or an
/// IPv6 address's /64 (a host or a subscriber usually holds a whole /64, so counting single
/// IPv6 addresses would cap nobody).
fn cap_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One connection counted against its address; uncounted when dropped.
struct AddressSlot {
    table: PerAddress,
    ip: IpAddr,
}

impl AddressSlot {
    /// A slot for `ip`, unless it already holds `max`.
    fn take(table: &PerAddress, ip: IpAddr, max: usize) -> Option<Self> {
        let mut t = table.lock().unwrap_or_else(|p| p.into_inner());
        let n = t.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(&self.ip);
            }
        }
    }
}

/// The body of the `503` a connection over the cap gets (JSON), given the cap.
pub type BusyBody = Arc<dyn Fn(usize) -> String + Send + Sync>;

const IDLE: u8 = 0;
const READING: u8 = 1;
const BUSY: u8 = 2;

/// Where a connection is: waiting (IDLE), receiving a request (READING) or running one (BUSY),
/// and since when (ms after `start`).
struct ConnState {
    start: Instant,
    phase: AtomicU8,
    since_ms: AtomicU64,
}

impl ConnState {
    fn new() -> Self {
        // A new connection is owed its first request: the header timeout runs from accept.
        ConnState {
            start: Instant::now(),
            phase: AtomicU8::new(READING),
            since_ms: AtomicU64::new(0),
        }
    }
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
    fn set(&self, phase: u8) {
        self.since_ms.store(self.now_ms(), Ordering::SeqCst);
        self.phase.store(phase, Ordering::SeqCst);
    }
    /// Bytes moved: an idle connection starts reading a request (reads), or is still
    /// delivering an answer (writes: the idle clock restarts).
    fn activity(&self, read: bool) {
        if self.phase.load(Ordering::SeqCst) == IDLE {
            self.set(if read { READING } else { IDLE });
        }
    }
    fn expired(&self, limits: &Limits) -> bool {
        let limit = match self.phase.load(Ordering::SeqCst) {
            IDLE => limits.idle_timeout,
            READING => limits.header_timeout,
            _ => None,
        };
        let waited = self
            .now_ms()
            .saturating_sub(self.since_ms.load(Ordering::SeqCst));
        limit.is_some_and(|l| u128::from(waited) > l.as_millis())
    }
}

/// The TCP stream, telling `ConnState` when bytes move.
struct Watched {
    inner: TcpStream,
    state: Arc<ConnState>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.state.activity(true);
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.state.activity(false);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that marks the connection BUSY once it has been read to the end: the header
/// timeout covers a body that trickles in, not the work done after it.
struct Marked {
    inner: Incoming,
    state: Arc<ConnState>,
}

impl HttpBody for Marked {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.state.set(BUSY);
        }
        r
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Resolves once `stop` is set (no guard held across awaits).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

const BACKOFF_MIN: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Refusals answered at once (each holds its socket up to about a second).
const MAX_REFUSALS: usize = 64;
/// How long shutdown waits for open connections to finish.
const DRAIN: Duration = Duration::from_secs(5);

/// The connection slots of `limits`: pass the same to several [`serve_with`] calls to cap
/// their connections together (one process, one descriptor limit).
pub fn slots(limits: &Limits) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ))
}

/// Accepts connections until `stop`: at most `max_connections` at once, and at most
/// `max_per_address` from one peer address; one more is answered `503` with `busy` (JSON, given
/// the cap it hit) and closed, so a client learns at once why.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
    busy: BusyBody,
) {
    serve_with(listener, app, limits, slots(&limits), stop, busy).await
}

/// [`serve`] with its connection slots shared with other listeners.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    slots: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    busy: BusyBody,
) {
    let max = limits.max_connections.min(Semaphore::MAX_PERMITS);
    // Refusals hold their socket up to about a second: bounded too, so a flood over the cap
    // cannot use up the descriptors (beyond it a refused socket is dropped at once).
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let per_address: PerAddress = Arc::default();
    let mut backoff = BACKOFF_MIN;
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, peer)) => { backoff = BACKOFF_MIN; (s, peer) }
                // Out of descriptors and the like: wait, never spin (issue #27).
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        // The address's own cap first: a peer at its cap never takes a shared slot.
        let address_slot = match limits.max_per_address {
            None => Ok(None),
            Some(cap) => AddressSlot::take(&per_address, cap_key(peer.ip()), cap)
                .map(Some)
                .ok_or(cap),
        };
        let slot = match address_slot {
            Ok(a) => slots
                .clone()
                .try_acquire_owned()
                .map(|s| (s, a))
                .map_err(|_| max),
            Err(cap) => Err(cap),
        };
        match slot {
            Ok(slot) => {
                let slot = ConnSlot(Arc::new(slot));
                tokio::spawn(connection(
                    stream,
                    peer,
                    app.clone(),
                    slot,
                    limits,
                    stop.clone(),
                ));
            }
            Err(cap) => match refusals.clone().try_acquire_owned() {
                Ok(permit) => {
                    let body = busy(cap);
                    tokio::spawn(async move {
                        refuse(stream, body).await;
                        drop(permit);
                    });
                }
                Err(_) => drop(stream),
            },
        }
    }
    // Every slot back: every connection (websockets included) has closed. (Shared slots: the
    // other listeners' connections too, bounded by DRAIN.)
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(all)).await;
}

async fn connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    slot: ConnSlot,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let state = Arc::new(ConnState::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        state: state.clone(),
    });
    let router = TowerToHyperService::new(app);
    let st = state.clone();
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let st = st.clone();
        let (mut parts, body) = req.into_parts();
        if body.is_end_stream() {
            st.set(BUSY);
        }
        parts.extensions.insert(slot.clone());
        // What `axum::serve(.., into_make_service_with_connect_info)` provides handlers.
        parts.extensions.insert(axum::extract::ConnectInfo(peer));
        let req = hyper::Request::from_parts(
            parts,
            Body::new(Marked {
                inner: body,
                state: st.clone(),
            }),
        );
        let answer = router.call(req);
        async move {
            let r = answer.await;
            st.set(IDLE);
            r
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc)
        .with_upgrades();
    tokio::pin!(conn);
    let tick_every = [limits.header_timeout, limits.idle_timeout]
        .into_iter()
        .flatten()
        .min()
        .map_or(Duration::from_secs(3600), |d| d / 4)
        .max(Duration::from_millis(10));
    let mut tick = tokio::time::interval(tick_every);
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            _ = tick.tick() => if state.expired(&limits) {
                tracing::debug!("connection closed: header or idle timeout");
                return;
            },
            _ = stopped(&mut stop) => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(DRAIN, conn.as_mut()).await;
                return;
            }
        }
    }
}

/// Over the cap: a short `503` with the reason, then close. The request is drained first (a
/// close with unread bytes would reset the connection and lose the answer); all of it bounded.
async fn refuse(mut stream: TcpStream, body: String) {
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut drained = 0usize;
        while drained < 64 * 1024 {
            match stream.read(&mut buf).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// A stop switch for [`serve`] that flips when `shutdown` resolves (a signal, a test's
/// oneshot).
pub fn stop_on(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    rx
}

/// A `503` body in the product servers' error shape: `{"error": "..."}`.
pub fn busy_error() -> BusyBody {
    Arc::new(|max| {
        format!(r#"{{"error":"too many open connections (at most {max}); retry shortly"}}"#)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_subscriber_counts_as_one_address_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(cap_key(a), cap_key(b));
        assert_ne!(cap_key(a), cap_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(cap_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let table: PerAddress = Arc::default();
        let first = AddressSlot::take(&table, cap_key(a), 1).unwrap();
        assert!(AddressSlot::take(&table, cap_key(b), 1).is_none());
        drop(first);
        assert!(AddressSlot::take(&table, cap_key(b), 1).is_some());
    }
}
