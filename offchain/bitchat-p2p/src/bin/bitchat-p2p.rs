//! `bitchat-p2p`: a BitChat discovery and NAT-traversal node, for operators (a public
//! bootstrap and relay node) and for scripts and tests (a peer driven line by line).
//!
//! `run` reads commands on stdin, one per line, and prints one JSON object per line on stdout:
//!   find <account hex>            the account's record from the DHT
//!   send <account hex> <text>     hand <text> to the account (found through the DHT)
//!   provide <hash hex>            announce a chunk in the DHT
//!   providers <hash hex>          accounts that announced a chunk
//!   info                          peer id, addresses, connections
//! Envelopes are opaque bytes to this layer: BitChat seals them end to end above it.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bithive_bitchat::AccountId;
use bithive_bitchat_p2p::record::AddrPolicy;
use bithive_bitchat_p2p::{identity, P2pConfig, P2pEvent, P2pHandle, P2pNode, Reachability};
use clap::{Parser, Subcommand};
use libp2p::Multiaddr;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "bitchat-p2p",
    version,
    about = "BitChat discovery (Kademlia) and NAT traversal (relay v2, DCUtR) on libp2p"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a new random account key (hex, mode 0600); refuses to overwrite.
    NewKey {
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Print the peer id and account of a key file.
    Id {
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Run a node: commands on stdin, events as JSON lines on stdout.
    Run {
        #[arg(long)]
        key_file: PathBuf,
        /// QUIC listen address, e.g. /ip4/0.0.0.0/udp/4001/quic-v1
        #[arg(long, default_value = "/ip4/0.0.0.0/udp/0/quic-v1")]
        listen: Vec<Multiaddr>,
        /// A public node to join through, ending in /p2p/<peer id> (repeatable).
        #[arg(long)]
        bootstrap: Vec<Multiaddr>,
        /// Reachable at the listen address: serve the DHT and relay for others.
        #[arg(long)]
        public: bool,
        /// Address to announce instead of the listen address (public nodes).
        #[arg(long)]
        announce: Vec<Multiaddr>,
        /// Accept loopback addresses in records (single-machine tests only).
        #[arg(long)]
        allow_loopback: bool,
        /// Where a public node keeps envelopes for accounts that are away (sealed, 0600).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn read_key(path: &std::path::Path) -> Result<Zeroizing<[u8; 32]>> {
    let raw =
        bithive_secret_file::read(path).with_context(|| format!("key file {}", path.display()))?;
    let text = std::str::from_utf8(&raw)
        .context("key file is not text")?
        .trim();
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, key.as_mut()).context("key file must hold 64 hex characters")?;
    Ok(key)
}

fn parse_account(s: &str) -> Result<AccountId> {
    s.parse().map_err(|e: String| anyhow::anyhow!(e))
}

fn parse_hash(s: &str) -> Result<[u8; 32]> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(s, &mut h)
        .with_context(|| format!("{s:?} is not a 64-hex-character hash"))?;
    Ok(h)
}

fn out(v: serde_json::Value) {
    println!("{v}");
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Cmd::NewKey { key_file } => {
            use rand::RngCore;
            let mut key = Zeroizing::new([0u8; 32]);
            loop {
                rand::rngs::OsRng.fill_bytes(key.as_mut());
                if identity::keypair_from_secret(&key).is_ok() {
                    break;
                }
            }
            bithive_secret_file::create_new(
                &key_file,
                Zeroizing::new(hex::encode(key.as_ref()).into_bytes()),
            )?;
            print_id(&key)
        }
        Cmd::Id { key_file } => print_id(&*read_key(&key_file)?),
        Cmd::Run {
            key_file,
            listen,
            bootstrap,
            public,
            announce,
            allow_loopback,
            data_dir,
        } => {
            let key = read_key(&key_file)?;
            let mut config = P2pConfig::new(listen[0].clone());
            config.listen = listen;
            config.bootstrap = bootstrap;
            config.public = public;
            config.announce = announce;
            config.addr_policy = AddrPolicy { allow_loopback };
            config.data_dir = data_dir;
            match run(&key, config).await? {}
        }
    }
}

fn print_id(key: &[u8; 32]) -> Result<()> {
    let kp = identity::keypair_from_secret(key)?;
    let peer = kp.public().to_peer_id();
    let account = identity::account_of_peer(&peer).context("not a chain key")?;
    out(json!({"peer": peer.to_string(), "account": account.to_string()}));
    Ok(())
}

async fn run(key: &[u8; 32], config: P2pConfig) -> Result<std::convert::Infallible> {
    let mut node = P2pNode::start(key, config).await?;
    out(
        json!({"event": "ready", "peer": node.peer_id().to_string(), "account": node.account().to_string()}),
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            line = lines.next_line(), if stdin_open => match line? {
                Some(l) => {
                    let h = node.handle();
                    tokio::spawn(async move {
                        if let Err(e) = command(&h, l.trim()).await {
                            out(json!({"event": "error", "command": l.trim(), "reason": format!("{e:#}")}));
                        }
                    });
                }
                None => stdin_open = false,
            },
            ev = node.next_event() => match ev {
                Some(ev) => print_event(ev),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        }
    }
    node.shutdown().await;
    // The runtime would wait at exit for the blocking thread reading stdin.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

async fn command(h: &P2pHandle, line: &str) -> Result<()> {
    let mut words = line.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some(""), None, None) => {}
        (Some("find"), Some(a), None) => {
            let rec = h.find(parse_account(a)?).await?;
            out(json!({"event": "found", "account": a, "peer": rec.peer.to_string(), "seq": rec.seq,
                       "addrs": rec.addrs.iter().map(|m| m.to_string()).collect::<Vec<_>>()}));
        }
        (Some("send"), Some(a), Some(text)) => {
            let path = h.send(parse_account(a)?, text.as_bytes().to_vec()).await?;
            out(json!({"event": "sent", "to": a, "text": text, "path": path.name()}));
        }
        (Some("provide"), Some(k), None) => {
            h.provide(parse_hash(k)?).await?;
            out(json!({"event": "providing", "key": k}));
        }
        (Some("providers"), Some(k), None) => {
            let p = h.providers(parse_hash(k)?).await?;
            out(json!({"event": "providers", "key": k, "accounts": p.iter().map(|a| a.to_string()).collect::<Vec<_>>()}));
        }
        (Some("info"), None, None) => {
            let i = h.info().await?;
            out(json!({"event": "info", "peer": i.peer.to_string(), "account": i.account.to_string(),
                       "listen": i.listen.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
                       "external": i.external.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
                       "connections": i.connections.iter().map(|(p, path)| json!({"peer": p.to_string(), "path": path.name()})).collect::<Vec<_>>()}));
        }
        _ => bail!("unknown command; one of: find ACCOUNT | send ACCOUNT TEXT | provide HASH | providers HASH | info"),
    }
    Ok(())
}

fn print_event(ev: P2pEvent) {
    match ev {
        P2pEvent::Listening(a) => out(json!({"event": "listening", "addr": a.to_string()})),
        P2pEvent::Reserved { relay } => {
            out(json!({"event": "reserved", "relay": relay.to_string()}))
        }
        P2pEvent::Published { addrs } => out(
            json!({"event": "published", "addrs": addrs.iter().map(|m| m.to_string()).collect::<Vec<_>>()}),
        ),
        P2pEvent::Direct { account } => {
            out(json!({"event": "direct", "account": account.to_string()}))
        }
        P2pEvent::PunchFailed { account, reason } => {
            out(json!({"event": "punch_failed", "account": account.to_string(), "reason": reason}))
        }
        P2pEvent::Reachability(r) => out(match r {
            Reachability::Public(a) => {
                json!({"event": "reachability", "status": "public", "addr": a.to_string()})
            }
            Reachability::Private => json!({"event": "reachability", "status": "private"}),
            Reachability::Unknown => json!({"event": "reachability", "status": "unknown"}),
        }),
        P2pEvent::Received {
            from,
            envelope,
            path,
            receipt,
        } => {
            out(json!({"event": "received", "from": from.to_string(),
                "text": String::from_utf8_lossy(&envelope), "path": path.name()}));
            // Printed is taken: this tool keeps nothing else.
            receipt.taken();
        }
        P2pEvent::Refused { from, reason } => {
            out(json!({"event": "refused", "from": from.to_string(), "reason": reason}))
        }
        P2pEvent::OutboxSent {
            to,
            path,
            waited_secs,
        } => out(
            json!({"event": "outbox_sent", "to": to.to_string(), "path": path.name(), "waited_secs": waited_secs}),
        ),
        P2pEvent::OutboxExpired { to, payloads } => {
            out(json!({"event": "outbox_expired", "to": to.to_string(), "payloads": payloads}))
        }
    }
}
