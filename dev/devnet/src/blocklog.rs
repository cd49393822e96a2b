//! Persistence: an append-only log of blocks (time and raw txs), fsynced per block and replayed
//! deterministically on start. Execution is deterministic (same txs, same times, same wasm), so
//! the log is the whole state; a torn last line (crash mid-write) is dropped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::config::{DevnetConfig, GenesisAccount};
use crate::error::DevnetError;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LoggedBlock {
    pub height: u64,
    pub time_ns: u64,
    /// base64 of each raw tx.
    pub txs: Vec<String>,
}

impl LoggedBlock {
    pub fn new(height: u64, time_ns: u64, txs: &[Vec<u8>]) -> Self {
        LoggedBlock {
            height,
            time_ns,
            txs: txs.iter().map(|t| crate::json::b64(t)).collect(),
        }
    }

    pub fn raw_txs(&self) -> Result<Vec<Vec<u8>>, String> {
        self.txs
            .iter()
            .map(|t| {
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// What fixes the chain's state besides its blocks; stored once so a restart with an edited
/// config replays the same chain.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    pub chain_id: String,
    pub denom: String,
    pub bech32_prefix: String,
    pub genesis_accounts: Vec<GenesisAccount>,
}

impl Genesis {
    pub fn of(c: &DevnetConfig) -> Self {
        Genesis {
            chain_id: c.chain_id.clone(),
            denom: c.denom.clone(),
            bech32_prefix: c.bech32_prefix.clone(),
            genesis_accounts: c.genesis_accounts.clone(),
        }
    }

    pub fn apply(self, c: &mut DevnetConfig) {
        c.chain_id = self.chain_id;
        c.denom = self.denom;
        c.bech32_prefix = self.bech32_prefix;
        c.genesis_accounts = self.genesis_accounts;
    }
}

pub struct BlockLog {
    file: File,
    path: PathBuf,
    /// Bytes written (the file's length after the last good append).
    len: u64,
    max_bytes: Option<u64>,
}

impl BlockLog {
    /// Opens (creating) `home`; returns the stored genesis (written from `config` on first use)
    /// and every complete block logged so far.
    pub fn open(
        home: &Path,
        config: &DevnetConfig,
    ) -> Result<(Self, Genesis, Vec<LoggedBlock>), DevnetError> {
        std::fs::create_dir_all(home)?;
        let genesis_path = home.join("genesis.json");
        let genesis = if genesis_path.exists() {
            let text = std::fs::read_to_string(&genesis_path)?;
            serde_json::from_str(&text).map_err(|e| DevnetError::Corrupt {
                line: 0,
                reason: format!("genesis.json: {e}"),
            })?
        } else {
            let g = Genesis::of(config);
            let tmp = home.join("genesis.json.tmp");
            let mut f = File::create(&tmp)?;
            f.write_all(
                serde_json::to_string_pretty(&g)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            f.sync_all()?;
            std::fs::rename(&tmp, &genesis_path)?;
            g
        };
        let path = home.join("blocks.jsonl");
        let mut blocks = Vec::new();
        let mut good_len = 0u64;
        if path.exists() {
            let reader = BufReader::new(File::open(&path)?);
            for (i, line) in reader.split(b'\n').enumerate() {
                let line = line?;
                match serde_json::from_slice::<LoggedBlock>(&line) {
                    Ok(b) if b.height == blocks.len() as u64 + 1 => {
                        good_len += line.len() as u64 + 1;
                        blocks.push(b);
                    }
                    Ok(b) => {
                        return Err(DevnetError::Corrupt {
                            line: i + 1,
                            reason: format!("height {} out of order", b.height),
                        })
                    }
                    Err(e) => {
                        tracing::warn!(line = i + 1, error = %e, "dropping torn tail of the block log");
                        break;
                    }
                }
            }
        }
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        let len = file.metadata()?.len();
        if good_len > len {
            // The last block is whole but its newline was lost: restore it.
            file.write_all(b"\n")?;
        } else {
            // Cut a torn tail so the next append starts on a clean line.
            file.set_len(good_len)?;
        }
        let len = file.metadata()?.len();
        let log = BlockLog {
            file,
            path,
            len,
            max_bytes: config.block_log_max_bytes,
        };
        Ok((log, genesis, blocks))
    }

    /// Appends a block and fsyncs before returning: once a client hears of a block, it is durable.
    pub fn append(&mut self, block: &LoggedBlock) -> Result<(), DevnetError> {
        let mut line = serde_json::to_vec(block).map_err(|e| DevnetError::Corrupt {
            line: 0,
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        let len = self.len.saturating_add(line.len() as u64);
        if self.max_bytes.is_some_and(|max| len > max) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "block log quota (block_log_max_bytes) reached",
            )
            .into());
        }
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.len = len;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
