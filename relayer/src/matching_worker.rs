//! The matching worker: research requests are paid escrow jobs of model [`MATCHING_MODEL`]
//! whose input is a [`ResearchRequest`] (blinded criteria and the researcher's BitChat contact,
//! no details) sealed to this relayer's BitChat Noise key, so the chain sees only ciphertext.
//! The worker is the matching node of `offchain/matching/docs/ROLES.md` and nothing else:
//! 1. it opens the request and matches its blinded criteria on the enrolled users' blinded tags
//!    (hash join; the node sees no attribute, embedding, token or request detail),
//! 2. answers only when S_i has at least k users and shares, adds and drops none or at least k
//!    against every earlier answer (`bithive_matching::disclosure`: a paying researcher cannot
//!    single anyone out with two requests), records the match durably, sends S_i and the match's secret salt to the researcher
//!    over BitChat ([`MatchNotice`]) and attests `result_hash` =
//!    [`match_commitment`]`(request id, salt, S_i)` with a commitment to the escrow payload (a
//!    chain observer cannot test guesses of S_i); the attestation contract then pays the node
//!    through the escrow;
//! 3. the researcher encrypts the details to S_i itself with the key authority's published
//!    encryption key and sends the signed delivery back; the worker's forwarder checks it
//!    against the recorded match (same S_i, sent and signed by that researcher) and queues it
//!    to every recipient over BitChat (durable outbox, store-and-forward until the TTL).
//!
//! The DGKBE key authority is a separate party with its own secret
//! (`bithive_matching::authority`); this worker's secret file holds only the blinding key seed
//! and is refused if it carries anything else.
//!
//! Deterministic per job: a rerun after a crash finds the same S_i, records the same match and
//! sends the same notice (the researcher keeps one).

use bithive_deploy_plan::Role;
use std::collections::HashMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bithive_bitchat::{
    inbox::Delivered, AccountId, Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist,
};
use bithive_chain_client::{ChainClient, Event};
use bithive_dgkbe::RoaringBitmap;
use bithive_interface::attestation::MatchingPayload;
use bithive_interface::payfi_escrow::events as escrow_events;
use bithive_matching::disclosure;
use bithive_matching::node::{MatchingNode, UserSubmission};
use bithive_matching::output::{match_commitment, match_salt, verify_delivery, verify_output};
use bithive_matching::wire::{MatchNotice, ReplyTo, ResearchRequest, SignedDelivery};
use bithive_signed_attestation::{payload_hash, AttestationKind};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::config::{JobKind, MatchingSection};
use crate::error::RelayerError;
use crate::store::NewJob;
use crate::worker::{self, JobWorker, WorkError, WorkOutput, WorkSummary};

/// The escrow `model` of a research request.
pub use bithive_interface::attestation::MATCHING_MODEL;

/// The Noise prologue a research request is sealed under (defined with the request's encoding,
/// where the browser package finds it too).
pub use bithive_matching::wire::request_header;

/// The matching node's secret (file mode 0600): the seed of its blinding key b, re-derived at
/// start so a restart keeps every enrolled tag valid. Nothing else: a file that also carries
/// the DGKBE authority seed (the layout before the roles were split) is refused, so the two
/// secrets cannot end up in one process by accident.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingSecrets {
    #[serde(with = "hex::serde")]
    pub node_seed: [u8; 32],
}

impl Drop for MatchingSecrets {
    fn drop(&mut self) {
        self.node_seed.zeroize();
    }
}

impl MatchingSecrets {
    pub fn generate() -> Result<Self, RelayerError> {
        let mut s = MatchingSecrets { node_seed: [0; 32] };
        getrandom::getrandom(&mut s.node_seed)
            .map_err(|e| RelayerError::Config(format!("random seed: {e}")))?;
        Ok(s)
    }

    /// Writes the file with mode 0600 (created new: an existing file is never overwritten).
    pub fn save(&self, path: &Path) -> Result<(), RelayerError> {
        bithive_secret_file::create_new_json(path, self)
            .map_err(|e| RelayerError::Config(e.to_string()))
    }

    /// Reads the file; refused when group or others can access it.
    pub fn load(path: &Path) -> Result<Self, RelayerError> {
        // Never echoes the file's content.
        bithive_secret_file::read_json(
            path,
            "a matching node secret file (exactly one field, node_seed; the DGKBE key \
             authority's seed belongs to the key authority, not to the matching node)",
        )
        .map_err(|e| RelayerError::Config(e.to_string()))
    }

    pub fn node(&self) -> MatchingNode {
        MatchingNode::new(&mut ChaCha20Rng::from_seed(self.node_seed))
    }

    /// The key each match's salt is derived from ([`match_salt`]): one-way from the seed, so
    /// the salts survive a restart and reveal nothing of the blinding key.
    pub fn salt_key(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(b"bithive/matching/v1/salt-key")
            .chain_update(self.node_seed)
            .finalize()
            .into()
    }
}

/// One enrolled user: its blinded tags (as `UserSubmission::to_bytes`) and its BitChat contact.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Enrollment {
    pub user: u32,
    #[serde(with = "hex::serde")]
    pub submission: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub account_pubkey: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub noise_pubkey: Vec<u8>,
    #[serde(default)]
    pub addr: Option<SocketAddr>,
}

impl Enrollment {
    pub fn new(sub: &UserSubmission, contact: &PeerRecord) -> Result<Self, RelayerError> {
        Ok(Enrollment {
            user: sub.user,
            submission: sub
                .to_bytes()
                .map_err(|e| RelayerError::Config(format!("enrollment of {}: {e}", sub.user)))?,
            account_pubkey: contact.account_pubkey.to_vec(),
            noise_pubkey: contact.noise_pubkey.to_vec(),
            addr: contact.addr,
        })
    }

    fn parse(&self) -> Result<(UserSubmission, PeerRecord), String> {
        let sub = UserSubmission::from_bytes(&self.submission).map_err(|e| e.to_string())?;
        if sub.user != self.user {
            return Err("submission is of another user".into());
        }
        let contact = PeerRecord {
            account_pubkey: self
                .account_pubkey
                .as_slice()
                .try_into()
                .map_err(|_| "account_pubkey must be 33 bytes")?,
            noise_pubkey: self
                .noise_pubkey
                .as_slice()
                .try_into()
                .map_err(|_| "noise_pubkey must be 32 bytes")?,
            addr: self.addr,
        };
        Ok((sub, contact))
    }
}

/// Appends enrollments to a JSON-lines file (fsynced).
pub fn append_enrollments(path: &Path, rows: &[Enrollment]) -> Result<(), RelayerError> {
    use std::io::Write as _;
    let err = |e: std::io::Error| RelayerError::Config(format!("{}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    let mut buf = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut buf, r).map_err(|e| RelayerError::Config(e.to_string()))?;
        buf.push(b'\n');
    }
    f.write_all(&buf).map_err(err)?;
    f.sync_all().map_err(err)
}

/// What the worker serves from: the loaded enrollment.
struct Roster {
    node: MatchingNode,
    contacts: HashMap<u32, AccountId>,
}

/// The enrollment, ingested; also the users' contacts for the BitChat registry.
fn load_roster(
    section: &MatchingSection,
    secrets: &MatchingSecrets,
) -> Result<(Roster, Vec<PeerRecord>), RelayerError> {
    let path = &section.enrollment;
    let file = std::fs::File::open(path)
        .map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
    let (mut subs, mut contacts, mut seen) = (Vec::new(), HashMap::new(), RoaringBitmap::new());
    let mut records = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad =
            |e: String| RelayerError::Config(format!("{} line {}: {e}", path.display(), i + 1));
        let row: Enrollment = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let (sub, contact) = row.parse().map_err(bad)?;
        if !seen.insert(sub.user) {
            return Err(bad(format!("user {} enrolled twice", sub.user)));
        }
        contacts.insert(sub.user, AccountId::from_pubkey(&contact.account_pubkey));
        records.push(contact);
        subs.push(sub);
    }
    if subs.is_empty() {
        return Err(RelayerError::Config(format!(
            "{}: no user enrolled",
            path.display()
        )));
    }
    let mut node = secrets.node();
    node.ingest(&subs)
        .map_err(|e| RelayerError::Config(format!("matching ingest: {e}")))?;
    Ok((Roster { node, contacts }, records))
}

/// A match this node attested: what a researcher's delivery is checked against before it is
/// forwarded. Appended (fsynced) to `matches.jsonl` in the BitChat data directory before the
/// notice is sent, so a restart still forwards deliveries for earlier matches.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MatchRecord {
    pub chain_id: String,
    pub escrow_job_id: String,
    pub request_id: u64,
    #[serde(with = "hex::serde")]
    pub match_commitment: [u8; 32],
    /// The researcher's compressed secp256k1 key: its BitChat account and its signing key.
    #[serde(with = "hex::serde")]
    pub researcher: Vec<u8>,
    /// The rest of its BitChat contact, so a restarted node still accepts its delivery.
    #[serde(with = "hex::serde")]
    pub researcher_noise: [u8; 32],
    #[serde(default)]
    pub researcher_addr: Option<SocketAddr>,
    /// The secret nonce the commitment is salted with.
    #[serde(default, with = "hex::serde")]
    pub salt: [u8; 32],
    /// S_i (portable roaring serialization): later answers are checked against it.
    #[serde(default, with = "hex::serde")]
    pub recipients: Vec<u8>,
}

fn matches_path(section: &MatchingSection) -> PathBuf {
    section.data_dir.join("matches.jsonl")
}

fn load_matches(path: &Path) -> Result<HashMap<String, MatchRecord>, RelayerError> {
    let mut out = HashMap::new();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(RelayerError::Config(format!("{}: {e}", path.display()))),
    };
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| RelayerError::Config(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<MatchRecord>(&line) {
            // Answers are checked against every earlier one (k-anonymity, differencing): a row
            // without its S_i would silently drop out of that check.
            Ok(r) if r.recipients.is_empty() => {
                return Err(RelayerError::Config(format!(
                    "{} line {}: the match of job {} predates recorded answers (#43), so later \
                     answers could not be checked against it; move the journal aside to start \
                     (its researchers' deliveries are then no longer forwarded)",
                    path.display(),
                    i + 1,
                    r.escrow_job_id
                )))
            }
            Ok(r) => {
                out.insert(r.escrow_job_id.clone(), r);
            }
            // A torn last line after a crash: that match is recorded again when its job reruns.
            Err(e) => tracing::warn!(line = i + 1, "matches journal: {e}"),
        }
    }
    Ok(out)
}

fn append_line(path: &Path, row: &impl Serialize) -> Result<(), String> {
    use std::io::Write as _;
    let mut line = serde_json::to_vec(row).map_err(|e| e.to_string())?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(&line)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Shared by the job path and the forwarder.
struct Shared {
    roster: Roster,
    salt_key: [u8; 32],
    /// k of `bithive_matching::disclosure`.
    min_recipients: u64,
    /// Held from the disclosure check to the journal's write, so two answers checked at once
    /// cannot both pass against a history that holds neither.
    answering: tokio::sync::Mutex<()>,
    registry: Arc<StaticAllowlist>,
    matches: Mutex<HashMap<String, MatchRecord>>,
    matches_path: PathBuf,
    /// Jobs whose delivery was forwarded since start: one per paid match, since each forward
    /// sends an envelope to every enrolled user (covers included).
    forwarded: Mutex<std::collections::HashSet<String>>,
    ttl: Duration,
    stopping: AtomicBool,
}

pub struct MatchingWorker {
    shared: Arc<Shared>,
    identity: NodeIdentity,
    /// Taken by `shutdown`; sends after it fail as retryable.
    bitchat: tokio::sync::Mutex<Option<Arc<Node>>>,
    forwarder: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    contact: PeerRecord,
}

impl MatchingWorker {
    /// Loads the node's secret, the enrollment and the match journal, starts the BitChat node
    /// and the delivery forwarder. `identity_secret`: the keyring key's 32 bytes.
    pub async fn start(
        section: &MatchingSection,
        identity_secret: &[u8; 32],
    ) -> Result<Self, RelayerError> {
        let cfg_err = |what: &str, e: &dyn std::fmt::Display| {
            RelayerError::Config(format!("matching {what}: {e}"))
        };
        let secrets = MatchingSecrets::load(&section.secret_file)?;
        let salt_key = secrets.salt_key();
        let s = section.clone();
        let loaded = tokio::task::spawn_blocking(move || load_roster(&s, &secrets))
            .await
            .map_err(|e| cfg_err("enrollment task", &e))?;
        let (roster, rows) = loaded?;
        std::fs::create_dir_all(&section.data_dir).map_err(|e| cfg_err("data directory", &e))?;
        let journal = matches_path(section);
        let matches = load_matches(&journal)?;
        let registry = Arc::new(StaticAllowlist::new());
        for rec in rows {
            registry.insert(rec);
        }
        let listen: SocketAddr = section.listen.parse().map_err(|e| cfg_err("listen", &e))?;
        let mut cfg = NodeConfig::new(listen, section.data_dir.clone());
        for r in &section.relays {
            cfg.relays
                .push(r.parse().map_err(|e| cfg_err("relay address", &e))?);
        }
        let identity =
            NodeIdentity::from_secret(identity_secret).map_err(|e| cfg_err("identity", &e))?;
        let bitchat = Node::start(
            cfg,
            NodeIdentity::from_secret(identity_secret).map_err(|e| cfg_err("identity", &e))?,
            registry.clone(),
        )
        .await
        .map_err(|e| cfg_err("BitChat node", &e))?;
        let addr = bitchat
            .local_addr()
            .map_err(|e| cfg_err("BitChat address", &e))?;
        let bitchat = Arc::new(bitchat);
        let shared = Arc::new(Shared {
            roster,
            salt_key,
            min_recipients: section.min_recipients,
            answering: tokio::sync::Mutex::new(()),
            registry,
            matches: Mutex::new(matches),
            matches_path: journal,
            forwarded: Mutex::new(Default::default()),
            ttl: Duration::from_secs(section.delivery_ttl_secs.max(1)),
            stopping: AtomicBool::new(false),
        });
        // Researchers of recorded matches may still send their deliveries.
        let known: Vec<MatchRecord> = shared
            .matches
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for r in known {
            if let Ok(pk) = <[u8; 33]>::try_from(r.researcher.as_slice()) {
                shared.registry.insert(PeerRecord {
                    account_pubkey: pk,
                    noise_pubkey: r.researcher_noise,
                    addr: r.researcher_addr,
                });
            }
        }
        let forwarder = tokio::spawn(forward_deliveries(shared.clone(), bitchat.clone()));
        tracing::info!(users = shared.roster.contacts.len(), bitchat = %addr, "matching worker ready");
        Ok(MatchingWorker {
            shared,
            contact: PeerRecord::of(&identity, Some(addr)),
            identity,
            bitchat: tokio::sync::Mutex::new(Some(bitchat)),
            forwarder: std::sync::Mutex::new(Some(forwarder)),
        })
    }

    /// This worker's BitChat contact (what requesters seal to and users allow).
    pub fn contact(&self) -> &PeerRecord {
        &self.contact
    }

    /// Stops the forwarder and the BitChat node (its outbox journal keeps what was not
    /// delivered yet).
    pub async fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let handle = self.forwarder.lock().ok().and_then(|mut f| f.take());
        if let Some(h) = handle {
            h.abort();
            let _ = h.await;
        }
        if let Some(node) = self.bitchat.lock().await.take() {
            match Arc::try_unwrap(node) {
                Ok(node) => node.shutdown().await,
                Err(_) => tracing::warn!("BitChat node still in use at shutdown"),
            }
        }
    }

    /// Opens and matches a request (CPU work, on the blocking pool).
    async fn compute(
        &self,
        job: &NewJob,
        input: Vec<u8>,
    ) -> Result<(u64, RoaringBitmap, ReplyTo), WorkError> {
        let (sender, plain) = self
            .identity
            .open_sealed(&request_header(&job.chain_id), &input)
            .map_err(|_| {
                WorkError::Permanent(
                    "the request is not sealed to this node's BitChat key for this chain".into(),
                )
            })?;
        let req = ResearchRequest::from_bytes(&plain)
            .map_err(|e| WorkError::Permanent(format!("research request: {e}")))?;
        // The notice goes to the key that sealed the request, never to one it merely names.
        if req.reply_to.noise_pubkey != sender {
            return Err(WorkError::Permanent(
                "the request's reply key is not the key that sealed it".into(),
            ));
        }
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let id = req.submission.id;
            let (_, s_i) = shared
                .roster
                .node
                .match_requests(std::slice::from_ref(&req.submission))
                .map_err(|e| WorkError::Permanent(format!("matching: {e}")))?
                .pop()
                .ok_or_else(|| WorkError::Permanent("matching returned nothing".into()))?;
            if s_i.is_empty() {
                return Err(WorkError::Permanent(
                    "the request matched no enrolled user".into(),
                ));
            }
            Ok((id, s_i, req.reply_to))
        })
        .await
        .map_err(|e| WorkError::Retryable(format!("matching task: {e}")))?
    }
}

impl MatchingWorker {
    /// Checks the answer against the earlier ones (k-anonymity, differencing) and journals it;
    /// a rerun of a recorded job passes as it is.
    async fn record_answer(
        &self,
        record: &MatchRecord,
        s_i: &RoaringBitmap,
    ) -> Result<(), WorkError> {
        let _answering = self.shared.answering.lock().await;
        let earlier: Vec<RoaringBitmap> = {
            let matches = self
                .shared
                .matches
                .lock()
                .map_err(|_| WorkError::Retryable("matches poisoned".into()))?;
            if matches.get(&record.escrow_job_id) == Some(record) {
                return Ok(());
            }
            matches
                .values()
                .filter(|m| m.escrow_job_id != record.escrow_job_id)
                .filter_map(|m| RoaringBitmap::deserialize_from(&m.recipients[..]).ok())
                .collect()
        };
        disclosure::check(s_i, &earlier, self.shared.min_recipients)
            .map_err(|e| WorkError::Permanent(e.to_string()))?;
        let path = self.shared.matches_path.clone();
        let row = record.clone();
        tokio::task::spawn_blocking(move || append_line(&path, &row))
            .await
            .map_err(|e| WorkError::Retryable(format!("matches journal task: {e}")))?
            .map_err(|e| WorkError::Retryable(format!("matches journal: {e}")))?;
        self.shared
            .matches
            .lock()
            .map_err(|_| WorkError::Retryable("matches poisoned".into()))?
            .insert(record.escrow_job_id.clone(), record.clone());
        Ok(())
    }
}

/// Why a delivery was not forwarded (logged; the researcher may send a correct one).
fn check_delivery(shared: &Shared, d: &Delivered) -> Result<(SignedDelivery, Vec<u8>), String> {
    let signed = SignedDelivery::from_bytes(&d.body).map_err(|e| format!("not a delivery: {e}"))?;
    let record = shared
        .matches
        .lock()
        .map_err(|_| "matches poisoned".to_string())?
        .get(&signed.escrow_job_id)
        .cloned()
        .ok_or_else(|| format!("no match recorded for job {}", signed.escrow_job_id))?;
    // Only the researcher of that request, and only with the set this node matched.
    if signed.signer.as_slice() != record.researcher.as_slice()
        || d.from != AccountId::from_pubkey(&signed.signer)
    {
        return Err("not sent and signed by the researcher of this request".into());
    }
    if signed.output.request_id != record.request_id
        || !verify_output(&signed.output, &record.match_commitment)
    {
        return Err("the recipient set is not the one this node matched".into());
    }
    verify_delivery(
        &signed.signer,
        &signed.signature,
        &record.chain_id,
        &record.escrow_job_id,
        &signed.output,
    )
    .map_err(|e| e.to_string())?;
    Ok((signed, d.body.clone()))
}

/// Envelopes queued at once when a delivery is forwarded.
const SEND_CONCURRENCY: usize = 16;

/// Receives researchers' signed deliveries and queues each valid one to every recipient in S_i,
/// and a cover message of the same length to every other enrolled user: whoever holds or sees the
/// envelopes (a relay keeping mail for offline users) sees one equal-size envelope per enrolled
/// user for every delivery, and learns nothing of S_i (ROLES.md, "BitChat relay").
async fn forward_deliveries(shared: Arc<Shared>, node: Arc<Node>) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let Some(d) = node.recv(Duration::from_millis(500)).await else {
            continue;
        };
        let (signed, body) = match check_delivery(&shared, &d) {
            Ok(x) => x,
            Err(why) => {
                tracing::warn!(from = %d.from, "delivery refused: {why}");
                continue;
            }
        };
        let already = shared
            .forwarded
            .lock()
            .map(|f| f.contains(&signed.escrow_job_id))
            .unwrap_or(true);
        if already {
            tracing::warn!(job = %signed.escrow_job_id, "delivery refused: this job's delivery was already forwarded");
            continue;
        }
        let recipients = &signed.output.recipients;
        let no_contact = recipients
            .iter()
            .filter(|u| !shared.roster.contacts.contains_key(u))
            .count();
        // Every envelope is made before the first is sent: a delivery that could not be covered
        // (no randomness) is dropped whole, never sent to S_i alone. In slot order, real and
        // cover interleaved, so the order says nothing either.
        let mut slots: Vec<(u32, AccountId)> = shared
            .roster
            .contacts
            .iter()
            .map(|(u, a)| (*u, *a))
            .collect();
        slots.sort_unstable_by_key(|(u, _)| *u);
        // (slot, account, the cover to send instead of the delivery).
        type Envelope = (u32, AccountId, Option<Vec<u8>>);
        let envelopes: Result<Vec<Envelope>, _> = slots
            .into_iter()
            .map(|(u, a)| {
                if recipients.contains(u) {
                    Ok((u, a, None))
                } else {
                    bithive_matching::wire::cover(body.len()).map(|c| (u, a, Some(c)))
                }
            })
            .collect();
        let envelopes = match envelopes {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(job = %signed.escrow_job_id, "no randomness for cover messages: {e}; delivery dropped");
                continue;
            }
        };
        // Marked once every envelope exists (a failure above leaves the researcher free to send
        // it again).
        if let Ok(mut f) = shared.forwarded.lock() {
            f.insert(signed.escrow_job_id.clone());
        }
        // Queued a few at a time: one round trip per enrolled user, in turn, would hold up every
        // other delivery behind a large roster.
        let (mut queued, mut covers) = (0u64, 0u64);
        let body = Arc::new(body);
        let mut pending = envelopes.into_iter();
        loop {
            let mut batch = tokio::task::JoinSet::new();
            for (u, account, cover) in pending.by_ref().take(SEND_CONCURRENCY) {
                let (node, body, ttl) = (node.clone(), body.clone(), shared.ttl);
                let request = signed.output.request_id;
                batch.spawn(async move {
                    let payload = cover.as_deref().unwrap_or(&body);
                    (
                        u,
                        cover.is_some(),
                        node.send(account, request, payload, ttl).await,
                    )
                });
            }
            if batch.is_empty() {
                break;
            }
            while let Some(r) = batch.join_next().await {
                match r {
                    Ok((_, true, Ok(_))) => covers += 1,
                    Ok((_, false, Ok(_))) => queued += 1,
                    Ok((u, _, Err(e))) => tracing::warn!(user = u, "BitChat queue: {e}"),
                    Err(e) => tracing::warn!("BitChat queue task: {e}"),
                }
            }
        }
        tracing::info!(job = %signed.escrow_job_id, queued, covers, no_contact, "research delivery forwarded");
    }
}

#[async_trait]
impl JobWorker for MatchingWorker {
    fn job_kind(&self) -> JobKind {
        JobKind::Matching
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        if event.attr(escrow_events::attr::MODEL) != Some(MATCHING_MODEL) {
            return None;
        }
        worker::create_job_id(event)
    }
    fn attestation_contract_role(&self) -> Option<Role> {
        Some(Role::Attestation)
    }

    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (model, input, _) = worker::fetch_escrow_job(chain, job).await?;
        if model != MATCHING_MODEL {
            return Err(WorkError::Permanent(format!(
                "escrow job of model {model}, not {MATCHING_MODEL}"
            )));
        }
        // A job answered before (a rerun after a crash) gets the answer on record, never a new
        // one: the enrollment may have changed since, and a second, different S_i would hand
        // the researcher the difference.
        let recorded = self
            .shared
            .matches
            .lock()
            .map_err(|_| WorkError::Retryable("matches poisoned".into()))?
            .get(&job.job_id)
            .cloned();
        let (request_id, s_i, reply_to) = match recorded {
            Some(r) => (
                r.request_id,
                RoaringBitmap::deserialize_from(&r.recipients[..])
                    .map_err(|e| WorkError::Permanent(format!("recorded answer: {e}")))?,
                ReplyTo {
                    account_pubkey: r.researcher.as_slice().try_into().map_err(|_| {
                        WorkError::Permanent("recorded researcher key is not 33 bytes".into())
                    })?,
                    noise_pubkey: r.researcher_noise,
                    addr: r.researcher_addr,
                },
            ),
            None => self.compute(job, input).await?,
        };
        let salt = match_salt(&self.shared.salt_key, &job.chain_id, &job.job_id);
        let committed = match_commitment(request_id, &salt, &s_i);
        let notice = MatchNotice {
            request_id,
            salt,
            recipients: s_i.clone(),
        }
        .to_bytes()
        .map_err(|e| WorkError::Permanent(format!("match notice: {e}")))?;
        let mut recipients = Vec::new();
        s_i.serialize_into(&mut recipients)
            .map_err(|e| WorkError::Permanent(format!("recipient set: {e}")))?;
        // Durable before anyone hears of the match: the forwarder checks deliveries against it,
        // and later answers are checked against its S_i.
        let record = MatchRecord {
            chain_id: job.chain_id.clone(),
            escrow_job_id: job.job_id.clone(),
            request_id,
            match_commitment: committed,
            researcher: reply_to.account_pubkey.to_vec(),
            researcher_noise: reply_to.noise_pubkey,
            researcher_addr: reply_to.addr,
            salt,
            recipients,
        };
        self.record_answer(&record, &s_i).await?;
        let researcher = PeerRecord {
            account_pubkey: reply_to.account_pubkey,
            noise_pubkey: reply_to.noise_pubkey,
            addr: reply_to.addr,
        };
        self.shared.registry.insert(researcher);
        {
            let bitchat = self.bitchat.lock().await;
            let bitchat = bitchat
                .as_ref()
                .ok_or_else(|| WorkError::Retryable("BitChat node stopped".into()))?;
            bitchat
                .send(
                    AccountId::from_pubkey(&reply_to.account_pubkey),
                    request_id,
                    &notice,
                    self.shared.ttl,
                )
                .await
                .map_err(|e| WorkError::Retryable(format!("BitChat queue: {e}")))?;
        }
        let payload = serde_json::to_vec(&MatchingPayload {
            escrow_job_id: job.job_id.clone(),
            node: None,
        })
        .map_err(|e| WorkError::Permanent(e.to_string()))?;
        // No commitment to S_i's mask: the salted result hash is the one commitment to S_i.
        let commitments = vec![payload_hash(AttestationKind::Matching, &payload).0];
        tracing::info!(job = %job.job_id, recipients = s_i.len(), "research request matched; S_i sent to the researcher");
        Ok(WorkOutput {
            result_hash: committed,
            commitments,
            summary: Some(WorkSummary::Matching {
                request_id,
                recipients: s_i.len(),
                // The node makes no ciphertext; the researcher's delivery is forwarded later.
                ciphertext_bytes: 0,
                delivery_queued: 1,
                no_contact: 0,
            }),
            payload: Some(payload),
        })
    }
}
