//! The persisted work queue and event cursor (SQLite, WAL, synchronous=FULL).
//!
//! A job moves `received -> working -> signed -> broadcast -> committed` (or `failed`). Each
//! transition is one SQLite transaction, and a block's new jobs are written in the same
//! transaction as the cursor move past that block: a crash never skips an event, and a block
//! read twice inserts nothing twice (`INSERT OR IGNORE` on the job id).
use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::RelayerError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Received,
    Working,
    Signed,
    Broadcast,
    Committed,
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Received,
        JobState::Working,
        JobState::Signed,
        JobState::Broadcast,
        JobState::Committed,
        JobState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Received => "received",
            JobState::Working => "working",
            JobState::Signed => "signed",
            JobState::Broadcast => "broadcast",
            JobState::Committed => "committed",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A job as found in a chain event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    pub chain_id: String,
    pub contract: String,
    /// `inference`, ...
    pub kind: String,
    pub job_id: String,
    pub height: u64,
    /// The event's attributes (model, input_hash, ...).
    pub attributes: Vec<(String, String)>,
}

impl NewJob {
    /// Unique key of a job in the queue.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.chain_id, self.contract, self.kind, self.job_id
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub job: NewJob,
    pub state: JobState,
    /// Worker result (JSON).
    pub result: Option<String>,
    /// `bithive_signed_attestation::Attestation` JSON.
    pub attestation: Option<String>,
    /// `Signature64` JSON.
    pub signature: Option<String>,
    pub tx_hash: Option<String>,
    pub committed_height: Option<u64>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

pub struct Store {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cursor (
    chain_id TEXT PRIMARY KEY,
    height INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    attestation TEXT,
    signature TEXT,
    tx_hash TEXT,
    committed_height INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (chain_id, state, seq);
-- An attestor's availability probes (`crate::attestor`): one row per scheduled probe, written
-- when it was sent (answered 1 or 0) or skipped while the attestor was down (answered NULL).
CREATE TABLE IF NOT EXISTS probes (
    chain_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    node TEXT NOT NULL,
    slot INTEGER NOT NULL,
    answered INTEGER,
    at INTEGER NOT NULL,
    PRIMARY KEY (chain_id, epoch, node, slot)
);
-- An attestor's benchmark challenges (`crate::benchmark`): one row per scheduled challenge,
-- written `pending` before it is sent and given its outcome when it ends (`passed` with the
-- figures, `failed`, `disagreed` with the node's signed answer as evidence), or `skipped`
-- while the attestor was down. A `pending` row left by a crash counts as skipped.
CREATE TABLE IF NOT EXISTS bench_challenges (
    chain_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    node TEXT NOT NULL,
    slot INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    result TEXT,
    evidence TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (chain_id, epoch, node, slot)
);
-- An attestor's re-executions of paid jobs (`crate::reexecution`): one row per job it re-ran
-- (sampled, or found wrong by another member), `agreed`, `disagreed` with its signed verdict
-- (JSON), or `unverifiable`; `retry` (with its `attempts`) while a failure was worth another
-- try; `proven` once the fraud proof was accepted.
CREATE TABLE IF NOT EXISTS reexecutions (
    chain_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    node TEXT NOT NULL,
    outcome TEXT NOT NULL,
    verdict TEXT,
    proven INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (chain_id, job_id)
);
-- The last block the re-executor read, per chain.
CREATE TABLE IF NOT EXISTS reexecution_cursor (
    chain_id TEXT PRIMARY KEY,
    height INTEGER NOT NULL
);
-- Epochs whose work reports this attestor has closed (`crate::reporter`).
CREATE TABLE IF NOT EXISTS work_rounds (
    chain_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    PRIMARY KEY (chain_id, epoch)
);
";

fn json_err(e: serde_json::Error) -> RelayerError {
    RelayerError::Config(format!("corrupt job payload: {e}"))
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, RelayerError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn open_in_memory() -> Result<Store, RelayerError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, RelayerError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// Whether probe `slot` of `node` in `epoch` was already sent or skipped.
    pub fn probe_recorded(
        &self,
        chain_id: &str,
        epoch: u64,
        node: &str,
        slot: usize,
    ) -> Result<bool, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM probes WHERE chain_id = ?1 AND epoch = ?2 AND node = ?3 AND slot = ?4",
                params![chain_id, epoch as i64, node, slot as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records one probe: `Some(answered)` when sent, `None` when skipped. A slot is recorded
    /// once; a second record of it is ignored.
    pub fn record_probe(
        &self,
        chain_id: &str,
        epoch: u64,
        node: &str,
        slot: usize,
        answered: Option<bool>,
        at: u64,
    ) -> Result<(), RelayerError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO probes (chain_id, epoch, node, slot, answered, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                chain_id,
                epoch as i64,
                node,
                slot as i64,
                answered,
                at as i64
            ],
        )?;
        Ok(())
    }

    /// Every probed node's tally in `epoch` (skipped probes are not counted), by node.
    pub fn probe_tallies(
        &self,
        chain_id: &str,
        epoch: u64,
    ) -> Result<Vec<(String, crate::probe::Tally)>, RelayerError> {
        let mut stmt = self.conn.prepare(
            "SELECT node, SUM(answered = 1), COUNT(answered) FROM probes \
             WHERE chain_id = ?1 AND epoch = ?2 GROUP BY node ORDER BY node",
        )?;
        let rows = stmt.query_map(params![chain_id, epoch as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                crate::probe::Tally {
                    answered: r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u32,
                    probed: r.get::<_, i64>(2)? as u32,
                },
            ))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Whether benchmark `slot` of `node` in `epoch` was already sent or skipped.
    pub fn bench_recorded(
        &self,
        chain_id: &str,
        epoch: u64,
        node: &str,
        slot: usize,
    ) -> Result<bool, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM bench_challenges WHERE chain_id = ?1 AND epoch = ?2 AND node = ?3 \
                 AND slot = ?4",
                params![chain_id, epoch as i64, node, slot as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records benchmark `slot` of `node` in `epoch` as `pending` (about to be sent) or
    /// `skipped`; a slot is recorded once, a second record of it is ignored.
    pub fn open_bench(
        &self,
        chain_id: &str,
        epoch: u64,
        node: &str,
        slot: usize,
        skipped: bool,
        at: u64,
    ) -> Result<(), RelayerError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO bench_challenges (chain_id, epoch, node, slot, outcome, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                chain_id,
                epoch as i64,
                node,
                slot as i64,
                if skipped { "skipped" } else { "pending" },
                at as i64
            ],
        )?;
        Ok(())
    }

    /// Gives a pending benchmark its outcome.
    pub fn close_bench(
        &self,
        chain_id: &str,
        epoch: u64,
        node: &str,
        slot: usize,
        outcome: &crate::work_report::BenchOutcome,
        at: u64,
    ) -> Result<(), RelayerError> {
        use crate::work_report::BenchOutcome;
        let (name, result, evidence) = match outcome {
            BenchOutcome::Passed(b) => (
                "passed",
                Some(serde_json::to_string(b).map_err(json_err)?),
                None,
            ),
            BenchOutcome::Failed(_) => ("failed", None, None),
            BenchOutcome::Disagreed { answer, .. } => ("disagreed", None, Some(answer.clone())),
        };
        self.conn.execute(
            "UPDATE bench_challenges SET outcome = ?5, result = ?6, evidence = ?7, at = ?8 \
             WHERE chain_id = ?1 AND epoch = ?2 AND node = ?3 AND slot = ?4 \
             AND outcome = 'pending'",
            params![
                chain_id,
                epoch as i64,
                node,
                slot as i64,
                name,
                result,
                evidence,
                at as i64
            ],
        )?;
        Ok(())
    }

    /// Each challenged node's benchmarks in `epoch`: how many ended (passed, failed or
    /// disagreed), and the best passed one (highest Pcompute: a node busy with paid work during
    /// one challenge is not held to it), none at all once one answer disagreed with this
    /// attestor's own run (a signed wrong output voids the node's epoch here).
    pub fn bench_summary(
        &self,
        chain_id: &str,
        epoch: u64,
    ) -> Result<BTreeMap<String, crate::work_report::BenchSummary>, RelayerError> {
        let mut stmt = self.conn.prepare(
            "SELECT node, outcome, result FROM bench_challenges WHERE chain_id = ?1 \
             AND epoch = ?2 AND outcome IN ('passed', 'failed', 'disagreed')",
        )?;
        let rows = stmt.query_map(params![chain_id, epoch as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out: BTreeMap<String, crate::work_report::BenchSummary> = BTreeMap::new();
        let mut voided = std::collections::BTreeSet::new();
        for row in rows {
            let (node, outcome, result) = row?;
            let entry = out.entry(node.clone()).or_default();
            entry.attempted += 1;
            match (outcome.as_str(), result) {
                ("passed", Some(json)) => {
                    let b: crate::work_report::BenchTally =
                        serde_json::from_str(&json).map_err(json_err)?;
                    if entry.best.is_none_or(|best| b.pcompute > best.pcompute) {
                        entry.best = Some(b);
                    }
                }
                ("disagreed", _) => {
                    voided.insert(node);
                }
                _ => {}
            }
        }
        for node in voided {
            if let Some(e) = out.get_mut(&node) {
                e.best = None;
            }
        }
        Ok(out)
    }

    /// Whether this attestor closed `epoch`'s work reports.
    pub fn work_round_done(&self, chain_id: &str, epoch: u64) -> Result<bool, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM work_rounds WHERE chain_id = ?1 AND epoch = ?2",
                params![chain_id, epoch as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn mark_work_round_done(&self, chain_id: &str, epoch: u64) -> Result<(), RelayerError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO work_rounds (chain_id, epoch) VALUES (?1, ?2)",
            params![chain_id, epoch as i64],
        )?;
        Ok(())
    }

    /// Whether this attestor already re-ran escrow job `job_id`.
    pub fn reexecuted(&self, chain_id: &str, job_id: &str) -> Result<bool, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM reexecutions WHERE chain_id = ?1 AND job_id = ?2
                 AND outcome != 'retry'",
                params![chain_id, job_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records what this attestor's re-run of `job_id` found (the first record stays).
    pub fn record_reexecution(
        &self,
        chain_id: &str,
        job_id: &str,
        node: &str,
        outcome: &crate::reexecution::Outcome,
    ) -> Result<(), RelayerError> {
        use crate::reexecution::Outcome;
        let (name, verdict) = match outcome {
            Outcome::Agreed => ("agreed", None),
            Outcome::Disagreed(v) => (
                "disagreed",
                Some(serde_json::to_string(v).map_err(json_err)?),
            ),
            Outcome::Unverifiable(_) => ("unverifiable", None),
        };
        // A final outcome replaces a retry, never another final outcome.
        self.conn.execute(
            "INSERT INTO reexecutions (chain_id, job_id, node, outcome, verdict, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM reexecutions))
             ON CONFLICT(chain_id, job_id) DO UPDATE SET outcome = excluded.outcome,
               verdict = excluded.verdict, node = excluded.node
             WHERE reexecutions.outcome = 'retry'",
            params![chain_id, job_id, node, name, verdict],
        )?;
        Ok(())
    }

    /// A re-run of `job_id` failed for a reason worth another try: one more attempt counted.
    pub fn retry_reexecution(
        &self,
        chain_id: &str,
        job_id: &str,
        node: &str,
    ) -> Result<(), RelayerError> {
        self.keep_for_retry(chain_id, job_id, node, 1)
    }

    /// A re-run of `job_id` could not reach what it needs (the chain, the engine): kept to try
    /// again, with no attempt counted.
    pub fn defer_reexecution(
        &self,
        chain_id: &str,
        job_id: &str,
        node: &str,
    ) -> Result<(), RelayerError> {
        self.keep_for_retry(chain_id, job_id, node, 0)
    }

    /// `job_id` kept (or still) to be re-run, with `attempts` more attempts counted.
    fn keep_for_retry(
        &self,
        chain_id: &str,
        job_id: &str,
        node: &str,
        attempts: i64,
    ) -> Result<(), RelayerError> {
        self.conn.execute(
            "INSERT INTO reexecutions (chain_id, job_id, node, outcome, attempts, seq)
             VALUES (?1, ?2, ?3, 'retry', ?4,
               (SELECT COALESCE(MAX(seq), 0) + 1 FROM reexecutions))
             ON CONFLICT(chain_id, job_id) DO UPDATE SET attempts = attempts + ?4
             WHERE reexecutions.outcome = 'retry'",
            params![chain_id, job_id, node, attempts],
        )?;
        Ok(())
    }

    /// Jobs to try again (fewer than `max` attempts so far); those that used them up are
    /// recorded as not re-executable here.
    pub fn reexecution_retries(
        &self,
        chain_id: &str,
        max: u32,
    ) -> Result<Vec<crate::reexecution::AcceptedJob>, RelayerError> {
        self.conn.execute(
            "UPDATE reexecutions SET outcome = 'unverifiable'
             WHERE chain_id = ?1 AND outcome = 'retry' AND attempts >= ?2",
            params![chain_id, max as i64],
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT job_id, node FROM reexecutions WHERE chain_id = ?1 AND outcome = 'retry'
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![chain_id], |r| {
            Ok(crate::reexecution::AcceptedJob {
                job_id: r.get(0)?,
                node: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// This attestor's latest `limit` disagreeing verdicts whose fraud proof is not accepted
    /// yet: what it publishes and tries to prove.
    pub fn open_disagreements(
        &self,
        chain_id: &str,
        limit: usize,
    ) -> Result<Vec<crate::reexecution::PublishedVerdict>, RelayerError> {
        let mut stmt = self.conn.prepare(
            "SELECT verdict FROM reexecutions WHERE chain_id = ?1 AND outcome = 'disagreed'
             AND proven = 0 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![chain_id, limit as i64], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for v in rows {
            out.push(serde_json::from_str(&v?).map_err(json_err)?);
        }
        Ok(out)
    }

    pub fn mark_reexecution_proven(
        &self,
        chain_id: &str,
        job_id: &str,
    ) -> Result<(), RelayerError> {
        self.conn.execute(
            "UPDATE reexecutions SET proven = 1 WHERE chain_id = ?1 AND job_id = ?2",
            params![chain_id, job_id],
        )?;
        Ok(())
    }

    pub fn reexecution_cursor(&self, chain_id: &str) -> Result<Option<u64>, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT height FROM reexecution_cursor WHERE chain_id = ?1",
                params![chain_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|h| h as u64))
    }

    pub fn set_reexecution_cursor(&self, chain_id: &str, height: u64) -> Result<(), RelayerError> {
        self.conn.execute(
            "INSERT INTO reexecution_cursor (chain_id, height) VALUES (?1, ?2)
             ON CONFLICT(chain_id) DO UPDATE SET height = excluded.height",
            params![chain_id, height as i64],
        )?;
        Ok(())
    }

    pub fn cursor(&self, chain_id: &str) -> Result<Option<u64>, RelayerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT height FROM cursor WHERE chain_id = ?1",
                params![chain_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|h| h as u64))
    }

    /// Records the jobs of block `height` and moves the cursor to it, atomically. Returns the
    /// number of jobs that were new.
    pub fn ingest_block(
        &mut self,
        chain_id: &str,
        height: u64,
        jobs: &[NewJob],
    ) -> Result<usize, RelayerError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let first_seq: i64 =
                tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs", [], |r| {
                    r.get(0)
                })?;
            let mut ins = tx.prepare(
                "INSERT OR IGNORE INTO jobs (id, chain_id, payload, state, seq) VALUES (?1, ?2, ?3, 'received', ?4)",
            )?;
            for (seq, j) in (first_seq..).zip(jobs) {
                let payload = serde_json::to_string(j).map_err(json_err)?;
                added += ins.execute(params![j.key(), chain_id, payload, seq])?;
            }
        }
        tx.execute(
            "INSERT INTO cursor (chain_id, height) VALUES (?1, ?2)
             ON CONFLICT(chain_id) DO UPDATE SET height = excluded.height",
            params![chain_id, height as i64],
        )?;
        tx.commit()?;
        Ok(added)
    }

    fn row_to_record(
        r: &rusqlite::Row<'_>,
    ) -> rusqlite::Result<(String, String, String, JobRecordTail)> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            JobRecordTail {
                result: r.get(3)?,
                attestation: r.get(4)?,
                signature: r.get(5)?,
                tx_hash: r.get(6)?,
                committed_height: r.get::<_, Option<i64>>(7)?.map(|h| h as u64),
                attempts: r.get::<_, i64>(8)? as u32,
                last_error: r.get(9)?,
            },
        ))
    }

    /// Jobs of `chain_id` in `state`, oldest first.
    pub fn jobs_in_state(
        &self,
        chain_id: &str,
        state: JobState,
        limit: usize,
    ) -> Result<Vec<JobRecord>, RelayerError> {
        let mut st = self.conn.prepare(
            "SELECT id, payload, state, result, attestation, signature, tx_hash, committed_height, attempts, last_error
             FROM jobs WHERE chain_id = ?1 AND state = ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = st.query_map(
            params![chain_id, state.as_str(), limit as i64],
            Self::row_to_record,
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, payload, state, tail) = row?;
            out.push(JobRecord {
                id,
                job: serde_json::from_str(&payload).map_err(json_err)?,
                state: JobState::parse(&state)
                    .ok_or_else(|| RelayerError::Config(format!("unknown job state {state}")))?,
                result: tail.result,
                attestation: tail.attestation,
                signature: tail.signature,
                tx_hash: tail.tx_hash,
                committed_height: tail.committed_height,
                attempts: tail.attempts,
                last_error: tail.last_error,
            });
        }
        Ok(out)
    }

    pub fn get(&self, id: &str) -> Result<Option<JobRecord>, RelayerError> {
        let chain: Option<String> = self
            .conn
            .query_row(
                "SELECT chain_id FROM jobs WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(chain) = chain else { return Ok(None) };
        for s in JobState::ALL {
            if let Some(j) = self
                .jobs_in_state(&chain, s, usize::MAX >> 1)?
                .into_iter()
                .find(|j| j.id == id)
            {
                return Ok(Some(j));
            }
        }
        Ok(None)
    }

    pub fn count_by_state(&self) -> Result<Vec<(JobState, u64)>, RelayerError> {
        let mut out = Vec::new();
        for s in JobState::ALL {
            let n: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM jobs WHERE state = ?1",
                params![s.as_str()],
                |r| r.get(0),
            )?;
            out.push((s, n as u64));
        }
        Ok(out)
    }

    fn update(&self, sql: &str, p: impl rusqlite::Params) -> Result<(), RelayerError> {
        self.conn.execute(sql, p)?;
        Ok(())
    }

    pub fn mark_working(&self, id: &str) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'working', attempts = attempts + 1 WHERE id = ?1",
            params![id],
        )
    }

    /// Result, attestation and signature in one write: a signed job never lacks its bytes.
    pub fn mark_signed(
        &self,
        id: &str,
        result: &str,
        attestation: &str,
        signature: &str,
    ) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'signed', result = ?2, attestation = ?3, signature = ?4, last_error = NULL WHERE id = ?1",
            params![id, result, attestation, signature],
        )
    }

    /// The tx hash is stored before the tx is sent.
    pub fn mark_broadcast(&mut self, ids: &[String], tx_hash: &str) -> Result<(), RelayerError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE jobs SET state = 'broadcast', tx_hash = ?2 WHERE id = ?1",
                params![id, tx_hash],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn mark_committed(&mut self, ids: &[String], height: u64) -> Result<(), RelayerError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE jobs SET state = 'committed', committed_height = ?2, last_error = NULL WHERE id = ?1",
                params![id, height as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Back to `signed` (the same attestation bytes are posted again).
    pub fn mark_resign(&self, id: &str, error: &str) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'signed', tx_hash = NULL, attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )
    }

    /// Back to `received` after a worker error (retried later).
    pub fn mark_retry(&self, id: &str, error: &str) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'received', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )
    }

    /// Back to `received` after a run that could not reach what it needs (the chain, the
    /// engine): the attempt `mark_working` counted is given back.
    pub fn mark_unavailable(&self, id: &str, error: &str) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'received', attempts = MAX(attempts - 1, 0), last_error = ?2 WHERE id = ?1",
            params![id, error],
        )
    }

    pub fn mark_failed(&self, id: &str, error: &str) -> Result<(), RelayerError> {
        self.update(
            "UPDATE jobs SET state = 'failed', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )
    }
}

struct JobRecordTail {
    result: Option<String>,
    attestation: Option<String>,
    signature: Option<String>,
    tx_hash: Option<String>,
    committed_height: Option<u64>,
    attempts: u32,
    last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, h: u64) -> NewJob {
        NewJob {
            chain_id: "c".into(),
            contract: "esc".into(),
            kind: "inference".into(),
            job_id: id.into(),
            height: h,
            attributes: vec![("model".into(), "m".into())],
        }
    }

    #[test]
    fn reexecution_retries_then_final_outcomes_only() {
        use crate::reexecution::Outcome;
        let s = Store::open_in_memory().unwrap();
        // A retryable failure is not "checked": it is tried again, up to the limit.
        s.retry_reexecution("c", "j1", "n").unwrap();
        assert!(!s.reexecuted("c", "j1").unwrap());
        assert_eq!(s.reexecution_retries("c", 5).unwrap().len(), 1);
        // A final outcome replaces the retry...
        s.record_reexecution("c", "j1", "n", &Outcome::Agreed)
            .unwrap();
        assert!(s.reexecuted("c", "j1").unwrap());
        assert!(s.reexecution_retries("c", 5).unwrap().is_empty());
        // ...and is never replaced, by a retry or another outcome.
        s.retry_reexecution("c", "j1", "n").unwrap();
        s.record_reexecution("c", "j1", "n", &Outcome::Unverifiable("x".into()))
            .unwrap();
        assert!(s.reexecuted("c", "j1").unwrap());
        assert!(s.open_disagreements("c", 10).unwrap().is_empty());
        // Retries used up: not re-executable here.
        for _ in 0..3 {
            s.retry_reexecution("c", "j2", "n").unwrap();
        }
        assert!(s.reexecution_retries("c", 3).unwrap().is_empty());
        assert!(s.reexecuted("c", "j2").unwrap());
    }

    #[test]
    fn a_deferred_reexecution_is_retried_without_using_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("q.db")).unwrap();
        // The chain away for many rounds: kept, and no attempt counted.
        for _ in 0..10 {
            s.defer_reexecution("c", "j", "n").unwrap();
        }
        let again: Vec<String> = s
            .reexecution_retries("c", 2)
            .unwrap()
            .into_iter()
            .map(|j| j.job_id)
            .collect();
        assert_eq!(again, ["j"]);
        // One real failure, then the chain away again: still one attempt of two.
        s.retry_reexecution("c", "j", "n").unwrap();
        s.defer_reexecution("c", "j", "n").unwrap();
        assert_eq!(s.reexecution_retries("c", 2).unwrap().len(), 1);
        s.retry_reexecution("c", "j", "n").unwrap();
        assert!(s.reexecution_retries("c", 2).unwrap().is_empty());
    }

    #[test]
    fn ingest_is_idempotent_and_moves_cursor_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        {
            let mut s = Store::open(&path).unwrap();
            assert_eq!(s.cursor("c").unwrap(), None);
            assert_eq!(
                s.ingest_block("c", 5, &[job("a", 5), job("b", 5)]).unwrap(),
                2
            );
            // The same block again (e.g. after a crash before the next poll): nothing new.
            assert_eq!(s.ingest_block("c", 5, &[job("a", 5)]).unwrap(), 0);
            assert_eq!(s.ingest_block("c", 6, &[]).unwrap(), 0);
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.cursor("c").unwrap(), Some(6));
        let r = s.jobs_in_state("c", JobState::Received, 10).unwrap();
        assert_eq!(
            r.iter().map(|j| j.job.job_id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        s.mark_working(&r[0].id).unwrap();
        s.mark_signed(&r[0].id, "{}", "{\"a\":1}", "\"sig\"")
            .unwrap();
        s.mark_broadcast(std::slice::from_ref(&r[0].id), "HASH")
            .unwrap();
        let b = s.get(&r[0].id).unwrap().unwrap();
        assert_eq!(b.state, JobState::Broadcast);
        assert_eq!(b.tx_hash.as_deref(), Some("HASH"));
        assert_eq!(b.attempts, 1);
        s.mark_committed(std::slice::from_ref(&r[0].id), 9).unwrap();
        let counts = s.count_by_state().unwrap();
        assert!(counts.contains(&(JobState::Committed, 1)));
        assert!(counts.contains(&(JobState::Received, 1)));
    }
}
