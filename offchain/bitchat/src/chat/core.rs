//! The chat client's protocol core, without network I/O: contact requests, key package
//! exchange, conversations on MLS, fan-out to members, history. Every call returns the
//! payloads to send ([`Outgoing`]) and what happened ([`Event`]); the async layer
//! ([`super::ChatClient`]) carries them over a BitChat node.
//!
//! Who may do what:
//! - anyone may send a contact request; a stranger holds at most one pending request here, and
//!   at most [`MAX_PENDING_REQUESTS`] are kept (further ones are refused until the user decides);
//! - a key package is handed out only to contacts, and only to their key package request;
//! - a welcome is accepted only from a contact who is the conversation's admin;
//! - an MLS message must come from the node account that MLS names as its sender (commits from
//!   the admin; the MLS crate enforces who may commit).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use bithive_bitchat_mls::{ConversationId, Conversations, MlsError, Received};
use serde::{Deserialize, Serialize};

use super::file::FileOffer;
use super::payload::Payload;
use crate::at_rest::AtRestKey;
use crate::error::BitChatError;
use crate::identity::AccountId;
use crate::journal::Journal;

/// Pending contact requests kept at once.
pub const MAX_PENDING_REQUESTS: usize = 256;
/// Largest key package taken in a contact request or an answer (they are under 1 KiB).
pub const MAX_KEY_PACKAGE: usize = 16 * 1024;
/// Key packages handed to one contact that it has not used yet (each costs a private key kept
/// in the state until used).
pub const MAX_KEY_PACKAGES_GIVEN: u8 = 4;
/// Messages kept while waiting for the commit or welcome they need: at most this many, this many
/// per sender, and these many bytes in all. Only messages that can become readable are kept:
/// for a conversation this account is in, or one whose admin is a contact (its welcome may be on
/// its way).
pub const MAX_PARKED: usize = 1024;
pub const MAX_PARKED_PER_SENDER: usize = 64;
pub const MAX_PARKED_BYTES: usize = 16 << 20;
/// How long a parked message waits, seconds.
pub const PARKED_TTL_SECS: u64 = 3600;

/// What names one message in read receipts: its conversation, sender and body, hashed (the
/// sender computes it for what it sent; nobody else learns anything from it).
pub fn message_digest(c: &ConversationId, from: &AccountId, body: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"bithive-bitchat-read-v1");
    h.update(&c.0);
    h.update(from.0);
    h.update(body);
    h.finalize().into()
}

/// A payload for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: AccountId,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A stranger asks to talk: [`ChatCore::accept`] or [`ChatCore::decline`].
    ContactRequest {
        from: AccountId,
    },
    /// A conversation this account is now in.
    Joined {
        conversation: ConversationId,
        members: Vec<AccountId>,
    },
    Message {
        conversation: ConversationId,
        from: AccountId,
        body: Vec<u8>,
    },
    /// A member offers a file; [`super::ChatClient::fetch_file`] fetches and opens it.
    File {
        conversation: ConversationId,
        from: AccountId,
        offer: FileOffer,
    },
    Changed {
        conversation: ConversationId,
        added: Vec<AccountId>,
        removed: Vec<AccountId>,
    },
    RemovedFrom {
        conversation: ConversationId,
    },
    /// `by` has read the message whose [`message_digest`] is `message`.
    Read {
        conversation: ConversationId,
        by: AccountId,
        message: [u8; 32],
    },
    /// An answer the client owed `to` (a key package, a welcome, a commit) could not be sent.
    Undelivered {
        to: AccountId,
        reason: String,
    },
    /// Something from `from` was refused; `reason` says why (never the content).
    Refused {
        from: AccountId,
        reason: String,
    },
}

/// One line of a conversation's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub conversation: ConversationId,
    pub from: AccountId,
    pub body: Vec<u8>,
    pub at: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Rec {
    Contact {
        account: String,
    },
    Request {
        from: String,
        key_package: String,
    },
    RequestDone {
        from: String,
    },
    Message {
        conversation: String,
        from: String,
        body: String,
        at: u64,
    },
    /// A message kept until the commit or welcome it needs arrives (so a restart keeps it: the
    /// carrier let it go once it was handled, and parking is handling).
    Parked {
        from: String,
        message: String,
        at: u64,
    },
    /// A parked message that was read, refused or expired, by [`parked_id`].
    Unparked {
        id: String,
    },
    /// Members the admin asked for a key package, per conversation (the whole set for
    /// `member`; empty once none is wanted), so a key package that arrives after a restart
    /// still adds them. `asked_at[i]`: when `conversations[i]` asked (absent in journals from
    /// before the asking time was kept: those wants count as expired).
    Wanted {
        member: String,
        conversations: Vec<String>,
        #[serde(default)]
        asked_at: Vec<u64>,
    },
    /// A payload owed to accounts `to`, number `n`, made at `at`: written before it goes to the
    /// carrier, so what a crash stops in between (a commit, a welcome, a message) is sent at the
    /// next start instead of being lost after the MLS state moved on.
    Owed {
        n: u64,
        to: Vec<String>,
        payload: String,
        at: u64,
    },
    /// Payload `n` reached the carrier for `to` (its node, a relay or its durable outbox).
    Sent {
        n: u64,
        to: String,
    },
}

/// Dead records a chat journal may hold beyond 3 times its live ones before it is compacted.
pub(crate) const COMPACT_SLACK: usize = 1024;

/// How long an owed payload is tried again at start: the longest a relay keeps anything.
pub const OWED_TTL_SECS: u64 = 7 * 24 * 3600;

/// How long a member asked for a key package may answer and still be added: the request may
/// wait at a relay for [`OWED_TTL_SECS`], and the answer as long again. Later, the key package
/// is refused (the admin may have forgotten the invitation, or the member's account may have
/// changed hands) and the admin adds the member again.
pub const WANTED_TTL_SECS: u64 = 2 * OWED_TTL_SECS;

/// A payload owed to some accounts (see `Rec::Owed`).
#[derive(Debug, Clone)]
struct Owed {
    payload: Vec<u8>,
    to: BTreeSet<AccountId>,
    at: u64,
}

/// Whether a want asked at `at` may still be answered at `now`.
fn wanted_fresh(at: u64, now: u64) -> bool {
    now.saturating_sub(at) <= WANTED_TTL_SECS
}

/// What names a parked message in the journal.
fn parked_id(from: &AccountId, message: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(from.0);
    h.update(message);
    hex::encode(&h.finalize()[..16])
}

fn acct(s: &str) -> Option<AccountId> {
    Some(AccountId(hex::decode(s).ok()?.try_into().ok()?))
}

pub struct ChatCore {
    mls: Conversations,
    journal: Option<Journal>,
    contacts: BTreeSet<AccountId>,
    requests: BTreeMap<AccountId, Vec<u8>>,
    /// Members waiting for their key package before the admin adds them: per conversation,
    /// when it asked.
    wanted: BTreeMap<AccountId, BTreeMap<ConversationId, u64>>,
    parked: VecDeque<(AccountId, Vec<u8>, u64)>,
    /// Key packages handed to each contact and not used yet (in memory: a restart resets it).
    given: BTreeMap<AccountId, u8>,
    history: Vec<HistoryEntry>,
    /// Payloads made and not yet taken by the carrier, by number.
    owed: BTreeMap<u64, Owed>,
    next_owed: u64,
}

impl std::fmt::Debug for ChatCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatCore")
            .field("account", &self.account())
            .finish_non_exhaustive()
    }
}

fn mls_err(e: MlsError) -> BitChatError {
    BitChatError::Chat(e.to_string())
}

impl ChatCore {
    /// Opens the client's state in `dir` (`mls.state` and `chat.journal`, both sealed under keys
    /// from `account_secret`), or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>, account_secret: &[u8; 32]) -> Result<Self, BitChatError> {
        let mls = Conversations::open(dir.map(|d| d.join("mls.state")).as_deref(), account_secret)
            .map_err(mls_err)?;
        let mut core = Self {
            mls,
            journal: None,
            contacts: BTreeSet::new(),
            requests: BTreeMap::new(),
            wanted: BTreeMap::new(),
            parked: VecDeque::new(),
            given: BTreeMap::new(),
            history: Vec::new(),
            owed: BTreeMap::new(),
            next_owed: 0,
        };
        if let Some(dir) = dir {
            let key = AtRestKey::derive(account_secret, "chat");
            let (journal, rec) = Journal::open(&dir.join("chat.journal"), key)?;
            for r in rec.records {
                match serde_json::from_slice::<Rec>(&r) {
                    Ok(r) => core.replay(r),
                    Err(e) => tracing::warn!("chat journal: skipping undecodable record: {e}"),
                }
            }
            core.journal = Some(journal);
            core.maybe_compact();
        }
        Ok(core)
    }

    fn replay(&mut self, r: Rec) {
        match r {
            Rec::Contact { account } => {
                if let Some(a) = acct(&account) {
                    self.contacts.insert(a);
                }
            }
            Rec::Request { from, key_package } => {
                if let (Some(a), Ok(kp)) = (acct(&from), hex::decode(key_package)) {
                    self.requests.insert(a, kp);
                }
            }
            Rec::RequestDone { from } => {
                if let Some(a) = acct(&from) {
                    self.requests.remove(&a);
                }
            }
            Rec::Message {
                conversation,
                from,
                body,
                at,
            } => {
                if let (Ok(c), Some(from), Ok(body)) =
                    (hex::decode(conversation), acct(&from), hex::decode(body))
                {
                    self.history.push(HistoryEntry {
                        conversation: ConversationId(c),
                        from,
                        body,
                        at,
                    });
                }
            }
            Rec::Parked { from, message, at } => {
                if let (Some(from), Ok(message)) = (acct(&from), hex::decode(message)) {
                    self.parked.push_back((from, message, at));
                }
            }
            Rec::Unparked { id } => {
                if let Some(i) = self
                    .parked
                    .iter()
                    .position(|(f, m, _)| parked_id(f, m) == id)
                {
                    self.parked.remove(i);
                }
            }
            Rec::Wanted {
                member,
                conversations,
                asked_at,
            } => {
                if let Some(m) = acct(&member) {
                    let set: BTreeMap<ConversationId, u64> = conversations
                        .iter()
                        .enumerate()
                        .filter_map(|(i, c)| {
                            let c = ConversationId(hex::decode(c).ok()?);
                            Some((c, asked_at.get(i).copied().unwrap_or(0)))
                        })
                        .collect();
                    if set.is_empty() {
                        self.wanted.remove(&m);
                    } else {
                        self.wanted.insert(m, set);
                    }
                }
            }
            Rec::Owed { n, to, payload, at } => {
                if let Ok(payload) = hex::decode(payload) {
                    let to: BTreeSet<AccountId> = to.iter().filter_map(|a| acct(a)).collect();
                    if !to.is_empty() {
                        self.owed.insert(n, Owed { payload, to, at });
                    }
                }
                self.next_owed = self.next_owed.max(n.saturating_add(1));
            }
            Rec::Sent { n, to } => {
                if let (Some(o), Some(to)) = (self.owed.get_mut(&n), acct(&to)) {
                    o.to.remove(&to);
                    if o.to.is_empty() {
                        self.owed.remove(&n);
                    }
                }
            }
        }
    }

    /// The records that rebuild this state: what a compaction keeps. History in order; the
    /// rest are keyed maps, so their order does not matter.
    fn live_records(&self) -> Vec<Rec> {
        let mut out: Vec<Rec> = Vec::new();
        out.extend(self.contacts.iter().map(|a| Rec::Contact {
            account: a.to_string(),
        }));
        out.extend(self.requests.iter().map(|(a, kp)| Rec::Request {
            from: a.to_string(),
            key_package: hex::encode(kp),
        }));
        out.extend(self.history.iter().map(|h| Rec::Message {
            conversation: h.conversation.to_string(),
            from: h.from.to_string(),
            body: hex::encode(&h.body),
            at: h.at,
        }));
        out.extend(self.parked.iter().map(|(from, m, at)| Rec::Parked {
            from: from.to_string(),
            message: hex::encode(m),
            at: *at,
        }));
        out.extend(self.wanted.iter().map(|(m, convs)| Rec::Wanted {
            member: m.to_string(),
            conversations: convs.keys().map(|c| c.to_string()).collect(),
            asked_at: convs.values().copied().collect(),
        }));
        out.extend(self.owed.iter().map(|(n, o)| Rec::Owed {
            n: *n,
            to: o.to.iter().map(|a| a.to_string()).collect(),
            payload: hex::encode(&o.payload),
            at: o.at,
        }));
        out
    }

    /// Rewrites the journal as [`Self::live_records`] once it holds more than 3 times as many
    /// records (plus [`COMPACT_SLACK`]): each payload sent leaves an owed record and one sent
    /// record per member behind, which would otherwise grow the file, and every start's read of
    /// it, without bound. A failure is logged; the journal stays as it was.
    fn maybe_compact(&mut self) {
        let live = self.contacts.len()
            + self.requests.len()
            + self.history.len()
            + self.parked.len()
            + self.wanted.len()
            + self.owed.len();
        let Some(j) = &self.journal else { return };
        if j.records() <= 3 * live + COMPACT_SLACK {
            return;
        }
        let recs: Result<Vec<Vec<u8>>, _> =
            self.live_records().iter().map(serde_json::to_vec).collect();
        let compacted = match recs {
            Ok(recs) => self
                .journal
                .as_mut()
                .map(|j| j.compact(recs.iter().map(|r| r.as_slice()))),
            Err(e) => Some(Err(BitChatError::Journal(e.to_string()))),
        };
        if let Some(Err(e)) = compacted {
            tracing::warn!("chat journal: compaction: {e}");
        }
    }

    #[cfg(test)]
    pub(crate) fn journal_records(&self) -> Option<usize> {
        self.journal.as_ref().map(|j| j.records())
    }

    /// Writes the members wanted from `member` (after a change of `self.wanted`).
    fn record_wanted(&mut self, member: AccountId) -> Result<(), BitChatError> {
        let (conversations, asked_at) = self
            .wanted
            .get(&member)
            .map(|s| {
                (
                    s.keys().map(|c| c.to_string()).collect(),
                    s.values().copied().collect(),
                )
            })
            .unwrap_or_default();
        self.record(Rec::Wanted {
            member: member.to_string(),
            conversations,
            asked_at,
        })
    }

    /// Drops the wants older than [`WANTED_TTL_SECS`] (written), so members who never answer
    /// do not stay wanted for ever.
    fn expire_wanted(&mut self, now: u64) -> Result<(), BitChatError> {
        let stale: Vec<AccountId> = self
            .wanted
            .iter()
            .filter(|(_, convs)| convs.values().any(|at| !wanted_fresh(*at, now)))
            .map(|(m, _)| *m)
            .collect();
        for m in stale {
            if let Some(convs) = self.wanted.get_mut(&m) {
                convs.retain(|_, at| wanted_fresh(*at, now));
                if convs.is_empty() {
                    self.wanted.remove(&m);
                }
            }
            self.record_wanted(m)?;
        }
        Ok(())
    }

    /// Writes `out` as owed before it goes to the carrier; consecutive payloads with the same
    /// bytes (a fan-out) are one record. Returns what could not be written (the error logged):
    /// the caller sends it all the same, and only a crash before the carrier takes it loses it.
    pub fn owe(&mut self, out: Vec<Outgoing>, now: u64) -> Vec<Outgoing> {
        let mut i = 0;
        while i < out.len() {
            let mut j = i + 1;
            while j < out.len() && out[j].payload == out[i].payload {
                j += 1;
            }
            let n = self.next_owed;
            let written = self.record(Rec::Owed {
                n,
                to: out[i..j].iter().map(|o| o.to.to_string()).collect(),
                payload: hex::encode(&out[i].payload),
                at: now,
            });
            if let Err(e) = written {
                tracing::warn!("chat journal: the payloads owed were not written: {e}");
                return out[i..].to_vec();
            }
            i = j;
        }
        Vec::new()
    }

    /// What is owed to `to`, oldest first (after [`Self::owed`]'s expiry). Each member's lane
    /// asks this for every batch: only `to`'s payloads are copied, not every member's (a group
    /// message to 100 members is one owed record; copying it to all 100 in each of the 100
    /// lanes made a fan-out cost the square of the group's size).
    pub fn owed_to(&mut self, to: &AccountId, now: u64) -> Vec<(u64, Vec<u8>)> {
        self.expire_owed(now);
        self.owed
            .iter()
            .filter(|(_, o)| o.to.contains(to))
            .map(|(n, o)| (*n, o.payload.clone()))
            .collect()
    }

    /// Payload `n` reached the carrier for `to`.
    pub fn sent(&mut self, n: u64, to: AccountId) -> Result<(), BitChatError> {
        if !self.owed.get(&n).is_some_and(|o| o.to.contains(&to)) {
            return Ok(());
        }
        self.record(Rec::Sent {
            n,
            to: to.to_string(),
        })?;
        self.maybe_compact();
        Ok(())
    }

    /// What is still owed, in the order it was made; payloads older than [`OWED_TTL_SECS`] are
    /// given up (written as sent: no relay would keep them).
    pub fn owed(&mut self, now: u64) -> Vec<(u64, Outgoing)> {
        self.expire_owed(now);
        self.owed
            .iter()
            .flat_map(|(n, o)| {
                o.to.iter().map(|to| {
                    (
                        *n,
                        Outgoing {
                            to: *to,
                            payload: o.payload.clone(),
                        },
                    )
                })
            })
            .collect()
    }

    /// Gives up the payloads older than [`OWED_TTL_SECS`] (written as sent).
    fn expire_owed(&mut self, now: u64) {
        let stale: Vec<(u64, Vec<AccountId>)> = self
            .owed
            .iter()
            .filter(|(_, o)| now.saturating_sub(o.at) > OWED_TTL_SECS)
            .map(|(n, o)| (*n, o.to.iter().copied().collect()))
            .collect();
        for (n, to) in stale {
            for a in to {
                if let Err(e) = self.sent(n, a) {
                    tracing::warn!("chat journal: {e}");
                }
            }
        }
    }

    fn record(&mut self, r: Rec) -> Result<(), BitChatError> {
        if let Some(j) = &mut self.journal {
            let bytes = serde_json::to_vec(&r).map_err(|e| BitChatError::Journal(e.to_string()))?;
            j.append(&bytes)?;
        }
        self.replay(r);
        Ok(())
    }

    pub fn account(&self) -> AccountId {
        AccountId(self.mls.account())
    }

    pub fn contacts(&self) -> Vec<AccountId> {
        self.contacts.iter().copied().collect()
    }

    pub fn pending_requests(&self) -> Vec<AccountId> {
        self.requests.keys().copied().collect()
    }

    pub fn conversations(&self) -> Vec<ConversationId> {
        self.mls.conversations()
    }

    pub fn members(&self, c: &ConversationId) -> Result<Vec<AccountId>, BitChatError> {
        Ok(self
            .mls
            .members(c)
            .map_err(mls_err)?
            .into_iter()
            .map(AccountId)
            .collect())
    }

    pub fn history(&self, c: &ConversationId) -> Vec<HistoryEntry> {
        self.history
            .iter()
            .filter(|h| &h.conversation == c)
            .cloned()
            .collect()
    }

    fn add_contact(&mut self, a: AccountId) -> Result<(), BitChatError> {
        if !self.contacts.contains(&a) {
            self.record(Rec::Contact {
                account: a.to_string(),
            })?;
        }
        Ok(())
    }

    /// Asks `to` to talk; `to` becomes a contact whose welcome this account will accept.
    pub fn request_contact(&mut self, to: AccountId) -> Result<Outgoing, BitChatError> {
        if to == self.account() {
            return Err(BitChatError::Chat("a contact request to oneself".into()));
        }
        self.add_contact(to)?;
        let key_package = self.mls.key_package().map_err(mls_err)?;
        Ok(Outgoing {
            to,
            payload: Payload::ContactRequest { key_package }.encode(),
        })
    }

    /// Accepts `from`'s pending request: a 1:1 conversation with this account as admin.
    pub fn accept(
        &mut self,
        from: AccountId,
    ) -> Result<(ConversationId, Vec<Outgoing>), BitChatError> {
        let kp = self
            .requests
            .get(&from)
            .cloned()
            .ok_or_else(|| BitChatError::Chat(format!("no pending request from {from}")))?;
        let c = self.mls.create().map_err(mls_err)?;
        let inv = self.mls.invite(&c, &[kp]).map_err(mls_err)?;
        if inv.added != [from.0] {
            return Err(BitChatError::Chat(format!(
                "the request from {from} carried another account's key package"
            )));
        }
        self.add_contact(from)?;
        self.record(Rec::RequestDone {
            from: from.to_string(),
        })?;
        let out = self.fan_out([from], inv.welcome);
        Ok((c, out))
    }

    /// Drops `from`'s pending request (it may ask again).
    pub fn decline(&mut self, from: AccountId) -> Result<(), BitChatError> {
        if self.requests.contains_key(&from) {
            self.record(Rec::RequestDone {
                from: from.to_string(),
            })?;
        }
        Ok(())
    }

    /// A new group conversation with `members` (contacts), this account as admin: asks each
    /// for a key package; they are added as the answers arrive (within [`WANTED_TTL_SECS`]).
    pub fn create_group(
        &mut self,
        members: &[AccountId],
        now: u64,
    ) -> Result<(ConversationId, Vec<Outgoing>), BitChatError> {
        let c = self.mls.create().map_err(mls_err)?;
        let out = self.add(&c, members, now)?;
        Ok((c, out))
    }

    /// Adds contacts to a conversation this account administers (each is asked for a key
    /// package; the commit and welcome follow its answer, if it comes within
    /// [`WANTED_TTL_SECS`]; asking again restarts that time).
    pub fn add(
        &mut self,
        c: &ConversationId,
        members: &[AccountId],
        now: u64,
    ) -> Result<Vec<Outgoing>, BitChatError> {
        if c.admin() != Some(self.account().0) {
            return Err(BitChatError::Chat(
                "only the conversation's admin adds members".into(),
            ));
        }
        self.expire_wanted(now)?;
        let mut out = Vec::new();
        for m in members {
            if !self.contacts.contains(m) {
                return Err(BitChatError::Chat(format!("{m} is not a contact")));
            }
            self.wanted.entry(*m).or_default().insert(c.clone(), now);
            self.record_wanted(*m)?;
            out.push(Outgoing {
                to: *m,
                payload: Payload::KeyPackageRequest.encode(),
            });
        }
        Ok(out)
    }

    /// The same MLS message for each of `to` except this account.
    fn fan_out(&self, to: impl IntoIterator<Item = AccountId>, message: Vec<u8>) -> Vec<Outgoing> {
        let me = self.account();
        let payload = Payload::Mls { message }.encode();
        to.into_iter()
            .filter(|m| *m != me)
            .map(|to| Outgoing {
                to,
                payload: payload.clone(),
            })
            .collect()
    }

    /// Removes members (admin only): the commit goes to everyone, the removed included.
    pub fn remove(
        &mut self,
        c: &ConversationId,
        members: &[AccountId],
    ) -> Result<Vec<Outgoing>, BitChatError> {
        let before = self.members(c)?;
        let raw: Vec<[u8; 20]> = members.iter().map(|m| m.0).collect();
        let commit = self.mls.remove(c, &raw).map_err(mls_err)?;
        Ok(self.fan_out(before, commit))
    }

    /// Renews this account's keys in `c` (post-compromise security): the admin commits at once
    /// (to every member); another member proposes to the admin, who forwards the proposal to
    /// the others and commits it.
    pub fn rekey(&mut self, c: &ConversationId) -> Result<Vec<Outgoing>, BitChatError> {
        let message = self.mls.rekey(c).map_err(mls_err)?;
        let to: Vec<AccountId> = match c.admin() {
            Some(a) if a == self.account().0 => self.members(c)?,
            Some(a) => vec![AccountId(a)],
            None => return Err(BitChatError::Chat("not a conversation id".into())),
        };
        Ok(self.fan_out(to, message))
    }

    /// Messages waiting for the commit or welcome they need.
    pub fn waiting(&self) -> usize {
        self.parked.len()
    }

    /// A message to every other member; kept in the history.
    pub fn send(
        &mut self,
        c: &ConversationId,
        body: &[u8],
        now: u64,
    ) -> Result<Vec<Outgoing>, BitChatError> {
        let message = self.mls.send(c, body).map_err(mls_err)?;
        let out = self.fan_out(self.members(c)?, message);
        self.record(Rec::Message {
            conversation: c.to_string(),
            from: self.account().to_string(),
            body: hex::encode(body),
            at: now,
        })?;
        Ok(out)
    }

    /// One payload from `from` (a node-authenticated account).
    pub fn handle(
        &mut self,
        from: AccountId,
        body: &[u8],
        now: u64,
    ) -> (Vec<Event>, Vec<Outgoing>) {
        let mut events = Vec::new();
        let mut out = Vec::new();
        let refused = |reason: String| Event::Refused { from, reason };
        let payload = match Payload::decode(body) {
            Ok(p) => p,
            Err(why) => return (vec![refused(why.into())], out),
        };
        let r = match payload {
            Payload::ContactRequest { key_package } => {
                self.on_contact_request(from, key_package, &mut events)
            }
            Payload::KeyPackageRequest => self.on_key_package_request(from, &mut out),
            Payload::KeyPackage { key_package } => {
                self.on_key_package(from, key_package, now, &mut events, &mut out)
            }
            Payload::Mls { message } => self.on_mls(from, message, now, &mut events, &mut out),
            Payload::Read {
                conversation,
                message,
            } => self.on_read(from, conversation, message, &mut events),
        };
        if let Err(e) = r {
            events.push(refused(e.to_string()));
        }
        (events, out)
    }

    fn on_contact_request(
        &mut self,
        from: AccountId,
        key_package: Vec<u8>,
        events: &mut Vec<Event>,
    ) -> Result<(), BitChatError> {
        if key_package.len() > MAX_KEY_PACKAGE {
            return Err(BitChatError::Chat("key package too large".into()));
        }
        if self.requests.contains_key(&from) {
            // One pending request per sender: a repeat changes nothing and writes nothing.
            return Err(BitChatError::Chat(
                "a request from this sender is already pending".into(),
            ));
        }
        let (_, account) = self.mls.check_key_package(&key_package).map_err(mls_err)?;
        if account != from.0 {
            return Err(BitChatError::Chat(
                "contact request with another account's key package".into(),
            ));
        }
        if self.requests.len() >= MAX_PENDING_REQUESTS {
            return Err(BitChatError::Chat(
                "too many pending contact requests".into(),
            ));
        }
        self.record(Rec::Request {
            from: from.to_string(),
            key_package: hex::encode(&key_package),
        })?;
        events.push(Event::ContactRequest { from });
        Ok(())
    }

    /// A read receipt for `from`'s message `body` in `c`, to `from` only.
    pub fn read_receipt(
        &self,
        c: &ConversationId,
        from: AccountId,
        body: &[u8],
    ) -> Result<Outgoing, BitChatError> {
        if from == self.account() {
            return Err(BitChatError::Chat(
                "no receipts for your own messages".into(),
            ));
        }
        let conversation: [u8; 32] =
            c.0.as_slice()
                .try_into()
                .map_err(|_| BitChatError::Chat("not a conversation id".into()))?;
        Ok(Outgoing {
            to: from,
            payload: Payload::Read {
                conversation,
                message: message_digest(c, &from, body),
            }
            .encode(),
        })
    }

    fn on_read(
        &mut self,
        from: AccountId,
        conversation: [u8; 32],
        message: [u8; 32],
        events: &mut Vec<Event>,
    ) -> Result<(), BitChatError> {
        let c = ConversationId(conversation.to_vec());
        if !self.members(&c)?.contains(&from) {
            return Err(BitChatError::Chat(
                "a read receipt from someone not in the conversation".into(),
            ));
        }
        events.push(Event::Read {
            conversation: c,
            by: from,
            message,
        });
        Ok(())
    }

    fn on_key_package_request(
        &mut self,
        from: AccountId,
        out: &mut Vec<Outgoing>,
    ) -> Result<(), BitChatError> {
        if !self.contacts.contains(&from) {
            return Err(BitChatError::Chat(
                "a key package request from someone not a contact".into(),
            ));
        }
        let given = self.given.entry(from).or_default();
        if *given >= MAX_KEY_PACKAGES_GIVEN {
            return Err(BitChatError::Chat(
                "this contact holds enough unused key packages".into(),
            ));
        }
        *given += 1;
        let key_package = self.mls.key_package().map_err(mls_err)?;
        out.push(Outgoing {
            to: from,
            payload: Payload::KeyPackage { key_package }.encode(),
        });
        Ok(())
    }

    fn on_key_package(
        &mut self,
        from: AccountId,
        key_package: Vec<u8>,
        now: u64,
        events: &mut Vec<Event>,
        out: &mut Vec<Outgoing>,
    ) -> Result<(), BitChatError> {
        if key_package.len() > MAX_KEY_PACKAGE {
            return Err(BitChatError::Chat("key package too large".into()));
        }
        if !self.wanted.contains_key(&from) {
            return Err(BitChatError::Chat("a key package nobody asked for".into()));
        }
        self.expire_wanted(now)?;
        let Some(convs) = self.wanted.get(&from).cloned() else {
            return Err(BitChatError::Chat(format!(
                "a key package asked for more than {} days ago: the admin adds the member again",
                WANTED_TTL_SECS / 86_400
            )));
        };
        let (_, account) = self.mls.check_key_package(&key_package).map_err(mls_err)?;
        if account != from.0 {
            return Err(BitChatError::Chat("another account's key package".into()));
        }
        // One key package joins one conversation; the others ask again, their time starting
        // anew. What is still wanted is written first, so the journal and memory agree whether
        // the invitation below succeeds or not (if not, the admin adds the member again).
        let mut convs = convs.into_keys();
        let first = convs.next();
        let rest: BTreeMap<ConversationId, u64> = convs.map(|c| (c, now)).collect();
        let more = !rest.is_empty();
        if more {
            self.wanted.insert(from, rest);
        } else {
            self.wanted.remove(&from);
        }
        self.record_wanted(from)?;
        let invite = |c: ConversationId| -> Result<(), BitChatError> {
            let before = self.members(&c)?;
            let inv = self.mls.invite(&c, &[key_package]).map_err(mls_err)?;
            if !inv.commit.is_empty() {
                out.extend(self.fan_out(before, inv.commit));
            }
            out.extend(self.fan_out([from], inv.welcome));
            events.push(Event::Changed {
                conversation: c,
                added: vec![from],
                removed: vec![],
            });
            Ok(())
        };
        let invited = first.map_or(Ok(()), invite);
        if more {
            out.push(Outgoing {
                to: from,
                payload: Payload::KeyPackageRequest.encode(),
            });
        }
        invited
    }

    fn on_mls(
        &mut self,
        from: AccountId,
        message: Vec<u8>,
        now: u64,
        events: &mut Vec<Event>,
        out: &mut Vec<Outgoing>,
    ) -> Result<(), BitChatError> {
        match self.process_mls(from, &message, now, events, out) {
            Ok(changed) => {
                if changed {
                    self.retry_parked(now, events, out);
                }
                Ok(())
            }
            // Perhaps the commit or welcome it needs is still on its way from the admin.
            Err(e @ (MlsError::UnknownConversation(_) | MlsError::Undecryptable(_))) => {
                if self.may_become_readable(&message) {
                    self.park(from, message, now)
                } else {
                    Err(mls_err(e))
                }
            }
            Err(e) => Err(mls_err(e)),
        }
    }

    /// A group message is worth keeping only for a conversation this account is in, or one
    /// whose admin is a contact (the welcome may still come).
    fn may_become_readable(&self, message: &[u8]) -> bool {
        let Some(c) = bithive_bitchat_mls::conversation_of(message) else {
            return false;
        };
        self.mls.conversations().contains(&c)
            || c.admin()
                .is_some_and(|a| self.contacts.contains(&AccountId(a)))
    }

    fn park(&mut self, from: AccountId, message: Vec<u8>, now: u64) -> Result<(), BitChatError> {
        let expired: Vec<String> = self
            .parked
            .iter()
            .filter(|(_, _, at)| now.saturating_sub(*at) >= PARKED_TTL_SECS)
            .map(|(f, m, _)| parked_id(f, m))
            .collect();
        for id in expired {
            self.record(Rec::Unparked { id })?;
        }
        if self.parked.iter().filter(|(f, _, _)| *f == from).count() >= MAX_PARKED_PER_SENDER {
            return Err(BitChatError::Chat(
                "too many messages waiting from this sender".into(),
            ));
        }
        let bytes: usize = self.parked.iter().map(|(_, m, _)| m.len()).sum();
        if self.parked.len() >= MAX_PARKED || bytes + message.len() > MAX_PARKED_BYTES {
            return Err(BitChatError::Chat("too many messages waiting".into()));
        }
        self.record(Rec::Parked {
            from: hex::encode(from.0),
            message: hex::encode(&message),
            at: now,
        })
    }

    fn retry_parked(&mut self, now: u64, events: &mut Vec<Event>, out: &mut Vec<Outgoing>) {
        loop {
            let mut progressed = false;
            let parked: Vec<_> = self.parked.drain(..).collect();
            for (from, message, at) in parked {
                match self.process_mls(from, &message, now, events, out) {
                    Ok(_) => progressed = true,
                    Err(MlsError::UnknownConversation(_)) | Err(MlsError::Undecryptable(_)) => {
                        self.parked.push_back((from, message, at));
                        continue;
                    }
                    Err(e) => events.push(Event::Refused {
                        from,
                        reason: e.to_string(),
                    }),
                }
                // Read or refused: no longer waiting, also not after a restart.
                if let Err(e) = self.record(Rec::Unparked {
                    id: parked_id(&from, &message),
                }) {
                    tracing::warn!("chat journal: {e}");
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// Processes one MLS message; `Ok(true)` when the conversation state moved (join, commit).
    fn process_mls(
        &mut self,
        from: AccountId,
        message: &[u8],
        now: u64,
        events: &mut Vec<Event>,
        out: &mut Vec<Outgoing>,
    ) -> Result<bool, MlsError> {
        // A welcome is checked before it is processed: only a contact who is the admin.
        let contacts = &self.contacts;
        let received = self.mls.receive_with(message, |r| match r {
            Received::Joined { conversation, .. } => {
                if conversation.admin() != Some(from.0) {
                    Err("a welcome not sent by the conversation's admin".to_string())
                } else if !contacts.contains(&from) {
                    Err("a welcome from someone not a contact".to_string())
                } else {
                    Ok(())
                }
            }
            Received::Message { from: sender, .. } => {
                if *sender != from.0 {
                    Err("an MLS message relayed by someone other than its sender".to_string())
                } else {
                    Ok(())
                }
            }
            // A member's update comes from the member or, forwarded, from the admin.
            Received::UpdateProposed {
                conversation,
                from: sender,
            } => {
                if *sender != from.0 && conversation.admin() != Some(from.0) {
                    Err(
                        "an update relayed by someone other than its sender or the admin"
                            .to_string(),
                    )
                } else {
                    Ok(())
                }
            }
            Received::Changed { conversation, .. }
            | Received::RemovedFromConversation { conversation } => {
                if conversation.admin() != Some(from.0) {
                    Err("a commit relayed by someone other than the admin".to_string())
                } else {
                    Ok(())
                }
            }
        })?;
        Ok(match received {
            Received::Joined {
                conversation,
                members,
            } => {
                self.given.remove(&from);
                events.push(Event::Joined {
                    conversation,
                    members: members.into_iter().map(AccountId).collect(),
                });
                true
            }
            Received::Message {
                conversation,
                from,
                body,
            } => {
                let from = AccountId(from);
                // A file offer that is refused is not kept: the reason is, nothing else.
                let offer = match FileOffer::decode(&body) {
                    Ok(o) => o,
                    Err(why) => {
                        events.push(Event::Refused {
                            from,
                            reason: format!("a file offer: {why}"),
                        });
                        return Ok(false);
                    }
                };
                if let Err(e) = self.record(Rec::Message {
                    conversation: conversation.to_string(),
                    from: from.to_string(),
                    body: hex::encode(&body),
                    at: now,
                }) {
                    tracing::warn!("chat history: {e}");
                }
                events.push(match offer {
                    Some(offer) => Event::File {
                        conversation,
                        from,
                        offer,
                    },
                    None => Event::Message {
                        conversation,
                        from,
                        body,
                    },
                });
                false
            }
            Received::Changed {
                conversation,
                added,
                removed,
            } => {
                events.push(Event::Changed {
                    conversation,
                    added: added.into_iter().map(AccountId).collect(),
                    removed: removed.into_iter().map(AccountId).collect(),
                });
                true
            }
            Received::RemovedFromConversation { conversation } => {
                events.push(Event::RemovedFrom { conversation });
                true
            }
            Received::UpdateProposed {
                conversation,
                from: proposer,
            } => {
                // The admin forwards the proposal to every other member before committing it:
                // a commit may only name a proposal everyone holds.
                if conversation.admin() == Some(self.account().0) {
                    let members = self
                        .members(&conversation)
                        .map_err(|e| MlsError::Mls(e.to_string()))?;
                    let others = members.iter().copied().filter(|m| m.0 != proposer);
                    out.extend(self.fan_out(others, message.to_vec()));
                    if let Some(commit) = self.mls.commit_pending(&conversation)? {
                        out.extend(self.fan_out(members, commit));
                    }
                    true
                } else {
                    false
                }
            }
        })
    }
}
