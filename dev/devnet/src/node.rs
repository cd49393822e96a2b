//! The node: the application behind a lock, the block log, block production and new-block
//! notifications. Synchronous; the RPC server and the block timer drive it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

use crate::app::App;
use crate::blocklog::{BlockLog, LoggedBlock};
use crate::config::DevnetConfig;
use crate::error::DevnetError;
use crate::json::Validator;

pub struct Node {
    /// Readers (queries, blocks, status) share it; block production and CheckTx take it alone.
    app: RwLock<App>,
    log: Mutex<Option<BlockLog>>,
    /// Set once a block could not be logged: the chain serves nothing after it.
    halted: std::sync::OnceLock<String>,
    new_blocks: broadcast::Sender<u64>,
    /// Nanoseconds added to the wall clock for block times (`advance_time`, like Anvil's
    /// `evm_increaseTime`). Not persisted: after a restart the replayed last block time is the
    /// floor, and the offset is recomputed from it.
    time_offset_ns: AtomicU64,
    pub(crate) validator: Validator,
    pub(crate) config: DevnetConfig,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl Node {
    /// Builds the chain: genesis, then a replay of the block log when `home` is set, then the
    /// first block when the chain is new.
    pub fn open(mut config: DevnetConfig) -> Result<Self, DevnetError> {
        let mut log = None;
        let mut replay = Vec::new();
        if let Some(home) = config.home.clone() {
            let (l, genesis, blocks) = BlockLog::open(&home, &config)?;
            genesis.apply(&mut config);
            log = Some(l);
            replay = blocks;
        }
        let mut app = App::new(&config)?;
        let n = replay.len();
        for b in replay {
            let txs = b.raw_txs().map_err(|reason| DevnetError::Corrupt {
                line: b.height as usize,
                reason,
            })?;
            let height = app.apply_block(b.time_ns, txs).height;
            if height != b.height {
                return Err(DevnetError::Replay(b.height));
            }
        }
        if n > 0 {
            tracing::info!(blocks = n, height = app.height(), "replayed block log");
        }
        let (new_blocks, _) = broadcast::channel(256);
        let last = app.blocks().last().map_or(0, |b| b.time_ns);
        let node = Node {
            time_offset_ns: AtomicU64::new(last.saturating_sub(now_ns())),
            validator: Validator::for_chain(app.chain_id()),
            app: RwLock::new(app),
            log: Mutex::new(log),
            halted: std::sync::OnceLock::new(),
            new_blocks,
            config,
        };
        if node.app().height() == 0 {
            node.produce_block()?;
        }
        Ok(node)
    }

    /// The application, locked for changes. Keep the guard short: block production waits on it.
    pub fn app(&self) -> RwLockWriteGuard<'_, App> {
        self.app.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The application, shared with other readers (issue #27: queries held the one lock block
    /// production needs). Readers wait only while a block is made; a writer waits for the
    /// readers already in, each bounded (a smart query by its gas limit).
    pub fn app_read(&self) -> RwLockReadGuard<'_, App> {
        self.app.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Executes the mempool in a new block at the wall-clock time (never earlier than the
    /// previous block), logs it durably, then announces it. Returns the new height.
    ///
    /// A block that cannot be logged halts the chain for good (issue #27: it went on serving a
    /// block that a restart would lose): it is never announced, and every later block and RPC
    /// request fails with the reason, until the process restarts from the log's last block.
    pub fn produce_block(&self) -> Result<u64, DevnetError> {
        let mut app = self.app();
        if let Some(why) = self.halted() {
            return Err(DevnetError::Halted(why));
        }
        let time = now_ns().saturating_add(self.time_offset_ns.load(Ordering::SeqCst));
        let block = app.finalize_block(time);
        let logged = LoggedBlock::new(block.height, block.time_ns, &block.txs);
        let (height, ntx) = (block.height, block.txs.len());
        if let Some(log) = self.log.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            if let Err(e) = log.append(&logged) {
                let why = format!("block {height} could not be logged ({e}); restart the devnet once the disk has room: it resumes from block {}", height - 1);
                tracing::error!(height, error = %e, "block log append failed: devnet halted");
                let _ = self.halted.set(why.clone());
                return Err(DevnetError::Halted(why));
            }
        }
        drop(app);
        tracing::debug!(height, txs = ntx, "block");
        let _ = self.new_blocks.send(height);
        Ok(height)
    }

    /// Moves the chain clock forward: the next block is `seconds` later than it would have
    /// been. Lets a local run cover days of emission, vesting and epochs in seconds. Refused
    /// (nothing changes) when block times would pass [`MAX_BLOCK_TIME_NS`]: a clock pinned at
    /// the end of u64 nanoseconds stays there after a restart and overflows the next call.
    /// Returns the new offset.
    pub fn advance_time(&self, seconds: u64) -> Result<u64, DevnetError> {
        let refused = || {
            DevnetError::Config(format!(
                "advancing the clock {seconds} s would take block times past {MAX_BLOCK_TIME_NS} ns after 1970 (the year 2262, the end of Go's and Tendermint's time range)"
            ))
        };
        let add = seconds.checked_mul(1_000_000_000).ok_or_else(refused)?;
        self.time_offset_ns
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                let next = offset.checked_add(add)?;
                (now_ns().checked_add(next)? <= MAX_BLOCK_TIME_NS).then_some(next)
            })
            .map(|old| old + add)
            .map_err(|_| refused())
    }

    /// Why the chain halted, if it did (a block could not be logged).
    pub fn halted(&self) -> Option<String> {
        self.halted.get().cloned()
    }

    pub fn subscribe_blocks(&self) -> broadcast::Receiver<u64> {
        self.new_blocks.subscribe()
    }

    pub fn config(&self) -> &DevnetConfig {
        &self.config
    }
}

pub type SharedNode = Arc<Node>;

/// The latest block time the devnet makes: i64 nanoseconds, what Go's `time.UnixNano` and
/// CometBFT clients can represent (2262-04-11).
pub const MAX_BLOCK_TIME_NS: u64 = i64::MAX as u64;
