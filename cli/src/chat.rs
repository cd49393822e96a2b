//! `bithive chat`: BitChat for people. Your identity is your chain key (from the keyring);
//! people reach you with your contact card; conversations (1:1 and groups) are MLS, carried by a
//! BitChat node, through relays when someone is away; everything on disk is sealed and 0600.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::card::{make_card, read_card};
use bithive_bitchat::chat::{ChatClient, ChatCore, ConversationId, Event};
use bithive_bitchat::{
    AccountId, Node, NodeConfig, NodeIdentity, OpenRegistry, PeerRecord, PeerRegistry,
};
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
    #[arg(long = "relay", value_name = "CARD")]
    pub relays: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RelayArgs {
    #[command(flatten)]
    pub who: Who,
    /// UDP address to listen on
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:7400")]
    pub listen: SocketAddr,
    /// The address written into the relay's card [default: --listen]
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,
}

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
    fn of(&mut self, id: AccountId, registry: &OpenRegistry) -> String {
        if let Some(n) = self.known.get(&id) {
            return n.clone();
        }
        let n = registry
            .get(&id)
            .and_then(|r| {
                bithive_chain_client::keys::address_of_pubkey(&r.account_pubkey, &self.prefix).ok()
            })
            .unwrap_or_else(|| format!("account {id}"));
        self.known.insert(id, n.clone());
        n
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

fn short(c: &ConversationId) -> String {
    format!("#{}", hex::encode(c.0.get(20..23).unwrap_or(&[])))
}

const HELP: &str = "\
commands:
  /card                  your contact card (give it to people who should reach you)
  /contact CARD          add someone by their card and ask them to talk
  /requests              who asks to talk to you
  /accept WHO, /decline WHO
  /contacts              your contacts (WHO is a number from this list or an address)
  /group WHO...          a new group with these contacts (you are its admin)
  /add WHO..., /remove WHO...   in the open conversation (admin only)
  /list                  your conversations
  /open #ID              open a conversation; then type to send
  /history [N]           the last N lines of the open conversation (20)
  /quit";

struct Session {
    client: Arc<ChatClient>,
    registry: Arc<OpenRegistry>,
    cards: Cards,
    names: Names,
    card: String,
    open: Option<ConversationId>,
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
            .filter(|p| self.names.of(*p, &self.registry).starts_with(token))
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
            "/contact" => {
                let card = args
                    .first()
                    .ok_or_else(|| anyhow!("usage: /contact CARD"))?;
                let rec = read_card(card)?;
                let id = AccountId::from_pubkey(&rec.account_pubkey);
                self.registry.insert(rec.clone());
                self.names.learn(&rec);
                self.cards.add(card)?;
                self.client.request_contact(id).await?;
                println!("asked {} to talk", self.names.of(id, &self.registry));
            }
            "/requests" => {
                let r = self.client.core().await.pending_requests();
                if r.is_empty() {
                    println!("no one is waiting");
                }
                for p in r {
                    println!(
                        "  {} asks to talk: /accept {0} or /decline {0}",
                        self.names.of(p, &self.registry)
                    );
                }
            }
            "/accept" => {
                let p = self
                    .who(args.first().ok_or_else(|| anyhow!("usage: /accept WHO"))?)
                    .await?;
                let c = self.client.accept(p).await?;
                self.pin(p);
                println!(
                    "you and {} now talk in {}",
                    self.names.of(p, &self.registry),
                    short(&c)
                );
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
                    println!("  {}. {}", i + 1, self.names.of(p, &self.registry));
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
                    let c = self.client.create_group(&who).await?;
                    println!("group {} created; members join as they answer", short(&c));
                    c
                } else {
                    let c = self.open_one()?;
                    self.client.add(&c, &who).await?;
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
                self.client.remove(&c, &who).await?;
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
                let me = self.client.node().account_id();
                for (c, m) in rows {
                    let others: Vec<String> = m
                        .iter()
                        .filter(|a| **a != me)
                        .map(|a| self.names.of(*a, &self.registry))
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
                        self.names.of(e.from, &self.registry),
                        printable(&e.body)
                    );
                }
            }
            other if other.starts_with('/') => bail!("unknown command {other}: /help"),
            _ => {
                let c = self.open_one()?;
                let ids = self.client.send(&c, line.as_bytes()).await?;
                println!("  [{}] you: {line} (sent to {})", short(&c), ids.len());
            }
        }
        Ok(true)
    }

    /// Someone we talk with (accepted, or a member of a conversation we are in): keep their
    /// keys beyond the learned-peer cache and across restarts.
    fn pin(&mut self, id: AccountId) {
        if let Some(rec) = self.registry.get(&id) {
            if let Err(e) = self.cards.add_peer(&rec) {
                println!(
                    "! keeping {}'s keys: {e:#}",
                    self.names.of(id, &self.registry)
                );
            }
            self.registry.insert(rec);
        }
    }

    fn event(&mut self, e: Event) {
        match &e {
            Event::Joined { members, .. } => {
                for m in members.clone() {
                    if m != self.client.node().account_id() {
                        self.pin(m);
                    }
                }
            }
            Event::Message { from, .. } => self.pin(*from),
            Event::Changed { added, .. } => {
                for a in added.clone() {
                    self.pin(a);
                }
            }
            _ => {}
        }
        match e {
            Event::ContactRequest { from } => {
                let n = self.names.of(from, &self.registry);
                println!("{n} asks to talk: /accept {n} or /decline {n}");
            }
            Event::Joined {
                conversation,
                members,
            } => {
                let me = self.client.node().account_id();
                let others: Vec<String> = members
                    .iter()
                    .filter(|a| **a != me)
                    .map(|a| self.names.of(*a, &self.registry))
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
                    self.names.of(from, &self.registry),
                    printable(&body)
                );
            }
            Event::Changed {
                conversation,
                added,
                removed,
            } => {
                for a in added {
                    println!(
                        "{} joined {}",
                        self.names.of(a, &self.registry),
                        short(&conversation)
                    );
                }
                for r in removed {
                    println!(
                        "{} left {}",
                        self.names.of(r, &self.registry),
                        short(&conversation)
                    );
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
        }
    }
}

async fn session(a: &RunArgs) -> anyhow::Result<()> {
    let secret = secret_of(&a.who)?;
    std::fs::create_dir_all(&a.who.home)
        .with_context(|| format!("creating {}", a.who.home.display()))?;
    let identity = NodeIdentity::from_secret(&secret)?;
    let card = make_card(&identity, advertised(a.listen, a.advertise));
    let registry = Arc::new(OpenRegistry::new(LEARNED_PEERS));
    let mut names = Names {
        prefix: a.who.keys.prefix.clone(),
        known: BTreeMap::new(),
    };
    let cards = Cards::open(&a.who.home, &secret)?;
    for rec in cards.records()? {
        names.learn(&rec);
        registry.insert(rec);
    }
    let mut cfg = NodeConfig::new(a.listen, a.who.home.join("node"));
    let mut relays = Vec::new();
    for r in &a.relays {
        let rec = read_card(r).context("--relay")?;
        let addr = rec
            .addr
            .ok_or_else(|| anyhow!("--relay: the relay's card names no address"))?;
        registry.insert(rec);
        relays.push(addr);
    }
    cfg.relays = relays.clone();
    let chat_dir = a.who.home.join("chat");
    std::fs::create_dir_all(&chat_dir)?;
    let core = ChatCore::open(Some(&chat_dir), &secret)?;
    let me = bithive_chain_client::keys::address_of_pubkey(
        &identity.account_pubkey(),
        &a.who.keys.prefix,
    )?;
    names.known.insert(identity.account_id(), me.clone());
    let node = Node::start(cfg, identity, registry.clone() as Arc<dyn PeerRegistry>)
        .await
        .context("starting your BitChat node")?;
    println!("BitChat: you are {me}, listening on {}", node.local_addr()?);
    println!("your card: {card}");
    println!("type /help for commands");
    let client = Arc::new(ChatClient::new(node, core));
    let (tx, mut events) = mpsc::unbounded_channel();
    let pump = {
        let client = client.clone();
        tokio::spawn(async move {
            loop {
                match client.poll(Duration::from_millis(200)).await {
                    Ok(ev) => {
                        for e in ev {
                            if tx.send(e).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => tracing::warn!("chat: {e}"),
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
                for r in &relays {
                    if let Err(e) = client.node().fetch_mailbox(*r).await {
                        tracing::debug!("relay {r}: {e}");
                    }
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
    };
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Some(e) => s.event(e),
                None => break,
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
