//! Throughput measurements through the link emulator (used by the `bitchat-bench` binary and a
//! small smoke test). Each run builds fresh endpoints and a fresh emulator.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use bithive_bitchat_cc::jain;
use bithive_linkemu::{LinkConfig, LinkEmulator};
use quinn::Endpoint;
use tokio::sync::oneshot;

use crate::error::BitChatError;
use crate::transport::{endpoint, CongestionChoice, NodeCert};

/// One cell of the benchmark matrix.
#[derive(Debug, Clone, Copy)]
pub struct LinkParams {
    pub rtt: Duration,
    pub loss: f64,
    pub rate_bps: u64,
}

impl LinkParams {
    /// Data direction: delay, random loss, rate, one-BDP drop-tail queue.
    pub fn up(&self, seed: u64) -> LinkConfig {
        LinkConfig::symmetric(self.rtt, self.rate_bps, self.loss, seed)
    }
    /// ACK direction: same delay and rate, no random loss.
    pub fn down(&self, seed: u64) -> LinkConfig {
        LinkConfig::symmetric(self.rtt, self.rate_bps, 0.0, seed ^ 0x5a5a)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TransferResult {
    pub cc: CongestionChoice,
    pub delivered: u64,
    pub elapsed: Duration,
    pub completed: bool,
}

impl TransferResult {
    /// Goodput in bits per second.
    pub fn goodput_bps(&self) -> f64 {
        self.delivered as f64 * 8.0 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

const LOCAL: &str = "127.0.0.1:0";

fn local() -> SocketAddr {
    // The constant always parses.
    LOCAL
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Receiver: counts the bytes of every uni stream of every connection; per-connection counters
/// are returned in accept order.
fn spawn_sink(
    ep: Endpoint,
    counters: Vec<Arc<AtomicU64>>,
    done: Option<(u64, oneshot::Sender<Instant>)>,
) {
    tokio::spawn(async move {
        let mut done = done;
        let (done_tx_target, mut done_tx) = match done.take() {
            Some((n, tx)) => (n, Some(tx)),
            None => (u64::MAX, None),
        };
        for counter in counters {
            let Some(incoming) = ep.accept().await else {
                return;
            };
            let done_tx = done_tx.take();
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                let Ok(mut recv) = conn.accept_uni().await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(Some(n)) = recv.read(&mut buf).await {
                    let total = counter.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
                    if total >= done_tx_target {
                        break;
                    }
                }
                if let Some(tx) = done_tx {
                    let _ = tx.send(Instant::now());
                }
                // Keep the connection until the sender closes it.
                conn.closed().await;
            });
        }
    });
}

async fn send_bytes(
    ep: &Endpoint,
    to: SocketAddr,
    limit: u64,
) -> Result<quinn::Connection, BitChatError> {
    let conn = ep.connect(to, "bitchat.node")?.await?;
    write_stream(&conn, limit).await?;
    Ok(conn)
}

/// Writes `size` bytes on a new unidirectional stream of `conn`, then finishes the stream.
async fn write_stream(conn: &quinn::Connection, size: u64) -> Result<(), BitChatError> {
    let mut send = conn.open_uni().await?;
    let buf = vec![0xa5u8; 64 * 1024];
    let mut sent = 0u64;
    while sent < size {
        let n = (size - sent).min(buf.len() as u64) as usize;
        send.write_all(&buf[..n]).await?;
        sent += n as u64;
    }
    send.finish()?;
    Ok(())
}

/// A receiving endpoint with controller `cc` behind an emulator of `link`.
async fn behind_link(
    link: LinkParams,
    cert: &NodeCert,
    cc: CongestionChoice,
    seed: u64,
) -> Result<(Endpoint, LinkEmulator), BitChatError> {
    let server = endpoint(local(), cert, cc)?;
    let emu = LinkEmulator::start(
        local(),
        server.local_addr()?,
        link.up(seed),
        link.down(seed),
    )
    .await?;
    Ok((server, emu))
}

/// Transfer `size` bytes over `link` with controller `cc`; gives up after `cap`.
pub async fn single_transfer(
    link: LinkParams,
    cc: CongestionChoice,
    size: u64,
    cap: Duration,
    seed: u64,
) -> Result<TransferResult, BitChatError> {
    let cert = NodeCert::generate()?;
    let (server, emu) = behind_link(link, &cert, cc, seed).await?;
    let counter = Arc::new(AtomicU64::new(0));
    let (tx, rx) = oneshot::channel();
    spawn_sink(server.clone(), vec![counter.clone()], Some((size, tx)));
    let client = endpoint(local(), &cert, cc)?;
    let to = emu.local_addr();
    // Handshake first, so the clock measures the transfer only.
    let conn = client.connect(to, "bitchat.node")?.await?;
    let start = Instant::now();
    let sender = tokio::spawn(async move {
        write_stream(&conn, size).await?;
        conn.closed().await;
        Ok::<(), BitChatError>(())
    });
    let result = match tokio::time::timeout(cap, rx).await {
        Ok(Ok(end)) => TransferResult {
            cc,
            delivered: counter.load(Ordering::Relaxed),
            elapsed: end.saturating_duration_since(start),
            completed: true,
        },
        _ => TransferResult {
            cc,
            delivered: counter.load(Ordering::Relaxed),
            elapsed: start.elapsed(),
            completed: false,
        },
    };
    sender.abort();
    client.close(0u32.into(), b"done");
    server.close(0u32.into(), b"done");
    emu.shutdown().await;
    Ok(result)
}

/// Two flows with controllers `ccs` share the bottleneck for `duration`; goodput (bit/s) of each
/// is measured after `warmup`.
pub async fn competing(
    link: LinkParams,
    ccs: [CongestionChoice; 2],
    duration: Duration,
    warmup: Duration,
    seed: u64,
) -> Result<[f64; 2], BitChatError> {
    let cert = NodeCert::generate()?;
    // The receiver's controller only paces ACK-only traffic; use the first flow's.
    let (server, emu) = behind_link(link, &cert, ccs[0], seed).await?;
    let counters: Vec<Arc<AtomicU64>> = (0..2).map(|_| Arc::new(AtomicU64::new(0))).collect();
    spawn_sink(server.clone(), counters.clone(), None);
    let to = emu.local_addr();
    let mut clients = Vec::new();
    let mut tasks = Vec::new();
    for cc in ccs {
        let client = endpoint(local(), &cert, cc)?;
        let c = client.clone();
        tasks.push(tokio::spawn(
            async move { send_bytes(&c, to, u64::MAX).await },
        ));
        clients.push(client);
        // Serialize accepts so counters[i] belongs to flow i.
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2) {
            let idx = clients.len() - 1;
            if counters[idx].load(Ordering::Relaxed) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    tokio::time::sleep(warmup).await;
    let a: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let t = Instant::now();
    tokio::time::sleep(duration.saturating_sub(warmup)).await;
    let secs = t.elapsed().as_secs_f64();
    let b: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    for t in tasks {
        t.abort();
    }
    for c in clients {
        c.close(0u32.into(), b"done");
    }
    server.close(0u32.into(), b"done");
    emu.shutdown().await;
    Ok([
        (b[0] - a[0]) as f64 * 8.0 / secs,
        (b[1] - a[1]) as f64 * 8.0 / secs,
    ])
}
