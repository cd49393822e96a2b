//! Steps 1 and 2 of the AIM story: the institute seals and publishes a model, the patient's
//! job on it is attested and settled, the attestors measure its accuracy, and the model is
//! re-keyed when the set of nodes allowed to run it changes.

use bithive_content_store::model::{open_model, ModelFiles};
use bithive_content_store::{Cid, ContentStore, LocalStore};
use bithive_dgkbe::RoaringBitmap;
use bithive_inference::manifest::Manifest;
use bithive_interface::attestation::{EvaluationPayload, ExecuteMsg as AttestationMsg};
use bithive_interface::model_registry::{
    self as registry, ModelResponse, PublishMsg, QueryMsg as RegistryQuery,
};
use bithive_interface::payfi_escrow::{
    CreateJobMsg, ExecuteMsg as EscrowMsg, ReceiveMsg as EscrowReceive,
};
use bithive_interface::rewards;
use bithive_relayer::cli::{EvaluateArgs, StartArgs, SubmitEvaluationArgs};
use bithive_relayer::evaluation;
use bithive_signed_attestation::{signing, Attestation};
use cosmwasm_std::{to_json_binary, Binary, Decimal, Timestamp, Uint128};
use sha2::{Digest, Sha256};
use std::time::Duration;

use super::*;
use crate::demo::platform::{
    ctx, cw20_balance, exec, exec_outcome, fail, query, write_serialized, DemoError, Platform, DAY,
};
use crate::model_keys::ModelKeys;

/// The patient's job on the published model, attested, waiting out its dispute window.
pub struct ModelJob {
    client_id: &'static str,
    institute_before: u128,
    node_before: u128,
}

/// The demo's inference engine configuration (the shipped models and ONNX Runtime).
pub(crate) fn inference_config(p: &Platform) -> Result<bithive_inference::EngineConfig, DemoError> {
    ctx!(
        bithive_inference::EngineConfig::load(&p.opts.inference_config),
        "inference config"
    )
}

/// The institute's copy of shipped model `name`: its manifest (parsed and as text) and ONNX.
fn model_files(p: &Platform, name: &str) -> Result<(Manifest, ModelFiles), DemoError> {
    let engine = inference_config(p)?;
    let entry = engine
        .models
        .iter()
        .find(|e| Manifest::load(&e.manifest).is_ok_and(|(m, _)| m.name == name))
        .ok_or_else(|| fail("model file")(&format!("{name} is not in the inference config")))?;
    crate::model::read_model_files(&entry.manifest)
        .map_err(|e| fail("model file")(&format!("{e:#}")))
}

/// Seals `files` of `name` to `set` and stores the sealed file; returns its content id and size.
async fn seal_and_store(
    keys: &ModelKeys,
    store: &LocalStore,
    name: &str,
    files: &ModelFiles,
    set: &RoaringBitmap,
) -> Result<(Cid, u64), DemoError> {
    let sealed = keys.seal(name, files, set)?;
    let cid = ctx!(store.put(&sealed).await, "store the sealed model")?;
    Ok((cid, sealed.len() as u64))
}

/// Step 1 and the start of 2: the institute seals the model to the nodes allowed to run it and
/// publishes it, the attestors evaluate it (accuracy and run cost, [`evaluate_model`]),
/// governance points the escrow at the registry, a job on an unregistered model is refused, a BTT
/// job on the model is attested by the relayer (which fetched the model by its content id and
/// opened it in memory).
pub async fn publish_and_order(
    p: &Platform,
    store: &LocalStore,
    keys: &ModelKeys,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<ModelJob, DemoError> {
    let c = &p.deployment.contracts;
    let (manifest, files) = model_files(p, MODEL)?;
    let onnx_sha256 = manifest.sha256.clone();
    let allowed = keys.allowed(p).await?;
    let (cid, size) = seal_and_store(keys, store, MODEL, &files, &allowed).await?;
    r.sealed_to = allowed.len();
    r.content_id = cid.to_string();
    // Version 1 of `name`, described by the shipped manifest and stored file, claiming `sha256`.
    let publish = |name: &str, sha256: String, content_id: &Cid, size_bytes: u64| {
        registry::ExecuteMsg::Publish(PublishMsg {
            name: name.into(),
            version: 1,
            specialty: manifest.specialty.clone(),
            input_spec: crate::model::input_spec(&manifest),
            output_spec: crate::model::output_spec(&manifest),
            onnx_sha256: sha256,
            content_id: content_id.to_string(),
            size_bytes,
            price: Uint128::new(MODEL_PRICE),
            licence: "Apache-2.0".into(),
        })
    };
    let published = exec_outcome(
        &p.institute,
        &c.model_registry,
        &publish(MODEL, onnx_sha256, &cid, size),
        "publish model",
    )
    .await?;
    r.model_id = published_model_id(&published, "publish model")?;
    // Measured before any job names it: a job snapshots the model's run cost at creation.
    evaluate_model(p, keys, r, progress).await?;
    let link = EscrowMsg::UpdateConfig {
        fee_bps: None,
        fee_collector: None,
        staking: None,
        job_dispute_seconds: None,
        model_registry: Some(c.model_registry.clone()),
        rewards: None,
    };
    p.govern(
        "the escrow uses the model registry",
        vec![(
            c.payfi_escrow.clone(),
            ctx!(serde_json::to_value(link), "proposal")?,
        )],
    )
    .await?;
    progress(&format!(
        "institute sealed {MODEL} to the {} node(s) allowed to run it (BGW: registered, compliant, bonded, never slashed) and published v1 (model {}, {size} B sealed, content id {}, {} per inference); escrow jobs must now name a registered model",
        allowed.len(),
        r.model_id,
        r.content_id,
        btt(MODEL_PRICE)
    ));

    // The patient buys BTT from the treasury and pays for a job on the model.
    exec(
        &p.gov,
        &c.btt,
        &cw20::Cw20ExecuteMsg::Transfer {
            recipient: p.patient.address().to_string(),
            amount: Uint128::new(10 * MODEL_JOB_DEPOSIT),
        },
        "patient buys BTT",
    )
    .await?;
    let now = ctx!(p.patient.rpc().latest_block_time().await, "block time")?;
    let job = |client_id: &str, model: &str| CreateJobMsg {
        job_id: client_id.into(),
        expires_at: Timestamp::from_seconds(now + DAY),
        model: model.into(),
        input: Binary::from(crate::demo::platform::DEMO_ROW.as_bytes()),
        node: Some(p.node.address().to_string()),
    };
    let send = |job: CreateJobMsg| paid_job(&c.payfi_escrow, job);
    r.unregistered_refused = expect_refused(
        &p.patient,
        &c.btt,
        &send(job("demo-unregistered-1", "no_such_model"))?,
        &[],
        "job on an unregistered model",
        "is not registered",
    )
    .await?;
    let institute_before = cw20_balance(&p.gov, &c.btt, p.institute.address()).await?;
    let node_before = cw20_balance(&p.gov, &c.btt, p.node.address()).await?;
    exec(
        &p.patient,
        &c.btt,
        &send(job("demo-model-job-1", MODEL))?,
        "job on the registered model",
    )
    .await?;
    let client_id = "demo-model-job-1";
    let accepted = p.wait_reported(client_id, Duration::from_secs(120)).await?;
    progress(&format!(
        "patient paid {} for job {client_id} on {MODEL}; the relayer fetched the model by its content id, opened it in memory and attested the result at height {}",
        btt(MODEL_JOB_DEPOSIT),
        accepted.height
    ));

    // A model whose sealed file is not the registered hash: the node does not run it.
    let other = "bc_gbt";
    let (_, other_files) = model_files(p, other)?;
    let (other_cid, other_size) =
        seal_and_store(keys, store, other, &other_files, &allowed).await?;
    exec(
        &p.institute,
        &c.model_registry,
        // Not the sha256 of the sealed bc_gbt.onnx: it is bc_logreg's.
        &publish(other, manifest.sha256.clone(), &other_cid, other_size),
        "publish a second model",
    )
    .await?;
    exec(
        &p.patient,
        &c.btt,
        &send(job("demo-mismatch-1", other))?,
        "job on a model the node's file does not match",
    )
    .await?;
    r.mismatch_refused = relayer_refusal(p, "demo-mismatch-1", "model hash check").await?;
    progress(&format!(
        "a job on {other}, whose sealed file is not the registered hash, is not run: {}",
        r.mismatch_refused
    ));
    Ok(ModelJob {
        client_id,
        institute_before,
        node_before,
    })
}

/// The BTT `send` that creates escrow job `job` with the model job deposit.
pub(crate) fn paid_job(escrow: &str, job: CreateJobMsg) -> Result<cw20::Cw20ExecuteMsg, DemoError> {
    Ok(cw20::Cw20ExecuteMsg::Send {
        contract: escrow.to_string(),
        amount: Uint128::new(MODEL_JOB_DEPOSIT),
        msg: ctx!(
            to_json_binary(&EscrowReceive::CreateJob(job)),
            "job message"
        )?,
    })
}

/// Waits until the relayer has given up on the patient's job `client_id` for good; returns why
/// (`step` names the check in a failure).
pub(crate) async fn relayer_refusal(
    p: &Platform,
    client_id: &str,
    step: &'static str,
) -> Result<String, DemoError> {
    let store = ctx!(
        bithive_relayer::Store::open(&p.opts.home.join("relayer.sqlite")),
        "relayer store"
    )?;
    let key = bithive_relayer::store::NewJob {
        chain_id: p.chain_id.clone(),
        contract: p.deployment.contracts.payfi_escrow.clone(),
        kind: "inference".into(),
        job_id: p.job_id(client_id),
        height: 0,
        attributes: vec![],
    }
    .key();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rec = ctx!(store.get(&key), "relayer store")?;
        match rec {
            Some(r) if r.state == bithive_relayer::JobState::Failed => {
                return Ok(r.last_error.unwrap_or_default())
            }
            Some(r) if r.state == bithive_relayer::JobState::Committed => {
                return Err(fail(step)(&format!(
                    "the relayer attested job {client_id}; it must refuse it"
                )))
            }
            _ if std::time::Instant::now() > deadline => {
                return Err(fail(step)(&format!(
                    "the relayer did not refuse job {client_id} within 60 s"
                )))
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The rest of step 2, once the job's dispute window has passed (anyone finalizes): the escrow
/// pays the institute the model's price and the node the rest; the registry counts the job.
pub async fn settle(
    p: &Platform,
    job: ModelJob,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let c = &p.deployment.contracts;
    p.finalize_job(&p.job_id(job.client_id)).await?;
    r.owner_paid = cw20_balance(&p.gov, &c.btt, p.institute.address())
        .await?
        .saturating_sub(job.institute_before);
    r.node_paid = cw20_balance(&p.gov, &c.btt, p.node.address())
        .await?
        .saturating_sub(job.node_before);
    if r.owner_paid != MODEL_PRICE {
        return Err(fail("model owner payment")(&format!(
            "the institute received {} BTT base units, the model's price is {MODEL_PRICE}",
            r.owner_paid
        )));
    }
    let fee = MODEL_JOB_DEPOSIT - MODEL_PRICE - r.node_paid;
    crate::demo::platform::expect_paid(
        "node payment in BTT",
        r.node_paid + MODEL_PRICE,
        MODEL_JOB_DEPOSIT,
        50,
    )
    .map(|_| ())?;
    // The payout told rewards the node served the model's measured run cost (ADR 007): the
    // node's only units, its earlier jobs being on models nobody measured.
    let served: rewards::ServedWork = ctx!(
        p.gov
            .query_typed(
                &c.rewards,
                &rewards::QueryMsg::Served {
                    node: p.node.address().to_string(),
                },
            )
            .await,
        "served work"
    )?;
    let run_cost = r.run_cost.unwrap_or_default();
    if served.paid == 0 || served.units.u128() != u128::from(run_cost) || served.fees.u128() < fee {
        return Err(fail("served work")(&format!(
            "rewards counted {served:?} for the node: expected {run_cost} units, fees of at least {fee}"
        )));
    }
    r.served_units = run_cost;
    let m = model_record(p, r.model_id).await?;
    r.jobs_served = m.model.jobs_served;
    r.mean_tscore = m.mean_tscore;
    if r.jobs_served != 1 || r.mean_tscore.is_none() {
        return Err(fail("model record")(&format!(
            "jobs served {}, mean Tscore {:?}: expected 1 job, scored by its attestation",
            r.jobs_served, r.mean_tscore
        )));
    }
    progress(&format!(
        "job on {MODEL} paid out: the institute earned {}, the node {} (fee {}) and {} served work units in rewards (the model's counted run cost); the model has served {} job(s), mean Tscore {}",
        btt(r.owner_paid),
        btt(r.node_paid),
        btt(fee),
        r.served_units,
        r.jobs_served,
        r.mean_tscore.map_or("-".into(), |t| t.to_string())
    ));
    Ok(())
}

/// The shipped held-out rows, beside the models of the inference config.
fn held_out_path(
    engine: &bithive_inference::EngineConfig,
) -> Result<std::path::PathBuf, DemoError> {
    engine
        .models
        .first()
        .and_then(|e| e.manifest.parent().map(|d| d.join(HELD_OUT_SET)))
        .ok_or_else(|| fail("held-out set")(&"the inference config lists no model"))
}

/// Runs an operator command (which starts its own runtime) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, DemoError> {
    tokio::task::spawn_blocking(move || std::thread::spawn(f).join())
        .await
        .map_err(|e| fail("operator command")(&e))?
        .map_err(|_| fail("operator command")(&"panicked"))
}

/// What a quorum of attestors attested for a model: its held-out accuracy and run cost.
pub(crate) struct Evaluated {
    pub accuracy: Decimal,
    pub run_cost: Option<u64>,
    pub evaluators: usize,
    pub samples: u32,
    /// The evaluation report hash (hex).
    pub report: String,
}

/// Step 1b: the model's held-out accuracy (the E term of Tscore) is measured by the attestors,
/// not claimed by its owner ([`quorum_evaluation`] on the shipped held-out rows). The owner's
/// own grade and one attestor's lone evaluation are refused.
pub async fn evaluate_model(
    p: &Platform,
    keys: &ModelKeys,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let held_out = held_out_path(&inference_config(p)?)?;
    let e = quorum_evaluation(p, keys, r.model_id, held_out, Some(&mut *r)).await?;
    r.evaluators = e.evaluators;
    r.run_cost = e.run_cost;
    r.accuracy = Some(e.accuracy);
    progress(&format!(
        "{} attestors each ran `bithive relayer evaluate`: opened {MODEL} from its content id in memory and scored it on {} held-out rows: balanced accuracy {}, run cost {} work units counted from its graph (report {}…); `bithive relayer submit-evaluation` combined their shares into a quorum attestation that set both in the registry. The owner's own grade was refused ({}), and so was one attestor's alone ({})",
        e.evaluators,
        e.samples,
        e.accuracy,
        e.run_cost.unwrap_or_default(),
        &e.report[..16],
        r.owner_grade_refused,
        r.lone_grade_refused
    ));
    Ok(())
}

/// Each attestor fetches the sealed model `model_id` by its content id, opens it with its own
/// model key in memory, checks it against the registered sha256, scores it on the held-out set
/// `held_out` and computes the evaluation report; they agree on one report, a quorum of them
/// signs an `evaluation` attestation, and the attestation contract sets the accuracy and run
/// cost in the registry. With `refusals`, the owner's own grade and one attestor's lone
/// evaluation are tried first and their refusals recorded there.
pub(crate) async fn quorum_evaluation(
    p: &Platform,
    keys: &ModelKeys,
    model_id: u64,
    held_out: std::path::PathBuf,
    refusals: Option<&mut AimReport>,
) -> Result<Evaluated, DemoError> {
    let c = &p.deployment.contracts;
    let now = ctx!(p.gov.rpc().latest_block_time().await, "block time")?;
    // Every attestor of one quorum signs the same statement, so the same date.
    let issued_at = evaluation::default_issued_at(now);
    let (store_dir, store_key_file) = store_paths(p);
    let mut share_files = Vec::new();
    let mut configs = Vec::new();
    for (n, (attestor, _)) in p.attestors.iter().enumerate() {
        let i = keys
            .index_of(attestor.address())
            .ok_or_else(|| fail("evaluation")(&"an attestor has no model key"))?;
        // The attestor's relayer config: its keyring key, the registry, its model key.
        let name = format!("attestor-{}", n + 1);
        let mut cfg = p.relayer_config().await?;
        cfg.db_path = p.opts.home.join(format!("{name}.sqlite"));
        let chain = &mut cfg.chains[0];
        chain.key = name.clone();
        chain
            .contracts
            .insert("model_registry".into(), c.model_registry.clone());
        let inference = cfg
            .inference
            .as_mut()
            .ok_or_else(|| fail("relayer config")(&"no [inference] section"))?;
        inference.sealed_models =
            Some(keys.relayer_section(i, store_dir.clone(), store_key_file.clone()));
        ctx!(cfg.validate(), "attestor relayer config")?;
        let config = p.opts.home.join(format!("{name}.toml"));
        write_serialized(&config, toml::to_string(&cfg), "attestor relayer config")?;
        // What the attestor runs: `bithive relayer evaluate --config .. --model-id ..
        // --held-out .. --issued-at .. --out ..` (fetches the sealed model by its content id,
        // opens it in memory with its key, checks the registered sha256, scores, signs).
        let share = p.opts.home.join(format!("evaluation-share-{}.json", n + 1));
        let args = EvaluateArgs {
            start: StartArgs {
                config: config.clone(),
            },
            chain_id: None,
            model_id,
            held_out: held_out.clone(),
            round: None,
            issued_at: Some(issued_at),
            out: Some(share.clone()),
        };
        ctx!(
            blocking(move || bithive_relayer::cli::evaluate(&args)).await?,
            "bithive relayer evaluate"
        )?;
        share_files.push(share);
        configs.push(config);
    }
    let shares = share_files
        .iter()
        .map(|f| {
            let bytes = ctx!(std::fs::read(f), "evaluation share")?;
            ctx!(
                serde_json::from_slice::<evaluation::EvaluationShare>(&bytes),
                "evaluation share"
            )
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let first = shares
        .first()
        .ok_or_else(|| fail("evaluation")(&"no attestor"))?;
    // The attestors agree: the same statement (report hash, accuracy, dataset, round).
    if shares.iter().any(|s| {
        (&s.payload, &s.attestation.result_hash) != (&first.payload, &first.attestation.result_hash)
    }) {
        return Err(fail("evaluation")(&"the attestors' reports differ"));
    }
    let att = first.attestation.clone();
    let payload = first.payload.clone();
    let graded_as: EvaluationPayload = ctx!(
        serde_json::from_slice(payload.as_slice()),
        "evaluation payload"
    )?;

    if let Some(r) = refusals {
        // The owner grades its own model: only the evaluator (the attestation contract) may.
        let owner = expect_refused(
            &p.institute,
            &c.model_registry,
            &registry::ExecuteMsg::SetAccuracy {
                model_id,
                accuracy: Decimal::one(),
                evaluation: "self-graded".into(),
                run_cost: None,
            },
            &[],
            "the owner sets its own accuracy",
            "evaluator only",
        )
        .await?;
        // One attestor alone, however bonded: evaluations need a quorum.
        let (lone, lone_key) = &p.attestors[0];
        let solo = ctx!(
            signing::sign(
                Attestation {
                    signer: signing::public_key(lone_key.k256()),
                    ..att.clone()
                },
                lone_key.k256()
            ),
            "attestor signature"
        )?;
        let lone_refused = expect_refused(
            lone,
            &c.attestation,
            &AttestationMsg::Submit {
                attestation: solo.attestation,
                signature: solo.signature,
                payload: Some(payload.clone()),
            },
            &[],
            "one attestor grades the model",
            "need a quorum",
        )
        .await?;
        r.owner_grade_refused = owner;
        r.lone_grade_refused = lone_refused;
    }

    // `bithive relayer submit-evaluation --config .. SHARE..`: the shares combined into one
    // quorum attestation, submitted by the first attestor.
    let evaluators = share_files.len();
    let args = SubmitEvaluationArgs {
        start: StartArgs {
            config: configs[0].clone(),
        },
        chain_id: None,
        shares: share_files,
    };
    ctx!(
        blocking(move || bithive_relayer::cli::submit_evaluation(&args)).await?,
        "bithive relayer submit-evaluation"
    )?;
    let graded = model_record(p, model_id).await?;
    let report = hex::encode(att.result_hash.0);
    if graded.model.accuracy != Some(graded_as.accuracy)
        || graded.model.evaluation.as_deref() != Some(report.as_str())
    {
        return Err(fail("evaluation")(&format!(
            "the registry holds accuracy {:?} from {:?}, the quorum attested {} from {report}",
            graded.model.accuracy, graded.model.evaluation, graded_as.accuracy
        )));
    }
    let counted = graded_as.run_cost.map(|u| u.u128());
    if counted.is_none() || graded.model.run_cost.map(|u| u.u128()) != counted {
        return Err(fail("evaluation")(&format!(
            "the registry holds run cost {:?}, the quorum attested {counted:?}",
            graded.model.run_cost
        )));
    }
    Ok(Evaluated {
        accuracy: graded_as.accuracy,
        run_cost: counted.and_then(|u| u64::try_from(u).ok()),
        evaluators,
        samples: graded_as.samples,
        report,
    })
}

/// The registry's record of model `model_id`.
async fn model_record(p: &Platform, model_id: u64) -> Result<ModelResponse, DemoError> {
    query(
        &p.gov,
        &p.deployment.contracts.model_registry,
        &RegistryQuery::Model { model_id },
        "model record",
    )
    .await
}

/// The end of step 2: the set of nodes allowed to run the model changes (governance withdraws
/// an attestor's compliance), so the institute seals the model again to the new set and re-keys
/// the record. The node that left can open the old file but not the new one; a node still in
/// the set opens the new one.
pub async fn rekey_on_set_change(
    p: &Platform,
    store: &LocalStore,
    keys: &ModelKeys,
    r: &mut AimReport,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DemoError> {
    let c = &p.deployment.contracts;
    let (leaving, _) = p
        .attestors
        .last()
        .ok_or_else(|| fail("re-key")(&"no attestor"))?;
    let left = keys
        .index_of(leaving.address())
        .ok_or_else(|| fail("re-key")(&"the attestor has no model key"))?;
    let withdraw = bithive_interface::staking::ExecuteMsg::SetCompliance {
        node: leaving.address().to_string(),
        level: Decimal::zero(),
    };
    p.govern(
        "withdraw an attestor's compliance",
        vec![(
            c.staking.clone(),
            ctx!(serde_json::to_value(withdraw), "proposal")?,
        )],
    )
    .await?;
    let allowed = keys.allowed(p).await?;
    if allowed.contains(left) || allowed.is_empty() {
        return Err(fail("re-key")(&format!(
            "the allowed set {allowed:?} after node {left} left"
        )));
    }
    let (_, files) = model_files(p, MODEL)?;
    let old = model_record(p, r.model_id).await?;
    let (cid, size) = seal_and_store(keys, store, MODEL, &files, &allowed).await?;
    exec(
        &p.institute,
        &c.model_registry,
        &registry::ExecuteMsg::Rekey {
            model_id: r.model_id,
            content_id: cid.to_string(),
            size_bytes: size,
        },
        "re-key the model",
    )
    .await?;
    let fetch = |content_id: String| async move {
        let cid: Cid = ctx!(content_id.parse(), "content id")?;
        ctx!(store.get(&cid).await, "fetch the sealed model")
    };
    let old_file = fetch(old.model.content_id).await?;
    let new = model_record(p, r.model_id).await?;
    let new_file = fetch(new.model.content_id).await?;
    let pp = keys.public_params();
    let mut left_key = keys.key_of(left)?;
    if open_model(&old_file, MODEL, &mut left_key, pp).is_err() {
        return Err(fail("re-key")(
            &"the leaving node could not open the old file",
        ));
    }
    r.left_refused = match open_model(&new_file, MODEL, &mut left_key, pp) {
        Ok(_) => {
            return Err(fail("re-key")(
                &"the node that left the set opened the re-keyed model",
            ))
        }
        Err(e) => e.to_string(),
    };
    let mut node_key = keys.key_of(1)?;
    let opened = ctx!(
        open_model(&new_file, MODEL, &mut node_key, pp),
        "the node opens the re-keyed model"
    )?;
    if hex::encode(Sha256::digest(&*opened.onnx)) != new.model.onnx_sha256 {
        return Err(fail("re-key")(
            &"the re-keyed file is not the registered model",
        ));
    }
    r.rekeyed_to = allowed.len();
    progress(&format!(
        "governance withdrew node {left}'s compliance: the institute sealed {MODEL} again to the {} remaining node(s) and re-keyed model {} (content id {cid}); the node that left opens the old file but not the new: {}",
        allowed.len(),
        r.model_id,
        r.left_refused
    ));
    Ok(())
}
