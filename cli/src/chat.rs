//! `bithive chat`: BitChat for people. Your identity is your chain key (from the keyring);
//! conversations (1:1 and groups) are MLS; everything on disk is sealed and 0600. Two carriers:
//! - with `--bootstrap` (libp2p): people find you by your BitChat id through the DHT, NATs are
//!   punched through, relays keep messages for people who are away;
//! - without: a BitChat node at a known address; people reach you with your contact card.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::card::{make_card, read_card};
use bithive_bitchat::chat::file::{safe_name, FileOffer, MAX_FILE};
use bithive_bitchat::chat::{
    message_digest, Carrier, ChatClient, ChatCore, ConversationId, Dispatched, Event,
};
use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::{
    AccountId, Node, NodeConfig, NodeIdentity, OpenRegistry, PeerRecord, PeerRegistry,
};
use bithive_bitchat_p2p::chat::P2pCarrier;
use bithive_bitchat_p2p::record::AddrPolicy;
use bithive_bitchat_p2p::{Multiaddr, P2pConfig, P2pEvent, P2pNode, Protocol, Reachability};
use clap::{Args, Subcommand};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

#[derive(Debug, Subcommand)]
pub enum ChatCommand {
    /// Print your contact card: give it to the people who should reach you
    Card(CardArgs),
    /// Talk: an interactive session (messages appear as they arrive; type /help)
    Run(RunArgs),
    /// Run a relay: it keeps sealed messages for people who are away (per-sender quotas)
    Relay(RelayArgs),
}

#[derive(Debug, Args)]
pub struct Who {
    #[command(flatten)]
    pub keys: bithive_relayer::cli::KeyringArgs,
    /// Name of your key in the keyring (your chat identity is your chain account)
    #[arg(long, value_name = "NAME", env = "BITHIVE_KEY", hide_env_values = true)]
    pub key: String,
    /// Where your chat state lives (sealed with your key, files 0600)
    #[arg(
        long,
        value_name = "DIR",
        env = "BITHIVE_CHAT_HOME",
        default_value = "bithive-chat"
    )]
    pub home: PathBuf,
}

#[derive(Debug, Args)]
pub struct CardArgs {
    #[command(flatten)]
    pub who: Who,
    /// The address others reach you at, written into the card (HOST:PORT)
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub who: Who,
    /// UDP address to listen on
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:7410")]
    pub listen: SocketAddr,
    /// The address written into your card [default: --listen, unless it is 0.0.0.0]
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,
    /// A relay's card: messages for people who are away are left there, and yours fetched
    #[arg(long = "relay", value_name = "CARD", conflicts_with = "bootstrap")]
    pub relays: Vec<String>,
    /// Join BitChat's libp2p network through this public node (a MULTIADDR ending in
    /// /p2p/<peer id>, as `bithive chat relay --p2p` prints it): people find each other by
    /// BitChat id, NATs are punched through, its relay keeps messages for people who are away
    #[arg(
        long,
        value_name = "MULTIADDR",
        env = "BITHIVE_CHAT_BOOTSTRAP",
        value_delimiter = ','
    )]
    pub bootstrap: Vec<Multiaddr>,
    /// Accept loopback addresses in records (tests on one machine only)
    #[arg(long, hide = true)]
    pub allow_loopback: bool,
    /// Do not tell people when you have read their messages (you still see when they read
    /// yours, if they tell)
    #[arg(long)]
    pub no_read_receipts: bool,
    /// Over libp2p: do not publish your record under your chain address too (people then find
    /// you by BitChat id or card only)
    #[arg(long, requires = "bootstrap")]
    pub not_findable_by_address: bool,
}

#[derive(Debug, Args)]
pub struct RelayArgs {
    #[command(flatten)]
    pub who: Who,
    /// UDP address to listen on
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:7400")]
    pub listen: SocketAddr,
    /// The address written into the relay's card [default: --listen]; with --p2p, the address
    /// announced in the DHT
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,
    /// A public node of BitChat's libp2p network: a DHT server, a relay for people behind NATs
    /// and a mailbox for people who are away
    #[arg(long)]
    pub p2p: bool,
    /// With --p2p: public nodes to join the DHT through, each ending in /p2p/<peer id>
    /// (comma-separated or repeated); they also check that this node is reachable where it
    /// announces (AutoNAT), and it says what they found
    #[arg(
        long,
        value_name = "MULTIADDR",
        value_delimiter = ',',
        requires = "p2p"
    )]
    pub bootstrap: Vec<Multiaddr>,
    /// Accept loopback addresses in records (tests on one machine only)
    #[arg(long, hide = true)]
    pub allow_loopback: bool,
}

/// Own messages remembered to say who read them.
const SENT_KEPT: usize = 256;

/// Strangers a node keeps keys for at once (peers that proved their keys; the oldest forgotten).
const LEARNED_PEERS: usize = 4096;

fn secret_of(who: &Who) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let key = bithive_relayer::keyring::Keyring::new(&who.keys.keyring)
        .get(&who.key, &who.keys.prefix)
        .with_context(|| format!("key {:?} in {}", who.key, who.keys.keyring.display()))?;
    Ok(Zeroizing::new(key.k256().to_bytes().into()))
}

fn advertised(listen: SocketAddr, advertise: Option<SocketAddr>) -> Option<SocketAddr> {
    advertise.or((!listen.ip().is_unspecified()).then_some(listen))
}

/// `HOST:PORT` as a QUIC multiaddr.
fn quic_multiaddr(a: SocketAddr) -> Multiaddr {
    let ip = match a.ip() {
        std::net::IpAddr::V4(v4) => Protocol::Ip4(v4),
        std::net::IpAddr::V6(v6) => Protocol::Ip6(v6),
    };
    Multiaddr::empty()
        .with(ip)
        .with(Protocol::Udp(a.port()))
        .with(Protocol::QuicV1)
}

/// A BitChat id typed by a person: 40 hex digits.
fn parse_id(s: &str) -> anyhow::Result<AccountId> {
    s.parse().map_err(|_| {
        anyhow!("{s:?} is neither a card (bitchat1...) nor a BitChat id (40 hex digits; /id shows yours)")
    })
}

pub fn run(cmd: &ChatCommand) -> anyhow::Result<()> {
    match cmd {
        ChatCommand::Card(a) => {
            let secret = secret_of(&a.who)?;
            let id = NodeIdentity::from_secret(&secret)?;
            println!("{}", make_card(&id, a.advertise));
            Ok(())
        }
        ChatCommand::Run(a) => tokio::runtime::Runtime::new()?.block_on(session(a)),
        ChatCommand::Relay(a) => tokio::runtime::Runtime::new()?.block_on(relay(a)),
    }
}

async fn relay(a: &RelayArgs) -> anyhow::Result<()> {
    if a.p2p {
        return relay_p2p(a).await;
    }
    let secret = secret_of(&a.who)?;
    let identity = NodeIdentity::from_secret(&secret)?;
    let card = make_card(&identity, advertised(a.listen, a.advertise));
    let mut cfg = NodeConfig::new(a.listen, a.who.home.join("relay"));
    cfg.relay = true;
    let node = Node::start(cfg, identity, Arc::new(OpenRegistry::new(LEARNED_PEERS)))
        .await
        .context("starting the relay")?;
    println!("relay listening on {}", node.local_addr()?);
    println!("card: {card}");
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    node.shutdown().await;
    Ok(())
}

/// A public node of the libp2p network until Ctrl-C.
async fn relay_p2p(a: &RelayArgs) -> anyhow::Result<()> {
    let secret = secret_of(&a.who)?;
    let announce = advertised(a.listen, a.advertise).ok_or_else(|| {
        anyhow!(
            "listening on {}: say with --advertise HOST:PORT where others reach this node",
            a.listen
        )
    })?;
    let mut cfg = P2pConfig::new(quic_multiaddr(a.listen));
    cfg.public = true;
    cfg.announce = vec![quic_multiaddr(announce)];
    cfg.addr_policy = AddrPolicy {
        allow_loopback: a.allow_loopback,
    };
    cfg.data_dir = Some(a.who.home.join("relay-p2p"));
    cfg.bootstrap = a.bootstrap.clone();
    let mut node = P2pNode::start(&secret, cfg)
        .await
        .context("starting the public node")?;
    let peer = node.peer_id();
    println!(
        "public node {peer} (BitChat id {}) announcing {}",
        node.account(),
        quic_multiaddr(announce)
    );
    println!(
        "bootstrap: {}",
        quic_multiaddr(announce).with(Protocol::P2p(peer))
    );
    if a.bootstrap.is_empty() {
        println!(
            "no --bootstrap: nobody checks that others can reach this node (give it another \
             public node to check with)"
        );
    }
    loop {
        tokio::select! {
            ev = node.next_event() => match ev {
                Some(P2pEvent::Refused { from, reason }) => tracing::info!(%from, "refused: {reason}"),
                Some(P2pEvent::Reachability(Reachability::Public(at))) => {
                    println!("reachable: a bootstrap node dialled this node back at {at}")
                }
                Some(P2pEvent::Reachability(Reachability::Private)) => println!(
                    "! not reachable: no bootstrap node could dial this node back at {}; people \
                     cannot reach it unprompted (open UDP port {} to it, or check --advertise)",
                    quic_multiaddr(announce),
                    announce.port()
                ),
                Some(ev) => tracing::debug!("{ev:?}"),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    println!("stopping");
    node.shutdown().await;
    Ok(())
}

/// Contact cards you added, and the keys of people you talk with who reached you first
/// (learned from their session's proof), sealed under your key in `<home>/cards.sealed`, so a
/// restart still knows everyone (their messages left at a relay open after it).
struct Cards {
    path: PathBuf,
    key: AtRestKey,
    file: CardsFile,
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct CardsFile {
    cards: Vec<String>,
    /// `account key hex, noise key hex, address`
    peers: Vec<(String, String, Option<SocketAddr>)>,
}

impl Cards {
    fn open(home: &Path, secret: &[u8; 32]) -> anyhow::Result<Self> {
        let path = home.join("cards.sealed");
        let key = AtRestKey::derive(secret, "cards");
        let file = match bithive_secret_file::read(&path) {
            Ok(b) => {
                let plain = key
                    .open(b"cards", &b)
                    .ok_or_else(|| anyhow!("{} does not open with this key", path.display()))?;
                serde_json::from_slice(&plain).context("cards file")?
            }
            Err(e) if e.is_not_found() => CardsFile::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(Self { path, key, file })
    }
    fn save(&self) -> anyhow::Result<()> {
        let plain = Zeroizing::new(serde_json::to_vec(&self.file)?);
        bithive_secret_file::replace(&self.path, Zeroizing::new(self.key.seal(b"cards", &plain)))?;
        Ok(())
    }
    fn add(&mut self, card: &str) -> anyhow::Result<()> {
        if !self.file.cards.iter().any(|c| c == card) {
            self.file.cards.push(card.to_string());
            self.save()?;
        }
        Ok(())
    }
    fn add_peer(&mut self, rec: &PeerRecord) -> anyhow::Result<()> {
        let row = (
            hex::encode(rec.account_pubkey),
            hex::encode(rec.noise_pubkey),
            rec.addr,
        );
        if !self.file.peers.contains(&row) {
            self.file.peers.retain(|p| p.0 != row.0);
            self.file.peers.push(row);
            self.save()?;
        }
        Ok(())
    }
    fn records(&self) -> anyhow::Result<Vec<PeerRecord>> {
        let mut out = Vec::new();
        for c in &self.file.cards {
            out.push(read_card(c)?);
        }
        for (a, n, addr) in &self.file.peers {
            out.push(PeerRecord {
                account_pubkey: hex::decode(a)?
                    .try_into()
                    .map_err(|_| anyhow!("cards file: account key"))?,
                noise_pubkey: hex::decode(n)?
                    .try_into()
                    .map_err(|_| anyhow!("cards file: noise key"))?,
                addr: *addr,
            });
        }
        Ok(out)
    }
}

/// Names people see: chain addresses.
struct Names {
    prefix: String,
    known: BTreeMap<AccountId, String>,
}

impl Names {
    /// `id`'s chain address when its key is known (`rec`), else its BitChat id.
    fn of(&mut self, id: AccountId, rec: Option<PeerRecord>) -> String {
        if let Some(n) = self.known.get(&id) {
            return n.clone();
        }
        match rec.and_then(|r| {
            bithive_chain_client::keys::address_of_pubkey(&r.account_pubkey, &self.prefix).ok()
        }) {
            Some(n) => {
                self.known.insert(id, n.clone());
                n
            }
            None => format!("id {id}"),
        }
    }
    fn learn(&mut self, rec: &PeerRecord) {
        if let Ok(a) =
            bithive_chain_client::keys::address_of_pubkey(&rec.account_pubkey, &self.prefix)
        {
            self.known
                .insert(AccountId::from_pubkey(&rec.account_pubkey), a);
        }
    }
}

/// A message body as one line of text: control characters (new lines, terminal escapes) shown
/// escaped, so no member can draw a line that looks like someone else's or drive the terminal.
fn printable(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A regular file of at most [`MAX_FILE`] bytes, read whole (a device or a file that grows
/// is refused, not read without end).
fn read_file_to_send(path: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    // Asked before opening: opening a FIFO to read would wait for a writer.
    if !std::fs::metadata(path)
        .with_context(|| format!("reading {path}"))?
        .is_file()
    {
        bail!("{path} is not a regular file");
    }
    let f = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
    if !f.metadata()?.is_file() {
        bail!("{path} is not a regular file");
    }
    let mut data = Zeroizing::new(Vec::new());
    f.take(MAX_FILE + 1)
        .read_to_end(&mut data)
        .with_context(|| format!("reading {path}"))?;
    if data.len() as u64 > MAX_FILE {
        bail!("{path} is larger than {MAX_FILE} bytes, the most a file sent may be");
    }
    Ok(data)
}

/// A file offer in words: its name (made safe) and size.
fn describe(o: &FileOffer) -> String {
    let size = if o.size >= 1 << 20 {
        format!("{:.1} MiB", o.size as f64 / (1u64 << 20) as f64)
    } else if o.size >= 1 << 10 {
        format!("{:.1} KiB", o.size as f64 / 1024.0)
    } else {
        format!("{} bytes", o.size)
    };
    format!("file {} ({size})", printable(safe_name(&o.name).as_bytes()))
}

/// A history line's body: a file offer described, text as one printable line.
fn shown(body: &[u8]) -> String {
    match FileOffer::decode(body) {
        Ok(Some(o)) => describe(&o),
        _ => printable(body),
    }
}

fn short(c: &ConversationId) -> String {
    format!("#{}", hex::encode(c.0.get(20..23).unwrap_or(&[])))
}

const HELP: &str = "\
commands:
  /card, /id             your contact card and BitChat id (give one to people who should reach you)
  /contact CARD|ID|ADDR  ask someone to talk: by their card, or (over libp2p) their BitChat id
                         or chain address (bithive1...)
  /requests              who asks to talk to you
  /accept WHO, /decline WHO
  /contacts              your contacts (WHO is a number from this list or an address)
  /group WHO...          a new group with these contacts (you are its admin)
  /add WHO..., /remove WHO...   in the open conversation (admin only)
  /list                  your conversations
  /open #ID              open a conversation; then type to send
  /history [N]           the last N lines of the open conversation (20)
  /file PATH             send a file to the open conversation (encrypted, at most 16 MiB)
  /files, /save N [DIR]  files offered to you; fetch one and save it (0600, never over a file)
  /quit
what you send says whether it was delivered or waits at a relay; 'NAME read: ...' when someone
has read it (they see the same of you unless you started with --no-read-receipts)";

struct Session {
    client: Arc<ChatClient<Box<dyn Carrier>>>,
    registry: Arc<OpenRegistry>,
    cards: Cards,
    names: Names,
    card: String,
    open: Option<ConversationId>,
    /// Files offered to us in this session, numbered for `/save`.
    files: Vec<(AccountId, FileOffer)>,
    /// Over libp2p (`--bootstrap`): people are found by id (and chain address).
    p2p: bool,
    /// Our record is published under our chain address too.
    by_address: bool,
    /// Read receipts are sent for messages shown in the open conversation.
    receipts: bool,
    /// Our recent messages, by [`message_digest`], to say who read which.
    sent: std::collections::VecDeque<([u8; 32], String)>,
}

impl Session {
    /// Contacts and pending requesters, in the order `/contacts` numbers them (and `who` reads
    /// those numbers back).
    async fn people(&self) -> Vec<AccountId> {
        let core = self.client.core().await;
        let mut people = core.contacts();
        people.extend(core.pending_requests());
        people.sort();
        people.dedup();
        people
    }

    /// Keys of `id` the session knows: from a card, or learned by the carrier.
    fn record(&self, id: &AccountId) -> Option<PeerRecord> {
        self.registry
            .get(id)
            .or_else(|| self.client.carrier().known(id))
    }

    fn name(&mut self, id: AccountId) -> String {
        let rec = self.record(&id);
        self.names.of(id, rec)
    }

    /// Says who a batch of payloads did not reach.
    fn report(&mut self, d: &Dispatched) {
        for (who, e) in &d.failed {
            println!("! not reached: {}: {e}", self.name(*who));
        }
    }

    async fn who(&mut self, token: &str) -> anyhow::Result<AccountId> {
        let people = self.people().await;
        if let Ok(n) = token.parse::<usize>() {
            return people
                .get(n.wrapping_sub(1))
                .copied()
                .ok_or_else(|| anyhow!("no contact number {n}: see /contacts"));
        }
        let matching: Vec<AccountId> = people
            .into_iter()
            .filter(|p| self.name(*p).starts_with(token) || p.to_string().starts_with(token))
            .collect();
        match matching[..] {
            [one] => Ok(one),
            [] => bail!("nobody named {token:?} among your contacts and requests"),
            _ => bail!("{token:?} names several people: type more of the address"),
        }
    }

    async fn conversation(&self, token: &str) -> anyhow::Result<ConversationId> {
        let t = token.trim_start_matches('#');
        let all = self.client.core().await.conversations();
        let m: Vec<_> = all
            .into_iter()
            .filter(|c| hex::encode(c.0.get(20..).unwrap_or(&[])).starts_with(t))
            .collect();
        match &m[..] {
            [one] => Ok(one.clone()),
            [] => bail!("no conversation {token}: see /list"),
            _ => bail!("{token} names several conversations: type more of it"),
        }
    }

    fn open_one(&self) -> anyhow::Result<ConversationId> {
        self.open
            .clone()
            .ok_or_else(|| anyhow!("no conversation is open: /list, then /open #ID"))
    }

    async fn command(&mut self, line: &str) -> anyhow::Result<bool> {
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else {
            return Ok(true);
        };
        let args: Vec<&str> = words.collect();
        match cmd {
            "/help" => println!("{HELP}"),
            "/quit" | "/exit" => return Ok(false),
            "/card" => println!("{}", self.card),
            "/id" => println!("{}", self.client.carrier().account_id()),
            "/contact" => {
                let token = args.first().ok_or_else(|| {
                    anyhow!("usage: /contact CARD, /contact ID or /contact ADDRESS")
                })?;
                let id = if token.starts_with("bitchat1") {
                    let rec = read_card(token)?;
                    self.registry.insert(rec.clone());
                    self.client.carrier().learn(&rec);
                    self.names.learn(&rec);
                    self.cards.add(token)?;
                    AccountId::from_pubkey(&rec.account_pubkey)
                } else if let Ok(address) = token.parse::<bithive_chain_client::cosmrs::AccountId>()
                {
                    if !self.p2p {
                        bail!("people are found by chain address over libp2p (--bootstrap); without it, by their card: /contact CARD");
                    }
                    let bytes: [u8; 20] = address
                        .to_bytes()
                        .try_into()
                        .map_err(|_| anyhow!("{token} is not an account address (20 bytes)"))?;
                    println!("looking {token} up...");
                    self.client
                        .carrier()
                        .find_by_address(bytes)
                        .await
                        .map_err(|e| anyhow!("{token}: {e}"))?
                } else {
                    let id = parse_id(token)?;
                    if !self.p2p && self.record(&id).is_none() {
                        bail!(
                            "without --bootstrap, people are reached by their card: /contact CARD"
                        );
                    }
                    id
                };
                self.client.request_contact(id).await?;
                println!("asked {} to talk", self.name(id));
            }
            "/requests" => {
                let r = self.client.core().await.pending_requests();
                if r.is_empty() {
                    println!("no one is waiting");
                }
                for p in r {
                    println!(
                        "  {} asks to talk: /accept {0} or /decline {0}",
                        self.name(p)
                    );
                }
            }
            "/accept" => {
                let p = self
                    .who(args.first().ok_or_else(|| anyhow!("usage: /accept WHO"))?)
                    .await?;
                let (c, d) = self.client.accept(p).await?;
                self.report(&d);
                self.pin(p);
                println!("you and {} now talk in {}", self.name(p), short(&c));
                self.open = Some(c);
            }
            "/decline" => {
                let p = self
                    .who(args.first().ok_or_else(|| anyhow!("usage: /decline WHO"))?)
                    .await?;
                self.client.core().await.decline(p)?;
                println!("declined");
            }
            "/contacts" => {
                let people = self.people().await;
                if people.is_empty() {
                    println!("no contacts yet: /contact CARD");
                }
                for (i, p) in people.into_iter().enumerate() {
                    println!("  {}. {}", i + 1, self.name(p));
                }
            }
            "/group" | "/add" => {
                let mut who = Vec::new();
                for a in &args {
                    who.push(self.who(a).await?);
                }
                if who.is_empty() {
                    bail!("usage: {cmd} WHO...");
                }
                let c = if cmd == "/group" {
                    let (c, d) = self.client.create_group(&who).await?;
                    self.report(&d);
                    println!("group {} created; members join as they answer", short(&c));
                    c
                } else {
                    let c = self.open_one()?;
                    let d = self.client.add(&c, &who).await?;
                    self.report(&d);
                    println!(
                        "asked them for their keys; they join {} as they answer",
                        short(&c)
                    );
                    c
                };
                self.open = Some(c);
            }
            "/remove" => {
                let c = self.open_one()?;
                let mut who = Vec::new();
                for a in &args {
                    who.push(self.who(a).await?);
                }
                let d = self.client.remove(&c, &who).await?;
                self.report(&d);
                println!("removed; they cannot read what follows");
            }
            "/list" => {
                let core = self.client.core().await;
                let all = core.conversations();
                if all.is_empty() {
                    println!("no conversations yet");
                }
                let rows: Vec<(ConversationId, Vec<AccountId>)> = all
                    .into_iter()
                    .map(|c| {
                        let m = core.members(&c).unwrap_or_default();
                        (c, m)
                    })
                    .collect();
                drop(core);
                let me = self.client.carrier().account_id();
                for (c, m) in rows {
                    let others: Vec<String> = m
                        .iter()
                        .filter(|a| **a != me)
                        .map(|a| self.name(*a))
                        .collect();
                    println!("  {} with {}", short(&c), others.join(", "));
                }
            }
            "/open" => {
                let c = self
                    .conversation(args.first().ok_or_else(|| anyhow!("usage: /open #ID"))?)
                    .await?;
                println!("{} is open: type to send", short(&c));
                self.open = Some(c);
            }
            "/history" => {
                let c = self.open_one()?;
                let n: usize = args
                    .first()
                    .map(|a| a.parse())
                    .transpose()
                    .context("/history N")?
                    .unwrap_or(20);
                let h = self.client.core().await.history(&c);
                for e in h.iter().skip(h.len().saturating_sub(n)) {
                    println!(
                        "  [{}] {}: {}",
                        short(&c),
                        self.name(e.from),
                        shown(&e.body)
                    );
                }
            }
            "/file" => {
                let c = self.open_one()?;
                let path = line
                    .strip_prefix("/file")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| anyhow!("usage: /file PATH"))?;
                let data = read_file_to_send(path)?;
                let name = Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (offer, d) = self.client.send_file(&c, &name, &data).await?;
                self.report(&d);
                println!(
                    "  [{}] you: {} ({})",
                    short(&c),
                    describe(&offer),
                    d.summary()
                );
            }
            "/files" => {
                if self.files.is_empty() {
                    println!("no files offered to you in this session");
                }
                let rows: Vec<(AccountId, String)> = self
                    .files
                    .iter()
                    .map(|(from, o)| (*from, describe(o)))
                    .collect();
                for (i, (from, d)) in rows.into_iter().enumerate() {
                    println!("  {}. {d} from {}", i + 1, self.name(from));
                }
            }
            "/save" => {
                let usage = || anyhow!("usage: /save N [DIR] (N from /files)");
                let n: usize = args
                    .first()
                    .ok_or_else(usage)?
                    .parse()
                    .map_err(|_| usage())?;
                let (from, offer) = self
                    .files
                    .get(n.wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| anyhow!("no file number {n}: see /files"))?;
                let dir = PathBuf::from(args.get(1).copied().unwrap_or("."));
                let path = dir.join(safe_name(&offer.name));
                println!(
                    "fetching {} ... (the session goes on meanwhile)",
                    describe(&offer)
                );
                // On its own task: a slow or absent holder must not hold the session.
                let client = self.client.clone();
                tokio::spawn(async move {
                    let saved = async {
                        let data = Zeroizing::new(client.fetch_file(&offer, from).await?);
                        // Never over an existing file; readable by its owner only.
                        bithive_secret_file::create_new(&path, data)
                            .with_context(|| format!("saving to {}", path.display()))
                    };
                    match saved.await {
                        Ok(()) => println!("saved {} to {}", describe(&offer), path.display()),
                        Err(e) => println!("! {}: {e:#}", describe(&offer)),
                    }
                });
            }
            other if other.starts_with('/') => bail!("unknown command {other}: /help"),
            _ => {
                let c = self.open_one()?;
                let d = self.client.send(&c, line.as_bytes()).await?;
                self.report(&d);
                let me = self.client.carrier().account_id();
                self.sent.push_back((
                    message_digest(&c, &me, line.as_bytes()),
                    printable(line.as_bytes()),
                ));
                if self.sent.len() > SENT_KEPT {
                    self.sent.pop_front();
                }
                println!(
                    "  [{}] you: {} ({})",
                    short(&c),
                    printable(line.as_bytes()),
                    d.summary()
                );
            }
        }
        Ok(true)
    }

    /// Someone we talk with (accepted, or a member of a conversation we are in): keep their
    /// keys beyond the learned-peer cache and across restarts.
    fn pin(&mut self, id: AccountId) {
        if let Some(rec) = self.record(&id) {
            if let Err(e) = self.cards.add_peer(&rec) {
                println!("! keeping {}'s keys: {e:#}", self.name(id));
            }
            self.registry.insert(rec);
        }
    }

    /// What the libp2p node did that a person wants to know.
    fn notice(&mut self, n: P2pEvent, published: &mut bool) {
        match n {
            P2pEvent::Reserved { relay } => println!("reachable through relay {relay}"),
            P2pEvent::Published { .. } if !*published => {
                *published = true;
                if self.by_address {
                    println!("people can now find you by your BitChat id or your chain address");
                } else {
                    println!("people can now find you by your BitChat id");
                }
            }
            P2pEvent::Direct { account } => {
                println!(
                    "direct path to {} (no relay in between)",
                    self.name(account)
                )
            }
            P2pEvent::PunchFailed { account, reason } => println!(
                "no direct path to {} ({}): messages go through the relay",
                self.name(account),
                printable(reason.as_bytes())
            ),
            P2pEvent::OutboxSent {
                to, waited_secs, ..
            } => println!(
                "sent to {} what waited {} in the outbox",
                self.name(to),
                waited_for(waited_secs)
            ),
            P2pEvent::OutboxExpired { to, payloads } => println!(
                "! gave up on {payloads} message(s) to {} after six days in the outbox",
                self.name(to)
            ),
            other => tracing::debug!("{other:?}"),
        }
    }

    fn event(&mut self, e: Event) {
        match &e {
            Event::Joined { members, .. } => {
                for m in members.clone() {
                    if m != self.client.carrier().account_id() {
                        self.pin(m);
                    }
                }
            }
            Event::Message { from, .. } | Event::File { from, .. } => self.pin(*from),
            Event::Changed { added, .. } => {
                for a in added.clone() {
                    self.pin(a);
                }
            }
            _ => {}
        }
        match e {
            Event::ContactRequest { from } => {
                let n = self.name(from);
                println!("{n} asks to talk: /accept {n} or /decline {n}");
            }
            Event::Joined {
                conversation,
                members,
            } => {
                let me = self.client.carrier().account_id();
                let others: Vec<String> = members
                    .iter()
                    .filter(|a| **a != me)
                    .map(|a| self.name(*a))
                    .collect();
                println!(
                    "you joined {} with {}",
                    short(&conversation),
                    others.join(", ")
                );
                if self.open.is_none() {
                    self.open = Some(conversation);
                }
            }
            Event::Message {
                conversation,
                from,
                body,
            } => {
                println!(
                    "  [{}] {}: {}",
                    short(&conversation),
                    self.name(from),
                    printable(&body)
                );
                // Shown in the open conversation: read. The receipt goes on its own, so a slow
                // sender does not hold the screen.
                if self.receipts && self.open.as_ref() == Some(&conversation) {
                    let client = self.client.clone();
                    tokio::spawn(async move {
                        if let Err(e) = client.mark_read(&conversation, from, &body).await {
                            tracing::debug!("read receipt: {e}");
                        }
                    });
                }
            }
            Event::Read {
                conversation,
                by,
                message,
            } => {
                if let Some((_, text)) = self.sent.iter().find(|(d, _)| *d == message) {
                    let text = text.clone();
                    println!(
                        "  [{}] {} read: {text}",
                        short(&conversation),
                        self.name(by)
                    );
                }
            }
            Event::File {
                conversation,
                from,
                offer,
            } => {
                self.files.push((from, offer.clone()));
                println!(
                    "  [{}] {}: {}: /save {}",
                    short(&conversation),
                    self.name(from),
                    describe(&offer),
                    self.files.len()
                );
            }
            Event::Changed {
                conversation,
                added,
                removed,
            } => {
                for a in added {
                    println!("{} joined {}", self.name(a), short(&conversation));
                }
                for r in removed {
                    println!("{} left {}", self.name(r), short(&conversation));
                }
            }
            Event::RemovedFrom { conversation } => {
                println!("you were removed from {}", short(&conversation));
                if self.open.as_ref() == Some(&conversation) {
                    self.open = None;
                }
            }
            Event::Refused { from, reason } => {
                tracing::info!("refused from {from}: {reason}");
            }
            Event::Undelivered { to, reason } => {
                println!("! not reached: {}: {reason}", self.name(to));
            }
        }
    }
}

async fn session(a: &RunArgs) -> anyhow::Result<()> {
    let secret = secret_of(&a.who)?;
    std::fs::create_dir_all(&a.who.home)
        .with_context(|| format!("creating {}", a.who.home.display()))?;
    let identity = NodeIdentity::from_secret(&secret)?;
    let p2p = !a.bootstrap.is_empty();
    // Over libp2p a card names no address: the DHT says where people are.
    let card = make_card(
        &identity,
        (!p2p).then(|| advertised(a.listen, a.advertise)).flatten(),
    );
    let registry = Arc::new(OpenRegistry::new(LEARNED_PEERS));
    let mut names = Names {
        prefix: a.who.keys.prefix.clone(),
        known: BTreeMap::new(),
    };
    let cards = Cards::open(&a.who.home, &secret)?;
    let known = cards.records()?;
    for rec in &known {
        names.learn(rec);
        registry.insert(rec.clone());
    }
    let chat_dir = a.who.home.join("chat");
    std::fs::create_dir_all(&chat_dir)?;
    let core = ChatCore::open(Some(&chat_dir), &secret)?;
    let me = bithive_chain_client::keys::address_of_pubkey(
        &identity.account_pubkey(),
        &a.who.keys.prefix,
    )?;
    let id = identity.account_id();
    names.known.insert(id, me.clone());
    let mut notices = None;
    let carrier: Box<dyn Carrier> = if p2p {
        let mut cfg = P2pConfig::new(quic_multiaddr(a.listen));
        cfg.bootstrap = a.bootstrap.clone();
        cfg.addr_policy = AddrPolicy {
            allow_loopback: a.allow_loopback,
        };
        cfg.findable_by_address = !a.not_findable_by_address;
        cfg.chunks = Some(Arc::new(ChunkStore::open(
            &a.who.home.join("chunks"),
            AtRestKey::derive(secret.as_ref(), "chunks"),
        )?));
        let node = P2pNode::start(&secret, cfg)
            .await
            .context("starting your BitChat node (libp2p)")?;
        let carrier = P2pCarrier::new(&secret, node, Some(&a.who.home.join("p2p")))?;
        for rec in &known {
            carrier.learn(rec);
        }
        notices = carrier.take_notices();
        println!(
            "BitChat: you are {me}, BitChat id {id}; joining through {} public node(s)",
            a.bootstrap.len()
        );
        Box::new(carrier)
    } else {
        let mut cfg = NodeConfig::new(a.listen, a.who.home.join("node"));
        for r in &a.relays {
            let rec = read_card(r).context("--relay")?;
            let addr = rec
                .addr
                .ok_or_else(|| anyhow!("--relay: the relay's card names no address"))?;
            registry.insert(rec);
            cfg.relays.push(addr);
        }
        let node = Node::start(cfg, identity, registry.clone() as Arc<dyn PeerRegistry>)
            .await
            .context("starting your BitChat node")?;
        println!("BitChat: you are {me}, listening on {}", node.local_addr()?);
        Box::new(node)
    };
    println!("your card: {card}");
    println!("type /help for commands");
    let client = Arc::new(ChatClient::new(carrier, core));
    // Answers and messages a crash or a failed send kept from the network last time.
    let owed = client.resend_owed().await;
    if owed.sent() > 0 || !owed.failed.is_empty() {
        println!(
            "sent what was owed since last time: {}{}",
            owed.summary(),
            if owed.failed.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} not reachable yet (tried again next start)",
                    owed.failed.len()
                )
            }
        );
    }
    let (tx, mut events) = mpsc::unbounded_channel();
    let pump = {
        let client = client.clone();
        tokio::spawn(async move {
            loop {
                for e in client.poll(Duration::from_millis(200)).await {
                    if tx.send(e).is_err() {
                        return;
                    }
                }
            }
        })
    };
    let fetch = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3));
            loop {
                tick.tick().await;
                if let Err(e) = client.carrier().fetch_stored().await {
                    tracing::debug!("relays: {e}");
                }
            }
        })
    };
    let mut s = Session {
        client: client.clone(),
        registry,
        cards,
        names,
        card,
        open: None,
        files: Vec::new(),
        p2p,
        by_address: p2p && !a.not_findable_by_address,
        receipts: !a.no_read_receipts,
        sent: Default::default(),
    };
    let mut published = false;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Some(e) => s.event(e),
                None => break,
            },
            n = async {
                match notices.as_mut() {
                    Some(n) => n.recv().await,
                    None => std::future::pending().await,
                }
            } => match n {
                Some(n) => s.notice(n, &mut published),
                None => notices = None,
            },
            line = lines.next_line() => match line? {
                Some(l) => match s.command(l.trim()).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => println!("! {e:#}"),
                },
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    println!("bye");
    pump.abort();
    fetch.abort();
    let _ = pump.await;
    let _ = fetch.await;
    drop(s);
    let client = Arc::try_unwrap(client).map_err(|_| anyhow!("chat client still in use"))?;
    client.shutdown().await;
    Ok(())
}

/// A wait in words: "40 s", "3 min", "2 h", "3 days".
fn waited_for(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bodies_print_as_one_line_without_escapes() {
        assert_eq!(
            super::printable(b"hi\n  [#abcdef] bithive1x: forged\x1b[2J"),
            "hi\\n  [#abcdef] bithive1x: forged\\u{1b}[2J"
        );
        assert_eq!(
            super::printable("caf\u{e9} \u{1F600}".as_bytes()),
            "caf\u{e9} \u{1F600}"
        );
    }
}
