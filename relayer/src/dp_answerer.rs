//! The differential-privacy answerer (issue #23): answers the data vault's paid aggregate
//! queries as a registered answerer.
//!
//! Each round it lists the vault's open datasets and their pending, unexpired queries (bounded
//! pages), and answers each: it reads the dataset's live members, opens each record key sealed
//! to this relayer's Noise key (derived from its operator key, bound to the vault, the record
//! and this account), fetches the record from the content store by its CID (checked against
//! it), decrypts it, and releases the aggregate through OpenDP (`bithive-dp-answer`), which
//! checks the release costs at most the query's epsilon. The vault pays the answerer once and
//! keeps the budget; the chain is the only state, so a restart simply looks again.

use std::sync::Arc;
use std::time::Duration;

use bithive_bitchat::NodeIdentity;
use bithive_chain_client::ChainClient;
use bithive_content_store::record::{field_value, key_header, open_record};
use bithive_content_store::{ContentStore, NodeStore};
use bithive_interface::data_vault::{
    Dataset, DatasetsResponse, DpQueriesResponse, DpQuery, DpQueryStatus, ExecuteMsg,
    MembersResponse, Membership, QueryKind, QueryMsg, Record, MAX_DATASET_MEMBERS,
};
use zeroize::Zeroize;

use crate::config::{DpSection, StoreFields};
use crate::error::RelayerError;
use crate::metrics::Metrics;

/// Page size of every listing (the vault's own maximum is 30).
const PAGE: u32 = 30;
/// Pages of datasets, and of one dataset's queries, read per round: a bound on one round's
/// work. Queries resume each round after the last settled one ([`DpAnswerer::cursors`]), so a
/// long history is caught up over rounds, never skipped.
const MAX_PAGES: usize = 20;

/// Why one query was not answered this round.
#[derive(Debug, thiserror::Error)]
pub enum DpAnswerError {
    #[error("chain: {0}")]
    Chain(String),
    #[error("answer: {0}")]
    Answer(#[from] bithive_dp_answer::DpError),
}

pub struct DpAnswerer {
    /// Per dataset: the id of the last query of its settled prefix (answered, refunded or
    /// expired), where the next round starts reading. In memory: a restart reads from the start.
    cursors: std::sync::Mutex<std::collections::HashMap<u64, u64>>,
    vault: String,
    store: NodeStore,
    identity: NodeIdentity,
    poll: Duration,
}

impl DpAnswerer {
    /// From the config section and the operator's secret key (the answering account).
    pub fn new(
        section: &DpSection,
        vault: String,
        operator_secret: &[u8; 32],
    ) -> Result<Self, RelayerError> {
        if !bithive_dp_answer::SECURE_RNG {
            if !section.allow_insecure_rng {
                return Err(RelayerError::Config(
                    "dp: this build samples differential-privacy noise from OpenDP's \
                     non-cryptographic default RNG; build with the `secure-rng` feature (the \
                     bithive-relayer binary has it) or, for a demo or test only, set \
                     allow_insecure_rng = true"
                        .into(),
                ));
            }
            tracing::warn!("dp: answering with OpenDP's non-cryptographic RNG (allow_insecure_rng; demos and tests only)");
        }
        let store = section.open_store("dp")?;
        let identity = NodeIdentity::from_secret(operator_secret)
            .map_err(|e| RelayerError::Config(format!("dp identity: {e}")))?;
        Ok(Self {
            cursors: Default::default(),
            vault,
            store,
            identity,
            poll: Duration::from_millis(section.poll_interval_ms.clamp(100, 60_000)),
        })
    }

    /// Answers until `stop` turns true.
    pub async fn run(
        self,
        client: Arc<ChainClient>,
        metrics: Arc<Metrics>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), RelayerError> {
        let chain = client.chain_id().to_string();
        tracing::info!(%chain, vault = %self.vault, answerer = %client.address(), "dp answerer started");
        loop {
            match self.round(&client, &metrics, &chain).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(%chain, answered = n, "dp queries answered"),
                Err(e) => tracing::warn!(%chain, error = %e, "dp round"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }

    /// One pass over the open datasets; returns the queries answered.
    pub async fn round(
        &self,
        client: &ChainClient,
        metrics: &Metrics,
        chain: &str,
    ) -> Result<usize, DpAnswerError> {
        let now = client
            .rpc()
            .latest_block_time()
            .await
            .map_err(|e| DpAnswerError::Chain(e.to_string()))?;
        let mut answered = 0;
        for dataset in self.datasets(client).await? {
            if dataset.closed {
                continue;
            }
            for q in self.pending(client, dataset.id, now).await? {
                match self.answer(client, &q, metrics).await {
                    Ok(()) => {
                        answered += 1;
                        metrics
                            .dp_queries
                            .with_label_values(&[chain, "answered"])
                            .inc();
                    }
                    Err(e) => {
                        metrics
                            .dp_queries
                            .with_label_values(&[chain, "failed"])
                            .inc();
                        tracing::warn!(%chain, query = q.id, error = %e, "dp query not answered");
                    }
                }
            }
        }
        Ok(answered)
    }

    async fn query<M: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        client: &ChainClient,
        msg: &M,
    ) -> Result<R, DpAnswerError> {
        client
            .query_typed(&self.vault, msg)
            .await
            .map_err(|e| DpAnswerError::Chain(e.to_string()))
    }

    async fn datasets(&self, client: &ChainClient) -> Result<Vec<Dataset>, DpAnswerError> {
        let mut out: Vec<Dataset> = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: DatasetsResponse = self
                .query(
                    client,
                    &QueryMsg::Datasets {
                        start_after: out.last().map(|d| d.id),
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let n = page.datasets.len();
            out.extend(page.datasets);
            if n < PAGE as usize {
                return Ok(out);
            }
        }
        tracing::warn!(
            datasets = out.len(),
            "more datasets than one round reads: only the first are served"
        );
        Ok(out)
    }

    /// The dataset's queries still pending and answerable (strictly before their expiry), from
    /// its cursor on; moves the cursor past the settled prefix.
    async fn pending(
        &self,
        client: &ChainClient,
        dataset_id: u64,
        now: u64,
    ) -> Result<Vec<DpQuery>, DpAnswerError> {
        let from = self
            .cursors
            .lock()
            .ok()
            .and_then(|c| c.get(&dataset_id).copied());
        let (mut out, mut start_after, mut settled) = (Vec::new(), from, from);
        let mut prefix = true;
        for _ in 0..MAX_PAGES {
            let page: DpQueriesResponse = self
                .query(
                    client,
                    &QueryMsg::DpQueries {
                        dataset_id,
                        start_after,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let n = page.queries.len();
            start_after = page.queries.last().map(|q| q.id).or(start_after);
            for q in page.queries {
                let open = q.status == DpQueryStatus::Pending && q.expires_at.seconds() > now;
                if open {
                    prefix = false;
                    out.push(q);
                } else if prefix {
                    settled = Some(q.id);
                }
            }
            if n < PAGE as usize {
                break;
            }
        }
        if let (Some(id), Ok(mut c)) = (settled, self.cursors.lock()) {
            c.insert(dataset_id, id);
        }
        Ok(out)
    }

    /// The values the query reads, one per readable live member: its field (count: any record
    /// counts). A member this answerer cannot read (its key sealed to someone else or garbage,
    /// its record absent from the store, altered or undecryptable) is left out, with a warning
    /// and the `skipped` metric: otherwise any record owner could stop every query of a dataset
    /// by joining it with a bad key. Leaving one record out is within differential privacy's
    /// neighbouring datasets, so the epsilon accounting holds. Chain errors fail the round.
    async fn member_values(
        &self,
        client: &ChainClient,
        q: &DpQuery,
        metrics: &Metrics,
    ) -> Result<Vec<Option<i64>>, DpAnswerError> {
        let field = match &q.kind {
            QueryKind::Count {} => None,
            QueryKind::Mean { field, .. } | QueryKind::Histogram { field, .. } => Some(field),
        };
        let me = client.address().to_string();
        let chain = client.chain_id().to_string();
        let mut values = Vec::new();
        let mut start_after: Option<String> = None;
        // Every member counts: pages up to the vault's cap on a dataset's members.
        let max_pages = MAX_DATASET_MEMBERS.div_ceil(PAGE) as usize + 1;
        for _ in 0..max_pages {
            let page: MembersResponse = self
                .query(
                    client,
                    &QueryMsg::Members {
                        dataset_id: q.dataset_id,
                        start_after: start_after.clone(),
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let n = page.members.len();
            start_after = page.members.last().map(|m| m.membership.token_id.clone());
            for m in page.members.into_iter().filter(|m| m.live) {
                let token_id = m.membership.token_id.clone();
                match self.read_member(client, &me, &m.membership).await? {
                    Ok(plain) => values.push(match field {
                        None => Some(0),
                        Some(f) => field_value(&plain, f),
                    }),
                    Err(why) => {
                        metrics
                            .dp_queries
                            .with_label_values(&[chain.as_str(), "member_skipped"])
                            .inc();
                        tracing::warn!(query = q.id, dataset = q.dataset_id, %token_id, %why, "dataset member unreadable: left out");
                    }
                }
            }
            if n < PAGE as usize {
                break;
            }
        }
        Ok(values)
    }

    /// One member's record plaintext; the inner error says why it cannot be read.
    async fn read_member(
        &self,
        client: &ChainClient,
        me: &str,
        m: &Membership,
    ) -> Result<Result<Vec<u8>, String>, DpAnswerError> {
        // Refused before anything is fetched: a key sealed to another holder or record.
        let key = match self.identity.open_sealed(
            &key_header(&self.vault, &m.token_id, me),
            m.wrapped_key.as_slice(),
        ) {
            Ok((_, key)) => key,
            Err(e) => return Ok(Err(format!("record key: {e}"))),
        };
        let Ok(mut key) = <[u8; 32]>::try_from(key) else {
            return Ok(Err("record key is not 32 bytes".into()));
        };
        let info: cw721::msg::NftInfoResponse<Record> = self
            .query(
                client,
                &QueryMsg::NftInfo {
                    token_id: m.token_id.clone(),
                },
            )
            .await?;
        let plain = match bithive_content_id::parse_cid(&info.extension.content_id) {
            Err(e) => Err(format!("content id: {e}")),
            Ok(cid) => match self.store.get(&cid).await {
                Err(e) => Err(format!("fetch: {e}")),
                // The ciphertext must be the one the record names (and an issuer endorsed): a
                // record whose content id points at other bytes is left out (issue #43).
                Ok(sealed)
                    if <sha2::Sha256 as sha2::Digest>::digest(&sealed).as_slice()
                        != info.extension.ciphertext_sha256.as_slice() =>
                {
                    Err("the stored ciphertext is not the one the record names (sha256)".into())
                }
                Ok(sealed) => open_record(&sealed, &key).map_err(|e| e.to_string()),
            },
        };
        key.zeroize();
        Ok(plain)
    }

    async fn answer(
        &self,
        client: &ChainClient,
        q: &DpQuery,
        metrics: &Metrics,
    ) -> Result<(), DpAnswerError> {
        let values = self.member_values(client, q, metrics).await?;
        let answer = bithive_dp_answer::answer(&q.kind, q.epsilon, &values)?;
        let msg = client
            .execute_msg(
                &self.vault,
                &ExecuteMsg::SubmitAnswer {
                    query_id: q.id,
                    answer,
                },
            )
            .map_err(|e| DpAnswerError::Chain(e.to_string()))?;
        let out = client
            .submit(vec![msg], "")
            .await
            .map_err(|e| DpAnswerError::Chain(e.to_string()))?;
        tracing::info!(query = q.id, dataset = q.dataset_id, epsilon = %q.epsilon, members = values.len(), height = out.height, "dp query answered");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build without OpenDP's secure randomness answers only when the operator says it
    /// accepts that (demos, tests); a build with it answers either way.
    #[test]
    fn an_insecure_rng_build_answers_only_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("store.key");
        std::fs::write(&key_file, hex::encode([3u8; 32])).unwrap();
        let mut section = DpSection {
            chain_id: "c".into(),
            store_dir: Some(dir.path().join("store")),
            store_key_file: Some(key_file),
            ipfs_api: None,
            poll_interval_ms: 1_000,
            allow_insecure_rng: false,
        };
        let made = DpAnswerer::new(&section, "vault".into(), &[7u8; 32]);
        if bithive_dp_answer::SECURE_RNG {
            assert!(made.is_ok());
        } else {
            let Err(e) = made else {
                panic!("an insecure-RNG build answered without allow_insecure_rng")
            };
            assert!(e.to_string().contains("secure-rng"), "{e}");
        }
        section.allow_insecure_rng = true;
        assert!(DpAnswerer::new(&section, "vault".into(), &[7u8; 32]).is_ok());
    }
}
