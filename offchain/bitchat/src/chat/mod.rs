//! Chat for people: contacts, 1:1 and group conversations on MLS ([`bithive_bitchat_mls`]),
//! carried by a BitChat [`Node`] (Noise-sealed envelopes, relays for offline members), with a
//! history sealed at rest. [`core::ChatCore`] decides; [`ChatClient`] carries its payloads.

pub mod core;
pub mod payload;

use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};

pub use self::core::{ChatCore, Event, HistoryEntry, Outgoing};
pub use bithive_bitchat_mls::ConversationId;
use payload::CHAT_STREAM;

use crate::error::BitChatError;
use crate::frame::MessageId;
use crate::identity::AccountId;
use crate::node::{unix_now, Node};

/// A chat client: a node and the core it feeds.
pub struct ChatClient {
    node: Node,
    core: Mutex<ChatCore>,
    /// How long a payload waits at relays for an offline member.
    pub ttl: Duration,
}

impl ChatClient {
    pub fn new(node: Node, core: ChatCore) -> Self {
        Self {
            node,
            core: Mutex::new(core),
            ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The core, for queries (history, members, contacts).
    pub async fn core(&self) -> MutexGuard<'_, ChatCore> {
        self.core.lock().await
    }

    /// Sends each payload through the node (directly, or to a relay when the member is away).
    pub async fn dispatch(&self, out: Vec<Outgoing>) -> Result<Vec<MessageId>, BitChatError> {
        let mut ids = Vec::with_capacity(out.len());
        for o in out {
            ids.push(
                self.node
                    .send(o.to, CHAT_STREAM, &o.payload, self.ttl)
                    .await?,
            );
        }
        Ok(ids)
    }

    pub async fn request_contact(&self, to: AccountId) -> Result<MessageId, BitChatError> {
        let o = self.core.lock().await.request_contact(to)?;
        Ok(self.dispatch(vec![o]).await?[0])
    }

    pub async fn accept(&self, from: AccountId) -> Result<ConversationId, BitChatError> {
        let (c, out) = self.core.lock().await.accept(from)?;
        self.dispatch(out).await?;
        Ok(c)
    }

    pub async fn create_group(
        &self,
        members: &[AccountId],
    ) -> Result<ConversationId, BitChatError> {
        let (c, out) = self.core.lock().await.create_group(members)?;
        self.dispatch(out).await?;
        Ok(c)
    }

    pub async fn add(&self, c: &ConversationId, members: &[AccountId]) -> Result<(), BitChatError> {
        let out = self.core.lock().await.add(c, members)?;
        self.dispatch(out).await.map(|_| ())
    }

    pub async fn remove(
        &self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<(), BitChatError> {
        let out = self.core.lock().await.remove(c, members)?;
        self.dispatch(out).await.map(|_| ())
    }

    pub async fn send(
        &self,
        c: &ConversationId,
        body: &[u8],
    ) -> Result<Vec<MessageId>, BitChatError> {
        let out = self.core.lock().await.send(c, body, unix_now())?;
        self.dispatch(out).await
    }

    /// Waits up to `timeout` for the next payload, handles it and sends what it calls for
    /// (a key package, a commit and welcome); returns what happened (empty on timeout).
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<Event>, BitChatError> {
        let Some(d) = self.node.recv(timeout).await else {
            return Ok(Vec::new());
        };
        if d.conversation != CHAT_STREAM {
            return Ok(vec![Event::Refused {
                from: d.from,
                reason: "not a chat payload".into(),
            }]);
        }
        let (events, out) = self.core.lock().await.handle(d.from, &d.body, unix_now());
        self.dispatch(out).await?;
        Ok(events)
    }

    pub async fn shutdown(self) {
        self.node.shutdown().await;
    }
}
