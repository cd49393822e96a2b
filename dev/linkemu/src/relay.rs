//! The tokio UDP relay: clients talk to the emulator's address, which forwards to one upstream
//! server through the "up" link model and returns the server's packets through the "down" model.
//! All flows share the same two bottlenecks (so competing flows really compete).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch, Mutex};
use tokio::task::JoinHandle;

use crate::model::{LinkConfig, LinkModel, Verdict};

/// Packet counters of both directions.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub forwarded: AtomicU64,
    pub dropped_random: AtomicU64,
    pub dropped_queue: AtomicU64,
    pub bytes_forwarded: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStatsSnapshot {
    pub forwarded: u64,
    pub dropped_random: u64,
    pub dropped_queue: u64,
    pub bytes_forwarded: u64,
}

impl LinkStats {
    pub fn snapshot(&self) -> LinkStatsSnapshot {
        LinkStatsSnapshot {
            forwarded: self.forwarded.load(Ordering::Relaxed),
            dropped_random: self.dropped_random.load(Ordering::Relaxed),
            dropped_queue: self.dropped_queue.load(Ordering::Relaxed),
            bytes_forwarded: self.bytes_forwarded.load(Ordering::Relaxed),
        }
    }
}

/// Where a delayed packet goes: out of `socket` to `to`.
struct Outgoing {
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    data: Vec<u8>,
}

/// Packets handed to a direction's scheduler: arrival time, packet.
type PipeTx = mpsc::Sender<(Instant, Outgoing)>;

/// A running emulator; dropping it (or `shutdown`) stops all its tasks.
pub struct LinkEmulator {
    local: SocketAddr,
    stats: Arc<LinkStats>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    reconfig: [mpsc::UnboundedSender<LinkConfig>; 2],
}

impl LinkEmulator {
    /// Listen on `listen` (e.g. `127.0.0.1:0`) and relay to `upstream`.
    pub async fn start(
        listen: SocketAddr,
        upstream: SocketAddr,
        up: LinkConfig,
        down: LinkConfig,
    ) -> io::Result<Self> {
        let front = Arc::new(bind_udp(listen)?);
        let local = front.local_addr()?;
        let stats = Arc::new(LinkStats::default());
        let (stop, stop_rx) = watch::channel(false);
        let (up_tx, up_cfg, up_task) = spawn_pipe(up, stats.clone(), stop_rx.clone());
        let (down_tx, down_cfg, down_task) = spawn_pipe(down, stats.clone(), stop_rx.clone());
        let front_task = tokio::spawn(front_loop(front, upstream, up_tx, down_tx, stop_rx));
        Ok(Self {
            local,
            stats,
            stop,
            tasks: vec![up_task, down_task, front_task],
            reconfig: [up_cfg, down_cfg],
        })
    }

    /// The address clients should send to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn stats(&self) -> LinkStatsSnapshot {
        self.stats.snapshot()
    }

    /// Replace both directions' models (e.g. to cut the link: `loss = 1.0`).
    pub fn reconfigure(&self, up: LinkConfig, down: LinkConfig) {
        let _ = self.reconfig[0].send(up);
        let _ = self.reconfig[1].send(down);
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for LinkEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

const MAX_DATAGRAM: usize = 65_536;
/// Bound on packets waiting between the socket readers and a scheduler.
const PIPE_CHANNEL: usize = 16_384;

async fn front_loop(
    front: Arc<UdpSocket>,
    upstream: SocketAddr,
    up: PipeTx,
    down: PipeTx,
    mut stop: watch::Receiver<bool>,
) {
    // One upstream socket per client address (a tiny NAT), each with its own reader task.
    let flows: Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>> = Arc::default();
    let mut readers = Vec::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, from) = tokio::select! {
            r = front.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    // ICMP-style errors from a closed peer surface here on some systems.
                    tracing::debug!("link emulator front recv: {e}");
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let now = Instant::now();
        let socket = {
            let mut map = flows.lock().await;
            match map.get(&from) {
                Some(s) => s.clone(),
                None => {
                    let Ok(s) = UdpSocket::bind("127.0.0.1:0").await else {
                        continue;
                    };
                    let s = Arc::new(s);
                    map.insert(from, s.clone());
                    readers.push(tokio::spawn(back_loop(
                        s.clone(),
                        front.clone(),
                        from,
                        down.clone(),
                        stop.clone(),
                    )));
                    s
                }
            }
        };
        let out = Outgoing {
            socket,
            to: upstream,
            data: buf[..len].to_vec(),
        };
        if up.try_send((now, out)).is_err() {
            tracing::debug!("link emulator up channel full");
        }
    }
    for r in readers {
        r.abort();
    }
}

async fn back_loop(
    socket: Arc<UdpSocket>,
    front: Arc<UdpSocket>,
    client: SocketAddr,
    down: PipeTx,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let len = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((len, _)) => len,
                Err(_) => continue,
            },
            _ = stop.changed() => break,
        };
        let out = Outgoing {
            socket: front.clone(),
            to: client,
            data: buf[..len].to_vec(),
        };
        if down.try_send((Instant::now(), out)).is_err() {
            tracing::debug!("link emulator down channel full");
        }
    }
}

fn spawn_pipe(
    cfg: LinkConfig,
    stats: Arc<LinkStats>,
    stop: watch::Receiver<bool>,
) -> (PipeTx, mpsc::UnboundedSender<LinkConfig>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(PIPE_CHANNEL);
    let (cfg_tx, cfg_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(pipe_loop(LinkModel::new(cfg), rx, cfg_rx, stats, stop));
    (tx, cfg_tx, task)
}

/// Scheduler of one direction: applies the model and releases packets at their delivery time.
async fn pipe_loop(
    mut model: LinkModel,
    mut rx: mpsc::Receiver<(Instant, Outgoing)>,
    mut cfg_rx: mpsc::UnboundedReceiver<LinkConfig>,
    stats: Arc<LinkStats>,
    mut stop: watch::Receiver<bool>,
) {
    // (deliver at, sequence for FIFO among equal times) -> packet
    let mut heap: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut pending: HashMap<u64, Outgoing> = HashMap::new();
    let mut seq = 0u64;
    loop {
        let next = heap.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            msg = rx.recv() => {
                let Some((arrived, out)) = msg else { break };
                match model.on_packet(arrived, out.data.len()) {
                    Verdict::Deliver(at) => {
                        seq += 1;
                        heap.push(Reverse((at, seq)));
                        pending.insert(seq, out);
                    }
                    Verdict::DropRandom => {
                        stats.dropped_random.fetch_add(1, Ordering::Relaxed);
                    }
                    Verdict::DropQueue => {
                        stats.dropped_queue.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Some(cfg) = cfg_rx.recv() => {
                model = LinkModel::new(cfg);
            }
            _ = sleep_until_opt(next) => {}
            _ = stop.changed() => break,
        }
        let now = Instant::now();
        while let Some(Reverse((at, id))) = heap.peek().copied() {
            if at > now {
                break;
            }
            heap.pop();
            if let Some(out) = pending.remove(&id) {
                stats.forwarded.fetch_add(1, Ordering::Relaxed);
                stats
                    .bytes_forwarded
                    .fetch_add(out.data.len() as u64, Ordering::Relaxed);
                // tokio reports WouldBlock until write readiness is first observed: await then.
                if out.socket.try_send_to(&out.data, out.to).is_err() {
                    let _ = out.socket.send_to(&out.data, out.to).await;
                }
            }
        }
    }
}

/// Socket buffers large enough for a 100 Mbit/s burst (the kernel caps them at rmem_max).
const SOCKET_BUFFER: usize = 4 << 20;

/// Bind a non-blocking UDP socket with large buffers.
pub fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = s.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = s.set_send_buffer_size(SOCKET_BUFFER);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    UdpSocket::from_std(s.into())
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
