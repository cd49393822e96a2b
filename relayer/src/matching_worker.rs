//! The matching worker: research requests are paid escrow jobs of model [`MATCHING_MODEL`]
//! whose input is a [`ResearchRequest`] sealed to this relayer's BitChat Noise key (so the
//! chain sees only ciphertext). The worker
//! 1. opens the request and matches its blinded criteria on the enrolled users' blinded tags
//!    (hash join; the node sees no attribute, embedding or token),
//! 2. as DGKBE key authority encapsulates a session key for exactly S_i and seals the details
//!    (BGW: only members of S_i can open),
//! 3. queues the ciphertext to every recipient over BitChat (durable outbox, store-and-forward
//!    through the configured relays until the TTL), and
//! 4. attests `result_hash` = the matching commitment, with commitments to S_i, the ciphertext
//!    and the escrow payload; the attestation contract then pays the node through the escrow.
//!
//! Deterministic per job (the encapsulation randomness is derived from the authority seed and
//! the job key), so a rerun after a crash produces the same ciphertext and commitment; a
//! recipient may then receive the same delivery twice and keeps one (same request id, same
//! bytes).

use std::collections::HashMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bithive_bitchat::{AccountId, Node, NodeConfig, NodeIdentity, PeerRecord, StaticAllowlist};
use bithive_chain_client::{ChainClient, Event};
use bithive_dgkbe::{RoaringBitmap, ServerSecret};
use bithive_interface::attestation::MatchingPayload;
use bithive_matching::node::{MatchingNode, UserSubmission};
use bithive_matching::output::{seal_output, MatchOutput};
use bithive_matching::wire::{encode_delivery, split_delivery, ResearchRequest};
use bithive_secret_file::Zeroizing;
use bithive_signed_attestation::{matching_commitments, payload_hash, AttestationKind};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::config::MatchingSection;
use crate::error::RelayerError;
use crate::store::NewJob;
use crate::worker::{self, JobWorker, WorkError, WorkOutput, WorkSummary};

/// The escrow `model` of a research request.
pub use bithive_interface::attestation::MATCHING_MODEL;

/// The Noise prologue a research request is sealed under: binds it to the chain.
pub fn request_header(chain_id: &str) -> Vec<u8> {
    let mut h = b"BITHIVE/RESEARCH-REQUEST/v1\0".to_vec();
    h.extend_from_slice(chain_id.as_bytes());
    h
}

/// Secret seeds of the matching role (file mode 0600). The DGKBE authority and the node's
/// blinding key are re-derived from them at start, so a restart keeps every user key valid.
#[derive(Serialize, Deserialize)]
pub struct MatchingSecrets {
    #[serde(with = "hex::serde")]
    pub dgkbe_seed: [u8; 32],
    #[serde(with = "hex::serde")]
    pub node_seed: [u8; 32],
}

impl Drop for MatchingSecrets {
    fn drop(&mut self) {
        self.dgkbe_seed.zeroize();
        self.node_seed.zeroize();
    }
}

impl MatchingSecrets {
    pub fn generate() -> Result<Self, RelayerError> {
        let mut s = MatchingSecrets {
            dgkbe_seed: [0; 32],
            node_seed: [0; 32],
        };
        getrandom::getrandom(&mut s.dgkbe_seed)
            .and_then(|_| getrandom::getrandom(&mut s.node_seed))
            .map_err(|e| RelayerError::Config(format!("random seeds: {e}")))?;
        Ok(s)
    }

    /// Writes the file with mode 0600 (created new: an existing file is never overwritten).
    pub fn save(&self, path: &Path) -> Result<(), RelayerError> {
        let text = Zeroizing::new(
            serde_json::to_vec(self).map_err(|e| RelayerError::Config(e.to_string()))?,
        );
        bithive_secret_file::create_new(path, text).map_err(|e| RelayerError::Config(e.to_string()))
    }

    /// Reads the file; refused when group or others can access it.
    pub fn load(path: &Path) -> Result<Self, RelayerError> {
        let text =
            bithive_secret_file::read(path).map_err(|e| RelayerError::Config(e.to_string()))?;
        // Never echo the file's content in an error.
        serde_json::from_slice(&text).map_err(|_| {
            RelayerError::Config(format!(
                "{}: not a matching secret file (dgkbe_seed, node_seed)",
                path.display()
            ))
        })
    }

    /// The key authority for `s0` over slots 1..=n.
    pub fn authority(
        &self,
        n: u32,
        s0: &RoaringBitmap,
        epoch: u64,
    ) -> Result<ServerSecret, RelayerError> {
        ServerSecret::setup(n, s0, epoch, &mut ChaCha20Rng::from_seed(self.dgkbe_seed))
            .map_err(|e| RelayerError::Config(format!("DGKBE setup: {e}")))
    }

    pub fn node(&self) -> MatchingNode {
        MatchingNode::new(&mut ChaCha20Rng::from_seed(self.node_seed))
    }

    /// Per-job encapsulation randomness: secret (from the authority seed) and fixed per job.
    fn job_rng(&self, job_key: &str) -> ChaCha20Rng {
        let mut h = Sha256::new();
        h.update(b"BITHIVE/MATCHING/ENCAPSULATION/v1\0");
        h.update(self.dgkbe_seed);
        h.update(job_key.as_bytes());
        ChaCha20Rng::from_seed(h.finalize().into())
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
    authority: ServerSecret,
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
    let (mut subs, mut contacts, mut s0) = (Vec::new(), HashMap::new(), RoaringBitmap::new());
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
        if !s0.insert(sub.user) {
            return Err(bad(format!("user {} enrolled twice", sub.user)));
        }
        contacts.insert(sub.user, AccountId::from_pubkey(&contact.account_pubkey));
        records.push(contact);
        subs.push(sub);
    }
    let n = s0
        .max()
        .ok_or_else(|| RelayerError::Config(format!("{}: no user enrolled", path.display())))?;
    let mut node = secrets.node();
    node.ingest(&subs)
        .map_err(|e| RelayerError::Config(format!("matching ingest: {e}")))?;
    let authority = secrets.authority(n, &s0, section.epoch)?;
    Ok((
        Roster {
            node,
            authority,
            contacts,
        },
        records,
    ))
}

pub struct MatchingWorker {
    secrets: MatchingSecrets,
    roster: Arc<Roster>,
    identity: NodeIdentity,
    /// Taken by `shutdown`; sends after it fail as retryable.
    bitchat: tokio::sync::Mutex<Option<Node>>,
    contact: PeerRecord,
    ttl: Duration,
}

impl MatchingWorker {
    /// Loads secrets and enrollment and starts the BitChat node. `identity_secret`: the
    /// keyring key's 32 bytes.
    pub async fn start(
        section: &MatchingSection,
        identity_secret: &[u8; 32],
    ) -> Result<Self, RelayerError> {
        let cfg_err = |what: &str, e: &dyn std::fmt::Display| {
            RelayerError::Config(format!("matching {what}: {e}"))
        };
        let secrets = MatchingSecrets::load(&section.secret_file)?;
        let s = section.clone();
        let (loaded, secrets) = tokio::task::spawn_blocking(move || {
            let r = load_roster(&s, &secrets);
            (r, secrets)
        })
        .await
        .map_err(|e| cfg_err("enrollment task", &e))?;
        let (roster, rows) = loaded?;
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
            registry,
        )
        .await
        .map_err(|e| cfg_err("BitChat node", &e))?;
        let addr = bitchat
            .local_addr()
            .map_err(|e| cfg_err("BitChat address", &e))?;
        tracing::info!(users = roster.contacts.len(), bitchat = %addr, "matching worker ready");
        Ok(MatchingWorker {
            secrets,
            roster: Arc::new(roster),
            contact: PeerRecord::of(&identity, Some(addr)),
            identity,
            bitchat: tokio::sync::Mutex::new(Some(bitchat)),
            ttl: Duration::from_secs(section.delivery_ttl_secs.max(1)),
        })
    }

    /// This worker's BitChat contact (what requesters seal to and users allow).
    pub fn contact(&self) -> &PeerRecord {
        &self.contact
    }

    /// Stops the BitChat node (its outbox journal keeps what was not delivered yet).
    pub async fn shutdown(&self) {
        if let Some(node) = self.bitchat.lock().await.take() {
            node.shutdown().await;
        }
    }

    /// Opens, matches and seals a request (CPU work, on the blocking pool).
    async fn compute(&self, job: &NewJob, input: Vec<u8>) -> Result<MatchOutput, WorkError> {
        let (_, plain) = self
            .identity
            .open_sealed(&request_header(&job.chain_id), &input)
            .map_err(|_| {
                WorkError::Permanent(
                    "the request is not sealed to this node's BitChat key for this chain".into(),
                )
            })?;
        let req = ResearchRequest::from_bytes(&plain)
            .map_err(|e| WorkError::Permanent(format!("research request: {e}")))?;
        let roster = self.roster.clone();
        let mut rng = self.secrets.job_rng(&job.key());
        tokio::task::spawn_blocking(move || {
            let id = req.submission.id;
            let (_, s_i) = roster
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
            let (header, session) = roster
                .authority
                .bgw_encapsulate(&s_i, &mut rng)
                .map_err(|e| WorkError::Permanent(format!("encapsulation: {e}")))?;
            seal_output(id, s_i, header, session, &req.details)
                .map_err(|e| WorkError::Permanent(format!("sealing: {e}")))
        })
        .await
        .map_err(|e| WorkError::Retryable(format!("matching task: {e}")))?
    }
}

#[async_trait]
impl JobWorker for MatchingWorker {
    fn kind(&self) -> &'static str {
        "matching"
    }
    fn attestation_kind(&self) -> AttestationKind {
        AttestationKind::Matching
    }
    fn source_role(&self) -> &'static str {
        crate::worker::ESCROW_ROLE
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        if event.attr("model") != Some(MATCHING_MODEL) {
            return None;
        }
        worker::create_job_id(event)
    }
    fn attestation_contract_role(&self) -> Option<&'static str> {
        Some("attestation")
    }

    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (model, input, _) = worker::fetch_escrow_job(chain, job).await?;
        if model != MATCHING_MODEL {
            return Err(WorkError::Permanent(format!(
                "escrow job of model {model}, not {MATCHING_MODEL}"
            )));
        }
        let out = self.compute(job, input).await?;
        let delivery = encode_delivery(&out)
            .map_err(|e| WorkError::Permanent(format!("delivery encoding: {e}")))?;
        let (_, mask, _) =
            split_delivery(&delivery).map_err(|e| WorkError::Permanent(e.to_string()))?;
        // Queue to every recipient (durable outbox); a missing contact is counted, not fatal.
        let (mut queued, mut no_contact) = (0u64, 0u64);
        let bitchat = self.bitchat.lock().await;
        let bitchat = bitchat
            .as_ref()
            .ok_or_else(|| WorkError::Retryable("BitChat node stopped".into()))?;
        for u in out.recipients.iter() {
            match self.roster.contacts.get(&u) {
                Some(account) => {
                    bitchat
                        .send(*account, out.request_id, &delivery, self.ttl)
                        .await
                        .map_err(|e| WorkError::Retryable(format!("BitChat queue: {e}")))?;
                    queued += 1;
                }
                None => no_contact += 1,
            }
        }
        let payload = serde_json::to_vec(&MatchingPayload {
            escrow_job_id: job.job_id.clone(),
            node: None,
        })
        .map_err(|e| WorkError::Permanent(e.to_string()))?;
        let mut commitments: Vec<[u8; 32]> = matching_commitments(mask, &out.ciphertext)
            .iter()
            .map(|h| h.0)
            .collect();
        commitments.push(payload_hash(AttestationKind::Matching, &payload).0);
        tracing::info!(job = %job.job_id, recipients = out.recipients.len(), queued, no_contact, "research request matched and sealed");
        Ok(WorkOutput {
            result_hash: out.commitment,
            commitments,
            summary: Some(WorkSummary::Matching {
                request_id: out.request_id,
                recipients: out.recipients.len(),
                ciphertext_bytes: out.ciphertext.len() as u64,
                delivery_queued: queued,
                no_contact,
            }),
            payload: Some(payload),
        })
    }
}
