//! Imaging in the AIM story (issue #47): a trained chest X-ray model through the whole
//! platform, when the machine has it (`bash scripts/setup.sh models` converts it; the demo says
//! so and goes on without it otherwise).
//!
//! 1. The institute seals `chest_xray_xception` to the allowed nodes and publishes it; the
//!    attestors' quorum measures its balanced accuracy on the held-out chest X-rays (images,
//!    each opened and decoded by every attestor's engine) and sets it in the registry.
//! 2. The patient pays for two jobs: a chest X-ray JPEG and an adult chest radiograph in DICOM
//!    (7 MB, 1955x1841, 16-bit). Neither fits the escrow's 4 KiB input, and neither may be on
//!    chain in the clear: each is sealed to the allowed nodes and bound to its job
//!    ([`bithive_content_store::input`]), stored by content id, and the job carries only the
//!    reference. The relayer opens it in memory, runs the model and attests the result: label,
//!    quantized probabilities and Tscore land on chain.
//!    With each result the patient gets its explanation off chain: the relayer keeps the whole
//!    result with an occlusion saliency map, sealed under a key only the patient and the nodes
//!    that opened the image can derive, and serves it at `/v1/explanations/..`; the patient
//!    opens it, checks it against the attested result hash (the map's hash is inside it) and
//!    draws the map over the X-ray (`saliency-<job>.png` in the demo's home).
//! 3. A knee radiograph sent to the chest model is refused by the engine's domain guard (DICOM
//!    body part EXTREMITY): no attestation, and the deposit returns at expiry.
//! 4. A job that names the JPEG job's sealed input is refused: the sealed file opens only for
//!    the job it was sealed for.

use std::path::PathBuf;
use std::time::Duration;

use bithive_content_store::input::SealedInputRef;
use bithive_content_store::ContentStore;
use bithive_inference::evaluation::HeldOutSet;
use bithive_inference::JobInput;
use bithive_interface::attestation::InferencePayload;
use bithive_interface::model_registry::{self as registry, PublishMsg};
use bithive_interface::payfi_escrow::CreateJobMsg;
use cosmwasm_std::{Binary, Decimal, Timestamp, Uint128};

use super::models::{paid_job, quorum_evaluation, relayer_refusal};
use super::*;
use crate::demo::platform::{ctx, exec, exec_outcome, fail, DemoError, Platform, DAY};
use crate::model_keys::ModelKeys;

/// The imaging model the institute publishes.
pub const IMAGING_MODEL: &str = "chest_xray_xception";

/// What the imaging chapter did, for the closing table.
pub enum ImagingOutcome {
    /// The models are not on this machine: how to get them.
    Absent(String),
    Ran(ImagingReport),
}

#[derive(Debug, Default)]
pub struct ImagingReport {
    pub model_id: u64,
    pub accuracy: Decimal,
    pub samples: u32,
    pub evaluators: usize,
    /// (what was sent, label, its probability, Tscore, attestation height) per answered job.
    pub answered: Vec<(String, String, Decimal, Decimal, u64)>,
    pub knee_refused: String,
    pub replay_refused: String,
    /// The saliency picture drawn for the first answered job.
    pub saliency_png: Option<PathBuf>,
}

/// A GET on the relayer's small HTTP server (HTTP/1.1, one request, `Connection: close`);
/// the status code and the body.
async fn http_get(addr: &str, path: &str) -> Result<(u16, Vec<u8>), DemoError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = ctx!(tokio::net::TcpStream::connect(addr).await, "relayer HTTP")?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    ctx!(s.write_all(req.as_bytes()).await, "relayer HTTP")?;
    let mut buf = Vec::new();
    ctx!(s.read_to_end(&mut buf).await, "relayer HTTP")?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| fail("relayer HTTP")(&"no header end"))?;
    let head = String::from_utf8_lossy(&buf[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| fail("relayer HTTP")(&format!("status line {head:?}")))?;
    Ok((status, buf[split + 4..].to_vec()))
}

/// The patient's side of an explanation: fetched from the relayer, opened with the key derived
/// from the job id and the image, checked against the attested result hash.
async fn fetch_explanation(
    p: &Platform,
    job_id: &str,
    image: &[u8],
    attested_hash: &[u8; 32],
) -> Result<bithive_inference::InferenceResult, DemoError> {
    use base64::Engine as _;
    use bithive_content_store::input::{explanation_key, input_name, open_explanation};
    let cfg: bithive_relayer::config::Config = ctx!(
        toml::from_str(&ctx!(
            std::fs::read_to_string(p.opts.home.join("relayer.toml")),
            "relayer.toml"
        )?),
        "relayer.toml"
    )?;
    let addr = cfg
        .metrics_addr
        .ok_or_else(|| fail("explanation")(&"the relayer serves no HTTP"))?;
    let path = format!("/v1/explanations/{}", input_name(job_id));
    let (status, body) = http_get(&addr, &path).await?;
    if status != 200 {
        return Err(fail("explanation")(&format!("GET {path}: HTTP {status}")));
    }
    let v: serde_json::Value = ctx!(serde_json::from_slice(&body), "explanation answer")?;
    let sealed = ctx!(
        base64::engine::general_purpose::STANDARD.decode(v["sealed"].as_str().unwrap_or_default()),
        "explanation answer"
    )?;
    let key = explanation_key(job_id, image);
    let doc = ctx!(
        open_explanation(&key, job_id, &sealed),
        "open the explanation"
    )?;
    let result: bithive_inference::InferenceResult =
        ctx!(serde_json::from_slice(&doc), "explanation")?;
    if !result.verify() || result.result_sha256 != hex::encode(attested_hash) {
        return Err(fail("explanation")(&format!(
            "the explanation's result {} does not verify or is not the attested {}",
            result.result_sha256,
            hex::encode(attested_hash)
        )));
    }
    if result.saliency.is_none() {
        return Err(fail("explanation")(&"the result has no saliency map"));
    }
    Ok(result)
}

/// The saliency map drawn over the image (red where hiding a patch lowers the label most),
/// as a PNG at most 600 px wide.
fn draw_saliency(
    image: &[u8],
    s: &bithive_inference::explain::Saliency,
) -> Result<Vec<u8>, DemoError> {
    let limits = bithive_inference::config::InputLimits::default();
    let img = ctx!(
        bithive_inference::input::decode_image(image, &limits),
        "decode the X-ray"
    )?;
    let (w, h) = (img.width, img.height);
    let scale = (600.0 / w as f64).min(1.0);
    let (ow, oh) = (((w as f64) * scale) as usize, ((h as f64) * scale) as usize);
    let grey = bithive_inference::input::resize_nearest(&img.planes[0], h, w, oh, ow);
    let g = s.grid as usize;
    let mut rgb = Vec::with_capacity(ow * oh * 3);
    for y in 0..oh {
        for x in 0..ow {
            let v = grey[y * ow + x];
            let cell = s.cells[(y * g / oh) * g + x * g / ow] as f32 / 255.0;
            let a = 0.55 * cell;
            let base = v * (1.0 - a);
            rgb.extend_from_slice(&[
                ((base + a) * 255.0) as u8,
                (base * 255.0) as u8,
                (base * 255.0) as u8,
            ]);
        }
    }
    let buf = image::RgbImage::from_raw(ow as u32, oh as u32, rgb)
        .ok_or_else(|| fail("saliency picture")(&"size"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    ctx!(
        buf.write_to(&mut out, image::ImageFormat::Png),
        "saliency picture"
    )?;
    Ok(out.into_inner())
}

/// The folder of the converted imaging models (`scripts/setup.d/45-imaging.sh`), when they are
/// there: `$BITHIVE_IMAGING_DIR`, else `$BITHIVE_CACHE/imaging`, else `~/.cache/bithive/imaging`.
pub fn imaging_dir() -> Result<PathBuf, PathBuf> {
    let dir = match std::env::var_os("BITHIVE_IMAGING_DIR") {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("BITHIVE_CACHE") {
            Some(c) => PathBuf::from(c).join("imaging"),
            None => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/bithive/imaging"),
        },
    };
    let manifest = dir.join("models").join(format!("{IMAGING_MODEL}.toml"));
    if manifest.is_file() && dir.join("dicom/RG1_UNCR.dcm").is_file() {
        Ok(dir)
    } else {
        Err(dir)
    }
}

/// The imaging chapter (module docs), or why it could not run.
pub async fn imaging(
    p: &Platform,
    store: &LocalStore,
    keys: &ModelKeys,
    progress: &mut dyn FnMut(&str),
) -> Result<ImagingOutcome, DemoError> {
    let dir = match imaging_dir() {
        Ok(d) => d,
        Err(looked) => {
            let hint = format!(
                "the trained chest X-ray model is not on this machine ({} has none): `bash scripts/setup.sh models` downloads and converts it (about 1.5 min), then run the demo again",
                looked.display()
            );
            progress(&format!("imaging skipped: {hint}"));
            return Ok(ImagingOutcome::Absent(hint));
        }
    };
    let c = &p.deployment.contracts;
    let models = dir.join("models");
    let manifest_path = models.join(format!("{IMAGING_MODEL}.toml"));
    let (manifest, files) = crate::model::read_model_files(&manifest_path)
        .map_err(|e| fail("imaging model")(&format!("{e:#}")))?;
    let allowed = keys.allowed(p).await?;
    let sealed = keys.seal(IMAGING_MODEL, &files, &allowed)?;
    let cid = ctx!(store.put(&sealed).await, "store the sealed imaging model")?;
    let published = exec_outcome(
        &p.institute,
        &c.model_registry,
        &registry::ExecuteMsg::Publish(PublishMsg {
            name: IMAGING_MODEL.into(),
            version: 1,
            specialty: manifest.specialty.clone(),
            input_spec: crate::model::input_spec(&manifest),
            output_spec: crate::model::output_spec(&manifest),
            onnx_sha256: manifest.sha256.clone(),
            content_id: cid.to_string(),
            size_bytes: sealed.len() as u64,
            price: Uint128::new(MODEL_PRICE),
            licence: "none declared (pneumonia-model-package 0.3.0)".into(),
        }),
        "publish the imaging model",
    )
    .await?;
    let model_id = published_model_id(&published, "publish the imaging model")?;
    let held_out = models.join(format!("{IMAGING_MODEL}_held_out.json"));
    let e = quorum_evaluation(p, keys, model_id, held_out.clone(), None).await?;
    // The attestors' engines measured what the conversion measured with TensorFlow.
    let diff = if e.accuracy > manifest.tscore.evidence {
        e.accuracy - manifest.tscore.evidence
    } else {
        manifest.tscore.evidence - e.accuracy
    };
    if diff > Decimal::from_ratio(1u128, 1_000_000u128) {
        return Err(fail("imaging evaluation")(&format!(
            "the attestors measured {}, the conversion {}",
            e.accuracy, manifest.tscore.evidence
        )));
    }
    progress(&format!(
        "institute sealed {IMAGING_MODEL} ({} MB ONNX) to the {} allowed node(s) and published it (model {model_id}); {} attestors opened it in memory and scored it on {} held-out chest X-rays: balanced accuracy {} set in the registry by their quorum",
        files.onnx.len() / 1_000_000,
        allowed.len(),
        e.evaluators,
        e.samples,
        e.accuracy
    ));
    let mut report = ImagingReport {
        model_id,
        accuracy: e.accuracy,
        samples: e.samples,
        evaluators: e.evaluators,
        ..ImagingReport::default()
    };

    // The patient's images: a held-out chest X-ray labelled PNEUMONIA, and the adult chest
    // radiograph of pydicom-data; the knee radiograph for the refusal.
    let set = ctx!(
        HeldOutSet::parse(&ctx!(std::fs::read(&held_out), "held-out set")?),
        "held-out set"
    )?;
    let pneumonia = manifest
        .labels
        .iter()
        .position(|l| l == "PNEUMONIA")
        .ok_or_else(|| fail("imaging")(&"the model has no PNEUMONIA label"))?;
    let jpeg = set
        .inputs
        .iter()
        .zip(&set.y_true)
        .find_map(|(input, &y)| match input {
            JobInput::Image(b) if y as usize == pneumonia => Some(b.clone()),
            _ => None,
        })
        .ok_or_else(|| fail("imaging")(&"no PNEUMONIA image in the held-out set"))?;
    let read = |name: &str| ctx!(std::fs::read(dir.join("dicom").join(name)), "DICOM file");
    let radiograph = read("RG1_UNCR.dcm")?;
    let knee = read("RG3_UNCR.dcm")?;

    let now = ctx!(p.patient.rpc().latest_block_time().await, "block time")?;
    // Seals `bytes` for the patient's job `client_id`, stores it, pays for the job; returns the
    // job's input reference.
    let order = |client_id: &'static str, bytes: Vec<u8>, reference: Option<SealedInputRef>| {
        let allowed = allowed.clone();
        async move {
            let reference = match reference {
                Some(r) => r,
                None => {
                    let sealed = keys.seal_input(&p.job_id(client_id), &bytes, &allowed)?;
                    let cid = ctx!(store.put(&sealed).await, "store the sealed input")?;
                    let reference = SealedInputRef::of(&sealed, &bytes);
                    if reference.cid != cid.to_string() {
                        return Err(fail("store the sealed input")(&format!(
                            "the store named {cid}, the content id is {}",
                            reference.cid
                        )));
                    }
                    reference
                }
            };
            let job = CreateJobMsg {
                job_id: client_id.into(),
                expires_at: Timestamp::from_seconds(now + DAY),
                model: IMAGING_MODEL.into(),
                input: Binary::from(reference.to_job_input()),
                node: Some(p.node.address().to_string()),
            };
            let send = paid_job(&c.payfi_escrow, job)?;
            exec(&p.patient, &c.btt, &send, client_id).await?;
            Ok::<SealedInputRef, DemoError>(reference)
        }
    };
    let jpeg_ref = order("demo-xray-jpeg", jpeg.clone(), None).await?;
    order("demo-xray-dicom", radiograph.clone(), None).await?;
    for (client_id, what, image) in [
        (
            "demo-xray-jpeg",
            format!("chest X-ray JPEG ({} kB)", jpeg.len() / 1000),
            &jpeg,
        ),
        (
            "demo-xray-dicom",
            format!(
                "chest radiograph DICOM ({} MB)",
                radiograph.len() / 1_000_000
            ),
            &radiograph,
        ),
    ] {
        let accepted = p.wait_reported(client_id, Duration::from_secs(180)).await?;
        let payload: InferencePayload = ctx!(
            serde_json::from_slice(
                accepted
                    .payload
                    .as_ref()
                    .ok_or_else(|| fail("imaging")(&"the attestation has no payload"))?
                    .as_slice()
            ),
            "inference payload"
        )?;
        let outputs = payload.outputs.unwrap_or_default();
        let (label, quanta) = outputs
            .iter()
            .enumerate()
            .max_by_key(|(_, q)| **q)
            .map(|(i, q)| (manifest.labels.get(i).cloned().unwrap_or_default(), *q))
            .ok_or_else(|| fail("imaging")(&"the attestation has no outputs"))?;
        let probability = Decimal::from_ratio(quanta, 1_000_000u128);
        let tscore = payload.tscore.unwrap_or_default();
        progress(&format!(
            "patient sealed a {what} to the allowed nodes and paid for job {client_id} (the job carries only its content id and sha256); the relayer opened it in memory and attested {label} {probability}, Tscore {tscore}, at height {}",
            accepted.height
        ));
        let explained = fetch_explanation(
            p,
            &p.job_id(client_id),
            image,
            &accepted.attestation.result_hash.0,
        )
        .await?;
        let saliency = explained
            .saliency
            .as_ref()
            .ok_or_else(|| fail("explanation")(&"no saliency"))?;
        let png = p.opts.home.join(format!("saliency-{client_id}.png"));
        ctx!(
            std::fs::write(&png, draw_saliency(image, saliency)?),
            "saliency picture"
        )?;
        progress(&format!(
            "the patient fetched the sealed explanation of {client_id} from the relayer, opened it with the key only it and the nodes derive, checked it against the attested result hash, and drew its {g}x{g} occlusion map over the image ({})",
            png.display(),
            g = saliency.grid
        ));
        if report.saliency_png.is_none() {
            report.saliency_png = Some(png);
        }
        report
            .answered
            .push((what, label, probability, tscore, accepted.height));
    }

    order("demo-xray-knee", knee, None).await?;
    report.knee_refused = relayer_refusal(p, "demo-xray-knee", "imaging domain guard").await?;
    if !report.knee_refused.contains("out of its domain") {
        return Err(fail("imaging domain guard")(&format!(
            "the knee radiograph was refused for another reason: {}",
            report.knee_refused
        )));
    }
    progress(&format!(
        "a knee radiograph sent to the chest model was not answered: {}",
        report.knee_refused
    ));
    order("demo-xray-replay", Vec::new(), Some(jpeg_ref)).await?;
    report.replay_refused = relayer_refusal(p, "demo-xray-replay", "sealed input replay").await?;
    if !report.replay_refused.contains("sealed for another job") {
        return Err(fail("sealed input replay")(&format!(
            "refused for another reason: {}",
            report.replay_refused
        )));
    }
    progress(&format!(
        "a job naming the first job's sealed X-ray was not run: {}",
        report.replay_refused
    ));
    Ok(ImagingOutcome::Ran(report))
}
