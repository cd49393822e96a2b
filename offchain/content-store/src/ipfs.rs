//! A kubo node's HTTP RPC API as a [`ContentStore`].
//!
//! - `put`: `POST /api/v0/add?cid-version=1&raw-leaves=true&chunker=size-<chunk>&hash=sha2-256
//!   &pin=true&progress=false`, one multipart/form-data part named `file`; the CID kubo answers
//!   must equal the one computed here (kubo's balanced layout has 174 links per node, so only a
//!   174-link profile such as [`Profile::KUBO_V1`] can agree on files over 174 chunks).
//! - `get`: `POST /api/v0/cat?arg=<cid>`; the bytes are re-imported locally and refused unless
//!   they give the same CID: a node (or the network behind it) cannot substitute content.
//! - `has`: `POST /api/v0/block/stat?arg=<cid>&offline=true` (local blocks only, no network
//!   search).
//!
//! Plain `http://` only: the API is a node-local control port (kubo's default 127.0.0.1:5001).

use std::time::Duration;

use bithive_content_id::cid_with;
use bytes::Bytes;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;

use crate::{Cid, ContentStore, Profile, StoreError, DEFAULT_MAX_OBJECT_BYTES};

#[derive(Debug, Clone)]
pub struct IpfsHttpConfig {
    /// `http://host:port` of kubo's RPC API.
    pub api: String,
    pub profile: Profile,
    pub max_object_bytes: u64,
    /// Per request (connect, send, whole response).
    pub timeout: Duration,
}

impl IpfsHttpConfig {
    pub fn new(api: impl Into<String>) -> Self {
        Self {
            api: api.into(),
            profile: Profile::KUBO_V1,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone)]
pub struct IpfsHttpStore {
    authority: String,
    cfg: IpfsHttpConfig,
}

/// Answers to small JSON requests (add, block/stat, errors) are never larger than this.
const MAX_JSON_ANSWER: usize = 64 * 1024;

#[derive(serde::Deserialize)]
struct AddAnswer {
    #[serde(rename = "Hash")]
    hash: String,
}

#[derive(serde::Deserialize)]
struct ErrorAnswer {
    #[serde(rename = "Message")]
    message: String,
}

impl IpfsHttpStore {
    pub fn new(cfg: IpfsHttpConfig) -> Result<Self, StoreError> {
        let authority = cfg
            .api
            .strip_prefix("http://")
            .map(|a| a.trim_end_matches('/'))
            .filter(|a| !a.is_empty() && !a.contains('/') && !a.contains('@'))
            .ok_or_else(|| {
                StoreError::Config(format!(
                    "IPFS API must be http://host:port, not {:?}",
                    cfg.api
                ))
            })?
            .to_string();
        Ok(Self { authority, cfg })
    }

    fn limit(&self) -> usize {
        usize::try_from(self.cfg.max_object_bytes).unwrap_or(usize::MAX)
    }

    /// One POST; returns (status, body) with the body capped at `limit` bytes.
    async fn call(
        &self,
        endpoint: &'static str,
        query: String,
        content_type: Option<String>,
        body: Bytes,
        limit: usize,
    ) -> Result<(u16, Bytes), StoreError> {
        let transport =
            |e: &dyn std::fmt::Display| StoreError::Transport(format!("{endpoint}: {e}"));
        let work = async {
            let stream = tokio::net::TcpStream::connect(&self.authority)
                .await
                .map_err(|e| transport(&e))?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| transport(&e))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v0/{endpoint}?{query}"))
                .header(header::HOST, &self.authority);
            if let Some(ct) = content_type {
                req = req.header(header::CONTENT_TYPE, ct);
            }
            let req = req.body(Full::new(body)).map_err(|e| transport(&e))?;
            let answer = sender.send_request(req).await.map_err(|e| transport(&e))?;
            let status = answer.status().as_u16();
            let body = Limited::new(answer.into_body(), limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        StoreError::TooLarge {
                            limit: limit as u64,
                        }
                    } else {
                        transport(&e)
                    }
                })?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.cfg.timeout, work)
            .await
            .map_err(|_| transport(&"timed out"))?
    }

    fn api_error(endpoint: &'static str, status: u16, body: &[u8]) -> StoreError {
        let message = serde_json::from_slice::<ErrorAnswer>(body)
            .map(|e| e.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned());
        StoreError::Api {
            endpoint,
            status,
            message,
        }
    }

    fn is_not_found(err: &StoreError) -> bool {
        matches!(err, StoreError::Api { status: 500, message, .. } if message.contains("not found"))
    }
}

impl ContentStore for IpfsHttpStore {
    async fn put(&self, data: &[u8]) -> Result<Cid, StoreError> {
        if data.len() as u64 > self.cfg.max_object_bytes {
            return Err(StoreError::TooLarge {
                limit: self.cfg.max_object_bytes,
            });
        }
        let owned = data.to_vec();
        let profile = self.cfg.profile;
        let (expected, owned) =
            tokio::task::spawn_blocking(move || (cid_with(&owned, profile), owned))
                .await
                .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;

        let mut tag = [0u8; 16];
        OsRng.fill_bytes(&mut tag);
        let boundary = format!("bithive-{}", hex::encode(tag));
        let mut body = Vec::with_capacity(owned.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&owned);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let query = format!(
            "cid-version=1&raw-leaves=true&chunker=size-{}&hash=sha2-256&pin=true&progress=false",
            profile.chunk_size()
        );
        let (status, answer) = self
            .call(
                "add",
                query,
                Some(format!("multipart/form-data; boundary={boundary}")),
                Bytes::from(body),
                MAX_JSON_ANSWER,
            )
            .await?;
        if status != 200 {
            return Err(Self::api_error("add", status, &answer));
        }
        // kubo streams one JSON object per line; the file's entry is the last one.
        let line = answer
            .split(|b| *b == b'\n')
            .rfind(|l| !l.iter().all(u8::is_ascii_whitespace))
            .unwrap_or_default();
        let added: AddAnswer = serde_json::from_slice(line)
            .map_err(|e| Self::api_error("add", status, format!("bad answer: {e}").as_bytes()))?;
        if added.hash != expected.to_string() {
            return Err(StoreError::CidMismatch {
                expected,
                got: added.hash,
            });
        }
        Ok(expected)
    }

    async fn get(&self, cid: &Cid) -> Result<Vec<u8>, StoreError> {
        self.get_limited(cid, u64::MAX).await
    }

    async fn get_limited(&self, cid: &Cid, limit: u64) -> Result<Vec<u8>, StoreError> {
        let limit = self
            .limit()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        let (status, body) = self
            .call("cat", format!("arg={cid}"), None, Bytes::new(), limit)
            .await?;
        if status != 200 {
            let err = Self::api_error("cat", status, &body);
            return Err(if Self::is_not_found(&err) {
                StoreError::NotFound(*cid)
            } else {
                err
            });
        }
        let data = body.to_vec();
        let profile = self.cfg.profile;
        let (got, data) = tokio::task::spawn_blocking(move || (cid_with(&data, profile), data))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        if got != *cid {
            return Err(StoreError::Tampered {
                cid: *cid,
                why: format!("the IPFS node served bytes whose CID is {got}"),
            });
        }
        Ok(data)
    }

    async fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        let (status, body) = self
            .call(
                "block/stat",
                format!("arg={cid}&offline=true"),
                None,
                Bytes::new(),
                MAX_JSON_ANSWER,
            )
            .await?;
        if status == 200 {
            return Ok(true);
        }
        let err = Self::api_error("block/stat", status, &body);
        if Self::is_not_found(&err) {
            Ok(false)
        } else {
            Err(err)
        }
    }
}
