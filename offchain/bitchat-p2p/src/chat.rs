//! BitChat's chat over libp2p: a [`Carrier`] for [`bithive_bitchat::chat::ChatClient`], so the
//! same chat core (contacts, MLS conversations, history) runs over the DHT, relays and hole
//! punching instead of cards and addresses.
//!
//! Each payload travels as `card length (u16 BE) || sender's card || Noise X seal`: sealed to
//! the recipient's Noise key (from its DHT record, or a card the user added), binding both
//! account ids, and carrying the sender's card (its Noise key signed by its account key). A
//! recipient accepts it only when the card's account is the sender libp2p names, the card's
//! signature holds and the seal opens with that Noise key. So a payload read days later from a
//! relay's mailbox proves its sender without a DHT lookup (the sender may be offline by then),
//! and a relay (which vouches for `from` on stored envelopes) can neither read nor forge one.
//!
//! Inside the seal each payload carries a random id and its send time: a payload older than a
//! relay keeps anything, from the future, or whose id was taken before (the ids are kept, sealed,
//! in `<state dir>/seen.sealed` until they would be too old anyway) is refused, so a relay cannot
//! replay stored mail, also not after a restart.
//!
//! A payload taken from the network is journalled in the carrier's inbox ([`crate::inbox`])
//! before the node tells the sender, or the relay that kept it, that it was taken; it leaves the
//! inbox (and its id is recorded as seen) once the chat client has handled it and written what
//! it changed ([`Taken`]). A crash in between loses nothing: the next start hands it over again.
//!
//! A payload that can be neither handed over nor left at a relay (the recipient away so long
//! its record left the DHT, our own network down) waits in the durable outbox
//! ([`crate::outbox`], `<state dir>/outbox.sealed`) and is retried with backoff, for up to six
//! days; [`Carrier::send`] says [`Delivery::Queued`], and a notice says when it went.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_bitchat::at_rest::AtRestKey;
use zeroize::Zeroizing;

use bithive_bitchat::card::card_bytes;
use bithive_bitchat::chat::{Carried, Carrier, Delivery, Taken};
use bithive_bitchat::chunks::{ChunkStore, Manifest, DEFAULT_CHUNK_SIZE};
use bithive_bitchat::node::unix_now;
use bithive_bitchat::{AccountId, BitChatError, NodeIdentity, PeerRecord};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::error::P2pError;
use crate::identity::public_key_of_peer;
use crate::inbox::{Inbox, Kept};
use crate::node::{P2pEvent, P2pHandle, P2pNode, Path};
use crate::outbox::Outbox;
use crate::record::{chain_address, split_card, with_card, AccountRecord};

/// Noise keys of accounts kept at once (the oldest forgotten; they are found again). Keys of
/// people the user added by card are kept apart and never forgotten.
const KNOWN_KEYS: usize = 4096;
/// Payloads and notices waiting for the application; refusals take at most half.
const QUEUE: usize = 1024;
/// The oldest payload taken: a relay keeps nothing longer (7 days), plus clock skew.
const MAX_AGE_SECS: u64 = 7 * 24 * 3600 + MAX_SKEW_SECS;
/// How far a sender's clock may run ahead.
const MAX_SKEW_SECS: u64 = 300;
/// Payload ids remembered at once (the file holding them is rewritten on each payload taken;
/// beyond this, those nearest their end are forgotten first).
const MAX_SEEN: usize = 16_384;
/// How long one send may take, finding the account and trying its relays included.
const SEND_DEADLINE: Duration = Duration::from_secs(60);
/// How long fetching one file may take.
const FETCH_DEADLINE: Duration = Duration::from_secs(300);
/// Holders of a file asked: the sender and providers found in the DHT.
const MAX_HOLDERS: usize = 8;
/// The payload id and send time sealed before the payload.
const ID_AND_TIME: usize = 24;
/// The largest payload one seal carries.
pub const MAX_PAYLOAD: usize = bithive_bitchat::e2e::MAX_PLAINTEXT - ID_AND_TIME;
/// How long shutdown waits for the node to stop before it is aborted.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The Noise prologue of a chat payload: a relay that moves it to another recipient, or names
/// another sender, makes it fail to open.
fn header(from: &AccountId, to: &AccountId) -> Vec<u8> {
    let mut h = b"bithive-bitchat-p2p-chat-v1".to_vec();
    h.extend_from_slice(&from.0);
    h.extend_from_slice(&to.0);
    h
}

/// Account and Noise keys by account: those learned (bounded) and those the user added.
#[derive(Default)]
struct Keys {
    map: HashMap<AccountId, PeerRecord>,
    order: VecDeque<AccountId>,
    pinned: HashMap<AccountId, PeerRecord>,
}

impl Keys {
    fn get(&self, account: &AccountId) -> Option<&PeerRecord> {
        self.pinned.get(account).or_else(|| self.map.get(account))
    }

    fn insert(&mut self, rec: PeerRecord) {
        let account = AccountId::from_pubkey(&rec.account_pubkey);
        if self.map.insert(account, rec).is_none() {
            self.order.push_back(account);
            while self.order.len() > KNOWN_KEYS {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

/// The account key of the peer a checked record names.
fn public_key_bytes(rec: &AccountRecord) -> Result<[u8; 33], BitChatError> {
    public_key_of_peer(&rec.peer)
        .and_then(|k| k.try_into_secp256k1().ok())
        .map(|k| k.to_bytes())
        .ok_or_else(|| BitChatError::Peer("a record of a key that is not an account".into()))
}

/// Why a payload whose id was taken before is refused. Not told to the user: the same payload
/// comes twice without anyone attacking (the node sends again when a hole punch closes the
/// relayed connection under an answer; the outbox sends again after an attempt that timed out
/// once a relay had taken it), and a relay's replay is harmless once dropped.
const REPEAT: &str = "a replay of a payload already taken";
/// Why a payload from a sender whose clock runs ahead is not taken (yet).
const FUTURE: &str = "sent in the future";

/// Seals and opens chat payloads for one identity (no I/O).
struct Sealer {
    identity: NodeIdentity,
    card: Vec<u8>,
}

/// What a sealed payload holds besides the payload.
struct Opened {
    payload: Vec<u8>,
    card: PeerRecord,
    id: [u8; 16],
    sent_at: u64,
}

impl Sealer {
    /// `id` is the payload's: the same on each attempt to send it, so the recipient takes it
    /// once.
    fn seal(
        &self,
        to: &AccountId,
        noise: &[u8; 32],
        id: [u8; 16],
        payload: &[u8],
        now: u64,
    ) -> Result<Vec<u8>, BitChatError> {
        let mut inner = Vec::with_capacity(ID_AND_TIME + payload.len());
        inner.extend_from_slice(&id);
        inner.extend_from_slice(&now.to_be_bytes());
        inner.extend_from_slice(payload);
        let sealed =
            self.identity
                .seal_to(noise, &header(&self.identity.account_id(), to), &inner)?;
        Ok(with_card(&self.card, &sealed))
    }

    /// The payload, the sender's keys, the payload's id and send time, or why it is refused.
    fn open(&self, from: &AccountId, envelope: &[u8]) -> Result<Opened, String> {
        let (card, sealed) = split_card(envelope)?;
        if AccountId::from_pubkey(&card.account_pubkey) != *from {
            return Err("the card is not the sender's".into());
        }
        let (noise, inner) = self
            .identity
            .open_sealed(&header(from, &self.identity.account_id()), sealed)
            .map_err(|_| "does not open: not sealed to us, or altered".to_string())?;
        if noise != card.noise_pubkey {
            return Err("sealed by a key other than the card's".into());
        }
        if inner.len() < 24 {
            return Err("no payload id and time".into());
        }
        Ok(Opened {
            id: inner[..16].try_into().expect("16"),
            sent_at: u64::from_be_bytes(inner[16..24].try_into().expect("8")),
            payload: inner[24..].to_vec(),
            card,
        })
    }
}

/// Ids of payloads the chat client took, each until it would be refused as too old anyway;
/// sealed on disk (`seen.sealed`, 0600) when the carrier has a state directory.
struct Seen {
    ids: HashMap<[u8; 16], u64>,
    file: Option<(PathBuf, AtRestKey)>,
}

impl Seen {
    fn open(dir: Option<&std::path::Path>, secret: &[u8; 32]) -> Result<Self, BitChatError> {
        let mut ids = HashMap::new();
        let file = dir.map(|d| (d.join("seen.sealed"), AtRestKey::derive(secret, "p2p-seen")));
        if let Some((path, key)) = &file {
            match bithive_secret_file::read(path) {
                Ok(b) => {
                    let plain = key.open(b"p2p-seen", &b).ok_or_else(|| {
                        BitChatError::Config(format!(
                            "{} does not open with this key",
                            path.display()
                        ))
                    })?;
                    for e in plain.chunks_exact(24) {
                        ids.insert(
                            e[..16].try_into().expect("16"),
                            u64::from_be_bytes(e[16..].try_into().expect("8")),
                        );
                    }
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(BitChatError::Config(e.to_string())),
            }
        }
        Ok(Self { ids, file })
    }

    /// Whether a payload sent at `sent_at` with `id` may be taken at time `now`, or why not.
    fn check(&self, id: [u8; 16], sent_at: u64, now: u64) -> Result<(), String> {
        if sent_at > now.saturating_add(MAX_SKEW_SECS) {
            return Err(FUTURE.into());
        }
        if sent_at.saturating_add(MAX_AGE_SECS) < now {
            return Err("older than any relay keeps mail".into());
        }
        if self.ids.contains_key(&id) {
            return Err(REPEAT.into());
        }
        Ok(())
    }

    /// Takes a payload at once (checked, then recorded), or says why not.
    #[cfg(test)]
    fn take(&mut self, id: [u8; 16], sent_at: u64, now: u64) -> Result<(), String> {
        self.check(id, sent_at, now)?;
        self.record(id, sent_at, now);
        Ok(())
    }

    /// Records `id` as taken: refused as a repeat from now on.
    fn record(&mut self, id: [u8; 16], sent_at: u64, now: u64) {
        let until = sent_at.saturating_add(MAX_AGE_SECS);
        self.ids.retain(|_, u| *u >= now);
        while self.ids.len() >= MAX_SEEN {
            let Some(first) = self.ids.iter().min_by_key(|(_, u)| **u).map(|(k, _)| *k) else {
                break;
            };
            self.ids.remove(&first);
        }
        self.ids.insert(id, until);
        if let Some((path, key)) = &self.file {
            let mut plain = Zeroizing::new(Vec::with_capacity(self.ids.len() * 24));
            for (k, u) in &self.ids {
                plain.extend_from_slice(k);
                plain.extend_from_slice(&u.to_be_bytes());
            }
            if let Err(e) =
                bithive_secret_file::replace(path, Zeroizing::new(key.seal(b"p2p-seen", &plain)))
            {
                // Taken all the same: refusing mail because a disk is full would lose it.
                tracing::warn!("{}: {e}", path.display());
            }
        }
    }
}

/// What became of a payload from the network.
enum Intook {
    /// Kept in the inbox: to hand to the client.
    New(PeerRecord, Kept),
    /// Kept already (a copy): waiting for the client.
    Holding,
    /// Could not be kept (the disk): not taken, so the sender sends it again.
    NotKept(String),
    /// Not taken, and why.
    Refused(String),
}

/// What the carrier took and not yet handed over for good: the replay filter and the inbox,
/// under one lock (a copy arriving while the client records the first must see one or the
/// other).
struct Intake {
    seen: Seen,
    inbox: Inbox,
}

/// A kept payload for the chat client: once it took it, its id is recorded as seen and it
/// leaves the inbox; dropped without, it is handed over again before anything newer.
fn hand_off(kept: Kept, intake: &Arc<Mutex<Intake>>) -> Carried {
    let intake = intake.clone();
    let (id, sent_at, from) = (kept.id, kept.sent_at, kept.from);
    Carried::Payload {
        from,
        body: kept.payload,
        taken: Taken::new(move |taken| {
            let mut i = intake.lock().expect("intake");
            if taken {
                i.seen.record(id, sent_at, unix_now());
                i.inbox.done(&id);
            } else {
                i.inbox.release(&id);
            }
        }),
    }
}

/// The DHT key a file's holders announce: derived from the manifest id, which only those who
/// hold the offer know.
fn provider_key(manifest: &Manifest) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"bithive-bitchat-file-providers-v1");
    h.update(manifest.id());
    h.finalize().into()
}

/// What seals a payload to an account and hands it on: shared by sends and the outbox's
/// retries.
struct Courier {
    handle: P2pHandle,
    sealer: Arc<Sealer>,
    keys: Arc<Mutex<Keys>>,
}

impl Courier {
    async fn noise_key(&self, to: AccountId) -> Result<[u8; 32], BitChatError> {
        if let Some(k) = self.keys.lock().expect("keys").get(&to) {
            return Ok(k.noise_pubkey);
        }
        let rec = self
            .handle
            .find(to)
            .await
            .map_err(|e| BitChatError::Peer(e.to_string()))?;
        self.learn_record(&rec)?;
        Ok(rec.noise)
    }

    /// Keeps the keys a checked DHT record names; the account key.
    fn learn_record(&self, rec: &AccountRecord) -> Result<[u8; 33], BitChatError> {
        let account_pubkey = public_key_bytes(rec)?;
        self.keys.lock().expect("keys").insert(PeerRecord {
            account_pubkey,
            noise_pubkey: rec.noise,
            addr: None,
        });
        Ok(account_pubkey)
    }

    /// Seals `payload` (under the id `id` and send time `sent_at`, the same on every attempt)
    /// to `to` and hands it on, within [`SEND_DEADLINE`]; how it travelled.
    async fn deliver(
        &self,
        to: AccountId,
        id: [u8; 16],
        sent_at: u64,
        payload: &[u8],
    ) -> Result<Path, Failure> {
        let attempt = async {
            let noise = self.noise_key(to).await.map_err(Failure::Later)?;
            let envelope = self
                .sealer
                .seal(&to, &noise, id, payload, sent_at)
                .map_err(Failure::Never)?;
            self.handle
                .send(to, envelope)
                .await
                .map_err(|e| Failure::Later(BitChatError::Peer(e.to_string())))
        };
        tokio::time::timeout(SEND_DEADLINE, attempt)
            .await
            .map_err(|_| {
                Failure::Later(BitChatError::Peer(format!(
                    "not delivered within {}s",
                    SEND_DEADLINE.as_secs()
                )))
            })?
    }
}

/// Why an attempt to hand a payload on failed: worth trying again later (not found, not
/// reachable, too slow), or never (it cannot be sealed or is too large to travel).
enum Failure {
    Later(BitChatError),
    Never(BitChatError),
}

/// The retry task, aborted when the carrier goes (also when it is dropped without a shutdown:
/// two carriers on one outbox file would race).
struct Retrier(tokio::task::JoinHandle<()>);

impl Drop for Retrier {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Retries what waits in the outbox, each recipient's payloads in order, until each goes or
/// expires; says so in the notices. Woken by `kick` when something is queued.
async fn retry_outbox(
    courier: Arc<Courier>,
    outbox: Arc<Mutex<Outbox>>,
    kick: Arc<Notify>,
    notices: mpsc::Sender<P2pEvent>,
) {
    loop {
        let now = unix_now();
        let expired = outbox.lock().expect("outbox").expire(now);
        for (to, payloads) in expired {
            tracing::warn!(%to, payloads, "outbox: gave up after six days");
            let _ = notices.try_send(P2pEvent::OutboxExpired { to, payloads });
        }
        let due = outbox.lock().expect("outbox").due(now);
        for to in due {
            loop {
                let Some(e) = outbox.lock().expect("outbox").head(&to) else {
                    break;
                };
                match courier.deliver(to, e.id, e.queued_at, &e.payload).await {
                    Ok(path) => {
                        outbox.lock().expect("outbox").delivered(&to, &e.id);
                        let waited_secs = unix_now().saturating_sub(e.queued_at);
                        tracing::info!(%to, path = path.name(), waited_secs, "outbox: sent");
                        let _ = notices.try_send(P2pEvent::OutboxSent {
                            to,
                            path,
                            waited_secs,
                        });
                    }
                    Err(Failure::Later(err)) => {
                        tracing::debug!(%to, "outbox: not yet: {err}");
                        outbox.lock().expect("outbox").failed(&to, unix_now());
                        break;
                    }
                    Err(Failure::Never(err)) => {
                        // Cannot happen for what `send` queued (it checks first); said, not kept.
                        tracing::warn!(%to, "outbox: dropped: {err}");
                        outbox.lock().expect("outbox").delivered(&to, &e.id);
                    }
                }
            }
        }
        let wait = outbox
            .lock()
            .expect("outbox")
            .next_due()
            .map_or(3600, |t| t.saturating_sub(unix_now()).max(1));
        tokio::select! {
            _ = kick.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
        }
    }
}

/// A libp2p node carrying chat payloads; see the module docs.
pub struct P2pCarrier {
    handle: P2pHandle,
    courier: Arc<Courier>,
    outbox: Arc<Mutex<Outbox>>,
    kick: Arc<Notify>,
    incoming: tokio::sync::Mutex<mpsc::Receiver<Carried>>,
    notices: Mutex<Option<mpsc::Receiver<P2pEvent>>>,
    stop: Option<oneshot::Sender<()>>,
    pump: tokio::task::JoinHandle<()>,
    retrier: Retrier,
    intake: Arc<Mutex<Intake>>,
}

impl P2pCarrier {
    /// Carries chat for the account whose secret key is `secret` over `node` (started with the
    /// same secret), keeping the ids of payloads taken and the outbox in `state_dir` (`None`: in
    /// memory only, so a relay could replay mail, and what waits is lost, after a restart).
    /// What the outbox kept from an earlier run is retried at once.
    pub fn new(
        secret: &[u8; 32],
        mut node: P2pNode,
        state_dir: Option<&std::path::Path>,
    ) -> Result<Self, BitChatError> {
        let seen = Seen::open(state_dir, secret)?;
        let (inbox, left) = Inbox::open(state_dir, secret)?;
        let intake = Arc::new(Mutex::new(Intake { seen, inbox }));
        let outbox = Arc::new(Mutex::new(Outbox::open(state_dir, secret)?));
        let identity = NodeIdentity::from_secret(secret)?;
        if identity.account_id() != node.account() {
            return Err(BitChatError::Config(
                "the node runs for another account".into(),
            ));
        }
        let sealer = Arc::new(Sealer {
            card: card_bytes(&identity, b""),
            identity,
        });
        let keys = Arc::new(Mutex::new(Keys::default()));
        let (tx, incoming) = mpsc::channel(QUEUE);
        let (notice_tx, notices) = mpsc::channel(QUEUE);
        let (stop, mut stopped) = oneshot::channel();
        let handle = node.handle();
        let courier = Arc::new(Courier {
            handle: handle.clone(),
            sealer: sealer.clone(),
            keys: keys.clone(),
        });
        let kick = Arc::new(Notify::new());
        let retrier = Retrier(tokio::spawn(retry_outbox(
            courier.clone(),
            outbox.clone(),
            kick.clone(),
            notice_tx.clone(),
        )));
        let pump = {
            let (sealer, keys) = (sealer.clone(), keys.clone());
            let (outbox, kick) = (outbox.clone(), kick.clone());
            let intake = intake.clone();
            tokio::spawn(async move {
                // What a crash left between the network and the client comes first, in order
                // (dropped here if the client took it and only the inbox's record was lost).
                for kept in left {
                    {
                        let mut i = intake.lock().expect("intake");
                        if i.seen.ids.contains_key(&kept.id) {
                            i.inbox.done(&kept.id);
                            continue;
                        }
                    }
                    let carried = hand_off(kept, &intake);
                    tokio::select! {
                        r = tx.send(carried) => if r.is_err() { return },
                        _ = &mut stopped => return,
                    }
                }
                loop {
                    let ev = tokio::select! {
                        _ = &mut stopped => break,
                        ev = node.next_event() => ev,
                    };
                    let Some(ev) = ev else { break };
                    match ev {
                        P2pEvent::Received {
                            from,
                            envelope,
                            path,
                            receipt,
                        } => {
                            let checked = sealer.open(&from, &envelope);
                            // Checked against what was taken, and kept, under one lock.
                            let kept = {
                                let mut intake_now = intake.lock().expect("intake");
                                let checked = checked.and_then(|o| {
                                    intake_now.seen.check(o.id, o.sent_at, unix_now())?;
                                    Ok(o)
                                });
                                match checked {
                                    // Here already, waiting for the client: the sender may let it go.
                                    Ok(o) if intake_now.inbox.holds(&o.id) => Intook::Holding,
                                    Ok(o) => {
                                        let kept = Kept {
                                            id: o.id,
                                            from,
                                            sent_at: o.sent_at,
                                            payload: o.payload,
                                        };
                                        // On disk before the network is told it was taken; not kept
                                        // (a full disk): not told, so the sender sends it again.
                                        match intake_now.inbox.keep(kept.clone()) {
                                            Ok(()) => Intook::New(o.card, kept),
                                            Err(e) => Intook::NotKept(e.to_string()),
                                        }
                                    }
                                    Err(reason) => Intook::Refused(reason),
                                }
                            };
                            match kept {
                                Intook::New(card, kept) => {
                                    receipt.taken();
                                    keys.lock().expect("keys").insert(card);
                                    // The sender is around: what waits for it goes now.
                                    if outbox.lock().expect("outbox").wake(&from) {
                                        kick.notify_one();
                                    }
                                    tracing::debug!(%from, path = path.name(), "chat payload");
                                    let carried = hand_off(kept, &intake);
                                    // Waiting here is the back-pressure: the node tells senders
                                    // to wait once its own queue is full.
                                    tokio::select! {
                                        r = tx.send(carried) => if r.is_err() { break },
                                        _ = &mut stopped => break,
                                    }
                                }
                                Intook::Holding => receipt.taken(),
                                Intook::NotKept(e) => tracing::warn!("inbox: {e}"),
                                // Taken before: the sender may let it go.
                                Intook::Refused(reason) if reason == REPEAT => {
                                    tracing::debug!(%from, "a payload taken before: dropped");
                                    receipt.taken();
                                }
                                // From the future (a clock ahead): not taken now, so the sender
                                // tries again later, when the clocks may agree.
                                Intook::Refused(reason) if reason == FUTURE => {
                                    tracing::debug!(%from, "a payload sent in the future: later");
                                }
                                // Refused for good: said (refusals never wait, and never take
                                // more than half the queue), and the sender need not retry.
                                Intook::Refused(reason) => {
                                    receipt.taken();
                                    if tx.capacity() > QUEUE / 2 {
                                        let _ = tx.try_send(Carried::Refused { from, reason });
                                    } else {
                                        tracing::debug!(%from, "refused: {reason}");
                                    }
                                }
                            }
                        }
                        other => {
                            // Our own network is (back) up: try what waits, now.
                            if matches!(other, P2pEvent::Published { .. })
                                && outbox.lock().expect("outbox").wake_all()
                            {
                                kick.notify_one();
                            }
                            // Nobody listening, or a slow listener: notices are for people.
                            let _ = notice_tx.try_send(other);
                        }
                    }
                }
                node.shutdown().await;
            })
        };
        Ok(Self {
            handle,
            courier,
            outbox,
            kick,
            incoming: tokio::sync::Mutex::new(incoming),
            notices: Mutex::new(Some(notices)),
            stop: Some(stop),
            pump,
            retrier,
            intake,
        })
    }

    pub fn handle(&self) -> &P2pHandle {
        &self.handle
    }

    /// The node's other events (relay reservations, publications, hole punches, refusals)
    /// and the outbox's (sent later, given up), for a user interface; once.
    pub fn take_notices(&self) -> Option<mpsc::Receiver<P2pEvent>> {
        self.notices.lock().expect("notices").take()
    }

    fn chunk_store(&self) -> Result<std::sync::Arc<ChunkStore>, BitChatError> {
        self.handle
            .chunk_store()
            .cloned()
            .ok_or_else(|| BitChatError::Chunk("this node keeps no chunks".into()))
    }

    /// Payloads waiting in the outbox.
    pub fn queued(&self) -> usize {
        self.outbox.lock().expect("outbox").len()
    }

    /// Says in the DHT that this node holds `manifest`'s chunks (best effort: a node alone in
    /// the DHT still serves the chunks to whoever the offer names). Under a name derived from
    /// the manifest id, not the id itself: only those who hold the offer know which file it is.
    async fn announce(&self, manifest: &Manifest) {
        if let Err(e) = self.handle.provide(provider_key(manifest)).await {
            tracing::debug!("announcing a file: {e}");
        }
    }

    /// See [`Carrier::fetch`]: the holder first, then at most [`MAX_HOLDERS`] other providers;
    /// a holder that fails is not asked again; chunks larger than the sender's chunk size, or
    /// more bytes than the manifest says, are refused.
    async fn fetch_inner(
        &self,
        manifest: &Manifest,
        holder: AccountId,
    ) -> Result<Vec<u8>, BitChatError> {
        let store = self.chunk_store()?;
        let mut missing = store.missing(manifest);
        if !missing.is_empty() {
            let mut holders = vec![holder];
            match self.handle.providers(provider_key(manifest)).await {
                Ok(more) => holders.extend(
                    more.into_iter()
                        .filter(|a| *a != holder)
                        .take(MAX_HOLDERS - 1),
                ),
                Err(e) => tracing::debug!("providers of a file: {e}"),
            }
            holders.retain(|a| *a != self.handle.account());
            let mut why = String::from("nobody holds it");
            let mut fetched_bytes = 0u64;
            'holders: for h in holders {
                let rec = match self.handle.find(h).await {
                    Ok(r) => r,
                    Err(e) => {
                        why = e.to_string();
                        continue;
                    }
                };
                let mut left = Vec::new();
                let mut todo = missing.into_iter();
                while let Some(hash) = todo.next() {
                    let mut busy = 0;
                    let got = loop {
                        match self.handle.get_chunk(&rec, hash).await {
                            Err(P2pError::Busy) if busy < 5 => {
                                busy += 1;
                                tokio::time::sleep(Duration::from_secs(2)).await;
                            }
                            other => break other,
                        }
                    };
                    match got {
                        Ok(Some(data)) => {
                            fetched_bytes += data.len() as u64;
                            if data.len() > DEFAULT_CHUNK_SIZE || fetched_bytes > manifest.total_len
                            {
                                return Err(BitChatError::Chunk(
                                    "chunks larger than the file offered".into(),
                                ));
                            }
                            store.put_verified(&hash, &data)?;
                        }
                        Ok(None) => left.push(hash),
                        Err(e) => {
                            // Not asked again: the rest go to the next holder.
                            why = e.to_string();
                            left.push(hash);
                            left.extend(todo);
                            missing = left;
                            continue 'holders;
                        }
                    }
                }
                missing = left;
                if missing.is_empty() {
                    break;
                }
            }
            if !missing.is_empty() {
                return Err(BitChatError::Chunk(format!(
                    "{} of {} chunks not fetched: {why}",
                    missing.len(),
                    manifest.chunks.len()
                )));
            }
        }
        let data = store.assemble(manifest)?;
        self.announce(manifest).await;
        Ok(data)
    }

    /// Seals `payload` to `to` and hands it on, once, past the outbox; how it travelled.
    pub async fn send_payload(&self, to: AccountId, payload: &[u8]) -> Result<Path, BitChatError> {
        match self
            .courier
            .deliver(to, rand::random(), unix_now(), payload)
            .await
        {
            Ok(p) => Ok(p),
            Err(Failure::Later(e) | Failure::Never(e)) => Err(e),
        }
    }
}

#[async_trait::async_trait]
impl Carrier for P2pCarrier {
    fn account_id(&self) -> AccountId {
        self.handle.account()
    }

    /// `ttl` is the p2p layer's own (six days at a relay, six in the outbox). Handed over or
    /// left at a relay at once, or else queued in the durable outbox ([`Delivery::Queued`]);
    /// behind an earlier payload to `to` that waits there, it waits too. An error only when
    /// the outbox cannot keep it (full, or its file cannot be written).
    async fn send(
        &self,
        to: AccountId,
        payload: &[u8],
        _ttl: Duration,
    ) -> Result<Delivery, BitChatError> {
        let (id, sent_at): ([u8; 16], u64) = (rand::random(), unix_now());
        // What could never travel is refused now, not queued (it would hold up what follows).
        if payload.len() > MAX_PAYLOAD {
            return Err(BitChatError::Peer(format!(
                "a payload of {} bytes; at most {MAX_PAYLOAD} are sealed in one",
                payload.len()
            )));
        }
        let first = self.outbox.lock().expect("outbox").begin(&to);
        if !first {
            // Behind what waits for `to`, or is being sent to it: order is kept.
            self.outbox
                .lock()
                .expect("outbox")
                .push(to, id, payload, sent_at)?;
            self.kick.notify_one();
            return Ok(Delivery::Queued);
        }
        match self.courier.deliver(to, id, sent_at, payload).await {
            Ok(path) => {
                self.outbox.lock().expect("outbox").landed(&to);
                tracing::debug!(%to, path = path.name(), "chat payload sent");
                Ok(match path {
                    Path::Direct | Path::Relayed => Delivery::Delivered,
                    Path::Stored => Delivery::Stored,
                })
            }
            Err(Failure::Never(e)) => {
                self.outbox.lock().expect("outbox").landed(&to);
                self.kick.notify_one();
                Err(e)
            }
            Err(Failure::Later(e)) => {
                let queued = self
                    .outbox
                    .lock()
                    .expect("outbox")
                    .push_failed(to, id, payload, sent_at);
                self.kick.notify_one();
                queued.map_err(|full| BitChatError::Peer(format!("{e}; {full}")))?;
                tracing::info!(%to, "queued in the outbox: {e}");
                Ok(Delivery::Queued)
            }
        }
    }

    /// Someone's keys from a card the user added: no DHT lookup needed to seal to them.
    fn learn(&self, card: &PeerRecord) {
        self.courier
            .keys
            .lock()
            .expect("keys")
            .pinned
            .insert(AccountId::from_pubkey(&card.account_pubkey), card.clone());
    }

    fn known(&self, account: &AccountId) -> Option<PeerRecord> {
        self.courier
            .keys
            .lock()
            .expect("keys")
            .get(account)
            .cloned()
    }

    /// Through the record the account publishes under its chain address (checked like any
    /// record: its card and signatures must be that address's key's); its keys are kept.
    async fn find_by_address(&self, address: [u8; 20]) -> Result<AccountId, BitChatError> {
        let rec = self
            .handle
            .find_by_address(address)
            .await
            .map_err(|e| BitChatError::Peer(e.to_string()))?;
        if chain_address(&public_key_bytes(&rec)?) != address {
            return Err(BitChatError::Peer(format!(
                "the record found for chain address {} is another account's",
                hex::encode(address)
            )));
        }
        self.courier.learn_record(&rec)?;
        Ok(rec.account)
    }

    /// Stores the chunks in the node's chunk store (it serves them to whoever asks by hash) and
    /// announces the manifest in the DHT, so members can also fetch from each other.
    async fn share(&self, data: &[u8]) -> Result<Manifest, BitChatError> {
        let store = self.chunk_store()?;
        let manifest = store.publish(data, DEFAULT_CHUNK_SIZE)?;
        self.announce(&manifest).await;
        Ok(manifest)
    }

    /// Fetches the missing chunks from `holder`, then from the DHT's other providers of the
    /// manifest; each chunk checked against its hash, each stored as it comes (a fetch cut
    /// short resumes). Then this node provides the file too.
    async fn fetch(&self, manifest: &Manifest, holder: AccountId) -> Result<Vec<u8>, BitChatError> {
        tokio::time::timeout(FETCH_DEADLINE, self.fetch_inner(manifest, holder))
            .await
            .map_err(|_| {
                BitChatError::Chunk(format!("not fetched within {} s", FETCH_DEADLINE.as_secs()))
            })?
    }

    async fn recv(&self, timeout: Duration) -> Option<Carried> {
        let mut rx = self.incoming.lock().await;
        // What the client dropped unhandled comes first (anything in the queue came after it).
        let redo = self.intake.lock().expect("intake").inbox.next_redo();
        if let Some(kept) = redo {
            return Some(hand_off(kept, &self.intake));
        }
        match tokio::time::timeout(timeout, rx.recv()).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => {
                // The node has stopped: say so, and do not let a polling loop spin.
                tracing::error!("the libp2p node has stopped; nothing more arrives");
                tokio::time::sleep(timeout).await;
                None
            }
            Err(_) => None,
        }
    }

    async fn shutdown(mut self: Box<Self>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Self {
            handle,
            courier,
            pump,
            retrier,
            incoming,
            notices,
            ..
        } = *self;
        // The outbox is on disk after each change: its retries stop here and go on at the next
        // start (a payload cut off mid-attempt is sent again, and its recipient drops a repeat).
        drop(retrier);
        // Nothing may keep the pump or the node waiting: the queues go, then our handles (the
        // node's task ends once every handle is gone); a node that does not stop is aborted.
        drop(incoming);
        drop(notices);
        drop(courier);
        drop(handle);
        let abort = pump.abort_handle();
        if tokio::time::timeout(STOP_WAIT, pump).await.is_err() {
            tracing::warn!("the libp2p node did not stop within {STOP_WAIT:?}: aborted");
            abort.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(n: u8) -> Sealer {
        let identity = NodeIdentity::from_secret(&[n; 32]).unwrap();
        Sealer {
            card: card_bytes(&identity, b""),
            identity,
        }
    }

    #[test]
    fn a_payload_opens_only_for_its_recipient_and_from_its_sender() {
        let (alice, bob, mallory) = (sealer(1), sealer(2), sealer(3));
        let (a, b, m) = (
            alice.identity.account_id(),
            bob.identity.account_id(),
            mallory.identity.account_id(),
        );
        let env = alice
            .seal(
                &b,
                &bob.identity.noise_public(),
                [7; 16],
                b"hello bob",
                1000,
            )
            .unwrap();
        let o = bob.open(&a, &env).unwrap();
        assert_eq!((o.payload.as_slice(), o.sent_at), (&b"hello bob"[..], 1000));
        assert_eq!(o.card, PeerRecord::of(&alice.identity, None));
        // Not for Mallory, even when she names Alice as the sender.
        assert!(mallory.open(&a, &env).is_err());
        // A relay that says it came from Mallory: the card is Alice's.
        assert!(bob
            .open(&m, &env)
            .err()
            .unwrap()
            .contains("not the sender's"));
        // Mallory puts Alice's card on her own seal: the seal's key is not the card's, and the
        // header names Alice, so it does not open either way.
        let mut forged = mallory
            .seal(
                &b,
                &bob.identity.noise_public(),
                [8; 16],
                b"from alice, honest",
                1000,
            )
            .unwrap();
        let card_len = alice.card.len();
        forged.splice(2..2 + mallory.card.len(), alice.card.iter().copied());
        assert_eq!(mallory.card.len(), card_len);
        assert!(bob.open(&a, &forged).is_err());
        // Any flipped byte.
        for i in [0, 1, 5, env.len() / 2, env.len() - 1] {
            let mut bad = env.clone();
            bad[i] ^= 1;
            assert!(bob.open(&a, &bad).is_err(), "byte {i}");
        }
        assert!(bob.open(&a, &[]).is_err());
        assert!(bob.open(&a, &[0xff, 0xff]).is_err());
    }

    #[test]
    fn replays_old_and_future_payloads_are_refused_also_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [2u8; 32];
        let now = 1_800_000_000;
        let mut seen = Seen::open(Some(dir.path()), &secret).unwrap();
        seen.take([1; 16], now - 10, now).unwrap();
        let e = seen.take([1; 16], now - 10, now).unwrap_err();
        assert!(e.contains("replay"), "{e}");
        assert!(seen
            .take([2; 16], now + 3600, now)
            .unwrap_err()
            .contains("future"));
        assert!(seen
            .take([3; 16], now - MAX_AGE_SECS - 1, now)
            .unwrap_err()
            .contains("older"));
        // A restart: the id is still known, and the file is sealed and 0600.
        let mut again = Seen::open(Some(dir.path()), &secret).unwrap();
        assert!(again.take([1; 16], now - 10, now + 60).is_err());
        again.take([4; 16], now, now + 60).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir.path().join("seen.sealed")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // Another key does not open it.
        assert!(Seen::open(Some(dir.path()), &[3u8; 32]).is_err());
        // Ids past their age are forgotten: the set does not grow without end.
        let mut later = Seen::open(Some(dir.path()), &secret).unwrap();
        later
            .take([5; 16], now + MAX_AGE_SECS + 100, now + MAX_AGE_SECS + 100)
            .unwrap();
        assert_eq!(later.ids.len(), 1);
    }

    #[test]
    fn a_payload_sent_again_under_its_id_is_taken_once() {
        // What the outbox does after an attempt that timed out once a relay had taken it: the
        // same id and send time in a fresh seal.
        let (alice, bob) = (sealer(1), sealer(2));
        let (a, b) = (alice.identity.account_id(), bob.identity.account_id());
        let noise = bob.identity.noise_public();
        let now = 1_800_000_000;
        let first = alice.seal(&b, &noise, [5; 16], b"once", now).unwrap();
        let again = alice.seal(&b, &noise, [5; 16], b"once", now).unwrap();
        assert_ne!(first, again, "each seal is fresh");
        let mut seen = Seen::open(None, &[2; 32]).unwrap();
        let o = bob.open(&a, &first).unwrap();
        seen.take(o.id, o.sent_at, now + 5).unwrap();
        let o = bob.open(&a, &again).unwrap();
        let e = seen.take(o.id, o.sent_at, now + 86_400).unwrap_err();
        assert!(e.contains("replay"), "{e}");
        // Another payload is taken.
        let other = alice.seal(&b, &noise, [6; 16], b"twice", now).unwrap();
        let o = bob.open(&a, &other).unwrap();
        seen.take(o.id, o.sent_at, now + 10).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_envelopes_never_panic(b in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512)) {
            let bob = sealer(2);
            let a = sealer(1).identity.account_id();
            proptest::prop_assert!(bob.open(&a, &b).is_err());
        }
    }
}
