//! The patient's records routes of `bithive web` (issue #45, My records), when it is given a
//! content store (`--store-dir` with `--store-key-file`, or `--ipfs-api`):
//!
//! - `POST /v1/records/<token id>`: the sealed file of a record already minted in the data
//!   vault. Taken only if it is exactly the file the record names: its length is the record's
//!   `size` (at most [`MAX_RECORD_FILE`]), its sha256 the record's `ciphertext_sha256` and its
//!   content id the record's `content_id`. Storing a file costs a mint in the vault (a signed,
//!   fee-paying transaction), and nothing but the file a record names is ever stored. `201` with
//!   `{"cid": ..}`; otherwise a plain reason. Two uploads are read at a time.
//! - `GET /v1/records/<token id>`: that record's sealed file, checked against the record's sha256
//!   before it is sent. Ciphertext only: the page opens it with the owner's key (or the CLI with
//!   a grantee's). Anyone who knows a token id can fetch the ciphertext, as anyone can from the
//!   content store itself; what protects a record is its key, which never reaches this server.
//!
//! This server never sees a record's plaintext or key.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bithive_chain_client::{CompatVersion, HttpEndpoint};
use bithive_content_store::{Cid, ContentStore, NodeStore};
use bithive_interface::data_vault::{QueryMsg as VaultQuery, Record};
use sha2::{Digest, Sha256};

use super::{
    plain, query_contract, read_deployment, refuse, store_checked, upload_slot, WebError,
    CONCURRENT_UPLOADS,
};

/// Largest sealed record file taken: the web app seals files of up to 16 MiB (the browser
/// package's `MAX_RECORD_PLAINTEXT`) and sealing adds a 24-byte nonce and a 16-byte tag.
/// Larger records go through `bithive vault put`.
pub const MAX_RECORD_FILE: u64 = (16 << 20) + 40;

/// Where the records routes keep sealed files.
#[derive(Clone)]
pub struct RecordsConfig {
    pub store: NodeStore,
}

impl std::fmt::Debug for RecordsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordsConfig").finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct RecordsState {
    store: NodeStore,
    rpc: Arc<HttpEndpoint>,
    deployment: PathBuf,
    uploads: Arc<tokio::sync::Semaphore>,
}

/// The records routes over `store`, for `rpc` (the chain's RPC URL) and the deployment file.
pub(super) fn routes(
    config: &RecordsConfig,
    rpc: &str,
    deployment: PathBuf,
) -> Result<Router, WebError> {
    let endpoint = HttpEndpoint::new(rpc, CompatVersion::V038, super::UPSTREAM_TIMEOUT)
        .map_err(|e| WebError::Records(e.to_string()))?;
    let state = RecordsState {
        store: config.store.clone(),
        rpc: Arc::new(endpoint),
        deployment,
        uploads: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_UPLOADS)),
    };
    Ok(Router::new()
        // The handler reads the body itself, under its own limit, once it holds a slot.
        .route(
            "/v1/records/{token_id}",
            get(download)
                .post(upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .with_state(state))
}

/// Token ids are the vault's decimal counter.
fn token_id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The vault's record `token_id`, or the answer to give when it cannot be read.
async fn vault_record(s: &RecordsState, token_id: &str) -> Result<Record, Response> {
    let deployment = read_deployment(&s.deployment).await?;
    let r: cw721::msg::NftInfoResponse<Record> = query_contract(
        &s.rpc,
        &deployment.contracts.data_vault,
        &VaultQuery::NftInfo {
            token_id: token_id.to_string(),
        },
        "the vault's answer is not a record\n",
        || format!("no record {token_id} in the vault: mint it first, then send its file"),
    )
    .await?;
    Ok(r.extension)
}

async fn upload(
    State(s): State<RecordsState>,
    Path(token_id): Path<String>,
    body: Body,
) -> Response {
    if !token_id_ok(&token_id) {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("{token_id:?} is not a record's token id"),
        );
    }
    let _permit = match upload_slot(&s.uploads).await {
        Ok(p) => p,
        Err(busy) => return busy,
    };
    // The record before the body: a file for no record is never read.
    let record = match vault_record(&s, &token_id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if record.size > MAX_RECORD_FILE {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "record {token_id} names a {} byte file; this server takes at most {MAX_RECORD_FILE} (use bithive vault put)",
                record.size
            ),
        );
    }
    let Ok(body) = axum::body::to_bytes(body, record.size as usize).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is longer than record {token_id}'s {} bytes or did not arrive whole",
                record.size
            ),
        );
    };
    if body.len() as u64 != record.size {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "record {token_id} is {} bytes; this file is {}",
                record.size,
                body.len()
            ),
        );
    }
    // Hashing up to 16 MiB twice: off the async workers.
    let hashed = tokio::task::spawn_blocking(move || {
        let sha = Sha256::digest(&body);
        let cid = bithive_content_id::cid_of(&body).to_string();
        (sha, cid, body)
    })
    .await;
    let Ok((sha, cid, body)) = hashed else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not read the file\n",
        );
    };
    if sha.as_slice() != record.ciphertext_sha256.as_slice() {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("this file is not record {token_id}'s (its sha256 differs)"),
        );
    }
    if cid != record.content_id {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "record {token_id} names content id {}, this file is {cid}",
                record.content_id
            ),
        );
    }
    store_checked(&s.store, &cid, &body).await
}

async fn download(State(s): State<RecordsState>, Path(token_id): Path<String>) -> Response {
    if !token_id_ok(&token_id) {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let record = match vault_record(&s, &token_id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Ok(cid) = record.content_id.parse::<Cid>() else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!(
                "record {token_id} names {:?}, which is not a content id",
                record.content_id
            ),
        );
    };
    if !matches!(s.store.has(&cid).await, Ok(true)) {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("record {token_id}'s file is not in this server's store (send it again)"),
        );
    }
    let sealed = match s.store.get_limited(&cid, record.size).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "reading a record failed");
            return plain(
                StatusCode::BAD_GATEWAY,
                "the content store did not give the file\n",
            );
        }
    };
    if Sha256::digest(&sealed).as_slice() != record.ciphertext_sha256.as_slice() {
        tracing::error!(%token_id, "a stored record's sha256 differs from the vault's");
        return plain(
            StatusCode::BAD_GATEWAY,
            "the stored file is not the one the vault records\n",
        );
    }
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from(sealed),
    )
        .into_response()
}
