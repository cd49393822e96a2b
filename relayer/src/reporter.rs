//! The attestors' epoch close, by themselves (ADR 007, decisions 1 and 4; `[attestor]` in
//! `relayer start`): the three steps of [`crate::work_report`] exchanged over the attestors' own
//! endpoints, with no coordinator.
//!
//! When a rewards epoch ends, each attestor publishes its signed tallies of it on its endpoint
//! (`GET /tallies/<chain>/<epoch>`). `settle` seconds later it fetches every other member's
//! tallies, signs its statement for each measured node and publishes them
//! (`GET /work/<chain>/<epoch>`). `settle` seconds after that it fetches every member's
//! statements and submits, for each node, the statement the most members signed if they are a
//! quorum ([`crate::work_report::agreed`]). Every step is deterministic given what was fetched, so
//! attestors that saw the same tallies sign the same bytes; one that saw fewer signs a statement
//! nobody else does and is left out, never blocking the rest. Each attestor submits; the
//! attestation contract accepts a node's report once (job id `work/<node>/<epoch>`), so a second
//! submission is refused at simulation and costs nothing. The report's `issued_at` is the epoch's
//! end plus `settle`, the same for all.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_bitchat::endpoint::Reply;
use bithive_chain_client::ChainClient;
use bithive_signed_attestation::signing::public_key;
use bithive_signed_attestation::PubKey33;
use k256::ecdsa::SigningKey;

use crate::attestor::{self, Prober};
use crate::error::RelayerError;
use crate::quorum::QuorumShare;
use crate::store::Store;
use crate::work_report::{self, TallyShare};

/// Most bytes of tallies or statements read from one attestor (about 2,000 nodes).
pub const MAX_EXCHANGE_BYTES: usize = 1 << 20;
/// Closed epochs whose tallies and statements an attestor keeps serving.
const KEEP_EPOCHS: usize = 4;

/// By (chain, epoch): this attestor's signed tallies and its work statements.
type ByEpoch = BTreeMap<(String, u64), (Option<TallyShare>, Vec<QuorumShare>)>;

/// What this attestor serves to the others.
#[derive(Default)]
pub struct Published {
    by_epoch: Mutex<ByEpoch>,
    /// By chain: this attestor's disagreeing re-execution verdicts ([`crate::reexecution`]).
    verdicts: Mutex<BTreeMap<String, Vec<crate::reexecution::PublishedVerdict>>>,
}

/// `(tallies?, chain, epoch)` of `/tallies/<chain>/<epoch>` or `/work/<chain>/<epoch>`.
fn parse_path(path: &str) -> Option<(bool, &str, u64)> {
    let (tallies, rest) = if let Some(r) = path.strip_prefix("/tallies/") {
        (true, r)
    } else {
        (false, path.strip_prefix("/work/")?)
    };
    let (chain, epoch) = rest.split_once('/')?;
    if chain.is_empty() || !chain.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return None;
    }
    Some((tallies, chain, epoch.parse().ok()?))
}

impl Published {
    pub fn new() -> Arc<Published> {
        Arc::new(Published::default())
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<(String, u64), (Option<TallyShare>, Vec<QuorumShare>)>) -> R,
    ) -> R {
        let mut m = self.by_epoch.lock().unwrap_or_else(|p| p.into_inner());
        let r = f(&mut m);
        while m.len() > KEEP_EPOCHS {
            let first = m.keys().next().cloned().expect("not empty");
            m.remove(&first);
        }
        r
    }

    pub fn tallies(&self, chain: &str, epoch: u64) -> Option<TallyShare> {
        self.with(|m| m.get(&(chain.to_string(), epoch)).and_then(|e| e.0.clone()))
    }

    pub fn work(&self, chain: &str, epoch: u64) -> Vec<QuorumShare> {
        self.with(|m| {
            m.get(&(chain.to_string(), epoch))
                .map(|e| e.1.clone())
                .unwrap_or_default()
        })
    }

    fn set_tallies(&self, chain: &str, epoch: u64, share: TallyShare) {
        self.with(|m| m.entry((chain.to_string(), epoch)).or_default().0 = Some(share));
    }

    fn set_work(&self, chain: &str, epoch: u64, shares: Vec<QuorumShare>) {
        self.with(|m| m.entry((chain.to_string(), epoch)).or_default().1 = shares);
    }

    /// Replaces the re-execution verdicts served for `chain`.
    pub fn set_verdicts(&self, chain: &str, v: Vec<crate::reexecution::PublishedVerdict>) {
        let mut m = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(chain.to_string(), v);
    }

    /// The reply to an exchange path (`None` for any other path; 404 while nothing is
    /// published). Re-execution verdicts are served as a list, empty when there are none.
    pub fn reply(&self, path: &str) -> Option<Reply> {
        if let Some(chain) = path.strip_prefix(crate::reexecution::REEXEC_PATH) {
            let m = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
            let list = m.get(chain).map(Vec::as_slice).unwrap_or_default();
            return serde_json::to_string(list)
                .ok()
                .map(|b| Reply::ok("application/json", b));
        }
        let (tallies, chain, epoch) = parse_path(path)?;
        let body = if tallies {
            self.tallies(chain, epoch)
                .and_then(|t| serde_json::to_string(&t).ok())
        } else {
            let w = self.work(chain, epoch);
            (!w.is_empty())
                .then(|| serde_json::to_string(&w).ok())
                .flatten()
        };
        Some(match body {
            Some(b) => Reply::ok("application/json", b),
            None => Reply::not_found(),
        })
    }
}

/// The contracts and the clock one reporter works with.
pub struct ReporterConfig {
    pub staking: String,
    pub rewards: String,
    pub attestation: String,
    /// Seconds between the steps (the others' time to publish).
    pub settle: u64,
    /// Per fetch from another attestor.
    pub timeout: Duration,
}

/// One attestor's epoch close on one chain.
pub struct Reporter {
    cfg: ReporterConfig,
    key: SigningKey,
    published: Arc<Published>,
    /// Locked only between awaits (the connection is not `Sync`).
    store: Mutex<Store>,
}

/// One node's report as an attestor submitted it.
#[derive(Debug)]
pub struct Submitted {
    pub job_id: String,
    pub signers: usize,
    /// `Ok` also when another attestor had submitted it first.
    pub result: Result<(), RelayerError>,
}

/// One member of the attestor set, as the others reach it.
struct Member {
    key: PubKey33,
    endpoint: Option<String>,
}

impl Reporter {
    pub fn new(
        cfg: ReporterConfig,
        key: SigningKey,
        published: Arc<Published>,
        store: Store,
    ) -> Reporter {
        Reporter {
            cfg,
            key,
            published,
            store: Mutex::new(store),
        }
    }

    /// Moves the close of the last ended epoch on, as far as `now` (chain time) allows. Returns
    /// the reports submitted in this step: job id, signers, outcome.
    pub async fn step(
        &mut self,
        client: &ChainClient,
        prober: &Prober,
        now: u64,
    ) -> Result<Vec<Submitted>, RelayerError> {
        let chain = client.chain_id().to_string();
        let Some(current) = prober.epoch_of(now) else {
            return Ok(vec![]);
        };
        let Some(epoch) = current.checked_sub(1) else {
            return Ok(vec![]);
        };
        if self.store().work_round_done(&chain, epoch)? {
            return Ok(vec![]);
        }
        let end = prober.epoch_start(current);
        if self.published.tallies(&chain, epoch).is_none() {
            let share = attestor::tally_share(prober, epoch, &self.key)?;
            self.published.set_tallies(&chain, epoch, share);
        }
        let (sign_at, submit_at) = (end + self.cfg.settle, end + 2 * self.cfg.settle);
        if now < sign_at {
            return Ok(vec![]);
        }
        let members = self.members(client).await?;
        let me = public_key(&self.key);
        if !members.iter().any(|m| m.key == me) {
            // Its tallies stay published for the members; its statements would not count.
            tracing::info!(%chain, epoch, "not in the attestor set: no work statements signed");
            self.store().mark_work_round_done(&chain, epoch)?;
            return Ok(vec![]);
        }
        if self.published.work(&chain, epoch).is_empty() {
            let own = self
                .published
                .tallies(&chain, epoch)
                .expect("published above");
            let mut tallies = vec![own];
            for m in members.iter().filter(|m| m.key != me) {
                if let Some(t) = self
                    .fetch::<TallyShare>(m, &format!("/tallies/{chain}/{epoch}"))
                    .await
                {
                    // A member serves its own tallies, nobody else's.
                    if t.signature.key == m.key {
                        tallies.push(t);
                    }
                }
            }
            let shares = attestor::work_shares(
                client,
                &self.cfg.staking,
                &self.cfg.rewards,
                &self.cfg.attestation,
                epoch,
                &tallies,
                sign_at,
                &self.key,
            )
            .await?;
            tracing::info!(%chain, epoch, tallies = tallies.len(), statements = shares.len(),
                "work statements signed");
            if shares.is_empty() {
                // Nothing measured: nothing to report this epoch.
                self.store().mark_work_round_done(&chain, epoch)?;
                return Ok(vec![]);
            }
            self.published.set_work(&chain, epoch, shares);
        }
        if now < submit_at {
            return Ok(vec![]);
        }
        let mut all = self.published.work(&chain, epoch);
        for m in members.iter().filter(|m| m.key != me) {
            if let Some(w) = self
                .fetch::<Vec<QuorumShare>>(m, &format!("/work/{chain}/{epoch}"))
                .await
            {
                all.extend(w);
            }
        }
        let k = attestor::quorum_threshold(client, &self.cfg.attestation).await?;
        let agreed = work_report::agreed(all, k);
        let mut results = Vec::new();
        for shares in agreed {
            let job = shares[0].attestation.job_id.clone();
            let signers = shares.len();
            let r = attestor::submit_work(client, &self.cfg.attestation, shares)
                .await
                .pop()
                .map(|(_, r)| r)
                .unwrap_or(Ok(()));
            let r = match r {
                // Another attestor submitted it first.
                Err(e) if e.to_string().contains("was already") => Ok(()),
                r => r,
            };
            match &r {
                Ok(()) => tracing::info!(%chain, epoch, %job, "work report submitted"),
                Err(e) => tracing::warn!(%chain, epoch, %job, error = %e, "work report refused"),
            }
            results.push(Submitted {
                job_id: job,
                signers,
                result: r,
            });
        }
        self.store().mark_work_round_done(&chain, epoch)?;
        Ok(results)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn members(&self, client: &ChainClient) -> Result<Vec<Member>, RelayerError> {
        Ok(attestor::attestor_members(client, &self.cfg.staking)
            .await?
            .into_iter()
            .map(|n| Member {
                key: n.operator_key,
                endpoint: n.endpoint,
            })
            .collect())
    }

    /// `path` from a member's endpoint, `None` (logged) when it cannot be had.
    async fn fetch<T: serde::de::DeserializeOwned>(&self, m: &Member, path: &str) -> Option<T> {
        let endpoint = m.endpoint.as_deref()?;
        let got = tokio::time::timeout(
            self.cfg.timeout,
            attestor::http_get(endpoint, path, MAX_EXCHANGE_BYTES),
        )
        .await
        .map_err(|_| "timed out".to_string())
        .and_then(|r| r)
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
        match got {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::info!(%endpoint, %path, error = %e, "attestor exchange");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_paths() {
        assert_eq!(parse_path("/tallies/c-1/4"), Some((true, "c-1", 4)));
        assert_eq!(parse_path("/work/c-1/0"), Some((false, "c-1", 0)));
        for bad in [
            "/tallies/c-1",
            "/work//3",
            "/work/c/x",
            "/probe/c/3",
            "/tallies/c/-1",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_last_epochs_are_kept() {
        let p = Published::default();
        for e in 0..10 {
            p.set_work("c", e, vec![]);
        }
        assert_eq!(p.by_epoch.lock().unwrap().len(), KEEP_EPOCHS);
        assert!(p.reply("/work/c/9").is_some());
        assert_eq!(
            p.reply("/work/c/9").unwrap().status,
            Reply::not_found().status
        );
        assert!(p.reply("/metrics").is_none());
    }
}
