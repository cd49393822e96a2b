//! The patient's imaging routes of `bithive web` (issue #47), when it is given the model key
//! authority's public files, the nodes' content store and the relayer's HTTP address:
//!
//! - `GET /sealing.json`: what the page seals an image with (the BGW public parameters and
//!   encryption key, base64; the roster of node accounts and their BGW indices; the largest
//!   image taken). The page itself reads from staking which roster nodes are allowed.
//! - `POST /v1/inputs?job=<payer>/<client id>`: a sealed image for a job already paid on chain.
//!   Taken only if the file is a sealed input bound to that job and sealed to roster nodes only,
//!   the escrow holds that job open, names no node outside the roster, and its input names
//!   exactly this file (content id) with a plaintext length under the limit and the file no
//!   longer than that plus the sealed header: storing a file costs a paid job, and nothing but a
//!   job's own input is ever stored. `201` with `{"cid": ..}`; otherwise a plain reason. Two
//!   uploads are read at a time (a permit is taken before the body is read, waited for up to
//!   30 s), so memory holds at most two images.
//! - `GET /v1/explanations/<64 hex>`: the relayer's sealed explanation, passed through (the
//!   page opens and checks it; this server cannot).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use bithive_chain_client::{CompatVersion, HttpEndpoint};
use bithive_content_store::input::{
    input_name, sealed_input_header, SealedInputRef, SEALED_INPUT_OVERHEAD,
};
use bithive_content_store::NodeStore;
use bithive_interface::payfi_escrow::{Job, JobStatus, QueryMsg as EscrowQuery};

use super::{
    plain, query_contract, read_deployment, refuse, send, store_checked, upload_slot, Upstream,
    WebError, CONCURRENT_UPLOADS,
};

/// The whole exchange with the relayer for one explanation.
const RELAYER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Largest explanation answer passed back (a result with its map is a few kB).
const MAX_EXPLANATION: usize = 1 << 20;
/// Longest job id the escrow takes (`<payer>/<client id>`: an address and 64 characters).
const MAX_JOB_ID: usize = 200;

/// Where the imaging routes get their keys, store and explanations.
#[derive(Clone)]
pub struct ImagingConfig {
    /// The model key authority's public files (`params.bin`, `encryption-key.bin`,
    /// `roster.json`).
    pub sealing_keys: PathBuf,
    /// The store the nodes fetch sealed inputs from.
    pub store: NodeStore,
    /// The relayer's HTTP server (`metrics_addr`), `http://host:port`.
    pub relayer: String,
    /// Largest image (plaintext) taken: the engine's `max_image_bytes`.
    pub max_input_bytes: u64,
}

impl std::fmt::Debug for ImagingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagingConfig")
            .field("sealing_keys", &self.sealing_keys)
            .field("relayer", &self.relayer)
            .field("max_input_bytes", &self.max_input_bytes)
            .finish()
    }
}

#[derive(Clone)]
struct ImagingState {
    sealing: Arc<Vec<u8>>,
    /// The roster: node accounts and their BGW indices.
    roster: Arc<Vec<(String, u32)>>,
    store: NodeStore,
    relayer: Upstream,
    rpc: Arc<HttpEndpoint>,
    deployment: PathBuf,
    uploads: Arc<tokio::sync::Semaphore>,
    max_input_bytes: u64,
}

/// The `/sealing.json` body and the roster, from the authority's files (checked as a sealer
/// checks them).
type Roster = Vec<(String, u32)>;
fn sealing_json(
    dir: &std::path::Path,
    max_input_bytes: u64,
) -> Result<(Vec<u8>, Roster), WebError> {
    let err = |why: String| WebError::Imaging(format!("sealing keys {}: {why}", dir.display()));
    crate::model_keys::SealingKeys::load(dir).map_err(err)?;
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| err(e.to_string()));
    let roster: Roster = serde_json::from_slice(&read(crate::model_keys::ROSTER_FILE)?)
        .map_err(|e| err(e.to_string()))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = serde_json::json!({
        "params": b64.encode(read(crate::model_keys::PARAMS_FILE)?),
        "encryption_key": b64.encode(read(crate::model_keys::ENCRYPTION_KEY_FILE)?),
        "roster": roster,
        "max_input_bytes": max_input_bytes,
    })
    .to_string()
    .into_bytes();
    Ok((body, roster))
}

/// The imaging routes, for `rpc` (the chain's RPC URL) and the deployment file.
pub(super) fn routes(
    config: &ImagingConfig,
    rpc: &str,
    deployment: PathBuf,
) -> Result<Router, WebError> {
    // The relayer's server speaks plain HTTP (loopback or a private network).
    let relayer = super::parse_rpc(&config.relayer, None)
        .ok()
        .filter(|u| u.tls.is_none())
        .ok_or_else(|| {
            WebError::Imaging(format!("relayer URL {}: http://host:port", config.relayer))
        })?;
    let (sealing_body, roster) = sealing_json(&config.sealing_keys, config.max_input_bytes)?;
    let endpoint = HttpEndpoint::new(rpc, CompatVersion::V038, super::UPSTREAM_TIMEOUT)
        .map_err(|e| WebError::Imaging(e.to_string()))?;
    let state = ImagingState {
        sealing: Arc::new(sealing_body),
        roster: Arc::new(roster),
        store: config.store.clone(),
        relayer,
        rpc: Arc::new(endpoint),
        deployment,
        uploads: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_UPLOADS)),
        max_input_bytes: config.max_input_bytes,
    };
    Ok(Router::new()
        .route("/sealing.json", get(sealing))
        // The handler reads the body itself, under its own limit, once it holds a slot.
        .route(
            "/v1/inputs",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/explanations/{name}", get(explanation))
        .with_state(state))
}

async fn sealing(State(s): State<ImagingState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        s.sealing.as_ref().clone(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    job: String,
}

/// The escrow's job `job_id`, or the answer to give when it cannot be read.
async fn escrow_job(s: &ImagingState, job_id: &str) -> Result<Job, Response> {
    let deployment = read_deployment(&s.deployment).await?;
    query_contract(
        &s.rpc,
        &deployment.contracts.payfi_escrow,
        &EscrowQuery::Job {
            job_id: job_id.to_string(),
        },
        "the escrow's answer is not a job\n",
        || format!("no job {job_id} in the escrow: pay for the job first, then send its image"),
    )
    .await
}

async fn upload(
    State(s): State<ImagingState>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Response {
    let _permit = match upload_slot(&s.uploads).await {
        Ok(p) => p,
        Err(busy) => return busy,
    };
    let job_id = q.job.trim().to_string();
    if job_id.is_empty() || job_id.len() > MAX_JOB_ID || !job_id.contains('/') {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("job {job_id:?} is not <payer>/<client id>"),
        );
    }
    let limit = usize::try_from(s.max_input_bytes.saturating_add(SEALED_INPUT_OVERHEAD))
        .unwrap_or(usize::MAX);
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is larger than the nodes take ({limit} bytes with the sealed header) or did not arrive whole"),
        );
    };
    // Parsing the header and hashing up to 64 MiB: off the async workers.
    let checked = tokio::task::spawn_blocking(move || {
        let header = sealed_input_header(&body).map_err(|e| format!("not a sealed input: {e}"))?;
        let cid = bithive_content_id::cid_of(&body).to_string();
        Ok::<_, String>((header, cid, body))
    })
    .await;
    let (header, cid, body) = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => return refuse(StatusCode::BAD_REQUEST, why),
        Err(_) => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not read the file\n",
            )
        }
    };
    if header.name != input_name(&job_id) {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("the file is sealed for another job than {job_id}"),
        );
    }
    let in_roster = |i: u32| s.roster.iter().any(|(_, r)| *r == i);
    if let Some(i) = header.recipients.iter().find(|i| !in_roster(*i)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("the file is sealed to BGW index {i}, which no roster node holds"),
        );
    }
    let job = match escrow_job(&s, &job_id).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    if job.status != JobStatus::Open {
        return refuse(
            StatusCode::CONFLICT,
            format!("job {job_id} is no longer open"),
        );
    }
    if let Some(node) = &job.node {
        if !s.roster.iter().any(|(a, _)| a == node.as_str()) {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("job {job_id} names node {node}, which holds no model key: no node could open the image"),
            );
        }
    }
    let Some(reference) = SealedInputRef::from_job_input(job.input.as_slice()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("job {job_id} does not take a sealed input"),
        );
    };
    if reference.cid != cid {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "job {job_id} names file {}, this file is {cid}",
                reference.cid
            ),
        );
    }
    if reference.bytes > s.max_input_bytes
        || body.len() as u64 > reference.bytes.saturating_add(SEALED_INPUT_OVERHEAD)
    {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the job's image is {} bytes (the nodes take at most {}) and its sealed file {} bytes",
                reference.bytes,
                s.max_input_bytes,
                body.len()
            ),
        );
    }
    store_checked(&s.store, &cid, &body).await
}

async fn explanation(State(s): State<ImagingState>, Path(name): Path<String>) -> Response {
    if name.len() != 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let fetch = async {
        let req = axum::http::Request::builder()
            .method("GET")
            .uri(format!("{}/v1/explanations/{name}", s.relayer.base))
            .header(header::HOST, &s.relayer.authority)
            .body(Body::empty())?;
        let stream = tokio::net::TcpStream::connect(&s.relayer.connect).await?;
        let answer = send(stream, req).await?;
        let status = answer.status();
        let bytes = axum::body::to_bytes(Body::new(answer.into_body()), MAX_EXPLANATION)
            .await
            .map_err(|e| anyhow::anyhow!("the relayer's answer: {e}"))?;
        anyhow::Ok((status, bytes))
    };
    match tokio::time::timeout(RELAYER_TIMEOUT, fetch).await {
        Ok(Ok((StatusCode::OK, bytes))) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Ok(Ok((StatusCode::NOT_FOUND, _))) => {
            plain(StatusCode::NOT_FOUND, "no explanation of this job yet\n")
        }
        Ok(Ok((status, _))) => {
            tracing::warn!(%status, "relayer answered an explanation with an error");
            plain(StatusCode::BAD_GATEWAY, "the relayer did not answer\n")
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "explanation fetch failed");
            plain(StatusCode::BAD_GATEWAY, "the relayer did not answer\n")
        }
        Err(_) => plain(
            StatusCode::GATEWAY_TIMEOUT,
            "the relayer did not answer in time\n",
        ),
    }
}
