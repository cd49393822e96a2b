//! Re-execution of a sample of paid jobs by the attestors (ADR 007, decision 6).
//!
//! Every attestor of an `[attestor]` relayer reads the inference attestations the chain accepts
//! and re-runs those it samples: a job is sampled when `sha256(domain || seed || job id)` falls
//! under the rate, the seed being derived from the attestor's own secret key. The node cannot
//! tell which of its jobs any attestor will check, and the attestors check independent samples
//! (with `a` attestors at rate `s`, a job escapes all of them with probability `(1 − s)^a`).
//!
//! A re-run's outputs are compared with the quantized outputs the node signed in its payload
//! (`bithive_formulas::quantized`). When they disagree, the attestor signs a
//! [`ReexecutionVerdict`] and publishes it on its endpoint (`GET /reexec/<chain>`). The other
//! members read it there and re-run that job too, whether or not they sampled it. Once more
//! than half of the members other than the node signed disagreeing verdicts, any of them
//! submits staking's `SubmitReexecution`. Staking checks every signature and the disagreement
//! itself, slashes `fraud_slash` of the node's pledge, and rewards forfeits the node's weight of
//! the epoch. A job whose re-run agrees is recorded and never published.
//!
//! The core (sampling, verdicts, the majority) is here, without I/O; [`Reexecutor`] drives it.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bithive_chain_client::ChainClient;
use bithive_formulas::quantized::{agrees, MAX_VALUES};
use bithive_interface::attestation::{Accepted, InferencePayload, QueryMsg as AttestationQuery};
use bithive_interface::staking::{ExecuteMsg as StakingMsg, ReexecutionVerdict};
use bithive_signed_attestation::signing::{k256_verify, public_key, sign_reexecution};
use bithive_signed_attestation::{
    reexecution_digest, AttestationKind, Hash32, PubKey33, SignedAttestation,
};
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::RelayerError;
use crate::store::Store;

/// Domain of an attestor's sampling seed (derived from its secret key).
const SAMPLE_SEED_DOMAIN: &[u8] = b"BITHIVE/REEXEC-SEED/v1";
/// Domain of one job's sampling draw.
const SAMPLE_DOMAIN: &[u8] = b"BITHIVE/REEXEC-SAMPLE/v1";
/// Path prefix of an attestor's published verdicts.
pub const REEXEC_PATH: &str = "/reexec/";
/// Verdicts an attestor serves at most (its latest open ones): 64 of at most 1,024 values each
/// stay well under what a member reads of another ([`crate::reporter::MAX_EXCHANGE_BYTES`]).
pub const MAX_PUBLISHED: usize = 64;
/// Tries of a job whose re-run failed for a reason worth another try, before it counts as not
/// re-executable.
pub const MAX_RETRIES: u32 = 5;

/// A job id as the chain's job keys accept it (1 to 128 bytes): anything else a member
/// publishes is not a job of this chain.
pub fn valid_job_id(job_id: &str) -> bool {
    (1..=128).contains(&job_id.len())
}
/// Blocks read per step (a relayer starting far behind catches up over several steps).
pub const MAX_BLOCKS_PER_STEP: u64 = 500;
/// Jobs another member's verdicts can make this attestor re-run per step: a member cannot
/// make the others burn their CPU without bound.
pub const MAX_SUSPECTS_PER_MEMBER: usize = 8;

/// The attestor's sampling seed: a one-way function of its secret key.
pub fn sample_seed(secret: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(SAMPLE_SEED_DOMAIN)
        .chain_update(secret)
        .finalize()
        .into()
}

/// Whether the attestor seeded with `seed` re-runs `job_id` at `rate` (in [0, 1]).
pub fn sampled(seed: &[u8; 32], job_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    let d: [u8; 32] = Sha256::new()
        .chain_update(SAMPLE_DOMAIN)
        .chain_update(seed)
        .chain_update(job_id.as_bytes())
        .finalize()
        .into();
    let draw = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    (draw as f64) < rate.max(0.0) * (u64::MAX as f64)
}

/// The probability that a node cheating on a fraction `g` of its `n` jobs in an epoch escapes
/// `attestors` independent samplers at rate `s` each: `(1 − g·(1 − (1 − s)^a))^n`.
pub fn escape_probability(s: f64, attestors: u32, g: f64, n: u32) -> f64 {
    let caught_per_job = 1.0 - (1.0 - s).powi(attestors as i32);
    (1.0 - g * caught_per_job).powi(n as i32)
}

/// One disagreeing verdict as an attestor publishes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishedVerdict {
    /// The escrow job.
    pub job_id: String,
    /// The node that attested it.
    pub node: String,
    /// The attestation's job key (hex): what the verdict is signed over.
    pub job_key: String,
    pub verdict: ReexecutionVerdict,
}

/// What one re-run found.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Agreed,
    /// Disagreed: this attestor's signed verdict.
    Disagreed(PublishedVerdict),
    /// The job cannot be checked here (no outputs signed, a model this attestor cannot run):
    /// counts neither way.
    Unverifiable(String),
}

/// Compares this attestor's re-run `outputs` of the node's attestation `signed` (with the
/// node's signed `node_outputs`), signing a verdict when they disagree.
pub fn judge(
    chain_id: &str,
    staking: &str,
    node: &str,
    signed: &SignedAttestation,
    node_outputs: &[u32],
    outputs: Vec<u32>,
    key: &SigningKey,
) -> Result<Outcome, RelayerError> {
    if node_outputs.is_empty() {
        return Ok(Outcome::Unverifiable("the node signed no outputs".into()));
    }
    if agrees(node_outputs, &outputs) {
        return Ok(Outcome::Agreed);
    }
    let job_key = signed.attestation.job_key().map_err(attestation_err)?;
    let signature =
        sign_reexecution(key, chain_id, staking, &job_key, &outputs).map_err(attestation_err)?;
    Ok(Outcome::Disagreed(PublishedVerdict {
        job_id: signed.attestation.job_id.clone(),
        node: node.to_string(),
        job_key: job_key.to_hex(),
        verdict: ReexecutionVerdict {
            key: public_key(key),
            outputs,
            signature,
        },
    }))
}

fn attestation_err(e: bithive_signed_attestation::AttestationError) -> RelayerError {
    RelayerError::Config(format!("re-execution verdict: {e}"))
}

/// Fewest verdicts a proof needs (staking's `MIN_VERDICTS`): one attestor never slashes alone.
pub const MIN_VERDICTS: usize = 2;

/// The verdicts among `candidates` that staking would count for the node's attestation, in the
/// order staking checks them: the first candidate (this attestor's own) is the reference every
/// other must agree with (re-runs that disagree with one another prove an irreproducible
/// result, not a cheat); each signed by a distinct member of `members` other than the node, over
/// this job key, disagreeing with `node_outputs`. `Some` once they are more than half of the
/// members other than the node, and at least [`MIN_VERDICTS`].
pub fn majority(
    chain_id: &str,
    staking: &str,
    job_key: &Hash32,
    node_key: &PubKey33,
    node_outputs: &[u32],
    members: &BTreeSet<PubKey33>,
    candidates: impl IntoIterator<Item = ReexecutionVerdict>,
) -> Option<Vec<ReexecutionVerdict>> {
    let mut out: Vec<ReexecutionVerdict> = Vec::new();
    let mut seen = BTreeSet::new();
    for v in candidates {
        // Cheap checks first, and each member's first entry only: a member repeating entries
        // with bad signatures costs one verification, not one per copy.
        if v.key == *node_key
            || !members.contains(&v.key)
            || !seen.insert(v.key)
            || v.outputs.is_empty()
            || v.outputs.len() > MAX_VALUES
            || agrees(node_outputs, &v.outputs)
            || out.first().is_some_and(|r| !agrees(&r.outputs, &v.outputs))
        {
            continue;
        }
        let Ok(d) = reexecution_digest(chain_id, staking, job_key, &v.outputs) else {
            continue;
        };
        if k256_verify(&d.0, &v.signature.0, &v.key.0) == Ok(true) {
            out.push(v);
        }
    }
    let others = members.iter().filter(|k| *k != node_key).count();
    (2 * out.len() > others && out.len() >= MIN_VERDICTS).then_some(out)
}

/// Why a re-run gave no outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RerunError {
    /// Something the re-run needs could not be reached (no chain endpoint answered, the engine
    /// was busy): tried again later without using an attempt.
    Unavailable(String),
    /// Worth another try, a limited number of times (the chain answered with an error).
    Retryable(String),
    /// Never checkable here: a model this attestor cannot run, an input whose result is not
    /// reproducible.
    Permanent(String),
}

/// Relative change of each tabular value in the conditioning check.
pub const PERTURBATION: f32 = 1e-6;

/// Re-runs a paid inference job as its node should have: the escrow's input through the model
/// the job paid for, the outputs in their canonical quantized form.
#[async_trait]
pub trait Rerun: Send + Sync {
    /// `node_model`: the sha256 of the file the node says it ran (its payload's).
    async fn rerun(
        &self,
        client: &ChainClient,
        escrow: &str,
        job_id: &str,
        node_model: Option<&str>,
    ) -> Result<Vec<u32>, RerunError>;
}

#[cfg(feature = "inference")]
#[async_trait]
impl Rerun for crate::inference_worker::InferenceWorker {
    /// A tabular row is run twice, the second time with every value moved by [`PERTURBATION`]
    /// (relative): when that moves the outputs beyond the tolerance, the row is ill-conditioned
    /// (say, huge values whose terms cancel), its result depends on each machine's rounding, and
    /// no verdict on it would be fair to an honest node on other hardware.
    async fn rerun(
        &self,
        client: &ChainClient,
        escrow: &str,
        job_id: &str,
        node_model: Option<&str>,
    ) -> Result<Vec<u32>, RerunError> {
        use bithive_inference::JobInput;
        let job = crate::store::NewJob {
            chain_id: client.chain_id().to_string(),
            contract: escrow.to_string(),
            kind: "inference".into(),
            job_id: job_id.to_string(),
            height: 0,
            attributes: vec![],
        };
        let err = |e: crate::worker::WorkError| match e {
            crate::worker::WorkError::Unavailable(m) => RerunError::Unavailable(m),
            crate::worker::WorkError::Retryable(m) => RerunError::Retryable(m),
            crate::worker::WorkError::Permanent(m) => RerunError::Permanent(m),
        };
        // A registered model fixes the file (its sha256). A bare model name does not: such a
        // job is re-run only with the file the node says it ran (a node serving another file
        // of that name is not cheating; such a job earns no compute-pool units anyway).
        if crate::inference_worker::registered_model(client, &job)
            .await
            .map_err(err)?
            .is_none()
        {
            let (model, _, _) = crate::worker::fetch_escrow_job(client, &job)
                .await
                .map_err(err)?;
            let ours = self.served_sha256(&model);
            if ours.is_none()
                || ours.as_deref() != node_model.map(str::to_ascii_lowercase).as_deref()
            {
                return Err(RerunError::Permanent(format!(
                    "unregistered model {model}: this attestor serves another file ({ours:?}) \
                     than the node ran ({node_model:?})"
                )));
            }
        }
        let mut tabular = false;
        let (r, _) = self
            .infer(&job, client, |i| {
                tabular = matches!(i, JobInput::Tabular(_));
                i
            })
            .await
            .map_err(err)?;
        let outputs = bithive_formulas::quantized::quantize(&r.probabilities);
        if tabular {
            let nudge = |i| match i {
                JobInput::Tabular(v) => {
                    JobInput::Tabular(v.iter().map(|x| x + x.abs() * PERTURBATION).collect())
                }
                other => other,
            };
            let (p, _) = self.infer(&job, client, nudge).await.map_err(err)?;
            if !agrees(
                &outputs,
                &bithive_formulas::quantized::quantize(&p.probabilities),
            ) {
                return Err(RerunError::Permanent(
                    "ill-conditioned input: a 10^-6 change of its values moves the outputs \
                     beyond the tolerance"
                        .into(),
                ));
            }
        }
        Ok(outputs)
    }
}

/// An inference attestation accepted on chain, as the scan finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedJob {
    pub job_id: String,
    pub node: String,
}

/// The contracts one re-executor works with.
pub struct ReexecutorConfig {
    pub staking: String,
    pub attestation: String,
    pub escrow: String,
    /// Share of the jobs this attestor samples, in [0, 1].
    pub rate: f64,
    /// Per fetch from another attestor.
    pub timeout: Duration,
}

/// What one [`Reexecutor::step`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepOutcome {
    pub scanned_to: Option<u64>,
    pub rerun: u32,
    pub agreed: u32,
    pub disagreed: u32,
    pub unverifiable: u32,
    /// Jobs whose fraud proof this attestor submitted (or found submitted).
    pub proven: Vec<String>,
}

/// One attestor's re-execution of one chain's paid jobs.
pub struct Reexecutor {
    cfg: ReexecutorConfig,
    key: SigningKey,
    seed: [u8; 32],
    runner: Arc<dyn Rerun>,
    published: Arc<crate::reporter::Published>,
    /// Locked only between awaits (the connection is not `Sync`).
    store: Mutex<Store>,
}

impl Reexecutor {
    pub fn new(
        cfg: ReexecutorConfig,
        key: SigningKey,
        runner: Arc<dyn Rerun>,
        published: Arc<crate::reporter::Published>,
        store: Store,
    ) -> Reexecutor {
        let mut secret: [u8; 32] = key.to_bytes().into();
        let seed = sample_seed(&secret);
        zeroize::Zeroize::zeroize(&mut secret);
        Reexecutor {
            cfg,
            key,
            seed,
            runner,
            published,
            store: Mutex::new(store),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The inference attestations accepted here (dispatched to this chain's escrow) in blocks
    /// `from..=to`.
    async fn scan(
        &self,
        client: &ChainClient,
        from: u64,
        to: u64,
    ) -> Result<Vec<AcceptedJob>, RelayerError> {
        use bithive_interface::attestation::events as ev;
        let mut out = Vec::new();
        for h in from..=to {
            let block = client.rpc().block_results(h).await?;
            for tx in block.txs.iter().filter(|t| t.code == 0) {
                for e in tx
                    .events
                    .iter()
                    .filter(|e| e.kind == bithive_interface::WASM_EVENT)
                {
                    let is = |k: &str, v: &str| e.attr(k) == Some(v);
                    if is(bithive_interface::CONTRACT_ADDRESS, &self.cfg.attestation)
                        && is(ev::ACTION, ev::ACCEPT)
                        && is(ev::attr::KIND, "inference")
                        && is(ev::attr::ROUTE, "local")
                    {
                        if let (Some(job_id), Some(node)) =
                            (e.attr(ev::attr::JOB_ID), e.attr(ev::attr::NODE))
                        {
                            out.push(AcceptedJob {
                                job_id: job_id.to_string(),
                                node: node.to_string(),
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The accepted attestation of escrow job `job_id`, its payload and the node's outputs.
    async fn accepted(
        &self,
        client: &ChainClient,
        job_id: &str,
    ) -> Result<Option<(Accepted, InferencePayload)>, RelayerError> {
        let a: Option<Accepted> = client
            .query_typed(
                &self.cfg.attestation,
                &AttestationQuery::Attestation {
                    job_id: job_id.to_string(),
                    kind: AttestationKind::Inference,
                    contract: Some(self.cfg.escrow.clone()),
                    chain_id: None,
                },
            )
            .await?;
        let Some(a) = a else { return Ok(None) };
        let payload = a
            .payload
            .as_ref()
            .and_then(|p| serde_json::from_slice::<InferencePayload>(p).ok());
        Ok(payload.map(|p| (a, p)))
    }

    /// Re-runs `job` and records what it found. Nothing is recorded when there is nothing to
    /// judge yet (no accepted attestation: a member may name a job before the node attests it,
    /// and recording that would shield the job from every later sample), and a failure worth
    /// another try is recorded as a retry, tried again in later steps.
    async fn check(&self, client: &ChainClient, job: &AcceptedJob, out: &mut StepOutcome) {
        let chain = client.chain_id().to_string();
        let (outcome, node) = match self.judge_job(client, job, out).await {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(RerunError::Unavailable(why)) => {
                tracing::info!(%chain, job = %job.job_id, %why, "re-execution: unavailable, will try again");
                if let Err(e) = self
                    .store()
                    .defer_reexecution(&chain, &job.job_id, &job.node)
                {
                    tracing::warn!(%chain, error = %e, "re-execution store");
                }
                return;
            }
            Err(RerunError::Retryable(why)) => {
                tracing::info!(%chain, job = %job.job_id, %why, "re-execution: will try again");
                if let Err(e) = self
                    .store()
                    .retry_reexecution(&chain, &job.job_id, &job.node)
                {
                    tracing::warn!(%chain, error = %e, "re-execution store");
                }
                return;
            }
            Err(RerunError::Permanent(why)) => (Outcome::Unverifiable(why), job.node.clone()),
        };
        let job = AcceptedJob {
            job_id: job.job_id.clone(),
            node,
        };
        if let Err(e) = self.record(&chain, &job, outcome, out) {
            tracing::warn!(%chain, job = %job.job_id, error = %e, "re-execution store");
        }
    }

    /// What this attestor finds of `job`, and the node the chain says attested it (never the
    /// one a member published): `None` while it has no accepted attestation here.
    async fn judge_job(
        &self,
        client: &ChainClient,
        job: &AcceptedJob,
        out: &mut StepOutcome,
    ) -> Result<Option<(Outcome, String)>, RerunError> {
        let found = self.accepted(client, &job.job_id).await.map_err(|e| {
            if matches!(&e, RelayerError::Chain(c) if c.is_transport()) {
                RerunError::Unavailable(e.to_string())
            } else {
                RerunError::Retryable(e.to_string())
            }
        })?;
        let Some((acc, payload)) = found else {
            return Ok(None);
        };
        let node_outputs = payload.outputs.unwrap_or_default();
        let Some(node) = acc.node.clone() else {
            return Ok(None);
        };
        let bithive_interface::attestation::StoredProof::Single { signature } = acc.proof else {
            return Err(RerunError::Permanent(
                "not a single node's attestation".into(),
            ));
        };
        if node_outputs.is_empty() {
            return Err(RerunError::Permanent("the node signed no outputs".into()));
        }
        let signed = SignedAttestation {
            attestation: acc.attestation,
            signature,
        };
        out.rerun += 1;
        let mine = self
            .runner
            .rerun(
                client,
                &self.cfg.escrow,
                &job.job_id,
                payload.model_sha256.as_deref(),
            )
            .await?;
        let chain = client.chain_id();
        judge(
            chain,
            &self.cfg.staking,
            &node,
            &signed,
            &node_outputs,
            mine,
            &self.key,
        )
        .map(|o| Some((o, node)))
        .map_err(|e| RerunError::Permanent(e.to_string()))
    }

    fn record(
        &self,
        chain: &str,
        job: &AcceptedJob,
        outcome: Outcome,
        out: &mut StepOutcome,
    ) -> Result<(), RelayerError> {
        match &outcome {
            Outcome::Agreed => out.agreed += 1,
            Outcome::Disagreed(_) => {
                tracing::warn!(%chain, job = %job.job_id, node = %job.node,
                    "re-execution disagrees with the node's signed outputs: verdict published");
                out.disagreed += 1;
            }
            Outcome::Unverifiable(why) => {
                tracing::info!(%chain, job = %job.job_id, node = %job.node, %why,
                    "job not re-executable here");
                out.unverifiable += 1;
            }
        }
        self.store()
            .record_reexecution(chain, &job.job_id, &job.node, &outcome)
    }

    /// One round: publishes this attestor's open verdicts, reads the members' and proves every
    /// job a majority found wrong, re-runs the jobs other members found wrong, then the retries,
    /// then the blocks since the last round (what it samples). A failing job is logged and
    /// skipped, never holding back the others; only a failing chain (no member list, no block)
    /// ends the round early, and the next one starts where it stopped.
    pub async fn step(&self, client: &ChainClient) -> Result<StepOutcome, RelayerError> {
        let chain = client.chain_id().to_string();
        let mut out = StepOutcome::default();
        // Read once: what this attestor publishes is what it proves this round.
        let open = self.store().open_disagreements(&chain, MAX_PUBLISHED)?;
        self.published.set_verdicts(&chain, open.clone());
        let members = crate::attestor::attestor_members(client, &self.cfg.staking).await?;
        let keys: BTreeSet<PubKey33> = members.iter().map(|m| m.operator_key).collect();
        let me = public_key(&self.key);
        let mut theirs: BTreeMap<String, Vec<PublishedVerdict>> = BTreeMap::new();
        for m in members.iter().filter(|m| m.operator_key != me) {
            let Some(endpoint) = m.endpoint.as_deref() else {
                continue;
            };
            let list = self.fetch(endpoint, &chain).await.unwrap_or_default();
            // A member serves its own verdicts, at most MAX_PUBLISHED of them.
            for p in list
                .into_iter()
                .filter(|p| p.verdict.key == m.operator_key)
                .take(MAX_PUBLISHED)
            {
                theirs.entry(p.job_id.clone()).or_default().push(p);
            }
        }
        for v in open {
            let others = theirs.get(&v.job_id).cloned().unwrap_or_default();
            match self.prove(client, &chain, &keys, &v, others).await {
                Ok(Some(job)) => out.proven.push(job),
                Ok(None) => {}
                Err(e) => tracing::warn!(%chain, job = %v.job_id, error = %e, "fraud proof"),
            }
        }
        // Jobs other members found wrong: each re-run is charged to one member that published
        // the job, at most MAX_SUSPECTS_PER_MEMBER per member, so a member naming junk uses up
        // its own allowance only, never another's. The node is the chain's, never a member's
        // word.
        let mut per_member: BTreeMap<PubKey33, usize> = BTreeMap::new();
        for (job_id, list) in &theirs {
            let done = self.store().reexecuted(&chain, job_id)?;
            if done || !valid_job_id(job_id) {
                continue;
            }
            let Some(by) = list
                .iter()
                .map(|p| p.verdict.key)
                .find(|k| per_member.get(k).copied().unwrap_or(0) < MAX_SUSPECTS_PER_MEMBER)
            else {
                continue;
            };
            *per_member.entry(by).or_default() += 1;
            let job = AcceptedJob {
                job_id: job_id.clone(),
                node: list[0].node.clone(),
            };
            self.check(client, &job, &mut out).await;
        }
        let retries = self.store().reexecution_retries(&chain, MAX_RETRIES)?;
        for job in retries {
            self.check(client, &job, &mut out).await;
        }
        let latest = client.rpc().latest_height().await?;
        // A new attestor starts at the chain's head: it samples from when it joins.
        let from = match self.store().reexecution_cursor(&chain)? {
            Some(h) => h + 1,
            None => latest,
        };
        if from <= latest {
            let to = latest.min(from + MAX_BLOCKS_PER_STEP - 1);
            for job in self.scan(client, from, to).await? {
                let sampled = sampled(&self.seed, &job.job_id, self.cfg.rate);
                let done = self.store().reexecuted(&chain, &job.job_id)?;
                if sampled && !done {
                    self.check(client, &job, &mut out).await;
                }
            }
            self.store().set_reexecution_cursor(&chain, to)?;
            out.scanned_to = Some(to);
        }
        Ok(out)
    }

    /// Submits the fraud proof of this attestor's verdict `v` once a majority signed.
    async fn prove(
        &self,
        client: &ChainClient,
        chain: &str,
        members: &BTreeSet<PubKey33>,
        v: &PublishedVerdict,
        theirs: Vec<PublishedVerdict>,
    ) -> Result<Option<String>, RelayerError> {
        let Some((acc, payload)) = self.accepted(client, &v.job_id).await? else {
            return Ok(None);
        };
        let node_outputs = payload.outputs.unwrap_or_default();
        let bithive_interface::attestation::StoredProof::Single { signature } = acc.proof else {
            return Ok(None);
        };
        let Some(payload) = acc.payload else {
            return Ok(None);
        };
        let signed = SignedAttestation {
            attestation: acc.attestation,
            signature,
        };
        let job_key = signed.attestation.job_key().map_err(attestation_err)?;
        // Only verdicts about this very attestation (a member's verdict on another node's
        // attestation of a job with the same id does not count).
        let candidates = std::iter::once(v.verdict.clone()).chain(
            theirs
                .into_iter()
                .filter(|p| p.job_key == v.job_key)
                .map(|p| p.verdict),
        );
        let Some(verdicts) = majority(
            chain,
            &self.cfg.staking,
            &job_key,
            &signed.attestation.signer,
            &node_outputs,
            members,
            candidates,
        ) else {
            return Ok(None);
        };
        let msg = StakingMsg::SubmitReexecution {
            attestation: Box::new(signed),
            payload,
            verdicts,
        };
        let r = client
            .execute_batch(&[(self.cfg.staking.clone(), msg)])
            .await;
        match r {
            Ok(_) => {
                tracing::warn!(%chain, job = %v.job_id, node = %v.node,
                    "fraud proven by re-execution: the node is slashed and loses the epoch");
            }
            // Another member submitted it first, or the node was proven to equivocate on it.
            Err(e) if e.to_string().contains("already used") => {}
            Err(e) => {
                tracing::warn!(%chain, job = %v.job_id, error = %e, "fraud proof refused");
                return Ok(None);
            }
        }
        self.store().mark_reexecution_proven(chain, &v.job_id)?;
        Ok(Some(v.job_id.clone()))
    }

    /// Steps every `tick` until `stop` turns true.
    pub async fn run(
        self,
        client: Arc<ChainClient>,
        tick: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), RelayerError> {
        let chain = client.chain_id().to_string();
        tracing::info!(%chain, rate = self.cfg.rate, "attestor re-execution started");
        loop {
            match self.step(&client).await {
                Ok(o) if o.rerun == 0 && o.proven.is_empty() => {}
                Ok(o) => tracing::info!(%chain, rerun = o.rerun, agreed = o.agreed,
                    disagreed = o.disagreed, unverifiable = o.unverifiable,
                    proven = ?o.proven, "re-execution round"),
                Err(e) => tracing::warn!(%chain, error = %e, "re-execution round"),
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }

    async fn fetch(&self, endpoint: &str, chain: &str) -> Option<Vec<PublishedVerdict>> {
        let path = format!("{REEXEC_PATH}{chain}");
        let got = crate::attestor::get_json(
            endpoint,
            &path,
            crate::reporter::MAX_EXCHANGE_BYTES,
            self.cfg.timeout,
        )
        .await;
        match got {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!(%endpoint, %path, error = %e, "re-execution exchange");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_signed_attestation::signing::{sign, signing_key};
    use bithive_signed_attestation::Attestation;

    #[test]
    fn sampling_is_about_the_rate_and_differs_per_attestor() {
        let (a, b) = (sample_seed(&[1; 32]), sample_seed(&[2; 32]));
        let jobs: Vec<String> = (0..10_000).map(|i| format!("payer/job-{i}")).collect();
        let count = |seed: &[u8; 32]| jobs.iter().filter(|j| sampled(seed, j, 0.05)).count();
        let (na, nb) = (count(&a), count(&b));
        assert!((400..600).contains(&na), "{na}");
        assert!((400..600).contains(&nb), "{nb}");
        let both = jobs
            .iter()
            .filter(|j| sampled(&a, j, 0.05) && sampled(&b, j, 0.05))
            .count();
        assert!(both < 60, "independent samples overlap about s^2: {both}");
        assert!(jobs.iter().all(|j| sampled(&a, j, 1.0)));
        assert!(!jobs.iter().any(|j| sampled(&a, j, 0.0)));
    }

    #[test]
    fn escape_probabilities() {
        // One sampler at 5 %: the ADR's table.
        let p = |g, n| escape_probability(0.05, 1, g, n);
        assert!((p(0.01, 100) - 0.951).abs() < 0.001);
        assert!((p(0.20, 100) - 0.366).abs() < 0.001);
        assert!(p(0.20, 1_000) < 1e-4);
        // Three independent samplers catch more.
        assert!(escape_probability(0.05, 3, 0.05, 100) < p(0.05, 100));
    }

    fn node_attestation(node: &SigningKey) -> SignedAttestation {
        let a = Attestation {
            chain_id: "c-1".into(),
            contract: "escrow".into(),
            job_id: "payer/1".into(),
            kind: AttestationKind::Inference,
            result_hash: Hash32([7; 32]),
            commitments: vec![],
            issued_at: 1,
            nonce: 1,
            signer: public_key(node),
        };
        sign(a, node).unwrap()
    }

    #[test]
    fn a_majority_of_disagreeing_members_other_than_the_node() {
        let node = signing_key(&[9; 32]).unwrap();
        let attestors: Vec<SigningKey> =
            (1..=4u8).map(|i| signing_key(&[i; 32]).unwrap()).collect();
        let signed = node_attestation(&node);
        let node_outputs = vec![900_000, 100_000];
        let right = vec![100_000, 900_000];
        let mut members: BTreeSet<PubKey33> = attestors.iter().map(public_key).collect();
        members.insert(public_key(&node));
        let verdict = |k: &SigningKey, o: Vec<u32>| match judge(
            "c-1",
            "staking",
            "n",
            &signed,
            &node_outputs,
            o,
            k,
        )
        .unwrap()
        {
            Outcome::Disagreed(p) => p.verdict,
            other => panic!("{other:?}"),
        };
        // Agreeing within the tolerance: no verdict.
        assert_eq!(
            judge(
                "c-1",
                "staking",
                "n",
                &signed,
                &node_outputs,
                vec![900_004, 99_996],
                &attestors[0]
            )
            .unwrap(),
            Outcome::Agreed
        );
        let job_key = signed.attestation.job_key().unwrap();
        let m = |vs: Vec<ReexecutionVerdict>| {
            majority(
                "c-1",
                "staking",
                &job_key,
                &public_key(&node),
                &node_outputs,
                &members,
                vs,
            )
        };
        // 2 of the 4 others is no majority; the same one twice counts once; the node's own
        // verdict and an outsider's do not count; 3 of 4 is.
        let v: Vec<_> = attestors
            .iter()
            .map(|k| verdict(k, right.clone()))
            .collect();
        assert!(m(v[..2].to_vec()).is_none());
        assert!(m(vec![v[0].clone(), v[0].clone(), v[1].clone()]).is_none());
        let outsider = verdict(&signing_key(&[42; 32]).unwrap(), right.clone());
        let own = verdict(&node, right.clone());
        assert!(m(vec![v[0].clone(), v[1].clone(), outsider, own]).is_none());
        assert_eq!(m(v[..3].to_vec()).map(|x| x.len()), Some(3));
        // A signature over other outputs than the verdict carries does not count.
        let mut forged = v[2].clone();
        forged.outputs = vec![100_004, 899_996];
        assert!(m(vec![v[0].clone(), v[1].clone(), forged]).is_none());
        // Re-runs that disagree with the first (this attestor's own) do not count: an
        // irreproducible result is no proof.
        let elsewhere = verdict(&attestors[2], vec![500_000, 500_000]);
        assert!(m(vec![v[0].clone(), v[1].clone(), elsewhere]).is_none());
        // Nothing to judge against empty signed outputs.
        assert!(matches!(
            judge(
                "c-1",
                "staking",
                "n",
                &signed,
                &[],
                right.clone(),
                &attestors[0]
            )
            .unwrap(),
            Outcome::Unverifiable(_)
        ));
    }
}
