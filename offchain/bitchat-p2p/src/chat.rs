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

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use bithive_bitchat::card::{card_bytes, read_card_bytes};
use bithive_bitchat::chat::{Carried, Carrier};
use bithive_bitchat::chunks::{Manifest, DEFAULT_CHUNK_SIZE};
use bithive_bitchat::{AccountId, BitChatError, NodeIdentity, PeerRecord};
use tokio::sync::{mpsc, oneshot};

use crate::identity::public_key_of_peer;
use crate::node::{P2pEvent, P2pHandle, P2pNode, Path};

/// Noise keys of accounts kept at once (the oldest forgotten; they are found again).
const KNOWN_KEYS: usize = 4096;
/// Payloads and notices waiting for the application.
const QUEUE: usize = 1024;

/// The Noise prologue of a chat payload: a relay that moves it to another recipient, or names
/// another sender, makes it fail to open.
fn header(from: &AccountId, to: &AccountId) -> Vec<u8> {
    let mut h = b"bithive-bitchat-p2p-chat-v1".to_vec();
    h.extend_from_slice(&from.0);
    h.extend_from_slice(&to.0);
    h
}

/// Account and Noise keys by account, bounded.
#[derive(Default)]
struct Keys {
    map: HashMap<AccountId, PeerRecord>,
    order: VecDeque<AccountId>,
}

impl Keys {
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

/// Seals and opens chat payloads for one identity (no I/O).
struct Sealer {
    identity: NodeIdentity,
    card: Vec<u8>,
}

impl Sealer {
    fn seal(
        &self,
        to: &AccountId,
        noise: &[u8; 32],
        payload: &[u8],
    ) -> Result<Vec<u8>, BitChatError> {
        let sealed =
            self.identity
                .seal_to(noise, &header(&self.identity.account_id(), to), payload)?;
        let len = u16::try_from(self.card.len()).expect("a card is under 64 KiB");
        let mut out = Vec::with_capacity(2 + self.card.len() + sealed.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.card);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The payload and the sender's keys, or why it is refused.
    fn open(&self, from: &AccountId, envelope: &[u8]) -> Result<(Vec<u8>, PeerRecord), String> {
        let (len, rest) = envelope
            .split_first_chunk::<2>()
            .ok_or("shorter than a card length")?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return Err("card length past the end".into());
        }
        let (card, sealed) = rest.split_at(len);
        let card = read_card_bytes(card).map_err(|e| e.to_string())?;
        if AccountId::from_pubkey(&card.account_pubkey) != *from {
            return Err("the card is not the sender's".into());
        }
        let (noise, payload) = self
            .identity
            .open_sealed(&header(from, &self.identity.account_id()), sealed)
            .map_err(|_| "does not open: not sealed to us, or altered".to_string())?;
        if noise != card.noise_pubkey {
            return Err("sealed by a key other than the card's".into());
        }
        Ok((payload, card))
    }
}

/// A libp2p node carrying chat payloads; see the module docs.
pub struct P2pCarrier {
    handle: P2pHandle,
    sealer: std::sync::Arc<Sealer>,
    keys: std::sync::Arc<Mutex<Keys>>,
    incoming: tokio::sync::Mutex<mpsc::Receiver<Carried>>,
    notices: Mutex<Option<mpsc::Receiver<P2pEvent>>>,
    stop: Option<oneshot::Sender<()>>,
    pump: tokio::task::JoinHandle<()>,
}

impl P2pCarrier {
    /// Carries chat for the account whose secret key is `secret` over `node` (started with the
    /// same secret).
    pub fn new(secret: &[u8; 32], mut node: P2pNode) -> Result<Self, BitChatError> {
        let identity = NodeIdentity::from_secret(secret)?;
        if identity.account_id() != node.account() {
            return Err(BitChatError::Config(
                "the node runs for another account".into(),
            ));
        }
        let sealer = std::sync::Arc::new(Sealer {
            card: card_bytes(&identity, b""),
            identity,
        });
        let keys = std::sync::Arc::new(Mutex::new(Keys::default()));
        let (tx, incoming) = mpsc::channel(QUEUE);
        let (notice_tx, notices) = mpsc::channel(QUEUE);
        let (stop, mut stopped) = oneshot::channel();
        let handle = node.handle();
        let pump = {
            let (sealer, keys) = (sealer.clone(), keys.clone());
            tokio::spawn(async move {
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
                        } => {
                            let carried = match sealer.open(&from, &envelope) {
                                Ok((body, card)) => {
                                    keys.lock().expect("keys").insert(card);
                                    tracing::debug!(%from, path = path.name(), "chat payload");
                                    Carried::Payload { from, body }
                                }
                                Err(reason) => Carried::Refused { from, reason },
                            };
                            // Waiting here is the back-pressure: the node tells senders to wait
                            // once its own queue is full.
                            if tx.send(carried).await.is_err() {
                                break;
                            }
                        }
                        other => {
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
            sealer,
            keys,
            incoming: tokio::sync::Mutex::new(incoming),
            notices: Mutex::new(Some(notices)),
            stop: Some(stop),
            pump,
        })
    }

    pub fn handle(&self) -> &P2pHandle {
        &self.handle
    }

    /// The node's other events (relay reservations, publications, hole punches, refusals),
    /// for a user interface; once.
    pub fn take_notices(&self) -> Option<mpsc::Receiver<P2pEvent>> {
        self.notices.lock().expect("notices").take()
    }

    async fn noise_key(&self, to: AccountId) -> Result<[u8; 32], BitChatError> {
        if let Some(k) = self.keys.lock().expect("keys").map.get(&to) {
            return Ok(k.noise_pubkey);
        }
        let rec = self
            .handle
            .find(to)
            .await
            .map_err(|e| BitChatError::Peer(e.to_string()))?;
        let account_pubkey = public_key_of_peer(&rec.peer)
            .and_then(|k| k.try_into_secp256k1().ok())
            .map(|k| k.to_bytes())
            .ok_or_else(|| BitChatError::Peer("a record of a key that is not an account".into()))?;
        self.keys.lock().expect("keys").insert(PeerRecord {
            account_pubkey,
            noise_pubkey: rec.noise,
            addr: None,
        });
        Ok(rec.noise)
    }

    /// Says in the DHT that this node holds `manifest`'s chunks (best effort: a node alone in
    /// the DHT still serves the chunks to whoever the offer names).
    async fn announce(&self, manifest: &Manifest) {
        if let Err(e) = self.handle.provide(manifest.id()).await {
            tracing::debug!("announcing a file: {e}");
        }
    }

    /// Seals `payload` to `to` and hands it on; how it travelled.
    pub async fn send_payload(&self, to: AccountId, payload: &[u8]) -> Result<Path, BitChatError> {
        let noise = self.noise_key(to).await?;
        let envelope = self.sealer.seal(&to, &noise, payload)?;
        self.handle
            .send(to, envelope)
            .await
            .map_err(|e| BitChatError::Peer(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Carrier for P2pCarrier {
    fn account_id(&self) -> AccountId {
        self.handle.account()
    }

    /// `ttl` is the p2p layer's own (six days at a relay).
    async fn send(
        &self,
        to: AccountId,
        payload: &[u8],
        _ttl: Duration,
    ) -> Result<(), BitChatError> {
        let path = self.send_payload(to, payload).await?;
        tracing::debug!(%to, path = path.name(), "chat payload sent");
        Ok(())
    }

    /// Someone's keys from a card the user added: no DHT lookup needed to seal to them.
    fn learn(&self, card: &PeerRecord) {
        self.keys.lock().expect("keys").insert(card.clone());
    }

    fn known(&self, account: &AccountId) -> Option<PeerRecord> {
        self.keys.lock().expect("keys").map.get(account).cloned()
    }

    /// Stores the chunks in the node's chunk store (it serves them to whoever asks by hash) and
    /// announces the manifest in the DHT, so members can also fetch from each other.
    async fn share(&self, data: &[u8]) -> Result<Manifest, BitChatError> {
        let store = self
            .handle
            .chunk_store()
            .ok_or_else(|| BitChatError::Chunk("this node keeps no chunks".into()))?;
        let manifest = store.publish(data, DEFAULT_CHUNK_SIZE)?;
        self.announce(&manifest).await;
        Ok(manifest)
    }

    /// Fetches the missing chunks from `holder`, then from the DHT's other providers of the
    /// manifest; each chunk checked against its hash, each stored as it comes (a fetch cut
    /// short resumes). Then this node provides the file too.
    async fn fetch(&self, manifest: &Manifest, holder: AccountId) -> Result<Vec<u8>, BitChatError> {
        let store = self
            .handle
            .chunk_store()
            .ok_or_else(|| BitChatError::Chunk("this node keeps no chunks".into()))?
            .clone();
        let mut missing = store.missing(manifest);
        if !missing.is_empty() {
            let mut holders = vec![holder];
            match self.handle.providers(manifest.id()).await {
                Ok(more) => holders.extend(more.into_iter().filter(|a| *a != holder)),
                Err(e) => tracing::debug!("providers of a file: {e}"),
            }
            holders.retain(|a| *a != self.handle.account());
            let mut why = String::from("nobody holds it");
            for h in holders {
                let rec = match self.handle.find(h).await {
                    Ok(r) => r,
                    Err(e) => {
                        why = e.to_string();
                        continue;
                    }
                };
                let mut left = Vec::new();
                for hash in missing {
                    match self.handle.get_chunk(&rec, hash).await {
                        Ok(Some(data)) => {
                            store.put_verified(&hash, &data)?;
                        }
                        Ok(None) => left.push(hash),
                        Err(e) => {
                            why = e.to_string();
                            left.push(hash);
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

    async fn recv(&self, timeout: Duration) -> Option<Carried> {
        let mut rx = self.incoming.lock().await;
        tokio::time::timeout(timeout, rx.recv())
            .await
            .ok()
            .flatten()
    }

    async fn shutdown(mut self: Box<Self>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Self { handle, pump, .. } = *self;
        // The node's task ends once every handle is gone.
        drop(handle);
        let _ = pump.await;
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
            .seal(&b, &bob.identity.noise_public(), b"hello bob")
            .unwrap();
        let (body, card) = bob.open(&a, &env).unwrap();
        assert_eq!(body, b"hello bob");
        assert_eq!(card, PeerRecord::of(&alice.identity, None));
        // Not for Mallory, even when she names Alice as the sender.
        assert!(mallory.open(&a, &env).is_err());
        // A relay that says it came from Mallory: the card is Alice's.
        assert!(bob.open(&m, &env).unwrap_err().contains("not the sender's"));
        // Mallory puts Alice's card on her own seal: the seal's key is not the card's, and the
        // header names Alice, so it does not open either way.
        let mut forged = mallory
            .seal(&b, &bob.identity.noise_public(), b"from alice, honest")
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

    proptest::proptest! {
        #[test]
        fn arbitrary_envelopes_never_panic(b in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..512)) {
            let bob = sealer(2);
            let a = sealer(1).identity.account_id();
            proptest::prop_assert!(bob.open(&a, &b).is_err());
        }
    }
}
