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
    message_digest, Carrier, ChatClient, ChatCore, ConversationId, Dispatched, Event, HistoryEntry,
};
use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::{
    AccountId, Node, NodeConfig, NodeIdentity, OpenRegistry, PeerRecord, PeerRegistry,
};
use bithive_bitchat_p2p::chat::P2pCarrier;
use bithive_bitchat_p2p::record::AddrPolicy;
use bithive_bitchat_p2p::{Multiaddr, P2pConfig, P2pEvent, P2pNode, Protocol, Reachability};
use clap::{Args, Subcommand};
use crossterm::event::Event as CtEvent;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use screen::{Action, Kind, Screen};

mod screen;
mod terminal;

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
    /// Lines instead of the screen: what you type is read line by line and everything is
    /// printed as lines (so too when stdin or stdout is not a terminal, as in scripts)
    #[arg(long)]
    pub plain: bool,
    /// Leave the mouse to the terminal (select text without holding Shift); otherwise the
    /// wheel scrolls the conversation and a click on the window list picks a window
    #[arg(long, conflicts_with = "plain")]
    pub no_mouse: bool,
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
    /// `BitChat id, name`: the names you gave people (`/name`), which only you see.
    #[serde(default)]
    names: Vec<(String, String)>,
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
    /// Gives `id` a name, or takes it away (`None`).
    fn set_name(&mut self, id: AccountId, name: Option<&str>) -> anyhow::Result<()> {
        let key = id.to_string();
        self.file.names.retain(|(i, _)| *i != key);
        if let Some(n) = name {
            self.file.names.push((key, n.to_string()));
        }
        self.save()
    }
    /// The names you gave people.
    fn names(&self) -> anyhow::Result<BTreeMap<AccountId, String>> {
        self.file
            .names
            .iter()
            .map(|(i, n)| {
                let id = i
                    .parse::<AccountId>()
                    .map_err(|e| anyhow!("cards file: the id named {n}: {e}"))?;
                Ok((id, n.clone()))
            })
            .collect()
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

/// Names people see: the name you gave someone (`/name`: a petname, only you see it, kept sealed
/// with your cards), else their chain address, else their BitChat id. A name is never taken from
/// what others say of themselves: nobody can make their messages show as someone you know.
struct Names {
    prefix: String,
    /// Chain addresses of the ids whose keys are known.
    known: BTreeMap<AccountId, String>,
    /// The names you gave.
    pet: BTreeMap<AccountId, String>,
}

/// The longest name you may give someone, in characters.
const NAME_CHARS: usize = 24;

impl Names {
    /// What `id` is shown as: your name for them, else [`Names::address`].
    fn of(&mut self, id: AccountId, rec: Option<PeerRecord>) -> String {
        if let Some(n) = self.pet.get(&id) {
            return n.clone();
        }
        self.address(id, rec)
    }

    /// Who you call `name` (case does not matter).
    fn named(&self, name: &str) -> Option<AccountId> {
        self.pet
            .iter()
            .find(|(_, n)| n.to_lowercase() == name.to_lowercase())
            .map(|(id, _)| *id)
    }

    /// Whether `name` may be given to someone: one word (so it stays one WHO in a command) of at
    /// most [`NAME_CHARS`] letters, digits, '-', '_' and '.'; not a number (a number is a place
    /// in /contacts) and nothing that reads as an address, a card or "you".
    fn check(&self, name: &str) -> anyhow::Result<()> {
        let n = name.chars().count();
        if n == 0 || n > NAME_CHARS {
            bail!("a name is 1 to {NAME_CHARS} characters; {name:?} has {n}");
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            bail!("a name is one word of letters, digits, '-', '_' and '.': {name:?} is not");
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            bail!("a name may not be a number: numbers are places in /contacts");
        }
        let lower = name.to_lowercase();
        if lower.starts_with(&format!("{}1", self.prefix))
            || lower.starts_with("bitchat1")
            || lower == "you"
            || lower == "id"
        {
            bail!("{name:?} could be taken for an address, a card or you: pick another name");
        }
        Ok(())
    }

    /// `id`'s chain address when its key is known (`rec`), else its BitChat id.
    fn address(&mut self, id: AccountId, rec: Option<PeerRecord>) -> String {
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

/// The most lines `/find` shows (the newest).
const FOUND_SHOWN: usize = 50;

fn short(c: &ConversationId) -> String {
    format!("#{}", hex::encode(c.0.get(20..23).unwrap_or(&[])))
}

const HELP: &str = "\
commands:
  /card, /id             your contact card and BitChat id (give one to people who should reach you)
  /contact CARD|ID|ADDR [NAME]  ask someone to talk: by their card, or (over libp2p) their
                         BitChat id or chain address (bithive1...); NAME as with /name
  /name WHO NAME         call someone NAME (one word; only you see it); /name WHO: no name
  /requests              who asks to talk to you
  /accept WHO, /decline WHO
  /contacts              your contacts (WHO is a number from this list, a name or an address)
  /group WHO...          a new group with these contacts (you are its admin)
  /add WHO..., /remove WHO...   in the open conversation (admin only)
  /list                  your conversations
  /open #ID              open a conversation; then type to send
  /history [N]           the last N lines of the open conversation (20)
  /find TEXT             the lines of all your conversations that hold TEXT (case ignored)
  /file PATH             send a file to the open conversation (encrypted, at most 16 MiB)
  /files, /save N [DIR]  files offered to you; fetch one and save it (0600, never over a file)
  /quit
what you send says whether it was delivered or waits at a relay; 'NAME read: ...' when someone
has read it (they see the same of you unless you started with --no-read-receipts)";

/// The screen's keys, after `HELP` there.
const KEYS: &str = "\
keys: Enter sends what you typed; Tab and Shift-Tab (or Ctrl-N, Ctrl-P) the next and previous
  window; Alt-0..9 a window by number; PgUp/PgDn scroll; Up/Down what you typed before;
  Ctrl-U, Ctrl-W clear the line, a word; Ctrl-C quits
mouse: the wheel scrolls, a click on the window list picks a window; hold Shift to select text
  (or start with --no-mouse to leave the mouse to the terminal)";

/// Where a line of the session goes.
#[derive(Clone, Debug)]
enum To {
    /// An answer to what was typed: where it was typed (the window in front).
    Reply,
    /// Something that happened in no conversation: the status window.
    Notice,
    /// A line of a conversation (in plain mode printed with its `[#id]` tag).
    In(ConversationId),
    /// News of a conversation (who joined or left): its window; in plain mode printed as is.
    About(ConversationId),
}

/// A line as plain mode prints it: a conversation's lines tagged with its id.
fn print_line(to: &To, text: &str) {
    match to {
        To::In(c) => println!("  [{}] {text}", short(c)),
        _ => println!("{text}"),
    }
}

/// How the session shows itself: lines on stdout (scripts, pipes, `--plain`), or the screen.
enum Out {
    Plain,
    Screen(Box<Screen>),
}

/// A line for the session from a task of its own (a file being fetched).
type Said = (To, Kind, String);

/// Messages shown in a window behind, remembered to say "read" when it comes to the front.
const UNREAD_KEPT: usize = 64;

struct Session {
    client: Arc<ChatClient<Box<dyn Carrier>>>,
    registry: Arc<OpenRegistry>,
    cards: Cards,
    names: Names,
    card: String,
    open: Option<ConversationId>,
    out: Out,
    /// Lines from the session's own tasks.
    said: mpsc::UnboundedSender<Said>,
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
    /// Messages that came while their conversation was not open: read when it is opened.
    unread: BTreeMap<ConversationId, Vec<(AccountId, Vec<u8>)>>,
    /// The session's own tasks (read receipts, files being fetched): given time to end at /quit.
    tasks: tokio::task::JoinSet<()>,
}

impl Session {
    /// Shows a line where it belongs.
    async fn say(&mut self, to: To, kind: Kind, text: impl AsRef<str>) {
        let text = text.as_ref();
        if matches!(self.out, Out::Plain) {
            return print_line(&to, text);
        }
        let c = match &to {
            To::In(c) | To::About(c) => Some(c.clone()),
            _ => None,
        };
        if let Some(c) = &c {
            self.window(c).await;
        }
        let Out::Screen(screen) = &mut self.out else {
            return;
        };
        match to {
            To::Reply => screen.reply(kind, text),
            To::Notice => {
                screen.push(None, kind, text);
            }
            To::In(_) | To::About(_) => {
                let c = c.as_ref();
                let in_front = screen.push(c, kind, text);
                // The first message into a window behind is said in the status window too.
                if let (false, Kind::Theirs, Some(c)) = (in_front, kind, c) {
                    if screen.unread(c) == 1 && screen.current().is_none() {
                        let note = format!("new in {}: Tab, or /open {}", short(c), short(c));
                        screen.push(None, Kind::Info, &note);
                    }
                }
            }
        }
    }

    /// Shows several lines (a command's answer).
    async fn say_lines(&mut self, to: To, kind: Kind, text: &str) {
        for line in text.lines() {
            self.say(to.clone(), kind, line).await;
        }
    }

    /// `c`'s window on the screen (made, or its title brought up to date).
    async fn window(&mut self, c: &ConversationId) {
        if !matches!(self.out, Out::Screen(_)) {
            return;
        }
        let title = self.title(c).await;
        if let Out::Screen(screen) = &mut self.out {
            screen.window(c, title);
        }
    }

    /// The others in a conversation, by name.
    async fn others(&mut self, c: &ConversationId) -> Vec<String> {
        let members = self.client.core().await.members(c).unwrap_or_default();
        let me = self.client.carrier().account_id();
        members
            .into_iter()
            .filter(|a| *a != me)
            .map(|a| self.name(a))
            .collect()
    }

    /// A conversation's name: its id and the others in it.
    async fn title(&mut self, c: &ConversationId) -> String {
        let others = self.others(c).await;
        if others.is_empty() {
            format!("{} (only you)", short(c))
        } else {
            format!("{} {}", short(c), others.join(", "))
        }
    }

    /// Opens `c` (or no conversation): what comes in there is read, its window in front.
    async fn set_open(&mut self, c: Option<ConversationId>) {
        if let Some(c) = &c {
            self.window(c).await;
        }
        if let Out::Screen(screen) = &mut self.out {
            screen.show(c.as_ref());
        }
        self.open = c;
        self.seen();
    }

    /// Whether what comes into the open conversation is seen: always in lines; on the screen
    /// unless its window is scrolled back.
    fn at_newest(&self) -> bool {
        match &self.out {
            Out::Plain => true,
            Out::Screen(screen) => screen.at_newest(),
        }
    }

    /// Receipts for what came into the open conversation while it was scrolled back, once its
    /// newest line is in view again.
    fn seen(&mut self) {
        let Some(c) = self.open.clone() else { return };
        if self.at_newest() {
            for (from, body) in self.unread.remove(&c).unwrap_or_default() {
                self.receipt(&c, from, body);
            }
        }
    }

    /// Tells `from` that their message was read (on its own task: a slow sender must not hold
    /// the screen).
    fn receipt(&mut self, c: &ConversationId, from: AccountId, body: Vec<u8>) {
        if !self.receipts {
            return;
        }
        let (client, c) = (self.client.clone(), c.clone());
        self.tasks.spawn(async move {
            if let Err(e) = client.mark_read(&c, from, &body).await {
                tracing::debug!("read receipt: {e}");
            }
        });
    }

    /// The windows of the conversations kept from before, with their last lines.
    async fn load_windows(&mut self) {
        if !matches!(self.out, Out::Screen(_)) {
            return;
        }
        let me = self.client.carrier().account_id();
        let all = self.client.core().await.conversations();
        for c in all {
            self.window(&c).await;
            let h = self.client.core().await.history(&c);
            for e in h.iter().skip(h.len().saturating_sub(200)) {
                let (kind, who) = if e.from == me {
                    (Kind::Mine, "you".to_string())
                } else {
                    (Kind::Theirs, self.name(e.from))
                };
                if let Out::Screen(screen) = &mut self.out {
                    screen.push_old(&c, kind, &format!("{who}: {}", shown(&e.body)));
                }
            }
        }
    }

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

    /// `id`'s chain address (or BitChat id), whatever you call them.
    fn address(&mut self, id: AccountId) -> String {
        let rec = self.record(&id);
        self.names.address(id, rec)
    }

    /// Gives `id` the name `name` (checked, and not yours for someone else already), or takes
    /// their name away; the windows' titles follow.
    async fn give_name(&mut self, id: AccountId, name: Option<&str>) -> anyhow::Result<()> {
        if let Some(name) = name {
            self.names.check(name)?;
            if let Some(other) = self.names.named(name).filter(|o| *o != id) {
                let a = self.address(other);
                bail!("you call {a} {name} already: /name {name} frees the name");
            }
        }
        self.cards.set_name(id, name)?;
        match name {
            Some(n) => self.names.pet.insert(id, n.to_string()),
            None => self.names.pet.remove(&id),
        };
        let all = self.client.core().await.conversations();
        for c in all {
            self.window(&c).await;
        }
        Ok(())
    }

    /// Says who a batch of payloads did not reach.
    async fn report(&mut self, d: &Dispatched) {
        for (who, e) in &d.failed {
            let line = format!("! not reached: {}: {e}", self.name(*who));
            self.say(To::Reply, Kind::Error, line).await;
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
        if let Some(id) = self.names.named(token) {
            return Ok(id);
        }
        let lower = token.to_lowercase();
        let matching: Vec<AccountId> = people
            .into_iter()
            .filter(|p| {
                self.name(*p).to_lowercase().starts_with(&lower)
                    || self.address(*p).starts_with(token)
                    || p.to_string().starts_with(token)
            })
            .collect();
        match matching[..] {
            [one] => Ok(one),
            [] => bail!("nobody named {token:?} among your contacts and requests"),
            _ => bail!("{token:?} names several people: type more of the name or address"),
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
        let info = Kind::Info;
        match cmd {
            "/help" => {
                let help = if matches!(self.out, Out::Screen(_)) {
                    format!("{HELP}\n{KEYS}")
                } else {
                    HELP.to_string()
                };
                self.say_lines(To::Reply, info, &help).await
            }
            "/quit" | "/exit" => return Ok(false),
            "/card" => {
                let card = self.card.clone();
                self.say(To::Reply, info, card).await
            }
            "/id" => {
                let id = self.client.carrier().account_id().to_string();
                self.say(To::Reply, info, id).await
            }
            "/contact" => {
                let token = args
                    .first()
                    .ok_or_else(|| anyhow!("usage: /contact CARD|ID|ADDRESS [NAME]"))?;
                let name = match &args[1..] {
                    [] => None,
                    [n] => {
                        self.names.check(n)?;
                        Some(*n)
                    }
                    _ => bail!("a name is one word: /contact CARD|ID|ADDRESS [NAME]"),
                };
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
                    self.say(To::Reply, info, format!("looking {token} up..."))
                        .await;
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
                if let Some(n) = name {
                    self.give_name(id, Some(n)).await?;
                }
                self.client.request_contact(id).await?;
                let line = format!("asked {} to talk", self.name(id));
                self.say(To::Reply, info, line).await;
            }
            "/requests" => {
                let r = self.client.core().await.pending_requests();
                if r.is_empty() {
                    self.say(To::Reply, info, "no one is waiting").await;
                }
                for p in r {
                    let line = format!(
                        "  {} asks to talk: /accept {0} or /decline {0}",
                        self.name(p)
                    );
                    self.say(To::Reply, info, line).await;
                }
            }
            "/accept" => {
                let p = self
                    .who(args.first().ok_or_else(|| anyhow!("usage: /accept WHO"))?)
                    .await?;
                let (c, d) = self.client.accept(p).await?;
                self.report(&d).await;
                self.pin(p).await;
                let line = format!("you and {} now talk in {}", self.name(p), short(&c));
                self.say(To::About(c.clone()), info, line).await;
                self.set_open(Some(c)).await;
            }
            "/decline" => {
                let p = self
                    .who(args.first().ok_or_else(|| anyhow!("usage: /decline WHO"))?)
                    .await?;
                self.client.core().await.decline(p)?;
                self.say(To::Reply, info, "declined").await;
            }
            "/contacts" => {
                let people = self.people().await;
                if people.is_empty() {
                    self.say(To::Reply, info, "no contacts yet: /contact CARD")
                        .await;
                }
                for (i, p) in people.into_iter().enumerate() {
                    let (name, address) = (self.name(p), self.address(p));
                    let line = if name == address {
                        format!("  {}. {address}", i + 1)
                    } else {
                        format!("  {}. {name} ({address})", i + 1)
                    };
                    self.say(To::Reply, info, line).await;
                }
            }
            "/name" => {
                let (who, name) = match &args[..] {
                    [who] => (*who, None),
                    [who, name] => (*who, Some(*name)),
                    _ => bail!("usage: /name WHO NAME (a name only you see), /name WHO (none)"),
                };
                let id = self.who(who).await?;
                let address = self.address(id);
                self.give_name(id, name).await?;
                let line = match name {
                    Some(n) => format!("you call {address} {n} now (a name only you see)"),
                    None => format!("{address} has no name now"),
                };
                self.say(To::Reply, info, line).await;
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
                    self.report(&d).await;
                    let line = format!("group {} created; members join as they answer", short(&c));
                    self.say(To::About(c.clone()), info, line).await;
                    c
                } else {
                    let c = self.open_one()?;
                    let d = self.client.add(&c, &who).await?;
                    self.report(&d).await;
                    let line = format!(
                        "asked them for their keys; they join {} as they answer",
                        short(&c)
                    );
                    self.say(To::About(c.clone()), info, line).await;
                    c
                };
                self.set_open(Some(c)).await;
            }
            "/remove" => {
                let c = self.open_one()?;
                let mut who = Vec::new();
                for a in &args {
                    who.push(self.who(a).await?);
                }
                let d = self.client.remove(&c, &who).await?;
                self.report(&d).await;
                self.say(To::About(c), info, "removed; they cannot read what follows")
                    .await;
            }
            "/list" => {
                let all = self.client.core().await.conversations();
                if all.is_empty() {
                    self.say(To::Reply, info, "no conversations yet").await;
                }
                for c in all {
                    let others = self.others(&c).await;
                    let line = format!("  {} with {}", short(&c), others.join(", "));
                    self.say(To::Reply, info, line).await;
                }
            }
            "/open" => {
                let c = self
                    .conversation(args.first().ok_or_else(|| anyhow!("usage: /open #ID"))?)
                    .await?;
                self.set_open(Some(c.clone())).await;
                let line = format!("{} is open: type to send", short(&c));
                self.say(To::Reply, info, line).await;
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
                    let line = format!("{}: {}", self.name(e.from), shown(&e.body));
                    self.say(To::In(c.clone()), info, line).await;
                }
            }
            "/find" => {
                let text = line
                    .strip_prefix("/find")
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| anyhow!("usage: /find TEXT"))?;
                let needle = text.to_lowercase();
                let me = self.client.carrier().account_id();
                let mut hits: Vec<HistoryEntry> = {
                    let core = self.client.core().await;
                    core.conversations()
                        .iter()
                        .flat_map(|c| core.history(c))
                        .filter(|e| shown(&e.body).to_lowercase().contains(&needle))
                        .collect()
                };
                hits.sort_by_key(|e| e.at);
                let total = hits.len();
                if total == 0 {
                    let line = format!("no line of your conversations holds {text:?}");
                    self.say(To::Reply, info, line).await;
                } else if total > FOUND_SHOWN {
                    let line = format!("{total} lines hold {text:?}; the newest {FOUND_SHOWN}:");
                    self.say(To::Reply, info, line).await;
                }
                for e in hits.iter().skip(total.saturating_sub(FOUND_SHOWN)) {
                    let who = if e.from == me {
                        "you".to_string()
                    } else {
                        self.name(e.from)
                    };
                    let line = format!(
                        "{} {} {who}: {}",
                        crate::words::utc(cosmwasm_std::Timestamp::from_seconds(e.at)),
                        short(&e.conversation),
                        shown(&e.body)
                    );
                    self.say(To::Reply, info, line).await;
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
                self.report(&d).await;
                let line = format!("you: {} ({})", describe(&offer), d.summary());
                self.say(To::In(c), Kind::Mine, line).await;
            }
            "/files" => {
                if self.files.is_empty() {
                    self.say(To::Reply, info, "no files offered to you in this session")
                        .await;
                }
                let rows: Vec<(AccountId, String)> = self
                    .files
                    .iter()
                    .map(|(from, o)| (*from, describe(o)))
                    .collect();
                for (i, (from, d)) in rows.into_iter().enumerate() {
                    let line = format!("  {}. {d} from {}", i + 1, self.name(from));
                    self.say(To::Reply, info, line).await;
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
                let line = format!(
                    "fetching {} ... (the session goes on meanwhile)",
                    describe(&offer)
                );
                self.say(To::Reply, info, line).await;
                // On its own task: a slow or absent holder must not hold the session.
                let (client, said) = (self.client.clone(), self.said.clone());
                self.tasks.spawn(async move {
                    let saved = async {
                        let data = Zeroizing::new(client.fetch_file(&offer, from).await?);
                        // Never over an existing file; readable by its owner only.
                        bithive_secret_file::create_new(&path, data)
                            .with_context(|| format!("saving to {}", path.display()))
                    };
                    let line = match saved.await {
                        Ok(()) => (
                            Kind::Info,
                            format!("saved {} to {}", describe(&offer), path.display()),
                        ),
                        Err(e) => (Kind::Error, format!("! {}: {e:#}", describe(&offer))),
                    };
                    let _ = said.send((To::Reply, line.0, line.1));
                });
            }
            other if other.starts_with('/') => bail!("unknown command {other}: /help"),
            _ => {
                let c = self.open_one()?;
                let d = self.client.send(&c, line.as_bytes()).await?;
                self.report(&d).await;
                let me = self.client.carrier().account_id();
                self.sent.push_back((
                    message_digest(&c, &me, line.as_bytes()),
                    printable(line.as_bytes()),
                ));
                if self.sent.len() > SENT_KEPT {
                    self.sent.pop_front();
                }
                let line = format!("you: {} ({})", printable(line.as_bytes()), d.summary());
                self.say(To::In(c), Kind::Mine, line).await;
            }
        }
        Ok(true)
    }

    /// Someone we talk with (accepted, or a member of a conversation we are in): keep their
    /// keys beyond the learned-peer cache and across restarts.
    async fn pin(&mut self, id: AccountId) {
        if let Some(rec) = self.record(&id) {
            if let Err(e) = self.cards.add_peer(&rec) {
                let line = format!("! keeping {}'s keys: {e:#}", self.name(id));
                self.say(To::Notice, Kind::Error, line).await;
            }
            self.registry.insert(rec);
        }
    }

    /// What the libp2p node did that a person wants to know.
    async fn notice(&mut self, n: P2pEvent, published: &mut bool) {
        let line = match n {
            P2pEvent::Reserved { relay } => {
                self.reach(format!("reachable through relay {relay}"));
                format!("reachable through relay {relay}")
            }
            P2pEvent::Published { .. } if !*published => {
                *published = true;
                if self.by_address {
                    "people can now find you by your BitChat id or your chain address".into()
                } else {
                    "people can now find you by your BitChat id".into()
                }
            }
            P2pEvent::Direct { account } => format!(
                "direct path to {} (no relay in between)",
                self.name(account)
            ),
            P2pEvent::PunchFailed { account, reason } => format!(
                "no direct path to {} ({}): messages go through the relay",
                self.name(account),
                printable(reason.as_bytes())
            ),
            P2pEvent::OutboxSent {
                to, waited_secs, ..
            } => format!(
                "sent to {} what waited {} in the outbox",
                self.name(to),
                waited_for(waited_secs)
            ),
            P2pEvent::OutboxExpired { to, payloads } => {
                let line = format!(
                    "! gave up on {payloads} message(s) to {} after six days in the outbox",
                    self.name(to)
                );
                return self.say(To::Notice, Kind::Error, line).await;
            }
            other => return tracing::debug!("{other:?}"),
        };
        self.say(To::Notice, Kind::Info, line).await;
    }

    /// How we are reachable, on the screen's top line.
    fn reach(&mut self, text: String) {
        if let Out::Screen(screen) = &mut self.out {
            screen.set_reach(text);
        }
    }

    async fn event(&mut self, e: Event) {
        match &e {
            Event::Joined { members, .. } => {
                for m in members.clone() {
                    if m != self.client.carrier().account_id() {
                        self.pin(m).await;
                    }
                }
            }
            Event::Message { from, .. } | Event::File { from, .. } => self.pin(*from).await,
            Event::Changed { added, .. } => {
                for a in added.clone() {
                    self.pin(a).await;
                }
            }
            _ => {}
        }
        let info = Kind::Info;
        match e {
            Event::ContactRequest { from } => {
                let n = self.name(from);
                let line = format!("{n} asks to talk: /accept {n} or /decline {n}");
                self.say(To::Notice, info, line).await;
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
                let line = format!(
                    "you joined {} with {}",
                    short(&conversation),
                    others.join(", ")
                );
                self.say(To::About(conversation.clone()), info, line.clone())
                    .await;
                if matches!(self.out, Out::Plain) {
                    if self.open.is_none() {
                        self.set_open(Some(conversation)).await;
                    }
                } else {
                    // The screen does not change windows under what you are typing.
                    let c = short(&conversation);
                    let note = format!("{line}: Tab, or /open {c}");
                    self.say(To::Notice, info, note).await;
                }
            }
            Event::Message {
                conversation,
                from,
                body,
            } => {
                let line = format!("{}: {}", self.name(from), printable(&body));
                self.say(To::In(conversation.clone()), Kind::Theirs, line)
                    .await;
                // Shown in the open conversation (not scrolled back): read. Else when it is.
                if self.open.as_ref() == Some(&conversation) && self.at_newest() {
                    self.receipt(&conversation, from, body);
                } else {
                    let unread = self.unread.entry(conversation).or_default();
                    unread.push((from, body));
                    if unread.len() > UNREAD_KEPT {
                        unread.remove(0);
                    }
                }
            }
            Event::Read {
                conversation,
                by,
                message,
            } => {
                let text = self.sent.iter().find(|(d, _)| *d == message);
                if let Some(text) = text.map(|(_, t)| t.clone()) {
                    let line = format!("{} read: {text}", self.name(by));
                    self.say(To::In(conversation), info, line).await;
                }
            }
            Event::File {
                conversation,
                from,
                offer,
            } => {
                self.files.push((from, offer.clone()));
                let line = format!(
                    "{}: {}: /save {}",
                    self.name(from),
                    describe(&offer),
                    self.files.len()
                );
                self.say(To::In(conversation), Kind::Theirs, line).await;
            }
            Event::Changed {
                conversation,
                added,
                removed,
            } => {
                for a in added {
                    let line = format!("{} joined {}", self.name(a), short(&conversation));
                    self.say(To::About(conversation.clone()), info, line).await;
                }
                for r in removed {
                    let line = format!("{} left {}", self.name(r), short(&conversation));
                    self.say(To::About(conversation.clone()), info, line).await;
                }
            }
            Event::RemovedFrom { conversation } => {
                let line = format!("you were removed from {}", short(&conversation));
                self.say(To::About(conversation.clone()), Kind::Error, line)
                    .await;
                if self.open.as_ref() == Some(&conversation) {
                    self.set_open(None).await;
                }
            }
            Event::Refused { from, reason } => {
                tracing::info!("refused from {from}: {reason}");
            }
            Event::Undelivered { to, reason } => {
                let line = format!("! not reached: {}: {reason}", self.name(to));
                self.say(To::Notice, Kind::Error, line).await;
            }
        }
    }
}

/// What the session waits on from the person: typed lines (plain) or keys (the screen).
enum Input {
    Lines(tokio::io::Lines<tokio::io::BufReader<tokio::io::Stdin>>),
    Keys(Box<terminal::Terminal>),
}

/// One thing the person did.
enum Typed {
    Line(String),
    Action(Action),
    /// Nothing to act on (a key that only edits, a resize): draw again.
    Nothing,
    Closed,
}

impl Input {
    async fn next(&mut self, out: &mut Out) -> anyhow::Result<Typed> {
        match self {
            Input::Lines(lines) => Ok(match lines.next_line().await? {
                Some(l) => Typed::Line(l.trim().to_string()),
                None => Typed::Closed,
            }),
            Input::Keys(t) => match t.next().await {
                Some(Ok(CtEvent::Key(k))) => match out {
                    Out::Screen(screen) => Ok(screen.key(k).map_or(Typed::Nothing, Typed::Action)),
                    Out::Plain => Ok(Typed::Nothing),
                },
                Some(Ok(CtEvent::Mouse(m))) => match out {
                    Out::Screen(screen) => {
                        Ok(screen.mouse(m).map_or(Typed::Nothing, Typed::Action))
                    }
                    Out::Plain => Ok(Typed::Nothing),
                },
                Some(Ok(CtEvent::Paste(text))) => {
                    if let Out::Screen(screen) = out {
                        screen.paste(&text);
                    }
                    Ok(Typed::Nothing)
                }
                Some(Ok(_)) => Ok(Typed::Nothing),
                Some(Err(e)) => Err(e).context("reading the keyboard"),
                None => Ok(Typed::Closed),
            },
        }
    }

    fn draw(&mut self, out: &mut Out) -> anyhow::Result<()> {
        if let (Input::Keys(t), Out::Screen(screen)) = (self, out) {
            t.draw(screen)?;
        }
        Ok(())
    }
}

async fn session(a: &RunArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
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
    let cards = Cards::open(&a.who.home, &secret)?;
    let mut names = Names {
        prefix: a.who.keys.prefix.clone(),
        known: BTreeMap::new(),
        pet: cards.names()?,
    };
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
    let intro;
    let reach;
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
        intro = format!(
            "BitChat: you are {me}, BitChat id {id}; joining through {} public node(s)",
            a.bootstrap.len()
        );
        reach = format!("joining through {} public node(s)", a.bootstrap.len());
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
        let at = node.local_addr()?;
        intro = format!("BitChat: you are {me}, listening on {at}");
        reach = format!("listening on {at}, {} relay(s)", a.relays.len());
        Box::new(node)
    };
    // The screen unless asked for lines, or when either end is not a terminal (a script).
    let screen = !a.plain && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let client = Arc::new(ChatClient::new(carrier, core));
    let (said, mut said_rx) = mpsc::unbounded_channel::<Said>();
    let mut s = Session {
        client: client.clone(),
        registry,
        cards,
        names,
        card: card.clone(),
        open: None,
        out: if screen {
            let mut sc = Screen::new(format!("you are {me}"));
            sc.set_reach(reach);
            Out::Screen(Box::new(sc))
        } else {
            Out::Plain
        },
        said,
        files: Vec::new(),
        p2p,
        by_address: p2p && !a.not_findable_by_address,
        receipts: !a.no_read_receipts,
        sent: Default::default(),
        unread: BTreeMap::new(),
        tasks: tokio::task::JoinSet::new(),
    };
    // Log records go to the screen while it is up (stderr would draw over it).
    let (logs, mut log_rx) = mpsc::unbounded_channel::<String>();
    let _diverted = screen.then(|| crate::log_sink::divert(logs));
    let mut input = if screen {
        Input::Keys(Box::new(
            terminal::Terminal::start(!a.no_mouse).context("starting the terminal screen")?,
        ))
    } else {
        Input::Lines(tokio::io::BufReader::new(tokio::io::stdin()).lines())
    };
    s.say(To::Notice, Kind::Info, intro).await;
    s.say(To::Notice, Kind::Info, format!("your card: {card}"))
        .await;
    s.say(To::Notice, Kind::Info, "type /help for commands")
        .await;
    s.load_windows().await;
    // Answers and messages a crash or a failed send kept from the network last time.
    let owed = client.resend_owed().await;
    if owed.sent() > 0 || !owed.failed.is_empty() {
        let line = format!(
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
        s.say(To::Notice, Kind::Info, line).await;
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
    let mut published = false;
    let ended = loop {
        while s.tasks.try_join_next().is_some() {}
        if let Err(e) = input.draw(&mut s.out) {
            break Err(e);
        }
        tokio::select! {
            e = events.recv() => match e {
                Some(e) => s.event(e).await,
                None => break Ok(()),
            },
            n = async {
                match notices.as_mut() {
                    Some(n) => n.recv().await,
                    None => std::future::pending().await,
                }
            } => match n {
                Some(n) => s.notice(n, &mut published).await,
                None => notices = None,
            },
            Some((to, kind, text)) = said_rx.recv() => s.say(to, kind, text).await,
            Some(log) = log_rx.recv() => s.say(To::Notice, Kind::Log, log).await,
            typed = input.next(&mut s.out) => {
                s.seen();
                let line = match typed {
                    Ok(Typed::Line(l)) | Ok(Typed::Action(Action::Submit(l))) => l,
                    Ok(Typed::Action(Action::Switched(c))) => {
                        s.set_open(c).await;
                        continue;
                    }
                    Ok(Typed::Nothing) => continue,
                    Ok(Typed::Closed) | Ok(Typed::Action(Action::Quit)) => break Ok(()),
                    Err(e) => break Err(e),
                };
                // Drawn before the command runs: a lookup over the DHT takes seconds.
                if let Err(e) = input.draw(&mut s.out) {
                    break Err(e);
                }
                match s.command(&line).await {
                    Ok(true) => {}
                    Ok(false) => break Ok(()),
                    Err(e) => s.say(To::Reply, Kind::Error, format!("! {e:#}")).await,
                }
            },
            _ = tokio::signal::ctrl_c() => break Ok(()),
            // A part of the program failed: the screen is already given back (ratatui's hook).
            _ = terminal::panicked() => break Err(anyhow!(
                "a part of bithive chat failed (its message is above); what you had is kept on disk"
            )),
        }
    };
    // The terminal back as it was before anything more is printed.
    drop(input);
    drop(_diverted);
    // Log records that came too late to be shown.
    while let Ok(log) = log_rx.try_recv() {
        eprintln!("{}", screen::clean(&log));
    }
    println!("bye");
    pump.abort();
    fetch.abort();
    let _ = pump.await;
    let _ = fetch.await;
    // Receipts on their way and files being saved: a few seconds to end, then stopped (a file
    // is written whole or not at all).
    let mut tasks = std::mem::take(&mut s.tasks);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.shutdown().await;
    // What those tasks said on their way out (a file saved).
    while let Ok((to, _, text)) = said_rx.try_recv() {
        print_line(&to, &text);
    }
    drop(s);
    let client = Arc::try_unwrap(client).map_err(|_| anyhow!("chat client still in use"))?;
    client.shutdown().await;
    ended
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
    use super::{AccountId, Names};
    use std::collections::BTreeMap;

    fn names() -> Names {
        Names {
            prefix: "bithive".into(),
            known: BTreeMap::new(),
            pet: BTreeMap::new(),
        }
    }

    #[test]
    fn a_name_is_one_word_that_cannot_pose_as_an_address_a_number_or_you() {
        let n = names();
        for ok in [
            "alice",
            "Dr.Alice",
            "bob_2",
            "zo\u{eb}",
            "\u{674e}\u{96f7}",
            "a-b",
        ] {
            n.check(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let long = "a".repeat(25);
        for (bad, why) in [
            ("", "1 to 24"),
            (long.as_str(), "1 to 24"),
            ("dr alice", "one word"),
            ("alice\u{1b}[2J", "one word"),
            ("bob:", "one word"),
            ("12", "number"),
            ("bithive1qqqq", "address"),
            ("BITHIVE1abc", "address"),
            ("bitchat1xyz", "address"),
            ("You", "you"),
        ] {
            let e = n.check(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_name_you_gave_is_shown_and_found_whatever_its_case() {
        let mut n = names();
        let id = AccountId([7; 20]);
        let other = AccountId([8; 20]);
        assert_eq!(n.of(id, None), format!("id {id}"));
        n.pet.insert(id, "Alice".into());
        assert_eq!(n.of(id, None), "Alice");
        assert_eq!(n.address(id, None), format!("id {id}"));
        assert_eq!(n.named("alice"), Some(id));
        assert_eq!(n.named("ALICE"), Some(id));
        assert_eq!(n.named("bob"), None);
        assert_eq!(n.of(other, None), format!("id {other}"));
    }

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
