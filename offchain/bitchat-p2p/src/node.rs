//! The async layer: one task owns the libp2p swarm; [`P2pNode`] talks to it over channels.
//!
//! A *public* node (reachable at its listen addresses) is a DHT server and a relay v2 server.
//! A *private* node (behind a NAT) is a DHT client: it connects to the bootstrap nodes, learns
//! its address as they see it (identify), reserves a slot on each as a relay, and publishes a
//! record naming those relay circuits. A peer that finds the record dials through the relay;
//! DCUtR then tries to punch a direct QUIC path and, when it succeeds, the relayed connection
//! is closed so envelopes take the direct one. When the punch fails (a symmetric NAT), they
//! keep flowing through the relay.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::node::unix_now;
use bithive_bitchat::AccountId;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use libp2p::core::transport::ListenerId;
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::kad::store::{MemoryStore, MemoryStoreConfig, RecordStore};
use libp2p::kad::{
    self, GetProvidersOk, GetRecordOk, InboundRequest, QueryId, QueryResult, Quorum,
};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{behaviour::toggle::Toggle, ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{
    autonat, dcutr, identify, noise, ping, relay, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
};
use tokio::sync::{mpsc, oneshot};

use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::frame::{AckStatus, Envelope, Frame};
use bithive_bitchat::mailbox::{Mailbox, MailboxLimits};

use crate::codec::{Ack, EnvelopeCodec, MAX_ENVELOPE_BYTES, PROTOCOL as ENVELOPE_PROTOCOL};
use crate::error::P2pError;
use crate::identity::{account_of_peer, keypair_from_secret};
use crate::mailbox::{MailboxCodec, FETCH_BATCH, PROTOCOL as MAILBOX_PROTOCOL};
use crate::record::{
    address_key, chain_address, check_addr, check_record, record_key, sign_record, AccountRecord,
    AddrPolicy,
};

pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/bithive/bitchat/kad/1.0.0");
/// Chunks by hash: a `ChunkGet` frame, answered by `ChunkData` or `ChunkMissing`, or by no frame
/// at all when the asker is over its quota (busy).
pub const CHUNK_PROTOCOL: StreamProtocol = StreamProtocol::new("/bithive/bitchat/chunk/1");
const IDENTIFY_PROTOCOL: &str = "/bithive/bitchat/id/1.0.0";
/// Records are signed again this often (and whenever the relay circuits change).
const REPUBLISH_EVERY: Duration = Duration::from_secs(600);
/// A failed publication (no DHT peer yet) is retried after this, doubling up to
/// [`REPUBLISH_EVERY`].
const PUBLISH_RETRY: Duration = Duration::from_secs(2);
/// Envelopes a sender may hand this node per window, and the window.
const ENVELOPES_PER_WINDOW: u32 = 128;
/// Chunk requests a peer may make per window (at 256 KiB each, 64 MiB per 10 s).
const CHUNKS_PER_WINDOW: u32 = 256;
const WINDOW: Duration = Duration::from_secs(10);
/// Provider records this node takes from any one peer, and from everyone, per window.
const MAX_PROVIDED_PER_PEER: usize = 1024;
const MAX_PROVIDED_PER_WINDOW: usize = 100_000;
const PROVIDER_WINDOW: Duration = Duration::from_secs(3600);
/// Tracked senders and providers before the oldest are forgotten.
const MAX_TRACKED_PEERS: usize = 10_000;
/// How often a node asks its relays for envelopes left while it was unreachable.
const FETCH_EVERY: Duration = Duration::from_secs(60);
/// How long an envelope left at a relay waits for its recipient.
/// A day short of the relay mailbox's longest TTL (7 days), so a relay whose clock runs behind
/// does not refuse it.
const MAILBOX_TTL_SECS: u64 = 6 * 24 * 3600;
/// Envelopes a public node keeps for accounts that are away, and their bytes: the mailbox file
/// is rewritten on every change, so it is kept small (see the README).
const MAILBOX_MAX_ENTRIES: usize = 8192;
const MAILBOX_MAX_BYTES: usize = 32 << 20;
/// How long a record found in the DHT is used before it is looked up again.
const KNOWN_FOR: Duration = Duration::from_secs(600);
/// Connections: to one peer, and incoming in all.
const MAX_CONNECTIONS_PER_PEER: u32 = 4;
const MAX_INCOMING: u32 = 4096;
/// First wait before dialling a lost bootstrap node again; doubles up to a minute.
const REDIAL_FIRST: Duration = Duration::from_secs(1);
const REDIAL_MAX: Duration = Duration::from_secs(60);
/// Attempts for one envelope (a relayed connection closed by a successful punch costs one).
const SEND_ATTEMPTS: u8 = 3;
/// How long the application may take to take a received envelope (store what it changed) before
/// the sender is told to try later, or the relay keeps it: within the sender's 30-second
/// request timeout.
const TAKE_WITHIN: Duration = Duration::from_secs(20);

/// How a node starts.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// QUIC listen addresses, e.g. `/ip4/0.0.0.0/udp/4001/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Public nodes to join the DHT through (and, for a private node, to relay through); each
    /// ends in `/p2p/<peer id>`.
    pub bootstrap: Vec<Multiaddr>,
    /// Reachable at its listen addresses: a DHT server and a relay for others.
    pub public: bool,
    /// Addresses a public node announces (default: the addresses it listens on).
    pub announce: Vec<Multiaddr>,
    pub addr_policy: AddrPolicy,
    /// Received envelopes waiting for the application; beyond it senders are told to wait.
    pub inbox_capacity: usize,
    /// Where a public node keeps the mailbox of envelopes for accounts that are away (sealed,
    /// 0600); `None`: it keeps none.
    pub data_dir: Option<std::path::PathBuf>,
    /// Chunks this node serves to anyone who asks by hash (the holder encrypted them first);
    /// `None`: it serves none.
    pub chunks: Option<Arc<ChunkStore>>,
    /// The record is also published under the account's chain address, so people who know
    /// only that find it (default). The record under the account id names the account key
    /// either way, from which anyone can derive the chain address: this adds the lookup.
    pub findable_by_address: bool,
}

impl P2pConfig {
    pub fn new(listen: Multiaddr) -> Self {
        Self {
            listen: vec![listen],
            bootstrap: Vec::new(),
            public: false,
            announce: Vec::new(),
            addr_policy: AddrPolicy {
                allow_loopback: false,
            },
            inbox_capacity: 1024,
            data_dir: None,
            chunks: None,
            findable_by_address: true,
        }
    }
}

/// How an envelope travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Direct,
    Relayed,
    /// Left at (or fetched from) a relay's mailbox while the recipient was away.
    Stored,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::Direct => "direct",
            Path::Relayed => "relayed",
            Path::Stored => "stored",
        }
    }
}

/// What the node reports to the application.
#[derive(Debug, Clone)]
pub enum P2pEvent {
    Listening(Multiaddr),
    /// A relay accepted our reservation: others can reach us through it.
    Reserved {
        relay: PeerId,
    },
    /// Our record is in the DHT with these addresses.
    Published {
        addrs: Vec<Multiaddr>,
    },
    /// A hole punch to this account succeeded: a direct connection replaces the relayed one.
    Direct {
        account: AccountId,
    },
    /// A hole punch failed; traffic keeps to the relay.
    PunchFailed {
        account: AccountId,
        reason: String,
    },
    /// A public node's check of its own reachability changed its answer: `Private` means its
    /// bootstrap nodes could not dial it back (a NAT or a firewall in the way: open the port,
    /// or run it as a private node, which reaches others through relays).
    Reachability(Reachability),
    /// An envelope for us. `from` is the authenticated sender when it came over a connection
    /// (`Direct`, `Relayed`); for `Stored` it is what the relay vouches for (it checked the
    /// depositor), and a relay could also hand the same envelope over twice: the end-to-end
    /// seal above this layer (the chat carrier's Noise `X`) is what proves the sender, and the
    /// ids inside it what drop repeats.
    ///
    /// The envelope is the application's only once it calls [`Receipt::taken`] (having stored
    /// what it did with it): only then is the sender told it was taken, or the relay that kept it
    /// told to let it go. Until then, or if the receipt is dropped or not used within 20 s, the
    /// sender keeps it and sends it again later, and the relay keeps it for the next fetch: a
    /// crash between the network and the application's disk loses nothing.
    Received {
        from: AccountId,
        envelope: Vec<u8>,
        path: Path,
        receipt: Receipt,
    },
    /// A DHT record, provider record or envelope offered to us was refused.
    Refused {
        from: PeerId,
        reason: String,
    },
    /// The chat carrier's outbox (not the node's): a payload that waited was handed on after
    /// `waited_secs`.
    OutboxSent {
        to: AccountId,
        path: Path,
        waited_secs: u64,
    },
    /// The chat carrier's outbox gave up on `payloads` payloads to `to` after six days.
    OutboxExpired {
        to: AccountId,
        payloads: usize,
    },
}

/// The application's word that it took a received envelope (see [`P2pEvent::Received`]).
/// Clones share one word: the first [`Receipt::taken`] counts.
#[derive(Clone)]
pub struct Receipt(Arc<std::sync::Mutex<Option<oneshot::Sender<()>>>>);

impl Receipt {
    fn new() -> (Self, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        (Self(Arc::new(std::sync::Mutex::new(Some(tx)))), rx)
    }

    /// The envelope is taken (what it changed is stored): the sender, or the relay that kept
    /// it, may let it go.
    pub fn taken(&self) {
        let tx = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(tx) = tx {
            let _ = tx.send(());
        }
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipt")
    }
}

/// Whether a receipt was taken within [`TAKE_WITHIN`].
async fn taken_in_time(rx: oneshot::Receiver<()>) -> bool {
    matches!(tokio::time::timeout(TAKE_WITHIN, rx).await, Ok(Ok(())))
}

/// Received envelopes waiting for the application's receipts.
enum Settled {
    /// A sender waits for its answer.
    Envelope(ResponseChannel<Ack>, Ack),
    /// A relay's batch: the ids taken are confirmed to it; `all` says whether every item was
    /// taken (then more may wait there: it is asked again).
    Mailbox {
        relay: PeerId,
        taken: Vec<[u8; 16]>,
        all: bool,
    },
}

/// Where the node stands.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub peer: PeerId,
    pub account: AccountId,
    pub listen: Vec<Multiaddr>,
    pub external: Vec<Multiaddr>,
    /// Connected accounts and whether every connection to them is relayed.
    pub connections: Vec<(PeerId, Path)>,
    /// The DHT routing table: each peer and its addresses.
    pub routing: Vec<(PeerId, Vec<Multiaddr>)>,
}

enum Command {
    Find(AccountId, oneshot::Sender<Result<AccountRecord, P2pError>>),
    FindAddress([u8; 20], oneshot::Sender<Result<AccountRecord, P2pError>>),
    Send(AccountId, Vec<u8>, oneshot::Sender<Result<Path, P2pError>>),
    Provide([u8; 32], oneshot::Sender<Result<(), P2pError>>),
    Providers([u8; 32], oneshot::Sender<Result<Vec<AccountId>, P2pError>>),
    Info(oneshot::Sender<NodeInfo>),
    GetChunk(
        PeerId,
        Vec<Multiaddr>,
        [u8; 32],
        oneshot::Sender<Result<Option<Vec<u8>>, P2pError>>,
    ),
}

/// A running node and its events; it stops when it and every [`P2pHandle`] are dropped.
pub struct P2pNode {
    handle: P2pHandle,
    events: mpsc::Receiver<P2pEvent>,
    task: tokio::task::JoinHandle<()>,
}

/// What asks a running node to do something; cheap to clone, usable from many tasks.
#[derive(Clone)]
pub struct P2pHandle {
    commands: mpsc::Sender<Command>,
    peer: PeerId,
    account: AccountId,
    chunks: Option<Arc<ChunkStore>>,
}

impl std::ops::Deref for P2pNode {
    type Target = P2pHandle;
    fn deref(&self) -> &P2pHandle {
        &self.handle
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: libp2p::connection_limits::Behaviour,
    relay_client: relay::client::Behaviour,
    relay: Toggle<relay::Behaviour>,
    /// A public node's check that it is reachable where it says it is: its bootstrap nodes
    /// dial it back from a fresh port, so a NAT or firewall in the way shows (AutoNAT v1).
    /// Public nodes also answer others' checks. A private node runs none: a confirmed address
    /// would no longer be offered to DCUtR as a hole-punch candidate, and it is reached through
    /// its relays either way.
    autonat: Toggle<autonat::Behaviour>,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    kad: kad::Behaviour<MemoryStore>,
    dcutr: dcutr::Behaviour,
    envelopes: request_response::Behaviour<EnvelopeCodec>,
    mailbox: request_response::Behaviour<MailboxCodec>,
    /// Chunks by hash, in BitChat wire frames (`ChunkGet`, answered by `ChunkData` or
    /// `ChunkMissing`).
    chunks: request_response::Behaviour<MailboxCodec>,
}

impl P2pNode {
    /// Starts a node for the account whose secret key is `secret`.
    pub async fn start(secret: &[u8; 32], config: P2pConfig) -> Result<Self, P2pError> {
        let keypair = keypair_from_secret(secret)?;
        let peer = keypair.public().to_peer_id();
        let account = account_of_peer(&peer).ok_or(P2pError::Identity("not secp256k1".into()))?;
        let address = chain_address(
            &keypair
                .public()
                .try_into_secp256k1()
                .map_err(|_| P2pError::Identity("not secp256k1".into()))?
                .to_bytes(),
        );
        let mut bootstrap = Vec::new();
        for addr in &config.bootstrap {
            match addr.iter().last() {
                Some(Protocol::P2p(p)) => bootstrap.push((p, addr.clone())),
                _ => {
                    return Err(P2pError::Config(format!(
                        "bootstrap address {addr} must end in /p2p/<peer id>"
                    )))
                }
            }
        }
        let store = match (&config.data_dir, config.public) {
            (Some(dir), true) => {
                create_private_dir(dir)
                    .map_err(|e| P2pError::Config(format!("{}: {e}", dir.display())))?;
                let key =
                    bithive_bitchat::at_rest::AtRestKey::derive(secret, "bitchat-p2p-mailbox");
                let limits = MailboxLimits {
                    max_envelope_bytes: MAX_ENVELOPE_BYTES,
                    total_bytes: MAILBOX_MAX_BYTES,
                    ..MailboxLimits::default()
                };
                Some(
                    Mailbox::open(&dir.join("mailbox.journal"), key, limits)
                        .map_err(|e| P2pError::Config(format!("mailbox: {e}")))?,
                )
            }
            _ => None,
        };
        let mut swarm = build_swarm(keypair.clone(), config.public, config.addr_policy)?;
        for l in &config.listen {
            swarm
                .listen_on(l.clone())
                .map_err(|e| P2pError::Transport(format!("listen on {l}: {e}")))?;
        }
        // Without addresses to announce, a public node announces those it actually listens on
        // (as they appear: a wildcard address or port 0 resolved).
        let announce = config.announce.clone();
        if config.public {
            for a in &announce {
                swarm.add_external_address(a.clone());
                // What it announces is what is checked (a port forwarded to it, say), beside
                // the addresses it listens on.
                if let Some(autonat) = swarm.behaviour_mut().autonat.as_mut() {
                    autonat.probe_address(a.clone());
                }
            }
        }
        for (p, a) in &bootstrap {
            swarm.behaviour_mut().kad.add_address(p, a.clone());
            if let Some(autonat) = swarm.behaviour_mut().autonat.as_mut() {
                autonat.add_server(*p, Some(a.clone()));
            }
            if let Err(e) = swarm.dial(a.clone()) {
                tracing::warn!(%a, "dial bootstrap: {e}");
            }
        }
        let chunk_store = config.chunks.clone();
        let (ctx, crx) = mpsc::channel(256);
        let (etx, erx) = mpsc::channel(config.inbox_capacity.max(16));
        let mut driver = Driver {
            swarm,
            keypair,
            account,
            config,
            announce,
            bootstrap: bootstrap.into_iter().collect(),
            events: etx,
            connections: HashMap::new(),
            reservations: HashMap::new(),
            circuits_requested: HashMap::new(),
            publish_due: Some(Instant::now()),
            publishing: None,
            publish_backoff: PUBLISH_RETRY,
            finds: HashMap::new(),
            address_finds: HashMap::new(),
            address,
            known: HashMap::new(),
            waiting_to_deposit: HashMap::new(),
            sends: HashMap::new(),
            waiting_for_find: HashMap::new(),
            provides: HashMap::new(),
            provider_queries: HashMap::new(),
            senders: HashMap::new(),
            chunk_askers: HashMap::new(),
            provided_by: HashMap::new(),
            provided_window: (Instant::now(), 0),
            store,
            deposits: HashMap::new(),
            fetches: HashMap::new(),
            fetch_after: HashSet::new(),
            chunk_requests: HashMap::new(),
            settling: FuturesUnordered::new(),
            fetch_due: Instant::now() + FETCH_EVERY,
            redial_due: None,
            redial_backoff: REDIAL_FIRST,
        };
        let task = tokio::spawn(async move { driver.run(crx).await });
        Ok(Self {
            handle: P2pHandle {
                commands: ctx,
                peer,
                account,
                chunks: chunk_store,
            },
            events: erx,
            task,
        })
    }

    pub fn handle(&self) -> P2pHandle {
        self.handle.clone()
    }

    /// The next event; `None` once the node has stopped.
    pub async fn next_event(&mut self) -> Option<P2pEvent> {
        self.events.recv().await
    }

    /// Stops the node and waits for its task (other handles keep it alive until dropped).
    pub async fn shutdown(self) {
        drop(self.handle);
        drop(self.events);
        let _ = self.task.await;
    }
}

impl P2pHandle {
    pub fn peer_id(&self) -> PeerId {
        self.peer
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, P2pError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| P2pError::Stopped)?;
        rx.await.map_err(|_| P2pError::Stopped)
    }

    /// The newest valid record `account` published.
    pub async fn find(&self, account: AccountId) -> Result<AccountRecord, P2pError> {
        self.ask(|tx| Command::Find(account, tx)).await?
    }

    /// The newest valid record of the account whose chain address is `address` (the 20 bytes
    /// of a bech32 account address), if it publishes one under it.
    pub async fn find_by_address(&self, address: [u8; 20]) -> Result<AccountRecord, P2pError> {
        self.ask(|tx| Command::FindAddress(address, tx)).await?
    }

    /// Hands `envelope` to `account` (found through the DHT if not known yet) and says how it
    /// travelled once the receiver has taken it.
    pub async fn send(&self, account: AccountId, envelope: Vec<u8>) -> Result<Path, P2pError> {
        self.ask(|tx| Command::Send(account, envelope, tx)).await?
    }

    /// Announces in the DHT that this node holds the chunk with hash `key`.
    pub async fn provide(&self, key: [u8; 32]) -> Result<(), P2pError> {
        self.ask(|tx| Command::Provide(key, tx)).await?
    }

    /// Accounts that announced the chunk with hash `key`.
    pub async fn providers(&self, key: [u8; 32]) -> Result<Vec<AccountId>, P2pError> {
        self.ask(|tx| Command::Providers(key, tx)).await?
    }

    pub async fn info(&self) -> Result<NodeInfo, P2pError> {
        self.ask(Command::Info).await
    }

    /// The chunks this node serves (`P2pConfig::chunks`).
    pub fn chunk_store(&self) -> Option<&Arc<ChunkStore>> {
        self.chunks.as_ref()
    }

    /// The chunk with sha256 `hash` from the account `rec` describes: `None` when it does not
    /// hold it. What comes back is checked against the hash.
    pub async fn get_chunk(
        &self,
        rec: &AccountRecord,
        hash: [u8; 32],
    ) -> Result<Option<Vec<u8>>, P2pError> {
        let got = self
            .ask(|tx| Command::GetChunk(rec.peer, rec.addrs.clone(), hash, tx))
            .await??;
        match got {
            Some(data) if bithive_bitchat::chunks::hash(&data) != hash => {
                Err(P2pError::Transport(format!(
                    "{} sent a chunk that is not {}",
                    rec.account,
                    hex::encode(hash)
                )))
            }
            other => Ok(other),
        }
    }
}

/// DHT routing-table peers one subnet may hold (discv5 keeps 10 per /24 too).
const ROUTING_PER_SUBNET: usize = 10;

/// The subnet an address is in, for [`ROUTING_PER_SUBNET`]: an IPv4 /24 or an IPv6 /48 (what
/// one operator is commonly given); `None` for an address without an IP.
fn subnet(a: &Multiaddr) -> Option<(bool, u64)> {
    a.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some((false, u64::from(u32::from(ip) >> 8))),
        Protocol::Ip6(ip) => Some((true, (u128::from(ip) >> 80) as u64)),
        _ => None,
    })
}

/// How a public node checks its own reachability, and answers others' checks.
fn autonat_config() -> autonat::Config {
    autonat::Config {
        // Only the bootstrap nodes it was given judge it ([`autonat::Behaviour::add_server`]):
        // any connected stranger could answer either way.
        use_connected: false,
        // Bootstrap nodes on a private network (an institute's LAN, the NAT test's namespaces)
        // judge as well as any: what they can dial back, that network's peers can.
        only_global_ips: false,
        boot_delay: Duration::from_secs(2),
        retry_interval: Duration::from_secs(30),
        // With one or two bootstrap nodes, each may be asked again by the time a check is due.
        throttle_server_period: Duration::from_secs(25),
        // As a server: a dial-back takes a fresh socket and waits out a handshake per address,
        // and ids cost nothing, so each asker gets two addresses tried and all askers together
        // four checks a second (upstream: 16 and 30).
        max_peer_addresses: 2,
        throttle_clients_global_max: 4,
        ..autonat::Config::default()
    }
}

/// What a node knows of its own reachability (only public nodes check it, see [`P2pEvent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// Not checked yet, or no bootstrap node to check with.
    Unknown,
    /// A bootstrap node dialled it back at this address.
    Public(Multiaddr),
    /// Its bootstrap nodes could not dial it back: peers cannot reach it unprompted.
    Private,
}

fn build_swarm(
    keypair: Keypair,
    public: bool,
    policy: AddrPolicy,
) -> Result<Swarm<Behaviour>, P2pError> {
    let t = |e: &dyn std::fmt::Display| P2pError::Transport(e.to_string());
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        // QUIC, each dial checked first (`crate::dial`).
        .with_other_transport(|key| crate::dial::CheckedDials {
            inner: libp2p::quic::tokio::Transport::new(libp2p::quic::Config::new(key)),
            policy,
        })
        .map_err(|e| t(&e))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| t(&e))?
        .with_behaviour(|key, relay_client| {
            let peer = key.public().to_peer_id();
            let mut kad_config = kad::Config::new(KAD_PROTOCOL);
            kad_config
                .set_record_filtering(kad::StoreInserts::FilterBoth)
                // Peers enter the routing table through `admit_to_routing` (one subnet's share
                // bounded), not on every connection.
                .set_kbucket_inserts(kad::BucketInserts::Manual)
                .set_query_timeout(Duration::from_secs(30));
            let store = MemoryStore::with_config(
                peer,
                MemoryStoreConfig {
                    max_records: 65_536,
                    // MemoryStore refuses values of `max_value_bytes` or more.
                    max_value_bytes: crate::record::MAX_RECORD_BYTES + 1,
                    max_providers_per_key: 20,
                    max_provided_keys: 65_536,
                },
            );
            let mut kad = kad::Behaviour::with_config(peer, store, kad_config);
            kad.set_mode(Some(if public {
                kad::Mode::Server
            } else {
                kad::Mode::Client
            }));
            let autonat = public.then(|| autonat::Behaviour::new(peer, autonat_config()));
            let relay = public.then(|| {
                relay::Behaviour::new(
                    peer,
                    relay::Config {
                        max_reservations: 4096,
                        max_reservations_per_peer: 2,
                        reservation_duration: Duration::from_secs(3600),
                        max_circuits: 4096,
                        max_circuits_per_peer: 16,
                        // Chat over a relay when no punch works: long and roomy enough for
                        // messages, bounded for anything else.
                        max_circuit_duration: Duration::from_secs(3600),
                        max_circuit_bytes: 4 << 20,
                        ..Default::default()
                    },
                )
            });
            Behaviour {
                limits: libp2p::connection_limits::Behaviour::new(
                    libp2p::connection_limits::ConnectionLimits::default()
                        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER))
                        .with_max_established_incoming(Some(MAX_INCOMING))
                        .with_max_pending_incoming(Some(256)),
                ),
                relay_client,
                relay: relay.into(),
                autonat: autonat.into(),
                // Only external addresses are told (a public node's announced ones; none for a
                // node behind a NAT: its LAN and loopback addresses mean nothing to others),
                // and addresses other peers tell are not kept for dialling: they are
                // unchecked claims, and only signed, checked records say where an account is.
                identify: identify::Behaviour::new(
                    identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
                        .with_hide_listen_addrs(true)
                        .with_cache_size(0),
                ),
                ping: ping::Behaviour::default(),
                kad,
                dcutr: dcutr::Behaviour::new(peer),
                mailbox: request_response::Behaviour::with_codec(
                    MailboxCodec,
                    [(MAILBOX_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(30)),
                ),
                chunks: request_response::Behaviour::with_codec(
                    MailboxCodec,
                    [(CHUNK_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(30)),
                ),
                envelopes: request_response::Behaviour::with_codec(
                    EnvelopeCodec,
                    [(ENVELOPE_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(30)),
                ),
            }
        })
        .map_err(|e| t(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    Ok(swarm)
}

struct PendingSend {
    account: AccountId,
    envelope: Vec<u8>,
    attempts: u8,
    reply: oneshot::Sender<Result<Path, P2pError>>,
}

/// Accounts found so far for a chunk, and who asked.
type ProviderQuery = (
    HashSet<AccountId>,
    oneshot::Sender<Result<Vec<AccountId>, P2pError>>,
);

/// An undelivered envelope, the relays of the record it was sent by, and why it failed.
type WaitingDeposit = (PendingSend, Vec<(PeerId, Multiaddr)>, String);

struct PendingFind {
    account: AccountId,
    best: Option<AccountRecord>,
    replies: Vec<oneshot::Sender<Result<AccountRecord, P2pError>>>,
}

/// A publication under way: the record under the chain address first (when the node is
/// findable by it), then, with `then`, the one under the account id; [`P2pEvent::Published`]
/// once that is stored, so a node that says it is findable is, by both.
struct Publishing {
    query: QueryId,
    addrs: Vec<Multiaddr>,
    then: Option<Vec<u8>>,
    /// The record under the chain address was not stored: published again after a backoff.
    address_failed: bool,
}

/// A lookup by chain address: the account is what the record says.
struct PendingAddressFind {
    address: [u8; 20],
    best: Option<AccountRecord>,
    reply: oneshot::Sender<Result<AccountRecord, P2pError>>,
}

struct Driver {
    swarm: Swarm<Behaviour>,
    keypair: Keypair,
    /// This node's account (of `keypair`).
    account: AccountId,
    config: P2pConfig,
    announce: Vec<Multiaddr>,
    bootstrap: HashMap<PeerId, Multiaddr>,
    events: mpsc::Sender<P2pEvent>,
    /// Open connections: peer and whether relayed.
    connections: HashMap<ConnectionId, (PeerId, bool)>,
    /// Relays that accepted us, with the circuit address through each.
    reservations: HashMap<PeerId, Multiaddr>,
    /// Relay listeners asked for, by listener: closed ones are asked for again on reconnect.
    circuits_requested: HashMap<PeerId, ListenerId>,
    publish_due: Option<Instant>,
    publishing: Option<Publishing>,
    publish_backoff: Duration,
    finds: HashMap<QueryId, PendingFind>,
    address_finds: HashMap<QueryId, PendingAddressFind>,
    /// This node's chain address (of `keypair`).
    address: [u8; 20],
    /// Records found, by account.
    known: HashMap<AccountId, (AccountRecord, Instant)>,
    /// Envelopes that could not be delivered, waiting for a fresh record to learn the account's
    /// relays (with the relays of the stale one, should the lookup fail).
    waiting_to_deposit: HashMap<AccountId, Vec<WaitingDeposit>>,
    sends: HashMap<OutboundRequestId, PendingSend>,
    waiting_for_find: HashMap<AccountId, Vec<PendingSend>>,
    provides: HashMap<QueryId, oneshot::Sender<Result<(), P2pError>>>,
    provider_queries: HashMap<QueryId, ProviderQuery>,
    /// Envelopes per sender in the current window.
    senders: HashMap<PeerId, (Instant, u32)>,
    /// Chunk requests per peer in the current window (their own budget: fetching a file must
    /// not use up the quota for chat, nor chat the quota for files).
    chunk_askers: HashMap<PeerId, (Instant, u32)>,
    /// Provider records taken per providing peer in this window, and the window (start, all).
    provided_by: HashMap<PeerId, usize>,
    provided_window: (Instant, usize),
    /// A public node's mailbox for accounts that are away.
    store: Option<Mailbox>,
    /// Envelopes being left at a recipient's relays: the reply, the relays still to try.
    deposits: HashMap<OutboundRequestId, Deposit>,
    /// Mailbox requests to our relays (fetches and acknowledgements), by relay.
    fetches: HashMap<OutboundRequestId, PeerId>,
    /// Acknowledgements of a whole batch: once the relay has them, it is asked for more (asked
    /// at once, it could serve the same batch again).
    fetch_after: HashSet<OutboundRequestId>,
    chunk_requests: HashMap<OutboundRequestId, ChunkReply>,
    /// Received envelopes whose receipts are awaited.
    settling: FuturesUnordered<BoxFuture<'static, Settled>>,
    fetch_due: Instant,
    redial_due: Option<Instant>,
    redial_backoff: Duration,
}

type ChunkReply = oneshot::Sender<Result<Option<Vec<u8>>, P2pError>>;

struct Deposit {
    envelope: Envelope,
    relays: Vec<(PeerId, Multiaddr)>,
    reply: oneshot::Sender<Result<Path, P2pError>>,
    why: String,
}

/// Counts one request of `peer` in its window; whether it is over `limit`.
fn over(counts: &mut HashMap<PeerId, (Instant, u32)>, peer: PeerId, limit: u32) -> bool {
    let now = Instant::now();
    if counts.len() >= MAX_TRACKED_PEERS && !counts.contains_key(&peer) {
        counts.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        if counts.len() >= MAX_TRACKED_PEERS {
            return true; // this many peers within one window: newcomers wait
        }
    }
    let (start, n) = counts.entry(peer).or_insert((now, 0));
    if now.duration_since(*start) >= WINDOW {
        *start = now;
        *n = 0;
    }
    *n += 1;
    *n > limit
}

/// Creates `dir` (and parents) readable by its owner only.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The relays a record names (`<relay address>/p2p/<relay>/p2p-circuit`), with how to dial each.
/// One step of a record lookup, by account id or by chain address alike: an answer is checked
/// under the key asked for, never under the key the answer names (a DHT peer could answer with
/// a genuine record of another account, filed under that account's key), and the newest valid
/// record wins. Returns whether the lookup is over, and the refusal to report, if any.
fn record_step(
    asked: &[u8],
    r: Result<GetRecordOk, kad::GetRecordError>,
    last: bool,
    policy: AddrPolicy,
    best: &mut Option<AccountRecord>,
) -> (bool, Option<P2pEvent>) {
    match r {
        Ok(GetRecordOk::FoundRecord(found)) => {
            match check_record(asked, &found.record.value, unix_now(), policy) {
                Ok(rec) => {
                    if best.as_ref().is_none_or(|b| rec.seq > b.seq) {
                        *best = Some(rec);
                    }
                    (last, None)
                }
                Err(e) => (
                    last,
                    found.peer.map(|from| P2pEvent::Refused {
                        from,
                        reason: e.to_string(),
                    }),
                ),
            }
        }
        Ok(GetRecordOk::FinishedWithNoAdditionalRecord { .. }) => (true, None),
        Err(e) => {
            tracing::debug!("get record: {e}");
            (true, None)
        }
    }
}

fn relays_of(rec: &AccountRecord) -> Vec<(PeerId, Multiaddr)> {
    rec.addrs
        .iter()
        .filter_map(|a| {
            let parts: Vec<Protocol> = a.iter().collect();
            let circuit = parts.iter().position(|p| *p == Protocol::P2pCircuit)?;
            match parts.get(circuit.checked_sub(1)?) {
                Some(Protocol::P2p(relay)) => {
                    let addr: Multiaddr = parts[..circuit].iter().cloned().collect();
                    Some((*relay, addr))
                }
                _ => None,
            }
        })
        .collect()
}

fn is_relayed(endpoint: &ConnectedPoint) -> bool {
    let circuit = |a: &Multiaddr| a.iter().any(|p| p == Protocol::P2pCircuit);
    match endpoint {
        ConnectedPoint::Dialer { address, .. } => circuit(address),
        ConnectedPoint::Listener {
            local_addr,
            send_back_addr,
        } => circuit(local_addr) || circuit(send_back_addr),
    }
}

impl Driver {
    async fn run(&mut self, mut commands: mpsc::Receiver<Command>) {
        let mut republish = tokio::time::interval(REPUBLISH_EVERY);
        republish.tick().await;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(c) => self.command(c),
                    None => break,
                },
                ev = self.swarm.select_next_some() => self.swarm_event(ev),
                Some(s) = self.settling.next(), if !self.settling.is_empty() => self.settled(s),
                _ = republish.tick() => self.publish_due = Some(Instant::now()),
                _ = tick.tick() => self.timers(Instant::now()),
            }
        }
        tracing::debug!("p2p node stopped");
    }

    fn timers(&mut self, now: Instant) {
        if self.publish_due.is_some_and(|at| at <= now) {
            self.publish_due = None;
            self.publish();
        }
        if self.redial_due.is_some_and(|at| at <= now) {
            self.redial_due = None;
            self.redial();
        }
        if self.fetch_due <= now {
            self.fetch_due = now + FETCH_EVERY;
            let relays: Vec<PeerId> = self.reservations.keys().copied().collect();
            for r in relays {
                self.fetch(r);
            }
        }
    }

    /// Dials every bootstrap node we hold no connection to.
    fn redial(&mut self) {
        let connected: HashSet<PeerId> = self.connections.values().map(|(p, _)| *p).collect();
        let lost: Vec<Multiaddr> = self
            .bootstrap
            .iter()
            .filter(|(p, _)| !connected.contains(p))
            .map(|(_, a)| a.clone())
            .collect();
        if lost.is_empty() {
            self.redial_backoff = REDIAL_FIRST;
            return;
        }
        for a in lost {
            if let Err(e) = self.swarm.dial(a.clone()) {
                tracing::debug!(%a, "redial: {e}");
            }
        }
        self.redial_due = Some(Instant::now() + self.redial_backoff);
        self.redial_backoff = (self.redial_backoff * 2).min(REDIAL_MAX);
    }

    /// Asks `relay` for envelopes left for us.
    fn fetch(&mut self, relay: PeerId) {
        let id = self
            .swarm
            .behaviour_mut()
            .mailbox
            .send_request(&relay, Frame::MailboxFetch);
        self.fetches.insert(id, relay);
    }

    /// Reports anything but a received envelope, while the queue is less than half full: the
    /// rest of it is kept for envelopes, which a flood of refusals must not crowd out.
    fn emit(&self, ev: P2pEvent) {
        if self.events.capacity() <= self.events.max_capacity() / 2 {
            tracing::debug!("event queue half full: {ev:?} not reported");
            return;
        }
        if self.events.try_send(ev).is_err() {
            tracing::warn!("event queue closed: an event was dropped");
        }
    }

    /// Counts one request from `peer` (an envelope or a mailbox request) and says whether it is
    /// over its quota for this window.
    fn over_quota(&mut self, peer: PeerId) -> bool {
        over(&mut self.senders, peer, ENVELOPES_PER_WINDOW)
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Find(account, reply) => self.find(account, Some(reply)),
            Command::FindAddress(address, reply) => {
                let q = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .get_record(address_key(&address).into());
                self.address_finds.insert(
                    q,
                    PendingAddressFind {
                        address,
                        best: None,
                        reply,
                    },
                );
            }
            Command::Send(account, envelope, reply) => {
                let s = PendingSend {
                    account,
                    envelope,
                    attempts: 0,
                    reply,
                };
                let fresh = self
                    .known
                    .get(&account)
                    .is_some_and(|(_, at)| at.elapsed() < KNOWN_FOR);
                if fresh {
                    self.send(s);
                } else {
                    self.waiting_for_find.entry(account).or_default().push(s);
                    self.find(account, None);
                }
            }
            Command::Provide(key, reply) => {
                match self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .start_providing(key.to_vec().into())
                {
                    Ok(q) => {
                        self.provides.insert(q, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(P2pError::Transport(e.to_string())));
                    }
                }
            }
            Command::Providers(key, reply) => {
                let q = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .get_providers(key.to_vec().into());
                self.provider_queries.insert(q, (HashSet::new(), reply));
            }
            Command::GetChunk(peer, addrs, hash, reply) => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .chunks
                    .send_request_with_addresses(&peer, Frame::ChunkGet { hash }, addrs);
                self.chunk_requests.insert(id, reply);
            }
            Command::Info(reply) => {
                let mut by_peer: HashMap<PeerId, bool> = HashMap::new();
                for (p, relayed) in self.connections.values() {
                    let all_relayed = by_peer.entry(*p).or_insert(true);
                    *all_relayed &= *relayed;
                }
                let routing = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .kbuckets()
                    .flat_map(|b| {
                        b.iter()
                            .map(|e| {
                                (
                                    *e.node.key.preimage(),
                                    e.node.value.iter().cloned().collect(),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                let _ = reply.send(NodeInfo {
                    routing,
                    peer: *self.swarm.local_peer_id(),
                    account: self.account,
                    listen: self.swarm.listeners().cloned().collect(),
                    external: self.swarm.external_addresses().cloned().collect(),
                    connections: by_peer
                        .into_iter()
                        .map(|(p, r)| (p, if r { Path::Relayed } else { Path::Direct }))
                        .collect(),
                });
            }
        }
    }

    fn find(
        &mut self,
        account: AccountId,
        reply: Option<oneshot::Sender<Result<AccountRecord, P2pError>>>,
    ) {
        if let Some(pending) = self.finds.values_mut().find(|f| f.account == account) {
            pending.replies.extend(reply);
            return;
        }
        let q = self
            .swarm
            .behaviour_mut()
            .kad
            .get_record(record_key(&account).into());
        self.finds.insert(
            q,
            PendingFind {
                account,
                best: None,
                replies: reply.into_iter().collect(),
            },
        );
    }

    fn send(&mut self, s: PendingSend) {
        let Some((rec, _)) = self.known.get(&s.account) else {
            let _ = s
                .reply
                .send(Err(P2pError::NotFound(format!("account {}", s.account))));
            return;
        };
        let peer = rec.peer;
        let addrs = rec.addrs.clone();
        let id = self
            .swarm
            .behaviour_mut()
            .envelopes
            .send_request_with_addresses(&peer, s.envelope.clone(), addrs);
        self.sends.insert(id, s);
    }

    fn publish(&mut self) {
        let addrs: Vec<Multiaddr> = if self.config.public {
            self.announce.clone()
        } else {
            self.reservations.values().cloned().collect()
        };
        if addrs.is_empty() {
            return; // published once a relay accepts us
        }
        let value = match sign_record(&self.keypair, addrs.clone()) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("sign record: {e}");
                return;
            }
        };
        if self.config.findable_by_address {
            let by_address = kad::Record::new(address_key(&self.address), value.clone());
            match self
                .swarm
                .behaviour_mut()
                .kad
                .put_record(by_address, Quorum::One)
            {
                Ok(query) => {
                    self.publishing = Some(Publishing {
                        query,
                        addrs,
                        then: Some(value),
                        address_failed: false,
                    });
                    return;
                }
                // The record under the account id still goes: people find us by id.
                Err(e) => tracing::warn!("publish under the chain address: {e}"),
            }
        }
        self.publish_by_account(value, addrs, self.config.findable_by_address);
    }

    /// Puts the record under the account id; [`P2pEvent::Published`] once it is stored.
    fn publish_by_account(&mut self, value: Vec<u8>, addrs: Vec<Multiaddr>, address_failed: bool) {
        let record = kad::Record::new(record_key(&self.account), value);
        match self
            .swarm
            .behaviour_mut()
            .kad
            .put_record(record, Quorum::One)
        {
            Ok(query) => {
                self.publishing = Some(Publishing {
                    query,
                    addrs,
                    then: None,
                    address_failed,
                })
            }
            Err(e) => {
                tracing::warn!("publish: {e}");
                self.retry_publish();
            }
        }
    }

    fn retry_publish(&mut self) {
        self.publish_due = Some(Instant::now() + self.publish_backoff);
        self.publish_backoff = (self.publish_backoff * 2).min(REPUBLISH_EVERY);
    }

    fn swarm_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                let relayed = address.iter().any(|p| p == Protocol::P2pCircuit);
                if self.config.public && self.config.announce.is_empty() && !relayed {
                    let own = *self.swarm.local_peer_id();
                    if check_addr(&address, &own, self.config.addr_policy).is_ok() {
                        self.swarm.add_external_address(address.clone());
                        self.announce.push(address.clone());
                        self.publish_due = Some(Instant::now());
                    }
                }
                self.emit(P2pEvent::Listening(address));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                if account_of_peer(&peer_id).is_none() {
                    // Not a chain account: nothing here is for it (no DHT, relay or DCUtR).
                    self.swarm.close_connection(connection_id);
                    return;
                }
                let relayed = is_relayed(&endpoint);
                tracing::debug!(%peer_id, relayed, "connected");
                self.connections.insert(connection_id, (peer_id, relayed));
                if self.bootstrap.contains_key(&peer_id) {
                    let _ = self.swarm.behaviour_mut().kad.bootstrap();
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                self.connections.remove(&connection_id);
                if num_established == 0 && self.bootstrap.contains_key(&peer_id) {
                    tracing::info!(%peer_id, "lost the connection to a bootstrap node; redialling");
                    self.redial_due
                        .get_or_insert(Instant::now() + self.redial_backoff);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                ..
            })) => self.identified(peer_id),
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(
                relay::client::Event::ReservationReqAccepted { relay_peer_id, .. },
            )) => {
                if let Some(addr) = self.bootstrap.get(&relay_peer_id) {
                    let circuit = addr.clone().with(Protocol::P2pCircuit);
                    let fresh = self.reservations.insert(relay_peer_id, circuit).is_none();
                    self.emit(P2pEvent::Reserved {
                        relay: relay_peer_id,
                    });
                    if fresh {
                        self.publish_due = Some(Instant::now());
                    }
                    // Back within reach: collect what was left while we were away.
                    self.fetch(relay_peer_id);
                }
            }
            SwarmEvent::ListenerClosed { listener_id, .. } => {
                // A relay reservation ended: stop announcing it; it is asked for again when
                // the relay identifies itself on the next connection.
                let relay = self
                    .circuits_requested
                    .iter()
                    .find(|(_, l)| **l == listener_id)
                    .map(|(p, _)| *p);
                if let Some(relay) = relay {
                    self.circuits_requested.remove(&relay);
                    if self.reservations.remove(&relay).is_some() {
                        self.publish_due = Some(Instant::now());
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(dcutr::Event {
                remote_peer_id,
                result,
            })) => {
                let Some(account) = account_of_peer(&remote_peer_id) else {
                    return;
                };
                match result {
                    Ok(_) => {
                        tracing::info!(%remote_peer_id, "hole punched: direct connection");
                        // Envelopes go over any connection to the peer: keep only the direct one.
                        let relayed: Vec<ConnectionId> = self
                            .connections
                            .iter()
                            .filter(|(_, (p, r))| *p == remote_peer_id && *r)
                            .map(|(c, _)| *c)
                            .collect();
                        for c in relayed {
                            self.swarm.close_connection(c);
                        }
                        self.emit(P2pEvent::Direct { account });
                    }
                    Err(e) => {
                        tracing::info!(%remote_peer_id, "hole punch failed: {e:?}");
                        self.emit(P2pEvent::PunchFailed {
                            account,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(ev)) => self.kad_event(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Autonat(autonat::Event::StatusChanged {
                new,
                ..
            })) => {
                let r = match new {
                    autonat::NatStatus::Public(a) => {
                        tracing::info!(addr = %a, "reachable: a bootstrap node dialled us back");
                        Reachability::Public(a)
                    }
                    autonat::NatStatus::Private => {
                        tracing::warn!(
                            announced = ?self.announce,
                            "not reachable: no bootstrap node could dial this public node back \
                             (a NAT or a firewall in the way?); peers cannot reach it \
                             unprompted: open the port, or run it as a private node"
                        );
                        Reachability::Private
                    }
                    autonat::NatStatus::Unknown => Reachability::Unknown,
                };
                self.emit(P2pEvent::Reachability(r));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Envelopes(ev)) => self.envelope_event(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Mailbox(ev)) => self.mailbox_event(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Chunks(ev)) => self.chunk_event(ev),
            SwarmEvent::NewExternalAddrCandidate { address } => {
                tracing::debug!(%address, "address candidate");
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(?peer_id, "dial failed: {error}");
            }
            _ => {}
        }
    }

    fn identified(&mut self, peer: PeerId) {
        // Our address as others see it reaches DCUtR as an identify *candidate*; it is not
        // confirmed as an external address here: behind a NAT nobody can dial it unprompted,
        // and a confirmed address is no longer offered to DCUtR as a candidate.
        let Some(addr) = self.bootstrap.get(&peer).cloned() else {
            return;
        };
        if self.config.public {
            return;
        }
        if !self.circuits_requested.contains_key(&peer) {
            let circuit = addr.with(Protocol::P2pCircuit);
            match self.swarm.listen_on(circuit.clone()) {
                Ok(l) => {
                    self.circuits_requested.insert(peer, l);
                }
                Err(e) => tracing::warn!(%circuit, "reserve: {e}"),
            }
        }
    }

    /// Puts `peer`, connected and routable at `address`, in the DHT routing table unless its
    /// subnet (IPv4 /24, IPv6 /48) holds [`ROUTING_PER_SUBNET`] peers already: whoever controls
    /// one address block then cannot fill the table with its own ids and surround (eclipse) this
    /// node's lookups, however many keys it makes. Bootstrap nodes are always let in.
    fn admit_to_routing(&mut self, peer: PeerId, address: Multiaddr) {
        if !self.bootstrap.contains_key(&peer) {
            let Some(net) = subnet(&address) else {
                return;
            };
            if self.routing_peers_in(net) >= ROUTING_PER_SUBNET {
                tracing::debug!(%peer, %address, "routing table: its subnet has its share");
                return;
            }
        }
        self.swarm.behaviour_mut().kad.add_address(&peer, address);
    }

    /// Routing-table peers with an address in subnet `net`.
    fn routing_peers_in(&mut self, net: (bool, u64)) -> usize {
        self.swarm
            .behaviour_mut()
            .kad
            .kbuckets()
            .map(|b| {
                b.iter()
                    .filter(|e| e.node.value.iter().any(|a| subnet(a) == Some(net)))
                    .count()
            })
            .sum()
    }

    fn kad_event(&mut self, ev: kad::Event) {
        match ev {
            kad::Event::RoutablePeer { peer, address } => self.admit_to_routing(peer, address),
            // A peer admitted while its bucket was full waited as pending and is applied now,
            // uncounted since: over its subnet's share, it leaves again.
            kad::Event::RoutingUpdated {
                peer,
                is_new_peer: true,
                addresses,
                ..
            } if !self.bootstrap.contains_key(&peer) => {
                let Some(net) = subnet(addresses.first()) else {
                    return;
                };
                if self.routing_peers_in(net) > ROUTING_PER_SUBNET {
                    self.swarm.behaviour_mut().kad.remove_peer(&peer);
                }
            }
            kad::Event::InboundRequest {
                request:
                    InboundRequest::PutRecord {
                        source,
                        record: Some(record),
                        ..
                    },
            } => {
                match check_record(
                    record.key.as_ref(),
                    &record.value,
                    unix_now(),
                    self.config.addr_policy,
                ) {
                    Ok(new) => {
                        let store = self.swarm.behaviour_mut().kad.store_mut();
                        let older = store.get(&record.key).is_some_and(|old| {
                            check_record(
                                old.key.as_ref(),
                                &old.value,
                                u64::MAX / 2,
                                self.config.addr_policy,
                            )
                            .is_ok_and(|o| o.seq > new.seq)
                        });
                        if !older {
                            if let Err(e) = store.put(record) {
                                tracing::warn!("store record: {e}");
                            }
                        }
                    }
                    Err(e) => self.emit(P2pEvent::Refused {
                        from: source,
                        reason: e.to_string(),
                    }),
                }
            }
            kad::Event::InboundRequest {
                request:
                    InboundRequest::AddProvider {
                        record: Some(mut p),
                    },
            } => {
                let from = p.provider;
                if account_of_peer(&from).is_none() {
                    self.emit(P2pEvent::Refused {
                        from,
                        reason: "provider is not a chain account".into(),
                    });
                    return;
                }
                // Chunks are named by their sha256: any other key is not ours to keep.
                if p.key.as_ref().len() != 32 {
                    self.emit(P2pEvent::Refused {
                        from,
                        reason: "provider key is not a 32-byte chunk hash".into(),
                    });
                    return;
                }
                // Per window: so many from one peer, so many in all (a restart of the window
                // forgets the counts; kad expires the records themselves).
                let now = Instant::now();
                if now.duration_since(self.provided_window.0) >= PROVIDER_WINDOW {
                    self.provided_window = (now, 0);
                    self.provided_by.clear();
                }
                let n = self.provided_by.get(&from).copied().unwrap_or(0);
                if n >= MAX_PROVIDED_PER_PEER || self.provided_window.1 >= MAX_PROVIDED_PER_WINDOW {
                    self.emit(P2pEvent::Refused {
                        from,
                        reason: "provider records over quota for this hour".into(),
                    });
                    return;
                }
                self.provided_by.insert(from, n + 1);
                self.provided_window.1 += 1;
                let policy = self.config.addr_policy;
                p.addresses.retain(|a| check_addr(a, &from, policy).is_ok());
                p.addresses.truncate(crate::record::MAX_ADDRS);
                if let Err(e) = self.swarm.behaviour_mut().kad.store_mut().add_provider(p) {
                    tracing::warn!("store provider: {e}");
                }
            }
            kad::Event::OutboundQueryProgressed {
                id, result, step, ..
            } => match result {
                QueryResult::GetRecord(r) if self.address_finds.contains_key(&id) => {
                    self.address_record(id, r, step.last)
                }
                QueryResult::GetRecord(r) => {
                    let policy = self.config.addr_policy;
                    let Some(pending) = self.finds.get_mut(&id) else {
                        return;
                    };
                    let asked = record_key(&pending.account);
                    let (done, refused) =
                        record_step(&asked, r, step.last, policy, &mut pending.best);
                    if let Some(ev) = refused {
                        self.emit(ev);
                    }
                    if done {
                        let pending = self.finds.remove(&id).expect("present above");
                        self.found(pending);
                    }
                }
                QueryResult::PutRecord(r)
                    if self.publishing.as_ref().is_some_and(|p| p.query == id) =>
                {
                    let Publishing {
                        addrs,
                        then,
                        address_failed,
                        ..
                    } = self.publishing.take().expect("checked");
                    if let Some(value) = then {
                        if let Err(e) = &r {
                            // Found by id all the same; the address is tried again after.
                            tracing::debug!("publish under the chain address: {e}");
                        }
                        self.publish_by_account(value, addrs, r.is_err());
                        return;
                    }
                    match r {
                        Ok(_) => {
                            self.emit(P2pEvent::Published { addrs });
                            if address_failed {
                                self.retry_publish();
                            } else {
                                self.publish_backoff = PUBLISH_RETRY;
                            }
                        }
                        Err(e) => {
                            tracing::debug!("publish: {e}; retrying");
                            self.retry_publish();
                        }
                    }
                }
                QueryResult::StartProviding(r) => {
                    if let Some(reply) = self.provides.remove(&id) {
                        let _ = reply.send(
                            r.map(|_| ())
                                .map_err(|e| P2pError::Transport(e.to_string())),
                        );
                    }
                }
                QueryResult::GetProviders(r) => {
                    let mut done = step.last;
                    if let Some((found, _)) = self.provider_queries.get_mut(&id) {
                        match r {
                            Ok(GetProvidersOk::FoundProviders { providers, .. }) => {
                                found.extend(providers.iter().filter_map(account_of_peer));
                            }
                            Ok(GetProvidersOk::FinishedWithNoAdditionalRecord { .. }) => {
                                done = true
                            }
                            Err(_) => done = true,
                        }
                    }
                    if done {
                        if let Some((found, reply)) = self.provider_queries.remove(&id) {
                            let mut v: Vec<AccountId> = found.into_iter().collect();
                            v.sort();
                            let _ = reply.send(Ok(v));
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// A step of a lookup by chain address: the newest valid record under it wins; when the
    /// lookup ends, the account it names is known like any other found.
    fn address_record(
        &mut self,
        id: QueryId,
        r: Result<GetRecordOk, kad::GetRecordError>,
        last: bool,
    ) {
        let policy = self.config.addr_policy;
        let Some(pending) = self.address_finds.get_mut(&id) else {
            return;
        };
        let asked = address_key(&pending.address);
        let (done, refused) = record_step(&asked, r, last, policy, &mut pending.best);
        if let Some(ev) = refused {
            self.emit(ev);
        }
        if done {
            let pending = self.address_finds.remove(&id).expect("present above");
            let result = match pending.best {
                Some(rec) => {
                    let newer = self
                        .known
                        .get(&rec.account)
                        .is_none_or(|(k, _)| rec.seq > k.seq);
                    if newer {
                        self.known
                            .insert(rec.account, (rec.clone(), Instant::now()));
                    }
                    Ok(rec)
                }
                None => Err(P2pError::NotFound(format!(
                    "chain address {}",
                    hex::encode(pending.address)
                ))),
            };
            let _ = pending.reply.send(result);
        }
    }

    fn found(&mut self, pending: PendingFind) {
        let fresh_relays = pending.best.as_ref().map(relays_of);
        for (s, stale, why) in self
            .waiting_to_deposit
            .remove(&pending.account)
            .unwrap_or_default()
        {
            let relays = fresh_relays.clone().unwrap_or(stale);
            self.deposit(s, relays, why);
        }
        let result = match pending.best {
            Some(rec) => {
                self.known
                    .insert(pending.account, (rec.clone(), Instant::now()));
                Ok(rec)
            }
            None => Err(pending.account),
        };
        for r in pending.replies {
            let _ = r.send(
                result
                    .clone()
                    .map_err(|a| P2pError::NotFound(format!("account {a}"))),
            );
        }
        for s in self
            .waiting_for_find
            .remove(&pending.account)
            .unwrap_or_default()
        {
            self.send(s);
        }
    }

    fn envelope_event(&mut self, ev: request_response::Event<Vec<u8>, Ack>) {
        match ev {
            request_response::Event::Message {
                peer,
                connection_id,
                message,
            } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.received(peer, connection_id, request, channel),
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(s) = self.sends.remove(&request_id) {
                        let relayed = self
                            .connections
                            .get(&connection_id)
                            .is_some_and(|(_, r)| *r);
                        let _ = s.reply.send(match response {
                            Ack::Accepted => Ok(if relayed { Path::Relayed } else { Path::Direct }),
                            Ack::Busy => Err(P2pError::Undelivered {
                                account: s.account.to_string(),
                                reason: "the receiver is busy; try later".into(),
                            }),
                        });
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(mut s) = self.sends.remove(&request_id) {
                    s.attempts += 1;
                    let retry = s.attempts < SEND_ATTEMPTS
                        && matches!(error, request_response::OutboundFailure::ConnectionClosed);
                    if retry {
                        self.send(s);
                    } else {
                        // Unreachable: leave it at the recipient's relays, as a fresh record
                        // names them (the one used may be stale: it moved, or is away for
                        // good and its relays changed).
                        let account = s.account;
                        let stale = self
                            .known
                            .remove(&account)
                            .map(|(r, _)| relays_of(&r))
                            .unwrap_or_default();
                        self.waiting_to_deposit.entry(account).or_default().push((
                            s,
                            stale,
                            error.to_string(),
                        ));
                        self.find(account, None);
                    }
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "inbound envelope failed: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Leaves `s` at the first of `relays` that takes it.
    fn deposit(&mut self, s: PendingSend, relays: Vec<(PeerId, Multiaddr)>, why: String) {
        use rand::RngCore;
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let d = Deposit {
            envelope: Envelope {
                id,
                from: self.account.0,
                to: s.account.0,
                expires_at: unix_now() + MAILBOX_TTL_SECS,
                ciphertext: s.envelope,
            },
            relays,
            reply: s.reply,
            why,
        };
        self.next_deposit(d);
    }

    fn next_deposit(&mut self, mut d: Deposit) {
        let Some((relay, addr)) = d.relays.pop() else {
            let _ = d.reply.send(Err(P2pError::Undelivered {
                account: hex::encode(d.envelope.to),
                reason: format!("{}; and no relay of theirs took it", d.why),
            }));
            return;
        };
        let id = self
            .swarm
            .behaviour_mut()
            .mailbox
            .send_request_with_addresses(&relay, Frame::Deliver(d.envelope.clone()), vec![addr]);
        self.deposits.insert(id, d);
    }

    fn mailbox_event(&mut self, ev: request_response::Event<Frame, Vec<Frame>>) {
        match ev {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let answer = self.serve_mailbox(peer, request);
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .mailbox
                        .send_response(channel, answer);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(d) = self.deposits.remove(&request_id) {
                        match response.as_slice() {
                            [Frame::Ack {
                                status: AckStatus::Stored | AckStatus::Duplicate,
                                ..
                            }] => {
                                let _ = d.reply.send(Ok(Path::Stored));
                            }
                            _ => self.next_deposit(d),
                        }
                    } else if let Some(relay) = self.fetches.remove(&request_id) {
                        self.fetched(relay, response);
                        if self.fetch_after.remove(&request_id) {
                            self.fetch(relay);
                        }
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(mut d) = self.deposits.remove(&request_id) {
                    d.why = format!("{}; a relay: {error}", d.why);
                    self.next_deposit(d);
                } else if let Some(relay) = self.fetches.remove(&request_id) {
                    self.fetch_after.remove(&request_id);
                    tracing::debug!(%relay, "mailbox request failed: {error}");
                }
            }
            _ => {}
        }
    }

    fn chunk_event(&mut self, ev: request_response::Event<Frame, Vec<Frame>>) {
        match ev {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let answer = match request {
                        Frame::ChunkGet { hash }
                            if !over(&mut self.chunk_askers, peer, CHUNKS_PER_WINDOW) =>
                        {
                            match self.config.chunks.as_ref().map(|s| s.get(&hash)) {
                                Some(Ok(Some(data))) => vec![Frame::ChunkData { hash, data }],
                                Some(Err(e)) => {
                                    tracing::warn!("chunk store: {e}");
                                    vec![Frame::ChunkMissing { hash }]
                                }
                                _ => vec![Frame::ChunkMissing { hash }],
                            }
                        }
                        // Over quota: an empty answer, which the asker reads as "busy, later".
                        Frame::ChunkGet { .. } => vec![],
                        _ => {
                            self.emit(P2pEvent::Refused {
                                from: peer,
                                reason: "not a chunk request on the chunk protocol".into(),
                            });
                            return;
                        }
                    };
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .chunks
                        .send_response(channel, answer);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.chunk_requests.remove(&request_id) {
                        let _ = reply.send(match response.into_iter().next() {
                            Some(Frame::ChunkData { data, .. }) => Ok(Some(data)),
                            Some(_) => Ok(None),
                            None => Err(P2pError::Busy),
                        });
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(reply) = self.chunk_requests.remove(&request_id) {
                    let _ = reply.send(Err(P2pError::Transport(error.to_string())));
                }
            }
            _ => {}
        }
    }

    /// A relay's answer to a fetch: hand the envelopes on; those the application takes are
    /// confirmed to the relay once it has (the rest stay there for the next fetch).
    fn fetched(&mut self, relay: PeerId, frames: Vec<Frame>) {
        let mut waiting = Vec::new();
        let mut items = 0;
        for f in frames {
            let Frame::MailboxItem(e) = f else { continue };
            items += 1;
            let (receipt, rx) = Receipt::new();
            let ev = P2pEvent::Received {
                from: AccountId(e.from),
                envelope: e.ciphertext,
                path: Path::Stored,
                receipt,
            };
            // Full: not confirmed, so it stays at the relay for the next fetch.
            if self.events.try_send(ev).is_ok() {
                waiting.push((e.id, rx));
            }
        }
        if waiting.is_empty() {
            return;
        }
        // More may wait when there was a whole batch and room for all of it.
        let full_batch = items == FETCH_BATCH && waiting.len() == items;
        self.settling.push(
            async move {
                let n = waiting.len();
                let checks = waiting
                    .into_iter()
                    .map(|(id, rx)| async move { taken_in_time(rx).await.then_some(id) });
                let taken: Vec<[u8; 16]> = futures::future::join_all(checks)
                    .await
                    .into_iter()
                    .flatten()
                    .collect();
                let all = full_batch && taken.len() == n;
                Settled::Mailbox { relay, taken, all }
            }
            .boxed(),
        );
    }

    /// The application's receipts for received envelopes are in (or their time is up).
    fn settled(&mut self, s: Settled) {
        match s {
            Settled::Envelope(channel, ack) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .envelopes
                    .send_response(channel, ack);
            }
            Settled::Mailbox { relay, taken, all } => {
                if !taken.is_empty() {
                    let id = self
                        .swarm
                        .behaviour_mut()
                        .mailbox
                        .send_request(&relay, Frame::MailboxAck { ids: taken });
                    self.fetches.insert(id, relay);
                    if all {
                        self.fetch_after.insert(id);
                    }
                }
            }
        }
    }

    /// A public node's answer to a mailbox request from `peer`.
    fn serve_mailbox(&mut self, peer: PeerId, request: Frame) -> Vec<Frame> {
        if self.store.is_none() {
            return Vec::new();
        }
        if self.over_quota(peer) {
            return match request {
                Frame::Deliver(e) => vec![Frame::Ack {
                    id: e.id,
                    status: AckStatus::Rejected,
                }],
                _ => Vec::new(),
            };
        }
        let (Some(store), Some(account)) = (self.store.as_mut(), account_of_peer(&peer)) else {
            return Vec::new();
        };
        let now = unix_now();
        match request {
            Frame::Deliver(e) => {
                let id = e.id;
                // Not in the sender's own name, empty, or the store at its entry cap.
                let (status, why) = if e.from != account.0
                    || e.ciphertext.is_empty()
                    || store.len() >= MAILBOX_MAX_ENTRIES
                {
                    (
                        AckStatus::Rejected,
                        Some("not in the sender's own name, empty, or the mailbox full".into()),
                    )
                } else {
                    match store.deposit(e, now) {
                        Ok(Ok(())) => (AckStatus::Stored, None),
                        Ok(Err(bithive_bitchat::mailbox::Refusal::Duplicate)) => {
                            (AckStatus::Duplicate, None)
                        }
                        Ok(Err(r)) => {
                            tracing::info!(%peer, "mailbox refused a deposit: {r:?}");
                            (AckStatus::Rejected, Some(format!("{r:?}")))
                        }
                        // A full disk, say: nothing was stored. The sender, told `Rejected` (not
                        // why), tries its other relays; the chat keeps what none took in its
                        // outbox and tries again later.
                        Err(err) => {
                            tracing::error!("mailbox: {err}");
                            (
                                AckStatus::Rejected,
                                Some(format!("this relay could not store it: {err}")),
                            )
                        }
                    }
                };
                if let Some(why) = why {
                    self.emit(P2pEvent::Refused {
                        from: peer,
                        reason: format!("mailbox deposit refused: {why}"),
                    });
                }
                vec![Frame::Ack { id, status }]
            }
            Frame::MailboxFetch => {
                let mut v: Vec<Frame> = store
                    .pending_for(&account.0, now, FETCH_BATCH)
                    .into_iter()
                    .map(Frame::MailboxItem)
                    .collect();
                v.push(Frame::MailboxEnd);
                v
            }
            Frame::MailboxAck { ids } => {
                if let Err(e) = store.acknowledge(&account.0, &ids) {
                    tracing::error!("mailbox: {e}");
                }
                vec![Frame::MailboxEnd]
            }
            _ => Vec::new(),
        }
    }

    fn received(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        envelope: Vec<u8>,
        channel: ResponseChannel<Ack>,
    ) {
        let Some(from) = account_of_peer(&peer) else {
            // Dropping the channel fails the request: only chain accounts talk BitChat.
            self.emit(P2pEvent::Refused {
                from: peer,
                reason: "sender is not a chain account".into(),
            });
            return;
        };
        let busy = |node: &mut Self, channel| {
            let _ = node
                .swarm
                .behaviour_mut()
                .envelopes
                .send_response(channel, Ack::Busy);
        };
        if self.over_quota(peer) {
            return busy(self, channel);
        }
        let path = match self.connections.get(&connection) {
            Some((_, true)) => Path::Relayed,
            _ => Path::Direct,
        };
        let (receipt, rx) = Receipt::new();
        if self
            .events
            .try_send(P2pEvent::Received {
                from,
                envelope,
                path,
                receipt,
            })
            .is_err()
        {
            return busy(self, channel);
        }
        // Answered once the application took it: Accepted; not in time: Busy (the sender tries
        // again later).
        self.settling.push(
            async move {
                let ack = if taken_in_time(rx).await {
                    Ack::Accepted
                } else {
                    Ack::Busy
                };
                Settled::Envelope(channel, ack)
            }
            .boxed(),
        );
    }
}
