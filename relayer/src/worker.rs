//! Job workers: one implementation per job kind. A worker turns a job found on chain into the
//! result an attestation states (result hash + commitments). Workers must be deterministic for
//! a given job: after a crash in `working` the job is run again.
use async_trait::async_trait;
use bithive_chain_client::ChainClient;
use bithive_deploy_plan::Role;
use bithive_interface::payfi_escrow::{events as escrow_events, QueryMsg as EscrowQuery};
use bithive_interface::{ACTION, WASM_EVENT};
use bithive_signed_attestation::AttestationKind;

use crate::config::JobKind;
use crate::store::NewJob;

/// What a worker hands to the attester.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorkOutput {
    pub result_hash: [u8; 32],
    /// E.g. the input hash (inference), the recipient mask and ciphertext hashes (matching).
    pub commitments: Vec<[u8; 32]>,
    /// Human-readable summary kept in the work queue (label, score, ...).
    #[serde(default)]
    pub summary: Option<WorkSummary>,
    /// Consumer payload submitted with the attestation (JSON bytes; a worker binds it by
    /// putting its `payload_hash` among the commitments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Vec<u8>>,
}

/// What the work queue records about a finished job, for operators (never sent on chain).
/// Untagged so records written before it was typed still read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum WorkSummary {
    Inference {
        model: String,
        label: String,
        tscore: String,
        execution_provider: String,
    },
    Matching {
        request_id: u64,
        recipients: u64,
        ciphertext_bytes: u64,
        delivery_queued: u64,
        no_contact: u64,
    },
    /// A job answered from its model name alone (the test chain's stand-in worker).
    Model { model: String },
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// Something the job needs could not be reached (no chain endpoint answered, the engine's
    /// queue is full or it is stopping): nothing is known to be wrong with the job, so it is
    /// tried again without using one of its attempts (a ten-second chain outage used to fail
    /// every job received just before it).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Worth retrying later, a limited number of times (a content file not there yet, a query
    /// the chain answered with an error, an engine failure).
    #[error("retryable: {0}")]
    Retryable(String),
    /// The job can never succeed (bad input, unknown model): the job is marked failed.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl WorkError {
    /// A failed chain query: `Unavailable` when no endpoint answered, `Retryable` when one did
    /// with an error.
    pub fn chain(what: &str, e: bithive_chain_client::ChainError) -> Self {
        let message = format!("{what}: {e}");
        if e.is_transport() {
            WorkError::Unavailable(message)
        } else {
            WorkError::Retryable(message)
        }
    }
}

#[async_trait]
pub trait JobWorker: Send + Sync {
    /// The kind of job this worker serves.
    fn job_kind(&self) -> JobKind;
    /// Job kind name, as in the config (`inference`).
    fn kind(&self) -> &'static str {
        match self.job_kind() {
            JobKind::Inference => "inference",
            JobKind::Matching => "matching",
        }
    }
    fn attestation_kind(&self) -> AttestationKind {
        match self.job_kind() {
            JobKind::Inference => AttestationKind::Inference,
            JobKind::Matching => AttestationKind::Matching,
        }
    }
    /// Contract role whose events carry this kind's jobs: every kind's are the escrow's.
    fn source_role(&self) -> Role {
        Role::PayfiEscrow
    }
    /// Whether a `wasm` event of the source contract creates a job of this kind; returns the
    /// job id.
    fn job_id_of(&self, event: &bithive_chain_client::Event) -> Option<String>;
    /// Contract role the attestation names, when it is not the source contract (matching
    /// attestations name the attestation contract itself).
    fn attestation_contract_role(&self) -> Option<Role> {
        None
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError>;
}

/// The escrow's compute-job event: `wasm` with `action = create_job` and `job_id` (plus `model`
/// and `input_hash` once payfi-escrow carries the inference request).
pub fn create_job_id(event: &bithive_chain_client::Event) -> Option<String> {
    if event.kind != WASM_EVENT || event.attr(ACTION) != Some(escrow_events::CREATE_JOB) {
        return None;
    }
    event.attr(escrow_events::attr::JOB_ID).map(str::to_string)
}

/// Whether a `create_job` event's job may pay `node`: the escrow pays only the node the job is
/// bound to (its `node` attribute; a job without one must be claimed first).
pub fn job_bound_to(event: &bithive_chain_client::Event, node: &str) -> bool {
    event.attr(escrow_events::attr::NODE) == Some(node)
}

/// An escrow job for an inference worker: every `create_job` except research requests (model
/// `MATCHING_MODEL`), which the matching worker serves.
pub fn inference_job_id(event: &bithive_chain_client::Event) -> Option<String> {
    if event.attr(escrow_events::attr::MODEL)
        == Some(bithive_interface::attestation::MATCHING_MODEL)
    {
        return None;
    }
    create_job_id(event)
}

/// The fields of the escrow's `Job` answer (`bithive_interface::payfi_escrow::Job`) the relayer
/// uses: a subset on purpose, so the relayer keeps reading jobs when the escrow adds fields.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct EscrowJob {
    pub job_id: String,
    pub model: String,
    pub input: cosmwasm_std::Binary,
}

/// Reads the job's request from the escrow and checks its input against the event's
/// `input_hash` (when the event has one). Returns (model, input bytes, sha256(input)).
pub async fn fetch_escrow_job(
    chain: &ChainClient,
    job: &NewJob,
) -> Result<(String, Vec<u8>, [u8; 32]), WorkError> {
    use sha2::Digest as _;
    let q = serde_json::to_value(EscrowQuery::Job {
        job_id: job.job_id.clone(),
    })
    .map_err(|e| WorkError::Permanent(format!("escrow job query: {e}")))?;
    let bytes = chain
        .query_smart(&job.contract, &q)
        .await
        .map_err(|e| WorkError::chain("escrow job query", e))?;
    let ej: EscrowJob = serde_json::from_slice(&bytes)
        .map_err(|e| WorkError::Permanent(format!("escrow job answer without model/input: {e}")))?;
    let input = ej.input.to_vec();
    let hash: [u8; 32] = sha2::Sha256::digest(&input).into();
    if let Some(expected) = job
        .attributes
        .iter()
        .find(|(k, _)| k == escrow_events::attr::INPUT_HASH)
        .map(|(_, v)| v)
    {
        if !expected.eq_ignore_ascii_case(&hex::encode(hash)) {
            return Err(WorkError::Permanent(format!(
                "input does not match the event's input_hash {expected}"
            )));
        }
    }
    Ok((ej.model, input, hash))
}

/// A deterministic "inference" worker without an engine (the relayer's tests and its bench):
/// result = sha256(model || 0 || input), commitments = [sha256(input)], read from the escrow's
/// job like any inference worker.
pub struct DigestWorker;

#[async_trait]
impl JobWorker for DigestWorker {
    fn job_kind(&self) -> JobKind {
        JobKind::Inference
    }
    fn job_id_of(&self, event: &bithive_chain_client::Event) -> Option<String> {
        inference_job_id(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        use sha2::{Digest, Sha256};
        let (model, input, input_hash) = fetch_escrow_job(chain, job).await?;
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0]);
        h.update(&input);
        Ok(WorkOutput {
            result_hash: h.finalize().into(),
            commitments: vec![input_hash],
            summary: Some(WorkSummary::Model { model }),
            payload: None,
        })
    }
}
