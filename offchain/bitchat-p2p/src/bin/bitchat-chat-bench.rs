//! How fast BitChat's chat carrier over libp2p ([`bithive_bitchat_p2p::chat::P2pCarrier`])
//! delivers, beside plain QUIC (quinn, TLS 1.3, Cubic: one uni stream per message) on the same
//! loopback, same run:
//! - time to first message between two people behind relays who have never met: the DHT
//!   lookup, the relayed dial and the sealed payload (reference: a fresh QUIC connection and its
//!   first message), and to a public node (a direct dial);
//! - latency p50/p99 of 1 KiB messages on an established direct path (after hole punching),
//!   one every 100 ms;
//! - fan-out: one 1 KiB payload (the size of a group's MLS message) to each of N members, one
//!   after another and side by side as the chat client sends, all connected already (reference:
//!   N QUIC connections). The members are spread over one relay per 25 of them, as a large
//!   group's members are over their own relays.
//!
//! Every BitChat figure is the whole carrier path: seal (Noise X), libp2p request-response,
//! the receiver's open, card check and replay filter (its file written), queue hand-over.
//!
//! `cargo run --release -p bithive-bitchat-p2p --features bench --bin bitchat-chat-bench
//!  [-- --members N --messages M]` (100 members by default). A relay lets one peer open 30
//!  circuits per 2 minutes (libp2p's defaults, kept: they bound what one peer costs a relay):
//!  a sender reaching 100 members behind one relay would wait minutes, so the members sit behind
//!  `ceil(N / 25)` relays.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bithive_bitchat::chat::{Carried, Carrier};
use bithive_bitchat::transport::{endpoint, NodeCert};
use bithive_bitchat::{AccountId, CongestionChoice};
use bithive_bitchat_p2p::chat::P2pCarrier;
use bithive_bitchat_p2p::record::AddrPolicy;
use bithive_bitchat_p2p::{Multiaddr, P2pConfig, P2pEvent, P2pNode, Protocol};
use tokio::sync::mpsc;

const PAYLOAD: usize = 1024;
const WAIT: Duration = Duration::from_secs(60);
/// Between two latency samples: a person's pace, and under the 128 envelopes per 10 s a
/// receiver takes from one sender.
const PACE: Duration = Duration::from_millis(100);
/// Fresh pairs measured for the time to first message.
const FIRSTS: usize = 5;
/// Members behind one relay in the fan-out: under the 30 circuits per 2 minutes a relay lets
/// one peer open (the sender opens one to each member, and the first-message pairs some).
const MEMBERS_PER_RELAY: usize = 25;

fn arg(name: &str, default: usize) -> Result<usize> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context(format!("{name} N"))?
            .parse()
            .context(name.to_string()),
        None => Ok(default),
    }
}

fn loopback_config(public: bool, bootstrap: Vec<Multiaddr>) -> P2pConfig {
    on_loopback(1, public, bootstrap)
}

/// A node on 127.0.0.`host` (all of 127/8 is loopback on Linux).
fn on_loopback(host: u8, public: bool, bootstrap: Vec<Multiaddr>) -> P2pConfig {
    let mut c = P2pConfig::new(
        format!("/ip4/127.0.0.{host}/udp/0/quic-v1")
            .parse()
            .expect("multiaddr"),
    );
    c.public = public;
    c.bootstrap = bootstrap;
    c.addr_policy = AddrPolicy {
        allow_loopback: true,
    };
    c
}

fn secret(n: u32) -> [u8; 32] {
    let mut s = [7u8; 32];
    s[..4].copy_from_slice(&n.to_be_bytes());
    s
}

/// One person: a carrier, and a task timing what arrives.
struct Person {
    id: AccountId,
    carrier: Arc<P2pCarrier>,
    arrivals: mpsc::UnboundedReceiver<(Vec<u8>, Instant)>,
    _dir: tempfile::TempDir,
}

impl Person {
    async fn start(n: u32, config: P2pConfig) -> Result<(Self, mpsc::Receiver<P2pEvent>)> {
        let s = secret(n);
        let node = P2pNode::start(&s, config).await?;
        let dir = tempfile::tempdir()?;
        let carrier = Arc::new(P2pCarrier::new(&s, node, Some(dir.path()))?);
        let notices = carrier.take_notices().context("notices")?;
        let (tx, arrivals) = mpsc::unbounded_channel();
        {
            let carrier = carrier.clone();
            tokio::spawn(async move {
                loop {
                    let open = match carrier.recv(Duration::from_secs(1)).await {
                        Some(Carried::Payload { body, taken, .. }) => {
                            taken.done();
                            tx.send((body, Instant::now())).is_ok()
                        }
                        Some(Carried::Refused { reason, .. }) => {
                            eprintln!("refused: {reason}");
                            true
                        }
                        None => true,
                    };
                    if !open {
                        return;
                    }
                }
            });
        }
        Ok((
            Self {
                id: carrier.account_id(),
                carrier,
                arrivals,
                _dir: dir,
            },
            notices,
        ))
    }

    /// A person behind the relay at `boot`, once its record is published.
    async fn private(n: u32, boot: &Multiaddr) -> Result<(Self, mpsc::Receiver<P2pEvent>)> {
        Self::published(n, loopback_config(false, vec![boot.clone()])).await
    }

    /// A person started with `config`, once its record is published.
    async fn published(n: u32, config: P2pConfig) -> Result<(Self, mpsc::Receiver<P2pEvent>)> {
        let (p, mut notices) = Self::start(n, config).await?;
        tokio::time::timeout(WAIT, async {
            while !matches!(notices.recv().await, Some(P2pEvent::Published { .. })) {}
        })
        .await
        .context("publication")?;
        Ok((p, notices))
    }

    async fn arrival(&mut self) -> Result<(Vec<u8>, Instant)> {
        tokio::time::timeout(WAIT, self.arrivals.recv())
            .await
            .context("no arrival")?
            .context("receiver stopped")
    }
}

fn message(i: usize) -> Vec<u8> {
    let mut m = vec![0x5au8; PAYLOAD];
    m[..8].copy_from_slice(&(i as u64).to_be_bytes());
    m
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Plain QUIC: a server endpoint whose accepted uni streams are timed on arrival.
async fn quic_server(
    cert: &NodeCert,
) -> Result<(quinn::Endpoint, mpsc::UnboundedReceiver<Instant>)> {
    let ep = endpoint(([127, 0, 0, 1], 0).into(), cert, CongestionChoice::Cubic)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let server = ep.clone();
    tokio::spawn(async move {
        while let Some(incoming) = server.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                while let Ok(mut r) = conn.accept_uni().await {
                    if r.read_to_end(PAYLOAD * 2).await.is_ok() && tx.send(Instant::now()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok((ep, rx))
}

async fn quic_send(conn: &quinn::Connection, body: &[u8]) -> Result<()> {
    let mut s = conn.open_uni().await?;
    s.write_all(body).await?;
    s.finish()?;
    Ok(())
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Instant>) -> Result<Instant> {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .context("no arrival")?
        .context("server stopped")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // Warnings and errors only, unless RUST_LOG asks for more (e.g. `bithive_bitchat_p2p=info`).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let members = arg("--members", 100)?;
    let messages = arg("--messages", 200)?;
    let cert = NodeCert::generate()?;

    // The public node: DHT server and relay.
    let mut relay = P2pNode::start(&secret(0), loopback_config(true, vec![])).await?;
    let addr = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(P2pEvent::Listening(a)) = relay.next_event().await {
                return a;
            }
        }
    })
    .await
    .context("relay listening")?;
    let boot = addr.with(Protocol::P2p(relay.peer_id()));
    tokio::spawn(async move { while relay.next_event().await.is_some() {} });

    // 1. Time to first message: fresh pairs who have never met.
    let mut relayed = Vec::new();
    let mut direct = Vec::new();
    let mut quic_first = Vec::new();
    let mut next_id = 1u32;
    for _ in 0..FIRSTS {
        let (a, _an) = Person::private(next_id, &boot).await?;
        let (mut b, _bn) = Person::private(next_id + 1, &boot).await?;
        let t0 = Instant::now();
        a.carrier.send_payload(b.id, &message(0)).await?;
        relayed.push(b.arrival().await?.1 - t0);
        // Bob's relay knows him, but Alice asks the DHT for a public node's record and dials it.
        let (mut p, _pn) =
            Person::published(next_id + 2, loopback_config(true, vec![boot.clone()])).await?;
        let t0 = Instant::now();
        a.carrier.send_payload(p.id, &message(0)).await?;
        direct.push(p.arrival().await?.1 - t0);
        p.arrivals.close();
        next_id += 3;

        let (server, mut arrivals) = quic_server(&cert).await?;
        let client = endpoint(([127, 0, 0, 1], 0).into(), &cert, CongestionChoice::Cubic)?;
        let to: SocketAddr = server.local_addr()?;
        let t0 = Instant::now();
        let conn = client.connect(to, "bitchat.node")?.await?;
        quic_send(&conn, &message(0)).await?;
        quic_first.push(next(&mut arrivals).await? - t0);
        conn.close(0u32.into(), b"done");
    }

    // 2. Latency on an established direct path.
    let (a, mut an) = Person::private(next_id, &boot).await?;
    let (mut b, mut bn) = Person::private(next_id + 1, &boot).await?;
    next_id += 2;
    a.carrier.send_payload(b.id, &message(0)).await?;
    b.arrival().await?;
    // Either side may say so first.
    let punched = tokio::time::timeout(WAIT, async {
        loop {
            let e = tokio::select! {
                e = an.recv() => e,
                e = bn.recv() => e,
            };
            match e {
                Some(P2pEvent::Direct { .. }) => return true,
                Some(P2pEvent::PunchFailed { .. }) | None => return false,
                _ => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    if !punched {
        bail!("no direct path between the two on loopback");
    }
    let mut p2p_lat = Vec::new();
    for i in 0..messages {
        tokio::time::sleep(PACE).await;
        let t0 = Instant::now();
        a.carrier.send_payload(b.id, &message(i)).await?;
        let (body, at) = b.arrival().await?;
        if body != message(i) {
            bail!("message {i} arrived wrong");
        }
        p2p_lat.push(at - t0);
    }
    let (server, mut arrivals) = quic_server(&cert).await?;
    let client = endpoint(([127, 0, 0, 1], 0).into(), &cert, CongestionChoice::Cubic)?;
    let conn = client
        .connect(server.local_addr()?, "bitchat.node")?
        .await?;
    let mut quic_lat = Vec::new();
    for i in 0..messages {
        tokio::time::sleep(PACE).await;
        let t0 = Instant::now();
        quic_send(&conn, &message(i)).await?;
        quic_lat.push(next(&mut arrivals).await? - t0);
    }

    // 3. Fan-out to N members, all connected already, behind a relay per 25 of them (each
    //    relay in the same DHT).
    let relays = members.div_ceil(MEMBERS_PER_RELAY).max(1);
    eprintln!("starting {members} members behind {relays} relays ...");
    let mut relay_addrs = vec![boot.clone()];
    for r in 1..relays {
        let mut extra = P2pNode::start(
            &secret(1_000_000 + r as u32),
            loopback_config(true, vec![boot.clone()]),
        )
        .await?;
        let addr = tokio::time::timeout(WAIT, async {
            loop {
                if let Some(P2pEvent::Listening(a)) = extra.next_event().await {
                    return a;
                }
            }
        })
        .await
        .with_context(|| format!("relay {r} listening"))?;
        relay_addrs.push(addr.with(Protocol::P2p(extra.peer_id())));
        tokio::spawn(async move { while extra.next_event().await.is_some() {} });
    }
    let mut group = Vec::new();
    for i in 0..members {
        // The relay limits reservations per IP (libp2p's defaults): each member on an address
        // of its own, as people behind their own NATs are.
        let host = 10 + (i % 240) as u8;
        let relay = relay_addrs[i / MEMBERS_PER_RELAY % relays].clone();
        group.push(
            Person::published(next_id + i as u32, on_loopback(host, false, vec![relay]))
                .await
                .with_context(|| format!("member {i}"))?
                .0,
        );
    }
    // Connected one at a time, each punched before the next, so the sender holds one relay
    // circuit at a time (a relay's limits: 16 at once, 30 per 2 minutes per peer).
    for m in group.iter_mut() {
        a.carrier.send_payload(m.id, &message(0)).await?;
        m.arrival().await?;
        let id = m.id;
        let _ =
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match an.recv().await {
                        Some(
                            P2pEvent::Direct { account } | P2pEvent::PunchFailed { account, .. },
                        ) if account == id => return,
                        None => return,
                        _ => {}
                    }
                }
            })
            .await;
    }
    let t0 = Instant::now();
    for m in &group {
        a.carrier.send_payload(m.id, &message(1)).await?;
    }
    let mut last = t0;
    for m in group.iter_mut() {
        last = last.max(m.arrival().await?.1);
    }
    let p2p_fan = last - t0;
    // Side by side, as the chat client dispatches a group message (a lane per member).
    let side = message(2);
    let t0 = Instant::now();
    futures::future::try_join_all(group.iter().map(|m| a.carrier.send_payload(m.id, &side)))
        .await?;
    let mut last = t0;
    for m in group.iter_mut() {
        last = last.max(m.arrival().await?.1);
    }
    let p2p_fan_side = last - t0;
    let (server, mut arrivals) = quic_server(&cert).await?;
    let mut conns = Vec::new();
    for _ in 0..members {
        let c = endpoint(([127, 0, 0, 1], 0).into(), &cert, CongestionChoice::Cubic)?;
        conns.push(c.connect(server.local_addr()?, "bitchat.node")?.await?);
    }
    let t0 = Instant::now();
    for c in &conns {
        quic_send(c, &message(1)).await?;
    }
    let mut last = t0;
    for _ in 0..members {
        last = last.max(next(&mut arrivals).await?);
    }
    let quic_fan = last - t0;
    let t0 = Instant::now();
    futures::future::try_join_all(conns.iter().map(|c| quic_send(c, &side))).await?;
    let mut last = t0;
    for _ in 0..members {
        last = last.max(next(&mut arrivals).await?);
    }
    let quic_fan_side = last - t0;

    let first_relayed = pct(&mut relayed, 0.5);
    let first_direct = pct(&mut direct, 0.5);
    let first_quic = pct(&mut quic_first, 0.5);
    println!("Loopback, {PAYLOAD}-byte messages; time to first message: median of {FIRSTS} fresh pairs; latency: {messages} messages, one every {} ms; fan-out: {members} members behind {relays} relays.\n", PACE.as_millis());
    println!("| measure | BitChat over libp2p ms | plain QUIC ms | ratio |");
    println!("|---|---|---|---|");
    let row = |what: &str, p2p: Duration, quic: Duration| {
        println!(
            "| {what} | {:.2} | {:.2} | {:.1} |",
            ms(p2p),
            ms(quic),
            p2p.as_secs_f64() / quic.as_secs_f64()
        );
    };
    row(
        "first message, strangers behind relays (DHT lookup, relayed dial)",
        first_relayed,
        first_quic,
    );
    row(
        "first message to a public node (DHT lookup, direct dial)",
        first_direct,
        first_quic,
    );
    row(
        "latency p50, direct path",
        pct(&mut p2p_lat, 0.5),
        pct(&mut quic_lat, 0.5),
    );
    row(
        "latency p99, direct path",
        pct(&mut p2p_lat, 0.99),
        pct(&mut quic_lat, 0.99),
    );
    row(
        &format!("fan-out to {members} members, one after another"),
        p2p_fan,
        quic_fan,
    );
    row(
        &format!("fan-out to {members} members, side by side (the chat client's dispatch)"),
        p2p_fan_side,
        quic_fan_side,
    );
    Ok(())
}
