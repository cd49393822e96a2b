//! Chat for people: contacts, 1:1 and group conversations on MLS ([`bithive_bitchat_mls`]),
//! carried by a BitChat [`Node`] (Noise-sealed envelopes, relays for offline members), with a
//! history sealed at rest. [`core::ChatCore`] decides; [`ChatClient`] carries its payloads.

pub mod core;
pub mod file;
pub mod payload;

use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};

pub use self::core::{message_digest, ChatCore, Event, HistoryEntry, Outgoing};
pub use bithive_bitchat_mls::ConversationId;
use payload::CHAT_STREAM;

use self::file::{seal_file, FileOffer, MAX_FILE};
use crate::chunks::{Manifest, DEFAULT_CHUNK_SIZE};
use crate::error::BitChatError;
use crate::identity::AccountId;
use crate::node::{unix_now, Node};
use crate::registry::PeerRecord;

/// What became of one payload a carrier took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The recipient's node has it.
    Delivered,
    /// A relay keeps it until the recipient comes back.
    Stored,
    /// In the sender's durable outbox: retried, or left at a relay, from there.
    Queued,
}

/// What a [`Carrier`] hands the chat client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// A payload from `from`, whose sender the carrier authenticated end to end.
    Payload { from: AccountId, body: Vec<u8> },
    /// Something addressed to us that the carrier refused; `reason` never holds the content.
    Refused { from: AccountId, reason: String },
}

/// What carries chat payloads between accounts: a BitChat [`Node`] (QUIC, contact cards,
/// relays named by address), or a libp2p node (`bithive-bitchat-p2p`: accounts found through a
/// DHT, hole punching, relays). Endpoints behind one trait, so the chat core and client are the
/// same over both. A carrier seals every payload to its recipient, and yields only payloads
/// whose sender it authenticated.
#[async_trait::async_trait]
pub trait Carrier: Send + Sync {
    fn account_id(&self) -> AccountId;
    /// Hands `payload` to `to`, directly or to a relay that keeps it for up to `ttl`.
    async fn send(
        &self,
        to: AccountId,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<Delivery, BitChatError>;
    /// The next payload, waiting at most `timeout`.
    async fn recv(&self, timeout: Duration) -> Option<Carried>;
    /// Keys of someone the user added by card (carriers that look keys up may keep them).
    fn learn(&self, _card: &PeerRecord) {}
    /// Keys of `account` the carrier knows (from a record, a card or a payload it opened).
    fn known(&self, _account: &AccountId) -> Option<PeerRecord> {
        None
    }
    /// The account whose chain address (the 20 bytes of a bech32 account address) is
    /// `address`, where the network has a directory that answers it.
    async fn find_by_address(&self, _address: [u8; 20]) -> Result<AccountId, BitChatError> {
        Err(BitChatError::Peer(
            "this carrier finds people by their card or BitChat id, not by chain address".into(),
        ))
    }
    /// Keeps `data` (already encrypted) as content-addressed chunks that others can fetch by
    /// hash, and announces them where the network has a directory; their manifest.
    async fn share(&self, _data: &[u8]) -> Result<Manifest, BitChatError> {
        Err(BitChatError::Chunk("this carrier carries no files".into()))
    }
    /// The data `manifest` names, its chunks fetched from `holder` (and, where the network has
    /// a directory of holders, from others it names), each verified against its hash.
    async fn fetch(
        &self,
        _manifest: &Manifest,
        _holder: AccountId,
    ) -> Result<Vec<u8>, BitChatError> {
        Err(BitChatError::Chunk("this carrier carries no files".into()))
    }
    /// Asks the relays for what was left for us while away (carriers that fetch on their own
    /// return 0); how many came.
    async fn fetch_stored(&self) -> Result<usize, BitChatError> {
        Ok(0)
    }
    async fn shutdown(self: Box<Self>);
}

#[async_trait::async_trait]
impl Carrier for Node {
    fn account_id(&self) -> AccountId {
        Node::account_id(self)
    }
    async fn send(
        &self,
        to: AccountId,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<Delivery, BitChatError> {
        Node::send(self, to, CHAT_STREAM, payload, ttl)
            .await
            .map(|_| Delivery::Queued)
    }
    async fn recv(&self, timeout: Duration) -> Option<Carried> {
        let d = Node::recv(self, timeout).await?;
        Some(if d.conversation == CHAT_STREAM {
            Carried::Payload {
                from: d.from,
                body: d.body,
            }
        } else {
            Carried::Refused {
                from: d.from,
                reason: "not a chat payload".into(),
            }
        })
    }
    async fn share(&self, data: &[u8]) -> Result<Manifest, BitChatError> {
        self.chunks().publish(data, DEFAULT_CHUNK_SIZE)
    }
    /// From the holder's registered address only (cards name one address; no directory).
    async fn fetch(&self, manifest: &Manifest, holder: AccountId) -> Result<Vec<u8>, BitChatError> {
        let addr = self
            .address_of(&holder)
            .ok_or_else(|| BitChatError::Peer(format!("no address for {holder}")))?;
        self.fetch_chunks(manifest, &[addr]).await?;
        self.chunks().assemble(manifest)
    }
    async fn fetch_stored(&self) -> Result<usize, BitChatError> {
        let mut n = 0;
        for r in self.relays() {
            match self.fetch_mailbox(r).await {
                Ok(k) => n += k,
                Err(e) => tracing::debug!("relay {r}: {e}"),
            }
        }
        Ok(n)
    }
    async fn shutdown(self: Box<Self>) {
        Node::shutdown(*self).await
    }
}

#[async_trait::async_trait]
impl Carrier for Box<dyn Carrier> {
    fn account_id(&self) -> AccountId {
        (**self).account_id()
    }
    async fn send(
        &self,
        to: AccountId,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<Delivery, BitChatError> {
        (**self).send(to, payload, ttl).await
    }
    async fn recv(&self, timeout: Duration) -> Option<Carried> {
        (**self).recv(timeout).await
    }
    fn learn(&self, card: &PeerRecord) {
        (**self).learn(card)
    }
    fn known(&self, account: &AccountId) -> Option<PeerRecord> {
        (**self).known(account)
    }
    async fn find_by_address(&self, address: [u8; 20]) -> Result<AccountId, BitChatError> {
        (**self).find_by_address(address).await
    }
    async fn share(&self, data: &[u8]) -> Result<Manifest, BitChatError> {
        (**self).share(data).await
    }
    async fn fetch(&self, manifest: &Manifest, holder: AccountId) -> Result<Vec<u8>, BitChatError> {
        (**self).fetch(manifest, holder).await
    }
    async fn fetch_stored(&self) -> Result<usize, BitChatError> {
        (**self).fetch_stored().await
    }
    async fn shutdown(self: Box<Self>) {
        (*self).shutdown().await
    }
}

/// What became of a batch of payloads: how many were handed on, and who could not be reached
/// (the others still got theirs).
#[derive(Debug, Default)]
pub struct Dispatched {
    /// Payloads the recipient's node has now.
    pub delivered: usize,
    /// Kept at a relay until the recipient comes back.
    pub stored: usize,
    /// In the sender's durable outbox, retried from there (its delivery is known later).
    pub queued: usize,
    pub failed: Vec<(AccountId, BitChatError)>,
}

impl Dispatched {
    /// Payloads the carrier took, however far they got.
    pub fn sent(&self) -> usize {
        self.delivered + self.stored + self.queued
    }

    /// In words: "delivered to 2, waiting at a relay for 1", "queued for 3".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.delivered > 0 {
            parts.push(format!("delivered to {}", self.delivered));
        }
        if self.stored > 0 {
            parts.push(format!("waiting at a relay for {}", self.stored));
        }
        if self.queued > 0 {
            parts.push(format!("queued for {}", self.queued));
        }
        if parts.is_empty() {
            parts.push("sent to nobody".into());
        }
        parts.join(", ")
    }
}

/// A chat client: a carrier and the core it feeds.
pub struct ChatClient<C: Carrier = Node> {
    carrier: C,
    core: Mutex<ChatCore>,
    /// How long a payload waits at relays for an offline member.
    pub ttl: Duration,
}

impl<C: Carrier> ChatClient<C> {
    pub fn new(carrier: C, core: ChatCore) -> Self {
        Self {
            carrier,
            core: Mutex::new(core),
            // A day short of the longest a relay keeps anything (7 days), so a relay whose clock
            // runs behind still takes it.
            ttl: Duration::from_secs(6 * 24 * 3600),
        }
    }

    pub fn carrier(&self) -> &C {
        &self.carrier
    }

    /// The core, for queries (history, members, contacts).
    pub async fn core(&self) -> MutexGuard<'_, ChatCore> {
        self.core.lock().await
    }

    /// Sends each payload through the carrier (directly, or to a relay when the member is
    /// away). A member who cannot be reached does not keep the others from theirs. Never an
    /// error: the core has already moved on (a conversation made, a member removed), and the
    /// caller is told whom the batch did not reach.
    pub async fn dispatch(&self, out: Vec<Outgoing>) -> Dispatched {
        let mut d = Dispatched::default();
        for o in out {
            if d.failed.iter().any(|(a, _)| *a == o.to) {
                // Later payloads to a member depend on earlier ones (a welcome, then messages).
                continue;
            }
            match self.carrier.send(o.to, &o.payload, self.ttl).await {
                Ok(how) => match how {
                    Delivery::Delivered => d.delivered += 1,
                    Delivery::Stored => d.stored += 1,
                    Delivery::Queued => d.queued += 1,
                },
                Err(e) => d.failed.push((o.to, e)),
            }
        }
        d
    }

    pub async fn request_contact(&self, to: AccountId) -> Result<(), BitChatError> {
        let o = self.core.lock().await.request_contact(to)?;
        match self.dispatch(vec![o]).await.failed.pop() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    pub async fn accept(
        &self,
        from: AccountId,
    ) -> Result<(ConversationId, Dispatched), BitChatError> {
        let (c, out) = self.core.lock().await.accept(from)?;
        Ok((c, self.dispatch(out).await))
    }

    pub async fn create_group(
        &self,
        members: &[AccountId],
    ) -> Result<(ConversationId, Dispatched), BitChatError> {
        let (c, out) = self.core.lock().await.create_group(members)?;
        Ok((c, self.dispatch(out).await))
    }

    pub async fn add(
        &self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<Dispatched, BitChatError> {
        let out = self.core.lock().await.add(c, members)?;
        Ok(self.dispatch(out).await)
    }

    pub async fn remove(
        &self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<Dispatched, BitChatError> {
        let out = self.core.lock().await.remove(c, members)?;
        Ok(self.dispatch(out).await)
    }

    /// A message to every other member of `c` (kept in the history even if nobody is reached).
    pub async fn send(&self, c: &ConversationId, body: &[u8]) -> Result<Dispatched, BitChatError> {
        let out = self.core.lock().await.send(c, body, unix_now())?;
        Ok(self.dispatch(out).await)
    }

    /// Offers a file in `c`: sealed under a fresh key, shared as chunks, the offer sent to every
    /// other member (kept in the history).
    pub async fn send_file(
        &self,
        c: &ConversationId,
        name: &str,
        data: &[u8],
    ) -> Result<(FileOffer, Dispatched), BitChatError> {
        if data.len() as u64 > MAX_FILE {
            return Err(BitChatError::Chunk(format!(
                "{} bytes; files of at most {MAX_FILE} bytes are sent",
                data.len()
            )));
        }
        let (key, ciphertext) = seal_file(data);
        let manifest = self.carrier.share(&ciphertext).await?;
        let offer = FileOffer {
            name: name.to_string(),
            size: data.len() as u64,
            key,
            manifest,
        };
        let d = self.send(c, &offer.encode()).await?;
        Ok((offer, d))
    }

    /// Tells `from` that its message `body` in `c` was read (to `from` only).
    pub async fn mark_read(
        &self,
        c: &ConversationId,
        from: AccountId,
        body: &[u8],
    ) -> Result<Dispatched, BitChatError> {
        let o = self.core.lock().await.read_receipt(c, from, body)?;
        Ok(self.dispatch(vec![o]).await)
    }

    /// Fetches the file `from` offered and opens it.
    pub async fn fetch_file(
        &self,
        offer: &FileOffer,
        from: AccountId,
    ) -> Result<Vec<u8>, BitChatError> {
        let ciphertext = self.carrier.fetch(&offer.manifest, from).await?;
        offer
            .open(&ciphertext)
            .map_err(|e| BitChatError::Chunk(e.into()))
    }

    /// Waits up to `timeout` for the next payload, handles it and sends what it calls for
    /// (a key package, a commit and welcome); returns what happened (empty on timeout).
    /// What happened stands even when an answer cannot be sent (it is logged).
    pub async fn poll(&self, timeout: Duration) -> Vec<Event> {
        let (from, body) = match self.carrier.recv(timeout).await {
            None => return Vec::new(),
            Some(Carried::Refused { from, reason }) => {
                return vec![Event::Refused { from, reason }]
            }
            Some(Carried::Payload { from, body }) => (from, body),
        };
        let (events, out) = self.core.lock().await.handle(from, &body, unix_now());
        let mut events = events;
        for (who, e) in self.dispatch(out).await.failed {
            // Said to the user as an event: someone may be waiting for this answer.
            events.push(Event::Undelivered {
                to: who,
                reason: e.to_string(),
            });
        }
        events
    }

    pub async fn shutdown(self) {
        Box::new(self.carrier).shutdown().await;
    }
}
