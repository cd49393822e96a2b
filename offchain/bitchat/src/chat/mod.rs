//! Chat for people: contacts, 1:1 and group conversations on MLS ([`bithive_bitchat_mls`]),
//! carried by a BitChat [`Node`] (Noise-sealed envelopes, relays for offline members), with a
//! history sealed at rest. [`core::ChatCore`] decides; [`ChatClient`] carries its payloads.

pub mod core;
pub mod file;
pub mod payload;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};

pub use self::core::{
    message_digest, ChatCore, Event, HistoryEntry, Outgoing, OWED_TTL_SECS, WANTED_TTL_SECS,
};
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

/// A payload's hand-off from a carrier to the chat client: [`Taken::done`] once the client has
/// handled the payload and written what it changed (the chat journal is synced and the MLS
/// state replaced before [`ChatCore::handle`] returns). Only then does the carrier let the
/// payload go: it tells the sender, or the relay that kept it, that it was taken, and remembers
/// it as seen. Dropped instead (a crash, a client that stopped), the payload counts as not
/// taken and comes again: hand-off is at least once, and the MLS layer refuses what it has
/// already read.
pub struct Taken(Option<Box<dyn FnOnce(bool) + Send>>);

impl Taken {
    /// A hand-off that runs `f(true)` when the payload is taken, `f(false)` when it is dropped
    /// without.
    pub fn new(f: impl FnOnce(bool) + Send + 'static) -> Self {
        Self(Some(Box::new(f)))
    }

    /// A hand-off with nothing to confirm.
    pub fn nothing() -> Self {
        Self(None)
    }

    /// The payload is handled and stored: the carrier may let it go.
    pub fn done(mut self) {
        if let Some(f) = self.0.take() {
            f(true)
        }
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f(false)
        }
    }
}

impl std::fmt::Debug for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Taken(pending)"
        } else {
            "Taken(-)"
        })
    }
}

/// What a [`Carrier`] hands the chat client.
#[derive(Debug)]
pub enum Carried {
    /// A payload from `from`, whose sender the carrier authenticated end to end; `taken` once
    /// the client has handled and stored it.
    Payload {
        from: AccountId,
        body: Vec<u8>,
        taken: Taken,
    },
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
        let d = self.recv_held(timeout).await?;
        Some(if d.conversation == CHAT_STREAM {
            // Journalled as handed over only once the client has handled it: until then a
            // restart hands it over again.
            let handed = self.hand_over_later(&d);
            Carried::Payload {
                from: d.from,
                body: d.body,
                taken: Taken::new(handed),
            }
        } else {
            self.hand_over_later(&d)(true);
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

/// Payloads written as owed: the members they go to, and those the journal did not take.
struct Batch {
    members: Vec<AccountId>,
    unwritten: Vec<Outgoing>,
}

/// A chat client: a carrier and the core it feeds.
pub struct ChatClient<C: Carrier = Node> {
    carrier: C,
    core: Mutex<ChatCore>,
    /// One lock per member being sent to.
    lanes: std::sync::Mutex<HashMap<AccountId, Arc<Mutex<()>>>>,
    /// How long a payload waits at relays for an offline member.
    pub ttl: Duration,
}

impl<C: Carrier> ChatClient<C> {
    pub fn new(carrier: C, core: ChatCore) -> Self {
        Self {
            carrier,
            core: Mutex::new(core),
            lanes: Default::default(),
            // A day short of the longest a relay keeps anything (7 days), so a relay whose clock
            // runs behind still takes it.
            ttl: Duration::from_secs(6 * 24 * 3600),
        }
    }

    pub fn carrier(&self) -> &C {
        &self.carrier
    }

    /// The lock that orders sends to `to` (see [`Self::send_batch`]).
    fn lane(&self, to: AccountId) -> Arc<Mutex<()>> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        // Lanes nobody holds or waits for are dropped, so the map follows the members in use.
        lanes.retain(|_, l| Arc::strong_count(l) > 1);
        lanes.entry(to).or_default().clone()
    }

    /// The core, for queries (history, members, contacts).
    pub async fn core(&self) -> MutexGuard<'_, ChatCore> {
        self.core.lock().await
    }

    /// Sends each payload through the carrier (directly, or to a relay when the member is
    /// away): the members side by side, each member's payloads in order. A member who cannot be
    /// reached does not keep the others from theirs, nor waits for them. Never an error: the
    /// core has already moved on (a conversation made, a member removed), and the caller is
    /// told whom the batch did not reach. The batch is written as owed first and each payload
    /// as sent once the carrier took it; a member's lane sends everything still owed to it,
    /// oldest first, so what an earlier failure kept back goes before what follows it (a commit
    /// before the next epoch's), and what a crash kept back goes at [`Self::resend_owed`].
    pub async fn dispatch(&self, out: Vec<Outgoing>) -> Dispatched {
        let batch = Self::owe(&mut *self.core.lock().await, out);
        self.send_batch(batch).await
    }

    /// Writes `out` as owed (under the same lock as the change that made it, where the caller
    /// holds it): the members to send to, and what could not be written (sent all the same).
    fn owe(core: &mut ChatCore, out: Vec<Outgoing>) -> Batch {
        let mut members: Vec<AccountId> = Vec::new();
        for o in &out {
            if !members.contains(&o.to) {
                members.push(o.to);
            }
        }
        let unwritten = core.owe(out, unix_now());
        Batch { members, unwritten }
    }

    /// Sends again what is owed since before a crash or a failed send (the oldest first, each
    /// member's in order). Call it once the carrier is up.
    pub async fn resend_owed(&self) -> Dispatched {
        let mut core = self.core.lock().await;
        let now = unix_now();
        let mut members: Vec<AccountId> = Vec::new();
        for (_, o) in core.owed(now) {
            if !members.contains(&o.to) {
                members.push(o.to);
            }
        }
        drop(core);
        self.send_batch(Batch {
            members,
            unwritten: Vec::new(),
        })
        .await
    }

    /// One lane per member, side by side. A lane holds the member's lock (so two batches never
    /// send the same owed payload, nor one member's payloads out of order), takes what is owed
    /// to the member at that moment, sends it in order and stops at the first failure.
    async fn send_batch(&self, batch: Batch) -> Dispatched {
        let Batch { members, unwritten } = batch;
        let sent = futures::future::join_all(members.into_iter().map(|to| {
            let extra: Vec<Vec<u8>> = unwritten
                .iter()
                .filter(|o| o.to == to)
                .map(|o| o.payload.clone())
                .collect();
            async move {
                let lane = self.lane(to);
                let _turn = lane.lock().await;
                let owed: Vec<(Option<u64>, Vec<u8>)> = self
                    .core
                    .lock()
                    .await
                    .owed_to(&to, unix_now())
                    .into_iter()
                    .map(|(n, p)| (Some(n), p))
                    .chain(extra.into_iter().map(|p| (None, p)))
                    .collect();
                let mut got = Vec::with_capacity(owed.len());
                for (n, p) in owed {
                    let r = self.carrier.send(to, &p, self.ttl).await;
                    let failed = r.is_err();
                    if let (false, Some(n)) = (failed, n) {
                        if let Err(e) = self.core.lock().await.sent(n, to) {
                            tracing::warn!("chat journal: {e}");
                        }
                    }
                    got.push(r);
                    if failed {
                        // Later payloads to a member depend on earlier ones (a welcome, then
                        // messages): they stay owed behind it.
                        break;
                    }
                }
                (to, got)
            }
        }))
        .await;
        let mut d = Dispatched::default();
        for (to, results) in sent {
            for r in results {
                match r {
                    Ok(Delivery::Delivered) => d.delivered += 1,
                    Ok(Delivery::Stored) => d.stored += 1,
                    Ok(Delivery::Queued) => d.queued += 1,
                    Err(e) => d.failed.push((to, e)),
                }
            }
        }
        d
    }

    pub async fn request_contact(&self, to: AccountId) -> Result<(), BitChatError> {
        let batch = {
            let mut core = self.core.lock().await;
            let o = core.request_contact(to)?;
            Self::owe(&mut core, vec![o])
        };
        match self.send_batch(batch).await.failed.pop() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    pub async fn accept(
        &self,
        from: AccountId,
    ) -> Result<(ConversationId, Dispatched), BitChatError> {
        let (c, batch) = {
            let mut core = self.core.lock().await;
            let (c, out) = core.accept(from)?;
            (c, Self::owe(&mut core, out))
        };
        Ok((c, self.send_batch(batch).await))
    }

    pub async fn create_group(
        &self,
        members: &[AccountId],
    ) -> Result<(ConversationId, Dispatched), BitChatError> {
        let (c, batch) = {
            let mut core = self.core.lock().await;
            let (c, out) = core.create_group(members, unix_now())?;
            (c, Self::owe(&mut core, out))
        };
        Ok((c, self.send_batch(batch).await))
    }

    pub async fn add(
        &self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<Dispatched, BitChatError> {
        let batch = {
            let mut core = self.core.lock().await;
            let out = core.add(c, members, unix_now())?;
            Self::owe(&mut core, out)
        };
        Ok(self.send_batch(batch).await)
    }

    pub async fn remove(
        &self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<Dispatched, BitChatError> {
        let batch = {
            let mut core = self.core.lock().await;
            let out = core.remove(c, members)?;
            Self::owe(&mut core, out)
        };
        Ok(self.send_batch(batch).await)
    }

    /// A message to every other member of `c` (kept in the history even if nobody is reached).
    pub async fn send(&self, c: &ConversationId, body: &[u8]) -> Result<Dispatched, BitChatError> {
        let batch = {
            let mut core = self.core.lock().await;
            let out = core.send(c, body, unix_now())?;
            Self::owe(&mut core, out)
        };
        Ok(self.send_batch(batch).await)
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
        let batch = {
            let mut core = self.core.lock().await;
            let o = core.read_receipt(c, from, body)?;
            Self::owe(&mut core, vec![o])
        };
        Ok(self.send_batch(batch).await)
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
        let (from, body, taken) = match self.carrier.recv(timeout).await {
            None => return Vec::new(),
            Some(Carried::Refused { from, reason }) => {
                return vec![Event::Refused { from, reason }]
            }
            Some(Carried::Payload { from, body, taken }) => (from, body, taken),
        };
        let (events, batch) = {
            let mut core = self.core.lock().await;
            let (events, out) = core.handle(from, &body, unix_now());
            (events, Self::owe(&mut core, out))
        };
        // Handled, and what it changed written: the carrier may let the payload go.
        taken.done();
        let mut events = events;
        for (who, e) in self.send_batch(batch).await.failed {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use tokio::sync::Notify;

    /// A carrier that logs what it is given; its first send to `a` waits until a send to `b`
    /// has happened (so one member after another would never finish), and sends to `broken`
    /// fail.
    struct Fake {
        log: StdMutex<Vec<(AccountId, Vec<u8>)>>,
        a: AccountId,
        b: AccountId,
        broken: StdMutex<AccountId>,
        b_sent: Notify,
    }

    #[async_trait::async_trait]
    impl Carrier for Fake {
        fn account_id(&self) -> AccountId {
            AccountId([0; 20])
        }
        async fn send(
            &self,
            to: AccountId,
            payload: &[u8],
            _ttl: Duration,
        ) -> Result<Delivery, BitChatError> {
            if to == *self.broken.lock().unwrap() {
                return Err(BitChatError::Peer("unreachable".into()));
            }
            if to == self.a && payload.starts_with(b"welcome") {
                self.b_sent.notified().await;
            }
            self.log.lock().unwrap().push((to, payload.to_vec()));
            if to == self.b {
                self.b_sent.notify_one();
            }
            Ok(Delivery::Delivered)
        }
        async fn recv(&self, _timeout: Duration) -> Option<Carried> {
            None
        }
        async fn shutdown(self: Box<Self>) {}
    }

    #[tokio::test]
    async fn members_are_sent_to_side_by_side_each_in_order_and_one_failing_stops_only_its_own() {
        let (a, b, c) = (AccountId([1; 20]), AccountId([2; 20]), AccountId([3; 20]));
        let fake = Fake {
            log: StdMutex::new(Vec::new()),
            a,
            b,
            broken: StdMutex::new(c),
            b_sent: Notify::new(),
        };
        let client = ChatClient::new(fake, ChatCore::open(None, &[9; 32]).unwrap());
        let out = |to, p: &[u8]| Outgoing {
            to,
            payload: p.to_vec(),
        };
        let batch = vec![
            out(a, b"welcome a"),
            out(c, b"welcome c"),
            out(b, b"welcome b"),
            out(a, b"hello a"),
            out(c, b"hello c"),
            out(b, b"hello b"),
        ];
        // One member after another, the send to `a` would wait for `b` for ever.
        let d = tokio::time::timeout(Duration::from_secs(10), client.dispatch(batch))
            .await
            .expect("members are sent to side by side");
        assert_eq!((d.delivered, d.failed.len()), (4, 1));
        assert_eq!(d.failed[0].0, c);
        let log = client.carrier().log.lock().unwrap().clone();
        for (who, first, then) in [
            (a, &b"welcome a"[..], &b"hello a"[..]),
            (b, b"welcome b", b"hello b"),
        ] {
            let theirs: Vec<&[u8]> = log
                .iter()
                .filter(|(to, _)| *to == who)
                .map(|(_, p)| p.as_slice())
                .collect();
            assert_eq!(theirs, vec![first, then], "each member's payloads in order");
        }
        assert!(
            log.iter().all(|(to, _)| *to != c),
            "nothing after a failed welcome"
        );
        // What did not reach the carrier is still owed, in order; nothing else is.
        let owed = client.core().await.owed(unix_now());
        let owed: Vec<(AccountId, &[u8])> = owed
            .iter()
            .map(|(_, o)| (o.to, o.payload.as_slice()))
            .collect();
        assert_eq!(owed, vec![(c, &b"welcome c"[..]), (c, b"hello c")]);
    }

    fn fake(broken: AccountId) -> Fake {
        Fake {
            log: StdMutex::new(Vec::new()),
            a: AccountId([0xaa; 20]),
            b: AccountId([0xbb; 20]),
            broken: StdMutex::new(broken),
            b_sent: Notify::new(),
        }
    }

    /// A crash after the core moved on and before the carrier took its answers (here: the
    /// carrier failing, then the process gone): the next start sends what was owed, in order,
    /// once; a payload the carrier took is not sent again.
    #[tokio::test]
    async fn what_a_crash_kept_from_the_carrier_is_sent_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let (c, d) = (AccountId([3; 20]), AccountId([4; 20]));
        let out = |to, p: &[u8]| Outgoing {
            to,
            payload: p.to_vec(),
        };
        {
            let client =
                ChatClient::new(fake(c), ChatCore::open(Some(dir.path()), &[9; 32]).unwrap());
            let sent = client
                .dispatch(vec![
                    out(c, b"commit"),
                    out(d, b"commit"),
                    out(c, b"welcome"),
                ])
                .await;
            assert_eq!((sent.delivered, sent.failed.len()), (1, 1));
        }
        // Restarted, with `c` reachable now.
        let client = ChatClient::new(
            fake(AccountId([0xee; 20])),
            ChatCore::open(Some(dir.path()), &[9; 32]).unwrap(),
        );
        let again = client.resend_owed().await;
        assert_eq!((again.delivered, again.failed.len()), (2, 0));
        let log = client.carrier().log.lock().unwrap().clone();
        assert_eq!(
            log,
            vec![(c, b"commit".to_vec()), (c, b"welcome".to_vec())],
            "only c's, in order: d's commit was taken before"
        );
        assert_eq!(client.resend_owed().await.sent(), 0);
        drop(client);
        let mut reopened = ChatCore::open(Some(dir.path()), &[9; 32]).unwrap();
        assert!(reopened.owed(unix_now()).is_empty(), "sent is written too");
    }

    /// A commit that did not reach a member goes before the next one to that member, in the same
    /// session: each member's payloads stay in order across batches, not only within one.
    #[tokio::test]
    async fn what_failed_to_reach_a_member_goes_before_what_follows_it() {
        let c = AccountId([3; 20]);
        let out = |p: &[u8]| Outgoing {
            to: c,
            payload: p.to_vec(),
        };
        let client = ChatClient::new(fake(c), ChatCore::open(None, &[9; 32]).unwrap());
        assert_eq!(
            client.dispatch(vec![out(b"commit 1")]).await.failed.len(),
            1
        );
        *client.carrier().broken.lock().unwrap() = AccountId([0xee; 20]);
        let d = client.dispatch(vec![out(b"commit 2")]).await;
        assert_eq!((d.delivered, d.failed.len()), (2, 0));
        let log = client.carrier().log.lock().unwrap().clone();
        assert_eq!(
            log,
            vec![(c, b"commit 1".to_vec()), (c, b"commit 2".to_vec())]
        );
        assert!(client.core().await.owed(unix_now()).is_empty());
        // Two batches at once to one member: each payload sent once, in the order made.
        let (x, y) = tokio::join!(
            client.dispatch(vec![out(b"message 3")]),
            client.dispatch(vec![out(b"message 4")])
        );
        assert_eq!(x.delivered + y.delivered, 2);
        let log = client.carrier().log.lock().unwrap().clone();
        assert_eq!(
            log[2..],
            [(c, b"message 3".to_vec()), (c, b"message 4".to_vec())]
        );
    }

    /// The journal keeps what is live (history, contacts, what is owed) and not every payload
    /// ever sent: it is compacted once it holds 3 times as many records (plus 1024), and a
    /// restart after that finds the same state.
    #[test]
    fn the_chat_journal_is_compacted_and_keeps_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let c = AccountId([3; 20]);
        let mut core = ChatCore::open(Some(dir.path()), &[9; 32]).unwrap();
        let (conv, _) = core.create_group(&[], unix_now()).unwrap();
        let now = unix_now();
        for i in 0..10u32 {
            core.send(&conv, &i.to_be_bytes(), now).unwrap();
        }
        let mut compacted = false;
        for i in 0..600u32 {
            let payload = i.to_be_bytes().to_vec();
            assert!(core.owe(vec![Outgoing { to: c, payload }], now).is_empty());
            // Every payload but the last five is sent.
            if i < 595 {
                let n = core.owed(now)[0].0;
                core.sent(n, c).unwrap();
            }
            let records = core.journal_records().unwrap();
            compacted |= records < 20;
            assert!(
                records <= 3 * (10 + 5) + super::core::COMPACT_SLACK + 2,
                "{records} records after {i}"
            );
        }
        assert!(compacted);
        let history = core.history(&conv);
        let owed = core.owed(now);
        assert_eq!((history.len(), owed.len()), (10, 5));
        drop(core);
        let mut core = ChatCore::open(Some(dir.path()), &[9; 32]).unwrap();
        assert_eq!(core.history(&conv), history);
        let again = core.owed(now);
        assert_eq!(
            again
                .iter()
                .map(|(_, o)| o.payload.clone())
                .collect::<Vec<_>>(),
            owed.iter()
                .map(|(_, o)| o.payload.clone())
                .collect::<Vec<_>>()
        );
    }

    /// An owed payload older than any relay would keep is given up, not sent for ever.
    #[test]
    fn an_owed_payload_is_given_up_after_a_week() {
        let dir = tempfile::tempdir().unwrap();
        let c = AccountId([3; 20]);
        let mut core = ChatCore::open(Some(dir.path()), &[9; 32]).unwrap();
        let t0 = 1_000_000;
        assert!(core
            .owe(
                vec![Outgoing {
                    to: c,
                    payload: b"old".to_vec(),
                }],
                t0,
            )
            .is_empty());
        assert_eq!(core.owed(t0 + super::core::OWED_TTL_SECS).len(), 1);
        assert!(core.owed(t0 + super::core::OWED_TTL_SECS + 1).is_empty());
        drop(core);
        let mut core = ChatCore::open(Some(dir.path()), &[9; 32]).unwrap();
        assert!(core.owed(t0).is_empty());
    }
}
