//! Parallel, verified, resumable download of a manifest's chunks from several peers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex as StdMutex};

use crate::chunks::Manifest;
use crate::error::BitChatError;
use crate::frame::Frame;

use super::Node;

/// Result of a chunked fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchReport {
    pub fetched: usize,
    pub already_had: usize,
}

impl Node {
    /// Fetch every missing chunk of `manifest` from `peers` in parallel (two streams per peer),
    /// verifying each. Chunks already present are skipped, so a failed fetch resumes.
    pub async fn fetch_chunks(
        &self,
        manifest: &Manifest,
        peers: &[SocketAddr],
    ) -> Result<FetchReport, BitChatError> {
        let missing = self.inner.core.chunks().missing(manifest);
        let already_had = manifest.chunks.len() - missing.len();
        let queue = Arc::new(StdMutex::new(
            missing.iter().map(|h| (*h, 0u32)).collect::<VecDeque<_>>(),
        ));
        let max_attempts = 3 * peers.len().max(1) as u32;
        let mut workers = Vec::new();
        for &peer in peers {
            for _ in 0..2 {
                let inner = self.inner.clone();
                let queue = queue.clone();
                workers.push(tokio::spawn(async move {
                    let mut fetched = 0usize;
                    let mut failures = 0u32;
                    while failures < 3 {
                        let Some((hash, attempts)) =
                            queue.lock().ok().and_then(|mut q| q.pop_front())
                        else {
                            break;
                        };
                        let ok = match inner.request(peer, &Frame::ChunkGet { hash }).await {
                            Ok((_, frames)) => match frames.into_iter().next() {
                                Some(Frame::ChunkData { hash: h, data }) if h == hash => {
                                    let good = inner
                                        .core
                                        .chunks()
                                        .put_verified(&hash, &data)
                                        .unwrap_or(false);
                                    if !good {
                                        inner.core.metrics().drop_reason("bad_chunk");
                                    }
                                    good
                                }
                                _ => false,
                            },
                            Err(_) => false,
                        };
                        if ok {
                            fetched += 1;
                            failures = 0;
                            inner.core.metrics().chunks_fetched.inc();
                        } else {
                            failures += 1;
                            if attempts + 1 < max_attempts {
                                if let Ok(mut q) = queue.lock() {
                                    q.push_back((hash, attempts + 1));
                                }
                            }
                        }
                    }
                    fetched
                }));
            }
        }
        let mut fetched = 0;
        for w in workers {
            fetched += w.await.unwrap_or(0);
        }
        let still = self.inner.core.chunks().missing(manifest).len();
        if still > 0 {
            return Err(BitChatError::Chunk(format!(
                "{still} chunks missing after fetching {fetched}"
            )));
        }
        Ok(FetchReport {
            fetched,
            already_had,
        })
    }
}
