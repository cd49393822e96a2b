//! Rust stand-ins of the payfi-escrow job API and the attestation contract for the mock chain
//! (tests and the bench), plus [`DigestWorker`], a deterministic worker without an engine.
//! They implement the agreed message shapes: escrow `create_job {job_id, model, input}` with a
//! `wasm` event (`action=create_job`, `job_id`, `model`, `input_hash`) and query `job`;
//! attestation `submit {attestation, signature}` accepted once per (signer, nonce) and once per
//! (contract, job_id, kind), query `attestation {job_id, kind, contract, chain_id}`.
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use bithive_chain_client::mock::{ExecCtx, MockContract};
use bithive_chain_client::{ChainClient, Event};
use bithive_signed_attestation::{signing, SignedAttestation};
use sha2::{Digest, Sha256};

use crate::config::JobKind;
use crate::store::NewJob;
use crate::worker::{self, JobWorker, WorkError, WorkOutput};

#[derive(Clone, Default)]
pub struct MockEscrow {
    jobs: BTreeMap<String, (String, Vec<u8>)>,
}

impl MockContract for MockEscrow {
    fn execute(&mut self, _ctx: &ExecCtx, msg: &[u8]) -> Result<Vec<Event>, String> {
        let v: serde_json::Value = serde_json::from_slice(msg).map_err(|e| e.to_string())?;
        let c = v.get("create_job").ok_or("unknown message")?;
        let job_id = c["job_id"].as_str().ok_or("job_id")?.to_string();
        let model = c["model"].as_str().ok_or("model")?.to_string();
        let input = base64::engine::general_purpose::STANDARD
            .decode(c["input"].as_str().ok_or("input")?)
            .map_err(|e| e.to_string())?;
        if self.jobs.contains_key(&job_id) {
            return Err(format!("job {job_id} exists"));
        }
        let input_hash = hex::encode(Sha256::digest(&input));
        self.jobs.insert(job_id.clone(), (model.clone(), input));
        let mut attributes = vec![
            ("action".into(), "create_job".into()),
            ("job_id".into(), job_id),
            ("model".into(), model),
            ("input_hash".into(), input_hash),
        ];
        if let Some(node) = c["node"].as_str() {
            attributes.push(("node".into(), node.to_string()));
        }
        Ok(vec![Event {
            kind: "wasm".into(),
            attributes,
        }])
    }
    fn query(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let v: serde_json::Value = serde_json::from_slice(msg).map_err(|e| e.to_string())?;
        // An escrow without a model registry: no job has a registered-model snapshot.
        if v.get("job_model").is_some() {
            return Ok(b"null".to_vec());
        }
        let id = v["job"]["job_id"].as_str().ok_or("unknown query")?;
        let (model, input) = self.jobs.get(id).ok_or("job not found")?;
        Ok(serde_json::json!({
            "job_id": id,
            "model": model,
            "input": base64::engine::general_purpose::STANDARD.encode(input),
        })
        .to_string()
        .into_bytes())
    }
    fn box_clone(&self) -> Box<dyn MockContract> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The `create_job` message a chain user sends.
pub fn create_job_msg(job_id: &str, model: &str, input: &[u8]) -> serde_json::Value {
    create_job_msg_for(job_id, model, input, None)
}

/// The same, bound to `node` (the only node the escrow pays).
pub fn create_job_msg_for(
    job_id: &str,
    model: &str,
    input: &[u8],
    node: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({ "create_job": {
        "job_id": job_id,
        "model": model,
        "input": base64::engine::general_purpose::STANDARD.encode(input),
        "node": node,
    }})
}

#[derive(Clone)]
pub struct MockAttestation {
    chain_id: String,
    /// Accepted attestations by (contract, job_id, kind).
    pub accepted: BTreeMap<(String, String, String), SignedAttestation>,
    used_nonces: HashSet<(String, u64)>,
    /// Rejected duplicate submissions; shared so a reverted tx still counts.
    pub duplicates: Arc<AtomicU64>,
}

impl MockAttestation {
    pub fn new(chain_id: &str) -> Self {
        MockAttestation {
            chain_id: chain_id.into(),
            accepted: BTreeMap::new(),
            used_nonces: HashSet::new(),
            duplicates: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl MockContract for MockAttestation {
    fn execute(&mut self, _ctx: &ExecCtx, msg: &[u8]) -> Result<Vec<Event>, String> {
        let v: serde_json::Value = serde_json::from_slice(msg).map_err(|e| e.to_string())?;
        let signed: SignedAttestation =
            serde_json::from_value(v.get("submit").cloned().ok_or("unknown message")?)
                .map_err(|e| e.to_string())?;
        let a = &signed.attestation;
        if a.chain_id != self.chain_id {
            return Err("wrong chain id".into());
        }
        signing::verify(&signed).map_err(|e| e.to_string())?;
        let kind = serde_json::to_value(a.kind).map_err(|e| e.to_string())?;
        let key = (
            a.contract.clone(),
            a.job_id.clone(),
            kind.as_str().unwrap_or("").to_string(),
        );
        let nonce = (a.signer.to_hex(), a.nonce);
        if self.accepted.contains_key(&key) || self.used_nonces.contains(&nonce) {
            self.duplicates.fetch_add(1, Ordering::SeqCst);
            return Err(format!("attestation for job {} already accepted", a.job_id));
        }
        self.used_nonces.insert(nonce);
        self.accepted.insert(key, signed.clone());
        Ok(vec![Event {
            kind: "wasm-attestation_accepted".into(),
            attributes: vec![
                ("job_id".into(), signed.attestation.job_id.clone()),
                (
                    "result_hash".into(),
                    signed.attestation.result_hash.to_hex(),
                ),
            ],
        }])
    }
    fn query(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let v: serde_json::Value = serde_json::from_slice(msg).map_err(|e| e.to_string())?;
        let q = v.get("attestation").ok_or("unknown query")?;
        let key = (
            q["contract"].as_str().unwrap_or_default().to_string(),
            q["job_id"].as_str().unwrap_or_default().to_string(),
            q["kind"].as_str().unwrap_or_default().to_string(),
        );
        serde_json::to_vec(&self.accepted.get(&key)).map_err(|e| e.to_string())
    }
    fn box_clone(&self) -> Box<dyn MockContract> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A deterministic "inference" worker without an engine (tests and benches):
/// result = sha256(model || 0 || input), commitments = [sha256(input)].
pub struct DigestWorker;

#[async_trait]
impl JobWorker for DigestWorker {
    fn job_kind(&self) -> JobKind {
        JobKind::Inference
    }
    fn job_id_of(&self, event: &Event) -> Option<String> {
        worker::inference_job_id(event)
    }
    async fn run(&self, job: &NewJob, chain: &ChainClient) -> Result<WorkOutput, WorkError> {
        let (model, input, input_hash) = worker::fetch_escrow_job(chain, job).await?;
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0]);
        h.update(&input);
        Ok(WorkOutput {
            result_hash: h.finalize().into(),
            commitments: vec![input_hash],
            summary: Some(crate::worker::WorkSummary::Model { model }),
            payload: None,
        })
    }
}
