//! A client of `bithive blinding serve` for programs that hold an account key themselves (the
//! demo's users and researcher, scripts), doing what the browser package does with a wallet:
//! blinds the tokens (H(x)*r), signs the call with the account's key (ADR-36, the text a wallet
//! shows), posts it and unblinds the answer. The service sees only blinded points and who asked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use bithive_matching::admission::{sign_request, AdmissionError};
use bithive_matching::group::{Blinded, OprfBatch};
use bithive_matching::service::{OprfPoints, MAX_OPRF_POINTS};
use bithive_matching::MatchingError;
use rand_chacha::rand_core::{CryptoRng, RngCore};

/// Calls made to a busy service before its 503 is returned, and the wait before the n-th retry
/// (n times this).
const BUSY_RETRIES: u32 = 8;
const BUSY_BACKOFF: std::time::Duration = std::time::Duration::from_millis(25);
/// The longest `Retry-After` of a rate-limited call (429) waited out; a longer one is returned.
const MAX_RETRY_AFTER_SECS: u64 = 10;
/// One exchange (connect, request, whole answer) at most: a service that accepts and stalls
/// fails the call instead of holding it.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Longest answer read: MAX_OPRF_POINTS hex points with JSON around them, with room.
const MAX_ANSWER: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BlindingClientError {
    #[error("blinding service URL {0:?}: expected http://host:port")]
    Url(String),
    #[error("{got} tokens in one call; the service takes at most {max}")]
    TooMany { got: usize, max: usize },
    #[error("blinding service at {addr}: {error}")]
    Http { addr: String, error: String },
    #[error("blinding service refused the call ({status}): {body}")]
    Refused { status: StatusCode, body: String },
    #[error("blinding service answer: {0}")]
    Answer(String),
    #[error(transparent)]
    Sign(#[from] AdmissionError),
    #[error(transparent)]
    Matching(#[from] MatchingError),
}

/// One blinding service, called for any number of accounts.
pub struct BlindingClient {
    /// host:port to connect to.
    addr: String,
    chain_id: String,
    prefix: String,
    /// The last nonce used by any account through this client: nonces must grow per account,
    /// and a wallet uses the time in ms, so this takes the time or one more than the last.
    last_nonce: AtomicU64,
}

impl BlindingClient {
    /// `url` is what `bithive blinding serve` prints (`http://127.0.0.1:8090`).
    pub fn new(url: &str, chain_id: &str, prefix: &str) -> Result<Self, BlindingClientError> {
        let addr = url
            .strip_prefix("http://")
            .map(|a| a.trim_end_matches('/'))
            .filter(|a| !a.is_empty() && !a.contains('/'))
            .ok_or_else(|| BlindingClientError::Url(url.to_string()))?;
        Ok(Self {
            addr: addr.to_string(),
            chain_id: chain_id.to_string(),
            prefix: prefix.to_string(),
            last_nonce: AtomicU64::new(0),
        })
    }

    fn nonce(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let prev = self
            .last_nonce
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .unwrap_or(0);
        now.max(prev + 1)
    }

    /// H(x)^a for each of `tokens`, in order, in one call signed by `key`'s account.
    pub async fn blind<R: RngCore + CryptoRng>(
        &self,
        key: &k256::ecdsa::SigningKey,
        tokens: &[String],
        rng: &mut R,
    ) -> Result<Vec<Blinded>, BlindingClientError> {
        if tokens.len() > MAX_OPRF_POINTS {
            return Err(BlindingClientError::TooMany {
                got: tokens.len(),
                max: MAX_OPRF_POINTS,
            });
        }
        let (batch, wire) = OprfBatch::new(tokens, rng);
        let points = OprfPoints::encode(&wire).points;
        // A busy service (503: its evaluations in flight are bounded) is asked again, and a
        // rate-limited call (429) after the `Retry-After` it names (up to 10 s), each time with
        // a fresh nonce; anything else it says is final.
        let mut attempt = 0;
        let (status, answer) = loop {
            let call = sign_request(
                key,
                &self.prefix,
                &self.chain_id,
                self.nonce(),
                points.clone(),
            )?;
            let body = serde_json::to_vec(&call).map_err(|e| self.http(e))?;
            let (status, retry_after, answer) = self.post("/v1/oprf", body).await?;
            attempt += 1;
            let wait = match (status, retry_after) {
                (StatusCode::SERVICE_UNAVAILABLE, _) => BUSY_BACKOFF * attempt,
                (StatusCode::TOO_MANY_REQUESTS, Some(s)) if s <= MAX_RETRY_AFTER_SECS => {
                    std::time::Duration::from_secs(s)
                }
                _ => break (status, answer),
            };
            if attempt == BUSY_RETRIES {
                break (status, answer);
            }
            tokio::time::sleep(wait).await;
        };
        if status != StatusCode::OK {
            let body = String::from_utf8_lossy(&answer).chars().take(300).collect();
            return Err(BlindingClientError::Refused { status, body });
        }
        let points: OprfPoints = serde_json::from_slice(&answer)
            .map_err(|e| BlindingClientError::Answer(e.to_string()))?;
        let evaluated = points
            .decode()
            .map_err(|e| BlindingClientError::Answer(e.to_string()))?;
        if evaluated.len() != wire.len() {
            return Err(BlindingClientError::Answer(format!(
                "{} points for {} asked",
                evaluated.len(),
                wire.len()
            )));
        }
        Ok(batch.finish(&evaluated)?)
    }

    fn http(&self, e: impl std::fmt::Display) -> BlindingClientError {
        BlindingClientError::Http {
            addr: self.addr.clone(),
            error: e.to_string(),
        }
    }

    /// The answer's status, its `Retry-After` in seconds (if any) and its body.
    async fn post(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Option<u64>, Vec<u8>), BlindingClientError> {
        tokio::time::timeout(CALL_TIMEOUT, self.exchange(path, body))
            .await
            .map_err(|_| self.http(format!("no answer within {} s", CALL_TIMEOUT.as_secs())))?
    }

    async fn exchange(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Option<u64>, Vec<u8>), BlindingClientError> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, &self.addr)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .map_err(|e| self.http(e))?;
        let stream = tokio::net::TcpStream::connect(&self.addr)
            .await
            .map_err(|e| self.http(e))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| self.http(e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let answer = sender.send_request(req).await.map_err(|e| self.http(e))?;
        let (parts, incoming) = answer.into_parts();
        let retry_after = parts
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes = axum::body::to_bytes(Body::new(incoming), MAX_ANSWER)
            .await
            .map_err(|e| self.http(e))?;
        Ok((parts.status, retry_after, bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_nonces() {
        for bad in ["https://a:1", "a:1", "http://", "http://a:1/x"] {
            assert!(BlindingClient::new(bad, "c", "bithive").is_err(), "{bad}");
        }
        let c = BlindingClient::new("http://127.0.0.1:8090/", "c", "bithive").unwrap();
        assert_eq!(c.addr, "127.0.0.1:8090");
        // Nonces grow even when asked within one millisecond.
        let (a, b, d) = (c.nonce(), c.nonce(), c.nonce());
        assert!(a < b && b < d, "{a} {b} {d}");
    }
}
