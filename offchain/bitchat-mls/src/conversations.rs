//! The conversations of one account: create, invite, remove, send, receive.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use bithive_bitchat_wire::frame::AccountIdBytes;
use k256::ecdsa::SigningKey;
use openmls::prelude::tls_codec::Deserialize;
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::random::OpenMlsRand;
use openmls_traits::OpenMlsProvider;

use crate::credential::{self, account_id, compressed};
use crate::error::{mls, MlsError};
use crate::state::{Snapshot, StateFile};

/// One ciphersuite for every conversation: X25519, ChaCha20-Poly1305, SHA-256, Ed25519.
pub const CIPHERSUITE: Ciphersuite =
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519;

/// Past epochs whose message keys a member keeps: a member's message sent just before the
/// admin's commit may arrive just after it (messages from different senders are not ordered
/// with each other). Keys of older epochs are deleted; a removed member never had the new ones.
pub const PAST_EPOCHS_KEPT: usize = 3;

/// Largest MLS message this client parses (an application message carries at most a BitChat
/// message body; a commit or welcome for a large group is bigger, but well under this).
pub const MAX_MLS_MESSAGE: usize = 1 << 20;

/// A conversation's id: the admin's account id (20 bytes) followed by 12 random bytes. The
/// prefix is how every member knows, without trusting anyone's say-so, who may commit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConversationId(pub Vec<u8>);

impl ConversationId {
    /// The account whose commits (adds, removals, re-keying) members accept.
    pub fn admin(&self) -> Option<AccountIdBytes> {
        self.0.get(..20).and_then(|a| a.try_into().ok())
    }
    pub fn from_hex(s: &str) -> Result<Self, MlsError> {
        let b = hex::decode(s)
            .map_err(|_| MlsError::Invalid(format!("conversation id {s:?} is not hex")))?;
        if b.len() != 32 {
            return Err(MlsError::Invalid(format!(
                "conversation id {s:?} is not 32 bytes"
            )));
        }
        Ok(Self(b))
    }
}

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

/// What an invitation produces: the commit for the existing members (empty when the
/// conversation had only its admin) and the welcome for the new ones.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub commit: Vec<u8>,
    pub welcome: Vec<u8>,
    pub added: Vec<AccountIdBytes>,
}

/// What an incoming MLS message meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A welcome: this account is now a member.
    Joined {
        conversation: ConversationId,
        members: Vec<AccountIdBytes>,
    },
    /// An application message from a member.
    Message {
        conversation: ConversationId,
        from: AccountIdBytes,
        body: Vec<u8>,
    },
    /// The admin's commit: members added and/or removed, keys renewed.
    Changed {
        conversation: ConversationId,
        added: Vec<AccountIdBytes>,
        removed: Vec<AccountIdBytes>,
    },
    /// The admin removed this account: the conversation is gone from this client.
    RemovedFromConversation { conversation: ConversationId },
    /// A member asked to renew its own keys (received by the admin, who commits it with
    /// [`Conversations::commit_pending`]).
    UpdateProposed {
        conversation: ConversationId,
        from: AccountIdBytes,
    },
}

/// The conversation a group message (commit, proposal, application message) belongs to, read
/// from its header without processing it; `None` for a welcome or anything unparseable.
pub fn conversation_of(bytes: &[u8]) -> Option<ConversationId> {
    if bytes.len() > MAX_MLS_MESSAGE {
        return None;
    }
    let id = match MlsMessageIn::tls_deserialize_exact(bytes).ok()?.extract() {
        MlsMessageBodyIn::PrivateMessage(m) => m.group_id().as_slice().to_vec(),
        MlsMessageBodyIn::PublicMessage(m) => m.group_id().as_slice().to_vec(),
        _ => return None,
    };
    Some(ConversationId(id))
}

/// Every conversation of one account, with its MLS state encrypted at rest.
pub struct Conversations {
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
    account: AccountIdBytes,
    state: StateFile,
    /// openmls keeps no index of its groups: this one is kept in the state's meta.
    conversations: BTreeSet<ConversationId>,
}

impl std::fmt::Debug for Conversations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("account", &hex::encode(self.account))
            .finish_non_exhaustive()
    }
}

impl Conversations {
    /// Opens the state at `path` (created on first use), or keeps it in memory when `path` is
    /// `None`. The MLS signature key is made once and kept in the state; the account key only
    /// signs its binding and derives the state's encryption key.
    pub fn open(path: Option<&Path>, account_secret: &[u8; 32]) -> Result<Self, MlsError> {
        let account_key = SigningKey::from_bytes(account_secret.into())
            .map_err(|_| MlsError::Invalid("account secret is not a secp256k1 key".into()))?;
        let pubkey = compressed(&account_key);
        let state = StateFile::new(path, account_secret, &pubkey);
        let provider = OpenMlsRustCrypto::default();
        let damaged = |reason: &str| MlsError::State {
            path: path.map(|p| p.display().to_string()).unwrap_or_default(),
            reason: reason.into(),
        };
        let (signer, conversations) = match state.load()? {
            Some(snapshot) => {
                *provider.storage().values.write().expect("storage lock") =
                    snapshot.entries.into_iter().collect();
                let (public, conversations) =
                    decode_meta(&snapshot.meta).ok_or_else(|| damaged("damaged index"))?;
                let signer = SignatureKeyPair::read(
                    provider.storage(),
                    &public,
                    CIPHERSUITE.signature_algorithm(),
                )
                .ok_or_else(|| damaged("the signature key is missing"))?;
                (signer, conversations)
            }
            None => {
                let signer =
                    SignatureKeyPair::new(CIPHERSUITE.signature_algorithm()).map_err(mls)?;
                signer.store(provider.storage()).map_err(mls)?;
                (signer, BTreeSet::new())
            }
        };
        let credential = CredentialWithKey {
            credential: credential::bind(&account_key, signer.public()),
            signature_key: signer.public().into(),
        };
        let this = Self {
            provider,
            signer,
            credential,
            account: account_id(&pubkey),
            state,
            conversations,
        };
        this.save()?;
        Ok(this)
    }

    pub fn account(&self) -> AccountIdBytes {
        self.account
    }

    fn snapshot(&self) -> (HashMap<Vec<u8>, Vec<u8>>, BTreeSet<ConversationId>) {
        (
            self.provider
                .storage()
                .values
                .read()
                .expect("storage lock")
                .clone(),
            self.conversations.clone(),
        )
    }

    fn restore(
        &mut self,
        (values, conversations): (HashMap<Vec<u8>, Vec<u8>>, BTreeSet<ConversationId>),
    ) {
        *self
            .provider
            .storage()
            .values
            .write()
            .expect("storage lock") = values;
        self.conversations = conversations;
    }

    fn save(&self) -> Result<(), MlsError> {
        let entries: BTreeMap<Vec<u8>, Vec<u8>> = self
            .provider
            .storage()
            .values
            .read()
            .expect("storage lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.state.save(&Snapshot {
            meta: encode_meta(self.signer.public(), &self.conversations),
            entries,
        })
    }

    /// A fresh key package to hand to whoever will invite this account (in a contact request,
    /// or on request). Each is good for one invitation; its private key stays in the state.
    pub fn key_package(&mut self) -> Result<Vec<u8>, MlsError> {
        let bundle = KeyPackage::builder()
            .build(
                CIPHERSUITE,
                &self.provider,
                &self.signer,
                self.credential.clone(),
            )
            .map_err(mls)?;
        let bytes = MlsMessageOut::from(bundle.key_package().clone())
            .to_bytes()
            .map_err(mls)?;
        self.save()?;
        Ok(bytes)
    }

    fn create_config() -> MlsGroupCreateConfig {
        MlsGroupCreateConfig::builder()
            .ciphersuite(CIPHERSUITE)
            .use_ratchet_tree_extension(true)
            // Tolerate reordering on a relay path and messages that cross a commit.
            .sender_ratchet_configuration(SenderRatchetConfiguration::new(32, 1000))
            .max_past_epochs(PAST_EPOCHS_KEPT)
            .build()
    }

    fn join_config() -> MlsGroupJoinConfig {
        MlsGroupJoinConfig::builder()
            .use_ratchet_tree_extension(true)
            .sender_ratchet_configuration(SenderRatchetConfiguration::new(32, 1000))
            .max_past_epochs(PAST_EPOCHS_KEPT)
            .build()
    }

    /// A new conversation with this account as its only member and admin.
    pub fn create(&mut self) -> Result<ConversationId, MlsError> {
        let mut id = self.account.to_vec();
        id.extend_from_slice(&self.provider.rand().random_array::<12>().map_err(mls)?);
        MlsGroup::new_with_group_id(
            &self.provider,
            &self.signer,
            &Self::create_config(),
            GroupId::from_slice(&id),
            self.credential.clone(),
        )
        .map_err(mls)?;
        let id = ConversationId(id);
        self.conversations.insert(id.clone());
        self.save()?;
        Ok(id)
    }

    fn group(&self, conversation: &ConversationId) -> Result<MlsGroup, MlsError> {
        MlsGroup::load(
            self.provider.storage(),
            &GroupId::from_slice(&conversation.0),
        )
        .map_err(mls)?
        .ok_or_else(|| MlsError::UnknownConversation(conversation.to_string()))
    }

    fn require_admin(
        &self,
        conversation: &ConversationId,
        what: &'static str,
    ) -> Result<(), MlsError> {
        if conversation.admin() != Some(self.account) {
            return Err(MlsError::NotAdmin(what));
        }
        Ok(())
    }

    /// The conversations this account is a member of.
    pub fn conversations(&self) -> Vec<ConversationId> {
        self.conversations.iter().cloned().collect()
    }

    /// The members' accounts, in leaf order.
    pub fn members(&self, conversation: &ConversationId) -> Result<Vec<AccountIdBytes>, MlsError> {
        let group = self.group(conversation)?;
        group
            .members()
            .map(|m| credential::verify(&m.credential, &m.signature_key))
            .collect()
    }

    /// Checks a key package (its signature, lifetime, ciphersuite and account binding) and
    /// returns it with the account it belongs to.
    pub fn check_key_package(
        &self,
        bytes: &[u8],
    ) -> Result<(KeyPackage, AccountIdBytes), MlsError> {
        let malformed = |reason: String| MlsError::Malformed {
            what: "key package",
            reason,
        };
        if bytes.len() > MAX_MLS_MESSAGE {
            return Err(malformed("too large".into()));
        }
        let msg =
            MlsMessageIn::tls_deserialize_exact(bytes).map_err(|e| malformed(e.to_string()))?;
        let kp = match msg.extract() {
            MlsMessageBodyIn::KeyPackage(kp) => kp,
            _ => return Err(malformed("not a key package".into())),
        };
        let kp = kp
            .validate(self.provider.crypto(), ProtocolVersion::Mls10)
            .map_err(|e| MlsError::Refused(format!("key package: {e}")))?;
        if kp.ciphersuite() != CIPHERSUITE {
            return Err(MlsError::Refused("key package: another ciphersuite".into()));
        }
        let leaf = kp.leaf_node();
        let account = credential::verify(leaf.credential(), leaf.signature_key().as_slice())?;
        Ok((kp, account))
    }

    /// Adds the owners of `key_packages` (admin only). Send `commit` to the existing members
    /// and `welcome` to the new ones.
    pub fn invite(
        &mut self,
        conversation: &ConversationId,
        key_packages: &[Vec<u8>],
    ) -> Result<Invitation, MlsError> {
        self.require_admin(conversation, "add members")?;
        if key_packages.is_empty() {
            return Err(MlsError::Invalid("no key package to invite".into()));
        }
        let mut group = self.group(conversation)?;
        let present = self.members(conversation)?;
        let mut kps = Vec::new();
        let mut added = Vec::new();
        for bytes in key_packages {
            let (kp, account) = self.check_key_package(bytes)?;
            if present.contains(&account) || added.contains(&account) {
                return Err(MlsError::Invalid(format!(
                    "account {} is already a member",
                    hex::encode(account)
                )));
            }
            kps.push(kp);
            added.push(account);
        }
        let had_others = present.len() > 1;
        let (commit, welcome) = self.commit_changes(&mut group, kps, Vec::new())?;
        let welcome = welcome.ok_or_else(|| MlsError::Mls("an add without a welcome".into()))?;
        self.save()?;
        Ok(Invitation {
            commit: if had_others {
                commit.to_bytes().map_err(mls)?
            } else {
                Vec::new()
            },
            welcome: welcome.to_bytes().map_err(mls)?,
            added,
        })
    }

    /// The admin's commit of `adds` and `removes`, merged; its welcome when it adds anyone.
    /// Pending update proposals are not swept in: a commit naming a proposal another member
    /// never saw would cut that member off (they go through [`Conversations::commit_pending`]
    /// once forwarded to everyone).
    fn commit_changes(
        &self,
        group: &mut MlsGroup,
        adds: Vec<KeyPackage>,
        removes: Vec<LeafNodeIndex>,
    ) -> Result<(MlsMessageOut, Option<MlsMessageOut>), MlsError> {
        let (commit, welcome, _) = group
            .commit_builder()
            .consume_proposal_store(false)
            .propose_adds(adds)
            .propose_removals(removes)
            .load_psks(self.provider.storage())
            .map_err(mls)?
            .build(
                self.provider.rand(),
                self.provider.crypto(),
                &self.signer,
                |_| true,
            )
            .map_err(mls)?
            .stage_commit(&self.provider)
            .map_err(mls)?
            .into_messages();
        group.merge_pending_commit(&self.provider).map_err(mls)?;
        Ok((commit, welcome))
    }

    /// Removes `accounts` (admin only); returns the commit for every remaining and removed
    /// member. From the next epoch on, the removed ones hold no key to what is sent.
    pub fn remove(
        &mut self,
        conversation: &ConversationId,
        accounts: &[AccountIdBytes],
    ) -> Result<Vec<u8>, MlsError> {
        self.require_admin(conversation, "remove members")?;
        if accounts.contains(&self.account) {
            return Err(MlsError::Invalid("the admin cannot remove itself".into()));
        }
        let mut group = self.group(conversation)?;
        let mut leaves = Vec::new();
        for account in accounts {
            let leaf = group
                .members()
                .find(|m| {
                    credential::verify(&m.credential, &m.signature_key).ok() == Some(*account)
                })
                .ok_or_else(|| {
                    MlsError::Invalid(format!("{} is not a member", hex::encode(account)))
                })?;
            leaves.push(leaf.index);
        }
        if leaves.is_empty() {
            return Err(MlsError::Invalid("no member to remove".into()));
        }
        let (commit, _) = self.commit_changes(&mut group, Vec::new(), leaves)?;
        self.save()?;
        commit.to_bytes().map_err(mls)
    }

    /// Renews this member's keys (post-compromise security): the admin commits at once (the
    /// returned commit goes to every member); any other member sends an update proposal, which
    /// the admin commits with [`Conversations::commit_pending`].
    pub fn rekey(&mut self, conversation: &ConversationId) -> Result<Vec<u8>, MlsError> {
        let mut group = self.group(conversation)?;
        let out = if conversation.admin() == Some(self.account) {
            let bundle = group
                .self_update(&self.provider, &self.signer, LeafNodeParameters::default())
                .map_err(mls)?;
            group.merge_pending_commit(&self.provider).map_err(mls)?;
            bundle.into_commit().to_bytes().map_err(mls)?
        } else {
            let (proposal, _) = group
                .propose_self_update(&self.provider, &self.signer, LeafNodeParameters::default())
                .map_err(mls)?;
            proposal.to_bytes().map_err(mls)?
        };
        self.save()?;
        Ok(out)
    }

    /// Commits the members' pending update proposals (admin only); `None` when there are none.
    pub fn commit_pending(
        &mut self,
        conversation: &ConversationId,
    ) -> Result<Option<Vec<u8>>, MlsError> {
        self.require_admin(conversation, "commit proposals")?;
        let mut group = self.group(conversation)?;
        if group.pending_proposals().next().is_none() {
            return Ok(None);
        }
        let (commit, _, _) = group
            .commit_to_pending_proposals(&self.provider, &self.signer)
            .map_err(mls)?;
        group.merge_pending_commit(&self.provider).map_err(mls)?;
        self.save()?;
        Ok(Some(commit.to_bytes().map_err(mls)?))
    }

    /// Encrypts `body` for the conversation's current members.
    pub fn send(
        &mut self,
        conversation: &ConversationId,
        body: &[u8],
    ) -> Result<Vec<u8>, MlsError> {
        let mut group = self.group(conversation)?;
        let out = group
            .create_message(&self.provider, &self.signer, body)
            .map_err(mls)?;
        self.save()?;
        out.to_bytes().map_err(mls)
    }

    /// Processes one incoming MLS message (welcome, commit, proposal or application message).
    /// Anything refused leaves the state as it was.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Received, MlsError> {
        self.receive_with(bytes, |_| Ok(()))
    }

    /// [`Conversations::receive`] with the caller's own policy: `accept` sees what the message
    /// means once MLS has verified it, before a welcome is joined or a commit merged, and
    /// refuses it with a reason (e.g. a welcome from someone not a contact). A refused welcome
    /// or commit changes nothing.
    pub fn receive_with(
        &mut self,
        bytes: &[u8],
        accept: impl FnOnce(&Received) -> Result<(), String>,
    ) -> Result<Received, MlsError> {
        let malformed = |reason: String| MlsError::Malformed {
            what: "MLS message",
            reason,
        };
        if bytes.len() > MAX_MLS_MESSAGE {
            return Err(malformed("too large".into()));
        }
        let msg =
            MlsMessageIn::tls_deserialize_exact(bytes).map_err(|e| malformed(e.to_string()))?;
        // openmls writes to its storage while it processes (a used message key deleted, a key
        // package consumed by a welcome) before a policy can refuse: on any refusal or failure
        // the storage goes back to what it was, so a forged or forwarded copy can never use up
        // what the genuine message needs.
        let before = self.snapshot();
        let result = match msg.extract() {
            MlsMessageBodyIn::Welcome(welcome) => self.join(welcome, accept),
            MlsMessageBodyIn::PrivateMessage(m) => self.process(m.into(), accept),
            MlsMessageBodyIn::PublicMessage(m) => self.process(m.into(), accept),
            _ => Err(malformed("neither a welcome nor a group message".into())),
        };
        match result {
            Ok(received) => {
                self.save()?;
                Ok(received)
            }
            Err(e) => {
                self.restore(before);
                Err(e)
            }
        }
    }

    fn join(
        &mut self,
        welcome: Welcome,
        accept: impl FnOnce(&Received) -> Result<(), String>,
    ) -> Result<Received, MlsError> {
        let staged =
            StagedWelcome::new_from_welcome(&self.provider, &Self::join_config(), welcome, None)
                .map_err(|e| MlsError::Undecryptable(format!("welcome: {e}")))?;
        let conversation = ConversationId(staged.group_context().group_id().as_slice().to_vec());
        let admin = conversation
            .admin()
            .filter(|_| conversation.0.len() == 32)
            .ok_or_else(|| MlsError::Refused("welcome: not a BitChat conversation id".into()))?;
        let sender = staged.welcome_sender().map_err(mls)?;
        if credential::verify(sender.credential(), sender.signature_key().as_slice())? != admin {
            return Err(MlsError::Refused(
                "welcome: not sent by the conversation's admin".into(),
            ));
        }
        let members = staged
            .members()
            .map(|m| credential::verify(&m.credential, &m.signature_key))
            .collect::<Result<Vec<_>, _>>()?;
        if members.iter().filter(|a| **a == self.account).count() != 1 {
            return Err(MlsError::Refused(
                "welcome: this account is not exactly once a member".into(),
            ));
        }
        let joined = Received::Joined {
            conversation: conversation.clone(),
            members,
        };
        accept(&joined).map_err(MlsError::Refused)?;
        staged.into_group(&self.provider).map_err(mls)?;
        self.conversations.insert(conversation);
        Ok(joined)
    }

    fn process(
        &mut self,
        message: ProtocolMessage,
        accept: impl FnOnce(&Received) -> Result<(), String>,
    ) -> Result<Received, MlsError> {
        let conversation = ConversationId(message.group_id().as_slice().to_vec());
        let mut group = self.group(&conversation)?;
        let processed = group
            .process_message(&self.provider, message)
            .map_err(|e| MlsError::Undecryptable(e.to_string()))?;
        let sender_leaf = match processed.sender() {
            Sender::Member(leaf) => *leaf,
            _ => return Err(MlsError::Refused("sender is not a member".into())),
        };
        // The leaf's own credential, checked against the key that signed (openmls verified the
        // signature with the leaf's key).
        let sender_key = group
            .member_at(sender_leaf)
            .ok_or_else(|| MlsError::Refused("sender leaf is empty".into()))?
            .signature_key;
        let from = credential::verify(processed.credential(), &sender_key)?;
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(m) => {
                let r = Received::Message {
                    conversation,
                    from,
                    body: m.into_bytes(),
                };
                accept(&r).map_err(MlsError::Refused)?;
                Ok(r)
            }
            ProcessedMessageContent::ProposalMessage(p) => {
                // Only self-updates are proposed in BitChat; the admin queues them. The new leaf
                // must stay bound to the same account.
                let Proposal::Update(update) = p.proposal() else {
                    return Err(MlsError::Refused(
                        "only update proposals are accepted".into(),
                    ));
                };
                let leaf = update.leaf_node();
                if credential::verify(leaf.credential(), leaf.signature_key().as_slice())? != from {
                    return Err(MlsError::Refused(
                        "an update that binds the leaf to another account".into(),
                    ));
                }
                let r = Received::UpdateProposed {
                    conversation: conversation.clone(),
                    from,
                };
                accept(&r).map_err(MlsError::Refused)?;
                group
                    .store_pending_proposal(self.provider.storage(), *p)
                    .map_err(mls)?;
                Ok(r)
            }
            ProcessedMessageContent::StagedCommitMessage(commit) => {
                if Some(from) != conversation.admin() {
                    // Dropping the staged commit leaves the group at its epoch.
                    return Err(MlsError::Refused(
                        "a commit by someone other than the admin".into(),
                    ));
                }
                let mut added = Vec::new();
                for add in commit.add_proposals() {
                    let leaf = add.add_proposal().key_package().leaf_node();
                    added.push(credential::verify(
                        leaf.credential(),
                        leaf.signature_key().as_slice(),
                    )?);
                }
                // Every leaf the commit replaces stays bound to the account that held it.
                for u in commit.update_proposals() {
                    let Sender::Member(idx) = u.sender() else {
                        return Err(MlsError::Refused("an update by a non-member".into()));
                    };
                    let holder = group
                        .member_at(*idx)
                        .ok_or_else(|| MlsError::Refused("an update of an empty leaf".into()))?;
                    let leaf = u.update_proposal().leaf_node();
                    if credential::verify(leaf.credential(), leaf.signature_key().as_slice())?
                        != credential::verify(&holder.credential, &holder.signature_key)?
                    {
                        return Err(MlsError::Refused(
                            "an update that binds a leaf to another account".into(),
                        ));
                    }
                }
                if let Some(leaf) = commit.update_path_leaf_node() {
                    if credential::verify(leaf.credential(), leaf.signature_key().as_slice())?
                        != from
                    {
                        return Err(MlsError::Refused(
                            "the admin's new leaf is bound to another account".into(),
                        ));
                    }
                }
                let mut removed = Vec::new();
                for r in commit.remove_proposals() {
                    let m = group
                        .member_at(r.remove_proposal().removed())
                        .ok_or_else(|| MlsError::Refused("removal of an empty leaf".into()))?;
                    removed.push(credential::verify(&m.credential, &m.signature_key)?);
                }
                let self_removed = commit.self_removed();
                let r = if self_removed {
                    Received::RemovedFromConversation {
                        conversation: conversation.clone(),
                    }
                } else {
                    Received::Changed {
                        conversation: conversation.clone(),
                        added,
                        removed,
                    }
                };
                accept(&r).map_err(MlsError::Refused)?;
                group
                    .merge_staged_commit(&self.provider, *commit)
                    .map_err(mls)?;
                if self_removed {
                    group.delete(self.provider.storage()).map_err(mls)?;
                    self.conversations.remove(&conversation);
                }
                Ok(r)
            }
            ProcessedMessageContent::ExternalJoinProposalMessage(_) => {
                Err(MlsError::Refused("external joins are not accepted".into()))
            }
            #[allow(unreachable_patterns)]
            _ => Err(MlsError::Refused("unexpected message content".into())),
        }
    }
}

/// The state's meta: `u16 BE signature key length || key || (u8 length || conversation id)*`.
fn encode_meta(signer_public: &[u8], conversations: &BTreeSet<ConversationId>) -> Vec<u8> {
    let mut out = (signer_public.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(signer_public);
    for c in conversations {
        out.push(c.0.len() as u8);
        out.extend_from_slice(&c.0);
    }
    out
}

fn decode_meta(b: &[u8]) -> Option<(Vec<u8>, BTreeSet<ConversationId>)> {
    let n = u16::from_be_bytes(b.get(..2)?.try_into().ok()?) as usize;
    let public = b.get(2..2 + n)?.to_vec();
    let mut rest = &b[2 + n..];
    let mut conversations = BTreeSet::new();
    while let Some((&len, tail)) = rest.split_first() {
        conversations.insert(ConversationId(tail.get(..len as usize)?.to_vec()));
        rest = &tail[len as usize..];
    }
    Some((public, conversations))
}
