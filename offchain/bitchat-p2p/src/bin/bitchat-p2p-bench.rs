//! What the libp2p data path costs BitChat: libp2p-quic builds quinn's transport itself and
//! offers no hook for a congestion controller, so envelopes sent through [`bithive_bitchat_p2p`]
//! travel under quinn's default (Cubic), not the BitChat controller. This measures the goodput
//! of 8 MiB of envelopes (32 of 256 KiB over the envelope protocol on libp2p-quic, pipelined:
//! two bandwidth-delay products plus two envelopes in flight; only envelopes the
//! receiver has whole count) through the link emulator, beside BitChat's own transport with its
//! controller and quinn with Cubic (one stream, every byte counts), same cells, same run.
//!
//! `cargo run --release -p bithive-bitchat-p2p --features bench --bin bitchat-p2p-bench [-- --quick]`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bithive_bitchat::bench::{single_transfer, LinkParams};
use bithive_bitchat::CongestionChoice;
use bithive_bitchat_p2p::codec::{Ack, EnvelopeCodec, MAX_ENVELOPE_BYTES, PROTOCOL};
use bithive_linkemu::LinkEmulator;
use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, Swarm};

const SIZE: u64 = 8 << 20;
const CAP: Duration = Duration::from_secs(10);

type Rr = request_response::Behaviour<EnvelopeCodec>;

fn swarm(secret: u8) -> Result<Swarm<Rr>> {
    let kp = bithive_bitchat_p2p::identity::keypair_from_secret(&[secret; 32])?;
    Ok(libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_quic()
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                EnvelopeCodec,
                [(PROTOCOL, ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(CAP * 2)
                    .with_max_concurrent_streams(256),
            )
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build())
}

/// Goodput (bit/s) of SIZE bytes of envelopes through the libp2p envelope protocol over `link`,
/// and whether all arrived within CAP.
async fn libp2p_transfer(link: LinkParams, seed: u64) -> Result<(f64, bool)> {
    let mut server = swarm(1)?;
    server.listen_on("/ip4/127.0.0.1/udp/0/quic-v1".parse()?)?;
    let listen = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = server.select_next_some().await {
            break address;
        }
    };
    let port = listen
        .iter()
        .find_map(|p| match p {
            Protocol::Udp(port) => Some(port),
            _ => None,
        })
        .context("udp port")?;
    let upstream: SocketAddr = ([127, 0, 0, 1], port).into();
    let emu = LinkEmulator::start(
        ([127, 0, 0, 1], 0).into(),
        upstream,
        link.up(seed),
        link.down(seed),
    )
    .await?;
    let server_peer = *server.local_peer_id();
    // The server answers every envelope and counts the bytes.
    let counted = tokio::spawn(async move {
        let mut got = 0u64;
        loop {
            if let SwarmEvent::Behaviour(request_response::Event::Message {
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            }) = server.select_next_some().await
            {
                got += request.len() as u64;
                let _ = server.behaviour_mut().send_response(channel, Ack::Accepted);
                if got >= SIZE {
                    // Keep answering until the client is gone.
                    loop {
                        server.select_next_some().await;
                    }
                }
            }
        }
    });
    let mut client = swarm(2)?;
    client.listen_on("/ip4/127.0.0.1/udp/0/quic-v1".parse()?)?;
    let to: Multiaddr = format!(
        "/ip4/127.0.0.1/udp/{}/quic-v1/p2p/{server_peer}",
        emu.local_addr().port()
    )
    .parse()?;
    client.dial(to)?;
    // Handshake first, so the clock measures the transfer only.
    loop {
        match client.select_next_some().await {
            SwarmEvent::ConnectionEstablished { .. } => break,
            SwarmEvent::OutgoingConnectionError { error, .. } => bail!("dial: {error}"),
            _ => {}
        }
    }
    let n = (SIZE as usize).div_ceil(MAX_ENVELOPE_BYTES);
    let bdp = (link.rate_bps as f64 / 8.0 * link.rtt.as_secs_f64()) as usize;
    let window = (2 * bdp).div_ceil(MAX_ENVELOPE_BYTES) + 2;
    let start = Instant::now();
    let mut sent = 0usize;
    while sent < n.min(window) {
        client
            .behaviour_mut()
            .send_request(&server_peer, vec![0xa5u8; MAX_ENVELOPE_BYTES]);
        sent += 1;
    }
    let mut acked = 0usize;
    let done = tokio::time::timeout(CAP, async {
        while acked < n {
            match client.select_next_some().await {
                SwarmEvent::Behaviour(request_response::Event::Message {
                    message: request_response::Message::Response { .. },
                    ..
                }) => {
                    acked += 1;
                    if sent < n {
                        client
                            .behaviour_mut()
                            .send_request(&server_peer, vec![0xa5u8; MAX_ENVELOPE_BYTES]);
                        sent += 1;
                    }
                }
                SwarmEvent::Behaviour(request_response::Event::OutboundFailure {
                    error, ..
                }) => {
                    bail!("envelope failed: {error}")
                }
                _ => {}
            }
        }
        Ok(())
    })
    .await;
    let elapsed = start.elapsed();
    counted.abort();
    emu.shutdown().await;
    let completed = matches!(done, Ok(Ok(())));
    if let Ok(Err(e)) = done {
        return Err(e);
    }
    let bytes = (acked * MAX_ENVELOPE_BYTES) as f64;
    Ok((bytes * 8.0 / elapsed.as_secs_f64(), completed))
}

fn mbit(bps: f64) -> f64 {
    bps / 1e6
}

#[tokio::main]
async fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rtts, losses, rates): (Vec<u64>, Vec<f64>, Vec<u64>) = if quick {
        (vec![100], vec![0.0, 0.01, 0.05], vec![20])
    } else {
        (vec![50, 100], vec![0.0, 0.01, 0.05], vec![20, 100])
    };
    println!("Transfer of {} MiB per run, cap {} s (`>` = not finished: goodput of what arrived); loss on the data direction.\n", SIZE >> 20, CAP.as_secs());
    println!("| RTT ms | loss % | Mbit/s | libp2p path Mbit/s | BitChat transport Mbit/s | quinn Cubic Mbit/s | libp2p / BitChat | libp2p / Cubic |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut seed = 1u64;
    for &rate in &rates {
        for &rtt in &rtts {
            for &loss in &losses {
                seed += 1;
                let link = LinkParams {
                    rtt: Duration::from_millis(rtt),
                    loss,
                    rate_bps: rate * 1_000_000,
                };
                let (p2p, p2p_done) = libp2p_transfer(link, seed).await?;
                let own = single_transfer(link, CongestionChoice::BitChat, SIZE, CAP, seed).await?;
                let cubic = single_transfer(link, CongestionChoice::Cubic, SIZE, CAP, seed).await?;
                let mark = |done: bool| if done { "" } else { ">" };
                println!(
                    "| {rtt} | {} | {rate} | {}{:.1} | {}{:.1} | {}{:.1} | {:.2} | {:.2} |",
                    loss * 100.0,
                    mark(p2p_done),
                    mbit(p2p),
                    mark(own.completed),
                    mbit(own.goodput_bps()),
                    mark(cubic.completed),
                    mbit(cubic.goodput_bps()),
                    p2p / own.goodput_bps(),
                    p2p / cubic.goodput_bps(),
                );
            }
        }
    }
    Ok(())
}
